//! String functions: case, trimming, splitting and joining, substrings by
//! grapheme cluster (as cty counts characters), and regular expressions
//! (`regex`, `regexall`, `replace` with a `/pattern/`).
use std::collections::BTreeMap;

use regex::Regex;
use tfplugin::Type;
use unicode_segmentation::UnicodeSegmentation;

use super::{P, Param, Spec, f, fv, int, p, s, str_list, strings};
use crate::lang::Val;

const STR: Param = p("str", P::Str);

pub const SPECS: &[Spec] = &[
    f("chomp", &[STR], Some(P::Str), |a| Ok(Val::string(chomp(s(&a[0]))))),
    f("endswith", &[STR, p("suffix", P::Str)], Some(P::Bool), |a| Ok(Val::bool(s(&a[0]).ends_with(s(&a[1]))))),
    f("startswith", &[STR, p("prefix", P::Str)], Some(P::Bool), |a| Ok(Val::bool(s(&a[0]).starts_with(s(&a[1]))))),
    f("strcontains", &[STR, p("substr", P::Str)], Some(P::Bool), |a| Ok(Val::bool(s(&a[0]).contains(s(&a[1]))))),
    f("indent", &[p("spaces", P::Num), STR], Some(P::Str), |a| {
        let pad = " ".repeat(int(&a[0], "spaces")?.max(0) as usize);
        Ok(Val::string(s(&a[1]).replace('\n', &format!("\n{pad}"))))
    }),
    fv("join", &[p("separator", P::Str)], p("lists", P::List(&P::Str)), Some(P::Str), join),
    f("lower", &[STR], Some(P::Str), |a| Ok(Val::string(s(&a[0]).to_lowercase()))),
    f("upper", &[STR], Some(P::Str), |a| Ok(Val::string(s(&a[0]).to_uppercase()))),
    f("title", &[STR], Some(P::Str), |a| Ok(Val::string(title(s(&a[0]))))),
    f("strrev", &[STR], Some(P::Str), |a| Ok(Val::string(s(&a[0]).graphemes(true).rev().collect::<String>()))),
    f("substr", &[STR, p("offset", P::Num), p("length", P::Num)], Some(P::Str), substr),
    f("split", &[p("separator", P::Str), STR], Some(P::List(&P::Str)), |a| Ok(str_list(split(s(&a[0]), s(&a[1]))))),
    f("trim", &[STR, p("cutset", P::Str)], Some(P::Str), |a| {
        let cut: Vec<char> = s(&a[1]).chars().collect();
        Ok(Val::string(s(&a[0]).trim_matches(cut.as_slice())))
    }),
    f("trimprefix", &[STR, p("prefix", P::Str)], Some(P::Str), |a| {
        Ok(Val::string(s(&a[0]).strip_prefix(s(&a[1])).unwrap_or(s(&a[0]))))
    }),
    f("trimsuffix", &[STR, p("suffix", P::Str)], Some(P::Str), |a| {
        Ok(Val::string(s(&a[0]).strip_suffix(s(&a[1])).unwrap_or(s(&a[0]))))
    }),
    f("trimspace", &[STR], Some(P::Str), |a| Ok(Val::string(s(&a[0]).trim()))),
    f("replace", &[STR, p("substr", P::Str), p("replace", P::Str)], Some(P::Str), replace),
    f("regex", &[p("pattern", P::Str), p("string", P::Str)], None, regex_fn),
    f("regexall", &[p("pattern", P::Str), p("string", P::Str)], None, regexall),
];

fn chomp(x: &str) -> &str {
    let mut t = x;
    loop {
        let next = t.strip_suffix("\r\n").or_else(|| t.strip_suffix('\n')).or_else(|| t.strip_suffix('\r'));
        match next {
            Some(n) => t = n,
            None => return t,
        }
    }
}

fn join(a: Vec<Val>) -> Result<Val, String> {
    let mut it = a.into_iter();
    let sep = it.next().map(|v| s(&v).to_string()).unwrap_or_default();
    if it.len() == 0 {
        return Err("at least one list is required".into());
    }
    let mut parts = Vec::new();
    for l in it {
        parts.extend(strings(l, "lists")?);
    }
    Ok(Val::string(parts.join(&sep)))
}

/// Go's `strings.Split`: an empty separator splits between characters.
fn split(sep: &str, x: &str) -> Vec<String> {
    if sep.is_empty() {
        return x.chars().map(String::from).collect();
    }
    x.split(sep).map(String::from).collect()
}

/// Go's `strings.Title`: the first letter of each word in upper case.
fn title(x: &str) -> String {
    let mut out = String::with_capacity(x.len());
    let mut prev: Option<char> = None;
    for c in x.chars() {
        let sep = prev.is_none_or(|p| !(p.is_alphanumeric() || p == '_' || p == '\''));
        if sep {
            out.extend(c.to_uppercase())
        } else {
            out.push(c)
        }
        prev = Some(c);
    }
    out
}

fn substr(a: Vec<Val>) -> Result<Val, String> {
    let g: Vec<&str> = s(&a[0]).graphemes(true).collect();
    let total = g.len() as i64;
    let mut offset = int(&a[1], "offset")?;
    let length = int(&a[2], "length")?;
    if offset < 0 {
        offset = (offset + total).max(0);
    }
    if offset >= total {
        return Ok(Val::string(""));
    }
    let end = if length < 0 { total } else { (offset + length).min(total) };
    Ok(Val::string(g[offset as usize..end.max(offset) as usize].concat()))
}

fn replace(a: Vec<Val>) -> Result<Val, String> {
    let (x, sub, rep) = (s(&a[0]), s(&a[1]), s(&a[2]));
    if sub.len() > 1
        && let Some(pat) = sub.strip_prefix('/').and_then(|r| r.strip_suffix('/'))
    {
        let re = compile(pat)?;
        return Ok(Val::string(re.replace_all(x, rep).into_owned()));
    }
    Ok(Val::string(x.replace(sub, rep)))
}

fn compile(pat: &str) -> Result<Regex, String> {
    Regex::new(pat).map_err(|e| format!("invalid regular expression pattern: {e}"))
}

/// What one match yields: the match itself with no groups, an object for
/// named groups, else a tuple of the groups.
fn captures(re: &Regex, c: &regex::Captures<'_>) -> Val {
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    // A group that took no part in the match is null, as cty has it.
    let text = |i: usize| c.get(i).map_or(Val::null(Type::String), |m| Val::string(m.as_str()));
    if names.is_empty() {
        return text(0);
    }
    if names.iter().any(Option::is_some) {
        let mut m = BTreeMap::new();
        for (i, n) in names.iter().enumerate() {
            if let Some(n) = n {
                m.insert((*n).to_string(), text(i + 1));
            }
        }
        return crate::lang::expr::object(m);
    }
    crate::lang::expr::tuple((1..=names.len()).map(text).collect())
}

fn regex_fn(a: Vec<Val>) -> Result<Val, String> {
    let re = compile(s(&a[0]))?;
    let c = re.captures(s(&a[1])).ok_or("pattern did not match any part of the given string")?;
    Ok(captures(&re, &c))
}

fn regexall(a: Vec<Val>) -> Result<Val, String> {
    let re = compile(s(&a[0]))?;
    let all: Vec<Val> = re.captures_iter(s(&a[1])).map(|c| captures(&re, &c)).collect();
    super::list(all, match_type(&re))
}

/// The type one match of `re` has (see [`captures`]).
fn match_type(re: &Regex) -> Type {
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.is_empty() {
        Type::String
    } else if names.iter().any(Option::is_some) {
        Type::object(names.into_iter().flatten().map(|n| (n.to_string(), Type::String)))
    } else {
        Type::Tuple(vec![Type::String; names.len()])
    }
}
