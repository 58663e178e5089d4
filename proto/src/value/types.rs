//! cty types: what a value's shape is, and their JSON form as used in schemas,
//! in `dynamic` values and in state files.
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use crate::Error;

/// A cty type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    String,
    Number,
    Bool,
    /// Any type; values carry their concrete type on the wire.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object {
        attrs: BTreeMap<String, Type>,
        optional: BTreeSet<String>,
    },
    Tuple(Vec<Type>),
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }
    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }
    /// An object type with no optional attributes.
    pub fn object<I: IntoIterator<Item = (S, Type)>, S: Into<String>>(attrs: I) -> Type {
        Type::Object { attrs: attrs.into_iter().map(|(k, v)| (k.into(), v)).collect(), optional: BTreeSet::new() }
    }

    /// The type as cty's JSON: `"string"`, `["list","string"]`, `["object",{..}]`.
    pub fn to_json(&self) -> Json {
        match self {
            Type::String => Json::from("string"),
            Type::Number => Json::from("number"),
            Type::Bool => Json::from("bool"),
            Type::Dynamic => Json::from("dynamic"),
            Type::List(t) => Json::Array(vec!["list".into(), t.to_json()]),
            Type::Set(t) => Json::Array(vec!["set".into(), t.to_json()]),
            Type::Map(t) => Json::Array(vec!["map".into(), t.to_json()]),
            Type::Tuple(ts) => Json::Array(vec!["tuple".into(), Json::Array(ts.iter().map(Type::to_json).collect())]),
            Type::Object { attrs, optional } => {
                let obj = attrs.iter().map(|(k, t)| (k.clone(), t.to_json())).collect();
                let mut out = vec!["object".into(), Json::Object(obj)];
                if !optional.is_empty() {
                    out.push(Json::Array(optional.iter().map(|s| Json::from(s.as_str())).collect()));
                }
                Json::Array(out)
            }
        }
    }

    /// The JSON bytes used in `Schema.Attribute.type`.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }

    /// Parses cty's JSON type form.
    pub fn from_json(j: &Json) -> Result<Type, Error> {
        let bad = || Error::Type(format!("invalid cty type {j}"));
        match j {
            Json::String(s) => match s.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                _ => Err(bad()),
            },
            Json::Array(parts) => {
                let kind = parts.first().and_then(Json::as_str).ok_or_else(bad)?;
                let arg = parts.get(1).ok_or_else(bad)?;
                match kind {
                    "list" => Ok(Type::list(Type::from_json(arg)?)),
                    "set" => Ok(Type::set(Type::from_json(arg)?)),
                    "map" => Ok(Type::map(Type::from_json(arg)?)),
                    "tuple" => Ok(Type::Tuple(
                        arg.as_array().ok_or_else(bad)?.iter().map(Type::from_json).collect::<Result<_, _>>()?,
                    )),
                    "object" => {
                        let attrs = arg
                            .as_object()
                            .ok_or_else(bad)?
                            .iter()
                            .map(|(k, v)| Ok((k.clone(), Type::from_json(v)?)))
                            .collect::<Result<_, Error>>()?;
                        let optional = match parts.get(2) {
                            Some(Json::Array(names)) => names
                                .iter()
                                .map(|n| n.as_str().map(str::to_owned).ok_or_else(bad))
                                .collect::<Result<_, _>>()?,
                            Some(_) => return Err(bad()),
                            None => BTreeSet::new(),
                        };
                        Ok(Type::Object { attrs, optional })
                    }
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        }
    }

    pub fn from_json_bytes(b: &[u8]) -> Result<Type, Error> {
        let j: Json = serde_json::from_slice(b).map_err(|e| Error::Type(e.to_string()))?;
        Type::from_json(&j)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_json_round_trips() {
        let t = Type::Object {
            attrs: [
                ("a".to_string(), Type::list(Type::String)),
                ("b".to_string(), Type::Tuple(vec![Type::Number, Type::Dynamic])),
                ("c".to_string(), Type::map(Type::set(Type::Bool))),
            ]
            .into(),
            optional: ["c".to_string()].into(),
        };
        let j = t.to_json();
        assert_eq!(
            j.to_string(),
            r#"["object",{"a":["list","string"],"b":["tuple",["number","dynamic"]],"c":["map",["set","bool"]]},["c"]]"#
        );
        assert_eq!(Type::from_json(&j).unwrap(), t);
        assert!(Type::from_json_bytes(br#""strin""#).is_err());
    }
}
