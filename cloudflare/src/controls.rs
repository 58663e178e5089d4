//! The gateway's safety settings as the API holds them: `guardrails`
//! (`{prompt:{P1,S1..S13: FLAG|BLOCK}, response:{...}}`, a category left
//! out is ignored) and `dlp` (a profile list with one action, or policies
//! that each check the request, the response or both). The provider writes
//! them; the emulator validates and enforces them. [`check_guardrails`] and
//! [`check_dlp`] return every problem with its JSON path, so the emulator
//! can answer 7001 the way the API does.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// What a matching guardrail category or DLP policy does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Action {
    /// Record it in the log and let the request through.
    Flag,
    /// Refuse the request (or the response).
    Block,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Flag => "FLAG",
            Action::Block => "BLOCK",
        }
    }
}

/// Guardrail categories: Llama Guard 3's hazards and Prompt Guard's injection.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("P1", "Prompt Injection"),
    ("S1", "Violent Crimes"),
    ("S2", "Non-Violent Crimes"),
    ("S3", "Sex-Related Crimes"),
    ("S4", "Child Sexual Exploitation"),
    ("S5", "Defamation"),
    ("S6", "Specialized Advice"),
    ("S7", "Privacy"),
    ("S8", "Intellectual Property"),
    ("S9", "Indiscriminate Weapons"),
    ("S10", "Hate"),
    ("S11", "Suicide & Self-Harm"),
    ("S12", "Sexual Content"),
    ("S13", "Elections"),
];

/// `guardrails`: per category, what to do when the prompt or the response
/// falls in it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Guardrails {
    #[serde(default)]
    pub prompt: BTreeMap<String, Action>,
    #[serde(default)]
    pub response: BTreeMap<String, Action>,
}

impl Guardrails {
    pub fn is_empty(&self) -> bool {
        self.prompt.is_empty() && self.response.is_empty()
    }
}

/// Which side of the exchange a DLP policy checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Check {
    Request,
    Response,
}

impl Check {
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Request => "REQUEST",
            Check::Response => "RESPONSE",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DlpPolicy {
    pub id: String,
    pub action: Action,
    pub check: Vec<Check>,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub profiles: Vec<String>,
}

fn yes() -> bool {
    true
}

/// `dlp`, in either of the API's two forms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dlp {
    pub enabled: bool,
    /// Profile form: one action for every listed profile, both directions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profiles: Option<Vec<String>>,
    /// Policy form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Vec<DlpPolicy>>,
}

impl Dlp {
    /// The policies in force: the policy form's enabled ones, or the profile
    /// form as one policy (id `default`) checking both directions.
    pub fn effective(&self) -> Vec<DlpPolicy> {
        if !self.enabled {
            return Vec::new();
        }
        if let Some(p) = &self.policies {
            return p.iter().filter(|p| p.enabled).cloned().collect();
        }
        match (&self.profiles, self.action) {
            (Some(profiles), Some(action)) if !profiles.is_empty() => vec![DlpPolicy {
                id: "default".into(),
                action,
                check: vec![Check::Request, Check::Response],
                enabled: true,
                profiles: profiles.clone(),
            }],
            _ => Vec::new(),
        }
    }
}

/// One problem in a settings body: where (JSON path below the field) and what.
pub type Problem = (Vec<Json>, String);

fn at(path: &[&str], extra: Option<Json>, message: impl Into<String>) -> Problem {
    let mut p: Vec<Json> = path.iter().map(|s| Json::from(*s)).collect();
    p.extend(extra);
    (p, message.into())
}

fn action_problem(v: &Json) -> Option<String> {
    match v.as_str() {
        Some("FLAG" | "BLOCK") => None,
        Some(s) => Some(format!("Invalid enum value. Expected 'FLAG' | 'BLOCK', received '{s}'")),
        None => Some("Expected 'FLAG' | 'BLOCK'".into()),
    }
}

/// Problems in a `guardrails` value (null is allowed: guardrails off).
pub fn check_guardrails(v: &Json) -> Vec<Problem> {
    let mut out = Vec::new();
    if v.is_null() {
        return out;
    }
    let Some(obj) = v.as_object() else {
        return vec![at(&["guardrails"], None, "Expected object")];
    };
    for (side, rules) in obj {
        if side != "prompt" && side != "response" {
            out.push(at(&["guardrails", side], None, "Unrecognized key: expected 'prompt' or 'response'"));
            continue;
        }
        let Some(rules) = rules.as_object() else {
            if !rules.is_null() {
                out.push(at(&["guardrails", side], None, "Expected object"));
            }
            continue;
        };
        for (cat, action) in rules {
            if !CATEGORIES.iter().any(|(c, _)| c == cat) {
                out.push(at(&["guardrails", side, cat], None, "Unknown category: expected P1 or S1-S13"));
            } else if let Some(p) = action_problem(action) {
                out.push(at(&["guardrails", side, cat], None, p));
            }
        }
    }
    out
}

/// Problems in a `dlp` value; `known_profile` says whether a profile id exists.
pub fn check_dlp(v: &Json, known_profile: &dyn Fn(&str) -> bool) -> Vec<Problem> {
    let mut out = Vec::new();
    if v.is_null() {
        return out;
    }
    let Some(obj) = v.as_object() else {
        return vec![at(&["dlp"], None, "Expected object")];
    };
    if !obj.get("enabled").is_some_and(Json::is_boolean) {
        out.push(at(&["dlp", "enabled"], None, "Required: expected boolean"));
    }
    let profiles = |out: &mut Vec<Problem>, v: Option<&Json>, base: Vec<Json>| {
        let Some(list) = v.and_then(Json::as_array) else {
            out.push((base, "Expected an array of profile ids".into()));
            return;
        };
        for (j, p) in list.iter().enumerate() {
            let mut path = base.clone();
            path.push(Json::from(j));
            match p.as_str() {
                Some(id) if known_profile(id) => {}
                Some(id) => out.push((path, format!("Unknown DLP profile '{id}'"))),
                None => out.push((path, "Expected string".into())),
            }
        }
    };
    match (obj.get("policies"), obj.get("profiles")) {
        (Some(_), Some(_)) => out.push(at(&["dlp"], None, "Use either profiles and action, or policies, not both")),
        (Some(Json::Array(policies)), None) => {
            let mut ids = std::collections::BTreeSet::new();
            for (i, p) in policies.iter().enumerate() {
                let ix = Some(Json::from(i));
                match p.get("id").and_then(Json::as_str) {
                    Some(id) if !id.is_empty() && ids.insert(id) => {}
                    Some(id) if !id.is_empty() => {
                        out.push(at(&["dlp", "policies"], ix.clone(), format!("Duplicate policy id '{id}'")))
                    }
                    _ => out.push(at(&["dlp", "policies"], ix.clone(), "id: Required: expected a non-empty string")),
                }
                if let Some(problem) = p.get("action").map_or(Some("Required".into()), action_problem) {
                    out.push(at(&["dlp", "policies"], ix.clone(), format!("action: {problem}")));
                }
                let checks_ok = p.get("check").and_then(Json::as_array).is_some_and(|c| {
                    !c.is_empty() && c.iter().all(|x| matches!(x.as_str(), Some("REQUEST" | "RESPONSE")))
                });
                if !checks_ok {
                    out.push(at(
                        &["dlp", "policies"],
                        ix.clone(),
                        "check: expected a non-empty array of 'REQUEST' | 'RESPONSE'",
                    ));
                }
                profiles(
                    &mut out,
                    p.get("profiles"),
                    vec!["dlp".into(), "policies".into(), i.into(), "profiles".into()],
                );
            }
        }
        (Some(_), None) => out.push(at(&["dlp", "policies"], None, "Expected array")),
        (None, Some(_)) => {
            profiles(&mut out, obj.get("profiles"), vec!["dlp".into(), "profiles".into()]);
            if let Some(problem) = obj.get("action").map_or(Some("Required".into()), action_problem) {
                out.push(at(&["dlp", "action"], None, problem));
            }
        }
        (None, None) => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn guardrails_keys_are_upper_case_categories() {
        let g: Guardrails = serde_json::from_value(json!({"prompt": {"P1": "BLOCK", "S1": "FLAG"}})).unwrap();
        assert_eq!(g.prompt["P1"], Action::Block);
        assert!(g.response.is_empty());
        assert!(check_guardrails(&json!({"prompt": {"S1": "FLAG"}, "response": {"S13": "BLOCK"}})).is_empty());
        let p = check_guardrails(&json!({"prompt": {"S14": "FLAG", "S2": "DROP"}, "input": {}}));
        let paths: Vec<_> = p.iter().map(|(p, _)| Json::from(p.clone())).collect();
        assert_eq!(
            paths,
            [
                json!(["guardrails", "prompt", "S14"]),
                json!(["guardrails", "prompt", "S2"]),
                json!(["guardrails", "input"])
            ]
        );
    }

    #[test]
    fn dlp_profile_form_is_one_policy_both_ways() {
        let d: Dlp = serde_json::from_value(json!({"enabled": true, "action": "FLAG", "profiles": ["a"]})).unwrap();
        let p = d.effective();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].check, [Check::Request, Check::Response]);
        let off: Dlp = serde_json::from_value(json!({"enabled": false, "action": "FLAG", "profiles": ["a"]})).unwrap();
        assert!(off.effective().is_empty());
    }

    #[test]
    fn dlp_problems_name_the_policy() {
        let known = |id: &str| id == "credit_card";
        let v = json!({"enabled": true, "policies": [
            {"id": "p", "action": "BLOCK", "check": ["REQUEST"], "profiles": ["credit_card"]},
            {"id": "p", "action": "STOP", "check": [], "profiles": ["nope"]}
        ]});
        let msgs: Vec<String> = check_dlp(&v, &known).into_iter().map(|(_, m)| m).collect();
        assert_eq!(msgs.len(), 4, "{msgs:?}");
        assert!(msgs[0].contains("Duplicate policy id 'p'"));
        assert!(msgs[3].contains("Unknown DLP profile 'nope'"));
        assert!(
            check_dlp(&json!({"enabled": true, "action": "BLOCK", "profiles": ["credit_card"]}), &known).is_empty()
        );
    }
}
