//! The runtime's safety phase: guardrails and DLP on the prompt before
//! anything else runs (rate limits, cache, upstream), and on the response
//! before it is cached or returned. FLAG records what was found in the log
//! (and, for DLP, in the `cf-aig-dlp` header); BLOCK answers with
//! Cloudflare's codes: 424/2016 (prompt) and 424/2017 (response) for
//! guardrails, 2029 (request) and 2030 (response) for DLP. A streamed answer
//! that must be checked is buffered and sent once checked, as Cloudflare
//! does for guardrails.
pub mod dlp;
pub mod guardrails;
pub mod text;

use aigw_cloudflare::Gateway;
use aigw_cloudflare::controls::{Action, CATEGORIES, Check, DlpPolicy, Guardrails};
use serde_json::{Value, json};

use super::error::RuntimeError;
use guardrails::Side;

/// The emulator-wide registries the checks read: DLP profiles and the
/// guardrail classifier's rules.
#[derive(Default)]
pub struct Safety {
    pub profiles: dlp::Profiles,
    pub classifier: guardrails::Classifier,
}

/// One DLP match: which policy and profile, which entries, on which side.
#[derive(Debug, Clone, PartialEq)]
pub struct DlpFinding {
    pub policy_id: String,
    pub profile_id: String,
    pub entry_ids: Vec<String>,
    pub check: Check,
    pub action: Action,
}

/// Everything the checks found in one request and its response.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Findings {
    pub prompt: Vec<(&'static str, Action)>,
    pub response: Vec<(&'static str, Action)>,
    pub dlp: Vec<DlpFinding>,
}

impl Findings {
    pub fn is_empty(&self) -> bool {
        self.prompt.is_empty() && self.response.is_empty() && self.dlp.is_empty()
    }

    /// The strongest DLP action taken, for the log's `dlp_action`.
    pub fn dlp_action(&self) -> Option<Action> {
        self.dlp.iter().map(|f| f.action).max()
    }

    /// The log entry's `guardrails` field.
    pub fn guardrails_log(&self) -> Option<Value> {
        if self.prompt.is_empty() && self.response.is_empty() {
            return None;
        }
        let side = |v: &[(&'static str, Action)]| -> Value {
            v.iter()
                .map(|(c, a)| {
                    let name = CATEGORIES.iter().find(|(k, _)| k == c).map_or("", |(_, n)| *n);
                    json!({"category": c, "name": name, "action": a.as_str()})
                })
                .collect()
        };
        Some(json!({"prompt": side(&self.prompt), "response": side(&self.response)}))
    }

    /// The log entry's `dlp` field: action, checks, policies, profiles, entries.
    pub fn dlp_log(&self) -> Option<Value> {
        let action = self.dlp_action()?;
        let uniq = |f: &dyn Fn(&DlpFinding) -> Vec<String>| -> Vec<String> {
            let mut v: Vec<String> = self.dlp.iter().flat_map(f).collect();
            v.sort();
            v.dedup();
            v
        };
        Some(json!({
            "action": action.as_str(),
            "check": uniq(&|f| vec![f.check.as_str().to_string()]),
            "policies": uniq(&|f| vec![f.policy_id.clone()]),
            "profiles": uniq(&|f| vec![f.profile_id.clone()]),
            "entries": uniq(&|f| f.entry_ids.clone()),
        }))
    }

    /// The `cf-aig-dlp` response header's JSON.
    pub fn dlp_header(&self) -> Option<String> {
        let action = self.dlp_action()?;
        let findings: Vec<Value> = self
            .dlp
            .iter()
            .map(|f| {
                json!({
                    "profile": {"context": null, "entry_ids": f.entry_ids, "profile_id": f.profile_id},
                    "policy_ids": [f.policy_id],
                    "check": f.check.as_str(),
                })
            })
            .collect();
        Some(json!({"findings": findings, "action": action.as_str()}).to_string())
    }
}

/// A gateway's safety settings, read once per request.
#[derive(Debug, Clone, Default)]
pub struct Controls {
    guardrails: Guardrails,
    policies: Vec<DlpPolicy>,
}

impl Controls {
    pub fn of(g: &Gateway) -> Controls {
        Controls {
            guardrails: g.guardrails().unwrap_or_default(),
            policies: g.dlp().map(|d| d.effective()).unwrap_or_default(),
        }
    }

    pub fn is_off(&self) -> bool {
        self.guardrails.is_empty() && self.policies.is_empty()
    }

    /// Whether the response must be seen whole before it is sent.
    pub fn checks_response(&self) -> bool {
        !self.guardrails.response.is_empty() || self.policies.iter().any(|p| p.check.contains(&Check::Response))
    }

    /// Checks the request body; `Err` is the refusal to send.
    pub fn request(&self, safety: &Safety, body: &[u8], found: &mut Findings) -> Result<(), RuntimeError> {
        if self.is_off() {
            return Ok(());
        }
        let words = text::prompt(body);
        found.prompt = verdicts(&self.guardrails.prompt, &safety.classifier.classify(&words, Side::Prompt));
        let blocked_by_guardrails = found.prompt.iter().any(|(_, a)| *a == Action::Block);
        let blocked_by_dlp = self.dlp(safety, &words, Check::Request, found);
        if blocked_by_guardrails {
            return Err(RuntimeError::prompt_blocked());
        }
        if blocked_by_dlp { Err(RuntimeError::dlp_blocked(Check::Request)) } else { Ok(()) }
    }

    /// Checks a whole response body (JSON, or a buffered SSE stream).
    pub fn response(&self, safety: &Safety, body: &[u8], found: &mut Findings) -> Result<(), RuntimeError> {
        if !self.checks_response() {
            return Ok(());
        }
        let words = text::answer(body);
        found.response = verdicts(&self.guardrails.response, &safety.classifier.classify(&words, Side::Response));
        let blocked_by_guardrails = found.response.iter().any(|(_, a)| *a == Action::Block);
        let blocked_by_dlp = self.dlp(safety, &words, Check::Response, found);
        if blocked_by_guardrails {
            return Err(RuntimeError::response_blocked());
        }
        if blocked_by_dlp { Err(RuntimeError::dlp_blocked(Check::Response)) } else { Ok(()) }
    }

    /// Runs the policies that check `side`; true when one blocks.
    fn dlp(&self, safety: &Safety, words: &str, side: Check, found: &mut Findings) -> bool {
        let mut blocked = false;
        for policy in self.policies.iter().filter(|p| p.check.contains(&side)) {
            for id in &policy.profiles {
                let Some(profile) = safety.profiles.get(id) else { continue };
                let entry_ids = profile.scan(words);
                if entry_ids.is_empty() {
                    continue;
                }
                blocked |= policy.action == Action::Block;
                found.dlp.push(DlpFinding {
                    policy_id: policy.id.clone(),
                    profile_id: profile.id.clone(),
                    entry_ids,
                    check: side,
                    action: policy.action,
                });
            }
        }
        blocked
    }
}

/// The configured action of each category found, for categories configured.
fn verdicts(
    config: &std::collections::BTreeMap<String, Action>,
    found: &[&'static str],
) -> Vec<(&'static str, Action)> {
    found.iter().filter_map(|c| config.get(*c).map(|a| (*c, *a))).collect()
}

#[cfg(test)]
mod tests;
