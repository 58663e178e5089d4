//! `aigw_otel`: the OpenTelemetry collectors a gateway exports a span per
//! request to (`otel`). Credentials go in `headers_wo`, a write-only map
//! (Terraform 1.11+) that is sent to the API and never stored in a plan or
//! state; bump `headers_wo_version` to send new values. Destroying it stops
//! the export. The CRUD is the shared gateway-setting one.
use std::collections::{BTreeMap, BTreeSet};

use aigw_cloudflare::Gateway;
use aigw_cloudflare::logging::{OtelExporter, header_name};
use serde_json::Value as Json;
use tfplugin::schema::{Attribute, NestedObject, Nesting};
use tfplugin::{AttributePath, Diagnostics, Type, Value};

use super::gateway_settings::{GatewaySetting, SettingResource, list};

pub struct Otel;
pub type OtelResource = SettingResource<Otel>;

const MAX_EXPORTERS: usize = 10;

fn exporter_schema() -> NestedObject {
    NestedObject {
        nesting: Nesting::List,
        attributes: vec![
            Attribute::new("url", Type::String)
                .required()
                .describe("The collector's OTLP/HTTP traces endpoint, e.g. `https://api.honeycomb.io/v1/traces`."),
            Attribute::new("headers", Type::map(Type::String))
                .optional()
                .describe("Headers sent with each export that are not secret. Secrets go in `headers_wo`."),
            Attribute::new("headers_wo", Type::map(Type::String)).optional().sensitive().write_only().describe(
                "Write-only headers (Terraform 1.11+), e.g. `{ authorization = \"Bearer ...\" }`: sent to the API, \
                 never kept in plan or state. Change `headers_wo_version` to send new values.",
            ),
            Attribute::new("headers_wo_version", Type::Number)
                .optional()
                .describe("Change it to send `headers_wo` again (a rotation)."),
            Attribute::new("headers_wo_names", Type::set(Type::String))
                .computed()
                .describe("The names (not the values) of the write-only headers last sent."),
            Attribute::new("authorization", Type::String).optional().describe(
                "A Secrets Store secret whose value Cloudflare sends as `Authorization` (the emulator sends this \
                 value as is).",
            ),
            Attribute::new("content_type", Type::String)
                .optional()
                .describe("`json` (OTLP/JSON, the default) or `protobuf`."),
        ],
    }
}

fn string_map(v: &Value) -> BTreeMap<String, String> {
    match v {
        Value::Map(m) => m.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect(),
        _ => BTreeMap::new(),
    }
}

fn names(v: &Value) -> BTreeSet<String> {
    match v {
        Value::Set(s) | Value::List(s) => s.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        _ => BTreeSet::new(),
    }
}

fn validate_exporter(d: &mut Diagnostics, e: &Value, at: &AttributePath, urls: &mut BTreeSet<String>) {
    let field = |n: &str| at.clone().attr(n);
    if let Some(u) = e.attr("url").as_str() {
        if !(u.starts_with("https://") || u.starts_with("http://")) || u.len() <= 8 {
            d.attribute_error(field("url"), "Invalid url", format!("url must be an http(s) URL; got {u:?}."));
        } else if !urls.insert(u.to_string()) {
            d.attribute_error(field("url"), "Duplicate collector", format!("{u:?} is listed twice."));
        }
    }
    if let Some(c) = e.attr("content_type").as_str()
        && c != "json"
        && c != "protobuf"
    {
        d.attribute_error(
            field("content_type"),
            "Invalid content type",
            format!("content_type must be \"json\" or \"protobuf\"; got {c:?}."),
        );
    }
    let plain = string_map(e.attr("headers"));
    for (attr, map) in [("headers", plain.clone()), ("headers_wo", string_map(e.attr("headers_wo")))] {
        for (k, v) in &map {
            if !header_name(k) {
                d.attribute_error(
                    field(attr).key(k),
                    "Invalid header name",
                    format!("{k:?} is not an HTTP header name."),
                );
            } else if v.contains(['\r', '\n']) {
                d.attribute_error(
                    field(attr).key(k),
                    "Invalid header value",
                    "A header value cannot hold line breaks.",
                );
            } else if attr == "headers_wo" && plain.keys().any(|p| p.eq_ignore_ascii_case(k)) {
                d.attribute_error(field(attr).key(k), "Header set twice", format!("{k:?} is in headers too."));
            }
        }
    }
}

/// The exporter's API form: its plain headers plus the write-only ones from `config`.
fn exporter_of(planned: &Value, config: Option<&Value>) -> OtelExporter {
    let mut headers = string_map(planned.attr("headers"));
    if let Some(c) = config {
        headers.extend(string_map(c.attr("headers_wo")));
    }
    OtelExporter {
        url: planned.attr("url").as_str().unwrap_or_default().to_string(),
        headers,
        authorization: planned.attr("authorization").as_str().map(str::to_string),
        content_type: planned.attr("content_type").as_str().map(str::to_string),
    }
}

/// An exporter as state. With no prior state for it (an import, or one
/// added outside Terraform) every header is taken as a secret: its name is
/// kept, its value never reaches the state.
fn exporter_value(e: &OtelExporter, prior: Option<&Value>) -> Value {
    let hidden: BTreeSet<String> = match prior {
        Some(p) => names(p.attr("headers_wo_names")),
        None => e.headers.keys().cloned().collect(),
    };
    let plain: BTreeMap<String, Value> = e
        .headers
        .iter()
        .filter(|(k, _)| !hidden.contains(*k))
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    let prior_null = |n: &str| prior.is_none_or(|p| p.attr(n).is_null());
    let headers = if plain.is_empty() && prior_null("headers") { Value::Null } else { Value::Map(plain) };
    let content_type = match e.content_type.as_deref() {
        None => Value::Null,
        Some("json") if prior_null("content_type") => Value::Null,
        Some(c) => Value::from(c),
    };
    let hidden_names = match prior {
        Some(p) => p.attr("headers_wo_names").clone(),
        None if hidden.is_empty() => Value::Null,
        None => Value::Set(hidden.into_iter().map(Value::from).collect()),
    };
    Value::object([
        ("url", Value::from(e.url.as_str())),
        ("headers", headers),
        ("headers_wo", Value::Null),
        ("headers_wo_version", prior.map_or(Value::Null, |p| p.attr("headers_wo_version").clone())),
        ("headers_wo_names", hidden_names),
        ("authorization", e.authorization.clone().into()),
        ("content_type", content_type),
    ])
}

impl GatewaySetting for Otel {
    const TYPE_NAME: &'static str = "aigw_otel";
    const WHAT: &'static str = "OpenTelemetry export";
    const DESCRIPTION: &'static str = "OpenTelemetry export from a gateway: a span per request (model, provider, \
        tokens, cost, prompt and completion, metadata) to each collector by OTLP/HTTP. Destroying it stops the export.";

    fn attributes() -> Vec<Attribute> {
        vec![
            Attribute::nested("exporters", exporter_schema())
                .required()
                .describe(format!("Collectors, 1 to {MAX_EXPORTERS}.")),
        ]
    }

    fn validate(d: &mut Diagnostics, config: &Value) {
        let Some(items) = crate::validators::items(d, config, Self::TYPE_NAME, "exporters", MAX_EXPORTERS, "") else {
            return;
        };
        let root = AttributePath::root("exporters");
        let mut urls = BTreeSet::new();
        for (i, e) in items.iter().enumerate() {
            validate_exporter(d, e, &root.clone().index(i as i64), &mut urls);
        }
    }

    fn defaults(config: &Value, _prior: &Value, planned: &mut Value) {
        let Value::List(items) = planned.attr("exporters").clone() else { return };
        let configured = list(config.attr("exporters"));
        let items = items
            .into_iter()
            .enumerate()
            .map(|(i, mut e)| {
                // Write-only: never in the plan. Only the names are kept.
                let wo = configured.get(i).map(|c| c.attr("headers_wo").clone()).unwrap_or_default();
                let known: BTreeSet<String> = string_map(&wo).into_keys().collect();
                let names = match wo {
                    Value::Null => Value::Null,
                    Value::Map(_) => Value::Set(known.into_iter().map(Value::from).collect()),
                    _ => Value::unknown(),
                };
                e.set_attr("headers_wo", Value::Null);
                e.set_attr("headers_wo_names", names);
                e
            })
            .collect();
        planned.set_attr("exporters", Value::List(items));
    }

    fn enabled(g: &Gateway) -> bool {
        !g.otel().is_empty()
    }

    fn read(g: &Gateway, prior: &Value, state: &mut Value) {
        let before = list(prior.attr("exporters"));
        let items = g
            .otel()
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let p = before
                    .get(i)
                    .filter(|p| p.attr("url").as_str() == Some(e.url.as_str()))
                    .or_else(|| before.iter().find(|p| p.attr("url").as_str() == Some(e.url.as_str())));
                exporter_value(e, p)
            })
            .collect();
        state.set_attr("exporters", Value::List(items));
    }

    fn write(g: &mut Gateway, planned: &Value, config: &Value) {
        let configured = list(config.attr("exporters"));
        let exporters: Vec<OtelExporter> = list(planned.attr("exporters"))
            .iter()
            .enumerate()
            .map(|(i, e)| exporter_of(e, configured.get(i)))
            .collect();
        g.extra.insert("otel".into(), serde_json::to_value(exporters).unwrap_or(Json::Null));
    }

    fn disable(g: &mut Gateway) {
        g.extra.remove("otel");
    }

    fn attribute_path(api_path: &[Json]) -> Option<AttributePath> {
        match api_path {
            [field, rest @ ..] if field == "otel" => {
                let mut p = vec![Json::from("exporters")];
                p.extend(rest.iter().take(2).cloned());
                crate::error::attribute_path(&p)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
