//! Encoding functions: base64 (text, gzip, other character sets), CSV,
//! JSON and YAML in both directions, and URL query escaping. JSON is
//! written as Terraform writes it: compact, keys sorted, `<>&` escaped,
//! numbers at full precision.
use std::collections::BTreeMap;
use std::io::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tfplugin::{Type, Value};

use super::{P, Spec, f, p, s, yaml};
use crate::lang::Val;
use crate::lang::expr::{object, tuple};
use crate::lang::number::Num;
use crate::lang::types;

const STR: super::Param = p("str", P::Str);

pub const SPECS: &[Spec] = &[
    f("base64encode", &[STR], Some(P::Str), |a| Ok(Val::string(STANDARD.encode(s(&a[0]))))),
    f("base64decode", &[STR], Some(P::Str), |a| {
        let bytes = STANDARD.decode(s(&a[0])).map_err(|_| format!("failed to decode base64 data {:?}", s(&a[0])))?;
        String::from_utf8(bytes)
            .map(Val::string)
            .map_err(|_| "the result of decoding the provided string is not valid UTF-8".into())
    }),
    f("base64gzip", &[STR], Some(P::Str), |a| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(s(&a[0]).as_bytes()).map_err(|e| e.to_string())?;
        Ok(Val::string(STANDARD.encode(gz.finish().map_err(|e| e.to_string())?)))
    }),
    f("textencodebase64", &[p("string", P::Str), p("encoding", P::Str)], Some(P::Str), |a| {
        Ok(Val::string(STANDARD.encode(text_encode(s(&a[0]), s(&a[1]))?)))
    }),
    f("textdecodebase64", &[p("source", P::Str), p("encoding", P::Str)], Some(P::Str), |a| {
        let bytes =
            STANDARD.decode(s(&a[0])).map_err(|_| "the given value has an invalid base64 symbol".to_string())?;
        text_decode(&bytes, s(&a[1])).map(Val::string)
    }),
    f("csvdecode", &[STR], None, csvdecode),
    f("jsonencode", &[p("val", P::Any).nullable()], Some(P::Str), |a| json_text(&a[0].v, &a[0].ty).map(Val::string)),
    f("jsondecode", &[STR], None, |a| {
        let j: serde_json::Value = serde_json::from_str(s(&a[0])).map_err(|e| format!("invalid JSON: {e}"))?;
        Ok(from_json(j))
    }),
    f("urlencode", &[STR], Some(P::Str), |a| Ok(Val::string(urlencode(s(&a[0]))))),
    f("yamlencode", &[p("value", P::Any).nullable()], Some(P::Str), |a| Ok(Val::string(yaml::encode(&a[0].v)))),
    f("yamldecode", &[p("src", P::Str)], None, |a| yaml::decode(s(&a[0]))),
];

/// A value as Terraform's `jsonencode` writes it.
pub fn json_text(v: &Value, ty: &Type) -> Result<String, String> {
    let mut out = String::new();
    write_json(v, ty, &mut out)?;
    Ok(out)
}

fn write_json(v: &Value, ty: &Type, out: &mut String) -> Result<(), String> {
    match v {
        Value::Unknown(_) => return Err("value is not yet known".into()),
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&Num::from_number(n).map(|n| n.to_string()).unwrap_or_default()),
        Value::String(s) => json_string(s, out),
        Value::List(x) | Value::Set(x) | Value::Tuple(x) => {
            out.push('[');
            for (i, e) in x.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(e, &types::element_type(ty, i), out)?;
            }
            out.push(']');
        }
        Value::Map(m) | Value::Object(m) => {
            out.push('{');
            for (i, (k, e)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(k, out);
                out.push(':');
                write_json(e, &types::member_type(ty, k), out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// Go's `encoding/json` string form (HTML characters escaped).
fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A decoded JSON document as Terraform types it: objects and tuples.
pub fn from_json(j: serde_json::Value) -> Val {
    match j {
        serde_json::Value::Null => Val::null(Type::Dynamic),
        serde_json::Value::Bool(b) => Val::bool(b),
        serde_json::Value::Number(n) => Num::parse(&n.to_string()).map_or(Val::null(Type::Number), Val::num),
        serde_json::Value::String(s) => Val::string(s),
        serde_json::Value::Array(a) => tuple(a.into_iter().map(from_json).collect()),
        serde_json::Value::Object(o) => object(o.into_iter().map(|(k, v)| (k, from_json(v))).collect()),
    }
}

fn csvdecode(a: Vec<Val>) -> Result<Val, String> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(s(&a[0]).as_bytes());
    let mut rows = r.records();
    let header: Vec<String> = match rows.next() {
        Some(h) => h.map_err(|e| e.to_string())?.iter().map(String::from).collect(),
        None => return Err("missing header line".into()),
    };
    let ty = Type::object(header.iter().map(|h| (h.clone(), Type::String)));
    let mut out = Vec::new();
    for (line, row) in rows.enumerate() {
        let row = row.map_err(|e| format!("on line {}: {e}", line + 2))?;
        if row.len() != header.len() {
            return Err(format!("on line {}: wrong number of fields", line + 2));
        }
        let m: BTreeMap<String, Val> =
            header.iter().cloned().zip(row.iter().map(|f| Val::string(f.to_string()))).collect();
        out.push(object(m));
    }
    super::list(out, ty)
}

/// Go's `url.QueryEscape`.
fn urlencode(x: &str) -> String {
    let mut out = String::new();
    for b in x.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn encoding(name: &str) -> Result<&'static encoding_rs::Encoding, String> {
    encoding_rs::Encoding::for_label(name.as_bytes())
        .ok_or_else(|| format!("{name:?} is not a supported IANA encoding name or alias in this Terraform version"))
}

fn text_encode(x: &str, name: &str) -> Result<Vec<u8>, String> {
    let units = |le: bool| -> Vec<u8> {
        x.encode_utf16().flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() }).collect()
    };
    match name.to_ascii_uppercase().as_str() {
        "UTF-16LE" => return Ok(units(true)),
        "UTF-16BE" | "UTF-16" => return Ok(units(false)),
        _ => {}
    }
    let (bytes, _, bad) = encoding(name)?.encode(x);
    if bad {
        return Err(format!("the given string contains characters that cannot be represented in {name}"));
    }
    Ok(bytes.into_owned())
}

fn text_decode(bytes: &[u8], name: &str) -> Result<String, String> {
    let (text, _, bad) = encoding(name)?.decode(bytes);
    if bad {
        return Err(format!("the given value is has an invalid {name} encoding"));
    }
    Ok(text.into_owned())
}
