//! The lines apply prints per operation, in Terraform's words and shapes:
//! `ADDR: Creating...`, `ADDR: Still creating... [10s elapsed]`,
//! `ADDR: Creation complete after 1s [id=ID]`.
use std::time::Duration;

use tfplugin::Value;

use crate::plan::{Action, Change};

/// How often a running operation says it is still running.
pub const STILL_EVERY: Duration = Duration::from_secs(10);

/// A duration as Go prints one truncated to seconds: `0s`, `59s`, `1m5s`, `1h0m2s`.
pub fn go_duration(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m{sec}s"),
        (h, m, sec) => format!("{h}h{m}m{sec}s"),
    }
}

fn id_of(v: &Value) -> Option<&str> {
    v.attr("id").as_str()
}

fn with_id(line: String, v: &Value) -> String {
    match id_of(v) {
        Some(id) => format!("{line} [id={id}]"),
        None => line,
    }
}

/// The first step of a change: (gerund, completion noun).
fn words(c: &Change, first: bool) -> (&'static str, &'static str) {
    match c.action {
        Action::Read => ("reading", "Read complete"),
        Action::Delete => ("destroying", "Destruction complete"),
        Action::Update => ("modifying", "Modifications complete"),
        Action::Replace if first && !c.create_before_destroy => ("destroying", "Destruction complete"),
        _ => ("creating", "Creation complete"),
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// `ADDR: Creating...` (with the id of what is modified or destroyed).
pub fn starting(c: &Change) -> String {
    let (verb, _) = words(c, true);
    let line = format!("{}: {}...", c.address(), capital(verb));
    if matches!(c.action, Action::Create | Action::Read) || (c.action == Action::Replace && c.create_before_destroy) {
        line
    } else {
        with_id(line, &c.before)
    }
}

/// `ADDR: Still creating... [10s elapsed]`.
pub fn still(c: &Change, elapsed: Duration) -> String {
    let (verb, _) = words(c, true);
    let elapsed = go_duration(elapsed);
    match c.action {
        Action::Update | Action::Delete => {
            format!("{}: Still {verb}... [id={}, {elapsed} elapsed]", c.address(), id_of(&c.before).unwrap_or_default())
        }
        _ => format!("{}: Still {verb}... [{elapsed} elapsed]", c.address()),
    }
}

/// The lines at the end of a change: for a replacement, the destroy's and
/// the create's; `after` is the new object (null when destroyed).
pub fn complete(c: &Change, elapsed: Duration, after: &Value) -> Vec<String> {
    let took = go_duration(elapsed);
    let addr = c.address();
    match c.action {
        Action::Delete => vec![format!("{addr}: Destruction complete after {took}")],
        Action::Replace if !c.create_before_destroy => vec![
            format!("{addr}: Destruction complete after {took}"),
            format!("{addr}: Creating..."),
            with_id(format!("{addr}: Creation complete after 0s"), after),
        ],
        Action::Replace => vec![
            with_id(format!("{addr}: Creation complete after {took}"), after),
            with_id(format!("{addr}: Destroying..."), &c.before),
            format!("{addr}: Destruction complete after 0s"),
        ],
        _ => vec![with_id(format!("{addr}: {} after {took}", words(c, true).1), after)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_as_go_prints_them() {
        assert_eq!(go_duration(Duration::from_millis(999)), "0s");
        assert_eq!(go_duration(Duration::from_secs(10)), "10s");
        assert_eq!(go_duration(Duration::from_secs(65)), "1m5s");
        assert_eq!(go_duration(Duration::from_secs(3602)), "1h0m2s");
    }
}
