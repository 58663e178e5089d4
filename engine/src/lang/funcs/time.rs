//! Date and time functions over RFC 3339 timestamps: `timestamp` and
//! `plantimestamp` (now, in UTC), `timeadd` with Go's duration syntax,
//! `timecmp`, and `formatdate` with Terraform's format tokens.
use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, Timelike, Utc};

use super::{P, Spec, f, p, s};
use crate::lang::Val;

const TS: super::Param = p("timestamp", P::Str);

pub const SPECS: &[Spec] = &[
    f("timestamp", &[], Some(P::Str), |_| Ok(Val::string(now()))),
    f("plantimestamp", &[], Some(P::Str), |_| Ok(Val::string(now()))),
    f("timeadd", &[TS, p("duration", P::Str)], Some(P::Str), |a| {
        let t = parse(s(&a[0]))?;
        let d = duration(s(&a[1]))?;
        let t = t.checked_add_signed(d).ok_or("the result is out of range")?;
        Ok(Val::string(rfc3339(&t)))
    }),
    f("timecmp", &[p("timestamp_a", P::Str), p("timestamp_b", P::Str)], Some(P::Num), |a| {
        let (x, y) = (parse(s(&a[0]))?, parse(s(&a[1]))?);
        Ok(Val::int(match x.cmp(&y) {
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => 0,
            std::cmp::Ordering::Greater => 1,
        }))
    }),
    f("formatdate", &[p("format", P::Str), p("time", P::Str)], Some(P::Str), |a| {
        let t = parse(s(&a[1]))?;
        formatdate(s(&a[0]), &t).map(Val::string)
    }),
];

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn parse(text: &str) -> Result<DateTime<FixedOffset>, String> {
    if !text.contains('T') {
        return Err(format!("not a valid RFC3339 timestamp: missing required time introducer 'T' in {text:?}"));
    }
    DateTime::parse_from_rfc3339(text).map_err(|e| format!("not a valid RFC3339 timestamp: {text:?}: {e}"))
}

/// Go's `time.RFC3339` form: seconds, and `Z` for a zero offset.
fn rfc3339(t: &DateTime<FixedOffset>) -> String {
    if t.offset().local_minus_utc() == 0 {
        t.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Secs, true)
    } else {
        t.to_rfc3339_opts(SecondsFormat::Secs, false)
    }
}

/// Go's `time.ParseDuration`: `1h30m`, `-1.5s`, `300ms`.
fn duration(text: &str) -> Result<chrono::Duration, String> {
    let bad = || format!("time: invalid duration {text:?}");
    let (neg, mut rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Ok(chrono::Duration::zero());
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut nanos: f64 = 0.0;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("time: missing unit in duration {text:?}"))?;
        let value: f64 = rest[..n].parse().map_err(|_| bad())?;
        rest = &rest[n..];
        let u = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..u] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            unit => return Err(format!("time: unknown unit {unit:?} in duration {text:?}")),
        };
        nanos += value * scale;
        rest = &rest[u..];
    }
    let n = nanos.round() as i64;
    Ok(chrono::Duration::nanoseconds(if neg { -n } else { n }))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

fn formatdate(spec: &str, t: &DateTime<FixedOffset>) -> Result<String, String> {
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            let close = chars[i + 1..].iter().position(|x| *x == '\'').ok_or("unterminated literal '")?;
            if close == 0 {
                out.push('\'');
            } else {
                out.extend(&chars[i + 1..i + 1 + close]);
            }
            i += close + 2;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|x| **x == c).count();
        out.push_str(&token(c, run, t)?);
        i += run;
    }
    Ok(out)
}

fn token(c: char, n: usize, t: &DateTime<FixedOffset>) -> Result<String, String> {
    let h12 = match t.hour() % 12 {
        0 => 12,
        h => h,
    };
    let off = t.offset().local_minus_utc();
    let (sign, oh, om) = (if off < 0 { '-' } else { '+' }, off.abs() / 3600, off.abs() % 3600 / 60);
    Ok(match (c, n) {
        ('Y', 4) => format!("{:04}", t.year()),
        ('Y', 2) => format!("{:02}", t.year() % 100),
        ('M', 4) => MONTHS[t.month0() as usize].into(),
        ('M', 3) => MONTHS[t.month0() as usize][..3].into(),
        ('M', 2) => format!("{:02}", t.month()),
        ('M', 1) => t.month().to_string(),
        ('D', 2) => format!("{:02}", t.day()),
        ('D', 1) => t.day().to_string(),
        ('E', 4) => DAYS[t.weekday().num_days_from_monday() as usize].into(),
        ('E', 3) => DAYS[t.weekday().num_days_from_monday() as usize][..3].into(),
        ('H', 2) => format!("{h12:02}"),
        ('H', 1) => h12.to_string(),
        ('h', 2) => format!("{:02}", t.hour()),
        ('h', 1) => t.hour().to_string(),
        ('A', 2) => if t.hour() < 12 { "AM" } else { "PM" }.into(),
        ('a', 2) => if t.hour() < 12 { "am" } else { "pm" }.into(),
        ('m', 2) => format!("{:02}", t.minute()),
        ('m', 1) => t.minute().to_string(),
        ('s', 2) => format!("{:02}", t.second()),
        ('s', 1) => t.second().to_string(),
        ('Z', 5) => format!("{sign}{oh:02}:{om:02}"),
        ('Z', 4) => format!("{sign}{oh:02}{om:02}"),
        ('Z', 3) if off == 0 => "UTC".into(),
        ('Z', 3) => format!("{sign}{oh:02}{om:02}"),
        ('Z', 1) if off == 0 => "Z".into(),
        ('Z', 1) => format!("{sign}{oh:02}:{om:02}"),
        _ => {
            return Err(format!(
                "invalid date format verb {:?}: unrecognized sequence of letters",
                std::iter::repeat_n(c, n).collect::<String>()
            ));
        }
    })
}
