//! BYOK at runtime: a step whose request carries no key for its provider
//! gets the gateway's stored key, chosen by `cf-aig-byok-alias`, else the
//! provider's default key, else the alias `default`. A key's own rate limit
//! is counted when a step is sent with it ([`KeyLimit`]). With no key anywhere, `byok_only` on the gateway or
//! `cf-aig-no-wholesale` on the request refuses the request instead of
//! letting it go to Unified Billing.
use aigw_cloudflare::Gateway;
use aigw_cloudflare::byok::DEFAULT_ALIAS;
use aigw_cloudflare::providers::{self, KeyHeader};
use axum::http::{HeaderName, HeaderValue, StatusCode};

use super::error::RuntimeError;
use super::ratelimit::{RateLimiter, Technique};
use super::request::Controls;
use super::steps::Step;
use crate::store::{Store, StoredKey};

/// How a provider takes its key; custom providers take a bearer token.
fn key_header(provider: &str) -> KeyHeader {
    providers::get(provider).map_or(KeyHeader::Authorization("Bearer"), |p| p.key)
}

/// The stored key a step gets, if any.
fn choose<'a>(keys: &'a [StoredKey], provider: &str, alias: Option<&str>) -> Option<&'a StoredKey> {
    let mine = || keys.iter().filter(move |k| k.config.provider_slug == provider);
    match alias {
        Some(a) => mine().find(|k| k.config.alias == a),
        None => mine().find(|k| k.config.default_config).or_else(|| mine().find(|k| k.config.alias == DEFAULT_ALIAS)),
    }
}

/// The secret of the key a request would get for `provider`.
pub fn stored_key(
    store: &Store,
    (account, gateway): (&str, &str),
    provider: &str,
    alias: Option<&str>,
) -> Option<String> {
    let keys: Vec<StoredKey> = store.read(|d| d.keys_of(account, gateway).cloned().collect());
    choose(&keys, provider, alias)?.secret.clone()
}

/// The project and region of a Vertex AI service-account key, given as
/// JSON or base64 JSON (as Cloudflare takes it); the region is the key's
/// `region` field, else `global`.
pub fn vertex_project(secret: &str) -> Option<(String, String)> {
    use base64::Engine;
    let json: serde_json::Value = serde_json::from_str(secret).ok().or_else(|| {
        let raw = base64::engine::general_purpose::STANDARD.decode(secret.trim()).ok()?;
        serde_json::from_slice(&raw).ok()
    })?;
    let ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let project = json.get("project_id")?.as_str().filter(|p| ok(p))?.to_string();
    let region = json.get("region").and_then(serde_json::Value::as_str).filter(|r| ok(r)).unwrap_or("global");
    Some((project, region.to_string()))
}

/// A stored key's own rate limit, counted when a step is about to use it
/// (a cache hit uses no key and is not counted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLimit {
    account: String,
    scope: String,
    limit: u64,
    period_s: u64,
    alias: String,
}

impl KeyLimit {
    /// Counts one use; false (not counted) once over the limit.
    pub fn allow(&self, limiter: &RateLimiter, now_ms: u64) -> bool {
        limiter.allow((&self.account, &self.scope), self.limit, self.period_s, Technique::Sliding, now_ms)
    }

    pub fn refusal(&self, provider: &str) -> RuntimeError {
        RuntimeError::new(
            StatusCode::TOO_MANY_REQUESTS,
            2003,
            format!(
                "Rate limited: BYOK key '{}' of {provider} allows {} requests per {}s",
                self.alias, self.limit, self.period_s
            ),
        )
    }
}

/// Puts the stored key into every step that brought none, and records the
/// alias (and the key's rate limit) on the step.
pub fn apply(
    store: &Store,
    (account, gateway): (&str, &Gateway),
    controls: &Controls,
    steps: &mut [Step],
) -> Result<(), RuntimeError> {
    let keys: Vec<StoredKey> = store.read(|d| d.keys_of(account, &gateway.id).cloned().collect());
    for step in steps.iter_mut() {
        let header = key_header(&step.provider);
        if step.call.headers.contains_key(header.name()) {
            continue; // the client's own key goes through untouched
        }
        let Some(k) = choose(&keys, &step.provider, controls.byok_alias.as_deref()) else {
            if let Some(alias) = &controls.byok_alias {
                let mut configured: Vec<String> = keys
                    .iter()
                    .filter(|k| k.config.provider_slug == step.provider)
                    .map(|k| k.config.alias.clone())
                    .collect();
                configured.sort();
                return Err(RuntimeError::no_byok_alias(&step.provider, alias, &configured));
            }
            if gateway.byok_only() {
                return Err(RuntimeError::no_credentials(&step.provider, "the gateway's byok_only"));
            }
            if controls.no_wholesale {
                return Err(RuntimeError::no_credentials(&step.provider, "cf-aig-no-wholesale"));
            }
            continue;
        };
        let c = &k.config;
        step.key_limit = c.rate_limit.filter(|l| *l > 0).map(|limit| KeyLimit {
            scope: format!("{}\u{0}byok\u{0}{}", gateway.id, c.id),
            account: account.to_string(),
            limit: limit as u64,
            period_s: c.rate_limit_period.unwrap_or(aigw_cloudflare::byok::DEFAULT_RATE_PERIOD).max(1) as u64,
            alias: c.alias.clone(),
        });
        if let Some(secret) = &k.secret
            && let Ok(v) = HeaderValue::from_str(&header.value(secret))
        {
            step.call.headers.insert(HeaderName::from_static(header.name()), v);
        }
        step.byok_alias = Some(c.alias.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aigw_cloudflare::ProviderConfig;

    fn key(provider: &str, alias: &str, default: bool) -> StoredKey {
        StoredKey {
            config: ProviderConfig {
                id: alias.into(),
                gateway_id: "g".into(),
                provider_slug: provider.into(),
                alias: alias.into(),
                default_config: default,
                rate_limit: None,
                rate_limit_period: None,
                secret_preview: String::new(),
                secret_id: None,
                modified_at: String::new(),
            },
            secret: Some(format!("sk-{alias}")),
        }
    }

    #[test]
    fn alias_then_default_flag_then_default_alias() {
        let keys = vec![key("openai", "default", false), key("openai", "prod", false), key("anthropic", "x", true)];
        assert_eq!(choose(&keys, "openai", Some("prod")).map(|k| k.config.id.as_str()), Some("prod"));
        assert_eq!(choose(&keys, "openai", None).map(|k| k.config.id.as_str()), Some("default"));
        assert_eq!(choose(&keys, "anthropic", None).map(|k| k.config.id.as_str()), Some("x"));
        assert!(choose(&keys, "anthropic", Some("prod")).is_none());
        let flagged = vec![key("openai", "default", false), key("openai", "main", true)];
        assert_eq!(choose(&flagged, "openai", None).map(|k| k.config.id.as_str()), Some("main"));
    }

    #[test]
    fn vertex_keys_name_their_project_as_json_or_base64() {
        use base64::Engine;
        let sa = r#"{"type": "service_account", "project_id": "acme-ml", "region": "europe-west4"}"#;
        assert_eq!(vertex_project(sa), Some(("acme-ml".into(), "europe-west4".into())));
        let b64 = base64::engine::general_purpose::STANDARD.encode(r#"{"project_id": "p1"}"#);
        assert_eq!(vertex_project(&b64), Some(("p1".into(), "global".into())));
        assert_eq!(vertex_project(r#"{"project_id": "../x"}"#), None);
        assert_eq!(vertex_project("sk-plain"), None);
    }

    #[test]
    fn keys_go_where_each_provider_reads_them() {
        assert_eq!(key_header("openai").value("k"), "Bearer k");
        assert_eq!(key_header("anthropic").name(), "x-api-key");
        assert_eq!(key_header("deepgram").value("k"), "Token k");
        assert_eq!(key_header("custom-neon").name(), "authorization");
    }
}
