//! Gateway endpoints: list (paged), create, fetch, full PUT, delete, and the
//! per-provider runtime URL.
use super::RawBody;
use aigw_cloudflare::{ApiMessage, Envelope, Gateway, ResultInfo};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::Value;

use super::validate::{self, Mode, VALIDATION_CODE};
use crate::AppState;
use crate::error::ApiError;
use crate::store::now;

type ApiResult<T> = Result<Json<Envelope<T>>, ApiError>;

fn parse_json(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::validation(vec![ApiMessage::new(VALIDATION_CODE, format!("Invalid JSON body: {e}"))]))
}

fn build(id: &str, created_at: &str, fields: serde_json::Map<String, Value>) -> Result<Gateway, ApiError> {
    let mut obj = fields;
    obj.insert("id".into(), Value::from(id));
    obj.insert("created_at".into(), Value::from(created_at));
    obj.insert("modified_at".into(), Value::from(now()));
    obj.insert("is_default".into(), Value::Bool(id == "default"));
    serde_json::from_value(Value::Object(obj))
        .map_err(|e| ApiError::internal(crate::Error::Corrupt(format!("gateway {id}: {e}"))))
}

/// The `default` gateway Cloudflare creates on the first authenticated
/// request that names it (or names none, on the REST API): authentication
/// on, logs on, no cache, no rate limit.
pub(crate) fn create_default(st: &AppState, account: &str) -> Result<Gateway, ApiError> {
    let body = serde_json::json!({"id": "default", "cache_invalidate_on_update": false, "cache_ttl": 0,
        "collect_logs": true, "rate_limiting_interval": 0, "rate_limiting_limit": 0, "authentication": true});
    let mut fields = validate::gateway_body(&body, Mode::Create, &|_| false).map_err(ApiError::validation)?;
    fields.remove("id");
    let g = build("default", &now(), fields)?;
    check_gateway_count(st, account)?;
    // Two first requests at once: the second finds the first one's gateway.
    match st.store.create_gateway(account, g)? {
        Some(g) => Ok(g),
        None => st.store.get_gateway(account, "default").ok_or_else(|| gateway_missing("default")),
    }
}

/// Refuses a new gateway past the account's limit (`--max-gateways`).
fn check_gateway_count(st: &AppState, account: &str) -> Result<(), ApiError> {
    match st.config.max_gateways {
        Some(max) if st.store.list_gateways(account).len() >= max => Err(ApiError::new(
            // Cloudflare documents the limit, not the answer; 400/7010 is the emulator's
            // choice (not 429: clients would retry what no wait can fix).
            StatusCode::BAD_REQUEST,
            7010,
            format!("Account {account} has reached its limit of {max} gateways; delete one or raise the plan's limit"),
        )),
        _ => Ok(()),
    }
}

pub(crate) fn gateway_missing(id: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, 7002, format!("Gateway {id:?} not found"))
}

#[derive(Deserialize)]
pub struct ListQuery {
    page: Option<String>,
    per_page: Option<String>,
    search: Option<String>,
}

fn parse_page(v: Option<&str>, field: &str, default: u64, min: u64, max: u64) -> Result<u64, ApiMessage> {
    let Some(v) = v else { return Ok(default) };
    match v.parse::<u64>() {
        Ok(n) if n < min => {
            Err(ApiMessage::at(VALIDATION_CODE, format!("Number must be greater than or equal to {min}"), field))
        }
        Ok(n) if n > max => {
            Err(ApiMessage::at(VALIDATION_CODE, format!("Number must be less than or equal to {max}"), field))
        }
        Ok(n) => Ok(n),
        Err(_) => Err(ApiMessage::at(VALIDATION_CODE, "Expected number, received nan", field)),
    }
}

pub async fn list(
    State(st): State<AppState>,
    Path(account): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Envelope<Vec<Gateway>>>, ApiError> {
    let page = parse_page(q.page.as_deref(), "page", 1, 1, u64::from(u32::MAX));
    let per_page = parse_page(q.per_page.as_deref(), "per_page", 20, 1, 100);
    let (page, per_page) = match (page, per_page) {
        (Ok(p), Ok(pp)) => (p, pp),
        (p, pp) => return Err(ApiError::validation([p.err(), pp.err()].into_iter().flatten().collect())),
    };
    let mut all = st.store.list_gateways(&account);
    if let Some(s) = q.search.as_deref().filter(|s| !s.is_empty()) {
        all.retain(|g| g.id.contains(s));
    }
    let total = all.len() as u64;
    let items: Vec<Gateway> = all.into_iter().skip(((page - 1) * per_page) as usize).take(per_page as usize).collect();
    let mut env = Envelope::ok(items);
    env.result_info = Some(ResultInfo {
        page,
        per_page,
        count: env.result.as_ref().map_or(0, |r| r.len() as u64),
        total_count: total,
    });
    Ok(Json(env))
}

pub async fn create(
    State(st): State<AppState>,
    Path(account): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Gateway> {
    let body = parse_json(&body)?;
    let mut fields = validate::gateway_body(&body, Mode::Create, &|p| st.runtime.safety.profiles.knows(p))
        .map_err(ApiError::validation)?;
    let id = match fields.remove("id") {
        Some(Value::String(id)) => id,
        _ => return Err(ApiError::validation(vec![ApiMessage::at(VALIDATION_CODE, "Required", "id")])),
    };
    let g = build(&id, &now(), fields)?;
    check_gateway_count(&st, &account)?;
    match st.store.create_gateway(&account, g)? {
        Some(g) => Ok(Json(Envelope::ok(g))),
        // Cloudflare documents no code for this; 409/7009 is the emulator's choice.
        None => Err(ApiError::new(StatusCode::CONFLICT, 7009, format!("A gateway with the id {id:?} already exists"))),
    }
}

pub async fn fetch(State(st): State<AppState>, Path((account, id)): Path<(String, String)>) -> ApiResult<Gateway> {
    st.store.get_gateway(&account, &id).map(|g| Json(Envelope::ok(g))).ok_or_else(|| gateway_missing(&id))
}

pub async fn update(
    State(st): State<AppState>,
    Path((account, id)): Path<(String, String)>,
    RawBody(body): RawBody,
) -> ApiResult<Gateway> {
    let body = parse_json(&body)?;
    let fields = validate::gateway_body(&body, Mode::Update, &|p| st.runtime.safety.profiles.knows(p))
        .map_err(ApiError::validation)?;
    let new = build(&id, "", fields)?;
    match st.store.update_gateway(&account, &id, |old| Gateway { created_at: old.created_at.clone(), ..new.clone() })? {
        Some(g) => Ok(Json(Envelope::ok(g))),
        None => Err(gateway_missing(&id)),
    }
}

pub async fn delete(State(st): State<AppState>, Path((account, id)): Path<(String, String)>) -> ApiResult<Gateway> {
    let g = st.store.delete_gateway(&account, &id)?.ok_or_else(|| gateway_missing(&id))?;
    st.runtime.logs.forget_gateway(&account, &id);
    st.runtime.spend.forget(&account, &id);
    Ok(Json(Envelope::ok(g)))
}

/// `result` is the runtime URL for `provider`, on this emulator's own address.
pub async fn url(
    State(st): State<AppState>,
    Path((account, id, provider)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<String> {
    if st.store.get_gateway(&account, &id).is_none() {
        return Err(gateway_missing(&id));
    }
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1:8787");
    Ok(Json(Envelope::ok(format!("http://{host}/v1/{account}/{id}/{provider}"))))
}
