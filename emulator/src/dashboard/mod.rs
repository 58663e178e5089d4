//! The dashboard at `/`: one page (HTML, CSS and JavaScript built into the
//! binary, no CDN, no build step) that shows every gateway with its
//! settings, charts of its traffic by provider over time, and its logs with
//! Cloudflare's filters and a detail view, updated live. The page reads the
//! JSON endpoints here under `/__aigw/dashboard/` (tokenless, like every
//! `/__aigw/` control) and listens to `/__aigw/dashboard/events`, a
//! server-sent event per stored log. Everything is computed from the logs
//! when asked, so the request path does no extra work.
use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::logs::LogEntry;
use crate::management::logs::{analytics_of, percentile};

const INDEX: &str = include_str!("index.html");
const APP_JS: &str = include_str!("app.js");
const APP_CSS: &str = include_str!("app.css");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Html(INDEX) }))
        .route("/__aigw/dashboard/app.js", get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }))
        .route("/__aigw/dashboard/app.css", get(|| async { asset("text/css; charset=utf-8", APP_CSS) }))
        .route("/__aigw/dashboard/gateways", get(gateways))
        .route("/__aigw/dashboard/series/{account}/{gateway}", get(series))
        .route("/__aigw/dashboard/logs/{account}/{gateway}", get(logs))
        .route("/__aigw/dashboard/logs/{account}/{gateway}/{id}", get(log))
        .route("/__aigw/dashboard/events", get(events))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

/// Every gateway of every account, with its settings, routes, BYOK aliases
/// (never keys) and a summary of its traffic.
async fn gateways(State(st): State<AppState>) -> Json<Value> {
    let (gateways, routes, keys) = st.store.read(|d| {
        let routes: Vec<(String, String, Value)> = d
            .routes
            .iter()
            .map(|((a, g, _), r)| {
                let live = r.deployments.last().map(|d| d.version_id.as_str());
                let elements = r.versions.iter().find(|v| Some(v.version_id.as_str()) == live).map(|v| &v.elements);
                (a.clone(), g.clone(), json!({"id": r.id, "name": r.name, "elements": elements}))
            })
            .collect();
        let keys: Vec<(String, String, Value)> = d
            .keys
            .iter()
            .map(|((a, g, _), k)| {
                let c = &k.config;
                (
                    a.clone(),
                    g.clone(),
                    json!({"provider_slug": c.provider_slug, "alias": c.alias, "default": c.default_config}),
                )
            })
            .collect();
        (d.gateways.clone(), routes, keys)
    });
    let list: Vec<Value> = gateways
        .iter()
        .map(|((account, id), g)| {
            let mine = |v: &[(String, String, Value)]| -> Vec<Value> {
                v.iter().filter(|(a, gw, _)| a == account && gw == id).map(|(_, _, x)| x.clone()).collect()
            };
            let summary = st.runtime.logs.read(account, id, |all| analytics_of(&all.iter().collect::<Vec<_>>()));
            json!({"account_id": account, "gateway": g, "routes": mine(&routes), "keys": mine(&keys), "summary": summary})
        })
        .collect();
    Json(json!({"gateways": list}))
}

#[derive(Deserialize, Default)]
struct SeriesQuery {
    /// Bucket width in seconds (default: a width that gives about 60 buckets).
    bucket_s: Option<u64>,
}

/// A metric per time bucket and provider: requests, errors, cache hits,
/// tokens, cost and latency p50/p90/p99, from the gateway's logs.
async fn series(
    State(st): State<AppState>,
    Path((account, gateway)): Path<(String, String)>,
    Query(q): Query<SeriesQuery>,
) -> Json<Value> {
    let rows: Vec<LogEntry> =
        st.runtime.logs.read(&account, &gateway, |all| all.iter().map(LogEntry::summary).collect());
    let (first, last) = match (rows.first(), rows.last()) {
        (Some(f), Some(l)) => (f.created_ms, l.created_ms.max(f.created_ms)),
        _ => return Json(json!({"bucket_s": q.bucket_s.unwrap_or(10), "buckets": [], "providers": [], "now": 0})),
    };
    let bucket_ms =
        q.bucket_s.map_or_else(|| ((last - first) / 60).max(1000).div_ceil(1000) * 1000, |b| b.max(1) * 1000);
    let mut groups: BTreeMap<(u64, String), Vec<&LogEntry>> = BTreeMap::new();
    for e in &rows {
        groups.entry((e.created_ms - e.created_ms % bucket_ms, e.provider.clone())).or_default().push(e);
    }
    let mut buckets: BTreeMap<u64, serde_json::Map<String, Value>> = BTreeMap::new();
    for ((t, provider), es) in &groups {
        let mut d: Vec<u64> = es.iter().map(|e| e.duration).collect();
        d.sort_unstable();
        let point = json!({
            "requests": es.len(),
            "errors": es.iter().filter(|e| !e.success).count(),
            "cached": es.iter().filter(|e| e.cached).count(),
            "tokens": es.iter().map(|e| e.tokens_in.unwrap_or(0) + e.tokens_out.unwrap_or(0)).sum::<u64>(),
            "cost": es.iter().map(|e| e.cost).sum::<f64>(),
            "p50": percentile(&d, 0.5), "p90": percentile(&d, 0.9), "p99": percentile(&d, 0.99),
        });
        buckets.entry(*t).or_default().insert(provider.clone(), point);
    }
    let mut providers: Vec<&str> = rows.iter().map(|e| e.provider.as_str()).collect();
    providers.sort_unstable();
    providers.dedup();
    let buckets: Vec<Value> = buckets.into_iter().map(|(t, by)| json!({"t": t, "by": by})).collect();
    let now = st.runtime.clock.now_ms();
    Json(json!({"bucket_s": bucket_ms / 1000, "buckets": buckets, "providers": providers, "now": now}))
}

#[derive(Deserialize, Default)]
struct LogQuery {
    provider: Option<String>,
    model: Option<String>,
    /// `success`, `error`, or an HTTP status code.
    status: Option<String>,
    /// `key=value` on the request's metadata.
    metadata: Option<String>,
    limit: Option<usize>,
}

fn wanted(e: &LogEntry, q: &LogQuery) -> bool {
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => true,
        Some("success") => e.success,
        Some("error") => !e.success,
        Some(code) => code.parse::<u16>().is_ok_and(|c| c == e.status_code),
    };
    let meta = match q.metadata.as_deref().and_then(|m| m.split_once('=')) {
        None => true,
        Some((k, v)) => e.metadata.as_ref().and_then(|m| m.get(k)).is_some_and(|x| match x {
            Value::String(s) => s == v,
            other => other.to_string().as_str() == v,
        }),
    };
    let same = |want: &Option<String>, got: &str| want.as_deref().filter(|w| !w.is_empty()).is_none_or(|w| w == got);
    status && meta && same(&q.provider, &e.provider) && same(&q.model, &e.model)
}

/// The gateway's logs, newest first, filtered by provider, model, status and metadata.
async fn logs(
    State(st): State<AppState>,
    Path((account, gateway)): Path<(String, String)>,
    Query(q): Query<LogQuery>,
) -> Json<Value> {
    let limit = q.limit.unwrap_or(200).clamp(1, 1000);
    let (rows, total): (Vec<LogEntry>, usize) = st.runtime.logs.read(&account, &gateway, |all| {
        let hits: Vec<&LogEntry> = all.iter().rev().filter(|e| wanted(e, &q)).collect();
        (hits.iter().take(limit).map(|e| e.summary()).collect(), hits.len())
    });
    let rows: Vec<Value> = rows.iter().map(log_json).collect();
    Json(json!({"logs": rows, "total": total}))
}

/// A log as the page shows it: metadata as an object.
fn log_json(e: &LogEntry) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    v["metadata"] = e.metadata.clone().map_or(Value::Null, Value::Object);
    v
}

/// One log with its request and response bodies.
async fn log(State(st): State<AppState>, Path((account, gateway, id)): Path<(String, String, String)>) -> Response {
    let found = st.runtime.logs.read(&account, &gateway, |all| all.iter().find(|e| e.id == id).cloned());
    let Some(e) = found else {
        return (StatusCode::NOT_FOUND, Json(json!({"error": format!("no log {id:?}")}))).into_response();
    };
    let body = |b: &Option<crate::logs::LogBody>| b.as_ref().map(|b| b.text().into_owned());
    let mut v = log_json(&e.summary());
    v["request_body"] = json!(body(&e.request_body));
    v["response_body"] = json!(body(&e.response_body));
    Json(v).into_response()
}

/// A `log` event per stored entry (`{account_id, gateway_id, id}`).
async fn events(
    State(st): State<AppState>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>> {
    let rx = st.runtime.logs.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let event = match rx.recv().await {
            Ok(s) => Event::default().event("log").data(serde_json::to_string(&s).unwrap_or_default()),
            // Fell behind: tell the page to reload everything.
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => Event::default().event("reload").data("{}"),
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok(event), rx))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
