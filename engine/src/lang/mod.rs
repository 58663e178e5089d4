//! The configuration language: expressions evaluated as Terraform
//! evaluates them, over typed values with unknowns and sensitive marks.
//! [`Val`] is a [`tfplugin::Value`] with its cty [`Type`]; [`Scope`] holds
//! the named values an expression can see; [`eval`] and [`eval_typed`] run
//! the one expression walker ([`expr`]) with the built-in functions
//! ([`funcs`]), numbers ([`number`]) and conversion rules ([`types`]).
use std::collections::BTreeMap;

use hcl::Expression;
use tfplugin::{Type, Value};

pub mod expr;
pub mod funcs;
pub mod number;
pub mod ops;
mod refs;
pub mod types;

pub use refs::{Ref, refs};

/// A value with its type and whether it is sensitive.
#[derive(Debug, Clone, PartialEq)]
pub struct Val {
    pub v: Value,
    pub ty: Type,
    pub sensitive: bool,
}

impl Val {
    pub fn of(v: Value, ty: Type) -> Val {
        Val { v, ty, sensitive: false }
    }

    /// A value from state or a variable: its type is inferred.
    pub fn infer(v: Value) -> Val {
        let ty = types::infer(&v);
        Val::of(v, ty)
    }

    pub fn null(ty: Type) -> Val {
        Val::of(Value::Null, ty)
    }

    pub fn unknown(ty: Type) -> Val {
        Val::of(Value::unknown(), ty)
    }

    pub fn string(s: impl Into<String>) -> Val {
        Val::of(Value::String(s.into()), Type::String)
    }

    pub fn num(n: number::Num) -> Val {
        Val::of(Value::Number(n.to_number()), Type::Number)
    }

    pub fn int(i: i64) -> Val {
        Val::of(Value::int(i), Type::Number)
    }

    pub fn bool(b: bool) -> Val {
        Val::of(Value::Bool(b), Type::Bool)
    }

    pub fn is_null(&self) -> bool {
        self.v.is_null()
    }

    pub fn is_unknown(&self) -> bool {
        self.v.is_unknown()
    }

    pub fn is_wholly_known(&self) -> bool {
        self.v.is_wholly_known()
    }

    /// The same value, sensitive if `s`.
    pub fn mark(mut self, s: bool) -> Val {
        self.sensitive |= s;
        self
    }
}

/// Named values an expression can see: `var.*`, `local.*` and resources.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    pub vars: BTreeMap<String, Value>,
    pub locals: BTreeMap<String, Value>,
    /// type → name → value.
    pub resources: BTreeMap<String, BTreeMap<String, Value>>,
    /// Other root names (`path`, `each`, `count`; `request`, `logs`,
    /// `calls` in `aigw test`).
    pub extra: BTreeMap<String, Value>,
    /// Variables' declared types (a value's own shape is not enough: an
    /// empty `list(string)` is still a list of strings).
    pub var_types: BTreeMap<String, Type>,
    /// Variables declared `sensitive`: what reads them is sensitive.
    pub sensitive_vars: std::collections::BTreeSet<String>,
    /// Planning: impure functions (`timestamp`, `uuid`, `bcrypt`) are not
    /// known until apply, as in Terraform.
    pub planning: bool,
}

impl Scope {
    /// The value a reference names, or an error naming what is missing.
    pub fn resolve(&self, r: &Ref) -> Result<Value, String> {
        let mut v = self.root(r.first().map_or("", String::as_str), r.get(1).map(String::as_str))?.0;
        for a in r.iter().skip(if self.namespaced(&r[0]) { 2 } else { 1 }) {
            v = match v {
                Value::Unknown(_) => return Ok(Value::unknown()),
                Value::Object(m) | Value::Map(m) => {
                    m.get(a).ok_or_else(|| format!("{} has no attribute {a:?}", r.join(".")))?
                }
                _ => return Ok(v.clone()),
            };
        }
        Ok(v.clone())
    }

    /// Whether a root name takes a second name (`var.x`, `aigw_gateway.g`).
    fn namespaced(&self, root: &str) -> bool {
        !self.extra.contains_key(root)
    }

    /// The declared type of what `root.name` names, if it has one.
    pub(crate) fn declared(&self, root: &str, name: Option<&str>) -> Option<&Type> {
        match (root, name) {
            ("var", Some(n)) if !self.extra.contains_key("var") => self.var_types.get(n),
            _ => None,
        }
    }

    /// The value `root` (and for namespaced roots, `name`) names, and
    /// whether it is sensitive.
    pub(crate) fn root(&self, root: &str, name: Option<&str>) -> Result<(&Value, bool), String> {
        if let Some(v) = self.extra.get(root) {
            return Ok((v, false));
        }
        let name = name.ok_or_else(|| format!("invalid reference: {root} must be followed by an attribute name"))?;
        let found = match root {
            "var" => self.vars.get(name).map(|v| (v, self.sensitive_vars.contains(name))),
            "local" => self.locals.get(name).map(|v| (v, false)),
            ty => self.resources.get(ty).and_then(|n| n.get(name)).map(|v| (v, false)),
        };
        found.ok_or_else(|| match root {
            "var" => {
                format!("reference to undeclared var.{name}: an input variable named {name:?} has not been declared")
            }
            "local" => {
                format!("reference to undeclared local.{name}: a local value named {name:?} has not been declared")
            }
            "each" | "count" | "self" => format!("reference to {root}.{name} where {root} is not available"),
            ty if !ty.contains('_') && !self.resources.contains_key(ty) => {
                format!("reference to undeclared {ty}.{name}: there is no variable named {ty:?}")
            }
            ty => {
                format!("reference to undeclared {ty}.{name}: a managed resource {ty:?} {name:?} has not been declared")
            }
        })
    }
}

/// Evaluates `expr`; unknowns flow through as Terraform's do.
pub fn eval(expr: &Expression, scope: &Scope) -> Result<Value, String> {
    eval_typed(expr, scope).map(|v| v.v)
}

/// Evaluates `expr` to a value with its type and marks.
pub fn eval_typed(expr: &Expression, scope: &Scope) -> Result<Val, String> {
    expr::Eval::new(scope).expr(expr)
}

/// A root module output's value. As in Terraform, an output that reads a
/// sensitive value must itself be declared `sensitive`.
pub fn output(o: &crate::config::Output, scope: &Scope) -> Result<Val, String> {
    let v = eval_typed(&o.value, scope)?;
    if v.sensitive && !o.sensitive {
        return Err("Output refers to sensitive values: Terraform requires that any root module output containing sensitive data be explicitly marked as sensitive (add sensitive = true to this output)".into());
    }
    Ok(v)
}

/// Converts a value to a schema type, as Terraform does: an object
/// attribute a configuration leaves out is null (the provider decides
/// whether that is allowed).
pub fn convert(v: Value, ty: &Type) -> Result<Value, String> {
    types::convert(Val::infer(v), &all_optional(ty)).map(|v| v.v)
}

fn all_optional(t: &Type) -> Type {
    match t {
        Type::List(e) => Type::list(all_optional(e)),
        Type::Set(e) => Type::set(all_optional(e)),
        Type::Map(e) => Type::map(all_optional(e)),
        Type::Tuple(ts) => Type::Tuple(ts.iter().map(all_optional).collect()),
        Type::Object { attrs, .. } => Type::Object {
            attrs: attrs.iter().map(|(k, v)| (k.clone(), all_optional(v))).collect(),
            optional: attrs.keys().cloned().collect(),
        },
        other => other.clone(),
    }
}

/// A known value as hcl-rs holds it (unknowns and nulls become null).
pub fn to_hcl(v: &Value) -> hcl::Value {
    match v {
        Value::Null | Value::Unknown(_) => hcl::Value::Null,
        Value::Bool(b) => hcl::Value::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => hcl::Value::from(i),
            None => hcl::Number::from_f64(n.as_f64()).map_or(hcl::Value::Null, hcl::Value::Number),
        },
        Value::String(s) => hcl::Value::String(s.clone()),
        Value::List(x) | Value::Set(x) | Value::Tuple(x) => hcl::Value::Array(x.iter().map(to_hcl).collect()),
        Value::Map(m) | Value::Object(m) => hcl::Value::Object(m.iter().map(|(k, v)| (k.clone(), to_hcl(v))).collect()),
    }
}

#[cfg(test)]
mod tests;
