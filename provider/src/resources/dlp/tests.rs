use super::*;

fn policy(id: &str, action: &str, profiles: &[&str], check: Option<&[&str]>) -> Value {
    let list = |xs: &[&str]| Value::List(xs.iter().map(|s| Value::from(*s)).collect());
    Value::object([
        ("id", Value::from(id)),
        ("action", Value::from(action)),
        ("profiles", list(profiles)),
        ("check", check.map_or(Value::Null, list)),
        ("enabled", Value::Null),
    ])
}

fn config(policies: Vec<Value>) -> Value {
    Value::object([("policies", Value::List(policies))])
}

fn errors(c: &Value) -> Vec<(Option<AttributePath>, String)> {
    let mut d = Diagnostics::new();
    Dlp::validate(&mut d, c);
    d.iter().map(|x| (x.attribute.clone(), x.summary.clone())).collect()
}

#[test]
fn problems_name_the_policy_and_field() {
    let c = config(vec![
        policy("cards", "BLOCK", &["credit_card"], None),
        policy("cards", "DROP", &[], Some(&["REQUEST", "BODY", "REQUEST"])),
    ]);
    let at = |f: &str| Some(AttributePath::root("policies").index(1).attr(f));
    let got = errors(&c);
    assert_eq!(
        got,
        [
            (at("id"), "Duplicate policy id".to_string()),
            (at("action"), "Invalid action".to_string()),
            (at("profiles"), "No profiles".to_string()),
            (Some(AttributePath::root("policies").index(1).attr("check").index(1)), "Invalid check".to_string()),
            (Some(AttributePath::root("policies").index(1).attr("check").index(2)), "Duplicate check".to_string()),
        ]
    );
    assert_eq!(errors(&config(vec![]))[0].1, "Invalid policies");
    assert!(errors(&config(vec![policy("a", "FLAG", &["email"], Some(&["RESPONSE"]))])).is_empty());
}

#[test]
fn defaults_read_back_as_null_and_the_profile_form_as_one_policy() {
    let mut g: Gateway = serde_json::from_value(serde_json::json!({"id": "g"})).expect("gateway");
    let planned = config(vec![
        policy("cards", "BLOCK", &["credit_card"], None),
        policy("mail", "FLAG", &["email"], Some(&["RESPONSE"])),
    ]);
    Dlp::write(&mut g, &planned, &planned);
    assert!(Dlp::enabled(&g));
    assert_eq!(g.to_update_body()["dlp"]["policies"][0]["check"], serde_json::json!(["REQUEST", "RESPONSE"]));
    let mut state = Value::object([("policies", Value::Null)]);
    Dlp::read(&g, &planned, &mut state);
    assert_eq!(state, planned);

    let mut imported = Value::object([("policies", Value::Null)]);
    g.extra.insert("dlp".into(), serde_json::json!({"enabled": true, "action": "BLOCK", "profiles": ["iban"]}));
    Dlp::read(&g, &Value::Null, &mut imported);
    assert_eq!(imported, config(vec![policy("default", "BLOCK", &["iban"], None)]));

    g.extra.insert("dlp".into(), serde_json::json!({"enabled": false, "action": "BLOCK", "profiles": ["iban"]}));
    assert!(!Dlp::enabled(&g), "switched off in the dashboard reads as gone");
    Dlp::disable(&mut g);
    assert!(!g.to_update_body().contains_key("dlp"));
}

#[test]
fn api_errors_land_on_the_nested_attribute() {
    let e = aigw_cloudflare::Error::Api {
        status: 400,
        errors: vec![aigw_cloudflare::ApiMessage {
            code: 7001,
            message: "Unknown DLP profile 'nope'".into(),
            path: Some(serde_json::from_str(r#"["dlp","policies",0,"profiles",1]"#).expect("path")),
        }],
    };
    let d = crate::Error::from(e).to_diagnostics_at("Failed", &Dlp::attribute_path);
    let at = d.iter().next().and_then(|x| x.attribute.clone());
    assert_eq!(at, Some(AttributePath::root("policies").index(0).attr("profiles").index(1)));
}
