//! `aigw_guardrails`: a gateway's guardrails, the classifier categories
//! (P1 prompt injection, S1-S13 Llama Guard hazards) checked on prompts and
//! on responses, each FLAG or BLOCK. Destroying it switches guardrails off
//! (`guardrails: null`). The CRUD is the shared gateway-setting one.
use std::collections::BTreeMap;

use aigw_cloudflare::Gateway;
use aigw_cloudflare::controls::{Action, CATEGORIES, Guardrails as Rules};
use tfplugin::{Attribute, AttributePath, Diagnostics, Type, Value};

use super::gateway_settings::{GatewaySetting, SettingResource};

pub struct Guardrails;
pub type GuardrailsResource = SettingResource<Guardrails>;

const SIDES: [&str; 2] = ["prompt", "response"];

fn side_doc(side: &str) -> String {
    format!(
        "What to do when the {side} falls in a category: a map from category (`P1`, `S1`-`S13`) to `FLAG` \
         (log the verdict, let it through) or `BLOCK` (refuse with 424). Categories left out are not checked."
    )
}

fn rules_of(v: &Value) -> BTreeMap<String, Action> {
    let Value::Map(m) = v else { return BTreeMap::new() };
    m.iter()
        .filter_map(|(k, a)| {
            let action = match a.as_str()? {
                "FLAG" => Action::Flag,
                "BLOCK" => Action::Block,
                _ => return None,
            };
            Some((k.clone(), action))
        })
        .collect()
}

fn rules_value(rules: &BTreeMap<String, Action>) -> Value {
    if rules.is_empty() {
        return Value::Null;
    }
    Value::Map(rules.iter().map(|(k, a)| (k.clone(), Value::from(a.as_str()))).collect())
}

fn validate_side(d: &mut Diagnostics, config: &Value, side: &str) {
    let Value::Map(m) = config.attr(side) else { return };
    if m.is_empty() {
        d.attribute_error(
            AttributePath::root(side),
            format!("Empty {side}"),
            format!("{side} must name at least one category; leave it out to check nothing on the {side}."),
        );
    }
    for (category, action) in m {
        let path = AttributePath::root(side).key(category);
        if !CATEGORIES.iter().any(|(c, _)| c == category) {
            let known: Vec<String> = CATEGORIES.iter().map(|(c, name)| format!("{c} ({name})")).collect();
            d.attribute_error(
                path,
                "Unknown guardrail category",
                format!("{category:?} is not a category; use one of {}.", known.join(", ")),
            );
        } else if let Some(a) = action.as_str()
            && a != "FLAG"
            && a != "BLOCK"
        {
            d.attribute_error(
                path,
                "Invalid guardrail action",
                format!("{side}[{category:?}] must be \"FLAG\" or \"BLOCK\"; got {a:?}."),
            );
        }
    }
}

impl GatewaySetting for Guardrails {
    const TYPE_NAME: &'static str = "aigw_guardrails";
    const WHAT: &'static str = "guardrails";
    const DESCRIPTION: &'static str = "Guardrails on a gateway: prompts and responses classified into P1 (prompt \
        injection) and S1-S13 (Llama Guard hazards), each category flagged or blocked. Destroying it switches \
        guardrails off.";

    fn attributes() -> Vec<Attribute> {
        SIDES
            .iter()
            .map(|side| Attribute::new(*side, Type::map(Type::String)).optional().describe(side_doc(side)))
            .collect()
    }

    fn validate(d: &mut Diagnostics, config: &Value) {
        for side in SIDES {
            validate_side(d, config, side);
        }
        if SIDES.iter().all(|s| config.attr(s).is_null()) {
            d.error(
                "No guardrails",
                "Set prompt, response or both; an aigw_guardrails with neither checks nothing. Destroy it to switch guardrails off.",
            );
        }
    }

    fn enabled(g: &Gateway) -> bool {
        g.guardrails().is_some_and(|r| !r.is_empty())
    }

    fn read(g: &Gateway, _prior: &Value, state: &mut Value) {
        let rules = g.guardrails().unwrap_or_default();
        state.set_attr("prompt", rules_value(&rules.prompt));
        state.set_attr("response", rules_value(&rules.response));
    }

    fn write(g: &mut Gateway, planned: &Value, _config: &Value) {
        let rules = Rules { prompt: rules_of(planned.attr("prompt")), response: rules_of(planned.attr("response")) };
        g.extra.insert("guardrails".into(), serde_json::to_value(rules).unwrap_or(serde_json::Value::Null));
    }

    fn disable(g: &mut Gateway) {
        // Left out of the full PUT, the field goes back to its default: off.
        g.extra.remove("guardrails");
    }

    fn attribute_path(api_path: &[serde_json::Value]) -> Option<AttributePath> {
        match api_path {
            [field, side, rest @ ..] if field == "guardrails" => {
                let p = AttributePath::root(side.as_str()?);
                Some(match rest.first().and_then(|c| c.as_str()) {
                    Some(category) => p.key(category),
                    None => p,
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(prompt: &[(&str, &str)]) -> Value {
        Value::object([
            ("prompt", Value::Map(prompt.iter().map(|(k, v)| (k.to_string(), Value::from(*v))).collect())),
            ("response", Value::Null),
        ])
    }

    #[test]
    fn categories_and_actions_are_checked_with_their_key() {
        let mut d = Diagnostics::new();
        Guardrails::validate(&mut d, &config(&[("S14", "FLAG"), ("S1", "DROP"), ("P1", "BLOCK")]));
        let errors: Vec<_> = d.iter().map(|x| (x.attribute.clone(), x.summary.clone())).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].0, Some(AttributePath::root("prompt").key("S1")));
        assert_eq!(errors[0].1, "Invalid guardrail action");
        assert_eq!(errors[1].0, Some(AttributePath::root("prompt").key("S14")));
    }

    #[test]
    fn written_rules_read_back_the_same() {
        let mut g: Gateway = serde_json::from_value(serde_json::json!({"id": "g"})).expect("gateway");
        let c = config(&[("P1", "BLOCK"), ("S10", "FLAG")]);
        Guardrails::write(&mut g, &c, &c);
        assert!(Guardrails::enabled(&g));
        let mut s = Value::object::<[(&str, Value); 0], &str>([]);
        Guardrails::read(&g, &Value::Null, &mut s);
        assert_eq!(s.attr("prompt"), c.attr("prompt"));
        assert!(s.attr("response").is_null());
        Guardrails::disable(&mut g);
        assert!(!Guardrails::enabled(&g));
        assert!(!g.to_update_body().contains_key("guardrails"));
    }
}
