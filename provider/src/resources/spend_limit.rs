//! `aigw_spend_limit`: a gateway's spend limits (`spend_limits`), as
//! rules. Each rule is a budget in USD over a window, optionally narrowed
//! to some providers, models or metadata values, or split per value of
//! metadata keys (`partition_by`). Destroying it switches spend limits off.
//!
//! Rule ids are stable: one left out of the configuration is derived from
//! what the rule covers (window, technique, providers, models, metadata),
//! not from its position or its limit, so reordering rules or raising a
//! budget keeps each rule's id, and with it the spend already counted.
//! The CRUD is the shared gateway-setting one.
use std::collections::{BTreeMap, BTreeSet};

use aigw_cloudflare::Gateway;
use aigw_cloudflare::spend::{MAX_RULES, MetadataRule, SpendLimits, SpendRule, Technique, ValueFilter};
use tfplugin::schema::{Attribute, NestedObject, Nesting};
use tfplugin::value::Number;
use tfplugin::{AttributePath, Diagnostics, Type, Value};

use super::gateway_settings::{GatewaySetting, SettingResource, list};

pub struct SpendLimit;
pub type SpendLimitResource = SettingResource<SpendLimit>;

fn rule_schema() -> NestedObject {
    NestedObject {
        nesting: Nesting::List,
        attributes: vec![
            Attribute::new("id", Type::String).optional().computed().describe(
                "The rule's id, unique on the gateway. Left out, it is derived from what the rule covers, so it \
                 stays the same when rules are reordered or the limit changes.",
            ),
            Attribute::new("limit", Type::Number).required().describe("The budget in USD per window, at least 0."),
            Attribute::new("window", Type::Number).required().describe("The window in seconds, at least 1."),
            Attribute::new("technique", Type::String).optional().describe(
                "`sliding` (the last `window` seconds, the default) or `fixed` (windows aligned to the clock).",
            ),
            Attribute::new("enabled", Type::Bool)
                .optional()
                .describe("False keeps the rule but stops applying it. Default `true`."),
            Attribute::new("providers", Type::set(Type::String))
                .optional()
                .describe("Count only requests to these provider slugs, e.g. `openai`."),
            Attribute::new("models", Type::set(Type::String))
                .optional()
                .describe("Count only requests for these models, as `gpt-4o` or `openai/gpt-4o`."),
            Attribute::new("metadata", Type::map(Type::set(Type::String))).optional().describe(
                "Count only requests whose `cf-aig-metadata` key has one of the listed values, \
                 e.g. `{ env = [\"prod\"] }`.",
            ),
            Attribute::new("partition_by", Type::set(Type::String)).optional().describe(
                "Metadata keys that split the budget: each value (each team, each user) gets its own `limit`. \
                 A request without the key shares one more budget.",
            ),
        ],
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::List(items) | Value::Set(items) => items.iter().filter_map(|s| s.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

fn string_set(values: &[String]) -> Value {
    let sorted: BTreeSet<&String> = values.iter().collect();
    Value::Set(sorted.into_iter().map(|s| Value::from(s.as_str())).collect())
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(n.as_f64()),
        _ => None,
    }
}

/// A 32-bit FNV-1a digest of the rule's scope, as 8 hex digits.
fn derived_id(rule: &Value) -> Value {
    let scope = ["window", "technique", "providers", "models", "metadata", "partition_by"];
    if scope.iter().any(|a| !rule.attr(a).is_wholly_known()) {
        return Value::unknown();
    }
    let mut text =
        format!("{:?}|{}", number(rule.attr("window")), rule.attr("technique").as_str().unwrap_or("sliding"));
    for name in ["providers", "models", "partition_by"] {
        let set: BTreeSet<String> = strings(rule.attr(name)).into_iter().collect();
        text.push_str(&format!("|{name}={set:?}"));
    }
    if let Value::Map(m) = rule.attr("metadata") {
        for (k, v) in m {
            let set: BTreeSet<String> = strings(v).into_iter().collect();
            text.push_str(&format!("|{k}:{set:?}"));
        }
    }
    let hash = text.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    Value::from(format!("{hash:08x}"))
}

fn rule_of(v: &Value) -> SpendRule {
    let filter = |name: &str| Some(strings(v.attr(name))).filter(|s| !s.is_empty()).map(ValueFilter::new);
    let mut metadata = BTreeMap::new();
    if let Value::Map(m) = v.attr("metadata") {
        for (k, values) in m {
            metadata.insert(k.clone(), MetadataRule::Filter { values: strings(values) });
        }
    }
    for key in strings(v.attr("partition_by")) {
        metadata.insert(key, MetadataRule::Partition);
    }
    SpendRule {
        id: v.attr("id").as_str().map(str::to_string),
        limit: number(v.attr("limit")).unwrap_or(0.0),
        limit_type: "cost".into(),
        window: v.attr("window").as_i64().unwrap_or(0).max(0) as u64,
        enabled: v.attr("enabled").as_bool().unwrap_or(true),
        technique: if v.attr("technique").as_str() == Some("fixed") { Technique::Fixed } else { Technique::Sliding },
        model: filter("models"),
        provider: filter("providers"),
        metadata,
    }
}

/// A rule as state. Defaults show as null where the prior rule of that id
/// left them out, and a limit equal to the prior one keeps its spelling
/// (Terraform sends `0.1` as a decimal, not as the nearest float).
fn rule_value(r: &SpendRule, index: usize, prior: Option<&Value>) -> Value {
    let was_null = |name: &str| prior.is_none_or(|p| p.attr(name).is_null());
    let limit = match prior.map(|p| p.attr("limit")) {
        Some(v) if number(v) == Some(r.limit) => v.clone(),
        _ => Value::Number(Number::from_f64(r.limit)),
    };
    let (mut filters, mut partitions) = (BTreeMap::new(), Vec::new());
    for (k, m) in &r.metadata {
        match m {
            MetadataRule::Partition => partitions.push(k.clone()),
            MetadataRule::Filter { values } => {
                filters.insert(k.clone(), string_set(values));
            }
        }
    }
    let values = |f: &Option<ValueFilter>| f.as_ref().map_or(Value::Null, |f| string_set(&f.values));
    Value::object([
        ("id", Value::from(r.key(index))),
        ("limit", limit),
        ("window", Value::int(r.window as i64)),
        (
            "technique",
            if r.technique == Technique::Sliding && was_null("technique") {
                Value::Null
            } else {
                Value::from(r.technique.as_str())
            },
        ),
        ("enabled", if r.enabled && was_null("enabled") { Value::Null } else { Value::Bool(r.enabled) }),
        ("providers", values(&r.provider)),
        ("models", values(&r.model)),
        ("metadata", if filters.is_empty() { Value::Null } else { Value::Map(filters) }),
        ("partition_by", if partitions.is_empty() { Value::Null } else { string_set(&partitions) }),
    ])
}

fn validate_rule(d: &mut Diagnostics, r: &Value, at: &AttributePath) {
    let field = |name: &str| at.clone().attr(name);
    if let Some(id) = r.attr("id").as_str()
        && (id.is_empty() || id.len() > 64)
    {
        d.attribute_error(field("id"), "Invalid rule id", "A rule id is 1 to 64 characters.");
    }
    if let Some(l) = number(r.attr("limit"))
        && !(l >= 0.0 && l.is_finite())
    {
        d.attribute_error(field("limit"), "Invalid limit", format!("limit is USD per window, at least 0; got {l}."));
    }
    if let Value::Number(n) = r.attr("window")
        && n.as_i64().is_none_or(|w| w < 1)
    {
        d.attribute_error(field("window"), "Invalid window", format!("window is whole seconds, at least 1; got {n}."));
    }
    if let Some(t) = r.attr("technique").as_str()
        && t != "fixed"
        && t != "sliding"
    {
        d.attribute_error(
            field("technique"),
            "Invalid technique",
            format!("technique must be \"fixed\" or \"sliding\"; got {t:?}."),
        );
    }
    for name in ["providers", "models", "partition_by"] {
        if matches!(r.attr(name), Value::Set(s) if s.is_empty()) {
            d.attribute_error(field(name), "Empty set", format!("Leave {name} out instead of setting it to []."));
        }
    }
    for p in strings(r.attr("providers")) {
        if !aigw_cloudflare::providers::is_known(&p) {
            d.attribute_error(
                field("providers"),
                "Unknown provider",
                format!("{p:?} is not a provider slug. Known: {}.", aigw_cloudflare::providers::slugs().join(", ")),
            );
        }
    }
    let partitions: BTreeSet<String> = strings(r.attr("partition_by")).into_iter().collect();
    let mut keys = partitions.len();
    if let Value::Map(m) = r.attr("metadata") {
        keys += m.len();
        for (k, values) in m {
            if partitions.contains(k) {
                d.attribute_error(
                    field("metadata").key(k),
                    "Key both filtered and partitioned",
                    format!("{k:?} is in partition_by too; a key either filters or splits the budget."),
                );
            }
            if matches!(values, Value::Set(s) if s.is_empty()) {
                d.attribute_error(field("metadata").key(k), "No values", "A metadata filter needs at least one value.");
            }
        }
    }
    if keys > 5 {
        d.attribute_error(
            at.clone(),
            "Too many metadata keys",
            format!("A rule may use at most 5 metadata keys (a request carries at most 5); this one uses {keys}."),
        );
    }
}

impl GatewaySetting for SpendLimit {
    const TYPE_NAME: &'static str = "aigw_spend_limit";
    const WHAT: &'static str = "spend limits";
    const DESCRIPTION: &'static str = "Spend limits on a gateway: cost budgets over a window, per provider, model or \
        metadata value. A request the budget cannot cover gets 429 (code 2045). Destroying it switches spend \
        limits off.";

    fn attributes() -> Vec<Attribute> {
        vec![
            Attribute::nested("rules", rule_schema())
                .required()
                .describe(format!("Budget rules, 1 to {MAX_RULES}. A request must fit every rule that covers it.")),
        ]
    }

    fn validate(d: &mut Diagnostics, config: &Value) {
        let hint = " Destroy it to switch spend limits off.";
        let Some(items) = crate::validators::items(d, config, Self::TYPE_NAME, "rules", MAX_RULES, hint) else {
            return;
        };
        let root = AttributePath::root("rules");
        let mut ids = BTreeMap::new();
        for (i, r) in items.iter().enumerate() {
            let at = root.clone().index(i as i64);
            validate_rule(d, r, &at);
            let (id, derived) = match r.attr("id") {
                Value::Null => (derived_id(r), true),
                v => (v.clone(), false),
            };
            let Some(id) = id.as_str().map(str::to_string) else { continue };
            if let Some(first) = ids.insert(id.clone(), i) {
                let why = if derived {
                    format!("rules[{first}] covers the same requests; set an id on one of them.")
                } else {
                    format!("rules[{first}] has id {id:?} too; ids must be unique on the gateway.")
                };
                d.attribute_error(at.attr("id"), "Duplicate rule id", why);
            }
        }
    }

    fn defaults(config: &Value, _prior: &Value, planned: &mut Value) {
        let Value::List(rules) = planned.attr("rules").clone() else { return };
        let configured = list(config.attr("rules"));
        let rules = rules
            .into_iter()
            .enumerate()
            .map(|(i, mut r)| {
                // A derived id follows the rule, not the position the plan proposed it from.
                if configured.get(i).is_none_or(|c| c.attr("id").is_null()) {
                    let id = derived_id(&r);
                    r.set_attr("id", id);
                }
                r
            })
            .collect();
        planned.set_attr("rules", Value::List(rules));
    }

    fn enabled(g: &Gateway) -> bool {
        g.spend_limits().is_some_and(|s| s.enabled && !s.rules.is_empty())
    }

    fn read(g: &Gateway, prior: &Value, state: &mut Value) {
        let limits = g.spend_limits().unwrap_or_default();
        let before = list(prior.attr("rules"));
        let rules = limits
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let id = r.key(i);
                rule_value(r, i, before.iter().find(|b| b.attr("id").as_str() == Some(id.as_str())))
            })
            .collect();
        state.set_attr("rules", Value::List(rules));
    }

    fn write(g: &mut Gateway, planned: &Value, _config: &Value) {
        let settings = SpendLimits { enabled: true, rules: list(planned.attr("rules")).iter().map(rule_of).collect() };
        g.extra.insert("spend_limits".into(), serde_json::to_value(settings).unwrap_or(serde_json::Value::Null));
    }

    fn disable(g: &mut Gateway) {
        // Left out of the full PUT, the field goes back to its default: off.
        g.extra.remove("spend_limits");
    }

    fn attribute_path(api_path: &[serde_json::Value]) -> Option<AttributePath> {
        let [field, rules, index, rest @ ..] = api_path else { return None };
        if field != "spend_limits" || rules != "rules" {
            return None;
        }
        let at = AttributePath::root("rules").index(index.as_i64()?);
        let name = match rest.first().and_then(serde_json::Value::as_str) {
            Some("model") => "models",
            Some("provider") => "providers",
            Some("limitType") | None => return Some(at),
            Some("metadata") => "metadata",
            Some(other) => other,
        };
        Some(at.attr(name))
    }
}

#[cfg(test)]
mod tests;
