//! BYOK provider keys of a gateway (`/gateways/{gw}/provider_configs`):
//! list, create, fetch, replace (PUT) and delete. The key is kept in the
//! store and never answered; responses carry `secret_preview` only. One
//! alias per provider, and at most one default key per provider.
use super::RawBody;
use aigw_cloudflare::byok::{self, ProviderConfigBody};
use aigw_cloudflare::{ApiMessage, Envelope, ProviderConfig, ResultInfo};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::gateways::gateway_missing;
use super::validate::VALIDATION_CODE;
use crate::AppState;
use crate::error::ApiError;
use crate::store::{Data, KeyKey, StoredKey, new_id, now};

type ApiResult<T> = Result<Json<Envelope<T>>, ApiError>;

fn key_missing(id: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, 7002, format!("Provider config {id:?} not found"))
}

fn parse(body: &[u8], create: bool) -> Result<ProviderConfigBody, ApiError> {
    let json: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::validation(vec![ApiMessage::new(VALIDATION_CODE, format!("Invalid JSON body: {e}"))]))?;
    byok::check_body(&json, create).map_err(ApiError::validation)
}

/// Another key of the gateway that clashes with `b`: the same alias for
/// the same provider, or a second default for it.
fn clash(d: &Data, account: &str, gateway: &str, b: &ProviderConfigBody, except: &str) -> Option<ApiError> {
    for k in d.keys_of(account, gateway).filter(|k| k.config.id != except && k.config.provider_slug == b.provider_slug)
    {
        let c = &k.config;
        if c.alias == b.alias {
            return Some(ApiError::validation(vec![ApiMessage::at(
                VALIDATION_CODE,
                format!("Provider '{}' already has a key with alias '{}' (id {})", c.provider_slug, c.alias, c.id),
                "alias",
            )]));
        }
        if c.default_config && b.default_config {
            return Some(ApiError::validation(vec![ApiMessage::at(
                VALIDATION_CODE,
                format!("Provider '{}' already has a default key: alias '{}' (id {})", c.provider_slug, c.alias, c.id),
                "default_config",
            )]));
        }
    }
    None
}

fn record(id: &str, gateway: &str, b: ProviderConfigBody, old: Option<&StoredKey>) -> StoredKey {
    // A PUT without a secret keeps the stored one.
    let (secret, secret_id) = match (b.secret, b.secret_id) {
        (Some(s), _) => (Some(s), None),
        (None, Some(id)) => (None, Some(id)),
        (None, None) => old.map_or((None, None), |o| (o.secret.clone(), o.config.secret_id.clone())),
    };
    StoredKey {
        config: ProviderConfig {
            id: id.to_string(),
            gateway_id: gateway.to_string(),
            provider_slug: b.provider_slug,
            alias: b.alias,
            default_config: b.default_config,
            rate_limit: b.rate_limit,
            rate_limit_period: b.rate_limit.map(|_| b.rate_limit_period.unwrap_or(byok::DEFAULT_RATE_PERIOD)),
            secret_preview: secret.as_deref().map(byok::preview).unwrap_or_default(),
            secret_id,
            modified_at: now(),
        },
        secret,
    }
}

fn gateway_exists(d: &Data, account: &str, gateway: &str) -> Result<(), ApiError> {
    if d.gateways.contains_key(&(account.to_string(), gateway.to_string())) {
        Ok(())
    } else {
        Err(gateway_missing(gateway))
    }
}

pub async fn list(
    State(st): State<AppState>,
    Path((account, gateway)): Path<(String, String)>,
) -> ApiResult<Vec<ProviderConfig>> {
    let keys = st.store.read(|d| {
        gateway_exists(d, &account, &gateway)?;
        Ok::<_, ApiError>(d.keys_of(&account, &gateway).map(|k| k.config.clone()).collect::<Vec<_>>())
    })?;
    let n = keys.len() as u64;
    let mut env = Envelope::ok(keys);
    env.result_info = Some(ResultInfo { page: 1, per_page: n.max(1), count: n, total_count: n });
    Ok(Json(env))
}

pub async fn create(
    State(st): State<AppState>,
    Path((account, gateway)): Path<(String, String)>,
    RawBody(body): RawBody,
) -> ApiResult<ProviderConfig> {
    let b = parse(&body, true)?;
    let id = new_id().replace('-', "");
    let key: KeyKey = (account.clone(), gateway.clone(), id.clone());
    let out = st.store.write_key(&key, |d| {
        gateway_exists(d, &account, &gateway)?;
        if let Some(e) = clash(d, &account, &gateway, &b, &id) {
            return Err(e);
        }
        let rec = record(&id, &gateway, b, None);
        let shown = rec.config.clone();
        Ok((Some(rec), shown))
    })?;
    Ok(Json(Envelope::ok(out)))
}

pub async fn fetch(
    State(st): State<AppState>,
    Path((account, gateway, id)): Path<(String, String, String)>,
) -> ApiResult<ProviderConfig> {
    st.store.read(|d| {
        gateway_exists(d, &account, &gateway)?;
        d.keys
            .get(&(account.clone(), gateway.clone(), id.clone()))
            .map(|k| Json(Envelope::ok(k.config.clone())))
            .ok_or_else(|| key_missing(&id))
    })
}

pub async fn update(
    State(st): State<AppState>,
    Path((account, gateway, id)): Path<(String, String, String)>,
    RawBody(body): RawBody,
) -> ApiResult<ProviderConfig> {
    let b = parse(&body, false)?;
    let key: KeyKey = (account.clone(), gateway.clone(), id.clone());
    let out = st.store.write_key(&key, |d| {
        gateway_exists(d, &account, &gateway)?;
        let old = d.keys.get(&key).ok_or_else(|| key_missing(&id))?;
        if let Some(e) = clash(d, &account, &gateway, &b, &id) {
            return Err(e);
        }
        let rec = record(&id, &gateway, b, Some(old));
        let shown = rec.config.clone();
        Ok((Some(rec), shown))
    })?;
    Ok(Json(Envelope::ok(out)))
}

pub async fn delete(
    State(st): State<AppState>,
    Path((account, gateway, id)): Path<(String, String, String)>,
) -> ApiResult<ProviderConfig> {
    let key: KeyKey = (account.clone(), gateway.clone(), id.clone());
    let out = st.store.write_key(&key, |d| {
        gateway_exists(d, &account, &gateway)?;
        let old = d.keys.get(&key).ok_or_else(|| key_missing(&id))?;
        Ok((None, old.config.clone()))
    })?;
    Ok(Json(Envelope::ok(out)))
}
