//! What a real provider refuses, refused the same way by the simulator: a
//! path the provider does not serve gets its 404, and a request body it
//! would reject (not JSON, a required field missing) gets its 400 with the
//! provider's own error shape. So `aigw test` catches an app's mistakes
//! before the real provider does.
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::formats::Format;

/// A refusal: the status and the provider's error body.
pub type Refusal = (StatusCode, Value);

fn is_google(provider: &str) -> bool {
    provider.starts_with("google")
}

/// The provider serves `rest` (the path after its base URL): its native
/// endpoints, and the OpenAI-compatible `chat/completions` most offer.
fn serves(provider: &str, method: &Method, rest: &str) -> bool {
    let rest = rest.trim_matches('/');
    if rest.ends_with("chat/completions") {
        return true;
    }
    match provider {
        "anthropic" => rest == "messages" || rest == "v1/messages",
        "workers-ai" => rest.starts_with("@cf/") || rest.starts_with("@hf/"),
        p if is_google(p) => rest.contains(":generateContent") || rest.contains(":streamGenerateContent"),
        _ => rest.ends_with("responses") || (method == Method::GET && rest.ends_with("models")),
    }
}

fn not_found(provider: &str, method: &Method, rest: &str) -> Refusal {
    let body = match provider {
        "anthropic" => json!({"type": "error", "error": {"type": "not_found_error", "message": "Not Found"}}),
        "workers-ai" => json!({"success": false, "errors": [{"code": 7003, "message": "No route for that URI"}],
                               "messages": [], "result": null}),
        p if is_google(p) => {
            json!({"error": {"code": 404, "message": format!("Requested entity was not found: {rest}"),
                                               "status": "NOT_FOUND"}})
        }
        _ => json!({"error": {"message": format!("Invalid URL ({method} /v1/{})", rest.trim_matches('/')),
                              "type": "invalid_request_error", "param": null, "code": null}}),
    };
    (StatusCode::NOT_FOUND, body)
}

fn invalid(format: Format, message: &str, param: Option<&str>) -> Refusal {
    let body = match format {
        Format::Anthropic => json!({"type": "error", "error": {"type": "invalid_request_error", "message": message}}),
        Format::Google => json!({"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}}),
        Format::WorkersAi => json!({"success": false, "errors": [{"code": 5006, "message": message}],
                                    "messages": [], "result": null}),
        Format::OpenAiChat | Format::OpenAiResponses => json!({"error": {"message": message,
            "type": "invalid_request_error", "param": param, "code": param.map(|_| "missing_required_parameter")}}),
    };
    (StatusCode::BAD_REQUEST, body)
}

/// The fields `format` requires, checked in the provider's words.
fn required(format: Format, body: &Value) -> Result<(), Refusal> {
    let has = |k: &str| body.get(k).is_some_and(|v| !v.is_null());
    match format {
        Format::OpenAiChat | Format::OpenAiResponses if !has("model") => {
            Err(invalid(format, "you must provide a model parameter", None))
        }
        Format::OpenAiChat => match body.get("messages") {
            Some(Value::Array(m)) if !m.is_empty() => Ok(()),
            Some(Value::Array(_)) => Err(invalid(
                format,
                "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
                Some("messages"),
            )),
            _ => Err(invalid(format, "Missing required parameter: 'messages'.", Some("messages"))),
        },
        Format::Anthropic => ["model", "max_tokens", "messages"]
            .into_iter()
            .find(|k| !has(k))
            .map_or(Ok(()), |k| Err(invalid(format, &format!("{k}: Field required"), None))),
        Format::Google if !has("contents") => {
            Err(invalid(format, "* GenerateContentRequest.contents: contents is not specified\n", None))
        }
        Format::WorkersAi if !has("prompt") && !has("messages") => {
            Err(invalid(format, "Error: required properties at '/' are 'prompt' or 'messages'", None))
        }
        _ => Ok(()),
    }
}

/// Refuses what the real provider would; `Ok` with the parsed body
/// (`Null` for a GET) otherwise.
pub fn check(provider: &str, method: &Method, rest: &str, body: &[u8]) -> Result<Value, Refusal> {
    if !serves(provider, method, rest) {
        return Err(not_found(provider, method, rest));
    }
    let format = Format::detect(provider, rest);
    if method == Method::GET {
        return Ok(Value::Null);
    }
    let parsed: Value = serde_json::from_slice(body).map_err(|_| {
        let message = if body.is_empty() {
            "We could not parse the JSON body of your request: the body is empty. The API expects a JSON payload."
        } else {
            "We could not parse the JSON body of your request. The API expects a JSON payload."
        };
        invalid(format, message, None)
    })?;
    if !parsed.is_object() {
        return Err(invalid(format, "The request body must be a JSON object.", None));
    }
    required(format, &parsed)?;
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_paths_and_invalid_bodies_get_the_providers_answers() {
        let chat = br#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#;
        assert!(check("openai", &Method::POST, "chat/completions", chat).is_ok());
        let (s, b) = check("openai", &Method::POST, "chat/completionz", chat).unwrap_err();
        assert_eq!(
            (s, b["error"]["message"].as_str()),
            (StatusCode::NOT_FOUND, Some("Invalid URL (POST /v1/chat/completionz)"))
        );
        let (s, b) = check("openai", &Method::POST, "chat/completions", b"").unwrap_err();
        assert_eq!((s, b["error"]["type"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request_error")));
        let (_, b) = check("openai", &Method::POST, "chat/completions", br#"{"model":"m"}"#).unwrap_err();
        assert_eq!(b["error"]["param"], "messages");
        let (_, b) = check("anthropic", &Method::POST, "v1/messages", br#"{"model":"m","messages":[]}"#).unwrap_err();
        assert_eq!(b["error"]["message"], "max_tokens: Field required");
        assert_eq!(check("anthropic", &Method::POST, "v1/complete", b"{}").unwrap_err().0, StatusCode::NOT_FOUND);
        assert!(check("workers-ai", &Method::POST, "@cf/meta/llama-3.1-8b-instruct", br#"{"prompt":"x"}"#).is_ok());
        assert!(check("openai", &Method::GET, "models", b"").is_ok());
    }
}
