//! The JSON form of cty values: `DynamicValue.json`, raw state in
//! UpgradeResourceState, and state files. JSON has no unknowns.
use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::{Number, Type, Value, infer_type};
use crate::Error;

/// Decodes JSON following type `ty`. Object attributes missing from the JSON
/// become null and extra attributes are ignored: state written by an older
/// schema still loads, which is what state upgrades need.
pub fn decode_json(j: &Json, ty: &Type) -> Result<Value, Error> {
    decode(j, ty, &mut Vec::new())
}

/// Encodes a wholly known value as JSON following type `ty`.
pub fn encode_json(v: &Value, ty: &Type) -> Result<Json, Error> {
    Ok(match (v, ty) {
        (Value::Null, _) => Json::Null,
        (Value::Unknown(_), _) => return Err(Error::Encode("unknown values cannot be written as JSON".into())),
        (_, Type::Dynamic) => {
            let concrete = infer_type(v);
            serde_json::json!({ "value": encode_json(v, &concrete)?, "type": concrete.to_json() })
        }
        (Value::Bool(b), _) => Json::Bool(*b),
        (Value::Number(n), _) => match n {
            Number::Int(i) => Json::from(*i),
            Number::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            Number::Decimal(s) => serde_json::from_str(s).unwrap_or_else(|_| Json::String(s.clone())),
        },
        (Value::String(s), _) => Json::String(s.clone()),
        (Value::List(items) | Value::Set(items) | Value::Tuple(items), _) => {
            let elem = |i: usize| match ty {
                Type::List(t) | Type::Set(t) => Ok((**t).clone()),
                Type::Tuple(ts) => ts.get(i).cloned().ok_or_else(|| Error::Encode("tuple too long".into())),
                _ => Err(Error::Encode(format!("sequence does not fit {}", ty.to_json()))),
            };
            Json::Array(items.iter().enumerate().map(|(i, x)| encode_json(x, &elem(i)?)).collect::<Result<_, _>>()?)
        }
        (Value::Map(m) | Value::Object(m), _) => {
            let mut out = serde_json::Map::new();
            match ty {
                Type::Map(et) => {
                    for (k, x) in m {
                        out.insert(k.clone(), encode_json(x, et)?);
                    }
                }
                Type::Object { attrs, .. } => {
                    for (k, t) in attrs {
                        out.insert(k.clone(), encode_json(m.get(k).unwrap_or(&Value::Null), t)?);
                    }
                }
                _ => return Err(Error::Encode(format!("object does not fit {}", ty.to_json()))),
            }
            Json::Object(out)
        }
    })
}

fn err(path: &[String], msg: impl std::fmt::Display) -> Error {
    Error::Decode(if path.is_empty() { msg.to_string() } else { format!("{}: {msg}", path.join(".")) })
}

fn decode(j: &Json, ty: &Type, path: &mut Vec<String>) -> Result<Value, Error> {
    let mut seq = |items: &[Json], elem: &dyn Fn(usize) -> Option<Type>| -> Result<Vec<Value>, Error> {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let t = elem(i).ok_or_else(|| err(path, "too many tuple elements"))?;
            path.push(i.to_string());
            out.push(decode(item, &t, path)?);
            path.pop();
        }
        Ok(out)
    };
    match (j, ty) {
        (Json::Null, _) => Ok(Value::Null),
        (Json::Object(o), Type::Dynamic) => {
            let t = Type::from_json(o.get("type").ok_or_else(|| err(path, "dynamic value without \"type\""))?)?;
            decode(o.get("value").unwrap_or(&Json::Null), &t, path)
        }
        (_, Type::Dynamic) => Err(err(path, "dynamic value must be {\"value\", \"type\"}")),
        (Json::Bool(b), Type::Bool) => Ok(Value::Bool(*b)),
        (Json::Number(n), Type::Number) => Ok(Value::Number(match n.as_i64() {
            Some(i) => Number::Int(i),
            None => Number::from_f64(n.as_f64().unwrap_or(f64::NAN)),
        })),
        (Json::String(s), Type::Number) => match s.parse::<f64>() {
            Ok(_) => Ok(Value::Number(Number::Decimal(s.clone()))),
            Err(_) => Err(err(path, format!("{s:?} is not a number"))),
        },
        (Json::String(s), Type::String) => Ok(Value::String(s.clone())),
        (Json::Array(a), Type::List(t)) => Ok(Value::List(seq(a, &|_| Some((**t).clone()))?)),
        (Json::Array(a), Type::Set(t)) => Ok(Value::Set(seq(a, &|_| Some((**t).clone()))?)),
        (Json::Array(a), Type::Tuple(ts)) => Ok(Value::Tuple(seq(a, &|i| ts.get(i).cloned())?)),
        (Json::Object(o), Type::Map(t)) => {
            let mut out = BTreeMap::new();
            for (k, item) in o {
                path.push(k.clone());
                out.insert(k.clone(), decode(item, t, path)?);
                path.pop();
            }
            Ok(Value::Map(out))
        }
        (Json::Object(o), Type::Object { attrs, .. }) => {
            let mut out = BTreeMap::new();
            for (k, t) in attrs {
                path.push(k.clone());
                out.insert(k.clone(), decode(o.get(k).unwrap_or(&Json::Null), t, path)?);
                path.pop();
            }
            Ok(Value::Object(out))
        }
        _ => Err(err(path, format!("{j} does not fit type {}", ty.to_json()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trips_and_tolerates_old_state() {
        let ty = Type::object([
            ("a", Type::String),
            ("n", Type::Number),
            ("d", Type::Dynamic),
            ("s", Type::set(Type::String)),
            ("t", Type::Tuple(vec![Type::Bool])),
            ("m", Type::map(Type::Number)),
        ]);
        let v = Value::object([
            ("a", Value::string("x")),
            ("n", Value::int(3)),
            ("d", Value::string("hello world")),
            ("s", Value::Set(vec!["p".into()])),
            ("t", Value::Tuple(vec![Value::Bool(true)])),
            ("m", Value::Map([("k".to_string(), Value::int(1))].into())),
        ]);
        let j = encode_json(&v, &ty).unwrap();
        assert_eq!(j["d"], serde_json::json!({"value": "hello world", "type": "string"}));
        assert_eq!(decode_json(&j, &ty).unwrap(), v);
        // Missing attributes become null, removed ones are dropped.
        let old = serde_json::json!({"a": "x", "gone": 1});
        let got = decode_json(&old, &ty).unwrap();
        assert_eq!(got.attr("a"), &Value::string("x"));
        assert!(got.attr("n").is_null());
        assert!(encode_json(&Value::unknown(), &Type::String).is_err());
    }
}
