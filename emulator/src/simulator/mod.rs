//! Simulated upstream providers for `--simulate`: one HTTP server that
//! speaks each provider's wire format (see `formats`), answers with
//! deterministic content and token usage derived from the input, counts
//! calls per provider and model, and injects the faults it is told to.
//! Faults are set through the control API or `--fault`, never by magic
//! strings in requests.
mod checks;
pub mod formats;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::lock;
use formats::{Format, Reply};

/// What goes wrong, for one provider (and optionally one model).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    pub provider: String,
    #[serde(default)]
    pub model: Option<String>,
    /// Answer with this HTTP status (with the provider's error body).
    #[serde(default)]
    pub status: Option<u16>,
    /// Never answer (the gateway's request timeout cuts it off).
    #[serde(default)]
    pub timeout: bool,
    /// Send the status line, then drop the connection.
    #[serde(default)]
    pub drop: bool,
    /// Added before answering, in milliseconds.
    #[serde(default)]
    pub latency_ms: u64,
    /// Fail this many times, then answer normally. Unset: fail every time.
    #[serde(default)]
    pub times: Option<u32>,
}

impl Fault {
    /// Parses the `--fault` form `PROVIDER[:MODEL]=SPEC`, where SPEC is
    /// `503`, `503*2` (twice, then fine), `timeout`, `drop` or `latency:250`.
    pub fn parse(s: &str) -> Result<Fault, String> {
        let (target, spec) =
            s.split_once('=').ok_or_else(|| format!("--fault {s:?}: expected PROVIDER[:MODEL]=SPEC"))?;
        let (provider, model) = match target.split_once(':') {
            Some((p, m)) => (p.to_string(), Some(m.to_string())),
            None => (target.to_string(), None),
        };
        let (spec, times) = match spec.split_once('*') {
            Some((s, n)) => (s, Some(n.parse::<u32>().map_err(|_| format!("--fault {s:?}: bad count {n:?}"))?)),
            None => (spec, None),
        };
        let mut f = Fault { provider, model, status: None, timeout: false, drop: false, latency_ms: 0, times };
        match spec {
            "timeout" => f.timeout = true,
            "drop" => f.drop = true,
            s if s.starts_with("latency:") => {
                f.latency_ms =
                    s[8..].trim_end_matches("ms").parse().map_err(|_| format!("--fault: bad latency {s:?}"))?;
            }
            s => f.status = Some(s.parse().map_err(|_| format!("--fault: unknown fault {s:?}"))?),
        }
        Ok(f)
    }

    fn matches(&self, provider: &str, model: &str) -> bool {
        self.provider == provider && self.model.as_deref().is_none_or(|m| m == model) && self.times != Some(0)
    }
}

#[derive(Default)]
pub struct Simulator {
    faults: Mutex<Vec<Fault>>,
    calls: Mutex<BTreeMap<String, BTreeMap<String, u64>>>,
}

impl Simulator {
    pub fn new(faults: Vec<Fault>) -> Simulator {
        Simulator { faults: Mutex::new(faults), calls: Mutex::default() }
    }
    pub fn add_fault(&self, f: Fault) {
        lock(&self.faults).push(f);
    }
    pub fn clear_faults(&self) {
        lock(&self.faults).clear();
    }
    pub fn faults(&self) -> Vec<Fault> {
        lock(&self.faults).clone()
    }
    /// Calls so far: provider → model → count.
    pub fn calls(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        lock(&self.calls).clone()
    }
    pub fn reset_calls(&self) {
        lock(&self.calls).clear();
    }

    /// Counts the call and takes the fault to apply, if any (a model-specific
    /// fault wins over a provider-wide one).
    fn on_call(&self, provider: &str, model: &str) -> Option<Fault> {
        *lock(&self.calls).entry(provider.to_string()).or_default().entry(model.to_string()).or_default() += 1;
        let mut faults = lock(&self.faults);
        let idx = faults
            .iter()
            .position(|f| f.model.is_some() && f.matches(provider, model))
            .or_else(|| faults.iter().position(|f| f.model.is_none() && f.matches(provider, model)))?;
        let f = &mut faults[idx];
        if let Some(n) = f.times.as_mut() {
            *n -= 1;
        }
        Some(f.clone())
    }

    pub fn router(self: Arc<Self>) -> Router {
        // Sized like the runtime, so what the gateway accepts reaches the provider.
        Router::new()
            .route("/{provider}/{*rest}", axum::routing::any(serve))
            .layer(axum::extract::DefaultBodyLimit::max(crate::runtime::MAX_BODY))
            .with_state(self)
    }
}

async fn serve(
    State(sim): State<Arc<Simulator>>,
    method: axum::http::Method,
    Path((provider, rest)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let format = Format::detect(&provider, &rest);
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let model = formats::model_of(&request, &rest);
    let fault = sim.on_call(&provider, &model);
    if let Some(f) = &fault {
        if f.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(f.latency_ms)).await;
        }
        if f.timeout {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        if f.drop {
            let broken = futures_util::stream::once(async { Err::<Bytes, _>(std::io::Error::other("simulated drop")) });
            return Response::new(Body::from_stream(broken));
        }
        if let Some(status) = f.status {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (code, axum::Json(format.error_body(status, &provider))).into_response();
        }
    }
    // Past any outage, the provider refuses what it does not serve.
    let request = match checks::check(&provider, &method, &rest, &body) {
        Ok(r) => r,
        Err((status, body)) => return (status, axum::Json(body)).into_response(),
    };
    if method == axum::http::Method::GET {
        let models = serde_json::json!({"object": "list", "data": [
            {"id": model, "object": "model", "created": 0, "owned_by": provider}]});
        return axum::Json(models).into_response();
    }
    let reply = Reply::new(&provider, &model, &request);
    let stream = request.get("stream").and_then(Value::as_bool).unwrap_or(false)
        || rest.contains(":streamGenerateContent")
        || query.as_deref().is_some_and(|q| q.contains("alt=sse"));
    if !stream {
        return axum::Json(format.body(&reply)).into_response();
    }
    let include_usage = request.pointer("/stream_options/include_usage").and_then(Value::as_bool).unwrap_or(false);
    let events = format.events(&reply, include_usage);
    // Events are paced so a client sees them arrive one by one.
    let s = futures_util::stream::unfold(events.into_iter(), |mut it| async move {
        let next = it.next()?;
        tokio::time::sleep(Duration::from_millis(2)).await;
        Some((Ok::<_, Infallible>(Bytes::from(next)), it))
    });
    Response::builder()
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(Body::from_stream(s))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_specs_parse() {
        let f = Fault::parse("openai:gpt-4o=503*2").unwrap();
        assert_eq!(
            (f.provider.as_str(), f.model.as_deref(), f.status, f.times),
            ("openai", Some("gpt-4o"), Some(503), Some(2))
        );
        assert!(Fault::parse("anthropic=timeout").unwrap().timeout);
        assert_eq!(Fault::parse("groq=latency:250ms").unwrap().latency_ms, 250);
        assert!(Fault::parse("openai").is_err());
        assert!(Fault::parse("openai=teapot").is_err());
    }

    #[test]
    fn n_failures_then_success_and_model_faults_win() {
        let sim = Simulator::new(vec![Fault::parse("openai=503*2").unwrap(), Fault::parse("openai:m2=429").unwrap()]);
        assert_eq!(sim.on_call("openai", "m1").and_then(|f| f.status), Some(503));
        assert_eq!(sim.on_call("openai", "m2").and_then(|f| f.status), Some(429));
        assert_eq!(sim.on_call("openai", "m1").and_then(|f| f.status), Some(503));
        assert_eq!(sim.on_call("openai", "m1"), None);
        assert_eq!(sim.calls()["openai"]["m1"], 3);
    }
}
