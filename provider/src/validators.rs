//! Attribute checks run by ValidateResourceConfig and PlanResourceChange,
//! so bad values fail at plan time with a diagnostic on the attribute.
//! Unknown and null values pass; they are checked once known.
use tfplugin::{AttributePath, Diagnostics, Value};

pub fn int_between(d: &mut Diagnostics, config: &Value, name: &str, min: i64, max: i64, unit: &str) {
    let v = config.attr(name);
    if v.is_null() || v.is_unknown() {
        return;
    }
    match v.as_i64() {
        Some(n) if (min..=max).contains(&n) => {}
        _ => d.attribute_error(
            AttributePath::root(name),
            format!("Invalid {name}"),
            format!("{name} must be a whole number from {min} to {max}{unit}; got {}.", show(v)),
        ),
    }
}

/// The elements of the list attribute `name`, which must hold 1 to `max`
/// of them; `hint` ends the message (what to do instead). None when the
/// list is null or unknown.
pub fn items<'a>(
    d: &mut Diagnostics,
    config: &'a Value,
    resource: &str,
    name: &str,
    max: usize,
    hint: &str,
) -> Option<&'a [Value]> {
    let Value::List(items) = config.attr(name) else { return None };
    if items.is_empty() || items.len() > max {
        d.attribute_error(
            AttributePath::root(name),
            format!("Invalid {name}"),
            format!("{resource} needs 1 to {max} {name}; got {}.{hint}", items.len()),
        );
    }
    Some(items)
}

pub fn one_of(d: &mut Diagnostics, config: &Value, name: &str, allowed: &[&str]) {
    let v = config.attr(name);
    if let Some(s) = v.as_str()
        && !allowed.contains(&s)
    {
        d.attribute_error(
            AttributePath::root(name),
            format!("Invalid {name}"),
            format!(
                "{name} must be one of {}; got {s:?}.",
                allowed.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(", ")
            ),
        );
    }
}

/// A string of 1..=max characters drawn from `allowed`, described for the user.
pub fn chars(d: &mut Diagnostics, config: &Value, name: &str, max: usize, allowed: fn(char) -> bool, what: &str) {
    let Some(s) = config.attr(name).as_str() else { return };
    let len = s.chars().count();
    if len == 0 || len > max || !s.chars().all(allowed) {
        d.attribute_error(
            AttributePath::root(name),
            format!("Invalid {name}"),
            format!("{name} must be 1 to {max} characters of {what}; got {s:?}."),
        );
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}
