//! Dynamic routes of a gateway, with versions and deployments. Lists answer
//! `{success, data: {..., routes|versions|deployments}}` with no `result`,
//! as Cloudflare does; everything else uses the usual envelope.
use super::RawBody;
use aigw_cloudflare::{ApiMessage, Deployment, Element, Envelope, Route, Version};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::gateways::gateway_missing;
use super::route_graph;
use super::validate::VALIDATION_CODE;
use crate::AppState;
use crate::error::ApiError;
use crate::store::{Data, RouteKey, RouteRecord, StoredVersion, new_id, now};

type ApiResult<T> = Result<Json<Envelope<T>>, ApiError>;

fn route_missing(id: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, 7002, format!("Route {id:?} not found"))
}

fn body_json(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::validation(vec![ApiMessage::new(VALIDATION_CODE, format!("Invalid JSON body: {e}"))]))
}

fn render_version(v: &StoredVersion, live: Option<&str>) -> Version {
    Version {
        version_id: v.version_id.clone(),
        active: (live == Some(v.version_id.as_str())).to_string(),
        data: serde_json::to_string(&v.elements).unwrap_or_default(),
        created_at: v.created_at.clone(),
        comment: None,
    }
}

fn render(account: &str, gateway: &str, r: &RouteRecord) -> Result<Route, ApiError> {
    let deployment = r
        .deployments
        .last()
        .cloned()
        .ok_or_else(|| ApiError::internal(crate::Error::Corrupt(format!("route {} has no deployment", r.id))))?;
    let live = r.versions.iter().find(|v| v.version_id == deployment.version_id).ok_or_else(|| {
        ApiError::internal(crate::Error::Corrupt(format!("route {} deploys a missing version", r.id)))
    })?;
    Ok(Route {
        id: r.id.clone(),
        name: r.name.clone(),
        gateway_id: gateway.to_string(),
        account_tag: account.to_string(),
        created_at: r.created_at.clone(),
        modified_at: r.modified_at.clone(),
        elements: live.elements.clone(),
        version: render_version(live, Some(&deployment.version_id)),
        deployment,
    })
}

fn require_gateway(d: &Data, account: &str, gateway: &str) -> Result<(), ApiError> {
    if d.gateways.contains_key(&(account.to_string(), gateway.to_string())) {
        Ok(())
    } else {
        Err(gateway_missing(gateway))
    }
}

fn route<'a>(d: &'a Data, key: &RouteKey) -> Result<&'a RouteRecord, ApiError> {
    require_gateway(d, &key.0, &key.1)?;
    d.routes.get(key).ok_or_else(|| route_missing(&key.2))
}

fn name_of(body: &Value) -> Result<String, ApiError> {
    match body.get("name") {
        Some(Value::String(n)) if !n.is_empty() && n.len() <= 64 => Ok(n.clone()),
        Some(Value::String(_)) => Err(ApiError::validation(vec![ApiMessage::at(
            VALIDATION_CODE,
            "String must contain 1-64 character(s)",
            "name",
        )])),
        Some(_) => Err(ApiError::validation(vec![ApiMessage::at(VALIDATION_CODE, "Expected string", "name")])),
        None => Err(ApiError::validation(vec![ApiMessage::at(VALIDATION_CODE, "Required", "name")])),
    }
}

fn name_taken(d: &Data, account: &str, gateway: &str, name: &str, except: &str) -> Option<ApiError> {
    d.routes
        .iter()
        .any(|((a, g, id), r)| a == account && g == gateway && r.name == name && id != except)
        .then(|| ApiError::new(StatusCode::CONFLICT, 7009, format!("A route named {name:?} already exists")))
}

fn list_data(key: &str, items: Value) -> Json<Value> {
    Json(json!({"success": true, "data": {
        "page": 1, "per_page": 100, "order_by": "created_at", "order_by_direction": "asc", key: items
    }}))
}

pub async fn list(
    State(st): State<AppState>,
    Path((account, gateway)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let routes = st.store.read(|d| {
        require_gateway(d, &account, &gateway)?;
        d.routes
            .iter()
            .filter(|((a, g, _), _)| *a == account && *g == gateway)
            .map(|(_, r)| render(&account, &gateway, r))
            .collect::<Result<Vec<_>, _>>()
    })?;
    Ok(list_data("routes", serde_json::to_value(routes).unwrap_or_default()))
}

pub async fn create(
    State(st): State<AppState>,
    Path((account, gateway)): Path<(String, String)>,
    RawBody(body): RawBody,
) -> ApiResult<Route> {
    let body = body_json(&body)?;
    let name = name_of(&body);
    let elements = route_graph::validate(body.get("elements"));
    let (name, elements) = match (name, elements) {
        (Ok(n), Ok(e)) => (n, e),
        (n, e) => {
            let mut all = n.err().map(|e| e.errors).unwrap_or_default();
            all.extend(e.err().unwrap_or_default());
            return Err(ApiError::validation(all));
        }
    };
    let id = new_id();
    let key = (account.clone(), gateway.clone(), id.clone());
    let route = st.store.write_route(&key, |d| {
        require_gateway(d, &account, &gateway)?;
        if let Some(e) = name_taken(d, &account, &gateway, &name, "") {
            return Err(e);
        }
        let t = now();
        let version = StoredVersion { version_id: new_id(), created_at: t.clone(), elements };
        let deployment = Deployment {
            deployment_id: new_id(),
            version_id: version.version_id.clone(),
            created_at: t.clone(),
            comment: None,
        };
        let rec = RouteRecord {
            id: id.clone(),
            name,
            created_at: t.clone(),
            modified_at: t,
            versions: vec![version],
            deployments: vec![deployment],
        };
        let out = render(&account, &gateway, &rec)?;
        Ok((Some(rec), out))
    })?;
    Ok(Json(Envelope::ok(route)))
}

pub async fn fetch(State(st): State<AppState>, Path(key): Path<RouteKey>) -> ApiResult<Route> {
    let r = st.store.read(|d| route(d, &key).and_then(|r| render(&key.0, &key.1, r)))?;
    Ok(Json(Envelope::ok(r)))
}

/// PATCH takes `{name}` only.
pub async fn rename(State(st): State<AppState>, Path(key): Path<RouteKey>, RawBody(body): RawBody) -> ApiResult<Route> {
    let name = name_of(&body_json(&body)?)?;
    let r = st.store.write_route(&key, |d| {
        let mut rec = route(d, &key)?.clone();
        if let Some(e) = name_taken(d, &key.0, &key.1, &name, &key.2) {
            return Err(e);
        }
        rec.name = name;
        rec.modified_at = now();
        let out = render(&key.0, &key.1, &rec)?;
        Ok((Some(rec), out))
    })?;
    Ok(Json(Envelope::ok(r)))
}

pub async fn delete(State(st): State<AppState>, Path(key): Path<RouteKey>) -> ApiResult<Route> {
    let r = st.store.write_route(&key, |d| {
        let out = render(&key.0, &key.1, route(d, &key)?)?;
        Ok((None, out))
    })?;
    Ok(Json(Envelope::ok(r)))
}

pub async fn create_version(
    State(st): State<AppState>,
    Path(key): Path<RouteKey>,
    RawBody(body): RawBody,
) -> ApiResult<Version> {
    let elements: Vec<Element> =
        route_graph::validate(body_json(&body)?.get("elements")).map_err(ApiError::validation)?;
    let v = st.store.write_route(&key, |d| {
        let mut rec = route(d, &key)?.clone();
        let version = StoredVersion { version_id: new_id(), created_at: now(), elements };
        let live = rec.deployments.last().map(|x| x.version_id.clone());
        let out = render_version(&version, live.as_deref());
        rec.versions.push(version);
        rec.modified_at = now();
        Ok((Some(rec), out))
    })?;
    Ok(Json(Envelope::ok(v)))
}

pub async fn list_versions(State(st): State<AppState>, Path(key): Path<RouteKey>) -> Result<Json<Value>, ApiError> {
    let versions = st.store.read(|d| {
        let r = route(d, &key)?;
        let live = r.deployments.last().map(|x| x.version_id.as_str());
        Ok::<_, ApiError>(r.versions.iter().map(|v| render_version(v, live)).collect::<Vec<_>>())
    })?;
    Ok(list_data("versions", serde_json::to_value(versions).unwrap_or_default()))
}

pub async fn fetch_version(
    State(st): State<AppState>,
    Path((account, gateway, id, version)): Path<(String, String, String, String)>,
) -> ApiResult<Version> {
    let key = (account, gateway, id);
    let v = st.store.read(|d| {
        let r = route(d, &key)?;
        let live = r.deployments.last().map(|x| x.version_id.as_str());
        r.versions
            .iter()
            .find(|v| v.version_id == version)
            .map(|v| render_version(v, live))
            .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, 7002, format!("Version {version:?} not found")))
    })?;
    Ok(Json(Envelope::ok(v)))
}

/// Deploys a version: `{version_id}`.
pub async fn deploy(
    State(st): State<AppState>,
    Path(key): Path<RouteKey>,
    RawBody(body): RawBody,
) -> ApiResult<Deployment> {
    let body = body_json(&body)?;
    let Some(version_id) = body.get("version_id").and_then(Value::as_str).map(str::to_owned) else {
        return Err(ApiError::validation(vec![ApiMessage::at(VALIDATION_CODE, "Required", "version_id")]));
    };
    let dep = st.store.write_route(&key, |d| {
        let mut rec = route(d, &key)?.clone();
        if !rec.versions.iter().any(|v| v.version_id == version_id) {
            return Err(ApiError::validation(vec![ApiMessage::at(
                VALIDATION_CODE,
                format!("Unknown version {version_id:?}"),
                "version_id",
            )]));
        }
        let dep = Deployment { deployment_id: new_id(), version_id, created_at: now(), comment: None };
        rec.deployments.push(dep.clone());
        rec.modified_at = now();
        Ok((Some(rec), dep))
    })?;
    Ok(Json(Envelope::ok(dep)))
}

pub async fn list_deployments(State(st): State<AppState>, Path(key): Path<RouteKey>) -> Result<Json<Value>, ApiError> {
    let deps = st.store.read(|d| Ok::<_, ApiError>(route(d, &key)?.deployments.clone()))?;
    Ok(list_data("deployments", serde_json::to_value(deps).unwrap_or_default()))
}
