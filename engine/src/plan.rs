//! Planning, as Terraform does it: evaluate each resource's configuration
//! in dependency order, upgrade and refresh what state holds, compute the
//! proposed new state, and let the provider plan the change. Replacements
//! are planned twice (the second time as a create); resources that left
//! the configuration are planned for deletion. Data sources are read
//! while planning when their configuration is known, else during apply.
//! `-target`, `-replace` and `lifecycle` shape the result.
use std::collections::{BTreeMap, BTreeSet};

use tfplugin::Value;
use tfplugin::provider::{PlanRequest, ReadRequest};
use tfplugin::schema::Schema;
use tfplugin::value::encode_json;

use crate::conditions::{self, When};
use crate::config::{Config, Mode, Resource};
use crate::error::{Error, check, check_resource};
use crate::graph;
use crate::instance::{address, ignore_changes, instances, proposed_new, resource_config, set_instance};
use crate::lang::{Scope, eval};
use crate::providers::{Providers, config_key};
use crate::state::State;
use crate::variables::VarArg;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    NoOp,
    Create,
    Update,
    Replace,
    Delete,
    /// A data source read during apply (its configuration was not known).
    Read,
}

impl Action {
    pub fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::Read => "<=",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Change {
    /// The resource type; for data sources `data.<type>`.
    pub type_name: String,
    pub name: String,
    /// The instance key: a count index or a for_each key.
    pub key: Option<serde_json::Value>,
    /// `"list"` (count) or `"map"` (for_each), as state records it.
    pub each: Option<String>,
    /// What `count` or `each` is while this instance's configuration is evaluated.
    pub repeat_scope: Option<(String, Value)>,
    /// The provider configuration: `aigw` or `aigw.alias`.
    pub provider: String,
    pub action: Action,
    pub before: Value,
    pub after: Value,
    pub schema: Schema,
    /// Attributes that force the replacement.
    pub replace_paths: Vec<String>,
    /// True when refresh found the object changed or gone outside aigw.
    pub drifted: bool,
    /// The object as state held it before refresh.
    pub stored: Value,
    pub dependencies: Vec<String>,
    /// The provider's private data for the prior object.
    pub private: Vec<u8>,
    pub create_before_destroy: bool,
    /// Why it is replaced or deleted when not by the configuration
    /// (`replace_because_requested`, `delete_because_no_resource_config`, ...).
    pub reason: Option<&'static str>,
}

impl Change {
    pub fn base(&self) -> String {
        format!("{}.{}", self.type_name, self.name)
    }
    pub fn address(&self) -> String {
        address(&self.base(), &self.key)
    }
    pub fn is_data(&self) -> bool {
        self.type_name.starts_with("data.")
    }
    /// The resource type without the `data.` prefix.
    pub fn resource_type(&self) -> &str {
        self.type_name.strip_prefix("data.").unwrap_or(&self.type_name)
    }
}

/// An instance in state that refresh found deleted: its resource and key.
pub type Gone = (crate::state::ResourceState, Option<serde_json::Value>);

#[derive(Debug, Default)]
pub struct Plan {
    /// Creates, updates, replaces and reads in dependency order, then deletes.
    pub changes: Vec<Change>,
    /// Outputs: name → (value, sensitive, changed from what state holds).
    pub outputs: BTreeMap<String, (Value, bool, bool)>,
    pub destroy: bool,
    /// Made with `-target`: only part of the configuration was planned.
    pub targeted: bool,
    /// The state the plan was made against: lineage and serial.
    pub lineage: String,
    pub serial: u64,
    pub variables: BTreeMap<String, Value>,
    /// Variables declared `sensitive`: their values are never printed.
    pub sensitive_variables: BTreeSet<String>,
    /// Managed instances in state that refresh found deleted outside aigw
    /// and nothing recreates: apply drops them from the state, as Terraform does.
    pub gone: Vec<Gone>,
    /// `check` blocks that failed, as warnings.
    pub warnings: Vec<String>,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| !matches!(c.action, Action::NoOp | Action::Read))
            || self.outputs.values().any(|o| o.2)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub destroy: bool,
    pub refresh: bool,
    /// `-var` and `-var-file`, in order.
    pub var_args: Vec<VarArg>,
    /// `-target`: resource or instance addresses.
    pub targets: Vec<String>,
    /// `-replace`: instance addresses.
    pub replace: Vec<String>,
    pub parallelism: usize,
    /// Provider arguments set from outside the configuration:
    /// local name → argument → value (`aigw test` points aigw at its emulator).
    pub provider_overrides: BTreeMap<String, BTreeMap<String, Value>>,
    /// The state file; default `terraform.tfstate` in the configuration directory.
    pub state_path: Option<std::path::PathBuf>,
    /// How the state lock is taken (`-lock`, `-lock-timeout`).
    pub lock: crate::lock::LockOptions,
    /// Where the providers come from (plugins, or in-process for tests).
    pub launcher: crate::providers::Launcher,
}

/// The prior state of one resource: upgraded by the provider and, unless
/// `refresh` is off, read back from the remote object.
async fn prior_of(providers: &Providers, state: &State, job: &PriorKey, refresh: bool) -> Result<Prior, Error> {
    let (type_name, name, key) = job;
    let Some((rs, inst)) =
        state.find(type_name, name).and_then(|r| Some((r, r.instances.iter().find(|i| &i.index_key == key)?)))
    else {
        return Ok((Value::Null, Value::Null, Vec::new()));
    };
    let (_, client) = providers.get(&config_key(&rs.provider))?;
    let (upgraded, d) = client.upgrade_resource_state(type_name, inst.schema_version, &inst.attributes).await?;
    check(&d, &format!("{type_name}.{name}"))?;
    let private = inst.private.as_deref().map(b64_decode).unwrap_or_default();
    if !refresh {
        return Ok((upgraded.clone(), upgraded, private));
    }
    let read = client
        .read_resource(ReadRequest { type_name: type_name.to_string(), current_state: upgraded.clone(), private })
        .await?;
    check(&read.diagnostics, &address(&format!("{type_name}.{name}"), key))?;
    Ok((upgraded, read.new_state, read.private))
}

pub fn b64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap_or_default()
}

type PriorKey = (String, String, Option<serde_json::Value>);
/// As stored, as refreshed, private data.
type Prior = (Value, Value, Vec<u8>);

/// Upgrades and refreshes every managed instance in state, up to
/// `parallelism` at a time: refresh is most of a plan's wall time.
async fn prefetch(
    providers: &Providers,
    state: &State,
    refresh: bool,
    parallelism: usize,
    wanted: impl Fn(&str) -> bool,
) -> Result<BTreeMap<String, Prior>, Error> {
    use futures_util::StreamExt;
    let jobs: Vec<PriorKey> = state
        .resources
        .iter()
        .filter(|r| r.mode == "managed" && wanted(&format!("{}.{}", r.type_name, r.name)))
        .flat_map(|r| r.instances.iter().map(move |i| (r.type_name.clone(), r.name.clone(), i.index_key.clone())))
        .collect();
    let results: Vec<Result<(String, Prior), Error>> = futures_util::stream::iter(jobs)
        .map(|job| async move {
            let p = prior_of(providers, state, &job, refresh).await?;
            Ok((address(&format!("{}.{}", job.0, job.1), &job.2), p))
        })
        .buffer_unordered(parallelism.max(1))
        .collect()
        .await;
    results.into_iter().collect()
}

/// The nodes a `-target` list selects: the targets and what they depend on.
fn targeted(targets: &[String], deps: &BTreeMap<String, BTreeSet<String>>) -> Option<BTreeSet<String>> {
    if targets.is_empty() {
        return None;
    }
    let mut out = BTreeSet::new();
    let mut todo: Vec<String> = targets.iter().map(|t| t.split('[').next().unwrap_or(t).to_string()).collect();
    while let Some(n) = todo.pop() {
        if out.insert(n.clone()) {
            todo.extend(deps.get(&n).into_iter().flatten().cloned());
        }
    }
    Some(out)
}

/// Plans the whole configuration against `state`.
pub async fn plan(
    cfg: &Config,
    state: &State,
    providers: &Providers,
    scope: &mut Scope,
    opts: &Options,
) -> Result<Plan, Error> {
    let (deps, order) = graph::sorted(cfg)?;
    let selected = targeted(&opts.targets, &deps);
    let in_scope = |base: &str| selected.as_ref().is_none_or(|s| s.contains(base));
    let instance_selected = |addr: &str, base: &str| {
        opts.targets.is_empty()
            || opts.targets.iter().any(|t| t == addr || t == base)
            || selected
                .as_ref()
                .is_some_and(|s| s.contains(base) && !opts.targets.iter().any(|t| t.starts_with(&format!("{base}["))))
    };
    let mut priors = prefetch(providers, state, opts.refresh, opts.parallelism.max(1), &in_scope).await?;
    let mut plan = Plan {
        destroy: opts.destroy,
        targeted: !opts.targets.is_empty(),
        lineage: state.lineage.clone(),
        serial: state.serial,
        variables: scope.vars.clone(),
        sensitive_variables: cfg.variables.iter().filter(|(_, v)| v.sensitive).map(|(k, _)| k.clone()).collect(),
        ..Plan::default()
    };
    let by_addr: BTreeMap<String, &Resource> = cfg.resources.iter().map(|r| (r.address(), r)).collect();
    // The instance addresses the configuration wants.
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    for node in &order {
        if let Some(name) = node.strip_prefix("local.") {
            let (e, loc) = &cfg.locals[name];
            let v = eval(e, scope).map_err(|m| Error::config(loc, format!("local.{name}: {m}")))?;
            scope.locals.insert(name.to_string(), v);
            continue;
        }
        if let Some(name) = node.strip_prefix("output.") {
            if opts.destroy || !opts.targets.is_empty() {
                continue;
            }
            let o = &cfg.outputs[name];
            let v = crate::lang::output(o, scope).map_err(|m| Error::config(&o.loc, format!("output.{name}: {m}")))?;
            let before = state.outputs.get(name).and_then(|x| x.get("value")).cloned();
            let same = match (&before, v.is_wholly_known()) {
                (Some(b), true) => encode_json(&v.v, &v.ty).ok().as_ref() == Some(b),
                _ => false,
            };
            plan.outputs.insert(name.to_string(), (v.v, o.sensitive, !same));
            continue;
        }
        let Some(r) = by_addr.get(node) else { continue };
        if !in_scope(node) {
            // Untargeted: references see what state holds.
            for inst in state.find(&r.type_name, &r.name).map(|x| x.instances.clone()).unwrap_or_default() {
                let addr = address(node, &inst.index_key);
                let v = priors.remove(&addr).map(|p| p.0).unwrap_or(Value::Null);
                wanted.insert(addr);
                set_instance(scope, &r.type_name, &r.name, &inst.index_key, v);
            }
            continue;
        }
        let (_, client) = providers.get(&r.provider_config())?;
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
        let each = r.repeat.as_ref().map(|x| match x {
            crate::config::Repeat::Count(_) => "list".to_string(),
            crate::config::Repeat::ForEach(_) => "map".to_string(),
        });
        let dependencies: Vec<String> = graph::resource_ancestors(&deps, node).into_iter().collect();
        if r.repeat.is_some() {
            // An empty collection still answers references.
            let empty = if matches!(r.repeat, Some(crate::config::Repeat::Count(_))) {
                Value::Tuple(vec![])
            } else {
                Value::Object(Default::default())
            };
            let ty = if r.mode == Mode::Data { format!("data.{}", r.type_name) } else { r.type_name.clone() };
            set_instance(scope, &ty, &r.name, &None, Value::Null);
            set_instance(scope, &ty, &r.name, &None, empty);
        }
        if opts.destroy {
            if r.mode == Mode::Managed {
                for inst in state.find(&r.type_name, &r.name).map(|x| x.instances.clone()).unwrap_or_default() {
                    let addr = address(node, &inst.index_key);
                    let v = priors.get(&addr).map(|p| p.1.clone()).unwrap_or(Value::Null);
                    if r.lifecycle.prevent_destroy && !v.is_null() {
                        return Err(prevented(r, &addr));
                    }
                    set_instance(scope, &r.type_name, &r.name, &inst.index_key, v);
                }
            }
            continue;
        }
        for (key, repeat_scope) in instances(r, scope)? {
            let addr = address(node, &key);
            if !instance_selected(&addr, node) {
                continue;
            }
            wanted.insert(addr.clone());
            if let Some((name, v)) = &repeat_scope {
                scope.extra.insert(name.clone(), v.clone());
            }
            // count and each stay in scope for the instance's conditions and triggers.
            let pre = conditions::check(r, When::Pre, &addr, scope);
            let config = pre.and_then(|_| resource_config(r, &schema, scope));
            if config.is_err() {
                forget_repeat(scope);
            }
            let mut config = config?;
            let change = Change {
                type_name: r.type_name.clone(),
                name: r.name.clone(),
                key: key.clone(),
                each: each.clone(),
                repeat_scope,
                provider: r.provider_config(),
                action: Action::NoOp,
                before: Value::Null,
                after: Value::Null,
                schema: schema.clone(),
                replace_paths: Vec::new(),
                drifted: false,
                stored: Value::Null,
                dependencies: dependencies.clone(),
                private: Vec::new(),
                create_before_destroy: r.lifecycle.create_before_destroy,
                reason: None,
            };
            if r.mode == Mode::Data {
                check_resource(&client.validate_data_source_config(&r.type_name, &config).await?, r, &addr)?;
                let mut c = Change { type_name: format!("data.{}", r.type_name), ..change };
                // As Terraform: read now unless the configuration is not known yet
                // or something it depends on has changes pending.
                let pending = deps
                    .get(node)
                    .is_some_and(|d| plan.changes.iter().any(|c| c.action != Action::NoOp && d.contains(&c.base())));
                if config.is_wholly_known() && !pending {
                    let (v, d) = client.read_data_source(&r.type_name, &config).await?;
                    check_resource(&d, r, &addr)?;
                    c.after = v;
                } else {
                    c.action = Action::Read;
                    // What the configuration says, and the rest known after the read.
                    let mut after = config.clone();
                    for a in schema.block.attributes.iter().filter(|a| a.computed) {
                        if after.attr(&a.name).is_null() {
                            after.set_attr(&a.name, Value::unknown());
                        }
                    }
                    c.after = after;
                }
                let post = postconditions(r, &addr, &c.after, scope);
                forget_repeat(scope);
                post?;
                set_instance(scope, &c.type_name, &r.name, &key, c.after.clone());
                plan.changes.push(c);
                continue;
            }
            let (stored, prior, private) = priors.remove(&addr).unwrap_or((Value::Null, Value::Null, Vec::new()));
            ignore_changes(r, &prior, &mut config);
            // Drift worth telling: a change outside aigw to something the
            // configuration can set (not timestamps and other computed-only values).
            let drifted = !stored.is_null()
                && (prior.is_null()
                    || schema
                        .block
                        .attributes
                        .iter()
                        .any(|a| (a.optional || a.required) && stored.attr(&a.name) != prior.attr(&a.name)));
            check_resource(&client.validate_resource_config(&r.type_name, &config).await?, r, &addr)?;
            let req = |prior: Value, proposed: Value, private: Vec<u8>| PlanRequest {
                type_name: r.type_name.clone(),
                prior_state: prior,
                proposed_new_state: proposed,
                config: config.clone(),
                prior_private: private,
            };
            let resp = client
                .plan_resource_change(req(prior.clone(), proposed_new(&schema, &prior, &config), private.clone()))
                .await?;
            check_resource(&resp.diagnostics, r, &addr)?;
            // Terraform marks an object whose create failed part-way as tainted.
            let tainted = state
                .instance(&r.type_name, &r.name, &key)
                .is_some_and(|i| i.extra.get("status").and_then(|v| v.as_str()) == Some("tainted"));
            let triggered = !prior.is_null()
                && conditions::triggered(r, scope, &plan.changes).inspect_err(|_| forget_repeat(scope))?;
            let forced = tainted || triggered || opts.replace.contains(&addr);
            let mut c =
                Change { before: prior.clone(), stored, drifted, private: resp.planned_private.clone(), ..change };
            if prior.is_null() {
                (c.action, c.after) = (Action::Create, resp.planned_state);
            } else if forced || (!resp.requires_replace.is_empty() && resp.planned_state != prior) {
                let create = client.plan_resource_change(req(Value::Null, config.clone(), Vec::new())).await?;
                check_resource(&create.diagnostics, r, &addr)?;
                (c.action, c.after) = (Action::Replace, create.planned_state);
                c.replace_paths = resp.requires_replace.iter().map(ToString::to_string).collect();
                c.private = private;
                if tainted {
                    c.reason = Some("replace_because_tainted");
                } else if triggered && !opts.replace.contains(&addr) {
                    c.reason = Some("replace_by_triggers");
                } else if forced {
                    c.reason = Some("replace_because_requested");
                }
                if r.lifecycle.prevent_destroy {
                    return Err(prevented(r, &addr));
                }
            } else if resp.planned_state == prior {
                (c.action, c.after) = (Action::NoOp, resp.planned_state);
            } else {
                (c.action, c.after) = (Action::Update, resp.planned_state);
            }
            let post = postconditions(r, &addr, &c.after, scope);
            forget_repeat(scope);
            post?;
            set_instance(scope, &r.type_name, &r.name, &key, c.after.clone());
            plan.changes.push(c);
        }
    }
    if !opts.destroy {
        let pending = plan.changes.iter().filter(|c| c.action != Action::NoOp).map(Change::base).collect();
        plan.warnings = conditions::checks(cfg, scope, providers, &pending).await;
    }
    let (deletes, gone) = deletions(state, providers, &order, &wanted, &mut priors, opts, &instance_selected)?;
    plan.changes.extend(deletes);
    plan.gone = gone;
    Ok(plan)
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

/// Every instance in state that the configuration no longer has (or
/// everything, for -destroy), dependents first.
fn deletions(
    state: &State,
    providers: &Providers,
    order: &[String],
    wanted: &BTreeSet<String>,
    priors: &mut BTreeMap<String, Prior>,
    opts: &Options,
    selected: &dyn Fn(&str, &str) -> bool,
) -> Result<(Vec<Change>, Vec<Gone>), Error> {
    let mut deletes = Vec::new();
    let mut gone = Vec::new();
    for rs in state.resources.iter().filter(|r| r.mode == "managed") {
        let base = format!("{}.{}", rs.type_name, rs.name);
        let provider = config_key(&rs.provider);
        let (_, client) = providers.get(&provider)?;
        let schema = client.schemas().resources.get(&rs.type_name).cloned().unwrap_or_default();
        for inst in &rs.instances {
            let addr = address(&base, &inst.index_key);
            if (!opts.destroy && wanted.contains(&addr)) || !selected(&addr, &base) {
                continue;
            }
            let Some((stored, prior, private)) = priors.remove(&addr) else { continue };
            if prior.is_null() {
                gone.push((rs.clone(), inst.index_key.clone()));
                continue;
            }
            deletes.push(Change {
                type_name: rs.type_name.clone(),
                name: rs.name.clone(),
                key: inst.index_key.clone(),
                each: rs.each.clone(),
                repeat_scope: None,
                provider: provider.clone(),
                action: Action::Delete,
                before: prior,
                after: Value::Null,
                schema: schema.clone(),
                replace_paths: Vec::new(),
                drifted: false,
                stored,
                dependencies: inst.dependencies.clone(),
                private,
                create_before_destroy: false,
                reason: (!opts.destroy).then_some(if order.contains(&base) {
                    "delete_because_count_index"
                } else {
                    "delete_because_no_resource_config"
                }),
            });
        }
    }
    let position = |c: &Change| order.iter().position(|n| *n == c.base()).unwrap_or(usize::MAX);
    deletes.sort_by_key(|c| std::cmp::Reverse(position(c)));
    Ok((deletes, gone))
}
