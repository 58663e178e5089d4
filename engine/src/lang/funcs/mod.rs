//! Terraform's built-in functions: a table of [`Spec`]s (parameters with
//! their types and whether null or unknown values may reach the function)
//! and [`call`], which checks arity, converts each argument to its
//! parameter's type, answers unknown when an argument is unknown and the
//! function cannot use it, and carries sensitive marks to the result.
//! Errors name the parameter, as Terraform's do.
use std::collections::HashMap;
use std::sync::LazyLock;

use tfplugin::{Type, Value};

use super::Val;
use super::number::Num;
use super::types::{self, convert};

mod collections;
mod conversion;
mod crypto;
mod encoding;
mod filesystem;
mod format;
mod net;
mod numeric;
mod strings;
mod time;
mod yaml;

/// A parameter's type.
#[derive(Clone, Copy, Debug)]
pub enum P {
    Str,
    Num,
    Bool,
    Any,
    List(&'static P),
    Set(&'static P),
    Map(&'static P),
}

impl P {
    fn ty(&self) -> Type {
        match self {
            P::Str => Type::String,
            P::Num => Type::Number,
            P::Bool => Type::Bool,
            P::Any => Type::Dynamic,
            P::List(e) => Type::list(e.ty()),
            P::Set(e) => Type::set(e.ty()),
            P::Map(e) => Type::map(e.ty()),
        }
    }
}

/// One parameter.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    name: &'static str,
    p: P,
    null: bool,
    unknown: bool,
}

/// A parameter that must be known and not null.
pub const fn p(name: &'static str, p: P) -> Param {
    Param { name, p, null: false, unknown: false }
}

impl Param {
    /// One that may be null.
    pub const fn nullable(mut self) -> Param {
        self.null = true;
        self
    }

    /// One whose unknown values the function handles itself.
    pub const fn unknowns(mut self) -> Param {
        self.unknown = true;
        self
    }
}

pub type Impl = fn(Vec<Val>) -> Result<Val, String>;

/// A function.
pub struct Spec {
    pub name: &'static str,
    pub params: &'static [Param],
    pub variadic: Option<Param>,
    /// The result's type when it is unknown (dynamic if not given).
    pub ret: Option<P>,
    /// The function reads and sets sensitive marks itself.
    pub marks: bool,
    pub f: Impl,
}

/// A function with fixed parameters.
pub const fn f(name: &'static str, params: &'static [Param], ret: Option<P>, f: Impl) -> Spec {
    Spec { name, params, variadic: None, ret, marks: false, f }
}

/// A function whose last parameter repeats.
pub const fn fv(name: &'static str, params: &'static [Param], variadic: Param, ret: Option<P>, f: Impl) -> Spec {
    Spec { name, params, variadic: Some(variadic), ret, marks: false, f }
}

/// A function that reads and sets sensitive marks itself.
pub const fn m(name: &'static str, params: &'static [Param], f: Impl) -> Spec {
    Spec { name, params, variadic: None, ret: None, marks: true, f }
}

static TABLE: LazyLock<HashMap<&'static str, &'static Spec>> = LazyLock::new(|| {
    [
        collections::SPECS,
        conversion::SPECS,
        crypto::SPECS,
        encoding::SPECS,
        filesystem::SPECS,
        format::SPECS,
        net::SPECS,
        numeric::SPECS,
        strings::SPECS,
        time::SPECS,
    ]
    .into_iter()
    .flatten()
    .map(|s| (s.name, s))
    .collect()
});

/// Every function name, sorted.
pub fn names() -> Vec<&'static str> {
    let mut n: Vec<&str> = TABLE.keys().copied().chain(["try", "can"]).collect();
    n.sort_unstable();
    n
}

/// Calls the function `name`.
pub fn call(name: &str, args: Vec<Val>) -> Result<Val, String> {
    call_as(name, args, false)
}

/// Checks a call as [`call`] does and answers its result as unknown,
/// without running it: an impure function (`timestamp`, `uuid`, `bcrypt`)
/// while planning.
pub fn call_deferred(name: &str, args: Vec<Val>) -> Result<Val, String> {
    call_as(name, args, true)
}

fn call_as(name: &str, args: Vec<Val>, deferred: bool) -> Result<Val, String> {
    let spec = TABLE.get(name).ok_or_else(|| undefined(name))?;
    let fixed = spec.params.len();
    if args.len() < fixed {
        let missing = spec.params[args.len()].name;
        return Err(format!(
            "Not enough function arguments: function {name:?} expects {fixed} argument(s); missing value for {missing:?}"
        ));
    }
    if args.len() > fixed && spec.variadic.is_none() {
        return Err(format!("Too many function arguments: function {name:?} expects only {fixed} argument(s)"));
    }
    let mut sensitive = false;
    let mut unknown = false;
    let mut converted = Vec::with_capacity(args.len());
    for (i, a) in args.into_iter().enumerate() {
        let param = spec.params.get(i).copied().or(spec.variadic).ok_or("no such parameter")?;
        if a.is_null() && !param.null {
            return Err(format!(
                "Invalid function argument: invalid value for {:?} parameter: argument must not be null",
                param.name
            ));
        }
        let mut a = convert(a, &param.p.ty())
            .map_err(|e| format!("Invalid function argument: invalid value for {:?} parameter: {e}", param.name))?;
        if !spec.marks {
            sensitive |= a.sensitive;
            a.sensitive = false;
        }
        unknown |= !param.unknown && !a.is_wholly_known();
        converted.push(a);
    }
    if unknown || deferred {
        return Ok(Val::unknown(spec.ret.map_or(Type::Dynamic, |p| p.ty())).mark(sensitive));
    }
    (spec.f)(converted)
        .map(|v| v.mark(sensitive))
        .map_err(|e| format!("Error in function call: call to function {name:?} failed: {e}"))
}

fn undefined(name: &str) -> String {
    if let Some((ns, _)) = name.rsplit_once("::") {
        return format!(
            "Call to unknown function: there is no function named {name:?} (namespace {ns:?} is not available to aigw)"
        );
    }
    let close = names().into_iter().find(|n| strsim::levenshtein(n, name) <= 2);
    match close {
        Some(c) => format!("Call to unknown function: there is no function named {name:?}; did you mean {c:?}?"),
        None => format!("Call to unknown function: there is no function named {name:?}"),
    }
}

// Helpers the function modules share.

/// A string argument.
pub fn s(v: &Val) -> &str {
    match &v.v {
        Value::String(s) => s,
        _ => "",
    }
}

/// A number argument.
pub fn n(v: &Val) -> Result<Num, String> {
    match &v.v {
        Value::Number(n) => Num::from_number(n).ok_or_else(|| "a number is required".into()),
        _ => Err("a number is required".into()),
    }
}

/// A whole-number argument.
pub fn int(v: &Val, what: &str) -> Result<i64, String> {
    let x = n(v)?;
    if !x.is_integer() {
        return Err(format!("invalid value for {what:?}: a whole number is required"));
    }
    x.to_i64().ok_or_else(|| format!("invalid value for {what:?}: the number is too large"))
}

/// A bool argument.
pub fn b(v: &Val) -> bool {
    matches!(v.v, Value::Bool(true))
}

/// A collection argument's elements with their types.
pub fn elems(v: Val) -> Vec<Val> {
    let ty = v.ty;
    match v.v {
        Value::List(x) | Value::Set(x) | Value::Tuple(x) => {
            x.into_iter().enumerate().map(|(i, x)| Val::of(x, types::element_type(&ty, i))).collect()
        }
        Value::Map(m) | Value::Object(m) => {
            m.into_iter().map(|(k, x)| Val::of(x, types::member_type(&ty, &k))).collect()
        }
        _ => vec![],
    }
}

/// A list of strings as Rust strings (nulls refused).
pub fn strings(v: Val, what: &str) -> Result<Vec<String>, String> {
    elems(v)
        .into_iter()
        .enumerate()
        .map(|(i, e)| match e.v {
            Value::String(s) => Ok(s),
            Value::Null => Err(format!("invalid value for {what:?}: element {i} is null")),
            _ => Err(format!("invalid value for {what:?}: element {i}: string required")),
        })
        .collect()
}

/// A list of values of one type.
pub fn list(elems: Vec<Val>, elem: Type) -> Result<Val, String> {
    types::seq(elems, &elem, false)
}

/// A list of strings.
pub fn str_list(xs: impl IntoIterator<Item = String>) -> Val {
    Val::of(Value::List(xs.into_iter().map(Value::String).collect()), Type::list(Type::String))
}

#[cfg(test)]
mod tests;
