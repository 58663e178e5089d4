//! Expressions with unknowns. hcl-rs evaluates known values only, so an
//! expression is evaluated in two steps: its references are resolved first,
//! and if any of them is (or holds) an unknown the result is unknown; else
//! hcl-rs evaluates it against the known values. Values then take the
//! schema's type, with Terraform's conversions (number ↔ string, ...).
use std::collections::BTreeMap;

use hcl::eval::{Context, Evaluate};
use hcl::{Expression, Template, TraversalOperator};
use tfplugin::value::Number;
use tfplugin::{Type, Value};

/// A reference: its root and the attribute names that follow it.
pub type Ref = Vec<String>;

/// Every reference in `expr` (for-expression variables excluded).
pub fn refs(expr: &Expression) -> Vec<Ref> {
    let mut out = Vec::new();
    walk(expr, &mut out, &[]);
    out
}

fn walk(e: &Expression, out: &mut Vec<Ref>, bound: &[String]) {
    match e {
        Expression::Variable(v) if !bound.iter().any(|b| b == v.as_str()) => {
            out.push(vec![v.to_string()]);
        }
        Expression::Traversal(t) => {
            if let Expression::Variable(v) = &t.expr {
                if !bound.iter().any(|b| b == v.as_str()) {
                    let mut r = vec![v.to_string()];
                    for op in &t.operators {
                        match op {
                            TraversalOperator::GetAttr(id) => r.push(id.to_string()),
                            _ => break,
                        }
                    }
                    out.push(r);
                }
            } else {
                walk(&t.expr, out, bound);
            }
            for op in &t.operators {
                if let TraversalOperator::Index(i) = op {
                    walk(i, out, bound);
                }
            }
        }
        Expression::Array(items) => items.iter().for_each(|x| walk(x, out, bound)),
        Expression::Object(o) => {
            for (k, v) in o {
                if let hcl::ObjectKey::Expression(k) = k {
                    walk(k, out, bound);
                }
                walk(v, out, bound);
            }
        }
        Expression::TemplateExpr(t) => {
            if let Ok(tpl) = Template::from_expr(t) {
                template_refs(&tpl, out, bound);
            }
        }
        Expression::FuncCall(f) => f.args.iter().for_each(|x| walk(x, out, bound)),
        Expression::Parenthesis(p) => walk(p, out, bound),
        Expression::Conditional(c) => {
            walk(&c.cond_expr, out, bound);
            walk(&c.true_expr, out, bound);
            walk(&c.false_expr, out, bound);
        }
        Expression::Operation(op) => match op.as_ref() {
            hcl::Operation::Unary(u) => walk(&u.expr, out, bound),
            hcl::Operation::Binary(b) => {
                walk(&b.lhs_expr, out, bound);
                walk(&b.rhs_expr, out, bound);
            }
        },
        Expression::ForExpr(f) => {
            walk(&f.collection_expr, out, bound);
            let mut inner = bound.to_vec();
            inner.push(f.value_var.to_string());
            if let Some(k) = &f.key_var {
                inner.push(k.to_string());
            }
            if let Some(k) = &f.key_expr {
                walk(k, out, &inner);
            }
            walk(&f.value_expr, out, &inner);
            if let Some(c) = &f.cond_expr {
                walk(c, out, &inner);
            }
        }
        _ => {}
    }
}

fn template_refs(t: &Template, out: &mut Vec<Ref>, bound: &[String]) {
    use hcl::template::{Directive, Element};
    for el in t.elements() {
        match el {
            Element::Interpolation(i) => walk(&i.expr, out, bound),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(i) => {
                    walk(&i.cond_expr, out, bound);
                    template_refs(&i.true_template, out, bound);
                    if let Some(f) = &i.false_template {
                        template_refs(f, out, bound);
                    }
                }
                Directive::For(f) => {
                    walk(&f.collection_expr, out, bound);
                    let mut inner = bound.to_vec();
                    inner.push(f.value_var.to_string());
                    if let Some(k) = &f.key_var {
                        inner.push(k.to_string());
                    }
                    template_refs(&f.template, out, &inner);
                }
            },
            Element::Literal(_) => {}
        }
    }
}

/// For each `type.name` an expression indexes with a literal or an
/// `each.*`/`count.*` key, the keys it reads; `None` when it reads the whole
/// collection somewhere (a splat, a for-expression, a computed key).
fn element_keys(e: &Expression, scope: &Scope, out: &mut BTreeMap<(String, String), Option<Vec<String>>>) {
    let whole = |out: &mut BTreeMap<(String, String), Option<Vec<String>>>, k: (String, String)| {
        out.insert(k, None);
    };
    match e {
        Expression::Traversal(t) => {
            if let Expression::Variable(v) = &t.expr {
                let root = v.to_string();
                if !matches!(root.as_str(), "var" | "local" | "each" | "count")
                    && let Some(TraversalOperator::GetAttr(name)) = t.operators.first()
                {
                    let k = (root, name.to_string());
                    let key = match t.operators.get(1) {
                        Some(TraversalOperator::Index(Expression::String(s))) => Some(s.clone()),
                        Some(TraversalOperator::Index(ix @ Expression::Traversal(it))) if matches!(&it.expr, Expression::Variable(v) if v.as_str() == "each" || v.as_str() == "count") => {
                            eval(ix, scope).ok().and_then(|v| match v {
                                Value::String(s) => Some(s),
                                _ => None,
                            })
                        }
                        _ => None,
                    };
                    match (key, out.get_mut(&k)) {
                        (Some(key), Some(Some(keys))) => keys.push(key),
                        (Some(key), None) => {
                            out.insert(k, Some(vec![key]));
                        }
                        (Some(_), Some(None)) => {}
                        (None, _) => whole(out, k),
                    }
                }
            } else {
                element_keys(&t.expr, scope, out);
            }
            for op in &t.operators {
                if let TraversalOperator::Index(i) = op {
                    element_keys(i, scope, out);
                }
            }
        }
        Expression::Variable(v) => {
            // A bare root: every collection under it is read whole.
            let root = v.to_string();
            if let Some(named) = scope.resources.get(&root) {
                for n in named.keys() {
                    whole(out, (root.clone(), n.clone()));
                }
            }
        }
        Expression::Array(items) => items.iter().for_each(|x| element_keys(x, scope, out)),
        Expression::Object(o) => {
            for (k, v) in o {
                if let hcl::ObjectKey::Expression(k) = k {
                    element_keys(k, scope, out);
                }
                element_keys(v, scope, out);
            }
        }
        Expression::FuncCall(f) => f.args.iter().for_each(|x| element_keys(x, scope, out)),
        Expression::Parenthesis(p) => element_keys(p, scope, out),
        Expression::Conditional(c) => {
            element_keys(&c.cond_expr, scope, out);
            element_keys(&c.true_expr, scope, out);
            element_keys(&c.false_expr, scope, out);
        }
        Expression::Operation(op) => match op.as_ref() {
            hcl::Operation::Unary(u) => element_keys(&u.expr, scope, out),
            hcl::Operation::Binary(b) => {
                element_keys(&b.lhs_expr, scope, out);
                element_keys(&b.rhs_expr, scope, out);
            }
        },
        // Templates and for-expressions: read whole (no narrowing).
        Expression::TemplateExpr(_) | Expression::ForExpr(_) => {
            for r in refs(e) {
                if let (Some(t), Some(n)) = (r.first(), r.get(1)) {
                    whole(out, (t.clone(), n.clone()));
                }
            }
        }
        _ => {}
    }
}

/// Named values an expression can see: `var.*`, `local.*` and resources.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    pub vars: BTreeMap<String, Value>,
    pub locals: BTreeMap<String, Value>,
    /// type → name → value.
    pub resources: BTreeMap<String, BTreeMap<String, Value>>,
    /// Other root names (`request`, `logs`, `calls` in `aigw test`).
    pub extra: BTreeMap<String, Value>,
}

impl Scope {
    /// The value a reference names, or an error naming what is missing.
    pub fn resolve(&self, r: &Ref) -> Result<Value, String> {
        self.lookup(r).cloned()
    }

    /// Like [`Scope::resolve`], without copying: references into large
    /// collections are looked up once per evaluation.
    fn lookup(&self, r: &Ref) -> Result<&Value, String> {
        static UNKNOWN_VALUE: std::sync::LazyLock<Value> = std::sync::LazyLock::new(Value::unknown);
        let (root, rest) = match r.first().map(String::as_str) {
            Some(name) if self.extra.contains_key(name) => (self.extra.get(name), &r[1..]),
            Some("var") => (self.vars.get(r.get(1).map_or("", String::as_str)), &r[2.min(r.len())..]),
            Some("local") => (self.locals.get(r.get(1).map_or("", String::as_str)), &r[2.min(r.len())..]),
            Some(ty) => match (self.resources.get(ty), r.get(1)) {
                (Some(named), Some(n)) => (named.get(n), &r[2..]),
                _ => (None, &r[0..0]),
            },
            None => (None, &r[0..0]),
        };
        let mut v = root.ok_or_else(|| {
            format!("reference to undeclared {}", r.iter().take(2).cloned().collect::<Vec<_>>().join("."))
        })?;
        for a in rest {
            match v {
                Value::Unknown(_) => return Ok(&UNKNOWN_VALUE),
                Value::Object(m) | Value::Map(m) => {
                    v = m.get(a).ok_or_else(|| format!("{} has no attribute {a:?}", r.join(".")))?;
                }
                // Attribute access on a list (splat-like) is checked by hcl-rs itself.
                _ => return Ok(v),
            }
        }
        Ok(v)
    }

    /// The hcl-rs context for an expression that uses `used`: only the
    /// roots and resources it refers to are converted, so one evaluation
    /// costs what it reads, not the size of the configuration. With `mark`,
    /// unknowns become a marker value.
    fn context(
        &self,
        mark: bool,
        used: &[Ref],
        keys: &BTreeMap<(String, String), Option<Vec<String>>>,
    ) -> Context<'static> {
        // Every evaluation starts from the functions, declared once.
        let mut ctx = crate::functions::CONTEXT.clone();
        let mut roots = std::collections::BTreeSet::new();
        let mut names: BTreeMap<&str, std::collections::BTreeSet<&str>> = BTreeMap::new();
        for r in used {
            if let Some(root) = r.first() {
                roots.insert(root.as_str());
                if let Some(n) = r.get(1) {
                    names.entry(root.as_str()).or_default().insert(n.as_str());
                }
            }
        }
        let obj = |m: &BTreeMap<String, Value>| {
            hcl::Value::Object(m.iter().map(|(k, v)| (k.clone(), to_hcl_with(v, mark))).collect())
        };
        if roots.contains("var") {
            ctx.declare_var("var", obj(&self.vars));
        }
        if roots.contains("local") {
            ctx.declare_var("local", obj(&self.locals));
        }
        for (name, v) in self.extra.iter().filter(|(k, _)| roots.contains(k.as_str())) {
            ctx.declare_var(name.clone(), to_hcl_with(v, mark));
        }
        for (ty, wanted) in &names {
            if let Some(named) = self.resources.get(*ty) {
                let picked = wanted
                    .iter()
                    .filter_map(|n| {
                        let v = named.get(*n)?;
                        // A for_each collection read only at known keys: convert just those.
                        let narrowed = match (v, keys.get(&((*ty).to_string(), (*n).to_string()))) {
                            (Value::Object(m), Some(Some(ks))) => hcl::Value::Object(
                                ks.iter().filter_map(|k| m.get(k).map(|e| (k.clone(), to_hcl_with(e, mark)))).collect(),
                            ),
                            _ => to_hcl_with(v, mark),
                        };
                        Some(((*n).to_string(), narrowed))
                    })
                    .collect();
                ctx.declare_var((*ty).to_string(), hcl::Value::Object(picked));
            }
        }
        ctx
    }
}

/// Stands in for unknown values while evaluating: a result that still
/// holds it (or an evaluation that trips over it) is unknown.
pub(crate) const UNKNOWN: &str = "\u{0}aigw:unknown\u{0}";

fn holds_unknown(v: &hcl::Value) -> bool {
    match v {
        hcl::Value::String(s) => s.contains(UNKNOWN),
        hcl::Value::Array(a) => a.iter().any(holds_unknown),
        hcl::Value::Object(o) => o.values().any(holds_unknown),
        _ => false,
    }
}

/// Evaluates `expr`. When something it refers to is unknown, the result is
/// unknown only if it depends on that part: `gw[each.key].id` stays known
/// while another instance of `gw` is still being created.
pub fn eval(expr: &Expression, scope: &Scope) -> Result<Value, String> {
    let mut folded_unknown = false;
    let folded;
    let expr = if has_try(expr) {
        folded = crate::functions::fold_try(expr, scope, &mut folded_unknown);
        &folded
    } else {
        expr
    };
    let used = refs(expr);
    let mut keys = BTreeMap::new();
    element_keys(expr, scope, &mut keys);
    let mut unknowns = folded_unknown;
    for r in &used {
        let v = scope.lookup(r)?;
        // A collection read only at known keys is as known as those elements.
        let narrowed = match (r.as_slice(), v) {
            ([t, n], Value::Object(m)) => keys
                .get(&(t.clone(), n.clone()))
                .and_then(|k| k.as_ref())
                .map(|ks| ks.iter().all(|k| m.get(k).is_none_or(Value::is_wholly_known))),
            _ => None,
        };
        unknowns |= !narrowed.unwrap_or_else(|| v.is_wholly_known());
    }
    if !unknowns {
        let v = expr.evaluate(&scope.context(false, &used, &keys)).map_err(|e| e.to_string())?;
        return Ok(from_hcl(&v));
    }
    let ctx = scope.context(true, &used, &keys);
    if consumes_unknown(expr, &ctx) {
        return Ok(Value::unknown());
    }
    match expr.evaluate(&ctx) {
        Ok(v) if !holds_unknown(&v) => Ok(from_hcl(&v)),
        _ => Ok(Value::unknown()),
    }
}

/// Functions that carry an unknown argument through to their result (or
/// whose result does not depend on unknown elements' values).
const PASSES_UNKNOWN: &[&str] =
    &["length", "keys", "values", "merge", "concat", "element", "tolist", "toset", "tomap", "tostring", "jsonencode"];

/// Whether `e` would decide something on an unknown value (a condition, an
/// operator, an index, most functions): then its result is unknown, even
/// though the stand-in marker would let it evaluate to something.
fn consumes_unknown(e: &Expression, ctx: &Context<'_>) -> bool {
    let marked = |x: &Expression| x.evaluate(ctx).map(|v| holds_unknown(&v)).unwrap_or(false);
    let inner = |x: &Expression| consumes_unknown(x, ctx);
    match e {
        Expression::Conditional(c) => {
            marked(&c.cond_expr) || inner(&c.cond_expr) || inner(&c.true_expr) || inner(&c.false_expr)
        }
        Expression::Operation(op) => match op.as_ref() {
            hcl::Operation::Unary(u) => marked(&u.expr) || inner(&u.expr),
            hcl::Operation::Binary(b) => {
                marked(&b.lhs_expr) || marked(&b.rhs_expr) || inner(&b.lhs_expr) || inner(&b.rhs_expr)
            }
        },
        Expression::FuncCall(f) => {
            let passes = PASSES_UNKNOWN.contains(&f.name.to_string().as_str());
            f.args.iter().any(|a| inner(a) || (!passes && marked(a)))
        }
        Expression::Traversal(t) => {
            inner(&t.expr)
                || t.operators.iter().any(|op| matches!(op, TraversalOperator::Index(i) if marked(i) || inner(i)))
        }
        Expression::Array(items) => items.iter().any(inner),
        Expression::Object(o) => {
            o.iter().any(|(k, v)| matches!(k, hcl::ObjectKey::Expression(k) if marked(k) || inner(k)) || inner(v))
        }
        Expression::Parenthesis(p) => inner(p),
        Expression::ForExpr(f) => {
            inner(&f.collection_expr) || (marked(&f.collection_expr) && (f.cond_expr.is_some() || f.key_expr.is_some()))
        }
        Expression::TemplateExpr(t) => Template::from_expr(t).is_ok_and(|tpl| {
            use hcl::template::{Directive, Element};
            tpl.elements().iter().any(|el| match el {
                Element::Interpolation(i) => inner(&i.expr),
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(i) => marked(&i.cond_expr) || inner(&i.cond_expr),
                    Directive::For(f) => marked(&f.collection_expr) || inner(&f.collection_expr),
                },
                Element::Literal(_) => false,
            })
        }),
        _ => false,
    }
}

/// Whether `e` calls `try` or `can` anywhere.
fn has_try(e: &Expression) -> bool {
    match e {
        Expression::FuncCall(f) => matches!(f.name.to_string().as_str(), "try" | "can") || f.args.iter().any(has_try),
        Expression::Array(items) => items.iter().any(has_try),
        Expression::Object(o) => o.values().any(has_try),
        Expression::Parenthesis(p) => has_try(p),
        Expression::Conditional(c) => has_try(&c.cond_expr) || has_try(&c.true_expr) || has_try(&c.false_expr),
        _ => false,
    }
}

pub fn to_hcl(v: &Value) -> hcl::Value {
    to_hcl_with(v, false)
}

fn to_hcl_with(v: &Value, mark: bool) -> hcl::Value {
    let to_hcl = |v: &Value| to_hcl_with(v, mark);
    match v {
        Value::Unknown(_) if mark => hcl::Value::String(UNKNOWN.into()),
        Value::Null | Value::Unknown(_) => hcl::Value::Null,
        Value::Bool(b) => hcl::Value::Bool(*b),
        Value::Number(Number::Int(i)) => hcl::Value::from(*i),
        Value::Number(n) => hcl::Number::from_f64(n.as_f64()).map_or(hcl::Value::Null, hcl::Value::Number),
        Value::String(s) => hcl::Value::String(s.clone()),
        Value::List(x) | Value::Set(x) | Value::Tuple(x) => hcl::Value::Array(x.iter().map(to_hcl).collect()),
        Value::Map(m) | Value::Object(m) => hcl::Value::Object(m.iter().map(|(k, v)| (k.clone(), to_hcl(v))).collect()),
    }
}

pub fn from_hcl(v: &hcl::Value) -> Value {
    match v {
        hcl::Value::Null => Value::Null,
        hcl::Value::Bool(b) => Value::Bool(*b),
        hcl::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::int(i),
            None => Value::Number(Number::from_f64(n.as_f64().unwrap_or(f64::NAN))),
        },
        hcl::Value::String(s) => Value::String(s.clone()),
        hcl::Value::Array(a) => Value::Tuple(a.iter().map(from_hcl).collect()),
        hcl::Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), from_hcl(v))).collect()),
    }
}

/// Converts a value to a schema type, as Terraform does.
pub fn convert(v: Value, ty: &Type) -> Result<Value, String> {
    Ok(match (v, ty) {
        (v @ (Value::Null | Value::Unknown(_)), _) => v,
        (v, Type::Dynamic) => v,
        (Value::String(s), Type::String) => Value::String(s),
        (Value::Number(n), Type::String) => Value::String(n.to_string()),
        (Value::Bool(b), Type::String) => Value::String(b.to_string()),
        (Value::Number(n), Type::Number) => Value::Number(n),
        (Value::String(s), Type::Number) => match s.parse::<i64>() {
            Ok(i) => Value::int(i),
            Err(_) => s
                .parse::<f64>()
                .map(|f| Value::Number(Number::from_f64(f)))
                .map_err(|_| format!("{s:?} is not a number"))?,
        },
        (Value::Bool(b), Type::Bool) => Value::Bool(b),
        (Value::String(s), Type::Bool) if s == "true" || s == "false" => Value::Bool(s == "true"),
        (Value::Tuple(x) | Value::List(x) | Value::Set(x), Type::List(t)) => {
            Value::List(x.into_iter().map(|e| convert(e, t)).collect::<Result<_, _>>()?)
        }
        (Value::Tuple(x) | Value::List(x) | Value::Set(x), Type::Set(t)) => {
            Value::Set(x.into_iter().map(|e| convert(e, t)).collect::<Result<_, _>>()?)
        }
        (Value::Object(m) | Value::Map(m), Type::Map(t)) => {
            Value::Map(m.into_iter().map(|(k, e)| Ok((k, convert(e, t)?))).collect::<Result<_, String>>()?)
        }
        (Value::Object(mut m), Type::Object { attrs, .. }) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(format!("unsupported attribute {extra:?}"));
            }
            let mut out = BTreeMap::new();
            for (k, t) in attrs {
                let e = m.remove(k).unwrap_or(Value::Null);
                out.insert(k.clone(), convert(e, t).map_err(|e| format!("{k}: {e}"))?);
            }
            Value::Object(out)
        }
        (v, t) => return Err(format!("{} is not a valid {}", describe(&v), t.to_json())),
    })
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::List(_) | Value::Tuple(_) | Value::Set(_) => "a list",
        Value::Map(_) | Value::Object(_) => "an object",
        Value::Null | Value::Unknown(_) => "a null value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(s: &str) -> Expression {
        hcl::parse(&format!("x = {s}")).unwrap().attributes().next().unwrap().expr().clone()
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
    fn references_are_found_everywhere() {
        let r = refs(&expr(r#"{ a = "${lower(var.name)}-${aigw_gateway.main.id}", b = [for x in local.xs : x.y] }"#));
        assert_eq!(
            r,
            vec![
                vec!["var".to_string(), "name".into()],
                vec!["aigw_gateway".into(), "main".into(), "id".into()],
                vec!["local".into(), "xs".into()]
            ]
        );
    }

    #[test]
    fn unknowns_flow_and_knowns_evaluate() {
        let s = scope();
        assert_eq!(eval(&expr(r#""${lower(var.name)}-${aigw_gateway.main.id}""#), &s).unwrap(), Value::from("bot-gw"));
        assert!(eval(&expr("aigw_gateway.main.created_at"), &s).unwrap().is_unknown());
        assert!(eval(&expr("\"at ${aigw_gateway.main.created_at}\""), &s).unwrap().is_unknown());
        // Only the part an expression uses decides whether it is known.
        let mut s2 = s.clone();
        s2.resources.entry("gw".into()).or_default().insert(
            "team".into(),
            Value::object([
                ("a", Value::object([("id", Value::from("ga"))])),
                ("b", Value::object([("id", Value::unknown())])),
            ]),
        );
        assert_eq!(eval(&expr("gw.team[\"a\"].id"), &s2).unwrap(), Value::from("ga"));
        assert!(eval(&expr("gw.team[\"b\"].id"), &s2).unwrap().is_unknown());
        s2.extra.insert("each".into(), Value::object([("key", Value::from("a"))]));
        assert_eq!(eval(&expr("\"${gw.team[each.key].id}-x\""), &s2).unwrap(), Value::from("ga-x"));
        assert_eq!(eval(&expr("gw.team[each.key].id"), &s2).unwrap(), Value::from("ga"));
        assert!(eval(&expr("[for k, g in gw.team : g.id]"), &s2).unwrap().is_unknown());
        assert!(eval(&expr("var.nope"), &s).unwrap_err().contains("undeclared var.nope"));
        assert!(eval(&expr("aigw_gateway.main.nope"), &s).unwrap_err().contains("no attribute"));
        assert_eq!(eval(&expr("length([1, 2, 3]) + 1"), &s).unwrap(), Value::int(4));
    }

    #[test]
    fn decisions_on_unknown_values_are_unknown() {
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
            assert!(eval(&expr(src), &s).unwrap().is_unknown(), "{src} should be unknown");
        }
        assert_eq!(eval(&expr("length(var.m)"), &s).unwrap(), Value::int(2));
        let l = Scope {
            vars: [(
                "gws".to_string(),
                Value::Tuple(vec![
                    Value::object([("id", Value::from("a"))]),
                    Value::object([("id", Value::from("b"))]),
                ]),
            )]
            .into_iter()
            .collect(),
            ..Scope::default()
        };
        assert_eq!(eval(&expr("var.gws[*].id"), &l).unwrap(), Value::Tuple(vec![Value::from("a"), Value::from("b")]));
        assert_eq!(eval(&expr("var.m.b"), &s).unwrap(), Value::from("x"));
        assert_eq!(eval(&expr("keys(var.m)"), &s).unwrap(), Value::Tuple(vec![Value::from("a"), Value::from("b")]));
    }

    #[test]
    fn conversion_follows_the_schema() {
        let ty = Type::object([("n", Type::Number), ("s", Type::String), ("l", Type::list(Type::String))]);
        let v =
            Value::object([("n", Value::from("5")), ("s", Value::int(3)), ("l", Value::Tuple(vec![Value::from("a")]))]);
        let c = convert(v, &ty).unwrap();
        assert_eq!(c.attr("n"), &Value::int(5));
        assert_eq!(c.attr("s"), &Value::from("3"));
        assert!(convert(Value::object([("zzz", Value::Null)]), &ty).unwrap_err().contains("zzz"));
        assert!(convert(Value::from("x"), &Type::Number).is_err());
    }
}
