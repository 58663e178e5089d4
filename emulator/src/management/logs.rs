//! The logs API (list with filters, order and paging; one entry; its
//! bodies; delete by filter) and the emulator's analytics summary.
use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::RawBody;
use aigw_cloudflare::{ApiMessage, Envelope, ResultInfo};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::gateways::gateway_missing;
use super::validate::VALIDATION_CODE;
use crate::AppState;
use crate::error::ApiError;
use crate::logs::LogEntry;

/// One `filters` condition: `{key, operator: eq|neq|contains|lt|gt, value: [...]}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Filter {
    key: String,
    operator: String,
    value: Vec<Value>,
}

fn field(e: &LogEntry, key: &str) -> Vec<Value> {
    let v = serde_json::to_value(e.summary()).unwrap_or(Value::Null);
    match key {
        "metadata.key" => e.metadata.iter().flat_map(|m| m.keys().map(|k| Value::from(k.as_str()))).collect(),
        "metadata.value" => e.metadata.iter().flat_map(|m| m.values().cloned()).collect(),
        "tokens" => vec![Value::from(e.tokens_in.unwrap_or(0) + e.tokens_out.unwrap_or(0))],
        k => vec![v.get(k).cloned().unwrap_or(Value::Null)],
    }
}

fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Bool(x), Value::String(s)) | (Value::String(s), Value::Bool(x)) => s == &x.to_string(),
        (Value::Number(x), Value::String(s)) | (Value::String(s), Value::Number(x)) => s == &x.to_string(),
        _ => a == b,
    }
}

fn cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), _) => x.as_f64()?.partial_cmp(&b.as_f64().or_else(|| b.as_str()?.parse().ok())?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

impl Filter {
    fn matches(&self, e: &LogEntry) -> bool {
        let have = field(e, &self.key);
        let any = |f: &dyn Fn(&Value, &Value) -> bool| have.iter().any(|h| self.value.iter().any(|w| f(h, w)));
        match self.operator.as_str() {
            "eq" => any(&loose_eq),
            "neq" => !any(&loose_eq),
            "contains" => any(&|h, w| match (h.as_str(), w.as_str()) {
                (Some(h), Some(w)) => h.contains(w),
                _ => false,
            }),
            "lt" => any(&|h, w| cmp(h, w) == Some(Ordering::Less)),
            "gt" => any(&|h, w| cmp(h, w) == Some(Ordering::Greater)),
            _ => false,
        }
    }
}

fn bad(message: impl Into<String>, field: &str) -> ApiError {
    ApiError::validation(vec![ApiMessage::at(VALIDATION_CODE, message, field)])
}

fn parse_filters(raw: Option<&str>) -> Result<Vec<Filter>, ApiError> {
    let Some(raw) = raw.filter(|s| !s.is_empty()) else { return Ok(Vec::new()) };
    let filters: Vec<Filter> = serde_json::from_str(raw)
        .map_err(|e| bad(format!("filters must be a JSON array of {{key, operator, value}}: {e}"), "filters"))?;
    for f in &filters {
        if !matches!(f.operator.as_str(), "eq" | "neq" | "contains" | "lt" | "gt") {
            return Err(bad(
                format!(
                    "Invalid enum value. Expected 'eq' | 'neq' | 'contains' | 'lt' | 'gt', received '{}'",
                    f.operator
                ),
                "filters",
            ));
        }
    }
    Ok(filters)
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    page: Option<u64>,
    per_page: Option<u64>,
    order_by: Option<String>,
    order_by_direction: Option<String>,
    filters: Option<String>,
    search: Option<String>,
    cached: Option<bool>,
    success: Option<bool>,
    provider: Option<String>,
    model: Option<String>,
}

fn require_gateway(st: &AppState, account: &str, gateway: &str) -> Result<(), ApiError> {
    st.store.get_gateway(account, gateway).map(|_| ()).ok_or_else(|| gateway_missing(gateway))
}

fn selected(st: &AppState, account: &str, gateway: &str, q: &ListQuery) -> Result<Vec<LogEntry>, ApiError> {
    let filters = parse_filters(q.filters.as_deref())?;
    Ok(st.runtime.logs.read(account, gateway, |all| {
        all.iter()
            .filter(|e| filters.iter().all(|f| f.matches(e)))
            .filter(|e| q.cached.is_none_or(|c| e.cached == c))
            .filter(|e| q.success.is_none_or(|s| e.success == s))
            .filter(|e| q.provider.as_deref().is_none_or(|p| e.provider == p))
            .filter(|e| q.model.as_deref().is_none_or(|m| e.model == m))
            .filter(|e| {
                q.search.as_deref().is_none_or(|s| e.model.contains(s) || e.provider.contains(s) || e.path.contains(s))
            })
            .map(LogEntry::summary)
            .collect()
    }))
}

pub async fn list(
    State(st): State<AppState>,
    Path((account, gateway)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Envelope<Vec<LogEntry>>>, ApiError> {
    require_gateway(&st, &account, &gateway)?;
    let per_page = q.per_page.unwrap_or(20);
    if !(1..=50).contains(&per_page) {
        return Err(bad("per_page must be 1 to 50", "per_page"));
    }
    let page = q.page.unwrap_or(1).max(1);
    let order_by = q.order_by.clone().unwrap_or_else(|| "created_at".into());
    if !matches!(order_by.as_str(), "created_at" | "provider" | "model" | "model_type" | "success" | "cached") {
        return Err(bad(format!("Invalid order_by '{order_by}'"), "order_by"));
    }
    let desc = q.order_by_direction.as_deref() != Some("asc");
    let mut rows = selected(&st, &account, &gateway, &q)?;
    rows.sort_by(|a, b| {
        let o = match order_by.as_str() {
            "provider" => a.provider.cmp(&b.provider),
            "model" | "model_type" => a.model.cmp(&b.model),
            "success" => a.success.cmp(&b.success),
            "cached" => a.cached.cmp(&b.cached),
            _ => Ordering::Equal,
        }
        .then_with(|| a.id.cmp(&b.id));
        if desc { o.reverse() } else { o }
    });
    let total = rows.len() as u64;
    let items: Vec<LogEntry> =
        rows.into_iter().skip(((page - 1) * per_page) as usize).take(per_page as usize).collect();
    let count = items.len() as u64;
    let mut env = Envelope::ok(items);
    env.result_info = Some(ResultInfo { page, per_page, count, total_count: total });
    Ok(Json(env))
}

fn find(st: &AppState, account: &str, gateway: &str, id: &str) -> Result<LogEntry, ApiError> {
    require_gateway(st, account, gateway)?;
    st.runtime
        .logs
        .read(account, gateway, |all| all.iter().find(|e| e.id == id).cloned())
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, 7002, format!("Log {id:?} not found")))
}

pub async fn fetch(
    State(st): State<AppState>,
    Path((account, gateway, id)): Path<(String, String, String)>,
) -> Result<Json<Envelope<Value>>, ApiError> {
    let e = find(&st, &account, &gateway, &id)?;
    let mut v = serde_json::to_value(e.summary()).unwrap_or(Value::Null);
    v["request_size"] = json!(e.request_body.as_ref().map_or(0, |b| b.0.len()));
    v["response_size"] = json!(e.response_body.as_ref().map_or(0, |b| b.0.len()));
    Ok(Json(Envelope::ok(v)))
}

fn as_body(body: Option<crate::logs::LogBody>) -> Value {
    match body {
        Some(b) => serde_json::from_slice(&b.0).unwrap_or_else(|_| Value::String(b.text().into_owned())),
        None => Value::Null,
    }
}

pub async fn request_body(
    State(st): State<AppState>,
    Path((account, gateway, id)): Path<(String, String, String)>,
) -> Result<Json<Envelope<Value>>, ApiError> {
    Ok(Json(Envelope::ok(as_body(find(&st, &account, &gateway, &id)?.request_body))))
}

pub async fn response_body(
    State(st): State<AppState>,
    Path((account, gateway, id)): Path<(String, String, String)>,
) -> Result<Json<Envelope<Value>>, ApiError> {
    Ok(Json(Envelope::ok(as_body(find(&st, &account, &gateway, &id)?.response_body))))
}

/// DELETE with `filters` and `limit` (1-10000, default 10000), in the query
/// or a JSON body.
pub async fn delete(
    State(st): State<AppState>,
    Path((account, gateway)): Path<(String, String)>,
    Query(q): Query<BTreeMap<String, String>>,
    RawBody(body): RawBody,
) -> Result<Json<Value>, ApiError> {
    require_gateway(&st, &account, &gateway)?;
    let from_body: Value =
        if body.is_empty() { Value::Null } else { serde_json::from_slice(&body).unwrap_or(Value::Null) };
    let filters_raw = q.get("filters").cloned().or_else(|| from_body.get("filters").map(Value::to_string));
    let filters = parse_filters(filters_raw.as_deref())?;
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .or_else(|| from_body.get("limit").and_then(Value::as_u64).map(|n| n as usize))
        .unwrap_or(10_000);
    if !(1..=10_000).contains(&limit) {
        return Err(bad("limit must be 1 to 10000", "limit"));
    }
    let removed = st.runtime.logs.delete(&account, &gateway, limit, |e| filters.iter().all(|f| f.matches(e)));
    Ok(Json(json!({"success": true, "result": {"deleted": removed.len()}})))
}

pub(crate) fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub(crate) fn summarize(rows: &[&LogEntry]) -> Value {
    let mut d: Vec<u64> = rows.iter().map(|e| e.duration).collect();
    d.sort_unstable();
    let requests = rows.len() as u64;
    let cached = rows.iter().filter(|e| e.cached).count() as u64;
    json!({
        "requests": requests,
        "errors": rows.iter().filter(|e| !e.success).count(),
        "cached": cached,
        "cache_hit_rate": if requests == 0 { 0.0 } else { cached as f64 / requests as f64 },
        "tokens_in": rows.iter().map(|e| e.tokens_in.unwrap_or(0)).sum::<u64>(),
        "tokens_out": rows.iter().map(|e| e.tokens_out.unwrap_or(0)).sum::<u64>(),
        "cost": rows.iter().map(|e| e.cost).sum::<f64>(),
        "duration_ms": {"p50": percentile(&d, 0.5), "p90": percentile(&d, 0.9), "p99": percentile(&d, 0.99)},
    })
}

/// Requests, errors, cache hit rate, tokens, cost and latency percentiles,
/// overall and by provider and model (an emulator extension; Cloudflare
/// serves these through GraphQL).
pub async fn analytics(
    State(st): State<AppState>,
    Path((account, gateway)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Envelope<Value>>, ApiError> {
    require_gateway(&st, &account, &gateway)?;
    let rows = selected(&st, &account, &gateway, &q)?;
    Ok(Json(Envelope::ok(analytics_of(&rows.iter().collect::<Vec<_>>()))))
}

/// [`summarize`] overall, and by provider and model (`by_provider_model`).
pub(crate) fn analytics_of(rows: &[&LogEntry]) -> Value {
    let mut groups: BTreeMap<(&str, &str), Vec<&LogEntry>> = BTreeMap::new();
    for e in rows {
        groups.entry((e.provider.as_str(), e.model.as_str())).or_default().push(e);
    }
    let by: Vec<Value> = groups
        .iter()
        .map(|((p, m), rows)| {
            let mut v = summarize(rows);
            v["provider"] = json!(p);
            v["model"] = json!(m);
            v
        })
        .collect();
    let mut out = summarize(rows);
    out["by_provider_model"] = Value::Array(by);
    out
}

/// PATCH `/logs/{id}`: human feedback (`feedback` 1, -1 or 0), an
/// evaluation `score` (0-100) and `metadata` (at most 5 flat entries);
/// each may be null to clear it. Answers the edited log.
pub async fn edit(
    State(st): State<AppState>,
    Path((account, gateway, id)): Path<(String, String, String)>,
    super::RawBody(body): super::RawBody,
) -> Result<Json<Envelope<Value>>, ApiError> {
    require_gateway(&st, &account, &gateway)?;
    let body: Value = serde_json::from_slice(&body).map_err(|e| bad(format!("Invalid JSON body: {e}"), "body"))?;
    let Some(obj) = body.as_object() else { return Err(bad("Expected object", "body")) };
    let mut errs = Vec::new();
    let feedback = match obj.get("feedback") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(v) => match v.as_i64().filter(|f| (-1..=1).contains(f)) {
            Some(f) => Some(Some(f)),
            None => {
                errs.push(aigw_cloudflare::ApiMessage::at(7001, "feedback must be 1, -1 or 0", "feedback"));
                None
            }
        },
    };
    let score = match obj.get("score") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(v) => match v.as_f64().filter(|s| (0.0..=100.0).contains(s)) {
            Some(s) => Some(Some(s)),
            None => {
                errs.push(aigw_cloudflare::ApiMessage::at(7001, "score must be a number from 0 to 100", "score"));
                None
            }
        },
    };
    let metadata = match obj.get("metadata") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::Object(m))
            if m.len() <= 5 && m.values().all(|v| v.is_string() || v.is_number() || v.is_boolean()) =>
        {
            Some(Some(m.clone()))
        }
        Some(_) => {
            errs.push(aigw_cloudflare::ApiMessage::at(
                7001,
                "metadata must be an object of at most 5 string, number or boolean values",
                "metadata",
            ));
            None
        }
    };
    if !errs.is_empty() {
        return Err(ApiError::validation(errs));
    }
    let edited = st
        .runtime
        .logs
        .edit(&account, &gateway, &id, |e| {
            if let Some(f) = feedback {
                e.feedback = f;
            }
            if let Some(s) = score {
                e.score = s;
            }
            if let Some(m) = metadata {
                e.metadata = m;
            }
        })
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, 7002, format!("Log {id:?} not found")))?;
    Ok(Json(Envelope::ok(serde_json::to_value(edited.summary()).unwrap_or(Value::Null))))
}
