//! `aigw_logpush`: Logpush on a gateway (`logpush` and
//! `logpush_public_key`). Logs are pushed encrypted with the RSA public
//! key; only the holder of the private key reads them. Destroying it
//! switches Logpush off. The CRUD is the shared gateway-setting one.
use aigw_cloudflare::Gateway;
use serde_json::Value as Json;
use tfplugin::{Attribute, AttributePath, Diagnostics, Type, Value};

use super::gateway_settings::{GatewaySetting, SettingResource};

pub struct Logpush;
pub type LogpushResource = SettingResource<Logpush>;

const BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
const END: &str = "-----END PUBLIC KEY-----";

/// Why `pem` cannot be a gateway's Logpush key, if it cannot.
fn key_problem(pem: &str) -> Option<String> {
    let pem = pem.trim();
    if pem.contains("BEGIN RSA PUBLIC KEY") {
        return Some("This is a PKCS#1 key. Give the SPKI form (-----BEGIN PUBLIC KEY-----), as `openssl rsa -pubout` or Node's generateKeyPairSync with publicKeyEncoding type \"spki\" write it.".into());
    }
    let Some(body) = pem.strip_prefix(BEGIN).and_then(|s| s.strip_suffix(END)) else {
        return Some(format!("Expected a PEM public key: {BEGIN} ... {END}."));
    };
    if !body.chars().all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c) || c.is_whitespace()) {
        return Some("The PEM body must be base64.".into());
    }
    if !(16..=1024).contains(&pem.chars().count()) {
        return Some(format!(
            "Cloudflare accepts 16 to 1024 characters; this key has {}. A 4096-bit RSA key fits.",
            pem.chars().count()
        ));
    }
    None
}

impl GatewaySetting for Logpush {
    const TYPE_NAME: &'static str = "aigw_logpush";
    const WHAT: &'static str = "Logpush";
    const DESCRIPTION: &'static str = "Logpush on a gateway: each stored log is exported with its metadata, request \
        and response encrypted with your RSA public key. Destroying it switches Logpush off.";

    fn attributes() -> Vec<Attribute> {
        vec![Attribute::new("public_key", Type::String).required().describe(
            "The RSA public key logs are encrypted with, in PEM (SPKI: `-----BEGIN PUBLIC KEY-----`). Keep the \
             private key to decrypt them.",
        )]
    }

    fn validate(d: &mut Diagnostics, config: &Value) {
        if let Some(p) = config.attr("public_key").as_str().and_then(key_problem) {
            d.attribute_error(AttributePath::root("public_key"), "Invalid public key", p);
        }
    }

    fn defaults(_config: &Value, prior: &Value, planned: &mut Value) {
        // The same key with other line breaks or a trailing newline is no change.
        if let (Some(p), Some(c)) = (prior.attr("public_key").as_str(), planned.attr("public_key").as_str())
            && p.split_whitespace().eq(c.split_whitespace())
        {
            let kept = Value::from(p);
            planned.set_attr("public_key", kept);
        }
    }

    fn enabled(g: &Gateway) -> bool {
        g.logpush_key().is_some()
    }

    fn read(g: &Gateway, prior: &Value, state: &mut Value) {
        // The same key with other line breaks or a trailing newline is no change.
        let api = g.logpush_key().unwrap_or_default();
        let key = match prior.attr("public_key").as_str() {
            Some(p) if p.split_whitespace().eq(api.split_whitespace()) => Value::from(p),
            _ => Value::from(api),
        };
        state.set_attr("public_key", key);
    }

    fn write(g: &mut Gateway, planned: &Value, _config: &Value) {
        g.extra.insert("logpush".into(), Json::Bool(true));
        if let Some(k) = planned.attr("public_key").as_str() {
            g.extra.insert("logpush_public_key".into(), Json::from(k.trim()));
        }
    }

    fn disable(g: &mut Gateway) {
        // `logpush` rejects null: it is set false, and the key is left out (reset to null).
        g.extra.insert("logpush".into(), Json::Bool(false));
        g.extra.remove("logpush_public_key");
    }

    fn attribute_path(api_path: &[Json]) -> Option<AttributePath> {
        (api_path.first().and_then(Json::as_str) == Some("logpush_public_key"))
            .then(|| AttributePath::root("public_key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n";

    #[test]
    fn keys_are_checked_and_read_back_as_written() {
        assert!(key_problem(KEY).is_none());
        assert!(key_problem("ssh-rsa AAAA").is_some_and(|p| p.contains("PEM public key")));
        assert!(key_problem(&KEY.replace("PUBLIC KEY", "RSA PUBLIC KEY")).is_some_and(|p| p.contains("PKCS#1")));
        let mut g: Gateway = serde_json::from_value(serde_json::json!({"id": "g", "logpush": false})).expect("gateway");
        let planned = Value::object([("public_key", Value::from(KEY))]);
        assert!(!Logpush::enabled(&g));
        Logpush::write(&mut g, &planned, &planned);
        assert!(Logpush::enabled(&g));
        assert_eq!(g.to_update_body()["logpush_public_key"], KEY.trim(), "sent without the trailing newline");
        let mut state = Value::object([("public_key", Value::Null)]);
        Logpush::read(&g, &planned, &mut state);
        assert_eq!(state, planned, "whitespace differences are no drift");
        Logpush::disable(&mut g);
        assert_eq!(g.to_update_body()["logpush"], false);
        assert!(!Logpush::enabled(&g));
    }
}
