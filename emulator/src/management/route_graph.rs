//! Validation of dynamic-route element graphs, answered as 400/7001 with a
//! path into the body (e.g. `["elements", 2, "outputs", "fallback"]`).
use std::collections::{BTreeMap, BTreeSet};

use aigw_cloudflare::{ApiMessage, Element};
use serde_json::Value as Json;

use super::validate::VALIDATION_CODE;

/// Outputs each element type must have (percentage is checked apart).
fn required_outputs(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "start" => &["next"],
        "conditional" => &["true", "false"],
        "rate" | "model" => &["success", "fallback"],
        "end" | "percentage" => &[],
        _ => return None,
    })
}

struct Problems(Vec<ApiMessage>);

impl Problems {
    fn add(&mut self, msg: impl Into<String>, path: Vec<Json>) {
        self.0.push(ApiMessage { code: VALIDATION_CODE, message: msg.into(), path: Some(path) });
    }
}

fn at(i: usize, rest: &[&str]) -> Vec<Json> {
    let mut p = vec![Json::from("elements"), Json::from(i)];
    p.extend(rest.iter().map(|s| Json::from(*s)));
    p
}

fn check_properties(i: usize, e: &Element, p: &mut Problems) {
    let props = e.properties.as_ref();
    let get = |k: &str| props.and_then(|m| m.get(k));
    let want_str = |k: &str, p: &mut Problems| match get(k) {
        Some(Json::String(s)) if !s.is_empty() => {}
        None => p.add("Required", at(i, &["properties", k])),
        Some(_) => p.add("Expected a non-empty string", at(i, &["properties", k])),
    };
    let want_int = |k: &str, min: i64, p: &mut Problems| match get(k).map(Json::as_i64) {
        Some(Some(n)) if n >= min => {}
        None => p.add("Required", at(i, &["properties", k])),
        Some(_) => p.add(format!("Expected an integer >= {min}"), at(i, &["properties", k])),
    };
    match e.kind.as_str() {
        "model" => {
            want_str("provider", p);
            if let Some(Json::String(s)) = get("provider")
                && !s.is_empty()
                && !aigw_cloudflare::providers::is_known(s)
            {
                p.add(format!("Unknown provider '{s}'"), at(i, &["properties", "provider"]));
            }
            want_str("model", p);
            want_int("retries", 0, p);
            want_int("timeout", 0, p);
        }
        "rate" => {
            want_str("key", p);
            if get("limitType").and_then(Json::as_str) == Some("cost") {
                // A budget: USD, any amount >= 0.
                if !get("limit").and_then(Json::as_f64).is_some_and(|l| l >= 0.0) {
                    p.add("Expected a number >= 0", at(i, &["properties", "limit"]));
                }
            } else {
                want_int("limit", 0, p);
            }
            want_int("window", 1, p);
            match get("limitType").and_then(Json::as_str) {
                Some("count" | "cost") => {}
                _ => p.add("Invalid enum value. Expected 'count' | 'cost'", at(i, &["properties", "limitType"])),
            }
        }
        "conditional" => match get("conditions") {
            Some(c @ Json::Object(_)) => {
                if let Err(why) = aigw_cloudflare::condition::parse(c) {
                    p.add(format!("Invalid condition: {why}"), at(i, &["properties", "conditions"]));
                }
            }
            _ => p.add("Expected object", at(i, &["properties", "conditions"])),
        },
        _ => {}
    }
}

/// Parses and checks `elements`: known types, their outputs and properties,
/// exactly one start, at least one end, references that resolve, and a
/// graph with no cycles in which every element is reachable from start.
pub fn validate(elements: Option<&Json>) -> Result<Vec<Element>, Vec<ApiMessage>> {
    let mut p = Problems(Vec::new());
    let Some(Json::Array(raw)) = elements else {
        p.add("Expected array", vec![Json::from("elements")]);
        return Err(p.0);
    };
    let mut els = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        match serde_json::from_value::<Element>(r.clone()) {
            Ok(e) => els.push(e),
            Err(e) => p.add(format!("Invalid element: {e}"), at(i, &[])),
        }
    }
    if !p.0.is_empty() {
        return Err(p.0);
    }
    let mut ids = BTreeMap::new();
    for (i, e) in els.iter().enumerate() {
        if ids.insert(e.id.as_str(), i).is_some() {
            p.add(format!("Duplicate element id '{}'", e.id), at(i, &["id"]));
        }
    }
    for (i, e) in els.iter().enumerate() {
        let Some(outputs) = required_outputs(&e.kind) else {
            p.add(
                format!(
                    "Invalid enum value. Expected 'start' | 'conditional' | 'percentage' | 'rate' | 'model' | 'end', received '{}'",
                    e.kind
                ),
                at(i, &["type"]),
            );
            continue;
        };
        for o in outputs {
            if !e.outputs.contains_key(*o) {
                p.add("Required", at(i, &["outputs", o]));
            }
        }
        if e.kind == "percentage" {
            let mut total = 0.0;
            for k in e.outputs.keys() {
                match k.strip_suffix('%').and_then(|n| n.parse::<f64>().ok()) {
                    Some(n) => total += n,
                    None => p.add(format!("Invalid output '{k}': expected '<n>%'"), at(i, &["outputs", k])),
                }
            }
            if (total - 100.0).abs() > 1e-9 {
                p.add(format!("Percentages must total 100%, got {total}%"), at(i, &["outputs"]));
            }
        }
        for (name, target) in &e.outputs {
            match target.get("elementId").and_then(Json::as_str) {
                Some(t) if ids.contains_key(t) => {}
                Some(t) => p.add(format!("Unknown element '{t}'"), at(i, &["outputs", name, "elementId"])),
                None => p.add("Required", at(i, &["outputs", name, "elementId"])),
            }
        }
        check_properties(i, e, &mut p);
    }
    let starts: Vec<usize> = els.iter().enumerate().filter(|(_, e)| e.kind == "start").map(|(i, _)| i).collect();
    if starts.len() != 1 {
        p.add(format!("A route needs exactly one start element, found {}", starts.len()), vec![Json::from("elements")]);
    }
    if !els.iter().any(|e| e.kind == "end") {
        p.add("A route needs an end element", vec![Json::from("elements")]);
    }
    if p.0.is_empty() {
        check_shape(&els, starts[0], &ids, &mut p);
    }
    if p.0.is_empty() { Ok(els) } else { Err(p.0) }
}

/// No cycles, and every element reachable from start.
fn check_shape(els: &[Element], start: usize, ids: &BTreeMap<&str, usize>, p: &mut Problems) {
    // Depth-first search with colours: 1 = on the stack, 2 = done.
    fn visit(i: usize, els: &[Element], ids: &BTreeMap<&str, usize>, colour: &mut [u8], p: &mut Problems) {
        colour[i] = 1;
        for (name, t) in &els[i].outputs {
            let Some(&j) = t.get("elementId").and_then(Json::as_str).and_then(|t| ids.get(t)) else { continue };
            match colour[j] {
                1 => p.add(format!("Cycle: '{}' leads back to '{}'", els[i].id, els[j].id), at(i, &["outputs", name])),
                0 => visit(j, els, ids, colour, p),
                _ => {}
            }
        }
        colour[i] = 2;
    }
    let mut colour = vec![0u8; els.len()];
    visit(start, els, ids, &mut colour, p);
    let unreachable: BTreeSet<usize> = (0..els.len()).filter(|i| colour[*i] == 0).collect();
    for i in unreachable {
        p.add(format!("Element '{}' is not reachable from start", els[i].id), at(i, &[]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aigw_cloudflare::{Step, route::chain_elements};
    use serde_json::json;

    fn chain() -> Json {
        let s = Step { provider: "openai".into(), model: "gpt-4o-mini".into(), timeout_ms: 1000, retries: 1 };
        serde_json::to_value(chain_elements(&[s.clone(), s])).unwrap()
    }

    #[test]
    fn a_fallback_chain_is_valid() {
        assert_eq!(validate(Some(&chain())).unwrap().len(), 4);
    }

    #[test]
    fn broken_graphs_name_the_element() {
        let mut c = chain();
        c[1]["outputs"]["fallback"]["elementId"] = json!("nowhere");
        let e = validate(Some(&c)).unwrap_err();
        assert_eq!(
            e[0].path.as_ref().unwrap(),
            &vec![json!("elements"), json!(1), json!("outputs"), json!("fallback"), json!("elementId")]
        );

        let mut c = chain();
        c[2]["outputs"]["fallback"]["elementId"] = json!("step-1");
        let e = validate(Some(&c)).unwrap_err();
        assert!(e[0].message.starts_with("Cycle"), "{e:?}");

        let mut c = chain();
        c[1]["properties"]["provider"] = json!("nope");
        c[3].as_object_mut().unwrap().remove("outputs");
        c[3]["outputs"] = json!({});
        let e = validate(Some(&c)).unwrap_err();
        assert_eq!(e[0].message, "Unknown provider 'nope'");

        let e = validate(Some(&json!([{"id": "s", "type": "start", "outputs": {"next": {"elementId": "p"}}},
            {"id": "p", "type": "percentage", "outputs": {"50%": {"elementId": "e"}, "else": {"elementId": "e"}}},
            {"id": "e", "type": "end", "outputs": {}}])))
        .unwrap_err();
        assert!(e.iter().any(|m| m.message.contains("'else'")), "{e:?}");
    }
}
