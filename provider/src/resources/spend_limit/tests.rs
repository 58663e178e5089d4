use super::*;

fn set(xs: &[&str]) -> Value {
    Value::Set(xs.iter().map(|s| Value::from(*s)).collect())
}

fn rule(limit: Value, window: i64, attrs: &[(&str, Value)]) -> Value {
    let mut r = Value::object([
        ("id", Value::Null),
        ("limit", limit),
        ("window", Value::int(window)),
        ("technique", Value::Null),
        ("enabled", Value::Null),
        ("providers", Value::Null),
        ("models", Value::Null),
        ("metadata", Value::Null),
        ("partition_by", Value::Null),
    ]);
    for (k, v) in attrs {
        r.set_attr(k, v.clone());
    }
    r
}

fn config(rules: Vec<Value>) -> Value {
    Value::object([("rules", Value::List(rules))])
}

fn errors(c: &Value) -> Vec<(Option<AttributePath>, String)> {
    let mut d = Diagnostics::new();
    SpendLimit::validate(&mut d, c);
    d.iter().map(|x| (x.attribute.clone(), x.summary.clone())).collect()
}

fn planned(c: &Value) -> Value {
    let mut p = c.clone();
    SpendLimit::defaults(c, &Value::Null, &mut p);
    p
}

#[test]
fn problems_name_the_rule_and_field() {
    let bad = rule(
        Value::Number(Number::Float(-1.0)),
        0,
        &[
            ("technique", Value::from("leaky")),
            ("providers", set(&["openai", "opneai"])),
            ("models", set(&[])),
            ("partition_by", set(&["team"])),
            ("metadata", Value::Map([("team".to_string(), set(&["a"]))].into())),
        ],
    );
    let at = |f: &str| Some(AttributePath::root("rules").index(0).attr(f));
    assert_eq!(
        errors(&config(vec![bad])),
        [
            (at("limit"), "Invalid limit".to_string()),
            (at("window"), "Invalid window".to_string()),
            (at("technique"), "Invalid technique".to_string()),
            (at("models"), "Empty set".to_string()),
            (at("providers"), "Unknown provider".to_string()),
            (
                Some(AttributePath::root("rules").index(0).attr("metadata").key("team")),
                "Key both filtered and partitioned".to_string()
            ),
        ]
    );
    assert_eq!(errors(&config(vec![]))[0].1, "Invalid rules");
    let same = rule(Value::int(5), 60, &[]);
    let e = errors(&config(vec![same.clone(), same]));
    assert_eq!(e, [(Some(AttributePath::root("rules").index(1).attr("id")), "Duplicate rule id".to_string())]);
    assert!(errors(&config(vec![rule(Value::int(5), 60, &[("models", set(&["gpt-4o"]))])])).is_empty());
}

#[test]
fn derived_ids_follow_the_rule_not_its_position_or_limit() {
    let daily = rule(Value::int(10), 86_400, &[("partition_by", set(&["team"]))]);
    let hourly = rule(Value::int(1), 3600, &[("models", set(&["gpt-4o"]))]);
    let ids = |p: &Value| list(p.attr("rules")).iter().map(|r| r.attr("id").clone()).collect::<Vec<_>>();
    let first = ids(&planned(&config(vec![daily.clone(), hourly.clone()])));
    // Terraform proposes prior ids by position; a reorder must not swap them.
    let mut reordered = config(vec![hourly.clone(), daily.clone()]);
    let mut proposed = reordered.clone();
    proposed.set_attr(
        "rules",
        Value::List(
            list(reordered.attr("rules"))
                .iter()
                .zip(&first)
                .map(|(r, id)| {
                    let mut r = r.clone();
                    r.set_attr("id", id.clone());
                    r
                })
                .collect(),
        ),
    );
    SpendLimit::defaults(&reordered, &Value::Null, &mut proposed);
    assert_eq!(ids(&proposed), [first[1].clone(), first[0].clone()]);
    let mut raised = daily.clone();
    raised.set_attr("limit", Value::int(20));
    assert_eq!(ids(&planned(&config(vec![raised])))[0], first[0], "a new limit keeps the id");
    let mut fixed = daily;
    fixed.set_attr("technique", Value::from("fixed"));
    assert_ne!(ids(&planned(&config(vec![fixed])))[0], first[0], "a new window kind is a new budget");
    // A configured id is kept as written.
    reordered.set_attr("rules", Value::List(vec![rule(Value::int(1), 60, &[("id", Value::from("mine"))])]));
    assert_eq!(ids(&planned(&reordered)), [Value::from("mine")]);
    // An unknown scope makes the id unknown, never a guess.
    assert!(derived_id(&rule(Value::int(1), 60, &[("models", Value::unknown())])).is_unknown());
}

#[test]
fn writes_the_api_shape_and_reads_back_what_was_planned() {
    let mut g: Gateway = serde_json::from_value(serde_json::json!({"id": "g"})).expect("gateway");
    let p = planned(&config(vec![
        rule(
            Value::Number(Number::Decimal("0.1".into())),
            3600,
            &[
                ("partition_by", set(&["user"])),
                ("metadata", Value::Map([("env".to_string(), set(&["prod"]))].into())),
                ("providers", set(&["openai"])),
            ],
        ),
        rule(Value::int(100), 86_400, &[("id", Value::from("all")), ("technique", Value::from("fixed"))]),
    ]));
    SpendLimit::write(&mut g, &p, &p);
    assert!(SpendLimit::enabled(&g));
    let body = g.to_update_body();
    let r0 = &body["spend_limits"]["rules"][0];
    assert_eq!(r0["limit"], 0.1);
    assert_eq!(r0["limitType"], "cost");
    assert_eq!(r0["provider"], serde_json::json!({"mode": "filter", "values": ["openai"]}));
    assert_eq!(r0["metadata"]["user"], serde_json::json!({"mode": "partition"}));
    assert_eq!(r0["metadata"]["env"], serde_json::json!({"mode": "filter", "values": ["prod"]}));
    assert_eq!(body["spend_limits"]["rules"][1]["technique"], "fixed");
    let mut state = Value::object([("rules", Value::Null)]);
    SpendLimit::read(&g, &p, &mut state);
    assert_eq!(state, p, "defaults read back as null and 0.1 keeps its decimal spelling");
    // Imported (no prior state): defaults as null, so a configuration that
    // leaves them out plans no change; set values as the API holds them.
    let mut imported = Value::object([("rules", Value::Null)]);
    SpendLimit::read(&g, &Value::Null, &mut imported);
    let rules = list(imported.attr("rules"));
    assert_eq!((rules[0].attr("technique"), rules[1].attr("technique")), (&Value::Null, &Value::from("fixed")));
    assert_eq!(rules[0].attr("limit"), &Value::Number(Number::Float(0.1)));
    SpendLimit::disable(&mut g);
    assert!(!SpendLimit::enabled(&g));
}

#[test]
fn api_paths_land_on_the_rule_attribute() {
    let p = |v: serde_json::Value| SpendLimit::attribute_path(v.as_array().expect("array"));
    let r1 = AttributePath::root("rules").index(1);
    assert_eq!(p(serde_json::json!(["spend_limits", "rules", 1, "model", "values"])), Some(r1.clone().attr("models")));
    assert_eq!(p(serde_json::json!(["spend_limits", "rules", 1, "window"])), Some(r1.clone().attr("window")));
    assert_eq!(p(serde_json::json!(["spend_limits", "rules", 1])), Some(r1));
    assert_eq!(p(serde_json::json!(["dlp", "rules", 1])), None);
}
