use crate::lang::{Scope, eval_typed};
use tfplugin::Type;

fn ev(src: &str) -> Result<crate::lang::Val, String> {
    let body = hcl::parse(&format!("x = {src}")).map_err(|e| e.to_string())?;
    let e = body.attributes().next().map(|a| a.expr().clone()).ok_or("no attribute")?;
    eval_typed(&e, &Scope::default())
}

#[test]
fn functions_type_their_results() {
    assert_eq!(ev("keys(tomap({a = 1}))").unwrap().ty, Type::list(Type::String));
    assert_eq!(ev("range(3)").unwrap().ty, Type::list(Type::Number));
    assert_eq!(ev("toset([\"b\", \"a\", \"b\"])").unwrap().v, tfplugin::Value::Set(vec!["a".into(), "b".into()]));
    assert!(ev("upper(1, 2)").unwrap_err().contains("Too many"));
    assert!(ev("sortt([])").unwrap_err().contains("did you mean \"sort\""));
}
