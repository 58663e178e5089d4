//! Controls of the simulated safety phase under `/__aigw/`: guardrail
//! classifier rules (`/__aigw/guardrails/rules`) and DLP profiles
//! (`/__aigw/dlp/profiles`), so a test can say "this phrase is S1" or
//! "this regex is our employee id" before sending traffic.
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde_json::json;

use crate::AppState;
use crate::runtime::safety::dlp::{CustomProfile, PREDEFINED};
use crate::runtime::safety::guardrails::Rule;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/__aigw/guardrails/rules", get(rules).post(add_rule).delete(clear_rules))
        .route("/__aigw/dlp/profiles", get(profiles).post(add_profile))
        .route("/__aigw/dlp/profiles/{id}", delete(remove_profile))
}

fn bad(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message}))).into_response()
}

async fn rules(State(st): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({"rules": st.runtime.safety.classifier.rules()}))
}

/// Parses `body` as a `what`, hands it to `add`, and answers 201 with it
/// (`{"<what>": ...}`) or 400 naming the problem.
fn create<T: serde::de::DeserializeOwned + serde::Serialize + Clone>(
    what: &str,
    body: &[u8],
    add: impl FnOnce(T) -> Result<(), String>,
) -> Response {
    let item: T = match serde_json::from_slice(body) {
        Ok(x) => x,
        Err(e) => return bad(format!("invalid {what}: {e}")),
    };
    match add(item.clone()) {
        Ok(()) => (StatusCode::CREATED, Json(json!({ (what): item }))).into_response(),
        Err(e) => bad(e),
    }
}

async fn add_rule(State(st): State<AppState>, body: axum::body::Bytes) -> Response {
    create::<Rule>("rule", &body, |r| st.runtime.safety.classifier.add(r))
}

async fn clear_rules(State(st): State<AppState>) -> StatusCode {
    st.runtime.safety.classifier.clear();
    StatusCode::NO_CONTENT
}

async fn profiles(State(st): State<AppState>) -> Json<serde_json::Value> {
    let predefined: Vec<_> = PREDEFINED.iter().map(|p| json!({"id": p.id, "name": p.name})).collect();
    Json(json!({"predefined": predefined, "custom": st.runtime.safety.profiles.custom()}))
}

async fn add_profile(State(st): State<AppState>, body: axum::body::Bytes) -> Response {
    create::<CustomProfile>("profile", &body, |p| st.runtime.safety.profiles.register(p))
}

async fn remove_profile(State(st): State<AppState>, Path(id): Path<String>) -> Response {
    if st.runtime.safety.profiles.remove(&id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (StatusCode::NOT_FOUND, Json(json!({"error": format!("no custom DLP profile {id:?}")}))).into_response()
    }
}
