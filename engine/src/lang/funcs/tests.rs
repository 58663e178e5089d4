use crate::lang::{Scope, eval_typed};
use tfplugin::Type;

/// The error a result holds, or an error saying there was none.
fn failure<T: std::fmt::Debug>(r: Result<T, String>) -> Result<String, String> {
    match r {
        Ok(v) => Err(format!("expected an error, got {v:?}")),
        Err(e) => Ok(e),
    }
}

fn ev(src: &str) -> Result<crate::lang::Val, String> {
    let body = hcl::parse(&format!("x = {src}")).map_err(|e| e.to_string())?;
    let e = body.attributes().next().map(|a| a.expr().clone()).ok_or("no attribute")?;
    eval_typed(&e, &Scope::default())
}

#[test]
fn functions_type_their_results() -> Result<(), String> {
    assert_eq!(ev("keys(tomap({a = 1}))")?.ty, Type::list(Type::String));
    assert_eq!(ev("range(3)")?.ty, Type::list(Type::Number));
    assert_eq!(ev("toset([\"b\", \"a\", \"b\"])")?.v, tfplugin::Value::Set(vec!["a".into(), "b".into()]));
    assert!(failure(ev("upper(1, 2)"))?.contains("Too many"));
    assert!(failure(ev("sortt([])"))?.contains("did you mean \"sort\""));
    Ok(())
}
