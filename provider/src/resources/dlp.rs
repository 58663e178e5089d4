//! `aigw_dlp`: a gateway's data loss prevention, as policies. Each policy
//! names DLP profiles (e.g. `credit_card`, `email`), the sides it checks
//! (`REQUEST`, `RESPONSE`) and what a match does (`FLAG` or `BLOCK`).
//! The provider always writes the API's policy form; a gateway set up in
//! the profile form reads as one policy with id `default`. Destroying it
//! switches DLP off. The CRUD is the shared gateway-setting one.
use std::collections::BTreeSet;

use aigw_cloudflare::Gateway;
use aigw_cloudflare::controls::{Action, Check, Dlp as Settings, DlpPolicy};
use tfplugin::schema::{Attribute, NestedObject, Nesting};
use tfplugin::{AttributePath, Diagnostics, Type, Value};

use super::gateway_settings::{GatewaySetting, SettingResource};

pub struct Dlp;
pub type DlpResource = SettingResource<Dlp>;

const MAX_POLICIES: usize = 50;
const BOTH: [Check; 2] = [Check::Request, Check::Response];

fn policy_schema() -> NestedObject {
    NestedObject {
        nesting: Nesting::List,
        attributes: vec![
            Attribute::new("id", Type::String).required().describe("The policy's id, unique on the gateway."),
            Attribute::new("action", Type::String)
                .required()
                .describe("`FLAG` (log the match, let it through) or `BLOCK` (refuse with 424)."),
            Attribute::new("profiles", Type::list(Type::String)).required().describe(
                "DLP profile ids to match, e.g. `credit_card`, `us_ssn`, `iban`, `email`, `phone`, `credentials`.",
            ),
            Attribute::new("check", Type::list(Type::String))
                .optional()
                .describe("Which sides to check: `REQUEST`, `RESPONSE` or both. Default both."),
            Attribute::new("enabled", Type::Bool)
                .optional()
                .describe("False keeps the policy but stops applying it. Default `true`."),
        ],
    }
}

fn action_of(v: &Value) -> Action {
    if v.as_str() == Some("BLOCK") { Action::Block } else { Action::Flag }
}

fn check_of(v: &Value) -> Result<Check, ()> {
    match v.as_str() {
        Some("REQUEST") => Ok(Check::Request),
        Some("RESPONSE") => Ok(Check::Response),
        _ => Err(()),
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::List(items) => items.iter().filter_map(|s| s.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

fn policies_of(planned: &Value) -> Vec<DlpPolicy> {
    let Value::List(items) = planned.attr("policies") else { return Vec::new() };
    items
        .iter()
        .map(|p| {
            let check = match p.attr("check") {
                Value::List(c) => c.iter().filter_map(|c| check_of(c).ok()).collect(),
                _ => BOTH.to_vec(),
            };
            DlpPolicy {
                id: p.attr("id").as_str().unwrap_or_default().to_string(),
                action: action_of(p.attr("action")),
                check,
                enabled: p.attr("enabled").as_bool().unwrap_or(true),
                profiles: strings(p.attr("profiles")),
            }
        })
        .collect()
}

/// The gateway's policies in policy form, the profile form as one policy.
fn policies_in(d: &Settings) -> Vec<DlpPolicy> {
    if let Some(p) = &d.policies {
        return p.clone();
    }
    match (&d.profiles, d.action) {
        (Some(profiles), Some(action)) => vec![DlpPolicy {
            id: "default".into(),
            action,
            check: BOTH.to_vec(),
            enabled: true,
            profiles: profiles.clone(),
        }],
        _ => Vec::new(),
    }
}

/// Policies as state: `check` and `enabled` at their defaults show as null
/// where the prior policy of that id left them out.
fn policies_value(policies: &[DlpPolicy], prior: &Value) -> Value {
    let prior_policies = match prior.attr("policies") {
        Value::List(p) => p.clone(),
        _ => Vec::new(),
    };
    let list = policies
        .iter()
        .map(|p| {
            let before = prior_policies.iter().find(|b| b.attr("id").as_str() == Some(p.id.as_str()));
            let was_null = |name: &str| before.is_none_or(|b| b.attr(name).is_null());
            let check = if p.check == BOTH && was_null("check") {
                Value::Null
            } else {
                Value::List(p.check.iter().map(|c| Value::from(c.as_str())).collect())
            };
            let enabled = if p.enabled && was_null("enabled") { Value::Null } else { Value::Bool(p.enabled) };
            Value::object([
                ("id", Value::from(p.id.as_str())),
                ("action", Value::from(p.action.as_str())),
                ("profiles", Value::List(p.profiles.iter().map(|s| Value::from(s.as_str())).collect())),
                ("check", check),
                ("enabled", enabled),
            ])
        })
        .collect();
    Value::List(list)
}

fn validate_policy(d: &mut Diagnostics, p: &Value, at: AttributePath, ids: &mut BTreeSet<String>) {
    if let Some(id) = p.attr("id").as_str() {
        if id.is_empty() || id.len() > 64 {
            d.attribute_error(at.clone().attr("id"), "Invalid policy id", "A policy id is 1 to 64 characters.");
        } else if !ids.insert(id.to_string()) {
            d.attribute_error(
                at.clone().attr("id"),
                "Duplicate policy id",
                format!("Another policy already has id {id:?}; ids must be unique on the gateway."),
            );
        }
    }
    if let Some(a) = p.attr("action").as_str()
        && a != "FLAG"
        && a != "BLOCK"
    {
        d.attribute_error(
            at.clone().attr("action"),
            "Invalid action",
            format!("action must be \"FLAG\" or \"BLOCK\"; got {a:?}."),
        );
    }
    if let Value::List(profiles) = p.attr("profiles") {
        if profiles.is_empty() {
            d.attribute_error(at.clone().attr("profiles"), "No profiles", "A policy needs at least one DLP profile.");
        }
        for (j, profile) in profiles.iter().enumerate() {
            if profile.as_str() == Some("") {
                d.attribute_error(
                    at.clone().attr("profiles").index(j as i64),
                    "Empty profile id",
                    "A profile id cannot be empty.",
                );
            }
        }
    }
    if let Value::List(checks) = p.attr("check") {
        if checks.is_empty() {
            d.attribute_error(
                at.clone().attr("check"),
                "Nothing to check",
                "check needs \"REQUEST\", \"RESPONSE\" or both; leave it out for both.",
            );
        }
        let mut seen = BTreeSet::new();
        for (j, c) in checks.iter().enumerate() {
            let path = at.clone().attr("check").index(j as i64);
            match (c.as_str(), check_of(c)) {
                (Some(s), Err(())) => d.attribute_error(
                    path,
                    "Invalid check",
                    format!("check entries are \"REQUEST\" or \"RESPONSE\"; got {s:?}."),
                ),
                (Some(s), Ok(_)) if !seen.insert(s) => {
                    d.attribute_error(path, "Duplicate check", format!("{s:?} is listed twice."))
                }
                _ => {}
            }
        }
    }
}

impl GatewaySetting for Dlp {
    const TYPE_NAME: &'static str = "aigw_dlp";
    const WHAT: &'static str = "DLP";
    const DESCRIPTION: &'static str = "Data loss prevention on a gateway: policies that scan requests and responses \
        with DLP profiles and flag or block what matches. Destroying it switches DLP off.";

    fn attributes() -> Vec<Attribute> {
        vec![
            Attribute::nested("policies", policy_schema())
                .required()
                .describe(format!("DLP policies, 1 to {MAX_POLICIES}, applied in order.")),
        ]
    }

    fn validate(d: &mut Diagnostics, config: &Value) {
        let hint = " Destroy it to switch DLP off.";
        let Some(items) = crate::validators::items(d, config, Self::TYPE_NAME, "policies", MAX_POLICIES, hint) else {
            return;
        };
        let mut ids = BTreeSet::new();
        for (i, p) in items.iter().enumerate() {
            validate_policy(d, p, AttributePath::root("policies").index(i as i64), &mut ids);
        }
    }

    fn enabled(g: &Gateway) -> bool {
        g.dlp().is_some_and(|d| d.enabled && !policies_in(&d).is_empty())
    }

    fn read(g: &Gateway, prior: &Value, state: &mut Value) {
        let policies = g.dlp().map(|d| policies_in(&d)).unwrap_or_default();
        state.set_attr("policies", policies_value(&policies, prior));
    }

    fn write(g: &mut Gateway, planned: &Value, _config: &Value) {
        let settings = Settings { enabled: true, policies: Some(policies_of(planned)), ..Settings::default() };
        g.extra.insert("dlp".into(), serde_json::to_value(settings).unwrap_or(serde_json::Value::Null));
    }

    fn disable(g: &mut Gateway) {
        // Left out of the full PUT, the field goes back to its default: off.
        g.extra.remove("dlp");
    }

    fn attribute_path(api_path: &[serde_json::Value]) -> Option<AttributePath> {
        match api_path {
            [field, rest @ ..] if field == "dlp" && rest.first().is_some_and(|s| s == "policies") => {
                crate::error::attribute_path(rest)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
