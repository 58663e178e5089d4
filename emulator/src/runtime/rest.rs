//! The REST API Cloudflare recommends for new integrations, under the v4
//! API: `/client/v4/accounts/{account}/ai/v1/chat/completions`,
//! `.../ai/v1/responses`, `.../ai/v1/messages` and `.../ai/run/{model}`.
//! The caller authenticates with its Cloudflare token (`Authorization:
//! Bearer`, or `x-api-key` as the Anthropic SDK sends it); the gateway is
//! `cf-aig-gateway-id`, else `default` (created on first use); models are
//! `provider/model`. The token never goes upstream: provider keys come from
//! BYOK. Each request then runs the gateway's usual phases.
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;

use super::error::RuntimeError;
use super::{MAX_BODY, Target, handle, run_to_end};
use crate::AppState;
use crate::error::ApiError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/client/v4/accounts/{account}/ai/{*endpoint}", post(endpoint))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// A REST request, before it becomes a gateway request.
struct Rest {
    account: String,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
}

/// What a REST endpoint turns into: the target and the body to send.
type Routed = Result<(Target, Bytes), RuntimeError>;

/// `v1/chat/completions` (as compat), `v1/responses`, `v1/messages` and
/// `run/{model}`; anything else is 404 7003 in the v4 envelope.
async fn endpoint(
    State(st): State<AppState>,
    Path((account, endpoint)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let req = Rest { account, uri, headers, body };
    match endpoint.as_str() {
        "v1/chat/completions" => serve(st, req, |b| Ok((Target::Compat, b))).await,
        "v1/responses" => serve(st, req, |b| native(&b, "openai", "responses", "the Responses API")).await,
        "v1/messages" => serve(st, req, |b| native(&b, "anthropic", "v1/messages", "the Messages API")).await,
        other => match other.strip_prefix("run/").filter(|m| !m.is_empty()) {
            Some(model) => {
                let model = model.to_string();
                serve(st, req, move |b| run_target(&model, b)).await
            }
            None => crate::management::no_route().await.into_response(),
        },
    }
}

/// `/ai/run/{model}`: a Workers AI model (`@cf/...`, `@hf/...`) as Workers
/// AI takes it, or `provider/model` as a chat completion.
fn run_target(model: &str, body: Bytes) -> Routed {
    if model.starts_with("@cf/") || model.starts_with("@hf/") {
        let target = Target::Provider { provider: "workers-ai".into(), path: model.to_string(), method: Method::POST };
        return Ok((target, body));
    }
    let known = model.split_once('/').and_then(|(p, m)| {
        let chat = aigw_cloudflare::providers::get(p)?.chat_path?;
        Some((p, m, chat))
    });
    let Some((provider, name, chat)) = known.filter(|(_, m, _)| !m.is_empty()) else {
        return Err(RuntimeError::new(StatusCode::NOT_FOUND, 7003, format!("Model not found: {model}")));
    };
    let target = Target::Provider {
        provider: provider.to_string(),
        path: chat.trim_start_matches('/').into(),
        method: Method::POST,
    };
    Ok((target, with_model(&body, name)?))
}

/// An OpenAI- or Anthropic-shaped endpoint served by one provider: the
/// model is `provider/model` (or a bare model name of that provider).
fn native(body: &Bytes, provider: &str, path: &str, api: &str) -> Routed {
    let json: Value = serde_json::from_slice(body)
        .map_err(|e| RuntimeError::bad_request(format!("Request body is not valid JSON: {e}")))?;
    let model = json.get("model").and_then(Value::as_str).unwrap_or_default();
    let name = match model.split_once('/') {
        Some((p, m)) if p == provider && !m.is_empty() => m,
        Some((p, _)) => {
            return Err(RuntimeError::bad_format(&format!(
                "{api} serves {provider} models; \"{model}\" is a {p} model (use /ai/v1/chat/completions)"
            )));
        }
        None if !model.is_empty() => model,
        None => return Err(RuntimeError::bad_format(&format!("model is required, as \"{provider}/<model>\""))),
    };
    let target = Target::Provider { provider: provider.into(), path: path.into(), method: Method::POST };
    Ok((target, with_model(body, name)?))
}

fn with_model(body: &Bytes, model: &str) -> Result<Bytes, RuntimeError> {
    let mut json: Value = serde_json::from_slice(body)
        .map_err(|e| RuntimeError::bad_request(format!("Request body is not valid JSON: {e}")))?;
    json["model"] = Value::from(model);
    Ok(Bytes::from(json.to_string()))
}

/// The caller's Cloudflare token: `Authorization: Bearer`, else `x-api-key`.
fn token(h: &HeaderMap) -> Option<String> {
    let bearer = h.get("authorization").and_then(|v| v.to_str().ok()).and_then(crate::bearer_token);
    let key = h.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim).filter(|k| !k.is_empty());
    bearer.or(key).map(str::to_owned)
}

async fn serve(st: AppState, req: Rest, route: impl FnOnce(Bytes) -> Routed) -> Response {
    let Some(token) = token(&req.headers) else {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            9106,
            "Missing X-Auth-Key, X-Auth-Email or Authorization headers",
        )
        .into_response();
    };
    if st.config.api_token.as_ref().is_some_and(|want| want != &token) {
        return ApiError::new(StatusCode::FORBIDDEN, 10000, "Authentication error").into_response();
    }
    let gateway = req
        .headers
        .get("cf-aig-gateway-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .unwrap_or("default")
        .to_string();
    // The token authenticates at the gateway and stays there.
    let mut headers = req.headers;
    headers.remove("authorization");
    headers.remove("x-api-key");
    if !headers.contains_key("cf-aig-authorization")
        && let Ok(v) = HeaderValue::from_str(&format!("Bearer {token}"))
    {
        headers.insert("cf-aig-authorization", v);
    }
    let body = match req.body {
        Ok(b) => b,
        Err(e) => {
            return run_to_end(handle(st, req.account, gateway, Target::Compat, String::new(), headers, Err(e))).await;
        }
    };
    let (target, body) = match route(body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let path = req.uri.path().to_string();
    run_to_end(handle(st, req.account, gateway, target, path, headers, Ok(body))).await
}
