use super::*;
use tfplugin::Type;

fn expr(s: &str) -> Result<Expression, String> {
    let body = hcl::parse(&format!("x = {s}")).map_err(|e| e.to_string())?;
    body.attributes().next().map(|a| a.expr().clone()).ok_or_else(|| "no attribute".to_string())
}

/// The error a result holds, or an error saying there was none.
fn failure<T: std::fmt::Debug>(r: Result<T, String>) -> Result<String, String> {
    match r {
        Ok(v) => Err(format!("expected an error, got {v:?}")),
        Err(e) => Ok(e),
    }
}

fn scope() -> Scope {
    let mut s = Scope::default();
    s.vars.insert("name".into(), Value::from("Bot"));
    s.resources
        .entry("aigw_gateway".into())
        .or_default()
        .insert("main".into(), Value::object([("id", Value::from("gw")), ("created_at", Value::unknown())]));
    s
}

#[test]
fn references_are_found_everywhere() -> Result<(), String> {
    let r = refs(&expr(r#"{ a = "${lower(var.name)}-${aigw_gateway.main.id}", b = [for x in local.xs : x.y] }"#)?);
    assert_eq!(
        r,
        vec![
            vec!["var".to_string(), "name".into()],
            vec!["aigw_gateway".into(), "main".into(), "id".into()],
            vec!["local".into(), "xs".into()]
        ]
    );
    Ok(())
}

#[test]
fn unknowns_flow_and_knowns_evaluate() -> Result<(), String> {
    let s = scope();
    assert_eq!(eval(&expr(r#""${lower(var.name)}-${aigw_gateway.main.id}""#)?, &s)?, Value::from("bot-gw"));
    assert!(eval(&expr("aigw_gateway.main.created_at")?, &s)?.is_unknown());
    assert!(eval(&expr("\"at ${aigw_gateway.main.created_at}\"")?, &s)?.is_unknown());
    // Only the part an expression uses decides whether it is known.
    let mut s2 = s.clone();
    s2.resources.entry("gw".into()).or_default().insert(
        "team".into(),
        Value::object([
            ("a", Value::object([("id", Value::from("ga"))])),
            ("b", Value::object([("id", Value::unknown())])),
        ]),
    );
    assert_eq!(eval(&expr("gw.team[\"a\"].id")?, &s2)?, Value::from("ga"));
    assert!(eval(&expr("gw.team[\"b\"].id")?, &s2)?.is_unknown());
    s2.extra.insert("each".into(), Value::object([("key", Value::from("a"))]));
    assert_eq!(eval(&expr("\"${gw.team[each.key].id}-x\"")?, &s2)?, Value::from("ga-x"));
    assert_eq!(eval(&expr("gw.team[each.key].id")?, &s2)?, Value::from("ga"));
    // A for over a known collection is known in shape, its unknown elements unknown.
    assert!(!eval(&expr("[for k, g in gw.team : g.id]")?, &s2)?.is_wholly_known());
    assert!(failure(eval(&expr("var.nope")?, &s))?.contains("undeclared var.nope"));
    assert!(failure(eval(&expr("aigw_gateway.main.nope")?, &s))?.contains("does not have an attribute"));
    assert_eq!(eval(&expr("length([1, 2, 3]) + 1")?, &s)?, Value::int(4));
    Ok(())
}

#[test]
fn decisions_on_unknown_values_are_unknown() -> Result<(), String> {
    let s = Scope {
        vars: [
            ("u".to_string(), Value::unknown()),
            ("m".to_string(), Value::object([("a", Value::unknown()), ("b", Value::from("x"))])),
        ]
        .into_iter()
        .collect(),
        ..Scope::default()
    };
    for src in [
        "var.u == \"\" ? 1 : 2",
        "var.u * 3",
        "upper(var.u)",
        "!var.u",
        "[for k, v in var.m : k if v == \"x\"]",
        "\"%{if var.u}a%{endif}\"",
        "var.m[var.u]",
    ] {
        assert!(eval(&expr(src)?, &s)?.is_unknown(), "{src} should be unknown");
    }
    assert_eq!(eval(&expr("length(var.m)")?, &s)?, Value::int(2));
    let l = Scope {
        vars: [(
            "gws".to_string(),
            Value::Tuple(vec![Value::object([("id", Value::from("a"))]), Value::object([("id", Value::from("b"))])]),
        )]
        .into_iter()
        .collect(),
        ..Scope::default()
    };
    assert_eq!(eval(&expr("var.gws[*].id")?, &l)?, Value::Tuple(vec![Value::from("a"), Value::from("b")]));
    assert_eq!(eval(&expr("var.m.b")?, &s)?, Value::from("x"));
    assert_eq!(eval(&expr("keys(var.m)")?, &s)?, Value::Tuple(vec![Value::from("a"), Value::from("b")]));
    Ok(())
}

#[test]
fn conversion_follows_the_schema() -> Result<(), String> {
    let ty = Type::object([("n", Type::Number), ("s", Type::String), ("l", Type::list(Type::String))]);
    let v = Value::object([("n", Value::from("5")), ("s", Value::int(3)), ("l", Value::Tuple(vec![Value::from("a")]))]);
    let c = convert(v, &ty)?;
    assert_eq!(c.attr("n"), &Value::int(5));
    assert_eq!(c.attr("s"), &Value::from("3"));
    assert!(failure(convert(Value::object([("zzz", Value::Null)]), &ty))?.contains("zzz"));
    assert!(convert(Value::from("x"), &Type::Number).is_err());
    Ok(())
}
