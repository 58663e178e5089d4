//! What the gateway reads from one runtime request's `cf-aig-*` headers:
//! auth, cache, retry and logging controls, and metadata.
use axum::http::HeaderMap;
use serde_json::{Map, Value};

use super::upstream::{Backoff, MAX_RETRY_DELAY_MS, Policy};
use aigw_cloudflare::Gateway;

/// The request's gateway controls.
#[derive(Debug, Clone, Default)]
pub struct Controls {
    pub authorization: Option<String>,
    pub cache_key: Option<String>,
    pub cache_ttl_s: Option<u64>,
    pub skip_cache: bool,
    pub max_attempts: Option<u32>,
    pub retry_delay_ms: Option<u64>,
    pub backoff: Option<Backoff>,
    pub request_timeout_ms: Option<u64>,
    pub collect_log: Option<bool>,
    pub collect_log_payload: Option<bool>,
    pub metadata: Option<Map<String, Value>>,
    pub custom_cost: Option<String>,
    pub event_id: Option<String>,
    pub user_agent: Option<String>,
    /// `cf-aig-zdr`: zero data retention for this request.
    pub zdr: Option<bool>,
    /// `cf-aig-otel-trace-id` and `cf-aig-otel-parent-span-id`.
    pub trace: crate::export::otlp::TraceContext,
    /// `cf-aig-byok-alias`: which stored provider key to use.
    pub byok_alias: Option<String>,
    /// `cf-aig-no-wholesale`: never fall back to Unified Billing credentials.
    pub no_wholesale: bool,
}

fn text<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|s| !s.is_empty())
}

fn flag(h: &HeaderMap, name: &str) -> Option<bool> {
    text(h, name).map(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// `cf-aig-metadata`: a JSON object of at most 5 string, number or boolean
/// values. Extra entries are ignored (the first 5 are kept); one null or
/// object value drops the whole metadata, as Cloudflare does.
pub fn metadata(raw: &str) -> Option<Map<String, Value>> {
    let Ok(Value::Object(m)) = serde_json::from_str::<Value>(raw) else { return None };
    if m.values().any(|v| !(v.is_string() || v.is_number() || v.is_boolean())) {
        return None;
    }
    Some(m.into_iter().take(5).collect())
}

impl Controls {
    pub fn read(h: &HeaderMap) -> Controls {
        // Most requests carry no gateway header: one pass over the names
        // then spares a score of lookups.
        if !h.keys().any(|k| k.as_str().starts_with("cf-")) {
            return Controls { user_agent: text(h, "user-agent").map(str::to_owned), ..Controls::default() };
        }
        let num = |name: &str| text(h, name).and_then(|v| v.parse::<u64>().ok());
        Controls {
            authorization: text(h, "cf-aig-authorization").map(str::to_owned),
            cache_key: text(h, "cf-aig-cache-key").map(str::to_owned),
            cache_ttl_s: num("cf-aig-cache-ttl").or_else(|| num("cf-cache-ttl")),
            skip_cache: flag(h, "cf-aig-skip-cache").or_else(|| flag(h, "cf-skip-cache")).unwrap_or(false),
            max_attempts: num("cf-aig-max-attempts").map(|n| n.clamp(1, 5) as u32),
            // Cloudflare documents the delay as 0-5000 ms; a timeout of 0 is no timeout.
            retry_delay_ms: num("cf-aig-retry-delay").map(|d| d.min(MAX_RETRY_DELAY_MS)),
            backoff: text(h, "cf-aig-backoff").and_then(Backoff::parse),
            request_timeout_ms: num("cf-aig-request-timeout").filter(|t| *t > 0),
            collect_log: flag(h, "cf-aig-collect-log"),
            collect_log_payload: flag(h, "cf-aig-collect-log-payload"),
            metadata: text(h, "cf-aig-metadata").and_then(metadata),
            custom_cost: text(h, "cf-aig-custom-cost").map(str::to_owned),
            event_id: text(h, "cf-aig-event-id").map(str::to_owned),
            user_agent: text(h, "user-agent").map(str::to_owned),
            zdr: flag(h, "cf-aig-zdr"),
            trace: crate::export::otlp::TraceContext::read(
                text(h, "cf-aig-otel-trace-id"),
                text(h, "cf-aig-otel-parent-span-id"),
            ),
            byok_alias: text(h, "cf-aig-byok-alias").map(str::to_owned),
            no_wholesale: flag(h, "cf-aig-no-wholesale").unwrap_or(false),
        }
    }

    /// The retry policy: request headers, else the gateway's settings.
    pub fn policy(&self, g: &Gateway) -> Policy {
        Policy {
            max_attempts: self.max_attempts.unwrap_or_else(|| g.retry_max_attempts.unwrap_or(1).clamp(1, 5) as u32),
            delay_ms: self
                .retry_delay_ms
                .unwrap_or_else(|| g.retry_delay.unwrap_or(0).clamp(0, MAX_RETRY_DELAY_MS as i64) as u64),
            backoff: self
                .backoff
                .or_else(|| g.retry_backoff.as_deref().and_then(Backoff::parse))
                .unwrap_or(Backoff::Constant),
            timeout_ms: self.request_timeout_ms,
        }
    }

    /// The cache TTL for this request, if it may use the cache at all: the
    /// `cf-aig-cache-ttl` header (60 s to one month), the gateway's TTL, or 5
    /// minutes when only a custom cache key is given.
    pub fn cache_ttl_s(&self, g: &Gateway) -> Option<u64> {
        // Zero data retention keeps no answer, in the cache either.
        if self.skip_cache || self.zdr_on(g) {
            return None;
        }
        if let Some(t) = self.cache_ttl_s {
            return Some(t.clamp(60, 2_592_000));
        }
        match g.cache_ttl.unwrap_or(0) {
            t if t > 0 => Some(t as u64),
            _ if self.cache_key.is_some() => Some(300),
            _ => None,
        }
    }

    pub fn logs_on(&self, g: &Gateway) -> bool {
        self.collect_log.unwrap_or(g.collect_logs)
    }

    /// Whether prompts and answers are kept (logs, Logpush, spans): not
    /// under `cf-aig-collect-log-payload: false`, nor under zero data
    /// retention.
    pub fn payload_on(&self, g: &Gateway) -> bool {
        self.collect_log_payload.unwrap_or(true) && !self.zdr_on(g)
    }

    /// Zero data retention: the request's `cf-aig-zdr`, else the gateway's `zdr`.
    pub fn zdr_on(&self, g: &Gateway) -> bool {
        self.zdr.unwrap_or_else(|| g.zdr())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_rules() {
        assert_eq!(metadata(r#"{"a":1,"b":"x","c":true}"#).unwrap().len(), 3);
        assert_eq!(metadata(r#"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}"#).unwrap().len(), 5);
        assert!(metadata(r#"{"a":null}"#).is_none());
        assert!(metadata(r#"{"a":{"b":1}}"#).is_none());
        assert!(metadata("nope").is_none());
    }

    #[test]
    fn headers_override_gateway_defaults() {
        let g = Gateway {
            retry_max_attempts: Some(3),
            retry_delay: Some(200),
            retry_backoff: Some("linear".into()),
            cache_ttl: Some(0),
            ..Gateway::default()
        };
        let mut h = HeaderMap::new();
        assert_eq!(
            Controls::read(&h).policy(&g),
            Policy { max_attempts: 3, delay_ms: 200, backoff: Backoff::Linear, timeout_ms: None }
        );
        h.insert("cf-aig-max-attempts", "9".parse().unwrap());
        h.insert("cf-aig-backoff", "exponential".parse().unwrap());
        h.insert("cf-aig-request-timeout", "1500".parse().unwrap());
        let p = Controls::read(&h).policy(&g);
        assert_eq!((p.max_attempts, p.backoff, p.timeout_ms), (5, Backoff::Exponential, Some(1500)));
        assert_eq!(Controls::read(&h).cache_ttl_s(&g), None);
        h.insert("cf-aig-cache-key", "k".parse().unwrap());
        assert_eq!(Controls::read(&h).cache_ttl_s(&g), Some(300));
        h.insert("cf-aig-skip-cache", "true".parse().unwrap());
        assert_eq!(Controls::read(&h).cache_ttl_s(&g), None);
        // Out-of-range values are clamped as Cloudflare documents, deterministically.
        h.insert("cf-aig-retry-delay", "99999999999".parse().unwrap());
        h.insert("cf-aig-request-timeout", "0".parse().unwrap());
        let p = Controls::read(&h).policy(&g);
        assert_eq!((p.delay_ms, p.timeout_ms), (5000, None));
        assert_eq!(p.delay(20), std::time::Duration::from_secs(60), "no single wait exceeds a minute");
    }
}
