//! Dynamic routes at runtime: walking a deployed version's element graph
//! for one request. `conditional` elements test the request's metadata and
//! body ([`aigw_cloudflare::condition`]); `percentage` elements draw from
//! the emulator's seeded sequence (`--seed`), so a split is the same on
//! every run; `rate` elements count requests (`limitType: count`) or spend
//! (`cost`, a budget) per key and window on the emulator clock, and go to
//! `success` while under the limit, `fallback` once over it. Each `model`
//! element becomes a step; its `fallback` output leads to the next one, its
//! `success` output ends the request with that model's answer.
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use aigw_cloudflare::{Element, condition, route::output_target};
use serde_json::{Map, Value as Json};

use super::error::RuntimeError;
use super::ratelimit::{RateLimiter, Technique};

/// One model to try, with the budgets it is charged to if it answers.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteStep {
    pub provider: String,
    pub model: String,
    pub retries: i64,
    pub timeout_ms: i64,
    pub budgets: Vec<String>,
}

/// Spend of each budget element, per key, in fixed windows.
#[derive(Default)]
struct Budget {
    start_ms: u64,
    window_ms: u64,
    spent: f64,
}

/// What routes keep between requests: the draw sequence and budgets.
pub struct RouteState {
    seed: u64,
    draws: AtomicU64,
    budgets: Mutex<HashMap<String, Budget>>,
}

impl RouteState {
    pub fn new(seed: u64) -> RouteState {
        RouteState { seed, draws: AtomicU64::new(0), budgets: Mutex::default() }
    }

    /// The next number in [0, 100) of the seeded sequence (SplitMix64).
    fn draw(&self) -> f64 {
        let n = self.draws.fetch_add(1, Ordering::Relaxed);
        let mut z = self.seed.wrapping_add(n.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64 * 100.0
    }

    fn spent(&self, key: &str, window_ms: u64, now_ms: u64) -> f64 {
        let all = self.budgets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        all.get(key)
            .filter(|b| b.window_ms == window_ms && b.start_ms == now_ms - now_ms % window_ms)
            .map_or(0.0, |b| b.spent)
    }

    /// Adds an answer's cost to a budget it passed through.
    pub fn charge(&self, key: &str, cost: f64, now_ms: u64) {
        let mut all = self.budgets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(b) = all.get_mut(key) else { return };
        let start = now_ms - now_ms % b.window_ms.max(1);
        if b.start_ms != start {
            b.start_ms = start;
            b.spent = 0.0;
        }
        b.spent += cost;
    }

    fn open(&self, key: &str, window_ms: u64, now_ms: u64) {
        let mut all = self.budgets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let start = now_ms - now_ms % window_ms;
        let b = all.entry(key.to_string()).or_default();
        if b.window_ms != window_ms || b.start_ms != start {
            *b = Budget { start_ms: start, window_ms, spent: 0.0 };
        }
    }
}

/// What a walk reads and counts.
pub struct Walk<'a> {
    pub scope: String,
    pub metadata: Option<&'a Map<String, Json>>,
    pub body: &'a Json,
    pub limiter: &'a RateLimiter,
    pub state: &'a RouteState,
    pub now_ms: u64,
}

impl Walk<'_> {
    fn lookup(&self, path: &str) -> Option<Json> {
        if let Some(k) = path.strip_prefix("metadata.") {
            return self.metadata?.get(k).cloned();
        }
        let mut cur = self.body;
        for seg in path.strip_prefix("body.")?.split('.') {
            cur = match cur {
                Json::Object(m) => m.get(seg)?,
                Json::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(cur.clone())
    }

    /// The value a rate element counts by: a field's value, or the key as written.
    fn key_of(&self, key: &str) -> String {
        match self.lookup(key) {
            Some(Json::String(s)) => s,
            Some(v) => v.to_string(),
            None if key.starts_with("metadata.") || key.starts_with("body.") => String::new(),
            None => key.to_string(),
        }
    }

    /// Walks from start to end, returning the models to try in order.
    pub fn steps(&self, elements: &[Element]) -> Result<Vec<RouteStep>, RuntimeError> {
        let broken = |why: String| RuntimeError::bad_format(&format!("route graph: {why}"));
        let by_id = |id: &str| elements.iter().find(|e| e.id == id);
        let next = |e: &Element, out: &str| {
            output_target(e, out).and_then(by_id).ok_or_else(|| broken(format!("'{}' has no output '{out}'", e.id)))
        };
        let start = elements.iter().find(|e| e.kind == "start").ok_or_else(|| broken("no start".into()))?;
        let mut cur = next(start, "next")?;
        let mut steps = Vec::new();
        let mut budgets = Vec::new();
        for _ in 0..=elements.len() {
            let props = cur.properties.clone().unwrap_or_default();
            let num = |k: &str| props.get(k).and_then(Json::as_f64).unwrap_or(0.0);
            cur = match cur.kind.as_str() {
                "end" => return Ok(steps),
                "model" => {
                    let text = |k: &str| props.get(k).and_then(Json::as_str).unwrap_or_default().to_string();
                    steps.push(RouteStep {
                        provider: text("provider"),
                        model: text("model"),
                        retries: num("retries") as i64,
                        timeout_ms: num("timeout") as i64,
                        budgets: budgets.clone(),
                    });
                    next(cur, "fallback")?
                }
                "conditional" => {
                    let c = condition::parse(props.get("conditions").unwrap_or(&Json::Null)).map_err(broken)?;
                    next(cur, if c.eval(&|p| self.lookup(p)) { "true" } else { "false" })?
                }
                "percentage" => {
                    let roll = self.state.draw();
                    let mut total = 0.0;
                    let mut chosen = None;
                    for (k, _) in &cur.outputs {
                        total += k.trim_end_matches('%').parse::<f64>().unwrap_or(0.0);
                        if roll < total {
                            chosen = Some(k.clone());
                            break;
                        }
                    }
                    let k = chosen.or_else(|| cur.outputs.keys().next_back().cloned()).unwrap_or_default();
                    next(cur, &k)?
                }
                "rate" => {
                    let key = props.get("key").and_then(Json::as_str).unwrap_or_default();
                    let scope = format!("{}\u{0}{}\u{0}{}", self.scope, cur.id, self.key_of(key));
                    let window_ms = (num("window").max(1.0) * 1000.0) as u64;
                    let under = if props.get("limitType").and_then(Json::as_str) == Some("cost") {
                        self.state.open(&scope, window_ms, self.now_ms);
                        let ok = self.state.spent(&scope, window_ms, self.now_ms) < num("limit");
                        if ok {
                            budgets.push(scope);
                        }
                        ok
                    } else {
                        let (account, rest) = scope.split_once('\u{0}').unwrap_or(("", &scope));
                        let limit = num("limit") as u64;
                        limit > 0
                            && self.limiter.allow(
                                (account, rest),
                                limit,
                                window_ms / 1000,
                                Technique::Fixed,
                                self.now_ms,
                            )
                    };
                    next(cur, if under { "success" } else { "fallback" })?
                }
                other => return Err(broken(format!("unknown element type '{other}'"))),
            };
        }
        Err(broken("the walk did not reach end (a cycle)".into()))
    }
}

#[cfg(test)]
mod tests;
