//! The gateway's `spend_limits` as the API holds them: `{enabled, rules}`,
//! each rule a cost budget in USD over a window (`fixed` clock windows or a
//! `sliding` one), optionally narrowed to some providers, models or
//! metadata values (`filter`), or split per metadata value (`partition`).
//! The provider writes them; the emulator validates and enforces them.
//! [`check_spend_limits`] returns every problem with its JSON path.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::controls::Problem;

/// Cloudflare accepts at most this many rules per gateway.
pub const MAX_RULES: usize = 20;

/// How a rule's window moves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Technique {
    /// Windows aligned to the clock; the budget refills at each edge.
    Fixed,
    /// The last `window` seconds (the API's default).
    #[default]
    Sliding,
}

impl Technique {
    pub fn as_str(self) -> &'static str {
        match self {
            Technique::Fixed => "fixed",
            Technique::Sliding => "sliding",
        }
    }
}

/// `model` and `provider` narrowing: the rule counts only these values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueFilter {
    /// Always `filter`.
    pub mode: String,
    pub values: Vec<String>,
}

impl ValueFilter {
    pub fn new(values: Vec<String>) -> ValueFilter {
        ValueFilter { mode: "filter".into(), values }
    }
    pub fn matches(&self, v: &str) -> bool {
        self.values.iter().any(|x| x == v)
    }
}

/// What a rule does with one metadata key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum MetadataRule {
    /// A separate budget for each value of the key.
    Partition,
    /// The rule counts only requests whose value is one of these.
    Filter { values: Vec<String> },
}

/// One spend rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// USD per window.
    pub limit: f64,
    #[serde(rename = "limitType", alias = "limit_type", default = "cost")]
    pub limit_type: String,
    /// Seconds.
    pub window: u64,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub technique: Technique,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ValueFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<ValueFilter>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, MetadataRule>,
}

fn yes() -> bool {
    true
}

fn cost() -> String {
    "cost".into()
}

impl SpendRule {
    /// The rule's id, or its position when the API was given none.
    pub fn key(&self, index: usize) -> String {
        self.id.clone().unwrap_or_else(|| format!("rule-{index}"))
    }

    /// What the 429 says, in Cloudflare's words.
    pub fn exceeded(&self, index: usize, provider: &str, model: &str) -> String {
        format!(
            "Spend limit exceeded: rule '{}' (cost limit {} per {}s, {}) for {provider} {model}",
            self.key(index),
            self.limit,
            self.window,
            self.technique.as_str()
        )
    }
}

/// `spend_limits`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SpendLimits {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub rules: Vec<SpendRule>,
}

impl SpendLimits {
    /// The rules in force, with their positions.
    pub fn effective(&self) -> impl Iterator<Item = (usize, &SpendRule)> {
        self.rules.iter().enumerate().filter(move |(_, r)| self.enabled && r.enabled)
    }
}

fn at(path: &[Json], message: impl Into<String>) -> Problem {
    let mut p = vec![Json::from("spend_limits")];
    p.extend_from_slice(path);
    (p, message.into())
}

fn strings(v: Option<&Json>) -> Option<Vec<&str>> {
    v?.as_array()?.iter().map(Json::as_str).collect()
}

fn check_filter(out: &mut Vec<Problem>, base: &[Json], v: &Json) {
    if v.get("mode").and_then(Json::as_str) != Some("filter") {
        let mut p = base.to_vec();
        p.push("mode".into());
        out.push(at(&p, "Invalid literal value, expected \"filter\""));
    }
    if strings(v.get("values")).is_none_or(|s| s.is_empty()) {
        let mut p = base.to_vec();
        p.push("values".into());
        out.push(at(&p, "Expected a non-empty array of strings"));
    }
}

fn check_metadata(out: &mut Vec<Problem>, base: &[Json], v: &Json) {
    let Some(keys) = v.as_object() else {
        return out.push(at(base, "Expected object"));
    };
    if keys.len() > 5 {
        out.push(at(base, "At most 5 metadata keys (a request carries at most 5 entries)"));
    }
    for (key, rule) in keys {
        let mut p = base.to_vec();
        p.push(key.as_str().into());
        match rule.get("mode").and_then(Json::as_str) {
            Some("partition") if rule.get("values").is_none_or(Json::is_null) => {}
            Some("partition") => out.push(at(&p, "A partition takes no values")),
            Some("filter") if strings(rule.get("values")).is_some_and(|s| !s.is_empty()) => {}
            Some("filter") => out.push(at(&p, "values: Expected a non-empty array of strings")),
            _ => out.push(at(&p, "mode: Invalid enum value. Expected 'partition' | 'filter'")),
        }
    }
}

/// Problems in one rule at `rules[i]`.
fn check_rule(out: &mut Vec<Problem>, i: usize, r: &Json, ids: &mut std::collections::BTreeSet<String>) {
    let base = |field: &str| vec![Json::from("rules"), Json::from(i), Json::from(field)];
    let Some(obj) = r.as_object() else {
        return out.push(at(&["rules".into(), i.into()], "Expected object"));
    };
    match obj.get("limit").and_then(Json::as_f64) {
        Some(l) if l >= 0.0 && l.is_finite() => {}
        Some(_) => out.push(at(&base("limit"), "Number must be greater than or equal to 0")),
        None => out.push(at(&base("limit"), "Required: expected number")),
    }
    match obj.get("limitType").or(obj.get("limit_type")) {
        None => {}
        Some(v) if v.as_str() == Some("cost") => {}
        Some(_) => out.push(at(&base("limitType"), "Invalid literal value, expected \"cost\"")),
    }
    match obj.get("window").and_then(Json::as_u64) {
        Some(w) if w >= 1 => {}
        _ => out.push(at(&base("window"), "Required: expected a whole number of seconds ≥ 1")),
    }
    match obj.get("id") {
        None | Some(Json::Null) => {}
        Some(Json::String(id)) if !id.is_empty() && id.len() <= 64 => {
            if !ids.insert(id.clone()) {
                out.push(at(&base("id"), format!("Duplicate rule id '{id}'")));
            }
        }
        Some(_) => out.push(at(&base("id"), "Expected a string of 1-64 characters")),
    }
    if obj.get("enabled").is_some_and(|v| !v.is_boolean()) {
        out.push(at(&base("enabled"), "Expected boolean"));
    }
    match obj.get("technique").map(|t| t.as_str()) {
        None | Some(Some("fixed" | "sliding")) => {}
        Some(_) => out.push(at(&base("technique"), "Invalid enum value. Expected 'fixed' | 'sliding'")),
    }
    for f in ["model", "provider"] {
        if let Some(v) = obj.get(f).filter(|v| !v.is_null()) {
            check_filter(out, &base(f), v);
        }
    }
    if let Some(v) = obj.get("metadata").filter(|v| !v.is_null()) {
        check_metadata(out, &base("metadata"), v);
    }
}

/// Problems in a `spend_limits` value (null is allowed: no limits).
pub fn check_spend_limits(v: &Json) -> Vec<Problem> {
    let mut out = Vec::new();
    if v.is_null() {
        return out;
    }
    let Some(obj) = v.as_object() else {
        return vec![at(&[], "Expected object")];
    };
    if obj.get("enabled").is_some_and(|e| !e.is_boolean()) {
        out.push(at(&["enabled".into()], "Expected boolean"));
    }
    let rules = match obj.get("rules") {
        None | Some(Json::Null) => return out,
        Some(Json::Array(r)) => r,
        Some(_) => {
            out.push(at(&["rules".into()], "Expected array"));
            return out;
        }
    };
    if rules.len() > MAX_RULES {
        out.push(at(&["rules".into()], format!("Array must contain at most {MAX_RULES} element(s)")));
    }
    let mut ids = std::collections::BTreeSet::new();
    for (i, r) in rules.iter().enumerate() {
        check_rule(&mut out, i, r, &mut ids);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_api_shape_round_trips() {
        let v = json!({"enabled": true, "rules": [{
            "id": "team", "limit": 5.5, "limitType": "cost", "window": 86400, "technique": "fixed",
            "model": {"mode": "filter", "values": ["gpt-4o"]},
            "metadata": {"team": {"mode": "partition"}, "env": {"mode": "filter", "values": ["prod"]}}
        }]});
        let s: SpendLimits = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(s.rules[0].metadata["team"], MetadataRule::Partition);
        assert!(s.rules[0].enabled, "enabled defaults to true");
        let mut back = serde_json::to_value(&s).unwrap();
        back["rules"][0].as_object_mut().unwrap().remove("enabled");
        assert_eq!(back, v);
        let bare: SpendRule = serde_json::from_value(json!({"limit": 1, "window": 60})).unwrap();
        assert_eq!((bare.technique, bare.limit_type.as_str()), (Technique::Sliding, "cost"));
        assert_eq!(
            bare.exceeded(3, "openai", "gpt-4o"),
            "Spend limit exceeded: rule 'rule-3' (cost limit 1 per 60s, sliding) for openai gpt-4o"
        );
    }

    #[test]
    fn problems_name_the_rule_and_field() {
        let v = json!({"enabled": true, "rules": [
            {"id": "a", "limit": 1, "window": 60},
            {"id": "a", "limit": -1, "limitType": "requests", "window": 0, "technique": "leaky",
             "model": {"mode": "partition", "values": []},
             "metadata": {"user": {"mode": "partition", "values": ["x"]}, "env": {"mode": "filter"}}}
        ]});
        let paths: Vec<Json> = check_spend_limits(&v).into_iter().map(|(p, _)| Json::from(p)).collect();
        let r = |f: &str| json!(["spend_limits", "rules", 1, f]);
        assert_eq!(
            paths,
            [
                r("limit"),
                r("limitType"),
                r("window"),
                r("id"),
                r("technique"),
                json!(["spend_limits", "rules", 1, "model", "mode"]),
                json!(["spend_limits", "rules", 1, "model", "values"]),
                json!(["spend_limits", "rules", 1, "metadata", "user"]),
                json!(["spend_limits", "rules", 1, "metadata", "env"]),
            ]
        );
        let many: Vec<Json> = (0..21).map(|_| json!({"limit": 1, "window": 60})).collect();
        assert_eq!(check_spend_limits(&json!({"enabled": true, "rules": many})).len(), 1);
        assert!(check_spend_limits(&json!(null)).is_empty());
        assert!(check_spend_limits(&json!({"enabled": false})).is_empty());
    }
}
