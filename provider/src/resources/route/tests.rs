use super::graph::{elements, from_json, nodes_value, validate};
use serde_json::json;
use tfplugin::Diagnostics;

fn problems(start: &str, nodes: serde_json::Value) -> Vec<String> {
    let mut d = Diagnostics::new();
    validate(&mut d, &from_json(start, nodes));
    d.iter()
        .map(|x| format!("{} {}", x.attribute.as_ref().map(ToString::to_string).unwrap_or_default(), x.detail))
        .collect()
}

fn every_type() -> serde_json::Value {
    json!({
        "tier": {"type": "conditional", "condition": "{\"metadata.plan\":{\"$eq\":\"free\"}}", "if_true": "cheap", "if_false": "split"},
        "split": {"type": "percentage", "split": {"quota": 70, "best": 30}},
        "quota": {"type": "rate", "key": "metadata.user", "limit": 100, "window": 60, "next": "spend", "fallback": "cheap"},
        "spend": {"type": "budget", "key": "metadata.team", "limit": 2.5, "window": 86400, "next": "best", "fallback": "cheap"},
        "best": {"type": "model", "provider": "openai", "model": "gpt-4o", "retries": 1, "fallback": "cheap"},
        "cheap": {"type": "model", "provider": "workers-ai", "model": "@cf/meta/llama-3.1-8b-instruct"}
    })
}

#[test]
fn a_graph_of_every_type_is_valid_and_round_trips_through_elements() {
    assert!(problems("tier", every_type()).is_empty(), "{:?}", problems("tier", every_type()));
    let config = from_json("tier", every_type());
    let els = elements(&config);
    assert_eq!(els.len(), 8, "start, six nodes, end");
    let spend = els.iter().find(|e| e.id == "spend").expect("spend");
    assert_eq!(
        (spend.kind.as_str(), spend.properties.as_ref().expect("p")["limitType"].clone()),
        ("rate", json!("cost"))
    );
    let (start, nodes) = nodes_value(&els, &config);
    assert_eq!(start.as_str(), Some("tier"));
    assert_eq!(&nodes, config.attr("nodes"), "defaults and targets read back as configured");
}

#[test]
fn equal_shares_get_distinct_output_keys() {
    let nodes = json!({
        "ab": {"type": "percentage", "split": {"a": 50, "b": 50}},
        "a": {"type": "model", "provider": "openai", "model": "x"},
        "b": {"type": "model", "provider": "openai", "model": "y"}
    });
    let config = from_json("ab", nodes);
    let els = elements(&config);
    let ab = els.iter().find(|e| e.id == "ab").expect("ab");
    let keys: Vec<&String> = ab.outputs.keys().collect();
    assert_eq!(keys, ["50%", "50.0%"]);
    assert_eq!(&nodes_value(&els, &config).1, config.attr("nodes"));
}

#[test]
fn broken_graphs_name_the_node() {
    let mut n = every_type();
    n["best"]["fallback"] = json!("nowhere");
    assert!(problems("tier", n)[0].starts_with("nodes[\"best\"] nodes[\"best\"].fallback: no node named \"nowhere\""));

    let mut n = every_type();
    n["cheap"]["fallback"] = json!("tier");
    assert!(problems("tier", n).iter().any(|p| p.contains("leads back to")), "a cycle");

    let mut n = every_type();
    n["orphan"] = json!({"type": "model", "provider": "openai", "model": "m"});
    assert_eq!(
        problems("tier", n),
        ["nodes[\"orphan\"] nodes[\"orphan\"] cannot be reached from start \"tier\"; connect it or remove it."]
    );

    let mut n = every_type();
    n["split"]["split"] = json!({"quota": 70, "best": 20});
    assert!(problems("tier", n)[0].contains("total 100; they total 90"));

    let mut n = every_type();
    n["tier"]["condition"] = json!("{\"plan\": \"free\"}");
    assert!(problems("tier", n)[0].contains("metadata.<key>"));

    let mut n = every_type();
    n["best"]["window"] = json!(5);
    assert!(problems("tier", n)[0].contains("window does not apply to a model node"));

    assert!(problems("nope", every_type())[0].starts_with("start start: no node named \"nope\""));
}
