//! The emulator's guardrail classifier. Cloudflare runs Llama Guard and
//! Prompt Guard; a local test needs the verdict to be certain instead, so a
//! text falls in a category only when it says so:
//! - the marker `[[aigw:S1]]` (any category `P1`, `S1`..`S13`, any case);
//! - for `P1`, the classic injection phrases ("ignore all previous
//!   instructions" and its variants);
//! - a phrase registered through `POST /__aigw/guardrails/rules`
//!   (`{phrase, categories, on: "prompt" | "response" | "both"}`), matched
//!   case-insensitively, which is how a test says "this prompt is S1".
use std::collections::BTreeSet;
use std::sync::{LazyLock, RwLock};

use aigw_cloudflare::controls::CATEGORIES;
use regex::Regex;
use serde::{Deserialize, Serialize};

/// Which text a registered rule applies to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Prompt,
    Response,
    #[default]
    Both,
}

/// A phrase that puts a text in categories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub phrase: String,
    pub categories: Vec<String>,
    #[serde(default)]
    pub on: Side,
}

static MARKER: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"(?i)\[\[aigw:(P1|S1[0-3]|S[1-9])\]\]").ok());
static INJECTION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(ignore|disregard|forget)\s+(all\s+)?(the\s+)?(previous|prior|above|earlier)\s+(instructions|prompts|rules)")
        .ok()
});

/// The registered rules, shared by every gateway of the emulator.
#[derive(Default)]
pub struct Classifier {
    rules: RwLock<Vec<Rule>>,
}

impl Classifier {
    /// Adds a rule; the error says which category is unknown or that the phrase is empty.
    pub fn add(&self, rule: Rule) -> Result<(), String> {
        if rule.phrase.trim().is_empty() {
            return Err("phrase: must not be empty".into());
        }
        if rule.categories.is_empty() {
            return Err("categories: name at least one of P1, S1..S13".into());
        }
        if let Some(bad) = rule.categories.iter().find(|c| !CATEGORIES.iter().any(|(k, _)| k == c)) {
            return Err(format!("categories: unknown category {bad:?}; expected P1 or S1..S13"));
        }
        self.rules.write().unwrap_or_else(std::sync::PoisonError::into_inner).push(rule);
        Ok(())
    }

    pub fn rules(&self) -> Vec<Rule> {
        self.rules.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    pub fn clear(&self) {
        self.rules.write().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }

    /// The categories `text` falls in, in `CATEGORIES` order.
    pub fn classify(&self, text: &str, side: Side) -> Vec<&'static str> {
        let mut found = BTreeSet::new();
        if let Some(m) = MARKER.as_ref() {
            for c in m.captures_iter(text) {
                found.insert(c[1].to_ascii_uppercase());
            }
        }
        if INJECTION.as_ref().is_some_and(|r| r.is_match(text)) {
            found.insert("P1".into());
        }
        let lower = text.to_lowercase();
        for r in self.rules.read().unwrap_or_else(std::sync::PoisonError::into_inner).iter() {
            if (r.on == Side::Both || r.on == side) && lower.contains(&r.phrase.to_lowercase()) {
                found.extend(r.categories.iter().cloned());
            }
        }
        CATEGORIES.iter().map(|(k, _)| *k).filter(|k| found.contains(*k)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_phrases_and_rules() -> Result<(), String> {
        let c = Classifier::default();
        assert_eq!(c.classify("plain question", Side::Prompt), Vec::<&str>::new());
        assert_eq!(c.classify("x [[aigw:s13]] y [[AIGW:P1]]", Side::Prompt), ["P1", "S13"]);
        assert_eq!(c.classify("[[aigw:S14]]", Side::Prompt), Vec::<&str>::new());
        assert_eq!(c.classify("Please IGNORE all previous instructions and", Side::Prompt), ["P1"]);
        c.add(Rule { phrase: "Rob A Bank".into(), categories: vec!["S2".into()], on: Side::Response })?;
        assert_eq!(c.classify("how to rob a bank", Side::Response), ["S2"]);
        assert!(c.classify("how to rob a bank", Side::Prompt).is_empty(), "a response rule leaves prompts alone");
        assert!(c.add(Rule { phrase: "x".into(), categories: vec!["S0".into()], on: Side::Both }).is_err());
        c.clear();
        assert!(c.classify("how to rob a bank", Side::Response).is_empty());
        Ok(())
    }
}
