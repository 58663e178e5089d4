//! Terraform's JSON output formats: the plan representation (what
//! `terraform show -json PLANFILE` prints, and `aigw plan -json`) and the
//! state representation (`terraform show -json`). Unknown values are left
//! out of `after` and marked in `after_unknown`; sensitive attributes are
//! marked in `*_sensitive`.
use serde_json::{Map, Value as Json, json};
use tfplugin::Value;
use tfplugin::schema::Schema;

use crate::plan::{Action, Change, Plan};
use crate::state::{State, TERRAFORM_VERSION};

/// A value as JSON with unknowns left out (null in lists).
pub fn known(v: &Value) -> Json {
    match v {
        Value::Null | Value::Unknown(_) => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => n.to_string().parse::<serde_json::Number>().map(Json::Number).unwrap_or(Json::Null),
        Value::String(s) => Json::String(s.clone()),
        Value::List(x) | Value::Set(x) | Value::Tuple(x) => Json::Array(x.iter().map(known).collect()),
        Value::Map(m) | Value::Object(m) => {
            Json::Object(m.iter().filter(|(_, v)| !v.is_unknown()).map(|(k, v)| (k.clone(), known(v))).collect())
        }
    }
}

/// Where `v` is unknown: `true` for a wholly unknown value, else the same
/// shape with only the unknown parts marked.
pub fn unknown_marks(v: &Value) -> Json {
    match v {
        Value::Unknown(_) => Json::Bool(true),
        Value::List(x) | Value::Set(x) | Value::Tuple(x) => Json::Array(
            x.iter().map(|e| if e.is_wholly_known() { Json::Bool(false) } else { unknown_marks(e) }).collect(),
        ),
        Value::Map(m) | Value::Object(m) => Json::Object(
            m.iter().filter(|(_, v)| !v.is_wholly_known()).map(|(k, v)| (k.clone(), unknown_marks(v))).collect(),
        ),
        _ => Json::Object(Map::new()),
    }
}

/// Terraform's `unknownAsBool` for outputs: `true` where unknown, `false`
/// for known primitives and nulls, the shape of collections otherwise
/// (objects and maps list only what is not `false`).
fn unknown_as_bool(v: &Value) -> Json {
    match v {
        Value::Unknown(_) => Json::Bool(true),
        Value::List(x) | Value::Set(x) | Value::Tuple(x) => Json::Array(x.iter().map(unknown_as_bool).collect()),
        Value::Map(m) | Value::Object(m) => Json::Object(
            m.iter().map(|(k, v)| (k.clone(), unknown_as_bool(v))).filter(|(_, b)| *b != Json::Bool(false)).collect(),
        ),
        _ => Json::Bool(false),
    }
}

/// The schema's sensitive attributes that are set in `v`.
fn sensitive_marks(schema: &Schema, v: &Value) -> Json {
    if v.is_null() {
        return Json::Bool(false);
    }
    Json::Object(
        schema
            .block
            .attributes
            .iter()
            .filter(|a| a.sensitive && !v.attr(&a.name).is_null())
            .map(|a| (a.name.clone(), Json::Bool(true)))
            .collect(),
    )
}

/// `registry.terraform.io/aigw/aigw` from `provider["registry.terraform.io/aigw/aigw"]`.
pub fn provider_name(state_address: &str) -> String {
    state_address.trim_start_matches("provider[\"").split("\"]").next().unwrap_or_default().to_string()
}

pub fn actions(c: &Change) -> Vec<&'static str> {
    match c.action {
        Action::NoOp => vec!["no-op"],
        Action::Create => vec!["create"],
        Action::Update => vec!["update"],
        Action::Replace if c.create_before_destroy => vec!["create", "delete"],
        Action::Replace => vec!["delete", "create"],
        Action::Delete => vec!["delete"],
        Action::Read => vec!["read"],
    }
}

fn identity(c: &Change, provider: &str) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("address".into(), json!(c.address()));
    if !c.module.is_root() {
        m.insert("module_address".into(), json!(c.module.to_string()));
    }
    if let Some(id) = &c.importing {
        m.insert("importing".into(), json!({"id": id}));
    }
    m.insert("mode".into(), json!(if c.is_data() { "data" } else { "managed" }));
    m.insert("type".into(), json!(c.resource_type()));
    m.insert("name".into(), json!(c.name));
    if let Some(k) = &c.key {
        m.insert("index".into(), k.clone());
    }
    m.insert("provider_name".into(), json!(provider_name(provider)));
    m
}

/// The plan as Terraform's JSON plan representation. `provider_of` maps a
/// provider configuration key to its state address.
pub fn plan_json(plan: &Plan, state: &State, provider_of: &dyn Fn(&str) -> String) -> Json {
    let mut changes = Vec::new();
    let mut drift = Vec::new();
    let mut planned = Vec::new();
    for c in &plan.changes {
        let provider = provider_of(&c.provider);
        let mut rc = identity(c, &provider);
        let before = if c.action == Action::Create || c.is_data() { Value::Null } else { c.before.clone() };
        let mut change = json!({
            "actions": actions(c),
            "before": known(&before),
            "after": known(&c.after),
            "after_unknown": unknown_marks(&c.after),
            "before_sensitive": sensitive_marks(&c.schema, &before),
            "after_sensitive": sensitive_marks(&c.schema, &c.after),
        });
        if !c.replace_paths.is_empty() {
            change["replace_paths"] = json!(c.replace_paths.iter().map(|p| vec![p.clone()]).collect::<Vec<_>>());
        }
        rc.insert("change".into(), change);
        if let Some(r) = c.reason {
            rc.insert("action_reason".into(), json!(r));
        }
        if c.drifted {
            let mut d = identity(c, &provider);
            d.insert(
                "change".into(),
                json!({
                    "actions": [if c.before.is_null() { "delete" } else { "update" }],
                    "before": known(&c.stored),
                    "after": known(&c.before),
                    "after_unknown": {},
                    "before_sensitive": sensitive_marks(&c.schema, &c.stored),
                    "after_sensitive": sensitive_marks(&c.schema, &c.before),
                }),
            );
            drift.push(Json::Object(d));
        }
        if c.action != Action::Delete {
            let mut p = identity(c, &provider);
            p.insert("schema_version".into(), json!(c.schema.version));
            p.insert("values".into(), known(&c.after));
            p.insert("sensitive_values".into(), sensitive_marks(&c.schema, &c.after));
            planned.push(Json::Object(p));
        }
        changes.push(Json::Object(rc));
    }
    let mut output_changes = Map::new();
    let mut planned_outputs = Map::new();
    for (name, (v, sensitive, changed)) in &plan.outputs {
        let before = state.outputs.get(name).and_then(|o| o.get("value")).cloned().unwrap_or(Json::Null);
        let action = match (changed, before.is_null()) {
            (false, _) => "no-op",
            (true, true) => "create",
            (true, false) => "update",
        };
        output_changes.insert(
            name.clone(),
            json!({
                "actions": [action],
                "before": before,
                "after": known(v),
                "after_unknown": if v.is_wholly_known() { Json::Bool(false) } else { unknown_as_bool(v) },
                "before_sensitive": sensitive,
                "after_sensitive": sensitive,
            }),
        );
        let mut o = json!({"sensitive": sensitive});
        if v.is_wholly_known() {
            o["value"] = known(v);
        }
        planned_outputs.insert(name.clone(), o);
    }
    if plan.destroy {
        for (name, o) in &state.outputs {
            output_changes.insert(
                name.clone(),
                json!({"actions": ["delete"], "before": o.get("value"), "after": null, "after_unknown": false,
                       "before_sensitive": o.get("sensitive").cloned().unwrap_or(json!(false)), "after_sensitive": false}),
            );
        }
    }
    let variables: Map<String, Json> = plan
        .variables
        .iter()
        .map(|(k, v)| {
            // A sensitive variable's value is never printed (not even in -json).
            let shown = if plan.sensitive_variables.contains(k) { json!({}) } else { json!({"value": known(v)}) };
            (k.clone(), shown)
        })
        .collect();
    json!({
        "format_version": "1.2",
        "terraform_version": TERRAFORM_VERSION,
        "variables": variables,
        "planned_values": {"outputs": planned_outputs, "root_module": {"resources": planned}},
        "resource_drift": drift,
        "resource_changes": changes,
        "output_changes": output_changes,
        "prior_state": state_json(state),
        "errored": false,
    })
}

/// The state as Terraform's JSON state representation.
pub fn state_json(state: &State) -> Json {
    // Module instance → its resources; each module appears under its caller.
    let mut by_module: std::collections::BTreeMap<crate::addrs::ModuleInstance, Vec<Json>> = Default::default();
    by_module.entry(crate::addrs::ModuleInstance::root()).or_default();
    for r in &state.resources {
        let resources = by_module.entry(r.module_instance()).or_default();
        for i in &r.instances {
            let mut m = json!({
                "address": crate::instance::address(&r.base_address(), &i.index_key),
                "mode": r.mode,
                "type": r.type_name,
                "name": r.name,
                "provider_name": provider_name(&r.provider),
                "schema_version": i.schema_version,
                "values": i.attributes,
                "sensitive_values": {},
            });
            if let Some(k) = &i.index_key {
                m["index"] = k.clone();
            }
            if !i.dependencies.is_empty() {
                m["depends_on"] = json!(i.dependencies);
            }
            resources.push(m);
        }
    }
    let outputs: Map<String, Json> = state
        .outputs
        .iter()
        .map(|(k, o)| {
            let sensitive = o.get("sensitive").and_then(Json::as_bool).unwrap_or(false);
            (k.clone(), json!({"sensitive": sensitive, "value": o.get("value"), "type": o.get("type")}))
        })
        .collect();
    let mut paths: Vec<crate::addrs::ModuleInstance> = by_module.keys().cloned().collect();
    // Every caller of a module with resources is listed, even with none of its own.
    for p in paths.clone() {
        let mut at = p;
        while !at.is_root() {
            at = at.parent();
            paths.push(at.clone());
        }
    }
    paths.sort();
    paths.dedup();
    json!({
        "format_version": "1.0",
        "terraform_version": state.terraform_version,
        "values": {"outputs": outputs, "root_module": module_json(&crate::addrs::ModuleInstance::root(), &paths, &mut by_module)},
    })
}

/// One module instance of the JSON state: its resources and its children.
fn module_json(
    at: &crate::addrs::ModuleInstance,
    paths: &[crate::addrs::ModuleInstance],
    by_module: &mut std::collections::BTreeMap<crate::addrs::ModuleInstance, Vec<Json>>,
) -> Json {
    let mut m = Map::new();
    if !at.is_root() {
        m.insert("address".into(), json!(at.to_string()));
    }
    let resources = by_module.remove(at).unwrap_or_default();
    if at.is_root() || !resources.is_empty() {
        m.insert("resources".into(), Json::Array(resources));
    }
    let children: Vec<Json> = paths
        .iter()
        .filter(|p| p.0.len() == at.0.len() + 1 && p.parent() == *at)
        .map(|p| module_json(p, paths, by_module))
        .collect();
    if !children.is_empty() {
        m.insert("child_modules".into(), Json::Array(children));
    }
    Json::Object(m)
}
