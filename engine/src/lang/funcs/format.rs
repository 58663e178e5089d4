//! `format` and `formatlist`: Terraform's printf verbs (`%v %#v %t %b %d
//! %o %x %X %e %E %f %g %G %s %q %%`) with flags (`+ - # 0` and space),
//! width, precision and explicit argument indexes (`%[2]s`).
use tfplugin::{Type, Value};

use super::{P, Spec, elems, fv, n, p, s, str_list};
use crate::lang::Val;
use crate::lang::number::Num;
use crate::lang::types::convert;

pub const SPECS: &[Spec] = &[
    fv("format", &[p("format", P::Str)], p("args", P::Any).nullable(), Some(P::Str), |a| {
        let mut it = a.into_iter();
        let spec = it.next().map(|v| s(&v).to_string()).unwrap_or_default();
        format(&spec, &it.collect::<Vec<_>>()).map(Val::string)
    }),
    fv("formatlist", &[p("format", P::Str)], p("args", P::Any).nullable(), Some(P::List(&P::Str)), formatlist),
];

fn formatlist(a: Vec<Val>) -> Result<Val, String> {
    let mut it = a.into_iter();
    let spec = it.next().map(|v| s(&v).to_string()).unwrap_or_default();
    let args: Vec<Val> = it.collect();
    // The length of the first list argument, and which one it is.
    let mut len: Option<(usize, usize)> = None;
    for (i, v) in args.iter().enumerate() {
        if matches!(v.ty, Type::List(_) | Type::Tuple(_) | Type::Set(_)) && !v.is_null() {
            let l = elems(v.clone()).len();
            match len {
                Some((n, first)) if n != l => {
                    return Err(format!(
                        "argument {} has length {l}, which is inconsistent with argument {} of length {n}",
                        i + 1,
                        first + 1
                    ));
                }
                Some(_) => {}
                None => len = Some((l, i)),
            }
        }
    }
    let rows = len.map_or(1, |(n, _)| n);
    let columns: Vec<Vec<Val>> = args
        .into_iter()
        .map(|v| match v.ty {
            Type::List(_) | Type::Tuple(_) | Type::Set(_) if !v.is_null() => elems(v),
            _ => vec![v; rows],
        })
        .collect();
    let mut out = Vec::with_capacity(rows);
    for r in 0..rows {
        let row: Vec<Val> = columns.iter().map(|c| c[r].clone()).collect();
        out.push(format(&spec, &row).map_err(|e| format!("error on format iteration {r}: {e}"))?);
    }
    Ok(str_list(out))
}

/// One verb's flags, width and precision.
#[derive(Default)]
struct Verb {
    plus: bool,
    minus: bool,
    sharp: bool,
    zero: bool,
    space: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// Formats `args` by `spec`.
pub fn format(spec: &str, args: &[Val]) -> Result<String, String> {
    let mut out = String::new();
    let chars: Vec<char> = spec.chars().collect();
    let mut i = 0;
    let mut next_arg = 0;
    let mut reordered = false;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut v = Verb::default();
        while i < chars.len() {
            match chars[i] {
                '+' => v.plus = true,
                '-' => v.minus = true,
                '#' => v.sharp = true,
                '0' => v.zero = true,
                ' ' => v.space = true,
                _ => break,
            }
            i += 1;
        }
        if chars.get(i) == Some(&'[') {
            let close = chars[i..].iter().position(|c| *c == ']').ok_or("unterminated argument index")?;
            let idx: String = chars[i + 1..i + close].iter().collect();
            let n: usize = idx.parse().map_err(|_| format!("invalid argument index {idx:?}"))?;
            if n == 0 || n > args.len() {
                return Err(format!("invalid argument index {n}"));
            }
            next_arg = n - 1;
            reordered = true;
            i += close + 1;
        }
        v.width = digits(&chars, &mut i);
        if chars.get(i) == Some(&'.') {
            i += 1;
            v.prec = Some(digits(&chars, &mut i).unwrap_or(0));
        }
        let verb = *chars.get(i).ok_or("unterminated format verb: a verb is required after %")?;
        i += 1;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let arg = args.get(next_arg).ok_or_else(|| format!("not enough arguments for %{verb} at offset {}", i - 1))?;
        next_arg += 1;
        out.push_str(&one(verb, &v, arg)?);
    }
    if !reordered && next_arg < args.len() {
        return Err(format!("too many arguments; only {next_arg} used by format string"));
    }
    Ok(out)
}

fn digits(chars: &[char], i: &mut usize) -> Option<usize> {
    let start = *i;
    while *i < chars.len() && chars[*i].is_ascii_digit() {
        *i += 1;
    }
    (start < *i).then(|| chars[start..*i].iter().collect::<String>().parse().ok()).flatten()
}

fn one(verb: char, v: &Verb, arg: &Val) -> Result<String, String> {
    if arg.is_unknown() {
        return Err("unsupported value: an argument is unknown".into());
    }
    let text = match verb {
        'v' if v.sharp => json(arg)?,
        'v' => match &arg.ty {
            _ if arg.is_null() => "null".into(),
            Type::String | Type::Number | Type::Bool => string(arg, verb)?,
            _ => json(arg)?,
        },
        's' => string(arg, verb)?,
        'q' => quote(&string(arg, verb)?),
        't' => match convert(arg.clone(), &Type::Bool) {
            Ok(Val { v: Value::Bool(b), .. }) => b.to_string(),
            _ => return Err("unsupported value for \"%t\": bool required".into()),
        },
        'd' | 'b' | 'o' | 'x' | 'X' => integer(verb, v, &number(arg, verb)?)?,
        'e' | 'E' | 'f' | 'g' | 'G' => float(verb, v, &number(arg, verb)?)?,
        other => return Err(format!("unsupported format verb %{other}")),
    };
    Ok(pad(text, v, matches!(verb, 'd' | 'b' | 'o' | 'x' | 'X' | 'e' | 'E' | 'f' | 'g' | 'G')))
}

fn string(arg: &Val, verb: char) -> Result<String, String> {
    if arg.is_null() {
        return Err(format!("unsupported value for \"%{verb}\": null value cannot be formatted"));
    }
    match convert(arg.clone(), &Type::String) {
        Ok(Val { v: Value::String(s), .. }) => Ok(s),
        _ => Err(format!("unsupported value for \"%{verb}\": string required")),
    }
}

fn number(arg: &Val, verb: char) -> Result<Num, String> {
    if arg.is_null() {
        return Err(format!("unsupported value for \"%{verb}\": null value cannot be formatted"));
    }
    let c = convert(arg.clone(), &Type::Number)
        .map_err(|_| format!("unsupported value for \"%{verb}\": number required"))?;
    n(&c)
}

fn json(arg: &Val) -> Result<String, String> {
    super::encoding::json_text(&arg.v, &arg.ty)
}

/// Go's `%q`: a double-quoted string with Go escapes.
pub fn quote(x: &str) -> String {
    let mut out = String::from("\"");
    for c in x.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn integer(verb: char, v: &Verb, x: &Num) -> Result<String, String> {
    if !x.is_integer() {
        return Err(format!("unsupported value for \"%{verb}\": value has a fractional part"));
    }
    let i: num_bigint::BigInt = x.to_string().parse().map_err(|_| "number out of range".to_string())?;
    let mag = i.magnitude();
    let body = match verb {
        'b' => mag.to_str_radix(2),
        'o' => format!("{}{}", if v.sharp { "0" } else { "" }, mag.to_str_radix(8)),
        'x' => format!("{}{}", if v.sharp { "0x" } else { "" }, mag.to_str_radix(16)),
        'X' => format!("{}{}", if v.sharp { "0X" } else { "" }, mag.to_str_radix(16).to_uppercase()),
        _ => mag.to_string(),
    };
    let body = match v.prec {
        Some(p) if body.len() < p => format!("{}{body}", "0".repeat(p - body.len())),
        _ => body,
    };
    Ok(format!("{}{body}", sign(x.is_negative(), v)))
}

fn sign(neg: bool, v: &Verb) -> &'static str {
    if neg {
        "-"
    } else if v.plus {
        "+"
    } else if v.space {
        " "
    } else {
        ""
    }
}

fn float(verb: char, v: &Verb, x: &Num) -> Result<String, String> {
    let f = x.to_f64().ok_or("number out of range")?;
    let neg = f.is_sign_negative() && f != 0.0;
    let a = f.abs();
    let body = match verb {
        'f' => format!("{a:.*}", v.prec.unwrap_or(6)),
        'e' | 'E' => exp(a, v.prec.unwrap_or(6), verb == 'E'),
        _ => general(a, v.prec, verb == 'G'),
    };
    Ok(format!("{}{body}", sign(neg, v)))
}

/// Go's `%e`: `d.dddde+XX` with at least two exponent digits.
fn exp(a: f64, prec: usize, upper: bool) -> String {
    let s = format!("{a:.prec$e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    let text = format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    if upper { text.to_uppercase() } else { text }
}

/// Go's `%g`: the shortest form, in exponent form for small and large
/// exponents.
fn general(a: f64, prec: Option<usize>, upper: bool) -> String {
    let (digits, e) = match prec {
        Some(p) => {
            let p = p.max(1);
            let s = format!("{a:.*e}", p - 1);
            let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
            (m.replace('.', "").trim_end_matches('0').to_string(), e.parse::<i32>().unwrap_or(0))
        }
        None => {
            let s = format!("{a:e}");
            let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
            (m.replace('.', ""), e.parse::<i32>().unwrap_or(0))
        }
    };
    let digits = if digits.is_empty() { "0".to_string() } else { digits };
    // Go's rule: the shortest form switches at exponent 6; a precision
    // beyond the digits there are switches at the digit count.
    let nd = digits.len() as i32;
    let limit = match prec {
        None => 6,
        Some(p) if p as i32 > nd && nd > e => nd,
        Some(p) => p.max(1) as i32,
    };
    let text = if e < -4 || e >= limit {
        let m = if digits.len() > 1 { format!("{}.{}", &digits[..1], &digits[1..]) } else { digits };
        format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
    } else if e < 0 {
        format!("0.{}{digits}", "0".repeat((-e - 1) as usize))
    } else if digits.len() as i32 > e + 1 {
        format!("{}.{}", &digits[..(e + 1) as usize], &digits[(e + 1) as usize..])
    } else {
        format!("{digits}{}", "0".repeat((e + 1) as usize - digits.len()))
    };
    if upper { text.to_uppercase() } else { text }
}

fn pad(text: String, v: &Verb, numeric: bool) -> String {
    let len = text.chars().count();
    let Some(w) = v.width.filter(|w| *w > len) else {
        return text;
    };
    let fill = w - len;
    if v.minus {
        format!("{text}{}", " ".repeat(fill))
    } else if v.zero && numeric {
        let (sign, rest) = match text.chars().next() {
            Some(c @ ('-' | '+' | ' ')) => (c.to_string(), text[1..].to_string()),
            _ => (String::new(), text),
        };
        format!("{sign}{}{rest}", "0".repeat(fill))
    } else {
        format!("{}{text}", " ".repeat(fill))
    }
}
