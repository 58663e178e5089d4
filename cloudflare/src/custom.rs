//! Custom providers (`/custom-providers`, account-wide): an upstream of the
//! account's own that gateways reach as `custom-{slug}`. The object as the
//! API answers it, and the checks of create and PATCH bodies.
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::ApiMessage;

/// A custom provider as the API answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomProvider {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub base_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub enable: bool,
    #[serde(default)]
    pub beta: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curl_example: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub js_example: Option<String>,
    /// Headers sent upstream with every request to this provider.
    #[serde(default)]
    pub headers: Map<String, Json>,
    #[serde(default)]
    pub logo: String,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub modified_at: String,
}

impl CustomProvider {
    /// The runtime slug, `custom-{slug}`.
    pub fn runtime_slug(&self) -> String {
        format!("custom-{}", self.slug)
    }
}

/// True for a slug the API takes: 1-64 of `a-z 0-9 -`.
pub fn slug_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// True for a base URL the API takes: `https://` and a host.
pub fn base_url_ok(u: &str) -> bool {
    u.strip_prefix("https://")
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/') && !rest.contains(char::is_whitespace))
}

const TEXT: &[&str] = &["name", "slug", "base_url", "description", "link", "curl_example", "js_example"];
const FLAGS: &[&str] = &["enable", "beta"];

/// Checks a create (every required field) or PATCH (any subset) body and
/// returns the fields it sets.
pub fn check_body(body: &Json, create: bool, allow_http: bool) -> Result<Map<String, Json>, Vec<ApiMessage>> {
    const CODE: i64 = 7001;
    let Some(obj) = body.as_object() else { return Err(vec![ApiMessage::new(CODE, "Expected object")]) };
    let mut errs = Vec::new();
    let mut out = Map::new();
    for (k, v) in obj {
        let ok = match k.as_str() {
            f if TEXT.contains(&f) => v.is_string() || (v.is_null() && !["name", "slug", "base_url"].contains(&f)),
            f if FLAGS.contains(&f) => v.is_boolean(),
            "headers" => v.as_object().is_some_and(|m| m.values().all(Json::is_string)),
            _ => continue, // unknown fields are stripped, as the API does
        };
        if !ok {
            errs.push(ApiMessage::at(CODE, format!("Invalid type for {k}"), k));
        } else {
            out.insert(k.clone(), v.clone());
        }
    }
    for f in ["name", "slug", "base_url"] {
        if create && !out.contains_key(f) && !errs.iter().any(|e| e.path.as_ref().is_some_and(|p| p[0] == f)) {
            errs.push(ApiMessage::at(CODE, "Required", f));
        }
    }
    if let Some(s) = out.get("slug").and_then(Json::as_str).filter(|s| !slug_ok(s)) {
        errs.push(ApiMessage::at(CODE, format!("Invalid slug '{s}': 1-64 of a-z, 0-9 and '-'"), "slug"));
    }
    if let Some(u) = out.get("base_url").and_then(Json::as_str) {
        let local_http = allow_http && u.starts_with("http://127.0.0.1:");
        if !base_url_ok(u) && !local_http {
            errs.push(ApiMessage::at(CODE, format!("Invalid base_url '{u}': an https:// URL"), "base_url"));
        }
    }
    if let Some(n) = out.get("name").and_then(Json::as_str).filter(|n| n.trim().is_empty() || n.len() > 128) {
        errs.push(ApiMessage::at(CODE, format!("Invalid name '{n}': 1-128 characters"), "name"));
    }
    if errs.is_empty() { Ok(out) } else { Err(errs) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_are_checked_field_by_field() {
        let ok = json!({"name": "Neon", "slug": "neon", "base_url": "https://api.neon.example", "enable": true});
        assert_eq!(check_body(&ok, true, false).unwrap().len(), 4);
        let e =
            check_body(&json!({"slug": "Bad Slug", "base_url": "http://x", "enable": "yes"}), true, false).unwrap_err();
        let fields: Vec<Json> = e.iter().map(|m| m.path.clone().unwrap()[0].clone()).collect();
        assert_eq!(fields, [json!("enable"), json!("name"), json!("slug"), json!("base_url")]);
        assert!(check_body(&json!({"enable": false}), false, false).is_ok(), "a PATCH sets what it names");
        assert!(check_body(&json!({"base_url": "http://127.0.0.1:9/v1"}), false, true).is_ok());
    }
}
