//! YAML as Terraform writes and reads it: `yamlencode` in go-cty-yaml's
//! block style (strings double-quoted, multi-line strings as literal
//! blocks, sequences in mappings not indented); `yamldecode` through
//! yaml-rust2, typed as objects and tuples.
use std::collections::BTreeMap;

use tfplugin::{Type, Value};
use yaml_rust2::{Yaml, YamlLoader};

use crate::lang::Val;
use crate::lang::expr::{object, tuple};
use crate::lang::number::Num;

/// `yamlencode(v)`.
pub fn encode(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Map(m) | Value::Object(m) if !m.is_empty() => map(m, 0, &mut out, false),
        Value::List(x) | Value::Set(x) | Value::Tuple(x) if !x.is_empty() => seq(x, 0, &mut out, false),
        other => {
            out.push_str(&scalar(other, 0));
            out.push('\n');
        }
    }
    out
}

fn map(m: &BTreeMap<String, Value>, ind: usize, out: &mut String, mut inline: bool) {
    for (k, x) in m {
        if !inline {
            out.push_str(&" ".repeat(ind));
        }
        inline = false;
        out.push_str(&quoted(k));
        out.push(':');
        match x {
            Value::Map(m) | Value::Object(m) if !m.is_empty() => {
                out.push('\n');
                map(m, ind + 2, out, false);
            }
            Value::List(xs) | Value::Set(xs) | Value::Tuple(xs) if !xs.is_empty() => {
                out.push('\n');
                seq(xs, ind, out, false);
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other, ind));
                out.push('\n');
            }
        }
    }
}

fn seq(xs: &[Value], ind: usize, out: &mut String, mut inline: bool) {
    for x in xs {
        if !inline {
            out.push_str(&" ".repeat(ind));
        }
        inline = false;
        out.push_str("- ");
        match x {
            Value::Map(m) | Value::Object(m) if !m.is_empty() => map(m, ind + 2, out, true),
            Value::List(ys) | Value::Set(ys) | Value::Tuple(ys) if !ys.is_empty() => seq(ys, ind + 2, out, true),
            other => {
                out.push_str(&scalar(other, ind));
                out.push('\n');
            }
        }
    }
}

fn scalar(v: &Value, ind: usize) -> String {
    match v {
        Value::Null | Value::Unknown(_) => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => Num::from_number(n).map(|n| n.to_string()).unwrap_or_default(),
        Value::String(s) if s.contains('\n') && !s.starts_with(' ') && s.chars().all(|c| c == '\n' || !c.is_control()) => {
            literal(s, ind + 2)
        }
        Value::String(s) => quoted(s),
        Value::Map(_) | Value::Object(_) => "{}".into(),
        _ => "[]".into(),
    }
}

/// A literal block (`|`, `|-` or `|+` for its trailing line breaks).
fn literal(s: &str, ind: usize) -> String {
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let pad = " ".repeat(ind);
    let mut out = format!("|{chomp}");
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    for _ in 1..trailing {
        out.push('\n');
    }
    out
}

/// A double-quoted YAML string.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02X}", c as u32)),
            '\u{feff}' => out.push_str("\\uFEFF"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `yamldecode(src)`.
pub fn decode(src: &str) -> Result<Val, String> {
    let docs = YamlLoader::load_from_str(src).map_err(|e| format!("on line {}: {e}", e.marker().line()))?;
    match docs.len() {
        0 => Ok(Val::null(Type::Dynamic)),
        1 => from_yaml(docs.into_iter().next().unwrap_or(Yaml::Null)),
        _ => Err("the given YAML document contains more than one document".into()),
    }
}

fn from_yaml(y: Yaml) -> Result<Val, String> {
    Ok(match y {
        Yaml::Null | Yaml::BadValue => Val::null(Type::Dynamic),
        Yaml::Boolean(b) => Val::bool(b),
        Yaml::Integer(i) => Val::int(i),
        Yaml::Real(r) => {
            let text = r.trim_start_matches('+');
            Num::parse(text).map(Val::num).ok_or_else(|| format!("cannot represent {r:?} as a number"))?
        }
        Yaml::String(s) => Val::string(s),
        Yaml::Array(a) => tuple(a.into_iter().map(from_yaml).collect::<Result<_, _>>()?),
        Yaml::Hash(h) => {
            let mut m = BTreeMap::new();
            for (k, v) in h {
                let key = match k {
                    Yaml::String(s) => s,
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::Real(r) => r,
                    Yaml::Boolean(b) => b.to_string(),
                    Yaml::Null => "null".into(),
                    _ => return Err("only scalar mapping keys are supported".into()),
                };
                m.insert(key, from_yaml(v)?);
            }
            object(m)
        }
        Yaml::Alias(_) => return Err("YAML aliases are not supported".into()),
    })
}
