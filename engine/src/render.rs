//! Plans shown the way Terraform shows them: one block per changed
//! resource with `+ ~ - -/+`, attribute-level changes, `(known after
//! apply)`, `(sensitive value)`, line diffs for multi-line strings, and the
//! `Plan: N to add, N to change, N to destroy.` summary.
use std::fmt::Write;

use tfplugin::Value;

use crate::plan::{Action, Change, Plan};

fn show(v: &Value, sensitive: bool, indent: usize) -> String {
    if sensitive && !v.is_null() {
        return "(sensitive value)".into();
    }
    match v {
        Value::Null => "null".into(),
        Value::Unknown(_) => "(known after apply)".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.contains('\n') => {
            let pad = " ".repeat(indent + 4);
            let body: String = s.lines().map(|l| format!("{pad}{l}\n")).collect();
            format!("<<-EOT\n{body}{}EOT", " ".repeat(indent + 2))
        }
        Value::String(s) => format!("{s:?}"),
        Value::List(x) | Value::Set(x) | Value::Tuple(x) => {
            if x.is_empty() {
                return "[]".into();
            }
            let pad = " ".repeat(indent + 4);
            let items: String = x.iter().map(|e| format!("{pad}{},\n", show(e, false, indent + 4))).collect();
            format!("[\n{items}{}]", " ".repeat(indent + 2))
        }
        Value::Map(m) | Value::Object(m) => {
            let pad = " ".repeat(indent + 4);
            let width = m.keys().map(String::len).max().unwrap_or(0);
            let items: String = m
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, e)| format!("{pad}{k:<width$} = {}\n", show(e, false, indent + 4)))
                .collect();
            format!("{{\n{items}{}}}", " ".repeat(indent + 2))
        }
    }
}

fn attr_lines(c: &Change, out: &mut String) {
    let names: Vec<&str> = c.schema.block.attributes.iter().map(|a| a.name.as_str()).collect();
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
    let mut hidden = 0;
    for a in &c.schema.block.attributes {
        let (b, af) = (c.before.attr(&a.name), c.after.attr(&a.name));
        let line = match c.action {
            Action::Create | Action::Read => {
                (!af.is_null()).then(|| format!("      + {:<width$} = {}", a.name, show(af, a.sensitive, 6)))
            }
            Action::Delete => {
                (!b.is_null()).then(|| format!("      - {:<width$} = {} -> null", a.name, show(b, a.sensitive, 6)))
            }
            _ if b == af => {
                if !b.is_null() {
                    hidden += 1;
                }
                None
            }
            _ => {
                let forces = if c.replace_paths.iter().any(|p| p == &a.name) { " # forces replacement" } else { "" };
                Some(match (b.is_null(), af.is_null()) {
                    (true, _) => format!("      + {:<width$} = {}{forces}", a.name, show(af, a.sensitive, 6)),
                    (_, true) => format!("      - {:<width$} = {} -> null{forces}", a.name, show(b, a.sensitive, 6)),
                    _ => format!(
                        "      ~ {:<width$} = {} -> {}{forces}",
                        a.name,
                        show(b, a.sensitive, 6),
                        show(af, a.sensitive, 6)
                    ),
                })
            }
        };
        if let Some(l) = line {
            out.push_str(&l);
            out.push('\n');
            if let (Value::String(x), Value::String(y)) = (b, af)
                && (x.contains('\n') || y.contains('\n'))
                && x != y
            {
                for change in similar::TextDiff::from_lines(x, y).iter_all_changes() {
                    let _ = write!(out, "          {}{}", change.tag(), change);
                }
            }
        }
    }
    if hidden > 0 {
        let _ = writeln!(out, "        # ({hidden} unchanged attribute{} hidden)", if hidden == 1 { "" } else { "s" });
    }
}

/// Terraform lists changes by address: by module instance (shallower
/// first), then data sources first, then by type,
/// name and key (count indexes as numbers).
fn display_order(c: &Change) -> (usize, &crate::addrs::ModuleInstance, bool, &str, &str, (u8, i64, String)) {
    let key = match &c.key {
        None => (0, 0, String::new()),
        Some(serde_json::Value::Number(n)) => (1, n.as_i64().unwrap_or_default(), String::new()),
        Some(k) => (2, 0, k.as_str().unwrap_or_default().to_string()),
    };
    (c.module.0.len(), &c.module, !c.is_data(), c.resource_type(), c.name.as_str(), key)
}

/// The plan as text, Terraform's way, with its warnings after it.
pub fn plan_text(plan: &Plan) -> String {
    let mut out = plan_body(plan);
    out.push_str(&warnings(&plan.warnings));
    out
}

/// Warnings as Terraform prints them after a plan or an apply.
pub fn warnings(list: &[String]) -> String {
    list.iter().map(|w| format!("\nWarning: {w}\n")).collect()
}

fn plan_body(plan: &Plan) -> String {
    let mut out = String::new();
    let drifted: Vec<&Change> = plan.changes.iter().filter(|c| c.drifted).collect();
    if !drifted.is_empty() {
        out.push_str("Note: Objects have changed outside of aigw\n\n");
        out.push_str("aigw detected the following changes made outside of aigw since the last apply:\n\n");
        for c in drifted {
            if c.before.is_null() {
                let _ = writeln!(out, "  # {} has been deleted", c.address());
                continue;
            }
            let _ = writeln!(out, "  # {} has changed", c.address());
            let _ = writeln!(out, "  ~ resource \"{}\" \"{}\" {{", c.resource_type(), c.name);
            let seen = Change {
                action: Action::Update,
                before: c.stored.clone(),
                after: c.before.clone(),
                replace_paths: Vec::new(),
                ..c.clone()
            };
            attr_lines(&seen, &mut out);
            out.push_str("    }\n");
        }
        out.push('\n');
    }
    if plan.targeted {
        out.push_str("Warning: Resource targeting is in effect: this plan may not cover every change the configuration needs.\n\n");
    }
    if !plan.has_changes() {
        out.push_str("No changes. Your infrastructure matches the configuration.\n");
        return out;
    }
    if plan.changes.iter().any(|c| c.action != Action::NoOp) {
        out.push_str("aigw will perform the following actions:\n\n");
    }
    let (mut add, mut change, mut destroy) = (0, 0, 0);
    let mut shown: Vec<&Change> = plan.changes.iter().filter(|c| c.action != Action::NoOp).collect();
    shown.sort_by(|a, b| display_order(a).cmp(&display_order(b)));
    for c in shown {
        let because = |why: String| format!("will be destroyed\n  # (because {why})");
        let key = c.key.as_ref().map(|k| format!("[{k}]")).unwrap_or_default();
        let what = match (c.action, c.reason) {
            (Action::Create, _) => "will be created",
            (Action::Update, _) => "will be updated in-place",
            (Action::Replace, Some("replace_because_requested")) => "will be replaced, as requested",
            (Action::Replace, Some("replace_because_tainted")) => "is tainted, so must be replaced",
            (Action::Replace, Some("replace_by_triggers")) => "will be replaced due to changes in replace_triggered_by",
            (Action::Replace, _) => "must be replaced",
            (Action::Delete, Some("delete_because_no_resource_config")) => {
                &because(format!("{} is not in configuration", c.module.qualify(&c.base())))
            }
            (Action::Delete, Some("delete_because_count_index")) => {
                &because(format!("index {key} is out of range for count"))
            }
            (Action::Delete, Some("delete_because_each_key")) => &because(format!("key {key} is not in for_each map")),
            (Action::Delete, Some("delete_because_no_module")) => {
                &because(format!("{} is not in configuration", c.module))
            }
            (Action::Delete, _) => "will be destroyed",
            (Action::Read, _) => "will be read during apply\n  # (config refers to values not yet known)",
            (Action::NoOp, _) => "",
        };
        match c.action {
            Action::Create => add += 1,
            Action::Update => change += 1,
            Action::Replace => {
                add += 1;
                destroy += 1;
            }
            Action::Delete => destroy += 1,
            Action::NoOp | Action::Read => {}
        }
        let _ = writeln!(out, "  # {} {what}", c.address());
        let symbol = if c.action == Action::Replace && c.create_before_destroy { "+/-" } else { c.action.symbol() };
        let kind = if c.is_data() { "data" } else { "resource" };
        let _ = writeln!(out, "{symbol:>3} {kind} \"{}\" \"{}\" {{", c.resource_type(), c.name);
        attr_lines(c, &mut out);
        out.push_str("    }\n\n");
    }
    if add + change + destroy > 0 || plan.changes.iter().any(|c| c.action == Action::Read) {
        let _ = writeln!(out, "Plan: {add} to add, {change} to change, {destroy} to destroy.");
    }
    let outputs: Vec<_> = plan.outputs.iter().filter(|(_, o)| o.2).collect();
    if !outputs.is_empty() {
        out.push_str("\nChanges to Outputs:\n");
        for (name, (v, sensitive, _)) in outputs {
            let _ = writeln!(out, "  + {name} = {}", show(v, *sensitive, 2));
        }
    }
    out
}
