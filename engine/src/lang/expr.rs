//! The one expression walker: every HCL expression form evaluated to a
//! [`Val`], with HCL's rules for references, indexes, splats, templates,
//! conditionals, operators and `for` expressions. An unknown operand makes
//! a result unknown only where the result depends on it; references are
//! followed without copying what they do not return.
use std::collections::BTreeMap;

use hcl::expr::{Conditional, ForExpr, FuncCall, Operation, TemplateExpr};
use hcl::template::{Directive, Element, Strip};
use hcl::{Expression, ObjectKey, Template, TraversalOperator};
use tfplugin::{Type, Value};

use super::number::Num;
use super::types::{self, convert, element_type, member_type, unify};
use super::{Scope, Val};

/// An evaluation: the scope, plus the variables `for` expressions bind.
pub struct Eval<'a> {
    scope: &'a Scope,
    bound: Vec<(String, Val)>,
}

impl<'a> Eval<'a> {
    pub fn new(scope: &'a Scope) -> Eval<'a> {
        Eval { scope, bound: Vec::new() }
    }

    pub fn expr(&mut self, e: &Expression) -> Result<Val, String> {
        match e {
            Expression::Null => Ok(Val::null(Type::Dynamic)),
            Expression::Bool(b) => Ok(Val::bool(*b)),
            Expression::Number(n) => literal(n),
            Expression::String(s) => Ok(Val::string(s.clone())),
            Expression::Array(items) => {
                let vals = items.iter().map(|x| self.expr(x)).collect::<Result<Vec<_>, _>>()?;
                Ok(tuple(vals))
            }
            Expression::Object(o) => self.object(o),
            Expression::TemplateExpr(t) => self.template_expr(t),
            Expression::Variable(v) => self.traversal(v.as_str(), &[]),
            Expression::Traversal(t) => match &t.expr {
                Expression::Variable(v) => self.traversal(v.as_str(), &t.operators),
                other => {
                    let base = self.expr(other)?;
                    self.operators(base, &t.operators)
                }
            },
            Expression::FuncCall(f) => self.call(f),
            Expression::Parenthesis(p) => self.expr(p),
            Expression::Conditional(c) => self.conditional(c),
            Expression::Operation(op) => self.operation(op),
            Expression::ForExpr(f) => self.for_expr(f),
            other => Err(format!("unsupported expression {other}")),
        }
    }

    fn object(&mut self, o: &hcl::Object<ObjectKey, Expression>) -> Result<Val, String> {
        let mut vals = BTreeMap::new();
        let mut sensitive = false;
        let mut unknown_key = false;
        for (k, x) in o {
            let key = match k {
                ObjectKey::Identifier(id) => id.to_string(),
                ObjectKey::Expression(e) => {
                    let k = self.expr(e)?;
                    sensitive |= k.sensitive;
                    if k.is_unknown() {
                        unknown_key = true;
                        continue;
                    }
                    if k.is_null() {
                        return Err("Null value as key: can't use a null value as a key".into());
                    }
                    match convert(k, &Type::String) {
                        Ok(Val { v: Value::String(s), .. }) => s,
                        _ => return Err("Incorrect key type: can't use this value as a key: string required".into()),
                    }
                }
                _ => return Err("unsupported object key".into()),
            };
            vals.insert(key, self.expr(x)?);
        }
        if unknown_key {
            return Ok(Val::unknown(Type::Dynamic).mark(sensitive));
        }
        Ok(object(vals).mark(sensitive))
    }

    /// A reference: a bound variable or a scope root, followed without
    /// copying as far as its keys are known.
    fn traversal(&mut self, root: &str, ops: &[TraversalOperator]) -> Result<Val, String> {
        if let Some(i) = self.bound.iter().rposition(|(n, _)| n == root) {
            let base = self.bound[i].1.clone();
            return self.operators(base, ops);
        }
        let (name, rest) = match (self.scope.namespaced(root), ops.first()) {
            (true, Some(TraversalOperator::GetAttr(n))) => (Some(n.as_str()), &ops[1..]),
            (true, _) if root_needs_name(root) || self.scope.resources.contains_key(root) => {
                return Err(format!(
                    "invalid reference: a reference to {root} must be followed by an attribute name (such as {root}.NAME)"
                ));
            }
            (true, _) => return Err(format!("unknown variable: there is no variable named {root:?}")),
            (false, _) => (None, ops),
        };
        let (mut cur, sensitive) = self.scope.root(root, name)?;
        let mut ty = self.scope.declared(root, name).cloned();
        let mut done = 0;
        for op in rest {
            let (next, key) = match (op, cur) {
                (TraversalOperator::GetAttr(a), Value::Object(m) | Value::Map(m)) => (m.get(a.as_str()), None),
                (TraversalOperator::Index(ix), _) => {
                    let k = self.expr(ix)?;
                    (element_ref(cur, &k), Some(k))
                }
                (TraversalOperator::LegacyIndex(i), Value::List(x) | Value::Tuple(x)) => (x.get(*i as usize), None),
                _ => (None, None),
            };
            let Some(n) = next else { break };
            ty = ty.map(|t| match (op, &key) {
                (TraversalOperator::GetAttr(a), _) => member_type(&t, a.as_str()),
                (_, Some(Val { v: Value::String(s), .. })) => member_type(&t, s),
                (_, Some(Val { v: Value::Number(n), .. })) => element_type(&t, n.as_i64().unwrap_or(0) as usize),
                (TraversalOperator::LegacyIndex(i), _) => element_type(&t, *i as usize),
                _ => Type::Dynamic,
            });
            cur = n;
            done += 1;
        }
        let base = match ty.filter(|t| !has_dynamic(t)) {
            Some(t) => Val::of(cur.clone(), t),
            None => Val::infer(cur.clone()),
        }
        .mark(sensitive);
        self.operators(base, &rest[done..])
    }

    /// Applies traversal operators to a value.
    fn operators(&mut self, mut cur: Val, ops: &[TraversalOperator]) -> Result<Val, String> {
        let mut i = 0;
        while i < ops.len() {
            match &ops[i] {
                TraversalOperator::GetAttr(a) => cur = get_attr(cur, a.as_str())?,
                TraversalOperator::Index(e) => {
                    let k = self.expr(e)?;
                    cur = index(cur, k)?;
                }
                TraversalOperator::LegacyIndex(n) => cur = index(cur, Val::int(*n as i64))?,
                TraversalOperator::AttrSplat => {
                    let attrs: Vec<&str> = ops[i + 1..]
                        .iter()
                        .map_while(|op| match op {
                            TraversalOperator::GetAttr(a) => Some(a.as_str()),
                            _ => None,
                        })
                        .collect();
                    i += attrs.len();
                    cur = splat(cur, &mut |v| attrs.iter().try_fold(v, |v, a| get_attr(v, a)))?;
                }
                TraversalOperator::FullSplat => {
                    let rest = &ops[i + 1..];
                    return splat(cur, &mut |v| self.operators(v, rest));
                }
            }
            i += 1;
        }
        Ok(cur)
    }

    fn template_expr(&mut self, t: &TemplateExpr) -> Result<Val, String> {
        let tpl = Template::from_expr(t).map_err(|e| e.to_string())?;
        self.template_value(&tpl)
    }

    /// A template's value: a lone interpolation is its expression's value.
    pub fn template_value(&mut self, tpl: &Template) -> Result<Val, String> {
        if let [Element::Interpolation(i)] = tpl.elements() {
            return self.expr(&i.expr);
        }
        let mut out = Rendered::default();
        self.template(tpl, &mut out, Strip::None, Strip::None)?;
        Ok(if out.unknown { Val::unknown(Type::String) } else { Val::string(out.text) }.mark(out.sensitive))
    }

    fn template(&mut self, t: &Template, out: &mut Rendered, before: Strip, after: Strip) -> Result<(), String> {
        let elems = t.elements();
        for (i, el) in elems.iter().enumerate() {
            let prev = if i == 0 { before } else { strip_of(&elems[i - 1]) };
            let next = elems.get(i + 1).map_or(after, strip_of);
            match el {
                Element::Literal(l) => out.text.push_str(strip_literal(l, prev, next)),
                Element::Interpolation(x) => {
                    let v = self.expr(&x.expr)?;
                    out.push(v)?;
                }
                Element::Directive(d) => self.directive(d, out)?,
            }
        }
        Ok(())
    }

    fn directive(&mut self, d: &Directive, out: &mut Rendered) -> Result<(), String> {
        match d {
            Directive::If(i) => {
                let c = self.expr(&i.cond_expr)?;
                out.sensitive |= c.sensitive;
                match condition(c)? {
                    None => out.unknown = true,
                    Some(true) => {
                        let end = if i.false_template.is_some() { i.else_strip } else { i.endif_strip };
                        self.template(&i.true_template, out, i.if_strip, end)?;
                    }
                    Some(false) => {
                        if let Some(f) = &i.false_template {
                            self.template(f, out, i.else_strip, i.endif_strip)?;
                        }
                    }
                }
                Ok(())
            }
            Directive::For(f) => {
                let coll = self.expr(&f.collection_expr)?;
                out.sensitive |= coll.sensitive;
                let Some(items) = iterate(coll)? else {
                    out.unknown = true;
                    return Ok(());
                };
                let mark = self.bound.len();
                for (k, v) in items {
                    if let Some(kv) = &f.key_var {
                        self.bound.push((kv.to_string(), k));
                    }
                    self.bound.push((f.value_var.to_string(), v));
                    let r = self.template(&f.template, out, f.for_strip, f.endfor_strip);
                    self.bound.truncate(mark);
                    r?;
                }
                Ok(())
            }
        }
    }

    fn conditional(&mut self, c: &Conditional) -> Result<Val, String> {
        let cond = self.expr(&c.cond_expr)?;
        let sensitive = cond.sensitive;
        let chosen = condition(cond)?;
        let t = self.expr(&c.true_expr);
        let f = self.expr(&c.false_expr);
        let (t, f) = match (chosen, t, f) {
            (Some(true), Err(e), _) | (Some(false), _, Err(e)) | (None, Err(e), _) | (None, _, Err(e)) => {
                return Err(e);
            }
            (Some(true), Ok(t), Err(_)) => return Ok(t.mark(sensitive)),
            (Some(false), Err(_), Ok(f)) => return Ok(f.mark(sensitive)),
            (_, Ok(t), Ok(f)) => (t, f),
        };
        let ty = unify(&[t.ty.clone(), f.ty.clone()]).ok_or_else(|| {
            format!(
                "Inconsistent conditional result types: the true and false result expressions must have consistent types ({} and {})",
                types::name(&t.ty),
                types::name(&f.ty)
            )
        })?;
        match chosen {
            None => Ok(Val::unknown(ty).mark(sensitive || t.sensitive || f.sensitive)),
            Some(true) => Ok(convert(t, &ty)?.mark(sensitive)),
            Some(false) => Ok(convert(f, &ty)?.mark(sensitive)),
        }
    }

    fn operation(&mut self, op: &Operation) -> Result<Val, String> {
        match op {
            Operation::Unary(u) => {
                let v = self.expr(&u.expr)?;
                super::ops::unary(u.operator, v)
            }
            Operation::Binary(b) => {
                let l = self.expr(&b.lhs_expr)?;
                let r = self.expr(&b.rhs_expr)?;
                super::ops::binary(b.operator, l, r)
            }
        }
    }

    fn for_expr(&mut self, f: &ForExpr) -> Result<Val, String> {
        let coll = self.expr(&f.collection_expr)?;
        let sensitive = coll.sensitive;
        let Some(items) = iterate(coll)? else {
            return Ok(Val::unknown(Type::Dynamic).mark(sensitive));
        };
        let mark = self.bound.len();
        let mut out = ForResult::default();
        for (k, v) in items {
            if let Some(kv) = &f.key_var {
                self.bound.push((kv.to_string(), k));
            }
            self.bound.push((f.value_var.to_string(), v));
            let r = self.for_item(f, &mut out);
            self.bound.truncate(mark);
            r?;
        }
        out.finish(f).map(|v| v.mark(sensitive))
    }

    fn for_item(&mut self, f: &ForExpr, out: &mut ForResult) -> Result<(), String> {
        if let Some(c) = &f.cond_expr {
            let c = self.expr(c)?;
            out.sensitive |= c.sensitive;
            match condition(c).map_err(|e| format!("Invalid 'for' condition: {e}"))? {
                None => out.unknown = true,
                Some(false) => return Ok(()),
                Some(true) => {}
            }
        }
        let key = match &f.key_expr {
            Some(k) => {
                let k = self.expr(k)?;
                out.sensitive |= k.sensitive;
                if k.is_unknown() {
                    out.unknown = true;
                    None
                } else if k.is_null() {
                    return Err(
                        "Invalid object key: key expression in 'for' expression must not produce a null value".into()
                    );
                } else {
                    match convert(k, &Type::String) {
                        Ok(Val { v: Value::String(s), .. }) => Some(s),
                        _ => {
                            return Err(
                                "Invalid object key: the key expression produced an invalid result: string required"
                                    .into(),
                            );
                        }
                    }
                }
            }
            None => None,
        };
        let v = self.expr(&f.value_expr)?;
        out.push(key, v, f.grouping)
    }

    fn call(&mut self, f: &FuncCall) -> Result<Val, String> {
        let name = f.name.to_string();
        match name.as_str() {
            "try" => return self.try_(f),
            "timestamp" | "uuid" | "bcrypt" if self.scope.planning => {
                let args = f.args.iter().map(|a| self.expr(a)).collect::<Result<Vec<_>, _>>()?;
                return super::funcs::call_deferred(&name, args);
            }
            "can" => {
                let [arg] = f.args.as_slice() else {
                    return Err("Invalid function argument: can takes exactly one argument".into());
                };
                return Ok(match self.expr(arg) {
                    Ok(v) if !v.is_wholly_known() => Val::unknown(Type::Bool),
                    Ok(_) => Val::bool(true),
                    Err(_) => Val::bool(false),
                });
            }
            _ => {}
        }
        let mut args = f.args.iter().map(|a| self.expr(a)).collect::<Result<Vec<_>, _>>()?;
        if f.expand_final {
            let last = args.pop().ok_or("Invalid expanding argument value: no argument to expand")?;
            if last.is_unknown() {
                return Ok(Val::unknown(Type::Dynamic).mark(last.sensitive));
            }
            match last.v {
                Value::List(x) | Value::Set(x) | Value::Tuple(x) => {
                    for (i, x) in x.into_iter().enumerate() {
                        args.push(Val::of(x, element_type(&last.ty, i)).mark(last.sensitive));
                    }
                }
                Value::Null => return Err("Invalid expanding argument value: the expanding argument (indicated by ...) must not be null".into()),
                _ => return Err("Invalid expanding argument value: the expanding argument (indicated by ...) must be of a tuple, list, or set type".into()),
            }
        }
        super::funcs::call(&name, args)
    }

    fn try_(&mut self, f: &FuncCall) -> Result<Val, String> {
        if f.args.is_empty() {
            return Err("Invalid function argument: at least one argument is required".into());
        }
        let mut last = String::new();
        for a in &f.args {
            match self.expr(a) {
                Ok(v) if !v.is_wholly_known() => return Ok(Val::unknown(Type::Dynamic).mark(v.sensitive)),
                Ok(v) => return Ok(v),
                Err(e) => last = e,
            }
        }
        Err(format!("Error in function call: Call to function \"try\" failed: no expression succeeded:\n{last}"))
    }
}

/// Whether a type leaves any part to its value (`any`).
fn has_dynamic(t: &Type) -> bool {
    match t {
        Type::Dynamic => true,
        Type::List(e) | Type::Set(e) | Type::Map(e) => has_dynamic(e),
        Type::Tuple(ts) => ts.iter().any(has_dynamic),
        Type::Object { attrs, .. } => attrs.values().any(has_dynamic),
        _ => false,
    }
}

fn root_needs_name(root: &str) -> bool {
    matches!(root, "var" | "local" | "data" | "module")
}

/// A number literal at full precision.
fn literal(n: &hcl::Number) -> Result<Val, String> {
    let text = if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        let f = n.as_f64().unwrap_or(f64::NAN);
        if !f.is_finite() {
            return Err(format!("invalid number literal {n}"));
        }
        f.to_string()
    };
    Num::parse(&text).map(Val::num).ok_or_else(|| format!("invalid number literal {text}"))
}

/// A tuple of values (`[a, b]`).
pub fn tuple(vals: Vec<Val>) -> Val {
    let sensitive = vals.iter().any(|v| v.sensitive);
    let (vs, ts): (Vec<Value>, Vec<Type>) = vals.into_iter().map(|v| (v.v, v.ty)).unzip();
    Val::of(Value::Tuple(vs), Type::Tuple(ts)).mark(sensitive)
}

/// An object of values (`{ a = b }`).
pub fn object(vals: BTreeMap<String, Val>) -> Val {
    let sensitive = vals.values().any(|v| v.sensitive);
    let mut vs = BTreeMap::new();
    let mut ts = BTreeMap::new();
    for (k, v) in vals {
        ts.insert(k.clone(), v.ty);
        vs.insert(k, v.v);
    }
    Val::of(Value::Object(vs), Type::object(ts)).mark(sensitive)
}

/// The element a known key selects, without copying.
fn element_ref<'v>(v: &'v Value, k: &Val) -> Option<&'v Value> {
    match (v, &k.v) {
        (Value::List(x) | Value::Tuple(x), Value::Number(n)) => x.get(usize::try_from(n.as_i64()?).ok()?),
        (Value::Map(m) | Value::Object(m), Value::String(s)) => m.get(s),
        _ => None,
    }
}

/// `v.name`.
pub fn get_attr(v: Val, name: &str) -> Result<Val, String> {
    let s = v.sensitive;
    match v.v {
        Value::Unknown(_) => Ok(Val::unknown(member_type(&v.ty, name)).mark(s)),
        Value::Null => Err(format!(
            "Attempt to get attribute from null value: this value is null, so it does not have an attribute named {name:?}"
        )),
        Value::Object(mut m) => match m.remove(name) {
            Some(x) => Ok(Val::of(x, member_type(&v.ty, name)).mark(s)),
            None => Err(format!("Unsupported attribute: this object does not have an attribute named {name:?}")),
        },
        Value::Map(mut m) => match m.remove(name) {
            Some(x) => Ok(Val::of(x, member_type(&v.ty, name)).mark(s)),
            None => Err(format!("Missing map element: this map does not have an element with the key {name:?}")),
        },
        Value::List(_) | Value::Set(_) | Value::Tuple(_) => Err(format!(
            "Unsupported attribute: can't access attributes on a {}; did you mean to access attribute {name:?} for a specific element, or across all elements with [*]?",
            kind(&v.ty)
        )),
        _ => Err(format!(
            "Unsupported attribute: can't access attributes on a primitive-typed value ({})",
            types::name(&v.ty)
        )),
    }
}

fn kind(t: &Type) -> &'static str {
    match t {
        Type::List(_) => "list of objects",
        Type::Set(_) => "set of objects",
        _ => "tuple",
    }
}

/// `v[k]`.
pub fn index(v: Val, k: Val) -> Result<Val, String> {
    let s = v.sensitive || k.sensitive;
    if k.is_null() {
        return Err("Invalid index: can't use a null value as an indexing key".into());
    }
    if v.is_null() {
        return Err("Attempt to index null value: this value is null, so it does not have any indices".into());
    }
    match (&v.v, &v.ty) {
        (_, Type::Set(_)) | (Value::Set(_), _) => {
            return Err("Invalid index: elements of a set are identified only by their value and don't have any separate index or key to select with, so it's only possible to perform operations across all elements of the set".into());
        }
        (Value::String(_) | Value::Number(_) | Value::Bool(_), _) => {
            return Err("Invalid index: this value does not have any indices".into());
        }
        _ => {}
    }
    if k.is_unknown() || v.is_unknown() {
        let ty = match &v.ty {
            Type::List(e) | Type::Map(e) => (**e).clone(),
            _ => Type::Dynamic,
        };
        return Ok(Val::unknown(ty).mark(s));
    }
    let missing = "Invalid index: the given key does not identify an element in this collection value";
    match v.v {
        Value::List(mut x) | Value::Tuple(mut x) => {
            let n = convert(k, &Type::Number).map_err(|_| "Invalid index: a number is required".to_string())?;
            let i = match &n.v {
                Value::Number(n) => Num::from_number(n).and_then(|n| n.is_integer().then(|| n.to_i64()).flatten()),
                _ => None,
            };
            match i.and_then(|i| usize::try_from(i).ok()).filter(|i| *i < x.len()) {
                Some(i) => Ok(Val::of(x.swap_remove(i), element_type(&v.ty, i)).mark(s)),
                None if i.is_none() => Err("Invalid index: the given key does not identify an element in this collection value: a whole number is required".into()),
                None => Err(format!("{missing}: the given index is greater than or equal to the length of the collection")),
            }
        }
        Value::Map(mut m) | Value::Object(mut m) => {
            let key = match convert(k, &Type::String) {
                Ok(Val { v: Value::String(s), .. }) => s,
                _ => return Err("Invalid index: a string key is required".into()),
            };
            match m.remove(&key) {
                Some(x) => Ok(Val::of(x, member_type(&v.ty, &key)).mark(s)),
                None => Err(format!("{missing}: the given key {key:?} does not identify an element")),
            }
        }
        _ => Err(missing.into()),
    }
}

/// `v[*]...`: the rest applied to each element; a lone value is a
/// one-element tuple and null an empty one.
fn splat(v: Val, f: &mut dyn FnMut(Val) -> Result<Val, String>) -> Result<Val, String> {
    let s = v.sensitive;
    match v.v {
        Value::Unknown(_) => Ok(Val::unknown(Type::Dynamic).mark(s)),
        Value::Null => Ok(tuple(vec![])),
        Value::List(x) | Value::Set(x) => {
            let e = element_type(&v.ty, 0);
            let vals = x.into_iter().map(|x| f(Val::of(x, e.clone()).mark(s))).collect::<Result<Vec<_>, _>>()?;
            let ty = unify(&vals.iter().map(|v| v.ty.clone()).collect::<Vec<_>>()).unwrap_or(Type::Dynamic);
            let ty = if vals.is_empty() { f(Val::unknown(e)).map(|v| v.ty).unwrap_or(Type::Dynamic) } else { ty };
            let sensitive = s || vals.iter().any(|v| v.sensitive);
            Ok(Val::of(Value::List(vals.into_iter().map(|v| v.v).collect()), Type::list(ty)).mark(sensitive))
        }
        Value::Tuple(x) => {
            let vals = x
                .into_iter()
                .enumerate()
                .map(|(i, x)| f(Val::of(x, element_type(&v.ty, i)).mark(s)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(tuple(vals))
        }
        other => Ok(tuple(vec![f(Val::of(other, v.ty).mark(s))?])),
    }
}

/// A condition's value: `None` when unknown.
fn condition(c: Val) -> Result<Option<bool>, String> {
    if c.is_null() {
        return Err("Null condition: the condition value is null; conditions must either be true or false".into());
    }
    if c.is_unknown() {
        return Ok(None);
    }
    match convert(c, &Type::Bool) {
        Ok(Val { v: Value::Bool(b), .. }) => Ok(Some(b)),
        _ => Err("Incorrect condition type: the condition expression must be of type bool".into()),
    }
}

/// The (key, value) pairs a `for` iterates; `None` when unknown.
fn iterate(coll: Val) -> Result<Option<Vec<(Val, Val)>>, String> {
    let s = coll.sensitive;
    Ok(Some(match coll.v {
        Value::Null => {
            return Err(
                "Iteration over null value: a null value cannot be used as the collection in a 'for' expression".into(),
            );
        }
        Value::Unknown(_) => return Ok(None),
        Value::List(x) | Value::Tuple(x) => x
            .into_iter()
            .enumerate()
            .map(|(i, x)| (Val::int(i as i64), Val::of(x, element_type(&coll.ty, i)).mark(s)))
            .collect(),
        Value::Set(x) => {
            let e = element_type(&coll.ty, 0);
            x.into_iter().map(|x| (Val::of(x.clone(), e.clone()).mark(s), Val::of(x, e.clone()).mark(s))).collect()
        }
        Value::Map(m) | Value::Object(m) => m
            .into_iter()
            .map(|(k, x)| {
                let t = member_type(&coll.ty, &k);
                (Val::string(k), Val::of(x, t).mark(s))
            })
            .collect(),
        _ => {
            return Err(format!(
                "Iteration over non-iterable value: a value of type {} cannot be used as the collection in a 'for' expression",
                types::name(&coll.ty)
            ));
        }
    }))
}

/// What a `for` expression has produced so far.
#[derive(Default)]
struct ForResult {
    items: Vec<Val>,
    keyed: BTreeMap<String, Vec<Val>>,
    unknown: bool,
    sensitive: bool,
}

impl ForResult {
    fn push(&mut self, key: Option<String>, v: Val, grouping: bool) -> Result<(), String> {
        match key {
            None => self.items.push(v),
            Some(k) => {
                let slot = self.keyed.entry(k.clone()).or_default();
                if !slot.is_empty() && !grouping {
                    return Err(format!(
                        "Duplicate object key: two different items produced the key {k:?} in this 'for' expression; if duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key"
                    ));
                }
                slot.push(v);
            }
        }
        Ok(())
    }

    fn finish(self, f: &ForExpr) -> Result<Val, String> {
        if self.unknown {
            return Ok(Val::unknown(Type::Dynamic).mark(self.sensitive));
        }
        let v = if f.key_expr.is_none() {
            tuple(self.items)
        } else if f.grouping {
            object(self.keyed.into_iter().map(|(k, vs)| (k, tuple(vs))).collect())
        } else {
            object(self.keyed.into_iter().filter_map(|(k, mut vs)| Some((k, vs.pop()?))).collect())
        };
        Ok(v.mark(self.sensitive))
    }
}

/// A template's text so far, and whether it is unknown or sensitive.
#[derive(Default)]
struct Rendered {
    text: String,
    unknown: bool,
    sensitive: bool,
}

impl Rendered {
    fn push(&mut self, v: Val) -> Result<(), String> {
        self.sensitive |= v.sensitive;
        if v.is_unknown() {
            self.unknown = true;
            return Ok(());
        }
        if v.is_null() {
            return Err("Invalid template interpolation value: the expression result is null; cannot include a null value in a string template".into());
        }
        match convert(v, &Type::String) {
            Ok(Val { v: Value::String(s), .. }) => self.text.push_str(&s),
            _ => return Err("Invalid template interpolation value: cannot include the given value in a string template: string required".into()),
        }
        Ok(())
    }
}

fn strip_of(el: &Element) -> Strip {
    match el {
        Element::Literal(_) => Strip::None,
        Element::Interpolation(i) => i.strip,
        Element::Directive(d) => {
            let (start, end) = match d.as_ref() {
                Directive::If(i) => (i.if_strip, i.endif_strip),
                Directive::For(f) => (f.for_strip, f.endfor_strip),
            };
            Strip::from((start.strip_start(), end.strip_end()))
        }
    }
}

/// A literal between two template elements, with the whitespace their
/// `~` markers strip removed (all of it, line breaks included, as HCL does).
fn strip_literal(mut s: &str, prev: Strip, next: Strip) -> &str {
    if prev.strip_end() {
        s = s.trim_start();
    }
    if next.strip_start() {
        s = s.trim_end();
    }
    s
}
