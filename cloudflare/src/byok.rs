//! BYOK provider keys (`provider_configs`): a provider key stored on a
//! gateway under an alias, which the runtime sends upstream for requests
//! that bring no key of their own. The request and response shapes, and the
//! checks both the provider (at plan time) and the emulator (on POST/PUT) apply.
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::ApiMessage;

/// The alias a request gets when it names none and no key is marked default.
pub const DEFAULT_ALIAS: &str = "default";
/// `rate_limit_period` when left out, seconds.
pub const DEFAULT_RATE_PERIOD: i64 = 60;
const MAX_ALIAS: usize = 64;
const MAX_SECRET: usize = 16 * 1024;

/// A provider config as the API answers it. The key itself is never
/// returned, only `secret_preview`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderConfig {
    pub id: String,
    pub gateway_id: String,
    pub provider_slug: String,
    pub alias: String,
    pub default_config: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_period: Option<i64>,
    #[serde(default)]
    pub secret_preview: String,
    /// A Secrets Store secret id, when the key lives there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<String>,
    #[serde(default)]
    pub modified_at: String,
}

/// The POST (and PUT) body. On PUT a missing `secret` keeps the stored one.
/// Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ProviderConfigBody {
    pub provider_slug: String,
    pub alias: String,
    #[serde(default)]
    pub default_config: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_period: Option<i64>,
}

impl std::fmt::Debug for ProviderConfigBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfigBody")
            .field("provider_slug", &self.provider_slug)
            .field("alias", &self.alias)
            .field("default_config", &self.default_config)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("secret_id", &self.secret_id)
            .field("rate_limit", &self.rate_limit)
            .field("rate_limit_period", &self.rate_limit_period)
            .finish()
    }
}

/// True for an alias the API takes: 1-64 of `a-z A-Z 0-9 - _`.
pub fn alias_ok(a: &str) -> bool {
    !a.is_empty() && a.len() <= MAX_ALIAS && a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What the API shows of a key: its first four and last four characters.
pub fn preview(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 12 {
        return "****".into();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// Parses and checks a body, naming each bad field. `create` requires a
/// secret (or a Secrets Store id).
pub fn check_body(body: &Json, create: bool) -> Result<ProviderConfigBody, Vec<ApiMessage>> {
    const CODE: i64 = 7001;
    let mut errs = Vec::new();
    let Some(obj) = body.as_object() else {
        return Err(vec![ApiMessage::new(CODE, "Expected object")]);
    };
    let string = |k: &str, errs: &mut Vec<ApiMessage>| match obj.get(k) {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(_) => {
            errs.push(ApiMessage::at(CODE, "Expected string", k));
            None
        }
    };
    let slug = string("provider_slug", &mut errs);
    match slug.as_deref() {
        None => errs.push(ApiMessage::at(CODE, "Required", "provider_slug")),
        Some(s) if !crate::providers::is_known(s) => {
            errs.push(ApiMessage::at(CODE, format!("Unknown provider '{s}'"), "provider_slug"));
        }
        Some(_) => {}
    }
    let alias = string("alias", &mut errs);
    match alias.as_deref() {
        None => errs.push(ApiMessage::at(CODE, "Required", "alias")),
        Some(a) if !alias_ok(a) => {
            errs.push(ApiMessage::at(CODE, "An alias is 1-64 letters, digits, '-' or '_'", "alias"))
        }
        Some(_) => {}
    }
    let secret = string("secret", &mut errs);
    let secret_id = string("secret_id", &mut errs);
    match (&secret, &secret_id) {
        (Some(_), Some(_)) => errs.push(ApiMessage::at(CODE, "Give secret or secret_id, not both", "secret")),
        (None, None) if create => errs.push(ApiMessage::at(CODE, "Required: secret or secret_id", "secret")),
        (Some(s), _) if s.is_empty() || s.len() > MAX_SECRET || s.contains(['\r', '\n']) => {
            errs.push(ApiMessage::at(CODE, "A secret is 1-16384 characters with no line breaks", "secret"));
        }
        _ => {}
    }
    let default_config = match obj.get("default_config") {
        None | Some(Json::Null) => false,
        Some(Json::Bool(b)) => *b,
        Some(_) => {
            errs.push(ApiMessage::at(CODE, "Expected boolean", "default_config"));
            false
        }
    };
    let mut int = |k: &str, min: i64| match obj.get(k) {
        None | Some(Json::Null) => None,
        Some(v) => match v.as_i64() {
            Some(n) if n >= min => Some(n),
            _ => {
                errs.push(ApiMessage::at(CODE, format!("Expected an integer >= {min}"), k));
                None
            }
        },
    };
    let rate_limit = int("rate_limit", 1);
    let rate_limit_period = int("rate_limit_period", 1);
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(ProviderConfigBody {
        provider_slug: slug.unwrap_or_default(),
        alias: alias.unwrap_or_default(),
        default_config,
        secret,
        secret_id,
        rate_limit,
        rate_limit_period,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn previews_hide_the_middle() {
        assert_eq!(preview("sk-test-1234567890abcd"), "sk-t****abcd");
        assert_eq!(preview("short"), "****");
    }

    #[test]
    fn bad_bodies_name_each_field() {
        let ok = check_body(&json!({"provider_slug": "openai", "alias": "prod", "secret": "sk-1"}), true).unwrap();
        assert_eq!(ok.alias, "prod");
        let e = check_body(&json!({"provider_slug": "nope", "alias": "a b", "rate_limit": 0}), true).unwrap_err();
        let paths: Vec<String> = e.iter().map(|m| format!("{:?}", m.path)).collect();
        assert_eq!(e.len(), 4, "{paths:?}");
        assert!(check_body(&json!({"provider_slug": "openai", "alias": "a"}), false).is_ok());
    }
}
