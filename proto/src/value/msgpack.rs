//! The msgpack wire form of cty values (`DynamicValue.msgpack`), including
//! unknowns as extension 0 and refined unknowns as extension 12.
use std::collections::BTreeMap;

use rmpv::Value as Mp;

use super::{Number, Refinements, Type, Value, infer_type};
use crate::Error;

const EXT_UNKNOWN: i8 = 0;
const EXT_REFINED: i8 = 12;

/// Encodes `v` as msgpack following type `ty`.
pub fn encode_msgpack(v: &Value, ty: &Type) -> Result<Vec<u8>, Error> {
    let mp = to_mp(v, ty, &mut Vec::new())?;
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &mp).map_err(|e| Error::Encode(e.to_string()))?;
    Ok(out)
}

/// Decodes msgpack bytes following type `ty`. Empty input is null.
pub fn decode_msgpack(b: &[u8], ty: &Type) -> Result<Value, Error> {
    if b.is_empty() {
        return Ok(Value::Null);
    }
    let mut rd = b;
    let mp = rmpv::decode::read_value(&mut rd).map_err(|e| Error::Decode(e.to_string()))?;
    from_mp(&mp, ty, &mut Vec::new())
}

fn path_err(path: &[String], msg: impl std::fmt::Display) -> Error {
    if path.is_empty() { Error::Decode(msg.to_string()) } else { Error::Decode(format!("{}: {msg}", path.join("."))) }
}

fn number_to_mp(n: &Number) -> Mp {
    match n {
        Number::Int(i) => Mp::from(*i),
        Number::Float(f) => Mp::F64(*f),
        Number::Decimal(s) => Mp::from(s.as_str()),
    }
}

fn unknown_to_mp(r: &Refinements) -> Result<Mp, Error> {
    if r.is_empty() {
        return Ok(Mp::Ext(EXT_UNKNOWN, vec![0]));
    }
    let mut m = Vec::new();
    if let Some(n) = r.nullable {
        m.push((Mp::from(1), Mp::Boolean(n)));
    }
    if let Some(p) = &r.string_prefix {
        m.push((Mp::from(2), Mp::from(p.as_str())));
    }
    for (key, bound) in [(3, &r.number_lower), (4, &r.number_upper)] {
        if let Some((n, inclusive)) = bound {
            m.push((Mp::from(key), Mp::Array(vec![number_to_mp(n), Mp::Boolean(*inclusive)])));
        }
    }
    for (key, len) in [(5, r.length_min), (6, r.length_max)] {
        if let Some(l) = len {
            m.push((Mp::from(key), Mp::from(l)));
        }
    }
    let mut payload = Vec::new();
    rmpv::encode::write_value(&mut payload, &Mp::Map(m)).map_err(|e| Error::Encode(e.to_string()))?;
    Ok(Mp::Ext(EXT_REFINED, payload))
}

fn to_mp(v: &Value, ty: &Type, path: &mut Vec<String>) -> Result<Mp, Error> {
    let mismatch =
        |path: &[String]| Error::Encode(format!("{}: value {v:?} does not fit type {}", path.join("."), ty.to_json()));
    match (v, ty) {
        (Value::Null, _) => Ok(Mp::Nil),
        (Value::Unknown(r), _) => unknown_to_mp(r),
        (_, Type::Dynamic) => {
            let concrete = infer_type(v);
            let inner = to_mp(v, &concrete, path)?;
            Ok(Mp::Array(vec![Mp::Binary(concrete.to_json_bytes()), inner]))
        }
        (Value::Bool(b), Type::Bool) => Ok(Mp::Boolean(*b)),
        (Value::Number(n), Type::Number) => Ok(number_to_mp(n)),
        (Value::String(s), Type::String) => Ok(Mp::from(s.as_str())),
        (Value::List(items) | Value::Set(items) | Value::Tuple(items), Type::List(et) | Type::Set(et)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                out.push(to_mp(item, et, path)?);
                path.pop();
            }
            Ok(Mp::Array(out))
        }
        (Value::List(items) | Value::Tuple(items), Type::Tuple(ts)) if items.len() == ts.len() => {
            let mut out = Vec::with_capacity(items.len());
            for (i, (item, t)) in items.iter().zip(ts).enumerate() {
                path.push(i.to_string());
                out.push(to_mp(item, t, path)?);
                path.pop();
            }
            Ok(Mp::Array(out))
        }
        (Value::Map(m) | Value::Object(m), Type::Map(et)) => {
            let mut out = Vec::with_capacity(m.len());
            for (k, item) in m {
                path.push(k.clone());
                out.push((Mp::from(k.as_str()), to_mp(item, et, path)?));
                path.pop();
            }
            Ok(Mp::Map(out))
        }
        (Value::Object(m) | Value::Map(m), Type::Object { attrs, .. }) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(Error::Encode(format!("{}: unexpected attribute {extra:?}", path.join("."))));
            }
            let mut out = Vec::with_capacity(attrs.len());
            for (k, t) in attrs {
                path.push(k.clone());
                let item = m.get(k).unwrap_or(&Value::Null);
                out.push((Mp::from(k.as_str()), to_mp(item, t, path)?));
                path.pop();
            }
            Ok(Mp::Map(out))
        }
        _ => Err(mismatch(path)),
    }
}

fn mp_number(mp: &Mp) -> Option<Number> {
    match mp {
        Mp::Integer(i) => Some(match i.as_i64() {
            Some(i) => Number::Int(i),
            None => Number::Decimal(i.to_string()),
        }),
        Mp::F64(f) => Some(Number::from_f64(*f)),
        Mp::F32(f) => Some(Number::from_f64(f64::from(*f))),
        Mp::String(s) => {
            let s = s.as_str()?;
            match s.parse::<i64>() {
                Ok(i) => Some(Number::Int(i)),
                Err(_) => s.parse::<f64>().ok().map(|_| Number::Decimal(s.to_string())),
            }
        }
        _ => None,
    }
}

fn refinements(payload: &[u8]) -> Refinements {
    let mut r = Refinements::default();
    let mut rd = payload;
    let Ok(Mp::Map(entries)) = rmpv::decode::read_value(&mut rd) else {
        return r;
    };
    for (k, v) in entries {
        let bound = |v: &Mp| match v {
            Mp::Array(a) if a.len() == 2 => Some((mp_number(&a[0])?, a[1].as_bool().unwrap_or(false))),
            _ => None,
        };
        match k.as_i64() {
            Some(1) => r.nullable = v.as_bool(),
            Some(2) => r.string_prefix = v.as_str().map(str::to_owned),
            Some(3) => r.number_lower = bound(&v),
            Some(4) => r.number_upper = bound(&v),
            Some(5) => r.length_min = v.as_u64(),
            Some(6) => r.length_max = v.as_u64(),
            // Refinements we do not know are ignored, as the protocol asks.
            _ => {}
        }
    }
    r
}

fn from_mp(mp: &Mp, ty: &Type, path: &mut Vec<String>) -> Result<Value, Error> {
    match (mp, ty) {
        (Mp::Nil, _) => Ok(Value::Null),
        // Any extension code is an unknown; only 12 carries refinements.
        (Mp::Ext(code, payload), _) => Ok(Value::Unknown(Box::new(if *code == EXT_REFINED {
            refinements(payload)
        } else {
            Refinements::default()
        }))),
        (Mp::Array(pair), Type::Dynamic) if pair.len() == 2 => {
            let tb = match &pair[0] {
                Mp::Binary(b) => b.as_slice(),
                Mp::String(s) => s.as_bytes(),
                _ => return Err(path_err(path, "dynamic value without a type")),
            };
            let concrete = Type::from_json_bytes(tb)?;
            from_mp(&pair[1], &concrete, path)
        }
        (_, Type::Dynamic) => Err(path_err(path, "dynamic value must be [type, value]")),
        (Mp::Boolean(b), Type::Bool) => Ok(Value::Bool(*b)),
        (_, Type::Number) => {
            mp_number(mp).map(Value::Number).ok_or_else(|| path_err(path, format!("expected a number, got {mp}")))
        }
        (Mp::String(s), Type::String) => {
            s.as_str().map(Value::string).ok_or_else(|| path_err(path, "string is not valid UTF-8"))
        }
        (Mp::Array(items), Type::List(et) | Type::Set(et)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                out.push(from_mp(item, et, path)?);
                path.pop();
            }
            Ok(if matches!(ty, Type::Set(_)) { Value::Set(out) } else { Value::List(out) })
        }
        (Mp::Array(items), Type::Tuple(ts)) => {
            if items.len() != ts.len() {
                return Err(path_err(path, format!("tuple needs {} elements, got {}", ts.len(), items.len())));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, (item, t)) in items.iter().zip(ts).enumerate() {
                path.push(i.to_string());
                out.push(from_mp(item, t, path)?);
                path.pop();
            }
            Ok(Value::Tuple(out))
        }
        (Mp::Map(entries), Type::Map(et)) => {
            let mut out = BTreeMap::new();
            for (k, item) in entries {
                let k = k.as_str().ok_or_else(|| path_err(path, "map key is not a string"))?;
                path.push(k.to_string());
                out.insert(k.to_string(), from_mp(item, et, path)?);
                path.pop();
            }
            Ok(Value::Map(out))
        }
        (Mp::Map(entries), Type::Object { attrs, optional }) => {
            let mut out = BTreeMap::new();
            for (k, item) in entries {
                let k = k.as_str().ok_or_else(|| path_err(path, "attribute name is not a string"))?;
                let t = attrs.get(k).ok_or_else(|| path_err(path, format!("unsupported attribute {k:?}")))?;
                path.push(k.to_string());
                out.insert(k.to_string(), from_mp(item, t, path)?);
                path.pop();
            }
            if let Some(missing) = attrs.keys().find(|k| !out.contains_key(*k) && !optional.contains(*k)) {
                return Err(path_err(
                    path,
                    format!("an object with {} attributes is required; {missing:?} is missing", attrs.len()),
                ));
            }
            for k in attrs.keys() {
                out.entry(k.clone()).or_insert(Value::Null);
            }
            Ok(Value::Object(out))
        }
        _ => Err(path_err(path, format!("value {mp} does not fit type {}", ty.to_json()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(v: Value, ty: Type) {
        let b = encode_msgpack(&v, &ty).unwrap();
        assert_eq!(decode_msgpack(&b, &ty).unwrap(), v, "bytes {b:02x?}");
    }

    fn everything() -> Type {
        Type::object([
            ("s", Type::String),
            ("n", Type::Number),
            ("b", Type::Bool),
            ("l", Type::list(Type::String)),
            ("set", Type::set(Type::Number)),
            ("m", Type::map(Type::Bool)),
            ("t", Type::Tuple(vec![Type::String, Type::Number])),
            ("o", Type::object([("inner", Type::list(Type::object([("x", Type::String)])))])),
            ("d", Type::Dynamic),
        ])
    }

    #[test]
    fn every_type_round_trips() {
        let v = Value::object([
            ("s", Value::string("héllo")),
            ("n", Value::Number(Number::Float(1.5))),
            ("b", Value::Bool(true)),
            ("l", Value::List(vec!["a".into(), Value::Null])),
            ("set", Value::Set(vec![Value::int(1), Value::int(-7)])),
            ("m", Value::Map([("k".to_string(), Value::Bool(false))].into())),
            ("t", Value::Tuple(vec!["x".into(), Value::int(i64::MAX)])),
            ("o", Value::object([("inner", Value::List(vec![Value::object([("x", Value::string("y"))])]))])),
            ("d", Value::object([("k", Value::List(vec![Value::string("v")]))])),
        ]);
        round_trip(v, everything());
    }

    #[test]
    fn nulls_and_unknowns_round_trip_everywhere() {
        let mut v = Value::null_object(&everything());
        v.set_attr("s", Value::unknown());
        v.set_attr("d", Value::unknown());
        v.set_attr("l", Value::List(vec![Value::unknown(), Value::Null]));
        v.set_attr("o", Value::object([("inner", Value::unknown())]));
        round_trip(v, everything());
        round_trip(Value::Null, everything());
        round_trip(Value::unknown(), everything());
    }

    #[test]
    fn unknown_is_written_exactly_as_go_cty_does() {
        assert_eq!(encode_msgpack(&Value::unknown(), &Type::String).unwrap(), vec![0xd4, 0, 0]);
        assert_eq!(encode_msgpack(&Value::Null, &Type::String).unwrap(), vec![0xc0]);
    }

    #[test]
    fn refined_unknowns_round_trip_and_decode_terraforms_bytes() {
        // What Terraform 1.11 sends for "definitely not null": ext 12, {1: false}.
        let tf = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2];
        let v = decode_msgpack(&tf, &Type::String).unwrap();
        let want = Refinements { nullable: Some(false), ..Default::default() };
        assert_eq!(v, Value::Unknown(Box::new(want)));
        let full = Refinements {
            nullable: Some(false),
            string_prefix: Some("https://".into()),
            number_lower: Some((Number::Int(1), true)),
            number_upper: Some((Number::Float(9.5), false)),
            length_min: Some(1),
            length_max: Some(10),
        };
        round_trip(Value::Unknown(Box::new(full)), Type::String);
        // Unknown extension codes are unknowns too; unknown refinement keys are ignored.
        assert!(decode_msgpack(&[0xd4, 0x05, 0x00], &Type::Bool).unwrap().is_unknown());
        let odd = [0xc7, 0x03, 0x0c, 0x81, 0x63, 0xc3];
        assert_eq!(decode_msgpack(&odd, &Type::Bool).unwrap(), Value::unknown());
    }

    #[test]
    fn numbers_keep_precision() {
        round_trip(Value::Number(Number::Decimal("12345678901234567890123".into())), Type::Number);
        round_trip(Value::int(-42), Type::Number);
        round_trip(Value::Number(Number::Float(0.1)), Type::Number);
    }

    #[test]
    fn dynamic_carries_its_type() {
        let b = encode_msgpack(&Value::string("hi"), &Type::Dynamic).unwrap();
        assert_eq!(&b[..3], &[0x92, 0xc4, 0x08]); // [bin8 len 8 = "\"string\"", ...]
        assert_eq!(decode_msgpack(&b, &Type::Dynamic).unwrap(), Value::string("hi"));
    }

    #[test]
    fn missing_attribute_is_an_error() {
        let ty = Type::object([("a", Type::String), ("b", Type::String)]);
        let mut b = Vec::new();
        rmpv::encode::write_value(&mut b, &Mp::Map(vec![(Mp::from("a"), Mp::from("x"))])).unwrap();
        let err = decode_msgpack(&b, &ty).unwrap_err().to_string();
        assert!(err.contains("\"b\" is missing"), "{err}");
    }
}
