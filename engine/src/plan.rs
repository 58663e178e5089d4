//! Planning, as Terraform does it: evaluate each resource's configuration
//! in dependency order, upgrade and refresh what state holds, compute the
//! proposed new state, and let the provider plan the change. Replacements
//! are planned twice (the second time as a create); resources that left
//! the configuration are planned for deletion.
use std::collections::BTreeMap;

use tfplugin::provider::{PlanRequest, ReadRequest};
use tfplugin::schema::Schema;
use tfplugin::value::encode_json;
use tfplugin::{Type, Value};

use crate::config::{Config, Resource};
use crate::error::{Error, check};
use crate::eval::{Scope, convert, eval};
use crate::graph;
use crate::providers::Providers;
use crate::state::State;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    NoOp,
    Create,
    Update,
    Replace,
    Delete,
}

impl Action {
    pub fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Change {
    pub type_name: String,
    pub name: String,
    /// The instance key: a count index or a for_each key.
    pub key: Option<serde_json::Value>,
    /// `"list"` (count) or `"map"` (for_each), as state records it.
    pub each: Option<String>,
    /// What `count` or `each` is while this instance's configuration is evaluated.
    pub repeat_scope: Option<(String, Value)>,
    pub provider: String,
    pub action: Action,
    pub before: Value,
    pub after: Value,
    pub schema: Schema,
    /// Attributes that force the replacement.
    pub replace_paths: Vec<String>,
    /// True when refresh found the object changed or gone outside aigw.
    pub drifted: bool,
    pub dependencies: Vec<String>,
    /// The provider's private data for the prior object.
    pub private: Vec<u8>,
}

impl Change {
    pub fn address(&self) -> String {
        match &self.key {
            None => format!("{}.{}", self.type_name, self.name),
            Some(serde_json::Value::String(k)) => format!("{}.{}[{k:?}]", self.type_name, self.name),
            Some(k) => format!("{}.{}[{k}]", self.type_name, self.name),
        }
    }
}

/// Puts one instance's value where references find it: the value itself,
/// an element of a list (count) or an entry of a map (for_each).
pub fn set_instance(scope: &mut Scope, type_name: &str, name: &str, key: &Option<serde_json::Value>, v: Value) {
    let slot = scope.resources.entry(type_name.to_string()).or_default().entry(name.to_string()).or_insert(Value::Null);
    match key {
        None => *slot = v,
        Some(serde_json::Value::Number(n)) => {
            let i = n.as_u64().unwrap_or(0) as usize;
            if !matches!(slot, Value::Tuple(_)) {
                *slot = Value::Tuple(Vec::new());
            }
            if let Value::Tuple(items) = slot {
                if items.len() <= i {
                    items.resize(i + 1, Value::Null);
                }
                items[i] = v;
            }
        }
        Some(k) => {
            if !matches!(slot, Value::Object(_)) {
                *slot = Value::Object(Default::default());
            }
            if let Value::Object(m) = slot {
                m.insert(k.as_str().unwrap_or_default().to_string(), v);
            }
        }
    }
}

/// One instance: its key, and what `count` or `each` is for it.
type InstanceKey = (Option<serde_json::Value>, Option<(String, Value)>);

/// The instances a resource has.
fn instances(r: &Resource, scope: &Scope) -> Result<Vec<InstanceKey>, Error> {
    let Some(rep) = &r.repeat else { return Ok(vec![(None, None)]) };
    let v = eval(rep.expr(), scope).map_err(|m| Error::config(&r.loc, format!("{}: {m}", r.address())))?;
    if !v.is_wholly_known() {
        return Err(Error::config(
            &r.loc,
            format!(
                "{}: count and for_each must be known at plan time, but this value depends on a resource attribute known only after apply",
                r.address()
            ),
        ));
    }
    match (rep, v) {
        (crate::config::Repeat::Count(_), Value::Number(n)) => {
            let n = n
                .as_i64()
                .filter(|n| *n >= 0)
                .ok_or_else(|| Error::config(&r.loc, format!("{}: count must be a whole number >= 0", r.address())))?;
            Ok((0..n)
                .map(|i| {
                    (
                        Some(serde_json::Value::from(i)),
                        Some(("count".to_string(), Value::object([("index", Value::int(i))]))),
                    )
                })
                .collect())
        }
        (crate::config::Repeat::ForEach(_), Value::Object(m) | Value::Map(m)) => Ok(m
            .into_iter()
            .map(|(k, v)| {
                let each = Value::object([("key", Value::from(k.as_str())), ("value", v)]);
                (Some(serde_json::Value::String(k)), Some(("each".to_string(), each)))
            })
            .collect()),
        (crate::config::Repeat::ForEach(_), Value::Tuple(items) | Value::Set(items) | Value::List(items)) => items
            .into_iter()
            .map(|k| match k {
                Value::String(k) => {
                    let each = Value::object([("key", Value::from(k.as_str())), ("value", Value::from(k.as_str()))]);
                    Ok((Some(serde_json::Value::String(k)), Some(("each".to_string(), each))))
                }
                _ => Err(Error::config(&r.loc, format!("{}: for_each over a set needs strings", r.address()))),
            })
            .collect(),
        (crate::config::Repeat::Count(_), _) => {
            Err(Error::config(&r.loc, format!("{}: count must be a number", r.address())))
        }
        (crate::config::Repeat::ForEach(_), _) => {
            Err(Error::config(&r.loc, format!("{}: for_each must be a map or a set of strings", r.address())))
        }
    }
}

#[derive(Debug, Default)]
pub struct Plan {
    /// Creates, updates and replaces in dependency order, then deletes.
    pub changes: Vec<Change>,
    /// Outputs whose value differs from the state's: name → (value, sensitive).
    pub outputs: BTreeMap<String, (Value, bool)>,
    pub destroy: bool,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::NoOp) || !self.outputs.is_empty()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub destroy: bool,
    pub refresh: bool,
    /// `-var NAME=VALUE`.
    pub vars: BTreeMap<String, String>,
    /// Provider arguments set from outside the configuration:
    /// local name → argument → value (`aigw test` points aigw at its emulator).
    pub provider_overrides: BTreeMap<String, BTreeMap<String, Value>>,
    /// The state file; default `terraform.tfstate` in the configuration directory.
    pub state_path: Option<std::path::PathBuf>,
}

/// `var.*` from defaults, `TF_VAR_*` and `-var`.
pub fn variables(cfg: &Config, opts: &Options) -> Result<BTreeMap<String, Value>, Error> {
    let mut out = BTreeMap::new();
    for (name, v) in &cfg.variables {
        let given = opts.vars.get(name).cloned().or_else(|| std::env::var(format!("TF_VAR_{name}")).ok());
        let value = match (given, &v.default) {
            (Some(s), _) => Value::String(s),
            (None, Some(e)) => eval(e, &Scope::default()).map_err(|m| Error::config(&v.loc, m))?,
            (None, None) => {
                return Err(Error::config(
                    &v.loc,
                    format!("no value for required variable {name:?}; set it with -var {name}=... or TF_VAR_{name}"),
                ));
            }
        };
        out.insert(name.clone(), value);
    }
    if let Some(unknown) = opts.vars.keys().find(|k| !cfg.variables.contains_key(*k)) {
        return Err(Error::Syntax(format!("-var {unknown}: no variable {unknown:?} is declared")));
    }
    Ok(out)
}

/// The configuration value of a resource, typed by its schema.
pub fn resource_config(r: &Resource, schema: &Schema, scope: &Scope) -> Result<Value, Error> {
    let mut v = Value::null_object(&schema.value_type());
    for (k, e) in &r.attributes {
        let attr = schema
            .attribute(k)
            .ok_or_else(|| Error::config(&r.loc, format!("{}: unsupported argument {k:?}", r.address())))?;
        if attr.computed && !attr.optional && !attr.required {
            return Err(Error::config(&r.loc, format!("{}: {k:?} is computed and cannot be set", r.address())));
        }
        let ty: Type = attr.value_type();
        let value = eval(e, scope)
            .and_then(|x| convert(x, &ty))
            .map_err(|m| Error::config(&r.loc, format!("{}.{k}: {m}", r.address())))?;
        v.set_attr(k, value);
    }
    for a in &schema.block.attributes {
        if a.required && v.attr(&a.name).is_null() {
            return Err(Error::config(&r.loc, format!("{}: the argument {:?} is required", r.address(), a.name)));
        }
    }
    Ok(v)
}

/// Core's proposed new state: configuration values, and for computed
/// attributes the configuration leaves out, the prior values.
pub fn proposed_new(schema: &Schema, prior: &Value, config: &Value) -> Value {
    if prior.is_null() {
        return config.clone();
    }
    let mut out = config.clone();
    for a in &schema.block.attributes {
        if a.computed && config.attr(&a.name).is_null() {
            out.set_attr(&a.name, prior.attr(&a.name).clone());
        }
    }
    out
}

/// The prior state of one resource: upgraded by the provider and, unless
/// `refresh` is off, read back from the remote object.
async fn prior_of(
    providers: &Providers,
    state: &State,
    type_name: &str,
    name: &str,
    key: &Option<serde_json::Value>,
    local: &str,
    refresh: bool,
) -> Result<(Value, Value, Vec<u8>), Error> {
    let Some(inst) = state.instance(type_name, name, key) else { return Ok((Value::Null, Value::Null, Vec::new())) };
    let (_, client) = providers.get(local)?;
    let (upgraded, d) = client.upgrade_resource_state(type_name, inst.schema_version, &inst.attributes).await?;
    check(&d, &format!("{type_name}.{name}"))?;
    let private = inst.private.as_deref().map(b64_decode).unwrap_or_default();
    if !refresh {
        return Ok((upgraded.clone(), upgraded, private));
    }
    let read = client
        .read_resource(ReadRequest { type_name: type_name.to_string(), current_state: upgraded.clone(), private })
        .await?;
    check(&read.diagnostics, &format!("{type_name}.{name}"))?;
    Ok((upgraded, read.new_state, read.private))
}

pub fn b64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap_or_default()
}

type PriorKey = (String, String, String);
type Prior = (Value, Value, Vec<u8>);

fn prior_key(type_name: &str, name: &str, key: &Option<serde_json::Value>) -> PriorKey {
    (type_name.to_string(), name.to_string(), key.as_ref().map(ToString::to_string).unwrap_or_default())
}

/// Upgrades and refreshes every instance in state, up to `parallelism` at
/// a time: refresh is most of a plan's wall time.
async fn prefetch(
    providers: &Providers,
    state: &State,
    refresh: bool,
    parallelism: usize,
) -> Result<BTreeMap<PriorKey, Prior>, Error> {
    use futures_util::StreamExt;
    let jobs: Vec<(String, String, Option<serde_json::Value>)> = state
        .resources
        .iter()
        .filter(|r| r.mode == "managed")
        .flat_map(|r| r.instances.iter().map(move |i| (r.type_name.clone(), r.name.clone(), i.index_key.clone())))
        .collect();
    let results: Vec<Result<(PriorKey, Prior), Error>> = futures_util::stream::iter(jobs)
        .map(|(t, n, k)| async move {
            let local = t.split('_').next().unwrap_or_default().to_string();
            let p = prior_of(providers, state, &t, &n, &k, &local, refresh).await?;
            Ok((prior_key(&t, &n, &k), p))
        })
        .buffer_unordered(parallelism.max(1))
        .collect()
        .await;
    results.into_iter().collect()
}

/// Plans the whole configuration against `state`.
pub async fn plan(
    cfg: &Config,
    state: &State,
    providers: &Providers,
    scope: &mut Scope,
    opts: &Options,
) -> Result<Plan, Error> {
    let deps = graph::dependencies(cfg)?;
    let order = graph::order(&deps)?;
    let mut priors = prefetch(providers, state, opts.refresh, 10).await?;
    let mut take = |t: &str, n: &str, k: &Option<serde_json::Value>| {
        priors.remove(&prior_key(t, n, k)).unwrap_or((Value::Null, Value::Null, Vec::new()))
    };
    let mut plan = Plan { destroy: opts.destroy, ..Plan::default() };
    let by_addr: BTreeMap<String, &Resource> = cfg.resources.iter().map(|r| (r.address(), r)).collect();
    // Priors already used to answer references during -destroy.
    let mut priors_kept: BTreeMap<PriorKey, Prior> = BTreeMap::new();
    // The instance keys each configured resource wants.
    let mut wanted: BTreeMap<String, Vec<Option<serde_json::Value>>> = BTreeMap::new();
    for node in &order {
        if let Some(name) = node.strip_prefix("local.") {
            let (e, loc) = &cfg.locals[name];
            let v = eval(e, scope).map_err(|m| Error::config(loc, format!("local.{name}: {m}")))?;
            scope.locals.insert(name.to_string(), v);
            continue;
        }
        if let Some(name) = node.strip_prefix("output.") {
            if opts.destroy {
                continue;
            }
            let o = &cfg.outputs[name];
            let v = eval(&o.value, scope).map_err(|m| Error::config(&o.loc, format!("output.{name}: {m}")))?;
            let before = state.outputs.get(name).and_then(|x| x.get("value")).cloned();
            let same = match (&before, v.is_wholly_known()) {
                (Some(b), true) => encode_json(&v, &crate::render::type_of(&v)).ok().as_ref() == Some(b),
                _ => false,
            };
            if !same {
                plan.outputs.insert(name.to_string(), (v, o.sensitive));
            }
            continue;
        }
        let Some(r) = by_addr.get(node) else { continue };
        let (_, client) = providers.get(r.provider())?;
        let schema = client
            .schemas()
            .resources
            .get(&r.type_name)
            .cloned()
            .ok_or_else(|| Error::config(&r.loc, format!("the provider has no resource type {:?}", r.type_name)))?;
        let each = r.repeat.as_ref().map(|x| match x {
            crate::config::Repeat::Count(_) => "list".to_string(),
            crate::config::Repeat::ForEach(_) => "map".to_string(),
        });
        let dependencies: Vec<String> = deps
            .get(node)
            .map(|d| d.iter().filter(|x| !x.starts_with("local.")).cloned().collect())
            .unwrap_or_default();
        let keys = if opts.destroy { Vec::new() } else { instances(r, scope)? };
        wanted.insert(r.address(), keys.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>());
        if r.repeat.is_some() {
            // An empty collection still answers references.
            let empty = if matches!(r.repeat, Some(crate::config::Repeat::Count(_))) {
                Value::Tuple(vec![])
            } else {
                Value::Object(Default::default())
            };
            scope.resources.entry(r.type_name.clone()).or_default().insert(r.name.clone(), empty);
        }
        if opts.destroy {
            for inst in state.find(&r.type_name, &r.name).map(|x| x.instances.clone()).unwrap_or_default() {
                let (_, prior, _) =
                    prior_of(providers, state, &r.type_name, &r.name, &inst.index_key, r.provider(), opts.refresh)
                        .await?;
                set_instance(scope, &r.type_name, &r.name, &inst.index_key, prior);
            }
            continue;
        }
        for (key, repeat_scope) in keys {
            if let Some((name, v)) = &repeat_scope {
                scope.extra.insert(name.clone(), v.clone());
            }
            let (stored, prior, private) = take(&r.type_name, &r.name, &key);
            // Drift worth telling: a change outside aigw to something the
            // configuration can set (not timestamps and other computed-only values).
            let drifted = !stored.is_null()
                && (prior.is_null()
                    || schema
                        .block
                        .attributes
                        .iter()
                        .any(|a| (a.optional || a.required) && stored.attr(&a.name) != prior.attr(&a.name)));
            let config = resource_config(r, &schema, scope);
            scope.extra.remove("count");
            scope.extra.remove("each");
            let config = config?;
            check(
                &client.validate_resource_config(&r.type_name, &config).await?,
                &format!("{} ({})", r.address(), r.loc),
            )?;
            let req = |prior: Value, proposed: Value| PlanRequest {
                type_name: r.type_name.clone(),
                prior_state: prior,
                proposed_new_state: proposed,
                config: config.clone(),
                prior_private: private.clone(),
            };
            let resp = client.plan_resource_change(req(prior.clone(), proposed_new(&schema, &prior, &config))).await?;
            check(&resp.diagnostics, &format!("{} ({})", r.address(), r.loc))?;
            let (action, after, replace_paths) = if prior.is_null() {
                (Action::Create, resp.planned_state, Vec::new())
            } else if !resp.requires_replace.is_empty() && resp.planned_state != prior {
                let create = client.plan_resource_change(req(Value::Null, config.clone())).await?;
                check(&create.diagnostics, &format!("{} ({})", r.address(), r.loc))?;
                let paths = resp.requires_replace.iter().map(ToString::to_string).collect();
                (Action::Replace, create.planned_state, paths)
            } else if resp.planned_state == prior {
                (Action::NoOp, resp.planned_state, Vec::new())
            } else {
                (Action::Update, resp.planned_state, Vec::new())
            };
            set_instance(scope, &r.type_name, &r.name, &key, after.clone());
            plan.changes.push(Change {
                type_name: r.type_name.clone(),
                name: r.name.clone(),
                key,
                each: each.clone(),
                repeat_scope,
                provider: r.provider().to_string(),
                action,
                before: prior,
                after,
                schema: schema.clone(),
                replace_paths,
                drifted,
                dependencies: dependencies.clone(),
                private: resp.planned_private,
            });
        }
    }
    // Deletions: every instance in state that the configuration no longer
    // has (or everything, for -destroy), dependents first.
    let mut deletes = Vec::new();
    for rs in state.resources.iter().filter(|r| r.mode == "managed") {
        let addr = format!("{}.{}", rs.type_name, rs.name);
        let local = rs.type_name.split('_').next().unwrap_or_default().to_string();
        let (_, client) = providers.get(&local)?;
        let schema = client.schemas().resources.get(&rs.type_name).cloned().unwrap_or_default();
        for inst in &rs.instances {
            if !opts.destroy && wanted.get(&addr).is_some_and(|keys| keys.contains(&inst.index_key)) {
                continue;
            }
            let (_, prior, private) = match priors_kept.remove(&prior_key(&rs.type_name, &rs.name, &inst.index_key)) {
                Some(p) => p,
                None => take(&rs.type_name, &rs.name, &inst.index_key),
            };
            if prior.is_null() {
                continue;
            }
            deletes.push(Change {
                type_name: rs.type_name.clone(),
                name: rs.name.clone(),
                key: inst.index_key.clone(),
                each: rs.each.clone(),
                repeat_scope: None,
                provider: local.clone(),
                action: Action::Delete,
                before: prior,
                after: Value::Null,
                schema: schema.clone(),
                replace_paths: Vec::new(),
                drifted: false,
                dependencies: inst.dependencies.clone(),
                private,
            });
        }
    }
    let position = |c: &Change| {
        let base = format!("{}.{}", c.type_name, c.name);
        order.iter().position(|n| *n == base).unwrap_or(usize::MAX)
    };
    deletes.sort_by_key(|c| std::cmp::Reverse(position(c)));
    plan.changes.extend(deletes);
    Ok(plan)
}
