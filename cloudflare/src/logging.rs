//! Where a gateway's logs and traces go besides its own log store: `otel`
//! (OpenTelemetry collectors the gateway exports spans to), and the
//! `logpush` / `logpush_public_key` and `zdr` switches read from the
//! gateway object. [`check_otel`] returns every problem with its JSON path.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::controls::Problem;

/// One entry of `otel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtelExporter {
    pub url: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// On Cloudflare a Secrets Store reference whose value is sent as the
    /// `Authorization` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<String>,
    /// `json` (default) or `protobuf`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

impl OtelExporter {
    pub fn protobuf(&self) -> bool {
        self.content_type.as_deref() == Some("protobuf")
    }
}

fn at(path: Vec<Json>, message: impl Into<String>) -> Problem {
    let mut p = vec![Json::from("otel")];
    p.extend(path);
    (p, message.into())
}

/// Whether `name` is a valid HTTP header name (RFC 9110 token).
pub fn header_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Problems in an `otel` value (null is allowed: no export).
pub fn check_otel(v: &Json) -> Vec<Problem> {
    let mut out = Vec::new();
    let list = match v {
        Json::Null => return out,
        Json::Array(l) => l,
        _ => return vec![at(vec![], "Expected array")],
    };
    for (i, e) in list.iter().enumerate() {
        let base = |f: &str| vec![Json::from(i), Json::from(f)];
        let Some(obj) = e.as_object() else {
            out.push(at(vec![Json::from(i)], "Expected object"));
            continue;
        };
        match obj.get("url").and_then(Json::as_str) {
            Some(u) if (u.starts_with("https://") || u.starts_with("http://")) && u.len() > 8 => {}
            Some(_) => out.push(at(base("url"), "Invalid url: expected an http(s) URL")),
            None => out.push(at(base("url"), "Required")),
        }
        match obj.get("headers") {
            None | Some(Json::Null) => {}
            Some(Json::Object(h)) => {
                for (k, v) in h {
                    let mut p = base("headers");
                    p.push(Json::from(k.as_str()));
                    if !header_name(k) {
                        out.push(at(p, "Invalid header name"));
                    } else if v.as_str().is_none_or(|s| s.contains(['\r', '\n'])) {
                        out.push(at(p, "Expected a string without line breaks"));
                    }
                }
            }
            Some(_) => out.push(at(base("headers"), "Expected object")),
        }
        if obj.get("authorization").is_some_and(|a| !a.is_null() && !a.is_string()) {
            out.push(at(base("authorization"), "Expected string"));
        }
        match obj.get("content_type").map(Json::as_str) {
            None | Some(Some("json" | "protobuf")) => {}
            Some(_) => out.push(at(base("content_type"), "Invalid enum value. Expected 'json' | 'protobuf'")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exporters_are_checked_field_by_field() {
        let v = json!([
            {"url": "https://otel.example.com/v1/traces", "headers": {"x-honeycomb-team": "k"}, "content_type": "protobuf"},
            {"url": "ftp://x", "headers": {"bad name": "v", "ok": 1}, "content_type": "xml"}
        ]);
        let paths: Vec<Json> = check_otel(&v).into_iter().map(|(p, _)| Json::from(p)).collect();
        assert_eq!(
            paths,
            [
                json!(["otel", 1, "url"]),
                json!(["otel", 1, "headers", "bad name"]),
                json!(["otel", 1, "headers", "ok"]),
                json!(["otel", 1, "content_type"]),
            ]
        );
        let e: OtelExporter = serde_json::from_value(v[0].clone()).unwrap();
        assert!(e.protobuf());
    }
}
