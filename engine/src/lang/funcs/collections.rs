//! Collection functions: lists, sets, maps, objects and tuples, with the
//! result types cty gives them (a list when the elements share a type, a
//! tuple or object when they need not).
use std::collections::BTreeMap;

use tfplugin::{Type, Value};

use super::{P, Param, Spec, b, elems, f, fv, int, list, n, p, s, str_list, strings};
use crate::lang::Val;
use crate::lang::expr::{object, tuple};
use crate::lang::ops::equals;
use crate::lang::types::{self, convert, seq, unify};

const LIST: Param = p("list", P::Any);
/// A collection whose unknown elements the function passes through.
const PARTS: Param = p("list", P::Any).unknowns();
const ANY_LIST: P = P::List(&P::Any);

pub const SPECS: &[Spec] = &[
    f("alltrue", &[p("list", P::List(&P::Bool))], Some(P::Bool), |a| bools(a, true)),
    f("anytrue", &[p("list", P::List(&P::Bool))], Some(P::Bool), |a| bools(a, false)),
    f("chunklist", &[p("list", ANY_LIST), p("size", P::Num)], None, chunklist),
    fv("coalesce", &[], p("vals", P::Any).nullable().unknowns(), None, coalesce),
    fv("coalescelist", &[], p("vals", P::Any).nullable(), None, coalescelist),
    f("compact", &[p("list", P::List(&P::Str)).unknowns()], Some(P::List(&P::Str)), compact),
    fv("concat", &[], p("seqs", P::Any).unknowns(), None, concat),
    f("contains", &[LIST, p("value", P::Any)], Some(P::Bool), contains),
    f("distinct", &[p("list", ANY_LIST)], None, |a| {
        let l = a.into_iter().next().ok_or("a list is required")?;
        let e = types::element_type(&l.ty, 0);
        let mut out: Vec<Val> = Vec::new();
        for x in elems(l) {
            if !out.iter().any(|o| equals(o, &x) == Some(true)) {
                out.push(x);
            }
        }
        list(out, e)
    }),
    f("element", &[PARTS, p("index", P::Num)], None, element),
    f("flatten", &[PARTS], None, |a| {
        let mut out = Vec::new();
        let l = a.into_iter().next().ok_or("a list is required")?;
        let known = !l.is_unknown() && flatten(l, &mut out)?;
        Ok(if known { tuple(out) } else { Val::unknown(Type::Dynamic) })
    }),
    f("index", &[LIST, p("value", P::Any)], Some(P::Num), |a| {
        let mut a = a.into_iter();
        let (l, v) = (a.next().ok_or("a list is required")?, a.next().ok_or("a value is required")?);
        if !matches!(l.ty, Type::List(_) | Type::Tuple(_)) {
            return Err("argument must be a list or tuple".into());
        }
        let i = elems(l).iter().position(|x| equals(x, &v) == Some(true)).ok_or("item not found")?;
        Ok(Val::int(i as i64))
    }),
    f("keys", &[p("inputMap", P::Any).unknowns()], None, keys),
    f("values", &[p("mapping", P::Any).unknowns()], None, values),
    f("length", &[p("value", P::Any).unknowns()], Some(P::Num), length),
    fv("lookup", &[p("inputMap", P::Any), p("key", P::Str)], p("default", P::Any).unknowns(), None, lookup),
    f("matchkeys", &[p("values", ANY_LIST), p("keys", ANY_LIST), p("searchset", ANY_LIST)], None, matchkeys),
    fv("merge", &[], p("maps", P::Any).nullable().unknowns(), None, merge),
    f("one", &[LIST], None, one),
    fv("range", &[], p("params", P::Num), Some(P::List(&P::Num)), range),
    f("reverse", &[PARTS], None, reverse),
    fv("setintersection", &[p("first_set", P::Set(&P::Any))], p("other_sets", P::Set(&P::Any)), None, |a| {
        set_op(a, |acc, x| acc.into_iter().filter(|e| x.iter().any(|y| same(e, y))).collect())
    }),
    fv("setunion", &[p("first_set", P::Set(&P::Any))], p("other_sets", P::Set(&P::Any)), None, |a| {
        set_op(a, |mut acc, x| {
            acc.extend(x);
            acc
        })
    }),
    f("setsubtract", &[p("a", P::Set(&P::Any)), p("b", P::Set(&P::Any))], None, |a| {
        set_op(a, |acc, x| acc.into_iter().filter(|e| !x.iter().any(|y| same(e, y))).collect())
    }),
    fv("setproduct", &[], p("sets", P::Any), None, setproduct),
    f("slice", &[PARTS, p("start_index", P::Num), p("end_index", P::Num)], None, slice),
    f("sort", &[p("list", P::List(&P::Str))], Some(P::List(&P::Str)), |a| {
        let mut xs = strings(a.into_iter().next().ok_or("a list is required")?, "list")?;
        xs.sort();
        Ok(str_list(xs))
    }),
    f("transpose", &[p("values", P::Map(&P::List(&P::Str)))], Some(P::Map(&P::List(&P::Str))), transpose),
    f("zipmap", &[p("keys", P::List(&P::Str)), p("values", P::Any)], None, zipmap),
];

fn same(a: &Val, b: &Val) -> bool {
    equals(a, b) == Some(true)
}

fn first(a: Vec<Val>) -> Result<Val, String> {
    a.into_iter().next().ok_or_else(|| "an argument is required".into())
}

fn bools(a: Vec<Val>, all: bool) -> Result<Val, String> {
    let xs = elems(first(a)?);
    if xs.iter().any(Val::is_null) {
        return Err("element is null".into());
    }
    Ok(Val::bool(if all { xs.iter().all(b) } else { xs.iter().any(b) }))
}

fn chunklist(a: Vec<Val>) -> Result<Val, String> {
    let size = int(&a[1], "size")?;
    if size < 0 {
        return Err("the size argument must be positive".into());
    }
    let l = a.into_iter().next().ok_or("a list is required")?;
    let ty = l.ty.clone();
    let xs = elems(l);
    let chunks: Vec<Val> = if size == 0 {
        vec![Val::of(Value::List(xs.into_iter().map(|x| x.v).collect()), ty.clone())]
    } else {
        xs.chunks(size as usize)
            .map(|c| Val::of(Value::List(c.iter().map(|x| x.v.clone()).collect()), ty.clone()))
            .collect()
    };
    list(chunks, ty)
}

fn coalesce(a: Vec<Val>) -> Result<Val, String> {
    let ty =
        unify(&a.iter().map(|v| v.ty.clone()).collect::<Vec<_>>()).ok_or("all arguments must have the same type")?;
    for v in a {
        if v.is_unknown() {
            return Ok(Val::unknown(ty));
        }
        if v.is_null() || matches!(&v.v, Value::String(s) if s.is_empty()) {
            continue;
        }
        return convert(v, &ty);
    }
    Err("no non-null, non-empty-string arguments".into())
}

fn coalescelist(a: Vec<Val>) -> Result<Val, String> {
    for v in a {
        if !matches!(v.ty, Type::List(_) | Type::Tuple(_) | Type::Set(_) | Type::Dynamic) {
            return Err("coalescelist arguments must be lists or tuples".into());
        }
        if !v.is_null() && !elems(v.clone()).is_empty() {
            return Ok(v);
        }
    }
    Err("no non-null arguments".into())
}

fn compact(a: Vec<Val>) -> Result<Val, String> {
    let l = first(a)?;
    if l.is_unknown() {
        return Ok(Val::unknown(Type::list(Type::String)));
    }
    let xs = elems(l);
    if xs.iter().any(|x| x.is_unknown()) {
        return Ok(Val::unknown(Type::list(Type::String)));
    }
    Ok(str_list(xs.into_iter().filter_map(|x| match x.v {
        Value::String(s) if !s.is_empty() => Some(s),
        _ => None,
    })))
}

fn concat(a: Vec<Val>) -> Result<Val, String> {
    if a.is_empty() {
        return Err("at least one argument is required".into());
    }
    for (i, v) in a.iter().enumerate() {
        if !matches!(v.ty, Type::List(_) | Type::Tuple(_) | Type::Set(_)) {
            return Err(format!("all arguments must be lists or tuples; got {} for argument {i}", types::name(&v.ty)));
        }
    }
    let lists = a.iter().all(|v| matches!(v.ty, Type::List(_)));
    let elem = lists.then(|| unify(&a.iter().map(|v| types::element_type(&v.ty, 0)).collect::<Vec<_>>())).flatten();
    if a.iter().any(Val::is_unknown) {
        return Ok(Val::unknown(elem.map_or(Type::Dynamic, Type::list)));
    }
    let all: Vec<Val> = a.into_iter().flat_map(elems).collect();
    match elem {
        Some(e) => list(all, e),
        None => Ok(tuple(all)),
    }
}

fn contains(a: Vec<Val>) -> Result<Val, String> {
    let mut a = a.into_iter();
    let (l, v) = (a.next().ok_or("a list is required")?, a.next().ok_or("a value is required")?);
    if !matches!(l.ty, Type::List(_) | Type::Tuple(_) | Type::Set(_)) {
        return Err("argument must be list, tuple, or set".into());
    }
    let mut unknown = false;
    for x in elems(l) {
        match equals(&x, &v) {
            Some(true) => return Ok(Val::bool(true)),
            None => unknown = true,
            Some(false) => {}
        }
    }
    Ok(if unknown { Val::unknown(Type::Bool) } else { Val::bool(false) })
}

fn element(a: Vec<Val>) -> Result<Val, String> {
    let i = int(&a[1], "index")?;
    let l = first(a)?;
    if l.is_unknown() {
        return Ok(Val::unknown(types::element_type(&l.ty, 0)));
    }
    if !matches!(l.ty, Type::List(_) | Type::Tuple(_)) {
        return Err("cannot read elements from a value that is not a list or tuple".into());
    }
    let xs = elems(l);
    if xs.is_empty() {
        return Err("cannot use element function with an empty list".into());
    }
    // Go's remainder: a negative index is refused unless it wraps to zero.
    let i = i % xs.len() as i64;
    if i < 0 {
        return Err("cannot use element function with a negative index".into());
    }
    xs.into_iter().nth(i as usize).ok_or_else(|| "index out of range".into())
}

/// Flattens into `out`; `false` when an unknown might be a list, so the
/// result's length is not known.
fn flatten(v: Val, out: &mut Vec<Val>) -> Result<bool, String> {
    if v.is_unknown() {
        if matches!(v.ty, Type::String | Type::Number | Type::Bool) {
            out.push(v);
            return Ok(true);
        }
        return Ok(false);
    }
    match v.ty {
        Type::List(_) | Type::Tuple(_) | Type::Set(_) if !v.is_null() => {
            for x in elems(v) {
                if !flatten(x, out)? {
                    return Ok(false);
                }
            }
        }
        _ => out.push(v),
    }
    Ok(true)
}

fn keys(a: Vec<Val>) -> Result<Val, String> {
    let m = first(a)?;
    match &m.ty {
        Type::Map(_) | Type::Dynamic if m.is_unknown() => Ok(Val::unknown(Type::list(Type::String))),
        Type::Object { attrs, .. } => Ok(tuple(attrs.keys().map(|k| Val::string(k.clone())).collect())),
        Type::Map(_) => match m.v {
            Value::Map(x) => Ok(str_list(x.into_keys())),
            _ => Err("must have map or object type".into()),
        },
        _ => Err("must have map or object type".into()),
    }
}

fn values(a: Vec<Val>) -> Result<Val, String> {
    let m = first(a)?;
    if m.is_unknown() {
        return Ok(Val::unknown(Type::Dynamic));
    }
    match &m.ty {
        Type::Object { .. } => Ok(tuple(elems(m))),
        Type::Map(e) => {
            let e = (**e).clone();
            list(elems(m), e)
        }
        _ => Err("values() requires a map as the first argument".into()),
    }
}

fn length(a: Vec<Val>) -> Result<Val, String> {
    let v = first(a)?;
    if v.is_unknown() {
        return Ok(Val::unknown(Type::Number));
    }
    Ok(Val::int(match &v.v {
        Value::String(x) => unicode_segmentation::UnicodeSegmentation::graphemes(x.as_str(), true).count(),
        Value::List(x) | Value::Set(x) | Value::Tuple(x) => x.len(),
        Value::Map(m) | Value::Object(m) => m.len(),
        _ => return Err("argument must be a string, a collection type, or a structural type".into()),
    } as i64))
}

fn lookup(a: Vec<Val>) -> Result<Val, String> {
    if a.len() > 3 {
        return Err("lookup() takes no more than three arguments".into());
    }
    let mut a = a.into_iter();
    let m = a.next().ok_or("a map is required")?;
    let key = a.next().map(|k| s(&k).to_string()).unwrap_or_default();
    let default = a.next();
    if !matches!(m.ty, Type::Map(_) | Type::Object { .. }) {
        return Err("the first argument must be a map or object".into());
    }
    if m.is_unknown() || default.as_ref().is_some_and(Val::is_unknown) {
        return Ok(Val::unknown(Type::Dynamic));
    }
    let ty = m.ty.clone();
    let result = match m.v {
        Value::Map(mut x) | Value::Object(mut x) => x.remove(&key).map(|v| Val::of(v, types::member_type(&ty, &key))),
        _ => None,
    };
    match (result, default) {
        (Some(v), Some(d)) => {
            let t = unify(&[v.ty.clone(), d.ty.clone()]).unwrap_or(v.ty.clone());
            convert(v, &t)
        }
        (Some(v), None) => Ok(v),
        (None, Some(d)) => match &ty {
            Type::Map(e) => convert(d, e),
            _ => Ok(d),
        },
        (None, None) => Err(format!("lookup failed to find key {key:?}")),
    }
}

fn matchkeys(a: Vec<Val>) -> Result<Val, String> {
    let mut a = a.into_iter();
    let vals = a.next().ok_or("values are required")?;
    let keys = elems(a.next().ok_or("keys are required")?);
    let search = elems(a.next().ok_or("a searchset is required")?);
    let e = types::element_type(&vals.ty, 0);
    let vs = elems(vals);
    if vs.len() != keys.len() {
        return Err("length of keys and values should be equal".into());
    }
    let out = vs.into_iter().zip(keys).filter(|(_, k)| search.iter().any(|s| same(k, s))).map(|(v, _)| v).collect();
    list(out, e)
}

fn merge(a: Vec<Val>) -> Result<Val, String> {
    let given: Vec<Val> = a.into_iter().filter(|v| !v.is_null()).collect();
    for v in &given {
        if !matches!(v.ty, Type::Map(_) | Type::Object { .. } | Type::Dynamic) {
            return Err(format!("arguments must be maps or objects, got {}", types::name(&v.ty)));
        }
    }
    let maps = !given.is_empty() && given.iter().all(|v| matches!(v.ty, Type::Map(_)));
    if given.iter().any(Val::is_unknown) {
        return Ok(Val::unknown(Type::Dynamic));
    }
    let mut out: BTreeMap<String, Val> = BTreeMap::new();
    for v in given {
        let ty = v.ty.clone();
        if let Value::Map(m) | Value::Object(m) = v.v {
            for (k, x) in m {
                let t = types::member_type(&ty, &k);
                out.insert(k, Val::of(x, t));
            }
        }
    }
    if maps { types::map(out.into_iter().collect(), &Type::Dynamic) } else { Ok(object(out)) }
}

fn one(a: Vec<Val>) -> Result<Val, String> {
    let l = first(a)?;
    if !matches!(l.ty, Type::List(_) | Type::Tuple(_) | Type::Set(_)) {
        return Err("must be a list, set, or tuple value with either zero or one elements".into());
    }
    let e = types::element_type(&l.ty, 0);
    let mut xs = elems(l);
    match xs.len() {
        0 => Ok(Val::null(e)),
        1 => xs.pop().ok_or_else(|| "no element".into()),
        _ => Err("must be a list, set, or tuple value with either zero or one elements".into()),
    }
}

fn range(a: Vec<Val>) -> Result<Val, String> {
    let nums = a.iter().map(n).collect::<Result<Vec<_>, _>>()?;
    let one = crate::lang::number::Num::from_i64(1);
    let zero = crate::lang::number::Num::zero();
    let (start, limit, step) = match nums.as_slice() {
        [l] => (zero, l.clone(), one),
        [s, l] => {
            let step = if l < s { one.neg() } else { one };
            (s.clone(), l.clone(), step)
        }
        [s, l, st] => (s.clone(), l.clone(), st.clone()),
        _ => return Err("must have one, two, or three arguments".into()),
    };
    if step.is_zero() {
        return Err("step must not be zero".into());
    }
    let down = step.is_negative();
    if (down && limit > start) || (!down && limit < start) {
        return Err(if down {
            "step must be positive for an increasing range"
        } else {
            "step must be negative for a decreasing range"
        }
        .into());
    }
    let mut out = Vec::new();
    let mut x = start;
    while (!down && x < limit) || (down && x > limit) {
        if out.len() >= 1024 {
            return Err("more than 1024 values were generated; either decrease the difference between start and end or use a smaller step".into());
        }
        out.push(Val::num(x.clone()));
        x = x.add(&step);
    }
    list(out, Type::Number)
}

fn reverse(a: Vec<Val>) -> Result<Val, String> {
    let l = first(a)?;
    if l.is_unknown() {
        return Ok(Val::unknown(l.ty));
    }
    match l.ty.clone() {
        Type::List(e) => {
            let mut xs = elems(l);
            xs.reverse();
            list(xs, *e)
        }
        Type::Tuple(_) => {
            let mut xs = elems(l);
            xs.reverse();
            Ok(tuple(xs))
        }
        Type::Set(e) => {
            let mut xs = elems(l);
            xs.reverse();
            list(xs, *e)
        }
        _ => Err("can only reverse list or tuple values".into()),
    }
}

fn set_op(a: Vec<Val>, op: fn(Vec<Val>, Vec<Val>) -> Vec<Val>) -> Result<Val, String> {
    let ty = unify(&a.iter().map(|v| types::element_type(&v.ty, 0)).collect::<Vec<_>>())
        .ok_or("given sets must all have compatible element types")?;
    let mut it = a.into_iter().map(|v| elems(v).into_iter().map(|x| convert(x, &ty)).collect::<Result<Vec<_>, _>>());
    let mut acc = it.next().ok_or("a set is required")??;
    for x in it {
        acc = op(acc, x?);
    }
    seq(acc, &ty, true)
}

fn setproduct(a: Vec<Val>) -> Result<Val, String> {
    if a.len() < 2 {
        return Err("at least two arguments are required".into());
    }
    let sets = a.iter().all(|v| matches!(v.ty, Type::Set(_)));
    let mut rows: Vec<Vec<Val>> = vec![vec![]];
    for v in a {
        let xs = elems(v);
        rows = rows.into_iter().flat_map(|r| xs.iter().map(move |x| [r.clone(), vec![x.clone()]].concat())).collect();
    }
    let tuples: Vec<Val> = rows.into_iter().map(tuple).collect();
    let ty = unify(&tuples.iter().map(|t| t.ty.clone()).collect::<Vec<_>>()).unwrap_or(Type::Dynamic);
    seq(tuples, &ty, sets)
}

fn slice(a: Vec<Val>) -> Result<Val, String> {
    let start = int(&a[1], "start_index")?;
    let end = int(&a[2], "end_index")?;
    let l = first(a)?;
    let ty = l.ty.clone();
    if l.is_unknown() {
        return Ok(Val::unknown(ty));
    }
    if !matches!(ty, Type::List(_) | Type::Tuple(_)) {
        return Err("must be a list or tuple value".into());
    }
    let xs = elems(l);
    if start < 0 {
        return Err("invalid value for \"start_index\": must be greater than or equal to zero".into());
    }
    if end as usize > xs.len() || end < 0 {
        return Err("invalid value for \"end_index\": must be less than or equal to the length of the input".into());
    }
    if start > end {
        return Err("invalid value for \"start_index\": must be less than or equal to end_index".into());
    }
    let part: Vec<Val> = xs.into_iter().skip(start as usize).take((end - start) as usize).collect();
    match ty {
        Type::List(e) => list(part, *e),
        _ => Ok(tuple(part)),
    }
}

fn transpose(a: Vec<Val>) -> Result<Val, String> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Value::Map(m) = first(a)?.v {
        for (k, l) in m {
            let Value::List(xs) = l else { continue };
            for x in xs {
                match x {
                    Value::String(s) => out.entry(s).or_default().push(k.clone()),
                    _ => return Err("input must be a map of lists of strings".into()),
                }
            }
        }
    }
    let elems: Vec<(String, Val)> = out.into_iter().map(|(k, v)| (k, str_list(v))).collect();
    types::map(elems, &Type::list(Type::String))
}

fn zipmap(a: Vec<Val>) -> Result<Val, String> {
    let mut a = a.into_iter();
    let keys = strings(a.next().ok_or("keys are required")?, "keys")?;
    let vals = a.next().ok_or("values are required")?;
    let tuple_values = matches!(vals.ty, Type::Tuple(_));
    if !matches!(vals.ty, Type::List(_) | Type::Tuple(_)) {
        return Err("values must be a list or tuple".into());
    }
    let e = types::element_type(&vals.ty, 0);
    let vs = elems(vals);
    if keys.len() != vs.len() {
        return Err(format!("number of keys ({}) does not match number of values ({})", keys.len(), vs.len()));
    }
    let pairs: BTreeMap<String, Val> = keys.into_iter().zip(vs).collect();
    if tuple_values { Ok(object(pairs)) } else { types::map(pairs.into_iter().collect(), &e) }
}
