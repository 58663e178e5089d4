//! Turning a runtime request into the steps to try, in order: one step for
//! a provider endpoint; the universal endpoint's array of steps; the compat
//! endpoint's `provider/model`; or a dynamic route's chain (`dynamic/<name>`).
use aigw_cloudflare::providers;
use axum::http::{HeaderMap, HeaderValue, Method};
use bytes::Bytes;
use serde_json::Value;

use super::error::RuntimeError;
use super::upstream::{Backoff, Call, MAX_RETRY_DELAY_MS, Policy, Upstreams, forwardable};
use crate::simulator::formats::model_of;
use crate::store::Store;

/// One provider to try, with its own retry policy.
#[derive(Debug, Clone)]
pub struct Step {
    pub provider: String,
    pub model: String,
    pub call: Call,
    pub policy: Policy,
    /// The BYOK alias whose key this step sends (set by [`super::byok`]).
    pub byok_alias: Option<String>,
    /// Route budgets this step's answer is charged to ([`super::route`]).
    pub budgets: Vec<String>,
    /// The step's own cache controls (universal step headers).
    pub cache: StepCache,
    /// The rate limit of the BYOK key the step sends.
    pub key_limit: Option<super::byok::KeyLimit>,
}

/// `cf-aig-cache-ttl` and `cf-aig-skip-cache` given in a universal step's
/// headers: they decide how that step's answer is cached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepCache {
    pub ttl_s: Option<u64>,
    pub skip: Option<bool>,
}

pub fn is_stream(body: &Value, path: &str) -> bool {
    body.get("stream").and_then(Value::as_bool).unwrap_or(false) || path.contains(":streamGenerateContent")
}

fn json_body(body: &Bytes) -> Result<Value, RuntimeError> {
    serde_json::from_slice(body).map_err(|e| RuntimeError::bad_request(format!("Request body is not valid JSON: {e}")))
}

/// A provider endpoint: `/v1/{account}/{gateway}/{provider}/{path}`.
#[allow(clippy::too_many_arguments)]
pub fn provider_step(
    up: &Upstreams,
    account: &str,
    provider: &str,
    path_and_query: &str,
    method: Method,
    headers: &HeaderMap,
    body: Bytes,
    policy: Policy,
) -> Result<Step, RuntimeError> {
    if !providers::is_known(provider) {
        return Err(RuntimeError::bad_request(format!("Unknown provider '{provider}'")));
    }
    // Only `model` and `stream` are read: no full parse on the hot path.
    #[derive(serde::Deserialize, Default)]
    struct Peek {
        model: Option<String>,
        stream: Option<bool>,
    }
    let peek: Peek = serde_json::from_slice(&body).unwrap_or_default();
    let path = path_and_query.split('?').next().unwrap_or_default();
    let model = match peek.model {
        Some(m) => m,
        None => model_of(&Value::Null, path),
    };
    Ok(Step {
        provider: provider.to_string(),
        model,
        call: Call {
            method,
            url: up.url(provider, account, path_and_query)?,
            headers: forwardable(headers),
            stream: peek.stream.unwrap_or(false) || path.contains(":streamGenerateContent"),
            body,
        },
        policy,
        byok_alias: None,
        budgets: Vec::new(),
        cache: StepCache::default(),
        key_limit: None,
    })
}

/// The chat completions path of Vertex AI's OpenAI-compatible endpoint,
/// for the project and region of the gateway's BYOK service-account key.
fn vertex_chat_path(
    store: &Store,
    (account, gateway): (&str, &str),
    headers: &HeaderMap,
) -> Result<String, RuntimeError> {
    let alias = headers.get("cf-aig-byok-alias").and_then(|v| v.to_str().ok());
    let key = super::byok::stored_key(store, (account, gateway), "google-vertex-ai", alias).ok_or_else(|| {
        RuntimeError::bad_format(
            "google-vertex-ai needs a BYOK key on the gateway (its service-account JSON names the project)",
        )
    })?;
    let (project, region) = super::byok::vertex_project(&key).ok_or_else(|| {
        RuntimeError::bad_format("the google-vertex-ai BYOK key is not a service-account JSON with a project_id")
    })?;
    Ok(format!("/v1/projects/{project}/locations/{region}/endpoints/openapi/chat/completions"))
}

#[allow(clippy::too_many_arguments)]
fn chat_step(
    up: &Upstreams,
    account: &str,
    provider: &str,
    model: &str,
    headers: &HeaderMap,
    body: &Value,
    policy: Policy,
    vertex: Option<&str>,
) -> Result<Step, RuntimeError> {
    // A custom provider speaks OpenAI's chat completions under its base URL.
    let chat = if let (Some(path), "google-vertex-ai") = (vertex, provider) {
        path
    } else if providers::is_known(provider) && provider.starts_with("custom-") {
        "/chat/completions"
    } else {
        let p = providers::get(provider)
            .ok_or_else(|| RuntimeError::bad_format(&format!("unknown provider '{provider}' in model")))?;
        p.chat_path.ok_or_else(|| RuntimeError::bad_format(&format!("{provider} has no chat completions API")))?
    };
    let mut body = body.clone();
    body["model"] = Value::from(model);
    let mut h = forwardable(headers);
    h.insert("content-type", HeaderValue::from_static("application/json"));
    Ok(Step {
        provider: provider.to_string(),
        model: model.to_string(),
        call: Call {
            method: Method::POST,
            url: up.url(provider, account, chat)?,
            headers: h,
            stream: is_stream(&body, ""),
            body: Bytes::from(body.to_string()),
        },
        policy,
        byok_alias: None,
        budgets: Vec::new(),
        cache: StepCache::default(),
        key_limit: None,
    })
}

/// The compat endpoint: `model` is `provider/model` or `dynamic/<route>`.
/// Returns the steps and whether a dynamic route chose them.
pub fn compat_steps(
    rt: &crate::Runtime,
    store: &Store,
    (account, gateway): (&str, &str),
    headers: &HeaderMap,
    body: &Bytes,
    (policy, metadata): (Policy, Option<&serde_json::Map<String, Value>>),
) -> Result<(Vec<Step>, bool), RuntimeError> {
    let up = &rt.upstreams;
    let json = json_body(body)?;
    let model = json.get("model").and_then(Value::as_str).unwrap_or_default();
    let Some((provider, rest)) = model.split_once('/').filter(|(p, r)| !p.is_empty() && !r.is_empty()) else {
        return Err(RuntimeError::bad_format(&format!(
            "model must be \"<provider>/<model>\" or \"dynamic/<route>\", got {model:?}"
        )));
    };
    let vertex =
        |p: &str| (p == "google-vertex-ai").then(|| vertex_chat_path(store, (account, gateway), headers)).transpose();
    if provider != "dynamic" {
        let v = vertex(provider)?;
        return Ok((vec![chat_step(up, account, provider, rest, headers, &json, policy, v.as_deref())?], false));
    }
    let (route_id, elements) = store
        .read(|d| {
            d.routes.iter().find(|((a, g, _), r)| a == account && g == gateway && r.name == rest).and_then(|(_, r)| {
                let live = &r.deployments.last()?.version_id;
                r.versions.iter().find(|v| &v.version_id == live).map(|v| (r.id.clone(), v.elements.clone()))
            })
        })
        .ok_or_else(|| RuntimeError::bad_format(&format!("no dynamic route named {rest:?} on this gateway")))?;
    let walk = super::route::Walk {
        scope: format!("{account}\u{0}{gateway}\u{0}route\u{0}{route_id}"),
        metadata,
        body: &json,
        limiter: &rt.limiter,
        state: &rt.routes,
        now_ms: rt.clock.now_ms(),
    };
    let chain = walk.steps(&elements)?;
    if chain.is_empty() {
        return Err(RuntimeError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            2003,
            format!("Rate limited: route {rest:?} reached its end with no model to try"),
        ));
    }
    let steps = chain
        .into_iter()
        .map(|s| {
            let p = Policy {
                max_attempts: (s.retries + 1).clamp(1, 5) as u32,
                timeout_ms: (s.timeout_ms > 0).then_some(s.timeout_ms as u64),
                ..policy
            };
            let v = vertex(&s.provider)?;
            let mut step = chat_step(up, account, &s.provider, &s.model, headers, &json, p, v.as_deref())?;
            step.budgets = s.budgets;
            Ok(step)
        })
        .collect::<Result<Vec<_>, RuntimeError>>()?;
    Ok((steps, true))
}

/// The universal endpoint: one step object or an array of them, each
/// `{provider, endpoint, headers, query, config}`.
pub fn universal_steps(
    up: &Upstreams,
    account: &str,
    headers: &HeaderMap,
    body: &Bytes,
    policy: Policy,
) -> Result<Vec<Step>, RuntimeError> {
    let json = json_body(body)?;
    let items = match json {
        Value::Array(a) if !a.is_empty() => a,
        Value::Object(_) => vec![json],
        _ => {
            return Err(RuntimeError::bad_request(
                "The universal endpoint takes a step object or a non-empty array of steps",
            ));
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let field = |k: &str| s.get(k).and_then(Value::as_str).filter(|v| !v.is_empty());
            let provider = field("provider")
                .ok_or_else(|| RuntimeError::bad_request(format!("step {i}: provider is required")))?;
            let endpoint = field("endpoint")
                .ok_or_else(|| RuntimeError::bad_request(format!("step {i}: endpoint is required")))?;
            let query = s.get("query").cloned().unwrap_or(Value::Null);
            // Step headers override the request's: `cf-aig-*` ones are this
            // step's gateway controls, the rest go upstream.
            let mut h = forwardable(headers);
            let mut gateway_headers = HeaderMap::new();
            if let Some(Value::Object(extra)) = s.get("headers") {
                for (k, v) in extra {
                    if let (Ok(name), Some(Ok(val))) = (
                        axum::http::HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()),
                        v.as_str().map(HeaderValue::from_str),
                    ) {
                        if name.as_str().starts_with("cf-aig-") {
                            gateway_headers.insert(name, val);
                        } else {
                            h.insert(name, val);
                        }
                    }
                }
            }
            h.insert("content-type", HeaderValue::from_static("application/json"));
            let own = super::request::Controls::read(&gateway_headers);
            let policy = Policy {
                max_attempts: own.max_attempts.unwrap_or(policy.max_attempts),
                delay_ms: own.retry_delay_ms.unwrap_or(policy.delay_ms),
                backoff: own.backoff.unwrap_or(policy.backoff),
                timeout_ms: own.request_timeout_ms.or(policy.timeout_ms),
            };
            let cfg = s.get("config");
            let num = |k: &str| cfg.and_then(|c| c.get(k)).and_then(Value::as_u64);
            let policy = Policy {
                max_attempts: num("maxAttempts").map_or(policy.max_attempts, |n| n.clamp(1, 5) as u32),
                delay_ms: num("retryDelay").map_or(policy.delay_ms, |d| d.min(MAX_RETRY_DELAY_MS)),
                backoff: cfg
                    .and_then(|c| c.get("backoff"))
                    .and_then(Value::as_str)
                    .and_then(Backoff::parse)
                    .unwrap_or(policy.backoff),
                timeout_ms: num("requestTimeout").filter(|t| *t > 0).or(policy.timeout_ms),
            };
            let cache = StepCache {
                ttl_s: own.cache_ttl_s.map(|t| t.clamp(60, 2_592_000)),
                skip: own.skip_cache.then_some(true),
            };
            if !providers::is_known(provider) {
                return Err(RuntimeError::bad_request(format!("step {i}: unknown provider '{provider}'")));
            }
            Ok(Step {
                provider: provider.to_string(),
                model: model_of(&query, endpoint),
                call: Call {
                    method: Method::POST,
                    url: up.url(provider, account, endpoint)?,
                    headers: h,
                    stream: is_stream(&query, endpoint),
                    body: Bytes::from(query.to_string()),
                },
                policy,
                byok_alias: None,
                budgets: Vec::new(),
                cache,
                key_limit: None,
            })
        })
        .collect()
}
