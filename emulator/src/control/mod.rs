//! The emulator's own controls under `/__aigw/` (not part of Cloudflare's
//! API): simulator faults and call counts, the clock, what each spend
//! budget has spent, and Prometheus `/metrics`. They need no token: the emulator is a local tool.
//! `safety` owns the guardrail-rule and DLP-profile controls.
mod safety;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::simulator::{Fault, Simulator};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/__aigw/simulator/calls", get(calls).delete(reset_calls))
        .route("/__aigw/simulator/faults", get(faults).post(add_fault).delete(clear_faults))
        .route("/__aigw/clock", get(clock))
        .route("/__aigw/clock/advance", post(advance))
        .route("/__aigw/spend", get(spend))
        .route("/metrics", get(metrics))
        .merge(safety::router())
}

/// Every spend budget the runtime has counted into: `{"budgets": [{account_id,
/// gateway_id, rule_id, partition, spent, held}]}`.
async fn spend(State(st): State<AppState>) -> Response {
    Json(json!({"budgets": st.runtime.spend.standings(st.runtime.clock.now_ms())})).into_response()
}

fn simulator(st: &AppState) -> Result<&Simulator, Box<Response>> {
    st.runtime.simulator.as_deref().ok_or_else(|| {
        Box::new(
            (StatusCode::NOT_FOUND, Json(json!({"error": "the simulator is off; start the emulator with --simulate"})))
                .into_response(),
        )
    })
}

async fn calls(State(st): State<AppState>) -> Response {
    match simulator(&st) {
        Ok(sim) => {
            let calls = sim.calls();
            let total: u64 = calls.values().flat_map(|m| m.values()).sum();
            Json(json!({"calls": calls, "total": total})).into_response()
        }
        Err(r) => *r,
    }
}

async fn reset_calls(State(st): State<AppState>) -> Response {
    match simulator(&st) {
        Ok(sim) => {
            sim.reset_calls();
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => *r,
    }
}

async fn faults(State(st): State<AppState>) -> Response {
    match simulator(&st) {
        Ok(sim) => Json(json!({"faults": sim.faults()})).into_response(),
        Err(r) => *r,
    }
}

async fn add_fault(State(st): State<AppState>, body: axum::body::Bytes) -> Response {
    let sim = match simulator(&st) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    match serde_json::from_slice::<Fault>(&body) {
        Ok(f) if f.status.is_some() || f.timeout || f.drop || f.latency_ms > 0 => {
            sim.add_fault(f.clone());
            (StatusCode::CREATED, Json(json!({"fault": f}))).into_response()
        }
        Ok(_) => (StatusCode::BAD_REQUEST, Json(json!({"error": "a fault needs status, timeout, drop or latency_ms"})))
            .into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({"error": format!("invalid fault: {e}")}))).into_response(),
    }
}

async fn clear_faults(State(st): State<AppState>) -> Response {
    match simulator(&st) {
        Ok(sim) => {
            sim.clear_faults();
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => *r,
    }
}

async fn clock(State(st): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({"now": st.runtime.clock.rfc3339(), "now_ms": st.runtime.clock.now_ms()}))
}

#[derive(Deserialize)]
struct Advance {
    seconds: f64,
}

/// Moves the emulator's clock forward (rate-limit windows, cache TTLs).
async fn advance(State(st): State<AppState>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<Advance>(&body) {
        Ok(a) if a.seconds >= 0.0 && a.seconds.is_finite() => {
            st.runtime.clock.advance(std::time::Duration::from_secs_f64(a.seconds));
            Json(json!({"now": st.runtime.clock.rfc3339(), "now_ms": st.runtime.clock.now_ms()})).into_response()
        }
        _ => (StatusCode::BAD_REQUEST, Json(json!({"error": "expected {\"seconds\": <non-negative number>}"})))
            .into_response(),
    }
}

async fn metrics(State(st): State<AppState>) -> Response {
    ([("content-type", "text/plain; version=0.0.4")], st.runtime.metrics.render()).into_response()
}
