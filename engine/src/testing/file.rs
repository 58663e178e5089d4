//! `*.aigwtest.hcl` files: `variables`, `upstream "<provider>"` blocks that
//! set simulated behaviour, `guardrail "<category>"` and `dlp_profile
//! "<id>"` blocks that set what the simulated safety checks find, and
//! `scenario "<name>"` blocks of `request`s and `assert`s. Every mistake is
//! reported with file and line.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aigw_emulator::Fault;
use aigw_emulator::runtime::safety::dlp::{CustomEntry, CustomProfile};
use aigw_emulator::runtime::safety::guardrails::{Rule, Side};
use hcl::{Block, Expression, Structure};

use crate::error::{Error, Loc};

#[derive(Debug, Clone)]
pub struct Request {
    pub name: String,
    pub gateway: Expression,
    /// None: the universal endpoint.
    pub provider: Option<Expression>,
    pub path: Option<Expression>,
    pub method: String,
    pub headers: Option<Expression>,
    pub body: Option<Expression>,
    pub count: usize,
    pub concurrency: usize,
    /// Moves the emulator's clock forward before sending.
    pub advance: Option<Duration>,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Assert {
    pub condition: Expression,
    pub error_message: Expression,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub requests: Vec<Request>,
    pub asserts: Vec<Assert>,
    pub loc: Loc,
}

#[derive(Debug, Clone, Default)]
pub struct TestFile {
    pub path: PathBuf,
    pub variables: BTreeMap<String, String>,
    pub upstreams: Vec<Fault>,
    /// Phrases the guardrail classifier puts in a category, with where they were declared.
    pub guardrails: Vec<(Rule, Loc)>,
    /// Custom DLP profiles, registered before the configuration is applied.
    pub dlp_profiles: Vec<(CustomProfile, Loc)>,
    pub scenarios: Vec<Scenario>,
}

/// `"61s"`, `"5m"`, `"1h"`, `"250ms"`.
pub fn duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (n, unit) = s.find(|c: char| !c.is_ascii_digit() && c != '.').map(|i| s.split_at(i))?;
    let n: f64 = n.parse().ok()?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(secs))
}

struct Src<'a> {
    file: String,
    text: &'a str,
}

impl Src<'_> {
    fn loc(&self, needle: &str, from: usize) -> Loc {
        let at = self.text[from.min(self.text.len())..].find(needle).map_or(0, |i| i + from);
        Loc::at(&self.file, self.text, at)
    }
}

fn literal_str(e: &Expression) -> Option<String> {
    match e {
        Expression::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn literal_int(e: &Expression) -> Option<i64> {
    match e {
        Expression::Number(n) => n.as_i64(),
        _ => None,
    }
}

fn label(b: &Block, loc: &Loc) -> Result<String, Error> {
    match b.labels() {
        [l] => Ok(l.as_str().to_string()),
        _ => Err(Error::config(loc, format!("a {} block takes one label", b.identifier()))),
    }
}

fn upstream(b: &Block, loc: &Loc) -> Result<Fault, Error> {
    let provider = label(b, loc)?;
    let mut f = Fault { provider, model: None, status: None, timeout: false, drop: false, latency_ms: 0, times: None };
    for a in b.body().attributes() {
        let e = a.expr();
        let bad = || Error::config(loc, format!("upstream.{}: unexpected value", a.key()));
        match a.key() {
            "model" => f.model = Some(literal_str(e).ok_or_else(bad)?),
            "status" => f.status = Some(literal_int(e).and_then(|n| u16::try_from(n).ok()).ok_or_else(bad)?),
            "failures" | "times" => f.times = Some(literal_int(e).and_then(|n| u32::try_from(n).ok()).ok_or_else(bad)?),
            "latency_ms" => f.latency_ms = literal_int(e).and_then(|n| u64::try_from(n).ok()).ok_or_else(bad)?,
            "latency" => f.latency_ms = literal_str(e).and_then(|s| duration(&s)).ok_or_else(bad)?.as_millis() as u64,
            "timeout" => f.timeout = matches!(e, Expression::Bool(true)),
            "drop" => f.drop = matches!(e, Expression::Bool(true)),
            other => {
                return Err(Error::config(
                    loc,
                    format!(
                        "unknown upstream argument {other:?} (model, status, failures, latency, latency_ms, timeout, drop)"
                    ),
                ));
            }
        }
    }
    if f.status.is_none() && !f.timeout && !f.drop && f.latency_ms == 0 {
        return Err(Error::config(loc, "an upstream block needs status, timeout, drop or latency"));
    }
    Ok(f)
}

/// `guardrail "S1" { phrase = "...", on = "prompt" | "response" | "both" }`.
fn guardrail(b: &Block, loc: &Loc) -> Result<Rule, Error> {
    let category = label(b, loc)?;
    let mut rule = Rule { phrase: String::new(), categories: vec![category], on: Side::Both };
    for a in b.body().attributes() {
        let bad = |what: &str| Error::config(loc, format!("guardrail.{}: {what}", a.key()));
        match a.key() {
            "phrase" => rule.phrase = literal_str(a.expr()).ok_or_else(|| bad("expected a string"))?,
            "on" => {
                rule.on = match literal_str(a.expr()).as_deref() {
                    Some("prompt") => Side::Prompt,
                    Some("response") => Side::Response,
                    Some("both") => Side::Both,
                    _ => return Err(bad("expected \"prompt\", \"response\" or \"both\"")),
                }
            }
            other => return Err(Error::config(loc, format!("unknown guardrail argument {other:?} (phrase, on)"))),
        }
    }
    if rule.phrase.trim().is_empty() {
        return Err(Error::config(
            loc,
            "a guardrail block needs a phrase: the text that puts a prompt or answer in the category",
        ));
    }
    Ok(rule)
}

/// `dlp_profile "employee_ids" { name, entries = { id = "regex" }, includes = ["email"] }`.
fn dlp_profile(b: &Block, loc: &Loc) -> Result<CustomProfile, Error> {
    let id = label(b, loc)?;
    let mut p = CustomProfile { id, name: String::new(), entries: Vec::new(), includes: Vec::new() };
    for a in b.body().attributes() {
        let bad = |what: &str| Error::config(loc, format!("dlp_profile.{}: {what}", a.key()));
        match (a.key(), a.expr()) {
            ("name", e) => p.name = literal_str(e).ok_or_else(|| bad("expected a string"))?,
            ("entries", Expression::Object(o)) => {
                for (k, v) in o {
                    let id = match k {
                        hcl::ObjectKey::Identifier(i) => i.to_string(),
                        hcl::ObjectKey::Expression(e) => literal_str(e).ok_or_else(|| bad("keys are entry ids"))?,
                        _ => return Err(bad("keys are entry ids")),
                    };
                    let regex = literal_str(v).ok_or_else(|| bad("values are regular expressions"))?;
                    p.entries.push(CustomEntry { id, regex });
                }
            }
            ("includes", Expression::Array(items)) => {
                for i in items {
                    p.includes.push(literal_str(i).ok_or_else(|| bad("expected predefined profile ids"))?);
                }
            }
            ("entries", _) => return Err(bad("expected an object of entry id = regex")),
            ("includes", _) => return Err(bad("expected a list of predefined profile ids")),
            (other, _) => {
                return Err(Error::config(
                    loc,
                    format!("unknown dlp_profile argument {other:?} (name, entries, includes)"),
                ));
            }
        }
    }
    if p.entries.is_empty() && p.includes.is_empty() {
        return Err(Error::config(loc, "a dlp_profile block needs entries, includes or both"));
    }
    Ok(p)
}

const REQUEST_ARGUMENTS: [&str; 9] =
    ["gateway", "provider", "path", "method", "headers", "body", "count", "concurrency", "advance"];

fn request(b: &Block, src: &Src, loc: Loc) -> Result<Request, Error> {
    let name = label(b, &loc)?;
    let mut r = Request {
        name,
        gateway: Expression::Null,
        provider: None,
        path: None,
        method: "POST".into(),
        headers: None,
        body: None,
        count: 1,
        concurrency: 1,
        advance: None,
        loc: loc.clone(),
    };
    for a in b.body().attributes() {
        let e = a.expr().clone();
        let int = |k: &str| {
            literal_int(&e)
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| *n >= 1)
                .ok_or_else(|| Error::config(&loc, format!("request.{k} must be a whole number >= 1")))
        };
        match a.key() {
            "gateway" => r.gateway = e,
            "provider" => r.provider = Some(e),
            "path" => r.path = Some(e),
            "method" => {
                r.method = literal_str(&e).ok_or_else(|| Error::config(&loc, "request.method must be a string"))?
            }
            "headers" => r.headers = Some(e),
            "body" => r.body = Some(e),
            "count" => r.count = int("count")?,
            "concurrency" => r.concurrency = int("concurrency")?,
            "advance" => {
                r.advance = Some(
                    literal_str(&e)
                        .and_then(|s| duration(&s))
                        .ok_or_else(|| Error::config(&loc, "request.advance must be a duration such as \"61s\""))?,
                )
            }
            other => {
                let hint = crate::error::did_you_mean(other, REQUEST_ARGUMENTS);
                return Err(Error::config(
                    &src.loc(other, loc.byte),
                    format!("unknown request argument {other:?}{hint} (it takes {})", REQUEST_ARGUMENTS.join(", ")),
                ));
            }
        }
    }
    if matches!(r.gateway, Expression::Null) {
        return Err(Error::config(&loc, format!("request {:?} needs gateway = <an aigw_gateway resource>", r.name)));
    }
    Ok(r)
}

fn scenario(b: &Block, src: &Src, loc: Loc, offset: usize) -> Result<Scenario, Error> {
    let name = label(b, &loc)?;
    let mut s = Scenario { name, requests: Vec::new(), asserts: Vec::new(), loc: loc.clone() };
    // Each block's line: the next occurrence of its header after the last one.
    let mut cursor = offset;
    let mut next = |needle: &str| {
        let l = src.loc(needle, cursor);
        cursor = src.text[cursor.min(src.text.len())..].find(needle).map_or(cursor, |i| cursor + i + needle.len());
        l
    };
    for st in b.body().iter() {
        match st {
            Structure::Block(inner) if inner.identifier() == "request" => {
                let l = inner.labels().first().map(|x| x.as_str().to_string()).unwrap_or_default();
                let loc = next(&format!("request \"{l}\""));
                s.requests.push(request(inner, src, loc)?);
            }
            Structure::Block(inner) if inner.identifier() == "assert" => {
                let find = |k: &str| inner.body().attributes().find(|a| a.key() == k).map(|a| a.expr().clone());
                let aloc = next("assert");
                let condition = find("condition").ok_or_else(|| Error::config(&aloc, "assert needs a condition"))?;
                // Errors about the condition point into it.
                let aloc = next("condition");
                s.asserts.push(Assert {
                    condition,
                    error_message: find("error_message").unwrap_or(Expression::String("assertion failed".into())),
                    loc: aloc,
                });
            }
            Structure::Block(inner) => {
                return Err(Error::config(
                    &loc,
                    format!("unknown block {:?} in scenario (request, assert)", inner.identifier()),
                ));
            }
            Structure::Attribute(a) => {
                return Err(Error::config(&loc, format!("unknown scenario argument {:?}", a.key())));
            }
        }
    }
    Ok(s)
}

impl TestFile {
    pub fn load(path: &Path) -> Result<TestFile, Error> {
        let text = std::fs::read_to_string(path)?;
        let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut t = TestFile::parse(&file, &text)?;
        t.path = path.to_path_buf();
        Ok(t)
    }

    /// A test file's text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<TestFile, Error> {
        let file = file.to_string();
        let body = crate::config::parse(&file, text)?;
        let src = Src { file: file.clone(), text };
        let mut t = TestFile { path: PathBuf::from(&file), ..TestFile::default() };
        for st in body.iter() {
            let Structure::Block(b) = st else {
                let loc = src.loc("=", 0);
                return Err(Error::config(
                    &loc,
                    "only variables, upstream, guardrail, dlp_profile and scenario blocks belong at the top of a test file",
                ));
            };
            let first = b.labels().first().map(|l| l.as_str().to_string()).unwrap_or_default();
            let needle =
                if first.is_empty() { b.identifier().to_string() } else { format!("{} \"{first}\"", b.identifier()) };
            let offset = text.find(&needle).unwrap_or(0);
            let loc = src.loc(&needle, 0);
            match b.identifier() {
                "variables" => {
                    for a in b.body().attributes() {
                        let v = match a.expr() {
                            Expression::String(s) => s.clone(),
                            Expression::Number(n) => n.to_string(),
                            Expression::Bool(x) => x.to_string(),
                            _ => {
                                return Err(Error::config(
                                    &loc,
                                    format!("variables.{} must be a string, number or bool", a.key()),
                                ));
                            }
                        };
                        t.variables.insert(a.key().to_string(), v);
                    }
                }
                "upstream" => t.upstreams.push(upstream(b, &loc)?),
                "guardrail" => t.guardrails.push((guardrail(b, &loc)?, loc)),
                "dlp_profile" => t.dlp_profiles.push((dlp_profile(b, &loc)?, loc)),
                "scenario" => t.scenarios.push(scenario(b, &src, loc, offset)?),
                other => {
                    return Err(Error::config(
                        &loc,
                        format!("unknown block {other:?} (variables, upstream, guardrail, dlp_profile, scenario)"),
                    ));
                }
            }
        }
        Ok(t)
    }
}

/// The test files of a configuration: `*.aigwtest.hcl` in it and in `tests/`.
pub fn find(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for d in [dir.to_path_buf(), dir.join("tests")] {
        if let Ok(rd) = std::fs::read_dir(&d) {
            out.extend(
                rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.to_string_lossy().ends_with(".aigwtest.hcl")),
            );
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("61s"), Some(Duration::from_secs(61)));
        assert_eq!(duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(duration("soon"), None);
    }

    #[test]
    fn mistakes_name_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.aigwtest.hcl");
        std::fs::write(
            &p,
            "scenario \"a\" {\n  request \"r\" {\n    gateway = aigw_gateway.main\n    colour = \"red\"\n  }\n}\n",
        )
        .unwrap();
        let e = TestFile::load(&p).unwrap_err().to_string();
        assert!(e.starts_with("x.aigwtest.hcl:4:5:") && e.contains("unknown request argument \"colour\""), "{e}");
        std::fs::write(&p, "upstream \"openai\" {\n  status = 503\n  failures = 2\n}\nwhat {}\n").unwrap();
        let e = TestFile::load(&p).unwrap_err().to_string();
        assert!(e.contains("x.aigwtest.hcl:5:1: unknown block \"what\""), "{e}");
    }

    #[test]
    fn guardrail_and_dlp_profile_blocks() {
        let text = "guardrail \"S1\" {\n  phrase = \"build a weapon\"\n  on = \"prompt\"\n}\n\
                    dlp_profile \"staff\" {\n  name = \"Staff ids\"\n  entries = { employee = \"EMP-[0-9]{6}\" }\n  includes = [\"email\"]\n}\n";
        let t = TestFile::parse("x.aigwtest.hcl", text).expect("parses");
        let (rule, _) = &t.guardrails[0];
        assert_eq!(
            (rule.phrase.as_str(), rule.categories.as_slice(), rule.on),
            ("build a weapon", &["S1".to_string()][..], Side::Prompt)
        );
        let (p, _) = &t.dlp_profiles[0];
        assert_eq!(
            (p.id.as_str(), p.name.as_str(), p.includes.as_slice()),
            ("staff", "Staff ids", &["email".to_string()][..])
        );
        assert_eq!((p.entries[0].id.as_str(), p.entries[0].regex.as_str()), ("employee", "EMP-[0-9]{6}"));

        let err = |text: &str| TestFile::parse("x.aigwtest.hcl", text).expect_err("refused").to_string();
        let e = err("\nguardrail \"S1\" {\n  on = \"sideways\"\n}\n");
        assert!(e.starts_with("x.aigwtest.hcl:2:1:") && e.contains("guardrail.on: expected \"prompt\""), "{e}");
        assert!(err("guardrail \"S1\" {\n  on = \"prompt\"\n}\n").contains("needs a phrase"));
        assert!(
            err("guardrail \"S1\" {\n  phrase = \"x\"\n  colour = 1\n}\n")
                .contains("unknown guardrail argument \"colour\"")
        );
        assert!(
            err("dlp_profile \"p\" {\n  entries = [\"x\"]\n}\n").contains("dlp_profile.entries: expected an object")
        );
        assert!(err("dlp_profile \"p\" {\n  name = \"n\"\n}\n").contains("needs entries, includes or both"));
    }
}
