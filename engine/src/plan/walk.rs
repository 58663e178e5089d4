//! The plan's walk over the module tree: each module instance's locals,
//! resources, module calls and outputs in dependency order, in a scope of
//! its own. A module call is expanded where it stands (`count` and
//! `for_each` as for resources), its instances planned one after another,
//! and their outputs become `module.NAME` in the caller's scope.
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;

use tfplugin::Value;
use tfplugin::provider::PlanRequest;
use tfplugin::value::encode_json;

use super::prior::Prior;
use super::{Action, Change, Options, Plan, PlannedModule};
use crate::addrs::{Key, ModuleInstance};
use crate::conditions::{self, When};
use crate::config::{Config, Mode, ModuleCall, Repeat, Resource};
use crate::error::{Error, check_resource};
use crate::graph::{self, Deps};
use crate::instance::{
    address, ignore_changes, instances, proposed_new, repeat_instances, resource_config, set_instance,
};
use crate::lang::{Scope, eval};
use crate::providers::Providers;
use crate::state::State;

pub(crate) struct Planner<'a> {
    /// The root module (where `import` blocks are).
    pub cfg_root: &'a Config,
    pub state: &'a State,
    pub providers: &'a Providers,
    pub opts: &'a Options,
    /// What the whole plan collects (outputs, module instances); changes
    /// and warnings come back from each module's walk, in order.
    pub plan: RefCell<Plan>,
    pub priors: RefCell<BTreeMap<String, Prior>>,
    /// The instance addresses the configuration wants.
    pub wanted: RefCell<BTreeSet<String>>,
    /// The root module's nodes `-target` selects; `None` for all.
    pub selected: Option<BTreeSet<String>>,
}

/// What one module instance's walk planned (its descendants' included).
#[derive(Debug, Default)]
pub(crate) struct Walked {
    pub changes: Vec<Change>,
    pub warnings: Vec<String>,
}

impl Walked {
    fn extend(&mut self, other: Walked) {
        self.changes.extend(other.changes);
        self.warnings.extend(other.warnings);
    }
}

/// What a module instance is planned with, besides its configuration.
#[derive(Debug, Clone, Default)]
pub(crate) struct ModuleCtx {
    pub at: ModuleInstance,
    /// The module's provider configuration keys → the root module's.
    pub providers: BTreeMap<String, String>,
    /// Resources (configuration addresses) that every resource here
    /// depends on: what the call's arguments read.
    pub inherited: BTreeSet<String>,
}

impl ModuleCtx {
    pub fn root() -> ModuleCtx {
        ModuleCtx::default()
    }

    /// The root module's configuration key for this module's `key`.
    pub fn provider(&self, key: &str, loc: &crate::error::Loc) -> Result<String, Error> {
        if let Some(k) = self.providers.get(key) {
            return Ok(k.clone());
        }
        if self.at.is_root() || !key.contains('.') {
            return Ok(key.to_string());
        }
        Err(Error::config(
            loc,
            format!(
                "{}: provider configuration {key} is not passed to this module: add it to the call's providers = {{ ... }}",
                self.at
            ),
        ))
    }

    /// The context of a module that `call` calls from this one.
    fn child(&self, call: &ModuleCall, at: ModuleInstance, inherited: BTreeSet<String>) -> Result<ModuleCtx, Error> {
        let mut providers: BTreeMap<String, String> =
            self.providers.iter().filter(|(k, _)| !k.contains('.')).map(|(k, v)| (k.clone(), v.clone())).collect();
        for (child, parent) in &call.providers {
            providers.insert(child.clone(), self.provider(parent, call.loc_of("providers"))?);
        }
        Ok(ModuleCtx { at, providers, inherited })
    }
}

/// Every resource (configuration address) in `cfg` and the modules it
/// calls, under `prefix`.
fn all_resources(cfg: &Config, prefix: &str, out: &mut BTreeSet<String>) {
    for r in &cfg.resources {
        out.insert(if prefix.is_empty() { r.address() } else { format!("{prefix}.{}", r.address()) });
    }
    for (name, call) in &cfg.modules {
        let p = if prefix.is_empty() { format!("module.{name}") } else { format!("{prefix}.module.{name}") };
        all_resources(&call.config, &p, out);
    }
}

impl Planner<'_> {
    /// What `node` depends on, as configuration addresses: the resources it
    /// reads here (a module call counts as every resource in it) and what
    /// this module inherits.
    fn dependencies(&self, cfg: &Config, ctx: &ModuleCtx, deps: &Deps, node: &str) -> BTreeSet<String> {
        let mut out = ctx.inherited.clone();
        for a in graph::resource_ancestors(deps, node) {
            match a.strip_prefix("module.").and_then(|n| cfg.modules.get(n)) {
                Some(call) => all_resources(&call.config, &ctx.at.qualify_config(&a), &mut out),
                None => {
                    out.insert(ctx.at.qualify_config(&a));
                }
            }
        }
        out
    }

    fn in_scope(&self, ctx: &ModuleCtx, node: &str) -> bool {
        !ctx.at.is_root() || self.selected.as_ref().is_none_or(|s| s.contains(node))
    }

    fn instance_selected(&self, ctx: &ModuleCtx, addr: &str, base: &str) -> bool {
        let t = &self.opts.targets;
        !ctx.at.is_root()
            || t.is_empty()
            || t.iter().any(|x| x == addr || x == base)
            || self
                .selected
                .as_ref()
                .is_some_and(|s| s.contains(base) && !t.iter().any(|x| x.starts_with(&format!("{base}["))))
    }

    /// Plans one module instance.
    pub fn module<'s>(
        &'s self,
        cfg: &'s Config,
        ctx: &'s ModuleCtx,
        scope: &'s mut Scope,
    ) -> Pin<Box<dyn Future<Output = Result<Walked, Error>> + 's>> {
        Box::pin(async move {
            let mut walked = Walked::default();
            let (deps, order) = graph::sorted(cfg)?;
            for node in &order {
                if let Some(name) = node.strip_prefix("local.") {
                    let (e, loc) = &cfg.locals[name];
                    let v = eval(e, scope).map_err(|m| Error::config(loc, format!("{}: {m}", ctx.at.qualify(node))))?;
                    scope.locals.insert(name.to_string(), v);
                } else if let Some(name) = node.strip_prefix("output.") {
                    if ctx.at.is_root() {
                        self.root_output(cfg, name, scope)?;
                    }
                } else if let Some(name) = node.strip_prefix("module.") {
                    walked.extend(self.call(cfg, ctx, name, scope, &deps).await?);
                } else if let Some(r) = cfg.resources.iter().find(|r| r.address() == *node) {
                    let dependencies = self.dependencies(cfg, ctx, &deps, node);
                    self.resource(ctx, r, scope, &deps, dependencies.into_iter().collect(), &mut walked).await?;
                }
            }
            if !self.opts.destroy {
                let pending = walked
                    .changes
                    .iter()
                    .filter(|c| c.action != Action::NoOp && c.module == ctx.at)
                    .map(Change::base)
                    .collect();
                let warnings = conditions::checks(cfg, scope, self.providers, &pending).await;
                walked.warnings.extend(warnings);
            }
            Ok(walked)
        })
    }

    fn root_output(&self, cfg: &Config, name: &str, scope: &Scope) -> Result<(), Error> {
        if self.opts.destroy || !self.opts.targets.is_empty() {
            return Ok(());
        }
        let o = &cfg.outputs[name];
        let v = crate::lang::output(o, scope).map_err(|m| Error::config(&o.loc, format!("output.{name}: {m}")))?;
        let before = self.state.outputs.get(name).and_then(|x| x.get("value")).cloned();
        let same = match (&before, v.is_wholly_known()) {
            (Some(b), true) => encode_json(&v.v, &v.ty).ok().as_ref() == Some(b),
            _ => false,
        };
        self.plan.borrow_mut().outputs.insert(name.to_string(), (v.v, o.sensitive, !same));
        Ok(())
    }

    /// Expands and plans the module call `name`; its instances' outputs
    /// become `module.NAME`. Sibling instances are independent, so they are
    /// planned concurrently (up to `-parallelism`); what they plan is kept
    /// in key order.
    async fn call(
        &self,
        cfg: &Config,
        ctx: &ModuleCtx,
        name: &str,
        scope: &mut Scope,
        deps: &Deps,
    ) -> Result<Walked, Error> {
        let call = &cfg.modules[name];
        let node = format!("module.{name}");
        let shown = ctx.at.qualify(&node);
        if !self.in_scope(ctx, &node) {
            set_instance(scope, "module", name, &None, Value::unknown());
            return Ok(Walked::default());
        }
        let keys = match &call.repeat {
            None => vec![(None, None)],
            Some(rep) => repeat_instances(rep, call.loc_of(rep.keyword()), &shown, scope)?,
        };
        let inherited = self.dependencies(cfg, ctx, deps, &node);
        if let Some(rep) = &call.repeat {
            let empty =
                if matches!(rep, Repeat::Count(_)) { Value::Tuple(vec![]) } else { Value::Object(Default::default()) };
            set_instance(scope, "module", name, &None, empty);
        }
        let mut prepared = Vec::new();
        for (key, repeat) in keys {
            let at = ctx.at.child(name, key.as_ref().and_then(Key::from_json));
            let child = module_scope(call, &at, scope, repeat.clone())?;
            self.plan.borrow_mut().modules.insert(at.clone(), PlannedModule { vars: child.vars.clone(), repeat });
            let child_ctx = ctx.child(call, at.clone(), inherited.clone())?;
            prepared.push((key, at, child, child_ctx));
        }
        use futures_util::StreamExt;
        let results: Vec<Result<_, Error>> = futures_util::stream::iter(prepared)
            .map(|(key, at, mut child, child_ctx)| async move {
                let w = self.module(&call.config, &child_ctx, &mut child).await?;
                Ok((key, module_outputs(&call.config, &at, &child)?, w))
            })
            .buffered(self.opts.parallelism.max(1))
            .collect()
            .await;
        let mut walked = Walked::default();
        for r in results {
            let (key, outputs, w) = r?;
            set_instance(scope, "module", name, &key, outputs);
            walked.extend(w);
        }
        Ok(walked)
    }

    /// Plans one resource: each of its instances.
    async fn resource(
        &self,
        ctx: &ModuleCtx,
        r: &Resource,
        scope: &mut Scope,
        deps: &Deps,
        dependencies: Vec<String>,
        walked: &mut Walked,
    ) -> Result<(), Error> {
        let node = r.address();
        let module = ctx.at.to_state();
        let stored = |s: &State| {
            s.find(module.as_deref(), &r.type_name, &r.name).map(|x| x.instances.clone()).unwrap_or_default()
        };
        if !self.in_scope(ctx, &node) {
            // Untargeted: references see what state holds.
            for inst in stored(self.state) {
                let addr = address(&node, &inst.index_key);
                let v = self.priors.borrow_mut().remove(&addr).map(|p| p.0).unwrap_or(Value::Null);
                self.wanted.borrow_mut().insert(addr);
                set_instance(scope, &r.type_name, &r.name, &inst.index_key, v);
            }
            return Ok(());
        }
        let provider = ctx.provider(&r.provider_config(), &r.loc)?;
        let (_, client) = self.providers.get(&provider)?;
        let schemas = client.schemas();
        let schema = match r.mode {
            Mode::Managed => schemas.resources.get(&r.type_name),
            Mode::Data => schemas.data_sources.get(&r.type_name),
        }
        .cloned()
        .ok_or_else(|| {
            let kind = if r.mode == Mode::Data { "data source" } else { "resource type" };
            Error::config(&r.loc, format!("the provider has no {kind} {:?}", r.type_name))
        })?;
        let scope_type = if r.mode == Mode::Data { format!("data.{}", r.type_name) } else { r.type_name.clone() };
        if let Some(rep) = &r.repeat {
            // An empty collection still answers references.
            let empty =
                if matches!(rep, Repeat::Count(_)) { Value::Tuple(vec![]) } else { Value::Object(Default::default()) };
            set_instance(scope, &scope_type, &r.name, &None, Value::Null);
            set_instance(scope, &scope_type, &r.name, &None, empty);
        }
        if self.opts.destroy {
            if r.mode == Mode::Managed {
                for inst in stored(self.state) {
                    let addr = ctx.at.qualify(&address(&node, &inst.index_key));
                    let v = self.priors.borrow().get(&addr).map(|p| p.1.clone()).unwrap_or(Value::Null);
                    if r.lifecycle.prevent_destroy && !v.is_null() {
                        return Err(prevented(r, &addr));
                    }
                    set_instance(scope, &r.type_name, &r.name, &inst.index_key, v);
                }
            }
            return Ok(());
        }
        let template = Change {
            module: ctx.at.clone(),
            type_name: r.type_name.clone(),
            name: r.name.clone(),
            key: None,
            each: r.repeat.as_ref().map(|x| if matches!(x, Repeat::Count(_)) { "list" } else { "map" }.to_string()),
            repeat_scope: None,
            provider,
            action: Action::NoOp,
            before: Value::Null,
            after: Value::Null,
            schema,
            replace_paths: Vec::new(),
            drifted: false,
            stored: Value::Null,
            dependencies,
            private: Vec::new(),
            create_before_destroy: r.lifecycle.create_before_destroy,
            reason: None,
            importing: None,
        };
        let imports = if ctx.at.is_root() && r.mode == Mode::Managed && !self.cfg_root.imports.is_empty() {
            crate::imports::targets(self.cfg_root, r, scope)?
        } else {
            BTreeMap::new()
        };
        for (key, repeat_scope) in instances(r, scope)? {
            let addr = ctx.at.qualify(&address(&node, &key));
            if !self.instance_selected(ctx, &addr, &node) {
                continue;
            }
            self.wanted.borrow_mut().insert(addr.clone());
            if let Some((name, v)) = &repeat_scope {
                scope.extra.insert(name.clone(), v.clone());
            }
            let importing = imports.get(&addr).cloned();
            let change = Change { key: key.clone(), repeat_scope, importing, ..template.clone() };
            // count and each stay in scope for the instance's conditions and triggers.
            let planned = self.instance(r, change, &addr, scope, deps, &walked.changes).await;
            forget_repeat(scope);
            let c = planned?;
            set_instance(scope, &scope_type, &r.name, &key, c.after.clone());
            walked.changes.push(c);
        }
        Ok(())
    }

    /// Plans one instance, `count`/`each` in scope.
    async fn instance(
        &self,
        r: &Resource,
        mut change: Change,
        addr: &str,
        scope: &mut Scope,
        deps: &Deps,
        changes: &[Change],
    ) -> Result<Change, Error> {
        let (_, client) = self.providers.get(&change.provider)?;
        conditions::check(r, When::Pre, addr, scope)?;
        let mut config = resource_config(r, &change.schema, scope)?;
        if r.mode == Mode::Data {
            check_resource(&client.validate_data_source_config(&r.type_name, &config).await?, r, addr)?;
            let mut c = Change { type_name: format!("data.{}", r.type_name), ..change };
            // As Terraform: read now unless the configuration is not known yet
            // or something it depends on has changes pending.
            let pending = deps.get(&r.address()).is_some_and(|d| {
                changes.iter().any(|x| x.action != Action::NoOp && x.module == c.module && d.contains(&x.base()))
            });
            if config.is_wholly_known() && !pending {
                let (v, d) = client.read_data_source(&r.type_name, &config).await?;
                check_resource(&d, r, addr)?;
                c.after = v;
            } else {
                c.action = Action::Read;
                // What the configuration says, and the rest known after the read.
                for a in c.schema.block.attributes.iter().filter(|a| a.computed) {
                    if config.attr(&a.name).is_null() {
                        config.set_attr(&a.name, Value::unknown());
                    }
                }
                c.after = config;
            }
            postconditions(r, addr, &c.after, scope)?;
            return Ok(c);
        }
        let (stored, mut prior, mut private) =
            self.priors.borrow_mut().remove(addr).unwrap_or((Value::Null, Value::Null, Vec::new()));
        if !prior.is_null() {
            change.importing = None; // already managed: the import block has nothing to do
        } else if let Some(id) = &change.importing {
            (prior, private) = import(client, r, id, addr).await?;
        }
        ignore_changes(r, &prior, &mut config);
        // Drift worth telling: a change outside aigw to something the
        // configuration can set (not timestamps and other computed-only values).
        let schema = &change.schema;
        let drifted = !stored.is_null()
            && (prior.is_null()
                || schema
                    .block
                    .attributes
                    .iter()
                    .any(|a| (a.optional || a.required) && stored.attr(&a.name) != prior.attr(&a.name)));
        let req = |prior: Value, proposed: Value, private: Vec<u8>| PlanRequest {
            type_name: r.type_name.clone(),
            prior_state: prior,
            proposed_new_state: proposed,
            config: config.clone(),
            prior_private: private,
        };
        // Validation and the plan are asked together (one round trip of
        // latency); the plan counts only once validation has passed.
        let (valid, resp) = futures_util::join!(
            client.validate_resource_config(&r.type_name, &config),
            client.plan_resource_change(req(prior.clone(), proposed_new(schema, &prior, &config), private.clone()))
        );
        check_resource(&valid?, r, addr)?;
        let resp = resp?;
        check_resource(&resp.diagnostics, r, addr)?;
        // Terraform marks an object whose create failed part-way as tainted.
        let module = change.module.to_state();
        let tainted = self
            .state
            .instance(module.as_deref(), &r.type_name, &r.name, &change.key)
            .is_some_and(|i| i.extra.get("status").and_then(|v| v.as_str()) == Some("tainted"));
        let requested = self.opts.replace.iter().any(|x| x == addr);
        let triggered = !prior.is_null() && conditions::triggered(r, scope, &change.module, changes)?;
        let forced = tainted || triggered || requested;
        let mut c = Change { before: prior.clone(), stored, drifted, private: resp.planned_private.clone(), ..change };
        if prior.is_null() {
            (c.action, c.after) = (Action::Create, resp.planned_state);
        } else if forced || (!resp.requires_replace.is_empty() && resp.planned_state != prior) {
            let create = client.plan_resource_change(req(Value::Null, config.clone(), Vec::new())).await?;
            check_resource(&create.diagnostics, r, addr)?;
            (c.action, c.after) = (Action::Replace, create.planned_state);
            c.replace_paths = resp.requires_replace.iter().map(ToString::to_string).collect();
            c.private = private;
            c.reason = match () {
                _ if tainted => Some("replace_because_tainted"),
                _ if triggered && !requested => Some("replace_by_triggers"),
                _ if forced => Some("replace_because_requested"),
                _ => None,
            };
            if r.lifecycle.prevent_destroy {
                return Err(prevented(r, addr));
            }
        } else if resp.planned_state == prior {
            (c.action, c.after) = (Action::NoOp, resp.planned_state);
        } else {
            (c.action, c.after) = (Action::Update, resp.planned_state);
        }
        postconditions(r, addr, &c.after, scope)?;
        Ok(c)
    }
}

/// The object `id` names, imported and read, as the prior state of `addr`.
async fn import(
    client: &dyn crate::providers::Provider,
    r: &Resource,
    id: &str,
    addr: &str,
) -> Result<(Value, Vec<u8>), Error> {
    let resp = client.import_resource_state(&r.type_name, id).await?;
    check_resource(&resp.diagnostics, r, addr)?;
    let Some(imported) = resp.imported.into_iter().find(|i| i.type_name == r.type_name) else {
        return Err(Error::config(&r.loc, format!("{addr}: the provider imported nothing for ID {id:?}")));
    };
    let read = client
        .read_resource(tfplugin::provider::ReadRequest {
            type_name: r.type_name.clone(),
            current_state: imported.state,
            private: imported.private,
        })
        .await?;
    check_resource(&read.diagnostics, r, addr)?;
    if read.new_state.is_null() {
        return Err(Error::config(
            &r.loc,
            format!("{addr}: Cannot import non-existent remote object: no object has the ID {id:?}"),
        ));
    }
    Ok((read.new_state, read.private))
}

/// The scope a module instance is evaluated in: its input variables from
/// the call's arguments (evaluated in the caller's scope, with the
/// instance's `count` or `each`), its own `path.module`.
pub(crate) fn module_scope(
    call: &ModuleCall,
    at: &ModuleInstance,
    caller: &mut Scope,
    repeat: Option<(String, Value)>,
) -> Result<Scope, Error> {
    if let Some((n, v)) = &repeat {
        caller.extra.insert(n.clone(), v.clone());
    }
    let given: Result<BTreeMap<_, _>, Error> = call
        .args
        .iter()
        .map(|(k, e)| {
            let loc = call.loc_of(k);
            let v = eval(e, caller).map_err(|m| Error::config(loc, format!("{at}: {k}: {m}")))?;
            Ok((k.clone(), (v, loc.clone())))
        })
        .collect();
    forget_repeat(caller);
    let vars = crate::variables::module_values(&call.config, &at.to_string(), given?)?;
    Ok(base_scope(&call.config, vars, caller))
}

/// A scope for module `cfg` with these input variables: its variables'
/// types and marks, its own `path.module`, and the caller's `path.root`,
/// `terraform` and planning mode.
pub(crate) fn base_scope(cfg: &Config, vars: BTreeMap<String, Value>, caller: &Scope) -> Scope {
    let mut scope = Scope {
        vars,
        var_types: crate::variables::types(cfg),
        sensitive_vars: cfg.variables.iter().filter(|(_, v)| v.sensitive).map(|(k, _)| k.clone()).collect(),
        planning: caller.planning,
        ..Scope::default()
    };
    let mut path = crate::run::path_value(&cfg.dir);
    path.set_attr("root", caller.extra.get("path").map(|p| p.attr("root").clone()).unwrap_or(Value::Null));
    scope.extra.insert("path".into(), path);
    if let Some(t) = caller.extra.get("terraform") {
        scope.extra.insert("terraform".into(), t.clone());
    }
    scope
}

/// A module instance's outputs, as the object `module.NAME` is.
pub(crate) fn module_outputs(cfg: &Config, at: &ModuleInstance, scope: &Scope) -> Result<Value, Error> {
    let mut out = BTreeMap::new();
    for (name, o) in &cfg.outputs {
        let v = eval(&o.value, scope).map_err(|m| Error::config(&o.loc, format!("{at}.output.{name}: {m}")))?;
        out.insert(name.clone(), v);
    }
    Ok(Value::Object(out))
}

/// Takes `count` and `each` out of scope once an instance is planned.
fn forget_repeat(scope: &mut Scope) {
    scope.extra.remove("count");
    scope.extra.remove("each");
}

/// Checks an instance's postconditions with `self` as planned (or, during
/// apply, as created); conditions on values not known yet wait for apply.
pub(crate) fn postconditions(r: &Resource, addr: &str, after: &Value, scope: &mut Scope) -> Result<(), Error> {
    if r.lifecycle.postconditions.is_empty() {
        return Ok(());
    }
    scope.extra.insert("self".into(), after.clone());
    let result = conditions::check(r, When::Post, addr, scope);
    scope.extra.remove("self");
    result
}

fn prevented(r: &Resource, addr: &str) -> Error {
    Error::config(
        r.loc_of("lifecycle"),
        format!(
            "instance cannot be destroyed: {addr} has lifecycle.prevent_destroy set, but the plan calls for it to be destroyed; change the plan or remove the setting"
        ),
    )
}
