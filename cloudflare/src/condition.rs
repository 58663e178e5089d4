//! Conditions of a dynamic route's `conditional` element, in the
//! Mongo-like form Cloudflare stores (`{"metadata.plan": {"$eq": "free"}}`).
//! Fields are `metadata.<key>` (the request's `cf-aig-metadata`) and
//! `body.<path>` (the request body, e.g. `body.model`, `body.max_tokens`).
//! Operators: `$eq $ne $gt $gte $lt $lte $in $nin $exists`; a plain value
//! means `$eq`; `$and`, `$or` and `$not` combine conditions. Every field of
//! one object must hold (an implicit `$and`).
use serde_json::Value as Json;

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Field { path: String, op: Op, value: Json },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    In,
    Nin,
    Exists,
}

const OPS: &[(&str, Op)] = &[
    ("$eq", Op::Eq),
    ("$ne", Op::Ne),
    ("$gt", Op::Gt),
    ("$gte", Op::Gte),
    ("$lt", Op::Lt),
    ("$lte", Op::Lte),
    ("$in", Op::In),
    ("$nin", Op::Nin),
    ("$exists", Op::Exists),
];

fn field_ok(path: &str) -> bool {
    let rest = path.strip_prefix("metadata.").or_else(|| path.strip_prefix("body."));
    rest.is_some_and(|r| !r.is_empty() && r.split('.').all(|s| !s.is_empty()))
}

/// Parses a condition object; the error says what is wrong and where.
pub fn parse(v: &Json) -> Result<Condition, String> {
    let Json::Object(m) = v else { return Err("a condition is a JSON object".into()) };
    let mut all = Vec::new();
    for (k, x) in m {
        match k.as_str() {
            "$and" | "$or" => {
                let Json::Array(items) = x else { return Err(format!("{k} takes an array of conditions")) };
                if items.is_empty() {
                    return Err(format!("{k} takes at least one condition"));
                }
                let parts = items.iter().map(parse).collect::<Result<Vec<_>, _>>()?;
                all.push(if k == "$and" { Condition::All(parts) } else { Condition::Any(parts) });
            }
            "$not" => all.push(Condition::Not(Box::new(parse(x)?))),
            _ if k.starts_with('$') => return Err(format!("unknown operator {k}")),
            path if !field_ok(path) => {
                return Err(format!("{path:?} is not a field: use metadata.<key> or body.<path>"));
            }
            path => all.extend(field(path, x)?),
        }
    }
    if all.is_empty() {
        return Err("a condition needs at least one field".into());
    }
    Ok(if all.len() == 1 { all.remove(0) } else { Condition::All(all) })
}

fn field(path: &str, x: &Json) -> Result<Vec<Condition>, String> {
    let ops = match x {
        Json::Object(m) if m.keys().any(|k| k.starts_with('$')) => m,
        plain => return Ok(vec![Condition::Field { path: path.into(), op: Op::Eq, value: plain.clone() }]),
    };
    ops.iter()
        .map(|(k, value)| {
            let op =
                OPS.iter().find(|(n, _)| n == k).map(|(_, o)| *o).ok_or_else(|| format!("unknown operator {k}"))?;
            match op {
                Op::In | Op::Nin if !value.is_array() => return Err(format!("{k} takes an array")),
                Op::Exists if !value.is_boolean() => return Err("$exists takes true or false".into()),
                _ => {}
            }
            Ok(Condition::Field { path: path.into(), op, value: value.clone() })
        })
        .collect()
}

fn order(a: &Json, b: &Json) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Json::String(x), Json::String(y)) => Some(x.cmp(y)),
        (Json::String(x), Json::Number(y)) => x.parse::<f64>().ok()?.partial_cmp(&y.as_f64()?),
        (Json::Number(x), Json::String(y)) => x.as_f64()?.partial_cmp(&y.parse::<f64>().ok()?),
        _ => None,
    }
}

/// Loose equality: a number sent as a string (metadata values often are)
/// equals the number.
fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::String(s), Json::Number(n)) | (Json::Number(n), Json::String(s)) => s.parse::<f64>().ok() == n.as_f64(),
        _ => a == b,
    }
}

impl Condition {
    /// True if the request matches; `lookup` resolves a field path.
    pub fn eval(&self, lookup: &dyn Fn(&str) -> Option<Json>) -> bool {
        match self {
            Condition::All(c) => c.iter().all(|c| c.eval(lookup)),
            Condition::Any(c) => c.iter().any(|c| c.eval(lookup)),
            Condition::Not(c) => !c.eval(lookup),
            Condition::Field { path, op, value } => {
                let got = lookup(path);
                let cmp = |want: std::cmp::Ordering, or_eq: bool| {
                    got.as_ref().and_then(|g| order(g, value)).is_some_and(|o| o == want || (or_eq && o.is_eq()))
                };
                match op {
                    Op::Eq => got.as_ref().is_some_and(|g| same(g, value)),
                    Op::Ne => !got.as_ref().is_some_and(|g| same(g, value)),
                    Op::Gt => cmp(std::cmp::Ordering::Greater, false),
                    Op::Gte => cmp(std::cmp::Ordering::Greater, true),
                    Op::Lt => cmp(std::cmp::Ordering::Less, false),
                    Op::Lte => cmp(std::cmp::Ordering::Less, true),
                    Op::In => {
                        got.as_ref().is_some_and(|g| value.as_array().is_some_and(|a| a.iter().any(|v| same(g, v))))
                    }
                    Op::Nin => {
                        !got.as_ref().is_some_and(|g| value.as_array().is_some_and(|a| a.iter().any(|v| same(g, v))))
                    }
                    Op::Exists => got.is_some() == value.as_bool().unwrap_or(true),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(c: Json, fields: Json) -> bool {
        let c = parse(&c).unwrap();
        c.eval(&|p: &str| fields.get(p).cloned())
    }

    #[test]
    fn operators_and_combinators() {
        let f = json!({"metadata.plan": "free", "metadata.seats": "12", "body.max_tokens": 300});
        assert!(check(json!({"metadata.plan": {"$eq": "free"}}), f.clone()));
        assert!(check(json!({"metadata.plan": "free"}), f.clone()));
        assert!(!check(json!({"metadata.plan": {"$ne": "free"}}), f.clone()));
        assert!(check(json!({"metadata.seats": {"$gte": 12}}), f.clone()), "metadata numbers sent as strings");
        assert!(check(json!({"body.max_tokens": {"$gt": 100, "$lt": 500}}), f.clone()));
        assert!(check(json!({"metadata.plan": {"$in": ["free", "trial"]}}), f.clone()));
        assert!(check(json!({"metadata.team": {"$exists": false}}), f.clone()));
        assert!(check(json!({"$or": [{"metadata.plan": "pro"}, {"metadata.seats": {"$lt": 20}}]}), f.clone()));
        assert!(!check(json!({"$not": {"metadata.plan": "free"}}), f.clone()));
        assert!(!check(json!({"metadata.plan": "free", "metadata.team": "x"}), f));
    }

    #[test]
    fn bad_conditions_say_why() {
        assert!(parse(&json!({"plan": "free"})).unwrap_err().contains("metadata.<key>"));
        assert!(parse(&json!({"metadata.plan": {"$regex": "x"}})).unwrap_err().contains("$regex"));
        assert!(parse(&json!({"metadata.plan": {"$in": "x"}})).is_err());
        assert!(parse(&json!({})).is_err());
        assert!(parse(&json!([])).is_err());
    }
}
