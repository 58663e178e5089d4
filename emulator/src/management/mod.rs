//! The management API under `/client/v4`: bearer-token auth, the gateway,
//! dynamic-route, BYOK provider-key, custom-provider and log endpoints, and
//! Cloudflare's answers for unknown paths.
mod custom_providers;
pub(crate) mod gateways;
pub(crate) mod logs;
mod provider_configs;
pub mod route_graph;
mod routes;
pub mod validate;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::error::ApiError;

pub fn router(state: AppState) -> Router<AppState> {
    let base = "/client/v4/accounts/{account_id}/ai-gateway";
    Router::new()
        .route(&format!("{base}/gateways"), get(gateways::list).post(gateways::create))
        .route(
            &format!("{base}/gateways/{{gateway}}"),
            get(gateways::fetch).put(gateways::update).delete(gateways::delete),
        )
        .route(&format!("{base}/gateways/{{gateway}}/url/{{provider}}"), get(gateways::url))
        .route(&format!("{base}/gateways/{{gateway}}/routes"), get(routes::list).post(routes::create))
        .route(
            &format!("{base}/gateways/{{gateway}}/routes/{{route}}"),
            get(routes::fetch).patch(routes::rename).delete(routes::delete),
        )
        .route(
            &format!("{base}/gateways/{{gateway}}/routes/{{route}}/versions"),
            get(routes::list_versions).post(routes::create_version),
        )
        .route(
            &format!("{base}/gateways/{{gateway}}/routes/{{route}}/versions/{{version}}"),
            get(routes::fetch_version),
        )
        .route(
            &format!("{base}/gateways/{{gateway}}/routes/{{route}}/deployments"),
            get(routes::list_deployments).post(routes::deploy),
        )
        .route(
            &format!("{base}/gateways/{{gateway}}/provider_configs"),
            get(provider_configs::list).post(provider_configs::create),
        )
        .route(
            &format!("{base}/gateways/{{gateway}}/provider_configs/{{id}}"),
            get(provider_configs::fetch).put(provider_configs::update).delete(provider_configs::delete),
        )
        .route(&format!("{base}/custom-providers"), get(custom_providers::list).post(custom_providers::create))
        .route(
            &format!("{base}/custom-providers/{{id}}"),
            get(custom_providers::fetch).patch(custom_providers::patch).delete(custom_providers::delete),
        )
        .route(&format!("{base}/gateways/{{gateway}}/logs"), get(logs::list).delete(logs::delete))
        .route(&format!("{base}/gateways/{{gateway}}/logs/{{id}}"), get(logs::fetch).patch(logs::edit))
        .route(&format!("{base}/gateways/{{gateway}}/logs/{{id}}/request"), get(logs::request_body))
        .route(&format!("{base}/gateways/{{gateway}}/logs/{{id}}/response"), get(logs::response_body))
        .route(&format!("{base}/gateways/{{gateway}}/analytics"), get(logs::analytics))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), auth))
        .layer(axum::extract::DefaultBodyLimit::max(crate::runtime::MAX_BODY))
}

/// A request body, refused in the v4 envelope (never axum's plain text)
/// when it is over [`crate::runtime::MAX_BODY`] or cannot be read.
pub struct RawBody(pub axum::body::Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<RawBody, ApiError> {
        axum::body::Bytes::from_request(req, state).await.map(RawBody).map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                // Cloudflare documents no code for this; 413/10013 is the emulator's choice.
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, 10013, "Request body too large (limit 32 MB)")
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, 10013, format!("Cannot read the request body: {e}"))
            }
        })
    }
}

pub async fn no_route() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, 7003, "No route for the URI")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, 10405, "Method not allowed")
}

/// Cloudflare API-token auth: a missing header is 401/9106; a token that
/// does not match `--api-token` is 403/10000 ("Authentication error").
async fn auth(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // The latency comes after the work, as over a real network: a client
    // that gives up waiting may still have changed something.
    let write = !matches!(*req.method(), axum::http::Method::GET | axum::http::Method::HEAD);
    let delay = state.config.api_latency.or(state.config.api_write_latency.filter(|_| write));
    if let Some(d) = delay {
        let resp = authenticated(&state, req, next).await;
        tokio::time::sleep(d).await;
        return resp;
    }
    authenticated(&state, req, next).await
}

async fn authenticated(state: &AppState, req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::bearer_token)
        .map(str::to_owned);
    match (token, &state.config.api_token) {
        (None, _) => {
            ApiError::new(StatusCode::UNAUTHORIZED, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers")
                .into_response()
        }
        (Some(t), Some(want)) if &t != want => {
            ApiError::new(StatusCode::FORBIDDEN, 10000, "Authentication error").into_response()
        }
        _ => next.run(req).await,
    }
}
