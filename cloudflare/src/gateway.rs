//! The AI Gateway object as the API returns it, and the body of a full PUT
//! built from it. Fields this crate does not model are kept in `extra` so a
//! read-modify-write never drops settings made elsewhere (dashboard, API).
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

/// Fields the API computes; never sent back in a PUT.
pub const READ_ONLY_FIELDS: &[&str] =
    &["id", "created_at", "modified_at", "is_default", "account_id", "account_tag", "internal_id"];

/// PUT fields that are required and nullable: sent even when null.
pub const REQUIRED_UPDATE_FIELDS: &[&str] =
    &["cache_invalidate_on_update", "cache_ttl", "collect_logs", "rate_limiting_interval", "rate_limiting_limit"];

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Gateway {
    pub id: String,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub modified_at: String,
    #[serde(default)]
    pub cache_invalidate_on_update: bool,
    #[serde(default)]
    pub cache_ttl: Option<i64>,
    #[serde(default)]
    pub collect_logs: bool,
    #[serde(default)]
    pub rate_limiting_interval: Option<i64>,
    #[serde(default)]
    pub rate_limiting_limit: Option<i64>,
    #[serde(default)]
    pub rate_limiting_technique: Option<String>,
    #[serde(default)]
    pub authentication: bool,
    #[serde(default)]
    pub log_management: Option<i64>,
    #[serde(default)]
    pub log_management_strategy: Option<String>,
    #[serde(default)]
    pub retry_max_attempts: Option<i64>,
    #[serde(default)]
    pub retry_delay: Option<i64>,
    #[serde(default)]
    pub retry_backoff: Option<String>,
    /// Every other field the API returned (logpush, zdr, dlp, otel, ...).
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

impl Gateway {
    /// The `guardrails` setting, when set and well formed.
    pub fn guardrails(&self) -> Option<crate::controls::Guardrails> {
        self.extra.get("guardrails").and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    /// The `dlp` setting, when set and well formed.
    pub fn dlp(&self) -> Option<crate::controls::Dlp> {
        self.extra.get("dlp").and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    /// The `spend_limits` setting, when set and well formed.
    pub fn spend_limits(&self) -> Option<crate::spend::SpendLimits> {
        self.extra.get("spend_limits").filter(|v| !v.is_null()).and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    /// The `otel` exporters, when set and well formed.
    pub fn otel(&self) -> Vec<crate::logging::OtelExporter> {
        self.extra.get("otel").and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default()
    }

    /// Zero data retention: no prompt or answer is kept (`zdr`).
    pub fn zdr(&self) -> bool {
        self.extra.get("zdr").and_then(Json::as_bool).unwrap_or(false)
    }

    /// Requests must use a key of their own or a BYOK key: never Unified
    /// Billing credentials (`byok_only`).
    pub fn byok_only(&self) -> bool {
        self.extra.get("byok_only").and_then(Json::as_bool).unwrap_or(false)
    }

    /// The public key logs are pushed encrypted with, when `logpush` is on.
    pub fn logpush_key(&self) -> Option<&str> {
        let on = self.extra.get("logpush").and_then(Json::as_bool).unwrap_or(false);
        self.extra.get("logpush_public_key").and_then(Json::as_str).filter(|_| on)
    }

    /// The body of a full PUT that keeps every setting this object holds.
    /// Read-only fields are left out, and so are nulls of optional fields:
    /// the API rejects some (`logpush`, `log_classification`) and a null
    /// would otherwise reset a setting nobody asked to change.
    pub fn to_update_body(&self) -> Map<String, Json> {
        let Ok(Json::Object(all)) = serde_json::to_value(self) else {
            return Map::new();
        };
        all.into_iter()
            .filter(|(k, v)| {
                !READ_ONLY_FIELDS.contains(&k.as_str())
                    && (!v.is_null() || REQUIRED_UPDATE_FIELDS.contains(&k.as_str()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_body_keeps_unmodelled_settings_and_drops_nulls() {
        let g: Gateway = serde_json::from_value(serde_json::json!({
            "id": "g", "created_at": "t", "modified_at": "t", "is_default": false,
            "cache_invalidate_on_update": false, "cache_ttl": null, "collect_logs": true,
            "rate_limiting_interval": null, "rate_limiting_limit": null,
            "authentication": false, "logpush": null, "zdr": true, "log_management": 20000,
            "dlp": {"enabled": true, "action": "FLAG", "profiles": []}
        }))
        .unwrap();
        let body = g.to_update_body();
        assert!(!body.contains_key("id") && !body.contains_key("is_default"));
        assert!(!body.contains_key("logpush"), "null optional fields are never sent");
        assert!(body["cache_ttl"].is_null(), "required nullable fields are sent");
        assert_eq!(body["zdr"], true);
        assert_eq!(body["dlp"]["action"], "FLAG");
        assert_eq!(body["log_management"], 20000);
    }
}
