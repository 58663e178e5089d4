//! `aigw_route`'s nodes and Cloudflare's route elements: building the
//! elements from the configured nodes, reading nodes back from a deployed
//! version, and the plan-time checks of the graph (every reference
//! resolves, every node is reachable from `start`, no cycles, each type's
//! fields), each with the attribute path of the node and field.
use std::collections::{BTreeMap, BTreeSet};

use aigw_cloudflare::{Element, condition, route::output_target};
use serde_json::{Value as Json, json};
use tfplugin::value::Number;
use tfplugin::{AttributePath, Diagnostics, Value};

/// The target that ends a request.
pub const END: &str = "end";
pub const DEFAULT_TIMEOUT_MS: i64 = 30_000;
const MAX_NODES: usize = 50;
const MAX_RETRIES: i64 = 5;
const MAX_TIMEOUT_MS: i64 = 300_000;

/// Node types and the fields each one takes (besides `type`).
pub const TYPES: &[(&str, &[&str])] = &[
    ("model", &["provider", "model", "retries", "timeout_ms", "fallback"]),
    ("conditional", &["condition", "if_true", "if_false"]),
    ("percentage", &["split"]),
    ("rate", &["key", "limit", "window", "next", "fallback"]),
    ("budget", &["key", "limit", "window", "next", "fallback"]),
];

/// Every node field, in schema order.
pub const FIELDS: &[&str] = &[
    "type",
    "provider",
    "model",
    "retries",
    "timeout_ms",
    "condition",
    "if_true",
    "if_false",
    "split",
    "key",
    "limit",
    "window",
    "next",
    "fallback",
];

fn target(id: &str) -> Json {
    json!({ "elementId": id })
}

fn text<'a>(v: &'a Value, f: &str) -> &'a str {
    v.attr(f).as_str().unwrap_or_default()
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(n.as_f64()),
        _ => None,
    }
}

fn nodes(v: &Value) -> BTreeMap<String, Value> {
    match v.attr("nodes") {
        Value::Map(m) => m.clone(),
        _ => BTreeMap::new(),
    }
}

/// Distinct `"<n>%"` keys: Cloudflare's outputs are a map, so a second
/// branch of the same share is spelled `"50.0%"`, a third `"50.00%"`.
fn share_key(pct: f64, taken: &mut BTreeSet<String>) -> String {
    let mut k = format!("{pct}%");
    let mut decimals = 1;
    while !taken.insert(k.clone()) {
        k = format!("{pct:.decimals$}%");
        decimals += 1;
    }
    k
}

fn element(id: &str, kind: &str, outputs: Vec<(String, Json)>, properties: Option<Json>) -> Element {
    Element {
        id: id.into(),
        kind: kind.into(),
        outputs: outputs.into_iter().collect(),
        properties: properties.and_then(|p| p.as_object().cloned()),
    }
}

/// The elements of a configured (or planned) route.
pub fn elements(v: &Value) -> Vec<Element> {
    let or_end = |n: &Value, f: &str| match n.attr(f).as_str() {
        Some(t) => t.to_string(),
        None => END.to_string(),
    };
    let mut out = vec![element("start", "start", vec![("next".into(), target(text(v, "start")))], None)];
    for (id, n) in nodes(v) {
        let kind = text(&n, "type");
        let e = match kind {
            "model" => element(
                &id,
                "model",
                vec![("success".into(), target(END)), ("fallback".into(), target(&or_end(&n, "fallback")))],
                Some(json!({"provider": text(&n, "provider"), "model": text(&n, "model"),
                    "retries": n.attr("retries").as_i64().unwrap_or(0),
                    "timeout": n.attr("timeout_ms").as_i64().unwrap_or(DEFAULT_TIMEOUT_MS)})),
            ),
            "conditional" => {
                let c: Json = serde_json::from_str(text(&n, "condition")).unwrap_or(Json::Null);
                element(
                    &id,
                    "conditional",
                    vec![
                        ("true".into(), target(&or_end(&n, "if_true"))),
                        ("false".into(), target(&or_end(&n, "if_false"))),
                    ],
                    Some(json!({ "conditions": c })),
                )
            }
            "percentage" => {
                let mut taken = BTreeSet::new();
                let outs = match n.attr("split") {
                    Value::Map(m) => {
                        m.iter().map(|(t, p)| (share_key(number(p).unwrap_or(0.0), &mut taken), target(t))).collect()
                    }
                    _ => Vec::new(),
                };
                element(&id, "percentage", outs, None)
            }
            "rate" | "budget" => {
                let limit = number(n.attr("limit")).unwrap_or(0.0);
                // A request count is an integer; a budget is USD.
                let limit = if kind == "rate" { json!(limit as i64) } else { json!(limit) };
                element(
                    &id,
                    "rate",
                    vec![
                        ("success".into(), target(&or_end(&n, "next"))),
                        ("fallback".into(), target(&or_end(&n, "fallback"))),
                    ],
                    Some(json!({"key": text(&n, "key"), "limit": limit,
                        "limitType": if kind == "budget" { "cost" } else { "count" },
                        "window": n.attr("window").as_i64().unwrap_or(0)})),
                )
            }
            _ => continue,
        };
        out.push(e);
    }
    out.push(element(END, "end", Vec::new(), None));
    out
}

/// The nodes of a deployed version, as state. A field equal to its default
/// stays null where the prior node left it out; a condition that means
/// the same JSON as the prior one keeps the prior spelling.
pub fn nodes_value(els: &[Element], prior: &Value) -> (Value, Value) {
    let before = nodes(prior);
    let start = els.iter().find(|e| e.kind == "start").and_then(|e| output_target(e, "next")).unwrap_or(END);
    let mut out = BTreeMap::new();
    for e in els.iter().filter(|e| e.kind != "start" && e.kind != "end") {
        let was = before.get(&e.id);
        let was_null = |f: &str| was.is_none_or(|p| p.attr(f).is_null());
        let props = e.properties.clone().unwrap_or_default();
        let p = |k: &str| props.get(k).cloned().unwrap_or(Json::Null);
        let to = |o: &str, optional: bool| match output_target(e, o) {
            Some(END) if optional && was_null(o_field(&e.kind, o)) => Value::Null,
            Some(t) => Value::from(t),
            None => Value::Null,
        };
        let mut n: BTreeMap<&str, Value> = FIELDS.iter().map(|f| (*f, Value::Null)).collect();
        match e.kind.as_str() {
            "model" => {
                let timeout = p("timeout").as_i64().unwrap_or(DEFAULT_TIMEOUT_MS);
                let retries = p("retries").as_i64().unwrap_or(0);
                n.insert("type", "model".into());
                n.insert("provider", Value::from(p("provider").as_str().unwrap_or_default()));
                n.insert("model", Value::from(p("model").as_str().unwrap_or_default()));
                let keep = |f: &str, v: i64, d: i64| if v == d && was_null(f) { Value::Null } else { Value::int(v) };
                n.insert("retries", keep("retries", retries, 0));
                n.insert("timeout_ms", keep("timeout_ms", timeout, DEFAULT_TIMEOUT_MS));
                n.insert("fallback", to("fallback", true));
            }
            "conditional" => {
                let c = p("conditions");
                let prior_text = was.and_then(|w| w.attr("condition").as_str());
                let same = prior_text.and_then(|t| serde_json::from_str::<Json>(t).ok()).is_some_and(|j| j == c);
                let text = if same { prior_text.unwrap_or_default().to_string() } else { c.to_string() };
                n.insert("type", "conditional".into());
                n.insert("condition", Value::from(text.as_str()));
                n.insert("if_true", to("true", true));
                n.insert("if_false", to("false", true));
            }
            "percentage" => {
                let mut split: BTreeMap<String, f64> = BTreeMap::new();
                for (k, t) in &e.outputs {
                    let pct = k.trim_end_matches('%').parse::<f64>().unwrap_or(0.0);
                    let to = t.get("elementId").and_then(Json::as_str).unwrap_or(END);
                    *split.entry(to.to_string()).or_default() += pct;
                }
                n.insert("type", "percentage".into());
                n.insert(
                    "split",
                    Value::Map(split.into_iter().map(|(k, v)| (k, Value::Number(Number::from_f64(v)))).collect()),
                );
            }
            "rate" => {
                let cost = p("limitType").as_str() == Some("cost");
                let limit = p("limit").as_f64().unwrap_or(0.0);
                let prior_limit = was.map(|w| w.attr("limit").clone()).filter(|v| number(v) == Some(limit));
                n.insert("type", if cost { "budget" } else { "rate" }.into());
                n.insert("key", Value::from(p("key").as_str().unwrap_or_default()));
                n.insert("limit", prior_limit.unwrap_or(Value::Number(Number::from_f64(limit))));
                n.insert("window", Value::int(p("window").as_i64().unwrap_or(0)));
                n.insert("next", to("success", true));
                n.insert("fallback", to("fallback", true));
            }
            _ => continue,
        }
        out.insert(e.id.clone(), Value::object(n));
    }
    (Value::from(start), Value::Map(out))
}

/// The node field an element output is configured by.
fn o_field(kind: &str, output: &str) -> &'static str {
    match (kind, output) {
        ("conditional", "true") => "if_true",
        ("conditional", _) => "if_false",
        ("rate", "success") => "next",
        _ => "fallback",
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The targets a node leads to: (field, target).
fn edges(n: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = ["fallback", "if_true", "if_false", "next"]
        .iter()
        .filter_map(|f| n.attr(f).as_str().map(|t| (f.to_string(), t.to_string())))
        .collect();
    if let Value::Map(m) = n.attr("split") {
        out.extend(m.keys().map(|t| (format!("split[{t:?}]"), t.clone())));
    }
    out
}

/// Plan-time checks of the whole graph.
pub fn validate(d: &mut Diagnostics, config: &Value) {
    let Value::Map(all) = config.attr("nodes") else { return };
    let at = |id: &str| AttributePath::root("nodes").key(id);
    if all.is_empty() || all.len() > MAX_NODES {
        d.attribute_error(
            AttributePath::root("nodes"),
            "Invalid nodes",
            format!("A route needs 1 to {MAX_NODES} nodes; got {}.", all.len()),
        );
    }
    for (id, n) in all {
        if !is_name(id) || id == "start" || id == END {
            d.attribute_error(
                at(id),
                "Invalid node name",
                format!("{id:?}: a node name is 1-64 letters, digits, '-' or '_', and not \"start\" or \"end\"."),
            );
        }
        validate_node(d, id, n, &at(id));
        for (field, t) in edges(n) {
            if t != END && !all.contains_key(&t) {
                d.attribute_error(
                    at(id),
                    "Unknown node",
                    format!("nodes[{id:?}].{field}: no node named {t:?} (targets are node names or \"end\")."),
                );
            }
        }
    }
    match config.attr("start").as_str() {
        Some(s) if !all.contains_key(s) => d.attribute_error(
            AttributePath::root("start"),
            "Unknown start node",
            format!("start: no node named {s:?}; known: {}.", all.keys().cloned().collect::<Vec<_>>().join(", ")),
        ),
        Some(s) if !d.has_errors() => check_shape(d, s, all),
        _ => {}
    }
}

fn validate_node(d: &mut Diagnostics, id: &str, n: &Value, at: &AttributePath) {
    let Some(kind) = n.attr("type").as_str() else { return };
    let Some((_, fields)) = TYPES.iter().find(|(t, _)| *t == kind) else {
        let types: Vec<&str> = TYPES.iter().map(|(t, _)| *t).collect();
        d.attribute_error(
            at.clone(),
            "Invalid node type",
            format!("nodes[{id:?}].type must be one of {}; got {kind:?}.", types.join(", ")),
        );
        return;
    };
    let mut err = |msg: String| d.attribute_error(at.clone(), "Invalid node", format!("nodes[{id:?}].{msg}"));
    for f in FIELDS.iter().skip(1).filter(|f| !fields.contains(f) && !n.attr(f).is_null()) {
        err(format!("{f} does not apply to a {kind} node (it takes {}).", fields.join(", ")));
    }
    let int = |f: &str| n.attr(f).as_i64();
    let known = |f: &str| !n.attr(f).is_unknown();
    let need = |f: &str| n.attr(f).is_null();
    match kind {
        "model" => {
            for f in ["provider", "model"] {
                if need(f) {
                    err(format!("{f} is required for a model node."));
                }
            }
            if let Some(p) = n.attr("provider").as_str().filter(|p| !aigw_cloudflare::providers::is_known(p)) {
                err(format!("provider: {p:?} is not an AI Gateway provider."));
            }
            if known("retries") && int("retries").is_some_and(|r| !(0..=MAX_RETRIES).contains(&r)) {
                err(format!("retries must be 0 to {MAX_RETRIES}."));
            }
            if known("timeout_ms") && int("timeout_ms").is_some_and(|t| !(1..=MAX_TIMEOUT_MS).contains(&t)) {
                err(format!("timeout_ms must be 1 to {MAX_TIMEOUT_MS}."));
            }
        }
        "conditional" => match n.attr("condition").as_str() {
            None if need("condition") => {
                err("condition is required, e.g. jsonencode({ \"metadata.plan\" = \"free\" }).".into())
            }
            None => {}
            Some(s) => match serde_json::from_str::<Json>(s) {
                Ok(j) => {
                    if let Err(why) = condition::parse(&j) {
                        err(format!("condition: {why}."));
                    }
                }
                Err(e) => err(format!("condition is not JSON ({e}); write it with jsonencode().")),
            },
        },
        "percentage" => {
            if let Value::Map(m) = n.attr("split") {
                let shares: Vec<Option<f64>> = m.values().map(number).collect();
                if shares.iter().all(Option::is_some) {
                    let total: f64 = shares.iter().flatten().sum();
                    if m.is_empty() || shares.iter().flatten().any(|s| *s <= 0.0) || (total - 100.0).abs() > 1e-9 {
                        err(format!("split: the shares must be positive and total 100; they total {total}."));
                    }
                }
            } else if need("split") {
                err("split is required, e.g. { primary = 70, canary = 30 }.".into());
            }
        }
        _ => {
            for f in ["key", "limit", "window"] {
                if need(f) {
                    err(format!("{f} is required for a {kind} node."));
                }
            }
            let limit = number(n.attr("limit"));
            if kind == "rate" && limit.is_some_and(|l| l < 1.0 || l.fract() != 0.0) {
                err("limit: a rate node counts whole requests, 1 or more.".into());
            }
            if kind == "budget" && limit.is_some_and(|l| l <= 0.0) {
                err("limit: a budget is a positive amount in USD.".into());
            }
            if known("window") && int("window").is_some_and(|w| w < 1) {
                err("window must be 1 second or more.".into());
            }
        }
    }
}

/// Every node reachable from start, no cycles, and a model on the way.
fn check_shape(d: &mut Diagnostics, start: &str, all: &BTreeMap<String, Value>) {
    fn visit(id: &str, all: &BTreeMap<String, Value>, colour: &mut BTreeMap<String, u8>, d: &mut Diagnostics) {
        colour.insert(id.to_string(), 1);
        if let Some(n) = all.get(id) {
            for (field, t) in edges(n) {
                if t == END {
                    continue;
                }
                match colour.get(&t).copied().unwrap_or(0) {
                    1 => d.attribute_error(
                        AttributePath::root("nodes").key(id),
                        "Cycle in route",
                        format!("nodes[{id:?}].{field} leads back to {t:?}: a route must end."),
                    ),
                    0 => visit(&t, all, colour, d),
                    _ => {}
                }
            }
        }
        colour.insert(id.to_string(), 2);
    }
    let mut colour = BTreeMap::new();
    visit(start, all, &mut colour, d);
    for id in all.keys().filter(|id| !colour.contains_key(*id)) {
        d.attribute_error(
            AttributePath::root("nodes").key(id),
            "Unreachable node",
            format!("nodes[{id:?}] cannot be reached from start {start:?}; connect it or remove it."),
        );
    }
    if !all.values().any(|n| n.attr("type").as_str() == Some("model")) {
        d.attribute_error(AttributePath::root("nodes"), "No model", "A route needs at least one model node to answer.");
    }
}

/// Parses `v` as a node map the tests can build from JSON.
#[cfg(test)]
pub fn from_json(start: &str, nodes: Json) -> Value {
    let map: serde_json::Map<String, Json> = nodes.as_object().cloned().unwrap_or_default();
    let mut out = BTreeMap::new();
    for (id, n) in map {
        let mut fields: BTreeMap<&str, Value> = FIELDS.iter().map(|f| (*f, Value::Null)).collect();
        for (k, v) in n.as_object().cloned().unwrap_or_default() {
            let f = FIELDS.iter().find(|f| **f == k).copied().unwrap_or("type");
            let value = match v {
                Json::String(s) => Value::from(s.as_str()),
                Json::Number(n) => Value::Number(Number::from_f64(n.as_f64().unwrap_or(0.0))),
                Json::Object(m) => Value::Map(
                    m.into_iter()
                        .map(|(k, v)| (k, Value::Number(Number::from_f64(v.as_f64().unwrap_or(0.0)))))
                        .collect(),
                ),
                _ => Value::Null,
            };
            fields.insert(f, value);
        }
        out.insert(id, Value::object(fields));
    }
    Value::object([("start", Value::from(start)), ("nodes", Value::Map(out))])
}
