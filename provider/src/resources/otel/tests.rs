use super::*;

fn map(kv: &[(&str, &str)]) -> Value {
    Value::Map(kv.iter().map(|(k, v)| (k.to_string(), Value::from(*v))).collect())
}

fn exporter(url: &str, attrs: &[(&str, Value)]) -> Value {
    let mut e = Value::object([
        ("url", Value::from(url)),
        ("headers", Value::Null),
        ("headers_wo", Value::Null),
        ("headers_wo_version", Value::Null),
        ("headers_wo_names", Value::Null),
        ("authorization", Value::Null),
        ("content_type", Value::Null),
    ]);
    for (k, v) in attrs {
        e.set_attr(k, v.clone());
    }
    e
}

fn config(items: Vec<Value>) -> Value {
    Value::object([("exporters", Value::List(items))])
}

fn errors(c: &Value) -> Vec<(Option<AttributePath>, String)> {
    let mut d = Diagnostics::new();
    Otel::validate(&mut d, c);
    d.iter().map(|x| (x.attribute.clone(), x.summary.clone())).collect()
}

#[test]
fn problems_name_the_exporter_and_header() {
    let c = config(vec![
        exporter("https://otel.example.com/v1/traces", &[]),
        exporter(
            "https://otel.example.com/v1/traces",
            &[
                ("content_type", Value::from("xml")),
                ("headers", map(&[("x-team", "a")])),
                ("headers_wo", map(&[("X-Team", "b"), ("bad name", "c")])),
            ],
        ),
        exporter("ftp://x", &[]),
    ]);
    let at = |i: i64, f: &str| AttributePath::root("exporters").index(i).attr(f);
    assert_eq!(
        errors(&c),
        [
            (Some(at(1, "url")), "Duplicate collector".to_string()),
            (Some(at(1, "content_type")), "Invalid content type".to_string()),
            (Some(at(1, "headers_wo").key("X-Team")), "Header set twice".to_string()),
            (Some(at(1, "headers_wo").key("bad name")), "Invalid header name".to_string()),
            (Some(at(2, "url")), "Invalid url".to_string()),
        ]
    );
}

#[test]
fn write_only_headers_reach_the_api_and_never_the_state() {
    let cfg = config(vec![exporter(
        "https://collector/v1/traces",
        &[
            ("headers", map(&[("x-dataset", "llm")])),
            ("headers_wo", map(&[("authorization", "Bearer s3cret")])),
            ("headers_wo_version", Value::int(1)),
            ("content_type", Value::from("protobuf")),
        ],
    )]);
    let mut planned = cfg.clone();
    Otel::defaults(&cfg, &Value::Null, &mut planned);
    let p = &list(planned.attr("exporters"))[0];
    assert!(p.attr("headers_wo").is_null(), "write-only: null in the plan");
    assert_eq!(p.attr("headers_wo_names"), &Value::Set(vec![Value::from("authorization")]));
    let mut g: Gateway = serde_json::from_value(serde_json::json!({"id": "g"})).expect("gateway");
    Otel::write(&mut g, &planned, &cfg);
    let sent = &g.to_update_body()["otel"][0];
    assert_eq!(sent["headers"], serde_json::json!({"authorization": "Bearer s3cret", "x-dataset": "llm"}));
    let mut state = Value::object([("exporters", Value::Null)]);
    Otel::read(&g, &planned, &mut state);
    assert_eq!(state, planned, "the state holds the names, not the secret");
    // A header added elsewhere shows as drift; the write-only one does not.
    g.extra["otel"][0]["headers"]["x-new"] = "1".into();
    Otel::read(&g, &planned, &mut state);
    let headers = list(state.attr("exporters"))[0].attr("headers").clone();
    assert_eq!(headers, map(&[("x-dataset", "llm"), ("x-new", "1")]));
    // Imported: no header value reaches the state, only the names.
    let mut imported = Value::object([("exporters", Value::Null)]);
    Otel::read(&g, &Value::Null, &mut imported);
    let e = &list(imported.attr("exporters"))[0];
    assert!(e.attr("headers").is_null());
    assert_eq!(names(e.attr("headers_wo_names")).len(), 3);
}

#[test]
fn api_paths_land_on_the_exporter() {
    let p = Otel::attribute_path(&[Json::from("otel"), Json::from(0), Json::from("url")]);
    assert_eq!(p, Some(AttributePath::root("exporters").index(0).attr("url")));
}
