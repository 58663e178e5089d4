//! The Terraform functions aigw provides, declared into an hcl-rs
//! context. `try` and `can` need their arguments unevaluated, so
//! [`crate::eval`] folds them before evaluation ([`fold_try`]). Any other
//! function is an error that names it (hcl-rs: "undefined function").
use hcl::Expression;
use hcl::eval::{Context, FuncArgs, FuncDef, ParamType};

use crate::eval::{Scope, eval, to_hcl};

fn bools(a: &FuncArgs) -> Result<Vec<bool>, String> {
    a[0].as_array()
        .ok_or("expected a list of bools")?
        .iter()
        .map(|v| v.as_bool().ok_or_else(|| format!("{v} is not a bool")))
        .collect()
}

fn nums(a: &FuncArgs) -> Result<Vec<f64>, String> {
    a.iter().map(|v| v.as_f64().ok_or_else(|| format!("{v} is not a number"))).collect()
}

fn s(a: &FuncArgs, i: usize) -> String {
    a[i].as_str().unwrap_or_default().to_string()
}

/// A context holding every function, built once.
pub static CONTEXT: std::sync::LazyLock<Context<'static>> = std::sync::LazyLock::new(|| {
    let mut ctx = Context::new();
    declare(&mut ctx);
    ctx
});

fn declare(ctx: &mut Context<'_>) {
    let str1 = || FuncDef::builder().param(ParamType::String);
    ctx.declare_func("lower", str1().build(|a| Ok(hcl::Value::from(s(&a, 0).to_lowercase()))));
    ctx.declare_func("upper", str1().build(|a| Ok(hcl::Value::from(s(&a, 0).to_uppercase()))));
    ctx.declare_func("trimspace", str1().build(|a| Ok(hcl::Value::from(s(&a, 0).trim().to_string()))));
    ctx.declare_func(
        "length",
        FuncDef::builder().param(ParamType::Any).build(|a| {
            Ok(hcl::Value::from(match &a[0] {
                hcl::Value::String(x) => x.chars().count(),
                hcl::Value::Array(x) => x.len(),
                hcl::Value::Object(x) => x.len(),
                _ => return Err("length: argument must be a string, list or map".into()),
            } as u64))
        }),
    );
    ctx.declare_func(
        "join",
        FuncDef::builder().param(ParamType::String).param(ParamType::Array(Box::new(ParamType::Any))).build(|a| {
            let sep = s(&a, 0);
            let parts: Vec<String> = a[1]
                .as_array()
                .map(|v| v.iter().map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned)).collect())
                .unwrap_or_default();
            Ok(hcl::Value::from(parts.join(&sep)))
        }),
    );
    ctx.declare_func(
        "split",
        FuncDef::builder()
            .param(ParamType::String)
            .param(ParamType::String)
            .build(|a| Ok(hcl::Value::Array(s(&a, 1).split(s(&a, 0).as_str()).map(hcl::Value::from).collect()))),
    );
    ctx.declare_func(
        "replace",
        FuncDef::builder()
            .param(ParamType::String)
            .param(ParamType::String)
            .param(ParamType::String)
            .build(|a| Ok(hcl::Value::from(s(&a, 0).replace(&s(&a, 1), &s(&a, 2))))),
    );
    ctx.declare_func(
        "coalesce",
        FuncDef::builder().variadic_param(ParamType::Any).build(|a| {
            a.iter()
                .find(|v| !v.is_null() && v.as_str() != Some(""))
                .cloned()
                .ok_or_else(|| "coalesce: no non-null, non-empty argument".to_string())
        }),
    );
    ctx.declare_func(
        "jsonencode",
        FuncDef::builder()
            .param(ParamType::Any)
            .build(|a| serde_json::to_string(&a[0]).map(hcl::Value::from).map_err(|e| e.to_string())),
    );
    ctx.declare_func(
        "lookup",
        FuncDef::builder().param(ParamType::Any).param(ParamType::String).variadic_param(ParamType::Any).build(|a| {
            let found = a[0].as_object().and_then(|m| m.get(a[1].as_str().unwrap_or_default())).cloned();
            match (found, a.get(2)) {
                (Some(v), _) => Ok(v),
                (None, Some(d)) => Ok(d.clone()),
                (None, None) => Err(format!("lookup: no key {:?} and no default", a[1])),
            }
        }),
    );
    let list = || FuncDef::builder().param(ParamType::Array(Box::new(ParamType::Any)));
    ctx.declare_func("alltrue", list().build(|a| Ok(hcl::Value::Bool(bools(&a)?.iter().all(|b| *b)))));
    ctx.declare_func("anytrue", list().build(|a| Ok(hcl::Value::Bool(bools(&a)?.iter().any(|b| *b)))));
    ctx.declare_func(
        "contains",
        FuncDef::builder()
            .param(ParamType::Array(Box::new(ParamType::Any)))
            .param(ParamType::Any)
            .build(|a| Ok(hcl::Value::Bool(a[0].as_array().is_some_and(|l| l.contains(&a[1]))))),
    );
    ctx.declare_func(
        "keys",
        FuncDef::builder().param(ParamType::Any).build(|a| {
            let m = a[0].as_object().ok_or("keys: expected a map")?;
            Ok(hcl::Value::Array(m.keys().map(|k| hcl::Value::from(k.clone())).collect()))
        }),
    );
    ctx.declare_func(
        "values",
        FuncDef::builder().param(ParamType::Any).build(|a| {
            let m = a[0].as_object().ok_or("values: expected a map")?;
            Ok(hcl::Value::Array(m.values().cloned().collect()))
        }),
    );
    ctx.declare_func(
        "concat",
        FuncDef::builder()
            .variadic_param(ParamType::Array(Box::new(ParamType::Any)))
            .build(|a| Ok(hcl::Value::Array(a.iter().filter_map(|l| l.as_array()).flatten().cloned().collect()))),
    );
    ctx.declare_func(
        "merge",
        FuncDef::builder().variadic_param(ParamType::Any).build(|a| {
            let mut out = hcl::Map::new();
            for m in a.iter().filter_map(|m| m.as_object()) {
                out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            Ok(hcl::Value::Object(out))
        }),
    );
    ctx.declare_func(
        "min",
        FuncDef::builder().variadic_param(ParamType::Number).build(|a| {
            nums(&a)?
                .into_iter()
                .reduce(f64::min)
                .and_then(hcl::Number::from_f64)
                .map(hcl::Value::Number)
                .ok_or_else(|| "min: no arguments".to_string())
        }),
    );
    ctx.declare_func(
        "max",
        FuncDef::builder().variadic_param(ParamType::Number).build(|a| {
            nums(&a)?
                .into_iter()
                .reduce(f64::max)
                .and_then(hcl::Number::from_f64)
                .map(hcl::Value::Number)
                .ok_or_else(|| "max: no arguments".to_string())
        }),
    );
    ctx.declare_func(
        "tonumber",
        FuncDef::builder().param(ParamType::Any).build(|a| match &a[0] {
            hcl::Value::Number(n) => Ok(hcl::Value::Number(*n)),
            hcl::Value::String(s) => s
                .parse::<f64>()
                .ok()
                .and_then(hcl::Number::from_f64)
                .map(hcl::Value::Number)
                .ok_or_else(|| format!("tonumber: {s:?} is not a number")),
            other => Err(format!("tonumber: {other} is not a number")),
        }),
    );
    ctx.declare_func(
        "range",
        FuncDef::builder().variadic_param(ParamType::Number).build(|a| {
            let n = nums(&a)?;
            let (start, end, step) = match n.as_slice() {
                [e] => (0.0, *e, 1.0),
                [s, e] => (*s, *e, 1.0),
                [s, e, st] if *st != 0.0 => (*s, *e, *st),
                _ => return Err("range: takes 1 to 3 numbers, with a non-zero step".into()),
            };
            let mut out = Vec::new();
            let mut x = start;
            while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
                out.push(hcl::Number::from_f64(x).map_or(hcl::Value::Null, hcl::Value::Number));
                x += step;
                if out.len() > 1_000_000 {
                    return Err("range: more than 1,000,000 elements".into());
                }
            }
            Ok(hcl::Value::Array(out))
        }),
    );
    ctx.declare_func(
        "toset",
        FuncDef::builder().param(ParamType::Array(Box::new(ParamType::Any))).build(|a| {
            let mut out: Vec<hcl::Value> = Vec::new();
            for v in a[0].as_array().into_iter().flatten() {
                if !out.contains(v) {
                    out.push(v.clone());
                }
            }
            Ok(hcl::Value::Array(out))
        }),
    );
    ctx.declare_func(
        "tolist",
        FuncDef::builder().param(ParamType::Array(Box::new(ParamType::Any))).build(|a| Ok(a[0].clone())),
    );
    ctx.declare_func(
        "tostring",
        FuncDef::builder().param(ParamType::Any).build(|a| {
            Ok(match &a[0] {
                hcl::Value::String(x) => hcl::Value::from(x.clone()),
                other => hcl::Value::from(other.to_string()),
            })
        }),
    );
    ctx.declare_func(
        "element",
        FuncDef::builder().param(ParamType::Array(Box::new(ParamType::Any))).param(ParamType::Number).build(|a| {
            let list = a[0].as_array().cloned().unwrap_or_default();
            let i = a[1].as_i64().ok_or("element: index must be a whole number")?;
            if list.is_empty() {
                return Err("element: cannot use element function with an empty list".into());
            }
            Ok(list[i.rem_euclid(list.len() as i64) as usize].clone())
        }),
    );
    ctx.declare_func(
        "format",
        FuncDef::builder().param(ParamType::String).variadic_param(ParamType::Any).build(|a| format(&a)),
    );
    ctx.declare_func(
        "jsondecode",
        FuncDef::builder()
            .param(ParamType::String)
            .build(|a| serde_json::from_str::<hcl::Value>(&s(&a, 0)).map_err(|e| format!("jsondecode: {e}"))),
    );
    ctx.declare_func(
        "tomap",
        FuncDef::builder().param(ParamType::Any).build(|a| match &a[0] {
            v @ hcl::Value::Object(_) => Ok(v.clone()),
            other => Err(format!("tomap: {other} is not a map or object")),
        }),
    );
    ctx.declare_func(
        "file",
        FuncDef::builder().param(ParamType::String).build(|a| {
            let path = s(&a, 0);
            std::fs::read_to_string(&path).map(hcl::Value::from).map_err(|e| format!("file({path:?}): {e}"))
        }),
    );
}

/// Terraform's `format`: `%s %d %f %.Nf %v %q %t %%`.
fn format(a: &FuncArgs) -> Result<hcl::Value, String> {
    let spec = s(a, 0);
    let mut args = a.iter().skip(1);
    let mut out = String::new();
    let mut chars = spec.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut precision = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let digits: String = std::iter::from_fn(|| chars.next_if(char::is_ascii_digit)).collect();
            precision = digits.parse::<usize>().ok();
        }
        let verb = chars.next().ok_or("format: the format string ends with %")?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let v = args.next().ok_or_else(|| format!("format: not enough arguments for %{verb}"))?;
        let text = match (verb, v) {
            ('s' | 'v', hcl::Value::String(x)) => x.clone(),
            ('s' | 'v', other) => other.to_string(),
            ('q', other) => serde_json::to_string(&other.as_str().map_or_else(|| other.to_string(), str::to_owned))
                .unwrap_or_default(),
            ('d', other) => other
                .as_i64()
                .map(|n| n.to_string())
                .ok_or_else(|| format!("format: %d needs a whole number, got {other}"))?,
            ('f', other) => {
                let n = other.as_f64().ok_or_else(|| format!("format: %f needs a number, got {other}"))?;
                format!("{n:.*}", precision.unwrap_or(6))
            }
            ('t', hcl::Value::Bool(b)) => b.to_string(),
            (v, other) => return Err(format!("format: unsupported verb %{v} for {other}")),
        };
        out.push_str(&text);
    }
    if args.next().is_some() {
        return Err("format: too many arguments for the format string".into());
    }
    Ok(hcl::Value::from(out))
}

/// Replaces `try(...)` and `can(...)` with their results: each argument is
/// evaluated on its own, and an error is an answer, not a failure.
/// `unknown` is set when a result is not known yet.
pub fn fold_try(e: &Expression, scope: &Scope, unknown: &mut bool) -> Expression {
    let mut go = |x: &Expression| fold_try(x, scope, unknown);
    match e {
        Expression::FuncCall(f) if matches!(f.name.to_string().as_str(), "try" | "can") => {
            let is_try = f.name.to_string() == "try";
            for arg in &f.args {
                let mut inner_unknown = false;
                let folded = fold_try(arg, scope, &mut inner_unknown);
                match eval(&folded, scope) {
                    Ok(v) if !v.is_wholly_known() || inner_unknown => {
                        *unknown = true;
                        return Expression::String(crate::eval::UNKNOWN.into());
                    }
                    Ok(v) if is_try => return Expression::from(to_hcl(&v)),
                    Ok(_) => return Expression::Bool(true),
                    Err(_) if !is_try => return Expression::Bool(false),
                    Err(_) => {}
                }
            }
            // No argument worked: the last one's error is the answer.
            f.args.last().cloned().unwrap_or(Expression::Null)
        }
        Expression::FuncCall(f) => {
            let mut f = f.clone();
            f.args = f.args.iter().map(&mut go).collect();
            Expression::FuncCall(f)
        }
        Expression::Array(items) => Expression::Array(items.iter().map(go).collect()),
        Expression::Object(o) => Expression::Object(o.iter().map(|(k, v)| (k.clone(), go(v))).collect()),
        Expression::Parenthesis(p) => Expression::Parenthesis(Box::new(go(p))),
        Expression::Conditional(c) => {
            let mut c = c.clone();
            c.cond_expr = go(&c.cond_expr);
            c.true_expr = go(&c.true_expr);
            c.false_expr = go(&c.false_expr);
            Expression::Conditional(c)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use tfplugin::Value;

    use crate::eval::{Scope, eval};

    fn ev(src: &str, scope: &Scope) -> Result<Value, String> {
        let body = hcl::parse(&format!("x = {src}")).unwrap();
        eval(body.attributes().next().unwrap().expr(), scope)
    }

    #[test]
    fn the_common_functions_work_and_others_are_named() {
        let s = Scope {
            vars: [("cfg".to_string(), Value::object([("a", Value::int(1))]))].into_iter().collect(),
            ..Scope::default()
        };
        assert_eq!(ev("element([\"a\", \"b\"], 3)", &s), Ok(Value::from("b")));
        assert_eq!(ev("format(\"%s-%d %.1f %q %%\", \"gw\", 7, 2.25, \"x\")", &s), Ok(Value::from("gw-7 2.2 \"x\" %")));
        assert_eq!(ev("jsondecode(\"{\\\"k\\\": [1, 2]}\").k[1]", &s), Ok(Value::int(2)));
        assert_eq!(ev("tomap({a = 1}).a", &s), Ok(Value::int(1)));
        assert_eq!(ev("try(var.cfg.missing, \"fallback\")", &s), Ok(Value::from("fallback")));
        assert_eq!(ev("try(var.cfg.a, 0)", &s), Ok(Value::int(1)));
        assert_eq!(
            ev("[can(var.cfg.a), can(var.cfg.nope)]", &s),
            Ok(Value::Tuple(vec![Value::Bool(true), Value::Bool(false)]))
        );
        let u = Scope { vars: [("u".to_string(), Value::unknown())].into_iter().collect(), ..Scope::default() };
        assert!(ev("try(var.u, 1)", &u).unwrap().is_unknown());
        let e = ev("templatefile(\"x\", {})", &s).unwrap_err();
        assert!(e.contains("templatefile"), "{e}");
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), "hello").unwrap();
        assert_eq!(ev(&format!("file({:?})", f.path().display().to_string()), &s), Ok(Value::from("hello")));
    }
}
