//! Numeric functions over Terraform's numbers: `abs`, `ceil`, `floor`,
//! `max`, `min`, `sum` exactly; `log` and `pow` at float precision, as cty
//! computes them; `parseint` in bases 2 to 62; `signum`.
use num_bigint::BigInt;
use num_traits::{Num as _, Zero};

use super::{P, Spec, elems, f, fv, n, p};
use crate::lang::Val;
use crate::lang::number::Num;

const NUM: super::Param = p("num", P::Num);

pub const SPECS: &[Spec] = &[
    f("abs", &[NUM], Some(P::Num), |a| Ok(Val::num(n(&a[0])?.abs()))),
    f("ceil", &[NUM], Some(P::Num), |a| Ok(Val::num(n(&a[0])?.ceil()))),
    f("floor", &[NUM], Some(P::Num), |a| Ok(Val::num(n(&a[0])?.floor()))),
    f("signum", &[NUM], Some(P::Num), |a| {
        let x = n(&a[0])?;
        if !x.is_integer() || x.to_i64().is_none() {
            return Err("value must be a whole number, between -9223372036854775808 and 9223372036854775807".into());
        }
        Ok(Val::int(if x.is_zero() {
            0
        } else if x.is_negative() {
            -1
        } else {
            1
        }))
    }),
    fv("max", &[], p("numbers", P::Num), Some(P::Num), |a| extreme(a, true)),
    fv("min", &[], p("numbers", P::Num), Some(P::Num), |a| extreme(a, false)),
    f("log", &[NUM, p("base", P::Num)], Some(P::Num), |a| {
        let (x, b) = (float(&a[0])?, float(&a[1])?);
        float_result(x.ln() / b.ln())
    }),
    f("pow", &[NUM, p("power", P::Num)], Some(P::Num), |a| float_result(float(&a[0])?.powf(float(&a[1])?))),
    f("parseint", &[p("number", P::Any), p("base", P::Num)], Some(P::Num), parseint),
    f("sum", &[p("list", P::Any)], Some(P::Num), sum),
];

fn float(v: &Val) -> Result<f64, String> {
    n(v)?.to_f64().ok_or_else(|| "the number is out of range".into())
}

fn float_result(x: f64) -> Result<Val, String> {
    if x.is_infinite() {
        // cty keeps infinities; Terraform cannot print them.
        return Err("the result is infinite".into());
    }
    Num::from_f64(x).map(Val::num).ok_or_else(|| "the result is not a number".into())
}

fn extreme(a: Vec<Val>, max: bool) -> Result<Val, String> {
    let mut best: Option<Num> = None;
    for v in &a {
        let x = n(v)?;
        best = Some(match best {
            Some(b) if (max && b >= x) || (!max && b <= x) => b,
            _ => x,
        });
    }
    best.map(Val::num).ok_or_else(|| "must pass at least one number".into())
}

fn parseint(a: Vec<Val>) -> Result<Val, String> {
    let tfplugin::Value::String(text) = &a[0].v else {
        return Err("invalid value for \"number\" parameter: a string is required".into());
    };
    let base = super::int(&a[1], "base")?;
    if !(2..=62).contains(&base) {
        return Err("invalid value for \"base\" parameter: the base must be between 2 and 62 inclusive".into());
    }
    let (neg, digits) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let parsed = if base <= 36 {
        BigInt::from_str_radix(digits, base as u32).ok().filter(|_| !digits.is_empty())
    } else {
        base62(digits, base as u32)
    };
    let v = parsed.ok_or_else(|| format!("cannot parse {text:?} as a base {base} integer"))?;
    let v = if neg { -v } else { v };
    Num::parse(&v.to_string()).map(Val::num).ok_or_else(|| "the number is out of range".into())
}

/// Go's digits above base 36: 0-9, a-z, then A-Z.
fn base62(digits: &str, base: u32) -> Option<BigInt> {
    if digits.is_empty() {
        return None;
    }
    let mut v = BigInt::zero();
    for c in digits.chars() {
        let d = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 10,
            'A'..='Z' => c as u32 - 'A' as u32 + 36,
            _ => return None,
        };
        if d >= base {
            return None;
        }
        v = v * base + d;
    }
    Some(v)
}

fn sum(a: Vec<Val>) -> Result<Val, String> {
    let v = a.into_iter().next().ok_or("a list is required")?;
    if !matches!(v.ty, tfplugin::Type::List(_) | tfplugin::Type::Set(_) | tfplugin::Type::Tuple(_)) {
        return Err("argument must be list, set, or tuple".into());
    }
    let xs = elems(v);
    if xs.is_empty() {
        return Err("cannot sum an empty list".into());
    }
    let mut total: Option<Num> = None;
    for (i, x) in xs.into_iter().enumerate() {
        if x.is_null() {
            return Err(format!("argument element {i} is null"));
        }
        let x = crate::lang::types::convert(x, &tfplugin::Type::Number)
            .map_err(|_| "argument must be list, set, or tuple of number values".to_string())?;
        let x = n(&x)?;
        total = Some(match total {
            Some(t) => t.add(&x),
            None => x,
        });
    }
    total.map(Val::num).ok_or_else(|| "cannot sum an empty list".into())
}
