//! Dynamic routes: the route object, its versions and deployments, and the
//! element graph they hold. `aigw_fallback` writes a chain of model elements;
//! the emulator validates any graph.
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

/// One node of a route graph: `{id, type, outputs, properties?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Element {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub outputs: Map<String, Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Map<String, Json>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub deployment_id: String,
    pub version_id: String,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    pub version_id: String,
    /// `"true"` for the deployed version, as a string, as Cloudflare sends it.
    pub active: String,
    /// The version's elements as a JSON string.
    pub data: String,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A route as GET/POST `/routes` return it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route {
    pub id: String,
    pub name: String,
    pub gateway_id: String,
    #[serde(default)]
    pub account_tag: String,
    pub created_at: String,
    pub modified_at: String,
    /// The elements of the deployed version.
    pub elements: Vec<Element>,
    pub deployment: Deployment,
    pub version: Version,
}

/// One step of a fallback chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub provider: String,
    pub model: String,
    pub timeout_ms: i64,
    pub retries: i64,
}

fn target(id: &str) -> Json {
    serde_json::json!({ "elementId": id })
}

/// start → model → (fallback) model → ... → end. Every model's success
/// output goes to end; its fallback output goes to the next step.
pub fn chain_elements(steps: &[Step]) -> Vec<Element> {
    let step_id = |i: usize| format!("step-{}", i + 1);
    let mut out = vec![Element {
        id: "start".into(),
        kind: "start".into(),
        outputs: [("next".to_string(), target(if steps.is_empty() { "end" } else { "step-1" }))].into_iter().collect(),
        properties: None,
    }];
    for (i, s) in steps.iter().enumerate() {
        let next = if i + 1 < steps.len() { step_id(i + 1) } else { "end".to_string() };
        out.push(Element {
            id: step_id(i),
            kind: "model".into(),
            outputs: [("success".to_string(), target("end")), ("fallback".to_string(), target(&next))]
                .into_iter()
                .collect(),
            properties: Some(
                serde_json::json!({
                    "provider": s.provider, "model": s.model, "retries": s.retries, "timeout": s.timeout_ms
                })
                .as_object()
                .cloned()
                .unwrap_or_default(),
            ),
        });
    }
    out.push(Element { id: "end".into(), kind: "end".into(), outputs: Map::new(), properties: None });
    out
}

/// Where an element's output points.
pub fn output_target<'a>(e: &'a Element, output: &str) -> Option<&'a str> {
    e.outputs.get(output)?.get("elementId")?.as_str()
}

/// Follows start → next, then each model's `fallback`, collecting the model
/// steps. Returns `None` if the graph is not such a chain (other element
/// types, or a success output that does not end the request).
pub fn chain_steps(elements: &[Element]) -> Option<Vec<Step>> {
    let by_id = |id: &str| elements.iter().find(|e| e.id == id);
    let start = elements.iter().find(|e| e.kind == "start")?;
    let mut cur = by_id(output_target(start, "next")?)?;
    let mut steps = Vec::new();
    while cur.kind == "model" {
        if steps.len() > elements.len() {
            return None; // a cycle
        }
        let p = cur.properties.as_ref()?;
        steps.push(Step {
            provider: p.get("provider")?.as_str()?.to_string(),
            model: p.get("model")?.as_str()?.to_string(),
            timeout_ms: p.get("timeout").and_then(Json::as_i64).unwrap_or(0),
            retries: p.get("retries").and_then(Json::as_i64).unwrap_or(0),
        });
        if by_id(output_target(cur, "success")?)?.kind != "end" {
            return None;
        }
        cur = by_id(output_target(cur, "fallback")?)?;
    }
    (cur.kind == "end").then_some(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_round_trip() {
        let steps = vec![
            Step { provider: "workers-ai".into(), model: "@cf/meta/llama".into(), timeout_ms: 5000, retries: 2 },
            Step { provider: "openai".into(), model: "gpt-4o-mini".into(), timeout_ms: 30000, retries: 0 },
        ];
        let els = chain_elements(&steps);
        assert_eq!(els.len(), 4);
        assert_eq!(output_target(&els[1], "fallback"), Some("step-2"));
        assert_eq!(output_target(&els[2], "fallback"), Some("end"));
        assert_eq!(chain_steps(&els), Some(steps));
    }
}
