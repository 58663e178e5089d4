//! YAML as Terraform writes and reads it: `yamlencode` in go-cty-yaml's
//! block style (strings double-quoted, multi-line strings as literal
//! blocks, sequences in mappings not indented); `yamldecode` through
//! yaml-rust2's event parser, typed as objects and tuples.
use std::collections::BTreeMap;

use tfplugin::{Type, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::lang::Val;
use crate::lang::expr::{object, tuple};
use crate::lang::number::Num;

/// `yamlencode(v)`.
pub fn encode(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Map(m) | Value::Object(m) if !m.is_empty() => map(m, 0, &mut out, false),
        Value::List(x) | Value::Set(x) | Value::Tuple(x) if !x.is_empty() => seq(x, 0, &mut out, false),
        Value::String(_) | Value::Map(_) | Value::Object(_) | Value::List(_) | Value::Set(_) | Value::Tuple(_) => {
            out.push_str(&scalar(v, 0, 0));
            out.push('\n');
        }
        // A plain top-level scalar ends its document explicitly.
        other => {
            out.push_str(&scalar(other, 0, 0));
            out.push_str("\n...\n");
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
                let col = ind + quoted(k).chars().count() + 2;
                out.push_str(&scalar(other, ind, col));
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
                out.push_str(&scalar(other, ind, ind + 2));
                out.push('\n');
            }
        }
    }
}

/// A scalar at indent `ind`, starting at column `col`.
fn scalar(v: &Value, ind: usize, col: usize) -> String {
    match v {
        Value::Null | Value::Unknown(_) => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => Num::from_number(n).map(|n| n.to_string()).unwrap_or_default(),
        Value::String(s)
            if s.contains('\n') && !s.starts_with(' ') && s.chars().all(|c| c == '\n' || !c.is_control()) =>
        {
            literal(s, ind + 2)
        }
        Value::String(s) => fold(&quoted(s), col, ind + 2),
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

/// go-yaml's folding of a double-quoted scalar: past column 80, a single
/// space becomes a line break and the continuation is indented.
fn fold(q: &str, mut col: usize, indent: usize) -> String {
    let chars: Vec<char> = q.chars().collect();
    let mut out = String::with_capacity(q.len());
    let mut prev_space = false;
    for (i, &c) in chars.iter().enumerate() {
        // The quotes are the first and last characters.
        if c == ' ' && !prev_space && col > 80 && i > 1 && i + 2 < chars.len() {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            if chars.get(i + 1) == Some(&' ') {
                out.push('\\');
            }
            col = indent;
            prev_space = true;
            continue;
        }
        prev_space = c == ' ';
        out.push(c);
        col += 1;
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

/// `yamldecode(src)`, with YAML 1.1's resolution of plain scalars
/// (`yes`, `on`, `~`, `0x1f`), as go-cty-yaml reads them.
pub fn decode(src: &str) -> Result<Val, String> {
    let mut b = Builder::default();
    Parser::new_from_str(src).load(&mut b, true).map_err(|e| format!("on line {}: {e}", e.marker().line()))?;
    if let Some(e) = b.error {
        return Err(e);
    }
    match b.docs.len() {
        0 => Ok(Val::null(Type::Dynamic)),
        1 => Ok(b.docs.pop().unwrap_or(Val::null(Type::Dynamic))),
        _ => Err("the given YAML document contains more than one document".into()),
    }
}

/// Nodes under construction: a sequence, or a mapping with its pending key.
enum Open {
    Seq(Vec<Val>),
    Map(BTreeMap<String, Val>, Option<String>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    docs: Vec<Val>,
    error: Option<String>,
}

impl Builder {
    fn add(&mut self, v: Val, key_text: Option<String>) {
        match self.stack.last_mut() {
            None => self.docs.push(v),
            Some(Open::Seq(xs)) => xs.push(v),
            Some(Open::Map(m, pending)) => match pending.take() {
                Some(k) => {
                    m.insert(k, v);
                }
                None => match key_text {
                    Some(k) => *pending = Some(k),
                    None => self.error = Some("only scalar mapping keys are supported".into()),
                },
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, _: Marker) {
        match ev {
            Event::Scalar(text, style, _, tag) => {
                let plain = style == TScalarStyle::Plain && tag.is_none();
                let v = if plain { resolve(&text) } else { Val::string(text.clone()) };
                self.add(v, Some(text));
            }
            Event::SequenceStart(..) => self.stack.push(Open::Seq(Vec::new())),
            Event::MappingStart(..) => self.stack.push(Open::Map(BTreeMap::new(), None)),
            Event::SequenceEnd | Event::MappingEnd => {
                let v = match self.stack.pop() {
                    Some(Open::Seq(xs)) => tuple(xs),
                    Some(Open::Map(m, _)) => object(m),
                    None => return,
                };
                self.add(v, None);
            }
            Event::Alias(_) => self.error = Some("YAML aliases are not supported".into()),
            _ => {}
        }
    }
}

/// A plain scalar's value under YAML 1.1.
fn resolve(t: &str) -> Val {
    match t {
        "" | "~" | "null" | "Null" | "NULL" => return Val::null(Type::Dynamic),
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => return Val::bool(true),
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Val::bool(false);
        }
        _ => {}
    }
    let digits = t.trim_start_matches(['-', '+']).replace('_', "");
    let neg = t.starts_with('-');
    let radix = |s: &str, r: u32| i64::from_str_radix(s, r).ok().map(|i| Val::int(if neg { -i } else { i }));
    let int = if let Some(h) = digits.strip_prefix("0x") {
        radix(h, 16)
    } else if let Some(b) = digits.strip_prefix("0b") {
        radix(b, 2)
    } else if digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|c| c.is_ascii_digit()) {
        radix(&digits, 8)
    } else {
        None
    };
    if let Some(v) = int {
        return v;
    }
    let looks_numeric = digits.bytes().next().is_some_and(|c| c.is_ascii_digit() || c == b'.')
        && digits.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'-' | b'+'));
    if looks_numeric && let Some(n) = Num::parse(&t.replace('_', "")) {
        return Val::num(n);
    }
    Val::string(t)
}
