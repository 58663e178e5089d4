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

/// One change as Terraform shows it: its header (what happens, and why),
/// and its attributes.
fn change_block(c: &Change, moved_from: Option<String>) -> String {
    let mut out = String::new();
    if c.action == Action::NoOp {
        let header = match moved_from {
            Some(from) => format!("{from} has moved to {}", c.address()),
            None => format!("{} will be imported", c.address()),
        };
        let _ = writeln!(out, "  # {header}");
        unchanged_block("   ", c.resource_type(), &c.name, &c.after, &mut out);
        return out;
    }
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
        (Action::Delete, Some("delete_because_wrong_repetition")) => &because(
            if c.key.as_ref().is_some_and(|k| k.is_string()) {
                "resource does not use for_each"
            } else {
                "resource does not use count"
            }
            .to_string(),
        ),
        (Action::Delete, Some("delete_because_no_module")) => &because(format!("{} is not in configuration", c.module)),
        (Action::Delete, _) => "will be destroyed",
        (Action::Read, _) => "will be read during apply\n  # (config refers to values not yet known)",
        (Action::NoOp, _) => "",
    };
    let _ = writeln!(out, "  # {} {what}", c.address());
    if let Some(from) = moved_from {
        let _ = writeln!(out, "  # (moved from {from})");
    }
    if let Some(id) = &c.importing {
        let _ = writeln!(out, "  # (imported from \"{id}\")");
    }
    let symbol = if c.action == Action::Replace && c.create_before_destroy { "+/-" } else { c.action.symbol() };
    let kind = if c.is_data() { "data" } else { "resource" };
    let _ = writeln!(out, "{symbol:>3} {kind} \"{}\" \"{}\" {{", c.resource_type(), c.name);
    attr_lines(c, &mut out);
    out.push_str("    }\n\n");
    out
}

/// An instance a `removed` block lets go of.
fn forget_block(rs: &crate::state::ResourceState, key: &Option<serde_json::Value>) -> String {
    let addr = crate::instance::address(&rs.base_address(), key);
    let attrs = rs.instances.iter().find(|i| &i.index_key == key).map(|i| i.attributes.clone()).unwrap_or_default();
    let id = attrs.get("id").and_then(|v| v.as_str()).unwrap_or_default();
    format!(
        " # {addr} will no longer be managed by aigw, but will not be destroyed\n # (destroy = false is set in the configuration)\n . resource \"{}\" \"{}\" {{\n        id = {id:?}\n    }}\n\n",
        rs.type_name, rs.name
    )
}

/// An object that stays as it is (moved or imported): its id, and how
/// many other attributes are not shown.
fn unchanged_block(indent: &str, ty: &str, name: &str, v: &Value, out: &mut String) {
    let set: Vec<(&String, &Value)> = match v {
        Value::Object(m) => m.iter().filter(|(_, x)| !x.is_null()).collect(),
        _ => Vec::new(),
    };
    let width = set.iter().map(|(k, _)| k.len()).max().unwrap_or(2);
    let _ = writeln!(out, "{indent} resource \"{ty}\" \"{name}\" {{");
    if let Some((_, id)) = set.iter().find(|(k, _)| k.as_str() == "id") {
        let _ = writeln!(out, "        {:<width$} = {}", "id", show(id, false, 6));
    }
    let hidden = set.iter().filter(|(k, _)| k.as_str() != "id").count();
    if hidden > 0 {
        let _ = writeln!(out, "        # ({hidden} unchanged attribute{} hidden)", if hidden == 1 { "" } else { "s" });
    }
    out.push_str("    }\n\n");
}

/// Terraform lists changes by address: by module instance (shallower
/// first), then data sources first, then by type,
/// name and key (count indexes as numbers).
type Order = (usize, crate::addrs::ModuleInstance, bool, String, String, (u8, i64, String));

fn display_order(c: &Change) -> Order {
    let key = match &c.key {
        None => (0, 0, String::new()),
        Some(serde_json::Value::Number(n)) => (1, n.as_i64().unwrap_or_default(), String::new()),
        Some(k) => (2, 0, k.as_str().unwrap_or_default().to_string()),
    };
    (c.module.0.len(), c.module.clone(), !c.is_data(), c.resource_type().to_string(), c.name.clone(), key)
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
    let moved_from = |c: &Change| plan.moves.iter().find(|(_, to)| *to == c.address()).map(|(f, _)| f.clone());
    let shown: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp || c.importing.is_some() || moved_from(c).is_some())
        .collect();
    if !shown.is_empty() || !plan.forget.is_empty() {
        out.push_str("aigw will perform the following actions:\n\n");
    }
    // Each block under its address, in Terraform's order.
    let mut blocks: Vec<(Order, String)> =
        shown.iter().map(|c| (display_order(c), change_block(c, moved_from(c)))).collect();
    for (rs, key) in &plan.forget {
        let probe = Change {
            module: rs.module_instance(),
            type_name: rs.type_name.clone(),
            name: rs.name.clone(),
            key: key.clone(),
            ..Change::placeholder()
        };
        blocks.push((display_order(&probe), forget_block(rs, key)));
    }
    blocks.sort_by(|a, b| a.0.cmp(&b.0));
    blocks.iter().for_each(|(_, b)| out.push_str(b));
    let count = |f: fn(Action) -> bool| shown.iter().filter(|c| f(c.action)).count();
    let add = count(|a| matches!(a, Action::Create | Action::Replace));
    let change = count(|a| a == Action::Update);
    let destroy = count(|a| matches!(a, Action::Delete | Action::Replace));
    let imports = shown.iter().filter(|c| c.importing.is_some()).count();
    let any = add + change + destroy + imports > 0 || !plan.moves.is_empty() || !plan.forget.is_empty();
    if any || plan.changes.iter().any(|c| c.action == Action::Read) {
        let imported = if imports > 0 { format!("{imports} to import, ") } else { String::new() };
        let _ = writeln!(out, "Plan: {imported}{add} to add, {change} to change, {destroy} to destroy.");
    }
    if !plan.forget.is_empty() {
        out.push_str("\nWarning: Some objects will no longer be managed by aigw\n\nIf you apply this plan, aigw will discard its tracking information for the following objects, but it will not delete them:\n");
        for (rs, key) in &plan.forget {
            let _ = writeln!(out, " - {}", crate::instance::address(&rs.base_address(), key));
        }
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
