//! The gateway runtime apps call: `/v1/{account}/{gateway}/{provider}/...`,
//! the compat endpoint (`.../compat/chat/completions`) and the universal
//! endpoint (`POST /v1/{account}/{gateway}`), and the REST API under
//! `/client/v4/accounts/{account}/ai/` ([`rest`]). Each request runs the phases
//! in order: gateway lookup → auth → guardrails and DLP on the prompt →
//! rate limit → steps → spend limits → cache → upstream with retries and fallback →
//! guardrails and DLP on the response → log. See docs/emulator.md for the
//! chart.
pub mod byok;
pub mod cache;
pub mod error;
pub mod ratelimit;
pub mod request;
pub mod rest;
pub mod route;
mod run_to_end;
pub mod safety;
pub mod settings;
pub mod spend;
pub mod steps;
mod stream;
pub mod target;
pub mod upstream;
pub mod usage;

use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};

use crate::AppState;
use crate::logs::{LogBody, LogEntry};
use crate::metrics::Sample;
use cache::{Cached, Lookup};
use error::RuntimeError;
use ratelimit::Technique;
use request::Controls;
use run_to_end::run_to_end;
use safety::Findings;
use steps::Step;
use upstream::{Outcome, passthrough_headers};
use usage::Usage;

/// Request bodies above this are refused with 413.
pub const MAX_BODY: usize = 32 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/{account}/{gateway}", post(universal))
        .route("/v1/{account}/{gateway}/{provider}/{*rest}", any(provider_endpoint))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .merge(rest::router())
}

/// What the request asked for.
enum Target {
    Provider { provider: String, path: String, method: Method },
    Compat,
    Universal,
}

async fn provider_endpoint(
    State(st): State<AppState>,
    Path((account, gateway, provider, rest)): Path<(String, String, String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let path = match uri.query() {
        Some(q) => format!("{rest}?{q}"),
        None => rest.clone(),
    };
    let target = if provider == "compat" && rest == "chat/completions" {
        Target::Compat
    } else {
        Target::Provider { provider, path, method }
    };
    run_to_end(handle(st, account, gateway, target, uri.path().to_string(), headers, body)).await
}

async fn universal(
    State(st): State<AppState>,
    Path((account, gateway)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    run_to_end(handle(st, account, gateway, Target::Universal, uri.path().to_string(), headers, body)).await
}

/// A log entry being filled in as the request moves through the phases.
#[derive(Clone)]
struct Draft {
    st: AppState,
    gateway: std::sync::Arc<settings::Settings>,
    account: String,
    controls: Controls,
    started: Instant,
    created_ms: u64,
    path: String,
    request_type: &'static str,
    request_body: Bytes,
    request_content_type: Option<String>,
    log_id: String,
    /// What guardrails and DLP found in the request.
    found: Findings,
    /// What the spend limits hold for this request until it ends.
    spend: std::sync::Arc<std::sync::Mutex<Option<spend::Reservation>>>,
}

/// How a request ended, for its log entry.
struct Ending<'a> {
    status: u16,
    cached: bool,
    provider: &'a str,
    model: &'a str,
    step: u32,
    attempts: u32,
    usage: Usage,
    stream: bool,
    response_content_type: Option<String>,
    response_body: Bytes,
    /// What the response checks found.
    found: Findings,
    /// The BYOK alias whose key the answering step used.
    byok: Option<&'a str>,
    /// Route budgets the answer is charged to.
    budgets: &'a [String],
}

impl Draft {
    fn finish(&self, e: Ending<'_>) {
        let duration = self.started.elapsed().as_millis() as u64;
        // Only an answer from the provider costs: a hit, a refusal or a failure is
        // free; an answer blocked on its way back was still produced, and paid for.
        let answered = (200..300).contains(&e.status) || e.usage.tokens_out.is_some();
        let paid = !e.cached && e.attempts > 0 && answered;
        let (cost, custom_cost) =
            if paid { usage::cost(e.model, e.usage, self.controls.custom_cost.as_deref()) } else { (0.0, false) };
        let held = self.spend.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        if let Some(r) = held {
            r.settle(e.provider, e.model, cost, self.st.runtime.clock.now_ms());
        }
        for b in e.budgets {
            self.st.runtime.routes.charge(b, cost, self.st.runtime.clock.now_ms());
        }
        self.st.runtime.metrics.record(&Sample {
            gateway: &self.gateway.id,
            provider: e.provider,
            status: e.status,
            cached: e.cached,
            duration_ms: duration,
            tokens_in: e.usage.tokens_in.unwrap_or(0),
            tokens_out: e.usage.tokens_out.unwrap_or(0),
            cost,
        });
        let logs_on = self.controls.logs_on(&self.gateway);
        let otel = &self.gateway.otel;
        if !logs_on && otel.is_empty() {
            return;
        }
        let payload = self.controls.payload_on(&self.gateway);
        let mut found = self.found.clone();
        found.response = e.found.response;
        found.dlp.extend(e.found.dlp);
        let entry = LogEntry {
            id: self.log_id.clone(),
            // Formatted only for a request that is logged.
            created_at: chrono::DateTime::from_timestamp_millis(self.created_ms as i64)
                .unwrap_or_default()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            created_ms: self.created_ms,
            account_id: self.account.clone(),
            gateway_id: self.gateway.id.clone(),
            provider: e.provider.to_string(),
            model: e.model.to_string(),
            path: self.path.clone(),
            request_type: self.request_type.to_string(),
            duration,
            status_code: e.status,
            success: (200..300).contains(&e.status),
            cached: e.cached,
            tokens_in: e.usage.tokens_in,
            tokens_out: e.usage.tokens_out,
            cost,
            custom_cost,
            metadata: self.controls.metadata.clone(),
            feedback: None,
            score: None,
            step: e.step,
            attempts: e.attempts,
            request_content_type: self.request_content_type.clone(),
            response_content_type: e.response_content_type,
            event_id: self.controls.event_id.clone(),
            user_agent: self.controls.user_agent.clone(),
            stream: e.stream,
            dlp_action: found.dlp_action().map(|a| a.as_str().to_string()),
            dlp: found.dlp_log(),
            guardrails: found.guardrails_log(),
            byok_alias: e.byok.map(str::to_owned),
            // Only a universal request carries credentials in its body (per-step headers).
            request_body: payload.then(|| match self.request_type {
                "universal" => LogBody::capture_request(&self.request_body),
                _ => LogBody::capture(&self.request_body),
            }),
            response_body: payload.then(|| LogBody::capture(&e.response_body)),
        };
        let rt = &self.st.runtime;
        if !otel.is_empty() {
            let span = crate::export::otlp::span(&entry, &self.controls.trace);
            rt.exports.otlp.export(&self.gateway.id, otel.clone(), span);
        }
        if logs_on {
            rt.logs.record(entry, self.gateway.retention, self.gateway.logpush_key.clone());
        }
    }

    /// Refuses the request with a runtime error, logged.
    fn refuse(&self, err: RuntimeError, provider: &str) -> Response {
        let body = Bytes::from(
            serde_json::to_vec(&serde_json::json!({"error": [{"code": err.code, "message": err.message}]}))
                .unwrap_or_default(),
        );
        self.finish(Ending {
            status: err.status.as_u16(),
            cached: false,
            provider,
            model: "",
            step: 0,
            attempts: 0,
            usage: Usage::default(),
            stream: false,
            response_content_type: Some("application/json".into()),
            response_body: body,
            found: Findings::default(),
            byok: None,
            budgets: &[],
        });
        let mut r = err.into_response();
        self.dlp_header(r.headers_mut(), None);
        with_log_id(r, &self.log_id)
    }

    /// Sets `cf-aig-dlp` when DLP found something in the request or `response`.
    fn dlp_header(&self, h: &mut HeaderMap, response: Option<&Findings>) {
        let mut all = self.found.clone();
        if let Some(r) = response {
            all.dlp.extend(r.dlp.iter().cloned());
        }
        if let Some(v) = all.dlp_header() {
            set(h, "cf-aig-dlp", &v);
        }
    }
}

fn with_log_id(mut r: Response, id: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(id) {
        r.headers_mut().insert("cf-aig-log-id", v.clone());
        r.headers_mut().insert("cf-aig-request-id", v);
    }
    r
}

fn set(h: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        h.insert(name, v);
    }
}

fn authorized(c: &Controls, api_token: Option<&str>) -> bool {
    let Some(token) = c.authorization.as_deref().and_then(crate::bearer_token) else {
        return false;
    };
    api_token.is_none_or(|want| want == token)
}

#[allow(clippy::too_many_lines)]
async fn handle(
    st: AppState,
    account: String,
    gateway_id: String,
    target: Target,
    path: String,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = Instant::now();
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return RuntimeError::too_large().into_response(),
        Err(e) => return RuntimeError::bad_request(format!("Cannot read the request body: {e}")).into_response(),
    };
    let controls = Controls::read(&headers);
    let gateway = match st.runtime.settings.get(&st.store, &account, &gateway_id) {
        Some(g) => g,
        // Cloudflare makes the `default` gateway on its first authenticated request.
        None if gateway_id == "default" && authorized(&controls, st.config.api_token.as_deref()) => {
            match crate::management::gateways::create_default(&st, &account) {
                Ok(g) => std::sync::Arc::new(settings::Settings::of(g)),
                Err(e) => return e.into_response(),
            }
        }
        None => return RuntimeError::no_gateway().into_response(),
    };
    let rt = st.runtime.clone();
    let (log_id, created_ms) = rt.next_log_id();
    let mut draft = Draft {
        st: st.clone(),
        account: account.clone(),
        controls,
        started,
        created_ms,
        path,
        request_type: match &target {
            Target::Provider { .. } => "provider",
            Target::Compat => "compat",
            Target::Universal => "universal",
        },
        request_content_type: headers.get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned),
        request_body: body.clone(),
        log_id,
        found: Findings::default(),
        spend: Default::default(),
        gateway,
    };
    let label = match &target {
        Target::Provider { provider, .. } => provider.clone(),
        Target::Compat => "compat".into(),
        Target::Universal => "universal".into(),
    };
    // Auth.
    if draft.gateway.authentication && !authorized(&draft.controls, st.config.api_token.as_deref()) {
        return draft.refuse(RuntimeError::unauthorized(), &label);
    }
    // Guardrails and DLP on the prompt.
    if let Err(e) = draft.gateway.safety.request(&rt.safety, &body, &mut draft.found) {
        return draft.refuse(e, &label);
    }
    let g = &draft.gateway;
    // Rate limit.
    if let (Some(limit), Some(interval)) = (g.rate_limiting_limit, g.rate_limiting_interval)
        && limit > 0
        && interval > 0
    {
        let technique =
            if g.rate_limiting_technique.as_deref() == Some("sliding") { Technique::Sliding } else { Technique::Fixed };
        if !rt.limiter.allow((&account, &g.id), limit as u64, interval as u64, technique, rt.clock.now_ms()) {
            return draft.refuse(RuntimeError::rate_limited(), &label);
        }
    }
    // Steps.
    let policy = draft.controls.policy(g);
    let built = match &target {
        Target::Provider { provider, path, method } => steps::provider_step(
            &rt.upstreams,
            &account,
            provider,
            path,
            method.clone(),
            &headers,
            body.clone(),
            policy,
        )
        .map(|s| (vec![s], false)),
        Target::Compat => steps::compat_steps(
            &rt,
            &st.store,
            (&account, &g.id),
            &headers,
            &body,
            (policy, draft.controls.metadata.as_ref()),
        ),
        Target::Universal => {
            steps::universal_steps(&rt.upstreams, &account, &headers, &body, policy).map(|s| (s, false))
        }
    };
    let (mut steps, dynamic) = match built {
        Ok(s) => s,
        Err(e) => return draft.refuse(e, &label),
    };
    for s in steps.iter_mut() {
        rt.upstreams.add_custom_headers(&account, &mut s.call, &s.provider);
    }
    // BYOK keys for the steps that brought none.
    let scope = (account.as_str(), &draft.gateway.gateway);
    if let Err(e) = byok::apply(&st.store, scope, &draft.controls, &mut steps) {
        return draft.refuse(e, &label);
    }
    let g = &draft.gateway;
    let stream = steps.first().is_some_and(|s| s.call.stream);
    // Spend limits.
    if let Err(e) = admit_spend(&draft, &steps) {
        return draft.refuse(e, &label);
    }

    // Cache.
    // Universal steps may turn the cache on with their own `cf-aig-cache-ttl`.
    let step_ttl = steps.iter().filter_map(|s| s.cache.ttl_s).max();
    let request_ttl = draft.controls.cache_ttl_s(g);
    let ttl =
        if stream || draft.controls.skip_cache || draft.controls.zdr_on(g) { None } else { request_ttl.or(step_ttl) };
    let Some(ttl) = ttl else {
        return run_steps(&draft, &steps, dynamic, None).await;
    };
    // Exact match: the method, the path with its query string, and the body.
    let (method, target_path) = match &target {
        Target::Provider { path, method, .. } => (method.as_str(), path.as_str()),
        _ => ("POST", draft.path.as_str()),
    };
    let key = match &draft.controls.cache_key {
        Some(k) => cache::key(&[account.as_bytes(), g.id.as_bytes(), b"custom", k.as_bytes()]),
        None => cache::key(&[
            account.as_bytes(),
            g.id.as_bytes(),
            label.as_bytes(),
            method.as_bytes(),
            target_path.as_bytes(),
            &body,
        ]),
    };
    loop {
        match rt.cache.lookup(key, rt.clock.now_ms()) {
            Lookup::Hit(c) => return serve_cached(&draft, &c, true),
            Lookup::Follower(rx) => {
                if let Some(landing) = cache::wait(rx).await {
                    return serve_cached(&draft, &landing.value, landing.stored);
                }
                // The leader ended without a cacheable answer: look again (this may lead now).
            }
            Lookup::Leader(leader) => {
                let fill = CacheFill { leader, expires_ms: rt.clock.now_ms() + ttl * 1000 };
                return run_steps(&draft, &steps, dynamic, Some(fill)).await;
            }
        }
    }
}

/// Holds the worst case of the request's steps in every spend budget that
/// covers them (see [`spend`]).
fn admit_spend(draft: &Draft, steps: &[Step]) -> Result<(), RuntimeError> {
    let Some(limits) = &draft.gateway.spend else {
        return Ok(());
    };
    let custom = draft.controls.custom_cost.as_deref();
    let candidates: Vec<spend::Candidate<'_>> = steps
        .iter()
        .map(|s| spend::Candidate {
            provider: &s.provider,
            model: &s.model,
            worst_usd: usage::worst_case(&s.model, &s.call.body, custom),
        })
        .collect();
    let rt = &draft.st.runtime;
    let scope = (draft.account.as_str(), draft.gateway.id.as_str());
    let held = rt.spend.admit(scope, limits, &candidates, draft.controls.metadata.as_ref(), rt.clock.now_ms())?;
    *draft.spend.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(held);
    Ok(())
}

/// The request that fills the cache for a missed key.
struct CacheFill {
    leader: cache::Leader,
    expires_ms: u64,
}

/// An answer another request fetched: from the cache (`hit`), or shared
/// with the requests that waited for it without being stored (an error).
fn serve_cached(draft: &Draft, c: &Cached, hit: bool) -> Response {
    draft.finish(Ending {
        status: c.status,
        cached: hit,
        provider: &c.provider,
        model: &c.model,
        step: 0,
        attempts: 0,
        usage: Usage { tokens_in: Some(0), tokens_out: Some(0) },
        stream: false,
        response_content_type: Some(c.content_type.clone()),
        response_body: c.body.clone(),
        found: Findings::default(),
        byok: None,
        budgets: &[],
    });
    let mut r = Response::new(Body::from(c.body.clone()));
    *r.status_mut() = StatusCode::from_u16(c.status).unwrap_or(StatusCode::OK);
    let h = r.headers_mut();
    set(h, "content-type", &c.content_type);
    set(h, "cf-aig-cache-status", if hit { "HIT" } else { "MISS" });
    set(h, "cf-aig-step", "0");
    set(h, "cf-aig-provider", &c.provider);
    set(h, "cf-aig-model", &c.model);
    draft.dlp_header(h, None);
    with_log_id(r, &draft.log_id)
}

/// Tries each step in turn; a step that fails after its retries hands over
/// to the next. The last step's answer is returned whatever it is.
async fn run_steps(draft: &Draft, steps: &[Step], dynamic: bool, fill: Option<CacheFill>) -> Response {
    let rt = &draft.st.runtime;
    let mut total_attempts = 0;
    let last = steps.len().saturating_sub(1);
    for (i, step) in steps.iter().enumerate() {
        // A BYOK key over its own rate limit: the step fails, the next one is tried.
        if let Some(k) = &step.key_limit
            && !k.allow(&rt.limiter, rt.clock.now_ms())
        {
            if i < last {
                continue;
            }
            drop(fill);
            return draft.refuse(k.refusal(&step.provider), &step.provider);
        }
        let (outcome, attempts) = rt.upstreams.send(&step.call, &step.policy).await;
        total_attempts += attempts;
        if !outcome.succeeded() && i < last {
            tracing::debug!(step = i, provider = %step.provider, "step failed; falling back");
            continue;
        }
        let mut extra = HeaderMap::new();
        set(&mut extra, "cf-aig-step", &i.to_string());
        set(&mut extra, "cf-aig-provider", &step.provider);
        set(&mut extra, "cf-aig-model", &step.model);
        if dynamic {
            set(&mut extra, "cf-aig-dynamic-route", "true");
        }
        if fill.is_some() {
            set(&mut extra, "cf-aig-cache-status", "MISS");
        }
        return respond(draft, step, i as u32, total_attempts, outcome, extra, fill).await;
    }
    drop(fill);
    draft.refuse(RuntimeError::bad_request("No steps to run"), "")
}

async fn respond(
    draft: &Draft,
    step: &Step,
    index: u32,
    attempts: u32,
    outcome: Outcome,
    extra: HeaderMap,
    fill: Option<CacheFill>,
) -> Response {
    let rt = &draft.st.runtime;
    let outcome = match outcome {
        // A stream whose answer must be checked is read whole first.
        Outcome::Stream { status, headers, body } if draft.gateway.safety.checks_response() => {
            match http_body_util::BodyExt::collect(body).await {
                Ok(body) => {
                    let body = body.to_bytes();
                    return respond_whole(draft, step, index, attempts, (status, headers, body), extra, fill);
                }
                Err(e) => Outcome::Failed { error: format!("reading the streamed answer: {e}") },
            }
        }
        o => o,
    };
    match outcome {
        Outcome::Failed { error } => {
            let err = RuntimeError::provider_failed(&error);
            let body = serde_json::json!({"error": [{"code": err.code, "message": err.message}]}).to_string();
            if let Some(CacheFill { leader, expires_ms }) = fill {
                let answer = Cached {
                    status: err.status.as_u16(),
                    content_type: "application/json".into(),
                    body: Bytes::from(err.clone().into_response_body()),
                    expires_ms,
                    tokens_in: None,
                    tokens_out: None,
                    model: step.model.clone(),
                    provider: step.provider.clone(),
                };
                rt.cache.share(leader, answer);
            }
            draft.finish(Ending {
                status: err.status.as_u16(),
                cached: false,
                provider: &step.provider,
                model: &step.model,
                step: index,
                attempts,
                usage: Usage::default(),
                stream: step.call.stream,
                response_content_type: Some("application/json".into()),
                response_body: Bytes::from(body),
                found: Findings::default(),
                byok: step.byok_alias.as_deref(),
                budgets: &step.budgets,
            });
            let mut r = err.into_response();
            r.headers_mut().extend(extra);
            draft.dlp_header(r.headers_mut(), None);
            with_log_id(r, &draft.log_id)
        }
        Outcome::Full { status, headers, body } => {
            respond_whole(draft, step, index, attempts, (status, headers, body), extra, fill)
        }
        Outcome::Stream { status, headers, body } => {
            let mut h = passthrough_headers(&headers);
            h.extend(extra);
            draft.dlp_header(&mut h, None);
            let log = stream::StreamLog {
                draft: draft.clone(),
                provider: step.provider.clone(),
                model: step.model.clone(),
                step: index,
                attempts,
                status,
                content_type: headers.get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned),
                byok: step.byok_alias.clone(),
                budgets: step.budgets.clone(),
            };
            let body = stream::logged(body, log);
            let mut r = Response::new(body);
            *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            *r.headers_mut() = h;
            with_log_id(r, &draft.log_id)
        }
    }
}

/// Answers with a whole upstream response (or a stream read whole): checked
/// by guardrails and DLP, then cached (a success) or shared (an error).
fn respond_whole(
    draft: &Draft,
    step: &Step,
    index: u32,
    attempts: u32,
    (status, headers, body): (u16, HeaderMap, Bytes),
    extra: HeaderMap,
    fill: Option<CacheFill>,
) -> Response {
    let rt = &draft.st.runtime;
    let stream = step.call.stream;
    let usage = if stream { usage::SseUsage::of(&body) } else { Usage::from_body(&body) };
    let content_type =
        headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("application/json").to_string();
    let mut found = Findings::default();
    let verdict = if (200..300).contains(&status) {
        draft.gateway.safety.response(&rt.safety, &body, &mut found)
    } else {
        Ok(())
    };
    if let Err(err) = verdict {
        // Blocked: the answer goes nowhere, not even into the cache.
        let blocked = Bytes::from(err.clone().into_response_body());
        if let Some(CacheFill { leader, expires_ms }) = fill {
            let answer = Cached {
                status: err.status.as_u16(),
                content_type: "application/json".into(),
                body: blocked.clone(),
                expires_ms,
                tokens_in: None,
                tokens_out: None,
                model: step.model.clone(),
                provider: step.provider.clone(),
            };
            rt.cache.share(leader, answer);
        }
        let mut r = err.clone().into_response();
        r.headers_mut().extend(extra);
        draft.dlp_header(r.headers_mut(), Some(&found));
        draft.finish(Ending {
            status: err.status.as_u16(),
            cached: false,
            provider: &step.provider,
            model: &step.model,
            step: index,
            attempts,
            usage,
            stream,
            response_content_type: Some("application/json".into()),
            response_body: blocked,
            found,
            byok: step.byok_alias.as_deref(),
            budgets: &step.budgets,
        });
        return with_log_id(r, &draft.log_id);
    }
    if let Some(CacheFill { leader, expires_ms }) = fill {
        // A universal step's own cache headers decide how its answer is kept.
        let expires_ms = step.cache.ttl_s.map_or(expires_ms, |t| rt.clock.now_ms() + t * 1000);
        let answer = Cached {
            status,
            content_type: content_type.clone(),
            body: body.clone(),
            expires_ms,
            tokens_in: usage.tokens_in,
            tokens_out: usage.tokens_out,
            model: step.model.clone(),
            provider: step.provider.clone(),
        };
        // Only a success is stored; an error is shared with the waiting requests.
        if (200..300).contains(&status) && step.cache.skip != Some(true) {
            rt.cache.finish(leader, answer);
        } else {
            rt.cache.share(leader, answer);
        }
    }
    let mut r = Response::new(Body::from(body.clone()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    *r.headers_mut() = passthrough_headers(&headers);
    r.headers_mut().extend(extra);
    draft.dlp_header(r.headers_mut(), Some(&found));
    draft.finish(Ending {
        status,
        cached: false,
        provider: &step.provider,
        model: &step.model,
        step: index,
        attempts,
        usage,
        stream,
        response_content_type: Some(content_type),
        response_body: body,
        found,
        byok: step.byok_alias.as_deref(),
        budgets: &step.budgets,
    });
    with_log_id(r, &draft.log_id)
}
