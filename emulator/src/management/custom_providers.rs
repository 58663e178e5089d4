//! Custom providers of an account (`/custom-providers`): list, create,
//! fetch, PATCH and delete. Slugs are unique per account; gateways reach a
//! provider as `custom-{slug}` once it is enabled. The emulator also takes
//! an `http://127.0.0.1:PORT` base URL, so a local service can stand in.
use super::RawBody;
use aigw_cloudflare::custom::check_body;
use aigw_cloudflare::{ApiMessage, CustomProvider, Envelope, ResultInfo};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::validate::VALIDATION_CODE;
use crate::AppState;
use crate::error::ApiError;
use crate::store::{Data, GatewayKey, new_id, now};

type ApiResult<T> = Result<Json<Envelope<T>>, ApiError>;

fn missing(id: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, 7002, format!("Custom provider {id:?} not found"))
}

fn parse(body: &[u8], create: bool) -> Result<Map<String, Value>, ApiError> {
    let json: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::validation(vec![ApiMessage::new(VALIDATION_CODE, format!("Invalid JSON body: {e}"))]))?;
    check_body(&json, create, true).map_err(ApiError::validation)
}

fn slug_taken(d: &Data, account: &str, slug: &str, except: &str) -> Option<ApiError> {
    let taken = d.custom.iter().any(|((a, id), c)| a == account && id != except && c.slug == slug);
    taken.then(|| {
        ApiError::validation(vec![ApiMessage::at(
            VALIDATION_CODE,
            format!("A custom provider with the slug '{slug}' already exists"),
            "slug",
        )])
    })
}

/// `old` with the fields of `set` applied, as the API stores it.
fn merged(old: &CustomProvider, set: Map<String, Value>) -> Result<CustomProvider, ApiError> {
    let Ok(Value::Object(mut obj)) = serde_json::to_value(old) else {
        return Err(ApiError::internal(crate::Error::Corrupt("custom provider".into())));
    };
    obj.extend(set);
    obj.insert("modified_at".into(), Value::from(now()));
    serde_json::from_value(Value::Object(obj)).map_err(|e| ApiError::internal(crate::Error::Corrupt(e.to_string())))
}

pub async fn list(State(st): State<AppState>, Path(account): Path<String>) -> ApiResult<Vec<CustomProvider>> {
    let all: Vec<CustomProvider> =
        st.store.read(|d| d.custom.iter().filter(|((a, _), _)| a == &account).map(|(_, c)| c.clone()).collect());
    let n = all.len() as u64;
    let mut env = Envelope::ok(all);
    env.result_info = Some(ResultInfo { page: 1, per_page: n.max(1), count: n, total_count: n });
    Ok(Json(env))
}

pub async fn create(
    State(st): State<AppState>,
    Path(account): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<CustomProvider> {
    let set = parse(&body, true)?;
    let id = new_id();
    let key: GatewayKey = (account.clone(), id.clone());
    let blank = CustomProvider {
        id: id.clone(),
        name: String::new(),
        slug: String::new(),
        base_url: String::new(),
        description: None,
        enable: false,
        beta: false,
        link: None,
        curl_example: None,
        js_example: None,
        headers: Map::new(),
        logo: String::new(),
        created_at: now(),
        modified_at: String::new(),
    };
    let out = st.store.write_custom(&key, |d| {
        let mut c = merged(&blank, set)?;
        if let Some(e) = slug_taken(d, &account, &c.slug, &id) {
            return Err(e);
        }
        c.logo = format!("https://emulator.aigw.invalid/logos/custom-{}.svg", c.slug);
        Ok((Some(c.clone()), c))
    })?;
    Ok(Json(Envelope::ok(out)))
}

pub async fn fetch(
    State(st): State<AppState>,
    Path((account, id)): Path<(String, String)>,
) -> ApiResult<CustomProvider> {
    st.store
        .read(|d| d.custom.get(&(account, id.clone())).cloned())
        .map(|c| Json(Envelope::ok(c)))
        .ok_or_else(|| missing(&id))
}

pub async fn patch(
    State(st): State<AppState>,
    Path((account, id)): Path<(String, String)>,
    RawBody(body): RawBody,
) -> ApiResult<CustomProvider> {
    let set = parse(&body, false)?;
    let key: GatewayKey = (account.clone(), id.clone());
    let out = st.store.write_custom(&key, |d| {
        let old = d.custom.get(&key).ok_or_else(|| missing(&id))?;
        let c = merged(old, set)?;
        if let Some(e) = slug_taken(d, &account, &c.slug, &id) {
            return Err(e);
        }
        Ok((Some(c.clone()), c))
    })?;
    // A changed provider's cached answers no longer apply, as on Cloudflare.
    st.runtime.cache.forget_provider(&out.runtime_slug());
    Ok(Json(Envelope::ok(out)))
}

pub async fn delete(
    State(st): State<AppState>,
    Path((account, id)): Path<(String, String)>,
) -> ApiResult<CustomProvider> {
    let key: GatewayKey = (account, id.clone());
    let out = st.store.write_custom(&key, |d| Ok((None, d.custom.get(&key).cloned().ok_or_else(|| missing(&id))?)))?;
    Ok(Json(Envelope::ok(out)))
}
