//! Validation of gateway create and update bodies, field by field, with
//! zod-style messages and the field's `path`, as the real API answers
//! (HTTP 400, code 7001). Unknown fields are ignored, as the API strips them.
use aigw_cloudflare::ApiMessage;
use serde_json::{Map, Value as Json};

pub const VALIDATION_CODE: i64 = 7001;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    Update,
}

enum Kind {
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    Enum(&'static [&'static str]),
    Str {
        min: usize,
        max: usize,
    },
    /// Structured settings the emulator stores as given.
    Any,
    /// `guardrails`: checked by `aigw_cloudflare::controls`.
    Guardrails,
    /// `dlp`: checked by `aigw_cloudflare::controls`, against known profiles.
    Dlp,
    /// `spend_limits`: checked by `aigw_cloudflare::spend`.
    Spend,
    /// `otel`: checked by `aigw_cloudflare::logging`.
    Otel,
    /// `logpush_public_key`: a PEM RSA public key logs can be encrypted with.
    PublicKey,
}

struct Field {
    name: &'static str,
    kind: Kind,
    nullable: bool,
    /// Must be present in both create and full-PUT bodies.
    required: bool,
    /// Accepted only by PUT (the create schema lacks it).
    update_only: bool,
    default: fn() -> Json,
}

const fn f(name: &'static str, kind: Kind, nullable: bool, required: bool, default: fn() -> Json) -> Field {
    Field { name, kind, nullable, required, update_only: false, default }
}

const fn u(name: &'static str, kind: Kind, nullable: bool, default: fn() -> Json) -> Field {
    Field { name, kind, nullable, required: false, update_only: true, default }
}

const MAX_INT: i64 = i32::MAX as i64;
/// One month, the longest cache TTL Cloudflare allows.
pub const MAX_CACHE_TTL: i64 = 2_592_000;

static FIELDS: &[Field] = &[
    f("cache_invalidate_on_update", Kind::Bool, false, true, || Json::Bool(false)),
    f("cache_ttl", Kind::Int { min: 0, max: MAX_CACHE_TTL }, true, true, || Json::from(0)),
    f("collect_logs", Kind::Bool, false, true, || Json::Bool(true)),
    f("rate_limiting_interval", Kind::Int { min: 0, max: MAX_INT }, true, true, || Json::Null),
    f("rate_limiting_limit", Kind::Int { min: 0, max: MAX_INT }, true, true, || Json::Null),
    f("rate_limiting_technique", Kind::Enum(&["fixed", "sliding"]), true, false, || Json::from("fixed")),
    f("authentication", Kind::Bool, false, false, || Json::Bool(false)),
    f("log_management", Kind::Int { min: 10_000, max: 10_000_000 }, true, false, || Json::Null),
    f("log_management_strategy", Kind::Enum(&["STOP_INSERTING", "DELETE_OLDEST"]), true, false, || Json::Null),
    f("logpush", Kind::Bool, false, false, || Json::Bool(false)),
    f("logpush_public_key", Kind::PublicKey, true, false, || Json::Null),
    f("retry_max_attempts", Kind::Int { min: 1, max: 5 }, true, false, || Json::Null),
    f("retry_delay", Kind::Int { min: 0, max: 5000 }, true, false, || Json::Null),
    f("retry_backoff", Kind::Enum(&["constant", "linear", "exponential"]), true, false, || Json::Null),
    f("store_id", Kind::Str { min: 1, max: 256 }, true, false, || Json::Null),
    f("zdr", Kind::Bool, false, false, || Json::Bool(false)),
    f("byok_only", Kind::Bool, false, false, || Json::Bool(false)),
    f("workers_ai_billing_mode", Kind::Enum(&["postpaid", "unified"]), false, false, || Json::from("postpaid")),
    u("log_classification", Kind::Bool, false, || Json::Bool(false)),
    u("dlp", Kind::Dlp, true, || Json::Null),
    u("guardrails", Kind::Guardrails, true, || Json::Null),
    u("otel", Kind::Otel, true, || Json::Null),
    u("spend_limits", Kind::Spend, true, || Json::Null),
    u("stripe", Kind::Any, true, || Json::Null),
];

fn type_name(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

fn check(field: &Field, v: &Json) -> Option<String> {
    if v.is_null() {
        let expected = match field.kind {
            Kind::Bool => "boolean",
            Kind::Int { .. } => "number",
            Kind::Enum(_) | Kind::Str { .. } => "string",
            Kind::Any | Kind::Guardrails | Kind::Dlp | Kind::Spend | Kind::Otel => "object",
            Kind::PublicKey => "string",
        };
        return (!field.nullable).then(|| format!("Expected {expected}, received null"));
    }
    match &field.kind {
        Kind::Bool => (!v.is_boolean()).then(|| format!("Expected boolean, received {}", type_name(v))),
        Kind::Int { min, max } => match v.as_i64() {
            None if v.is_number() => Some("Expected integer, received float".into()),
            None => Some(format!("Expected number, received {}", type_name(v))),
            Some(n) if n < *min => Some(format!("Number must be greater than or equal to {min}")),
            Some(n) if n > *max => Some(format!("Number must be less than or equal to {max}")),
            Some(_) => None,
        },
        Kind::Enum(values) => match v.as_str() {
            Some(s) if values.contains(&s) => None,
            _ => Some(format!(
                "Invalid enum value. Expected {}, received {}",
                values.iter().map(|x| format!("'{x}'")).collect::<Vec<_>>().join(" | "),
                match v.as_str() {
                    Some(s) => format!("'{s}'"),
                    None => type_name(v).to_string(),
                }
            )),
        },
        Kind::Str { min, max } => match v.as_str() {
            None => Some(format!("Expected string, received {}", type_name(v))),
            Some(s) if s.chars().count() < *min => Some(format!("String must contain at least {min} character(s)")),
            Some(s) if s.chars().count() > *max => Some(format!("String must contain at most {max} character(s)")),
            Some(_) => None,
        },
        Kind::PublicKey => match v.as_str().map(|s| s.chars().count()) {
            None => Some(format!("Expected string, received {}", type_name(v))),
            Some(n) if !(16..=1024).contains(&n) => Some("String must contain between 16 and 1024 character(s)".into()),
            Some(_) => v.as_str().and_then(|pem| crate::export::logpush::PublicKey::parse(pem).err()),
        },
        Kind::Any | Kind::Guardrails | Kind::Dlp | Kind::Spend | Kind::Otel => None,
    }
}

/// The problems inside a structured control, each at its full path.
fn check_control(field: &Field, v: &Json, known_profile: &dyn Fn(&str) -> bool) -> Vec<ApiMessage> {
    let problems = match field.kind {
        Kind::Guardrails => aigw_cloudflare::controls::check_guardrails(v),
        Kind::Dlp => aigw_cloudflare::controls::check_dlp(v, known_profile),
        Kind::Spend => aigw_cloudflare::spend::check_spend_limits(v),
        Kind::Otel => aigw_cloudflare::logging::check_otel(v),
        _ => Vec::new(),
    };
    problems
        .into_iter()
        .map(|(path, message)| ApiMessage { code: VALIDATION_CODE, message, path: Some(path) })
        .collect()
}

/// Checks a gateway id: 1–64 characters of `[a-z0-9_-]`.
pub fn gateway_id_problem(id: &str) -> Option<String> {
    if id.is_empty() || id.len() > 64 {
        return Some("String must contain between 1 and 64 character(s)".into());
    }
    if !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_') {
        return Some("Invalid gateway id: use lowercase letters, digits, '-' and '_'".into());
    }
    None
}

/// Validates a create or full-PUT body. Returns every modelled field, with
/// defaults for the optional ones that were left out (a PUT replaces the
/// whole object), or every problem found. `known_profile` says whether a
/// DLP profile id exists.
pub fn gateway_body(
    body: &Json,
    mode: Mode,
    known_profile: &dyn Fn(&str) -> bool,
) -> Result<Map<String, Json>, Vec<ApiMessage>> {
    let Some(obj) = body.as_object() else {
        return Err(vec![ApiMessage::new(VALIDATION_CODE, format!("Expected object, received {}", type_name(body)))]);
    };
    let mut errors = Vec::new();
    let mut out = Map::new();
    if mode == Mode::Create {
        match obj.get("id") {
            None => errors.push(ApiMessage::at(VALIDATION_CODE, "Required", "id")),
            Some(Json::String(id)) => match gateway_id_problem(id) {
                Some(p) => errors.push(ApiMessage::at(VALIDATION_CODE, p, "id")),
                None => {
                    out.insert("id".into(), Json::String(id.clone()));
                }
            },
            Some(v) => errors.push(ApiMessage::at(
                VALIDATION_CODE,
                format!("Expected string, received {}", type_name(v)),
                "id",
            )),
        }
    }
    for field in FIELDS {
        let given = if field.update_only && mode == Mode::Create { None } else { obj.get(field.name) };
        match given {
            None if field.required => errors.push(ApiMessage::at(VALIDATION_CODE, "Required", field.name)),
            None => {
                out.insert(field.name.into(), (field.default)());
            }
            Some(v) => match check(field, v) {
                Some(problem) => errors.push(ApiMessage::at(VALIDATION_CODE, problem, field.name)),
                None if !check_control(field, v, known_profile).is_empty() => {
                    errors.extend(check_control(field, v, known_profile));
                }
                // A null cache TTL is stored as 0, as the live API does.
                None if v.is_null() && field.name == "cache_ttl" => {
                    out.insert(field.name.into(), Json::from(0));
                }
                None => {
                    out.insert(field.name.into(), v.clone());
                }
            },
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal() -> Json {
        json!({"id": "g-1", "cache_invalidate_on_update": false, "cache_ttl": null, "collect_logs": true,
               "rate_limiting_interval": null, "rate_limiting_limit": null})
    }

    #[test]
    fn minimal_create_gets_defaults() {
        let m = gateway_body(&minimal(), Mode::Create, &|_| true).unwrap();
        assert_eq!(m["cache_ttl"], 0);
        assert_eq!(m["workers_ai_billing_mode"], "postpaid");
        assert!(m["dlp"].is_null(), "update-only fields start at their defaults");
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let mut b = minimal();
        b["id"] = json!("Bad Id");
        b["retry_delay"] = json!(6000);
        b["rate_limiting_technique"] = json!("burst");
        b["logpush"] = json!(null);
        b.as_object_mut().unwrap().remove("collect_logs");
        let errs = gateway_body(&b, Mode::Create, &|_| true).unwrap_err();
        let paths: Vec<String> =
            errs.iter().map(|e| e.path.as_ref().unwrap()[0].as_str().unwrap().to_string()).collect();
        assert_eq!(paths, ["id", "collect_logs", "rate_limiting_technique", "logpush", "retry_delay"]);
        assert!(errs.iter().all(|e| e.code == 7001));
        assert_eq!(errs[2].message, "Invalid enum value. Expected 'fixed' | 'sliding', received 'burst'");
        assert_eq!(errs[4].message, "Number must be less than or equal to 5000");
    }
}
