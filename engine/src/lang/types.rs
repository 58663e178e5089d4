//! Terraform's type rules over [`Val`]: the type a bare value has, how two
//! types unify (a conditional's branches, a list's elements), and how a
//! value converts to a type (`tolist`, a variable's `type`, a function's
//! parameter), with cty's messages.
use std::collections::BTreeMap;

use tfplugin::{Type, Value};

use super::Val;
use super::number::Num;

/// The type of a value that carries none (state, variables): collections
/// take their elements' unified type; null and unknown are `dynamic`.
pub fn infer(v: &Value) -> Type {
    let elems = |xs: &mut dyn Iterator<Item = &Value>| {
        let ts: Vec<Type> = xs.map(infer).collect();
        unify(&ts).unwrap_or(Type::Dynamic)
    };
    match v {
        Value::Null | Value::Unknown(_) => Type::Dynamic,
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(x) => Type::list(elems(&mut x.iter())),
        Value::Set(x) => Type::set(elems(&mut x.iter())),
        Value::Map(m) => Type::map(elems(&mut m.values())),
        Value::Tuple(x) => Type::Tuple(x.iter().map(infer).collect()),
        Value::Object(m) => Type::object(m.iter().map(|(k, v)| (k.clone(), infer(v)))),
    }
}

/// The one type all of `types` convert to, as cty's unification finds it;
/// `dynamic` (a bare `null`) takes the others' type.
pub fn unify(types: &[Type]) -> Option<Type> {
    let known: Vec<&Type> = types.iter().filter(|t| **t != Type::Dynamic).collect();
    let Some(first) = known.first() else {
        return Some(Type::Dynamic);
    };
    if known.iter().all(|t| t == first) {
        return Some((*first).clone());
    }
    if known.iter().all(|t| matches!(t, Type::String | Type::Number | Type::Bool)) {
        return known.contains(&&Type::String).then_some(Type::String);
    }
    let all = |f: fn(&Type) -> bool| known.iter().all(|t| f(t));
    if all(|t| matches!(t, Type::Object { .. })) {
        let names = |t: &Type| match t {
            Type::Object { attrs, .. } => attrs.keys().cloned().collect::<Vec<_>>(),
            _ => vec![],
        };
        if known.iter().all(|t| names(t) == names(first)) {
            let mut attrs = BTreeMap::new();
            for n in names(first) {
                let ts: Vec<Type> = known.iter().map(|t| attr_type(t, &n)).collect();
                attrs.insert(n, unify(&ts)?);
            }
            return Some(Type::object(attrs));
        }
    }
    if all(|t| matches!(t, Type::Tuple(_))) {
        let lens: Vec<usize> = known.iter().map(|t| elements(t).len()).collect();
        if lens.iter().all(|l| *l == lens[0]) {
            let mut out = Vec::new();
            for i in 0..lens[0] {
                out.push(unify(&known.iter().map(|t| elements(t)[i].clone()).collect::<Vec<_>>())?);
            }
            return Some(Type::Tuple(out));
        }
    }
    let inner = |t: &Type| -> Vec<Type> {
        match t {
            Type::List(e) | Type::Set(e) | Type::Map(e) => vec![(**e).clone()],
            Type::Tuple(ts) => ts.clone(),
            Type::Object { attrs, .. } => attrs.values().cloned().collect(),
            _ => vec![],
        }
    };
    let collect = || -> Option<Type> { unify(&known.iter().flat_map(|t| inner(t)).collect::<Vec<_>>()) };
    if all(|t| matches!(t, Type::List(_) | Type::Tuple(_))) {
        return Some(Type::list(collect()?));
    }
    if all(|t| matches!(t, Type::Set(_))) {
        return Some(Type::set(collect()?));
    }
    if all(|t| matches!(t, Type::Map(_) | Type::Object { .. })) {
        return Some(Type::map(collect()?));
    }
    None
}

fn attr_type(t: &Type, n: &str) -> Type {
    match t {
        Type::Object { attrs, .. } => attrs.get(n).cloned().unwrap_or(Type::Dynamic),
        _ => Type::Dynamic,
    }
}

fn elements(t: &Type) -> &[Type] {
    match t {
        Type::Tuple(ts) => ts,
        _ => &[],
    }
}

/// A type constraint as the type of the values it admits: without the
/// `optional` markers, which only constraints carry.
pub fn concrete(t: &Type) -> Type {
    match t {
        Type::List(e) => Type::list(concrete(e)),
        Type::Set(e) => Type::set(concrete(e)),
        Type::Map(e) => Type::map(concrete(e)),
        Type::Tuple(ts) => Type::Tuple(ts.iter().map(concrete).collect()),
        Type::Object { attrs, .. } => Type::object(attrs.iter().map(|(k, v)| (k.clone(), concrete(v)))),
        other => other.clone(),
    }
}

/// Terraform's name for a type, as `type()` and its messages print it.
pub fn name(t: &Type) -> String {
    match t {
        Type::String => "string".into(),
        Type::Number => "number".into(),
        Type::Bool => "bool".into(),
        Type::Dynamic => "dynamic".into(),
        Type::List(e) => format!("list({})", name(e)),
        Type::Set(e) => format!("set({})", name(e)),
        Type::Map(e) => format!("map({})", name(e)),
        Type::Tuple(ts) => format!("tuple([{}])", ts.iter().map(name).collect::<Vec<_>>().join(", ")),
        Type::Object { attrs, .. } => format!(
            "object({{{}}})",
            attrs.iter().map(|(k, v)| format!("{k}: {}", name(v))).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// cty's `FriendlyName`: `string`, `list of string`, `tuple`, `object`.
pub fn friendly_name(t: &Type) -> String {
    match t {
        Type::List(e) => format!("list of {}", friendly_name(e)),
        Type::Set(e) => format!("set of {}", friendly_name(e)),
        Type::Map(e) => format!("map of {}", friendly_name(e)),
        other => friendly(other).to_string(),
    }
}

/// What kind of value a type is, as cty's conversion messages say it.
fn friendly(t: &Type) -> &'static str {
    match t {
        Type::String => "string",
        Type::Number => "number",
        Type::Bool => "bool",
        Type::Dynamic => "dynamic",
        Type::List(_) => "list",
        Type::Set(_) => "set",
        Type::Map(_) => "map",
        Type::Tuple(_) => "tuple",
        Type::Object { .. } => "object",
    }
}

/// Converts `v` to `want`, as cty's `convert.Convert` does.
pub fn convert(v: Val, want: &Type) -> Result<Val, String> {
    let sensitive = v.sensitive;
    let mut out = convert_inner(v, want)?;
    out.sensitive |= sensitive;
    Ok(out)
}

fn convert_inner(v: Val, want: &Type) -> Result<Val, String> {
    if *want == Type::Dynamic || v.ty == *want && !matches!(v.v, Value::Tuple(_)) {
        return Ok(v);
    }
    match v.v {
        Value::Unknown(_) => return Ok(Val::unknown(want.clone())),
        Value::Null => return Ok(Val::null(want.clone())),
        _ => {}
    }
    let err = |v: &Val| Err(mismatch(&v.ty, want));
    Ok(match (want, v.v) {
        (Type::String, Value::Number(n)) => {
            Val::string(Num::from_number(&n).map(|n| n.to_string()).unwrap_or_default())
        }
        (Type::String, Value::Bool(b)) => Val::string(b.to_string()),
        (Type::Number, Value::String(s)) => match Num::parse(&s) {
            Some(n) => Val::num(n),
            None => return Err("a number is required".into()),
        },
        (Type::Bool, Value::String(s)) => match s.as_str() {
            "true" => Val::bool(true),
            "false" => Val::bool(false),
            _ => return Err("a bool is required".into()),
        },
        (Type::List(e) | Type::Set(e), Value::List(x) | Value::Set(x) | Value::Tuple(x)) => {
            let elems: Vec<Val> = x.into_iter().zip(element_types(&v.ty)).map(|(x, t)| Val::of(x, t)).collect();
            let set = matches!(want, Type::Set(_));
            seq(elems, e, set)?
        }
        (Type::Map(e), Value::Map(m) | Value::Object(m)) => {
            let elems: Vec<(String, Val)> =
                m.into_iter().map(|(k, x)| (k.clone(), Val::of(x, member_type(&v.ty, &k)))).collect();
            map(elems, e)?
        }
        (Type::Object { attrs, optional }, Value::Map(mut m) | Value::Object(mut m)) => {
            let mut out = BTreeMap::new();
            let mut types = BTreeMap::new();
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(format!("unsupported attribute {extra:?}"));
            }
            for (k, t) in attrs {
                let x = match m.remove(k) {
                    Some(x) => Val::of(x, member_type(&v.ty, k)),
                    None if optional.contains(k) => Val::null(t.clone()),
                    None => return Err(format!("attribute {k:?} is required")),
                };
                let c = convert(x, t).map_err(|e| format!("attribute {k:?}: {e}"))?;
                types.insert(k.clone(), c.ty);
                out.insert(k.clone(), c.v);
            }
            Val { v: Value::Object(out), ty: Type::object(types), sensitive: false }
        }
        (Type::Tuple(ts), Value::List(x) | Value::Tuple(x)) if x.len() == ts.len() => {
            let mut vs = Vec::new();
            let mut types = Vec::new();
            for (i, (x, t)) in x.into_iter().zip(ts).enumerate() {
                let c = convert(Val::of(x, element_type(&v.ty, i)), t).map_err(|e| format!("element {i}: {e}"))?;
                types.push(c.ty);
                vs.push(c.v);
            }
            Val { v: Value::Tuple(vs), ty: Type::Tuple(types), sensitive: false }
        }
        (_, x) => return err(&Val::of(x, v.ty.clone())),
    })
}

fn mismatch(have: &Type, want: &Type) -> String {
    match (have, want) {
        (_, Type::List(_) | Type::Set(_)) => format!("{} required", friendly(want).replace("list", "list of")),
        (_, Type::String | Type::Number | Type::Bool) => format!("{} required", name(want)),
        _ => format!("{} required, but have {}", name(want), friendly(have)),
    }
    .replace("list of", "list of any single type")
    .replace("set required", "set of any single type required")
}

/// Elements converted to one type (`want`, or their unified type when it
/// is `dynamic`), as a list or a deduplicated, ordered set.
pub fn seq(elems: Vec<Val>, want: &Type, set: bool) -> Result<Val, String> {
    let target = match want {
        Type::Dynamic => unify(&elems.iter().map(|e| e.ty.clone()).collect::<Vec<_>>())
            .ok_or_else(|| "all elements must have the same type".to_string())?,
        t => t.clone(),
    };
    let mut sensitive = false;
    let mut out = Vec::new();
    for (i, e) in elems.into_iter().enumerate() {
        let c = convert(e, &target).map_err(|m| format!("element {i}: {m}"))?;
        sensitive |= c.sensitive;
        out.push(c.v);
    }
    let (v, ty) =
        if set { (Value::Set(set_order(out)), Type::set(target)) } else { (Value::List(out), Type::list(target)) };
    Ok(Val { v, ty, sensitive })
}

/// Members converted to one type, as a map.
pub fn map(elems: Vec<(String, Val)>, want: &Type) -> Result<Val, String> {
    let target = match want {
        Type::Dynamic => unify(&elems.iter().map(|(_, e)| e.ty.clone()).collect::<Vec<_>>())
            .ok_or_else(|| "all map elements must have the same type".to_string())?,
        t => t.clone(),
    };
    let mut sensitive = false;
    let mut out = BTreeMap::new();
    for (k, e) in elems {
        let c = convert(e, &target).map_err(|m| format!("element {k:?}: {m}"))?;
        sensitive |= c.sensitive;
        out.insert(k, c.v);
    }
    Ok(Val { v: Value::Map(out), ty: Type::map(target), sensitive })
}

/// A set's elements in cty's order: deduplicated; strings and numbers
/// ascending, then everything else by its canonical form.
pub fn set_order(mut xs: Vec<Value>) -> Vec<Value> {
    xs.sort_by(compare);
    xs.dedup();
    xs
}

fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (Num::from_number(x), Num::from_number(y)) {
            (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            _ => Ordering::Equal,
        },
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Unknown(_), Value::Unknown(_)) => Ordering::Equal,
        (Value::Unknown(_), _) => Ordering::Greater,
        (_, Value::Unknown(_)) => Ordering::Less,
        _ => format!("{a:?}").cmp(&format!("{b:?}")),
    }
}

/// The type of element `i` of a collection or tuple type.
pub fn element_type(t: &Type, i: usize) -> Type {
    match t {
        Type::List(e) | Type::Set(e) | Type::Map(e) => (**e).clone(),
        Type::Tuple(ts) => ts.get(i).cloned().unwrap_or(Type::Dynamic),
        _ => Type::Dynamic,
    }
}

fn element_types(t: &Type) -> impl Iterator<Item = Type> + '_ {
    (0..).map(move |i| element_type(t, i))
}

/// The type of member `k` of a map or object type.
pub fn member_type(t: &Type, k: &str) -> Type {
    match t {
        Type::Map(e) => (**e).clone(),
        Type::Object { attrs, .. } => attrs.get(k).cloned().unwrap_or(Type::Dynamic),
        _ => Type::Dynamic,
    }
}
