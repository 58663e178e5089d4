//! OpenTelemetry export: one span per request, in OTLP/HTTP (JSON or
//! protobuf, per exporter), POSTed to each collector in the gateway's
//! `otel` list with its headers. Attributes follow Cloudflare's list:
//! `gen_ai.request.model`, `gen_ai.model.provider`,
//! `gen_ai.usage.input_tokens` / `output_tokens`, `gen_ai.prompt_json`,
//! `gen_ai.completion_json`, `gen_ai.usage.cost`, and each
//! `cf-aig-metadata` entry (keys starting `gen_ai.` are reserved and left
//! out). `cf-aig-otel-trace-id` and `cf-aig-otel-parent-span-id` link the
//! span into the caller's trace.
//!
//! The messages are the subset of `opentelemetry/proto/trace/v1` and
//! `collector/trace/v1` a span needs, with the upstream field numbers; the
//! tests decode them with the official `opentelemetry-proto` package.
use std::collections::HashMap;

use aigw_cloudflare::logging::OtelExporter;
use prost::Message;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::logs::LogEntry;

#[derive(Clone, PartialEq, Message)]
pub struct ExportTraceServiceRequest {
    #[prost(message, repeated, tag = "1")]
    pub resource_spans: Vec<ResourceSpans>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ResourceSpans {
    #[prost(message, optional, tag = "1")]
    pub resource: Option<Resource>,
    #[prost(message, repeated, tag = "2")]
    pub scope_spans: Vec<ScopeSpans>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Resource {
    #[prost(message, repeated, tag = "1")]
    pub attributes: Vec<KeyValue>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ScopeSpans {
    #[prost(message, optional, tag = "1")]
    pub scope: Option<InstrumentationScope>,
    #[prost(message, repeated, tag = "2")]
    pub spans: Vec<Span>,
}

#[derive(Clone, PartialEq, Message)]
pub struct InstrumentationScope {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub version: String,
}

/// `SPAN_KIND_CLIENT`: the gateway calls a model on the app's behalf.
pub const SPAN_KIND_CLIENT: i32 = 3;
/// `STATUS_CODE_OK` / `STATUS_CODE_ERROR`.
pub const STATUS_OK: i32 = 1;
pub const STATUS_ERROR: i32 = 2;

#[derive(Clone, PartialEq, Message)]
pub struct Span {
    #[prost(bytes = "vec", tag = "1")]
    pub trace_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub span_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "4")]
    pub parent_span_id: Vec<u8>,
    #[prost(string, tag = "5")]
    pub name: String,
    #[prost(int32, tag = "6")]
    pub kind: i32,
    #[prost(fixed64, tag = "7")]
    pub start_time_unix_nano: u64,
    #[prost(fixed64, tag = "8")]
    pub end_time_unix_nano: u64,
    #[prost(message, repeated, tag = "9")]
    pub attributes: Vec<KeyValue>,
    #[prost(message, optional, tag = "15")]
    pub status: Option<Status>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Status {
    #[prost(string, tag = "2")]
    pub message: String,
    #[prost(int32, tag = "3")]
    pub code: i32,
}

#[derive(Clone, PartialEq, Message)]
pub struct KeyValue {
    #[prost(string, tag = "1")]
    pub key: String,
    #[prost(message, optional, tag = "2")]
    pub value: Option<AnyValue>,
}

#[derive(Clone, PartialEq, Message)]
pub struct AnyValue {
    #[prost(oneof = "Any", tags = "1, 2, 3, 4")]
    pub value: Option<Any>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Any {
    #[prost(string, tag = "1")]
    String(String),
    #[prost(bool, tag = "2")]
    Bool(bool),
    #[prost(int64, tag = "3")]
    Int(i64),
    #[prost(double, tag = "4")]
    Double(f64),
}

fn kv(key: &str, v: Any) -> KeyValue {
    KeyValue { key: key.to_string(), value: Some(AnyValue { value: Some(v) }) }
}

/// The trace a span belongs to: the caller's (from the `cf-aig-otel-*`
/// headers) or a new one.
#[derive(Debug, Clone, Default)]
pub struct TraceContext {
    pub trace_id: Option<[u8; 16]>,
    pub parent_span_id: Option<[u8; 8]>,
}

fn hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let s = s.trim();
    if s.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

impl TraceContext {
    /// From `cf-aig-otel-trace-id` (32 hex digits) and
    /// `cf-aig-otel-parent-span-id` (16); malformed values are ignored.
    pub fn read(trace_id: Option<&str>, parent: Option<&str>) -> TraceContext {
        TraceContext { trace_id: trace_id.and_then(hex::<16>), parent_span_id: parent.and_then(hex::<8>) }
    }
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    let _ = aws_lc_rs::rand::fill(&mut b);
    b
}

/// The span for one logged request.
pub fn span(e: &LogEntry, trace: &TraceContext) -> Span {
    let mut attributes = vec![
        kv("gen_ai.request.model", Any::String(e.model.clone())),
        kv("gen_ai.model.provider", Any::String(e.provider.clone())),
        kv("gen_ai.usage.cost", Any::Double(e.cost)),
        kv("http.response.status_code", Any::Int(i64::from(e.status_code))),
    ];
    for (key, n) in [("gen_ai.usage.input_tokens", e.tokens_in), ("gen_ai.usage.output_tokens", e.tokens_out)] {
        if let Some(n) = n {
            attributes.push(kv(key, Any::Int(n as i64)));
        }
    }
    if let Some(b) = &e.request_body {
        attributes.push(kv("gen_ai.prompt_json", Any::String(b.text().into_owned())));
    }
    if let Some(b) = &e.response_body {
        attributes.push(kv("gen_ai.completion_json", Any::String(b.text().into_owned())));
    }
    for (k, v) in e.metadata.iter().flatten() {
        if k.starts_with("gen_ai.") {
            continue;
        }
        let v = match v {
            Value::Bool(b) => Any::Bool(*b),
            Value::Number(n) if n.is_i64() => Any::Int(n.as_i64().unwrap_or_default()),
            Value::Number(n) => Any::Double(n.as_f64().unwrap_or_default()),
            Value::String(s) => Any::String(s.clone()),
            other => Any::String(other.to_string()),
        };
        attributes.push(kv(k, v));
    }
    let start = e.created_ms * 1_000_000;
    Span {
        trace_id: trace.trace_id.unwrap_or_else(random::<16>).to_vec(),
        span_id: random::<8>().to_vec(),
        parent_span_id: trace.parent_span_id.map(|p| p.to_vec()).unwrap_or_default(),
        name: format!("{} {}", e.provider, e.model).trim().to_string(),
        kind: SPAN_KIND_CLIENT,
        start_time_unix_nano: start,
        end_time_unix_nano: start + e.duration * 1_000_000,
        attributes,
        status: Some(Status { message: String::new(), code: if e.success { STATUS_OK } else { STATUS_ERROR } }),
    }
}

/// One export request for `spans` of `gateway`.
pub fn request(gateway: &str, spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    kv("service.name", Any::String("ai-gateway".into())),
                    kv("cloudflare.ai_gateway.id", Any::String(gateway.into())),
                ],
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "aigw-emulator".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                }),
                spans,
            }],
        }],
    }
}

fn any_json(v: &AnyValue) -> Value {
    match &v.value {
        Some(Any::String(s)) => json!({"stringValue": s}),
        Some(Any::Bool(b)) => json!({"boolValue": b}),
        // OTLP/JSON writes 64-bit integers as strings.
        Some(Any::Int(i)) => json!({"intValue": i.to_string()}),
        Some(Any::Double(d)) => json!({"doubleValue": d}),
        None => json!({}),
    }
}

fn attributes_json(a: &[KeyValue]) -> Value {
    a.iter().map(|kv| json!({"key": kv.key, "value": kv.value.as_ref().map(any_json)})).collect()
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// OTLP/JSON: lowerCamelCase names, ids in hex, 64-bit numbers as strings.
pub fn to_json(r: &ExportTraceServiceRequest) -> Value {
    let spans = |s: &[Span]| -> Value {
        s.iter()
            .map(|s| {
                let mut v = json!({
                    "traceId": hex_of(&s.trace_id), "spanId": hex_of(&s.span_id), "name": s.name, "kind": s.kind,
                    "startTimeUnixNano": s.start_time_unix_nano.to_string(),
                    "endTimeUnixNano": s.end_time_unix_nano.to_string(),
                    "attributes": attributes_json(&s.attributes),
                    "status": s.status.as_ref().map(|st| json!({"code": st.code})),
                });
                if !s.parent_span_id.is_empty() {
                    v["parentSpanId"] = json!(hex_of(&s.parent_span_id));
                }
                v
            })
            .collect()
    };
    let rs: Vec<Value> = r
        .resource_spans
        .iter()
        .map(|rs| {
            json!({
                "resource": {"attributes": rs.resource.as_ref().map(|r| attributes_json(&r.attributes))},
                "scopeSpans": rs.scope_spans.iter().map(|ss| json!({
                    "scope": ss.scope.as_ref().map(|s| json!({"name": s.name, "version": s.version})),
                    "spans": spans(&ss.spans),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({"resourceSpans": rs})
}

struct Item {
    gateway: String,
    exporters: Vec<OtelExporter>,
    span: Span,
}

/// Queues spans for the export task; a full queue drops, never blocks.
#[derive(Clone)]
pub struct Exporter {
    tx: mpsc::Sender<Item>,
}

impl Exporter {
    pub fn start() -> Exporter {
        let (tx, rx) = mpsc::channel(16_384);
        tokio::spawn(deliver(rx));
        Exporter { tx }
    }

    pub fn export(&self, gateway: &str, exporters: Vec<OtelExporter>, span: Span) {
        if self.tx.try_send(Item { gateway: gateway.to_string(), exporters, span }).is_err() {
            tracing::warn!("otel queue full; dropping a span");
        }
    }
}

/// Sends what is queued: one request per gateway and collector.
async fn deliver(mut rx: mpsc::Receiver<Item>) {
    let http = reqwest::Client::new();
    let mut items = Vec::new();
    while rx.recv_many(&mut items, 256).await > 0 {
        let mut batches: HashMap<(String, String), (OtelExporter, Vec<Span>)> = HashMap::new();
        for it in items.drain(..) {
            for ex in it.exporters {
                let key = (it.gateway.clone(), serde_json::to_string(&ex).unwrap_or_default());
                batches.entry(key).or_insert_with(|| (ex, Vec::new())).1.push(it.span.clone());
            }
        }
        for ((gateway, _), (ex, spans)) in batches {
            let body = request(&gateway, spans);
            let mut req = http.post(&ex.url);
            for (k, v) in &ex.headers {
                req = req.header(k, v);
            }
            if let Some(a) = &ex.authorization {
                req = req.header("authorization", a);
            }
            req = if ex.protobuf() {
                req.header("content-type", "application/x-protobuf").body(body.encode_to_vec())
            } else {
                req.header("content-type", "application/json").body(to_json(&body).to_string())
            };
            match req.send().await {
                Ok(r) if r.status().is_success() => {}
                Ok(r) => tracing::warn!("otel: {} answered {}", ex.url, r.status()),
                Err(e) => tracing::warn!("otel: {}: {e}", ex.url),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> LogEntry {
        serde_json::from_value(json!({
            "id": "01", "created_at": "t", "created_ms": 1000, "gateway_id": "g", "provider": "openai",
            "model": "gpt-4o", "path": "chat/completions", "request_type": "provider", "duration": 5,
            "status_code": 200, "success": true, "cached": false, "tokens_in": 3, "tokens_out": 7, "cost": 0.5,
            "custom_cost": false, "metadata": {"team": "a", "gen_ai.system": "x", "n": 2}, "step": 0,
            "attempts": 1, "request_content_type": null, "response_content_type": null, "event_id": null,
            "user_agent": null, "stream": false, "request_body": "{\"q\":1}"
        }))
        .expect("entry")
    }

    #[test]
    fn spans_carry_cloudflares_attributes_and_the_callers_trace() {
        let ctx = TraceContext::read(Some("0af7651916cd43dd8448eb211c80319c"), Some("b7ad6b7169203331"));
        let s = span(&entry(), &ctx);
        assert_eq!(hex_of(&s.trace_id), "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(hex_of(&s.parent_span_id), "b7ad6b7169203331");
        assert_eq!((s.start_time_unix_nano, s.end_time_unix_nano), (1_000_000_000, 1_005_000_000));
        let keys: Vec<&str> = s.attributes.iter().map(|a| a.key.as_str()).collect();
        assert!(keys.contains(&"gen_ai.prompt_json") && !keys.contains(&"gen_ai.completion_json"));
        assert!(keys.contains(&"team") && !keys.contains(&"gen_ai.system"), "{keys:?}");
        let j = to_json(&request("g", vec![s.clone()]));
        let js = &j["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
        assert_eq!(js["traceId"], "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(js["startTimeUnixNano"], "1000000000");
        let round = ExportTraceServiceRequest::decode(request("g", vec![s.clone()]).encode_to_vec().as_slice());
        assert_eq!(round.expect("decode").resource_spans[0].scope_spans[0].spans[0], s);
        // A malformed caller id starts a new trace.
        assert!(TraceContext::read(Some("xyz"), None).trace_id.is_none());
    }
}
