//! Spend limits at runtime: a ledger of what each rule's budget has spent,
//! per gateway, rule and metadata partition, over `fixed` or `sliding`
//! windows on the emulator clock.
//!
//! A request is admitted only if every rule that covers it can still pay
//! for the most it may cost (its worst case, from `usage::worst_case`).
//! That amount is held while the request runs and replaced by the real cost
//! when it ends (a cache hit or a failure costs nothing), so no request is
//! admitted past a budget even when many run at once. Cloudflare's ledger
//! is eventually consistent and may let a burst through; the emulator is
//! exact, so a test that passes here can still overshoot a little there
//! (docs/emulator.md).
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use aigw_cloudflare::spend::{MetadataRule, SpendLimits, SpendRule, Technique, ValueFilter};
use serde_json::{Map, Value};

use super::error::RuntimeError;

/// Money in billionths of a dollar, so sums are exact.
type Nanos = u64;

fn nanos(usd: f64) -> Nanos {
    (usd.max(0.0) * 1e9).round() as Nanos
}

/// One budget: a rule, or one partition of it.
#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    window_ms: u64,
    technique: Option<Technique>,
    start_ms: u64,
    spent: Nanos,
    previous: Nanos,
    /// Held by requests still running.
    held: Nanos,
}

impl Bucket {
    /// Moves the window to `now_ms`; a rule whose window or technique
    /// changed starts over.
    fn roll(&mut self, rule: &SpendRule, now_ms: u64) {
        let window_ms = rule.window.max(1) * 1000;
        let start = now_ms - now_ms % window_ms;
        if self.window_ms != window_ms || self.technique != Some(rule.technique) {
            *self = Bucket {
                window_ms,
                technique: Some(rule.technique),
                start_ms: start,
                spent: 0,
                previous: 0,
                held: self.held,
            };
        } else if self.start_ms != start {
            self.previous = if self.start_ms + window_ms == start { self.spent } else { 0 };
            self.spent = 0;
            self.start_ms = start;
        }
    }

    /// What counts against the budget at `now_ms`, held amounts included.
    fn used(&self, now_ms: u64) -> f64 {
        let settled = match self.technique {
            Some(Technique::Sliding) => {
                let elapsed = (now_ms - self.start_ms) as f64 / self.window_ms as f64;
                self.previous as f64 * (1.0 - elapsed) + self.spent as f64
            }
            _ => self.spent as f64,
        };
        settled + self.held as f64
    }
}

/// What a step of the request would send, and the most it can cost.
pub struct Candidate<'a> {
    pub provider: &'a str,
    pub model: &'a str,
    pub worst_usd: f64,
}

/// Whether `filter` lets `provider`/`model` through (`model` matches as
/// `gpt-4o` or `openai/gpt-4o`).
fn admits(filter: Option<&ValueFilter>, value: &str, qualified: Option<&str>) -> bool {
    filter.is_none_or(|f| f.matches(value) || qualified.is_some_and(|q| f.matches(q)))
}

fn covers(rule: &SpendRule, provider: &str, model: &str) -> bool {
    admits(rule.provider.as_ref(), provider, None)
        && admits(rule.model.as_ref(), model, Some(&format!("{provider}/{model}")))
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Which budget a request pays into: a rule, and for partitioned rules
/// the request's value of each partition key (None: it has none).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BucketKey {
    pub account: String,
    pub gateway: String,
    pub rule: String,
    pub partition: Vec<(String, Option<String>)>,
}

/// The rule's budget for a request with `metadata`, or None when a
/// metadata filter leaves the request out. A partition key the request
/// does not carry is one more partition (so leaving it out pays too).
fn bucket_key(
    scope: (&str, &str),
    index: usize,
    rule: &SpendRule,
    metadata: Option<&Map<String, Value>>,
) -> Option<BucketKey> {
    let mut key =
        BucketKey { account: scope.0.into(), gateway: scope.1.into(), rule: rule.key(index), partition: Vec::new() };
    for (name, how) in &rule.metadata {
        let value = metadata.and_then(|m| m.get(name)).map(text);
        match how {
            MetadataRule::Filter { values } => {
                if !value.is_some_and(|v| values.contains(&v)) {
                    return None;
                }
            }
            MetadataRule::Partition => key.partition.push((name.clone(), value)),
        }
    }
    Some(key)
}

/// One budget's standing, for the control API and `aigw test`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Standing {
    pub account_id: String,
    pub gateway_id: String,
    pub rule_id: String,
    /// The partition's metadata values (null: the request had no such key).
    pub partition: std::collections::BTreeMap<String, Option<String>>,
    /// USD counted in the window now (sliding: the weighted previous window too).
    pub spent: f64,
    /// USD held by requests still running.
    pub held: f64,
}

/// What one admitted request holds in one budget.
struct Hold {
    bucket: BucketKey,
    amount: Nanos,
    rule: SpendRule,
}

#[derive(Default)]
pub struct Ledger {
    buckets: Mutex<HashMap<BucketKey, Bucket>>,
}

/// The amounts an admitted request holds until it ends. Dropped without
/// [`Reservation::settle`], it releases them and charges nothing.
pub struct Reservation {
    ledger: Arc<Ledger>,
    holds: Vec<Hold>,
}

impl Ledger {
    /// Admits a request to `scope` (account, gateway) whose steps are
    /// `candidates`, or refuses it with 429/2045 naming the exhausted rule.
    pub fn admit(
        self: &Arc<Self>,
        scope: (&str, &str),
        limits: &SpendLimits,
        candidates: &[Candidate<'_>],
        metadata: Option<&Map<String, Value>>,
        now_ms: u64,
    ) -> Result<Reservation, RuntimeError> {
        let mut holds = Vec::new();
        for (index, rule) in limits.effective() {
            let Some(bucket) = bucket_key(scope, index, rule, metadata) else { continue };
            let worst = candidates
                .iter()
                .filter(|c| covers(rule, c.provider, c.model))
                .max_by(|a, b| a.worst_usd.partial_cmp(&b.worst_usd).unwrap_or(std::cmp::Ordering::Equal));
            if let Some(c) = worst {
                holds.push((index, c, Hold { bucket, amount: nanos(c.worst_usd), rule: rule.clone() }));
            }
        }
        let mut all = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        for (index, c, hold) in &holds {
            let b = all.entry(hold.bucket.clone()).or_default();
            b.roll(&hold.rule, now_ms);
            let (used, limit) = (b.used(now_ms), nanos(hold.rule.limit) as f64);
            if used >= limit || used + hold.amount as f64 > limit {
                let message = hold.rule.exceeded(*index, c.provider, c.model);
                return Err(RuntimeError::new(axum::http::StatusCode::TOO_MANY_REQUESTS, 2045, message));
            }
        }
        for (_, _, hold) in &holds {
            if let Some(b) = all.get_mut(&hold.bucket) {
                b.held += hold.amount;
            }
        }
        drop(all);
        Ok(Reservation { ledger: self.clone(), holds: holds.into_iter().map(|(_, _, h)| h).collect() })
    }

    /// Every budget's standing at `now_ms`, sorted.
    pub fn standings(&self, now_ms: u64) -> Vec<Standing> {
        let all = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out: Vec<Standing> = all
            .iter()
            .map(|(k, b)| Standing {
                account_id: k.account.clone(),
                gateway_id: k.gateway.clone(),
                rule_id: k.rule.clone(),
                partition: k.partition.iter().cloned().collect(),
                spent: (b.used(now_ms.max(b.start_ms)) - b.held as f64) / 1e9,
                held: b.held as f64 / 1e9,
            })
            .collect();
        out.sort_by(|a, b| {
            (&a.account_id, &a.gateway_id, &a.rule_id, &a.partition).cmp(&(
                &b.account_id,
                &b.gateway_id,
                &b.rule_id,
                &b.partition,
            ))
        });
        out
    }

    /// Forgets a gateway's budgets (it was deleted or its limits removed).
    pub fn forget(&self, account: &str, gateway: &str) {
        let mut all = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        all.retain(|k, _| !(k.account == account && k.gateway == gateway));
    }

    fn release(&self, holds: &[Hold], charge: Option<(&str, &str, f64, u64)>) {
        let mut all = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        for h in holds {
            let Some(b) = all.get_mut(&h.bucket) else { continue };
            b.held = b.held.saturating_sub(h.amount);
            if let Some((provider, model, cost, now_ms)) = charge
                && covers(&h.rule, provider, model)
            {
                b.roll(&h.rule, now_ms);
                b.spent += nanos(cost);
            }
        }
    }
}

impl Reservation {
    /// Replaces the held amounts by the real `cost` of the step that
    /// answered (`provider`, `model`), in every budget that covers it.
    pub fn settle(mut self, provider: &str, model: &str, cost: f64, now_ms: u64) {
        let holds = std::mem::take(&mut self.holds);
        self.ledger.release(&holds, Some((provider, model, cost, now_ms)));
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if !self.holds.is_empty() {
            self.ledger.release(&self.holds, None);
        }
    }
}

#[cfg(test)]
mod tests;
