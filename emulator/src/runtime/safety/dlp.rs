//! DLP detection: the predefined profiles a team picks (credit cards with
//! the Luhn check, US Social Security numbers, IBANs with their mod-97 check,
//! email addresses, phone numbers, provider API keys and secrets) and custom
//! profiles of regex entries registered through `/__aigw/dlp/profiles`. A
//! profile is a list of entries; a scan answers which entries matched.
use std::collections::BTreeMap;
use std::sync::{LazyLock, RwLock};

use regex::Regex;
use serde::{Deserialize, Serialize};

/// How an entry recognises its data.
#[derive(Debug, Clone)]
enum Detector {
    /// Every match counts.
    Pattern(Regex),
    /// A match counts when `valid` accepts it (checksums, reserved ranges).
    Checked(Regex, fn(&str) -> bool),
}

impl Detector {
    fn found(&self, text: &str) -> bool {
        match self {
            Detector::Pattern(re) => re.is_match(text),
            Detector::Checked(re, valid) => re.find_iter(text).any(|m| valid(m.as_str())),
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    id: String,
    detector: Detector,
}

/// A profile: its id, its name and its entries.
#[derive(Debug, Clone)]
pub struct Profile {
    pub id: String,
    pub name: String,
    entries: Vec<Entry>,
}

impl Profile {
    /// The ids of the entries that match `text`.
    pub fn scan(&self, text: &str) -> Vec<String> {
        self.entries.iter().filter(|e| e.detector.found(text)).map(|e| e.id.clone()).collect()
    }
}

fn re(pattern: &str) -> Regex {
    // The patterns are constants of this file, covered by its tests.
    Regex::new(pattern).unwrap_or_else(|e| panic!("built-in DLP pattern {pattern:?}: {e}"))
}

fn digits(s: &str) -> Vec<u32> {
    s.chars().filter_map(|c| c.to_digit(10)).collect()
}

/// Luhn's check digit test, on the digits of `s`.
pub fn luhn(s: &str) -> bool {
    let d = digits(s);
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| if i % 2 == 1 { if x * 2 > 9 { x * 2 - 9 } else { x * 2 } } else { x })
        .sum();
    !d.is_empty() && sum.is_multiple_of(10)
}

/// A payment card number: 13-19 digits, a major network's leading digit,
/// Luhn. A match that ran on into a following group of digits (a date, an
/// expiry) is tried group by group from its start.
fn card(s: &str) -> bool {
    let groups: Vec<&str> = s.split([' ', '-']).collect();
    (1..=groups.len()).any(|k| {
        let joined = groups[..k].concat();
        let d = digits(&joined);
        (13..=19).contains(&d.len()) && matches!(d[0], 2..=6) && luhn(&joined)
    })
}

/// A US SSN outside the never-issued ranges (area 000, 666, 900-999; group
/// 00; serial 0000).
fn ssn(s: &str) -> bool {
    let d: String = s.chars().filter(char::is_ascii_digit).collect();
    let (area, group, serial) = (&d[0..3], &d[3..5], &d[5..9]);
    area != "000" && area != "666" && !area.starts_with('9') && group != "00" && serial != "0000"
}

/// IBAN lengths of the countries that use it most.
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AT", 20),
    ("BE", 16),
    ("CH", 21),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("ES", 24),
    ("FI", 18),
    ("FR", 27),
    ("GB", 22),
    ("GR", 27),
    ("HU", 28),
    ("IE", 22),
    ("IT", 27),
    ("LU", 20),
    ("NL", 18),
    ("NO", 15),
    ("PL", 28),
    ("PT", 25),
    ("RO", 24),
    ("SE", 24),
    ("SK", 24),
];

/// An IBAN of a known country length whose mod-97 check is 1. The match
/// may run on into the next word; the IBAN must end at a space or the end.
pub fn iban(s: &str) -> bool {
    let upper = s.to_ascii_uppercase();
    let Some(&(_, len)) = IBAN_LENGTHS.iter().find(|(c, _)| upper.starts_with(c)) else { return false };
    let mut compact = String::new();
    let mut chars = upper.chars().peekable();
    while compact.len() < len {
        match chars.next() {
            Some(c) if c.is_ascii_alphanumeric() => compact.push(c),
            Some(' ') => {}
            _ => return false,
        }
    }
    if chars.peek().is_some_and(|c| *c != ' ') {
        return false;
    }
    let rotated = format!("{}{}", &compact[4..], &compact[..4]);
    let mut rem: u64 = 0;
    for c in rotated.chars() {
        let v = match c.to_digit(36) {
            Some(v) => v as u64,
            None => return false,
        };
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    rem == 1
}

fn entry(id: &str, detector: Detector) -> Entry {
    Entry { id: id.to_string(), detector }
}

/// The predefined profiles, by id.
pub static PREDEFINED: LazyLock<Vec<Profile>> = LazyLock::new(|| {
    let profile = |id: &str, name: &str, entries: Vec<Entry>| Profile { id: id.into(), name: name.into(), entries };
    vec![
        profile(
            "credit_card",
            "Credit Card Numbers",
            vec![entry("credit_card_number", Detector::Checked(re(r"\b\d(?:[ -]?\d){12,18}\b"), card))],
        ),
        profile(
            "us_ssn",
            "U.S. Social Security Numbers",
            vec![entry("us_ssn", Detector::Checked(re(r"\b\d{3}[- ]\d{2}[- ]\d{4}\b"), ssn))],
        ),
        profile(
            "iban",
            "International Bank Account Numbers",
            vec![entry("iban", Detector::Checked(re(r"\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}\b"), iban))],
        ),
        profile(
            "email",
            "Email Addresses",
            vec![entry(
                "email_address",
                Detector::Pattern(re(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")),
            )],
        ),
        profile(
            "phone",
            "Phone Numbers",
            vec![
                entry("phone_e164", Detector::Pattern(re(r"(?:^|[^\w+])\+[1-9]\d{0,2}(?:[ .-]?\d){6,12}\b"))),
                entry("phone_nanp", Detector::Pattern(re(r"(?:^|[^\d-])\(?[2-9]\d{2}\)?[ .-]\d{3}[ .-]\d{4}\b"))),
            ],
        ),
        profile(
            "credentials",
            "Credentials and Secrets",
            vec![
                entry("anthropic_api_key", Detector::Pattern(re(r"\bsk-ant-[A-Za-z0-9_-]{20,}"))),
                entry(
                    "openai_api_key",
                    Detector::Pattern(re(r"\bsk-(?:proj-|svcacct-)?[A-Za-z0-9]{20,}[A-Za-z0-9_-]*")),
                ),
                entry("aws_access_key_id", Detector::Pattern(re(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"))),
                entry(
                    "github_token",
                    Detector::Pattern(re(r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{50,})\b")),
                ),
                entry("stripe_secret_key", Detector::Pattern(re(r"\b(?:sk|rk)_live_[A-Za-z0-9]{24,}\b"))),
                entry("google_api_key", Detector::Pattern(re(r"\bAIza[0-9A-Za-z_-]{35}"))),
                entry("slack_token", Detector::Pattern(re(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"))),
                entry(
                    "private_key",
                    Detector::Pattern(re(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----")),
                ),
            ],
        ),
    ]
});

/// A custom profile as registered: regex entries, and predefined profiles
/// it includes (so a production profile's id can stand for them).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomProfile {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub entries: Vec<CustomEntry>,
    #[serde(default)]
    pub includes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomEntry {
    pub id: String,
    pub regex: String,
}

/// Every profile a gateway may name: the predefined ones and the custom ones.
#[derive(Default)]
pub struct Profiles {
    custom: RwLock<BTreeMap<String, (CustomProfile, Profile)>>,
}

impl Profiles {
    /// Registers (or replaces) a custom profile; the error names what is wrong.
    pub fn register(&self, p: CustomProfile) -> Result<(), String> {
        if p.id.is_empty() || PREDEFINED.iter().any(|x| x.id == p.id) {
            return Err(format!("profile id {:?} is empty or names a predefined profile", p.id));
        }
        let mut entries = Vec::new();
        for e in &p.entries {
            let compiled = Regex::new(&e.regex).map_err(|err| format!("entry {:?}: invalid regex: {err}", e.id))?;
            entries.push(Entry { id: e.id.clone(), detector: Detector::Pattern(compiled) });
        }
        for inc in &p.includes {
            let Some(base) = PREDEFINED.iter().find(|x| &x.id == inc) else {
                return Err(format!("includes {inc:?}, which is not a predefined profile"));
            };
            entries.extend(base.entries.iter().cloned());
        }
        let profile = Profile { id: p.id.clone(), name: p.name.clone(), entries };
        self.custom.write().unwrap_or_else(std::sync::PoisonError::into_inner).insert(p.id.clone(), (p, profile));
        Ok(())
    }

    pub fn remove(&self, id: &str) -> bool {
        self.custom.write().unwrap_or_else(std::sync::PoisonError::into_inner).remove(id).is_some()
    }

    pub fn custom(&self) -> Vec<CustomProfile> {
        self.custom.read().unwrap_or_else(std::sync::PoisonError::into_inner).values().map(|(c, _)| c.clone()).collect()
    }

    pub fn knows(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    pub fn get(&self, id: &str) -> Option<Profile> {
        if let Some(p) = PREDEFINED.iter().find(|p| p.id == id) {
            return Some(p.clone());
        }
        self.custom.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(id).map(|(_, p)| p.clone())
    }
}

#[cfg(test)]
mod tests;
