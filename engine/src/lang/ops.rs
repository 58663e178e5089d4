//! Operators: arithmetic over Terraform's numbers, comparison, logic and
//! cty's equality (same type and same value; numbers by value).
use hcl::expr::{BinaryOperator, UnaryOperator};
use tfplugin::{Type, Value};

use super::Val;
use super::number::Num;
use super::types::convert;

/// `-x` and `!x`.
pub fn unary(op: UnaryOperator, v: Val) -> Result<Val, String> {
    let s = v.sensitive;
    match op {
        UnaryOperator::Neg => match operand(v, &Type::Number, "operand")? {
            None => Ok(Val::unknown(Type::Number).mark(s)),
            Some(n) => Ok(Val::num(num(&n)?.neg()).mark(s)),
        },
        UnaryOperator::Not => match operand(v, &Type::Bool, "operand")? {
            None => Ok(Val::unknown(Type::Bool).mark(s)),
            Some(Value::Bool(b)) => Ok(Val::bool(!b).mark(s)),
            Some(_) => Err("Invalid operand: a bool is required".into()),
        },
    }
}

/// `l op r`.
pub fn binary(op: BinaryOperator, l: Val, r: Val) -> Result<Val, String> {
    use BinaryOperator as B;
    let s = l.sensitive || r.sensitive;
    let out = match op {
        B::Eq | B::NotEq => {
            let eq = equals(&l, &r);
            match eq {
                None => Val::unknown(Type::Bool),
                Some(e) => Val::bool(e == (op == B::Eq)),
            }
        }
        B::And | B::Or => {
            let a = operand(l, &Type::Bool, "left operand")?;
            let b = operand(r, &Type::Bool, "right operand")?;
            match (a, b) {
                (Some(Value::Bool(a)), Some(Value::Bool(b))) => Val::bool(if op == B::And { a && b } else { a || b }),
                (Some(Value::Bool(a)), None) | (None, Some(Value::Bool(a))) if a == (op == B::Or) => Val::bool(a),
                _ => Val::unknown(Type::Bool),
            }
        }
        _ => {
            let a = operand(l, &Type::Number, "left operand")?;
            let b = operand(r, &Type::Number, "right operand")?;
            let ty =
                if matches!(op, B::Plus | B::Minus | B::Mul | B::Div | B::Mod) { Type::Number } else { Type::Bool };
            let (Some(a), Some(b)) = (a, b) else {
                return Ok(Val::unknown(ty).mark(s));
            };
            let (a, b) = (num(&a)?, num(&b)?);
            match op {
                B::Plus => Val::num(a.add(&b)),
                B::Minus => Val::num(a.sub(&b)),
                B::Mul => Val::num(a.mul(&b)),
                B::Div => Val::num(a.div(&b).ok_or("Error during operation: can't divide by zero")?),
                // cty answers x % 0 with x.
                B::Mod => Val::num(a.rem(&b).unwrap_or(a)),
                B::Less => Val::bool(a < b),
                B::LessEq => Val::bool(a <= b),
                B::Greater => Val::bool(a > b),
                B::GreaterEq => Val::bool(a >= b),
                // Equality and logic are answered above.
                _ => return Err("unsupported operator".into()),
            }
        }
    };
    Ok(out.mark(s))
}

/// An operand converted to `ty`: `None` when unknown.
fn operand(v: Val, ty: &Type, which: &str) -> Result<Option<Value>, String> {
    if v.is_null() {
        return Err(format!("Invalid operand: unsuitable value for {which}: argument must not be null"));
    }
    if v.is_unknown() {
        return Ok(None);
    }
    let c = convert(v, ty).map_err(|e| format!("Invalid operand: unsuitable value for {which}: {e}"))?;
    Ok(Some(c.v))
}

fn num(v: &Value) -> Result<Num, String> {
    match v {
        Value::Number(n) => Num::from_number(n).ok_or_else(|| "a number is required".into()),
        _ => Err("a number is required".into()),
    }
}

/// cty's equality: `None` when an unknown decides it.
pub fn equals(a: &Val, b: &Val) -> Option<bool> {
    if a.is_null() || b.is_null() {
        if a.is_unknown() || b.is_unknown() {
            return None;
        }
        return Some(a.is_null() && b.is_null());
    }
    if a.is_unknown() || b.is_unknown() {
        return None;
    }
    let both_dynamic = a.ty == Type::Dynamic || b.ty == Type::Dynamic;
    if !both_dynamic && !same_type(&a.ty, &b.ty) {
        return Some(false);
    }
    values_equal(&a.v, &b.v)
}

fn same_type(a: &Type, b: &Type) -> bool {
    match (a, b) {
        (Type::Object { attrs: x, .. }, Type::Object { attrs: y, .. }) => {
            x.len() == y.len() && x.iter().zip(y).all(|((k1, t1), (k2, t2))| k1 == k2 && same_type(t1, t2))
        }
        (Type::List(x), Type::List(y)) | (Type::Set(x), Type::Set(y)) | (Type::Map(x), Type::Map(y)) => {
            same_type(x, y) || **x == Type::Dynamic || **y == Type::Dynamic
        }
        (Type::Tuple(x), Type::Tuple(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_type(a, b)),
        _ => a == b,
    }
}

/// Deep equality of values of one type; `None` if an unknown decides it.
pub fn values_equal(a: &Value, b: &Value) -> Option<bool> {
    match (a, b) {
        (Value::Unknown(_), _) | (_, Value::Unknown(_)) => None,
        (Value::Null, Value::Null) => Some(true),
        (Value::Null, _) | (_, Value::Null) => Some(false),
        (Value::Number(x), Value::Number(y)) => Some(
            Num::from_number(x)
                .zip(Num::from_number(y))
                .is_some_and(|(a, b)| a.partial_cmp(&b) == Some(std::cmp::Ordering::Equal)),
        ),
        (Value::List(x) | Value::Set(x) | Value::Tuple(x), Value::List(y) | Value::Set(y) | Value::Tuple(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            all_equal(x.iter().zip(y).map(|(a, b)| values_equal(a, b)))
        }
        (Value::Map(x) | Value::Object(x), Value::Map(y) | Value::Object(y)) => {
            if x.len() != y.len() || x.keys().zip(y.keys()).any(|(a, b)| a != b) {
                return Some(false);
            }
            all_equal(x.values().zip(y.values()).map(|(a, b)| values_equal(a, b)))
        }
        _ => Some(a == b),
    }
}

fn all_equal(it: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut unknown = false;
    for e in it {
        match e {
            Some(false) => return Some(false),
            None => unknown = true,
            Some(true) => {}
        }
    }
    if unknown { None } else { Some(true) }
}
