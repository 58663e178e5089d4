//! What the planner decides: actions, their reasons, unknowns, refresh and drift.
use super::{Harness, actions, expect, expect_eq};
use crate::plan::Action;
use tfplugin::Value;

const TWO: &str = r#"
resource "mem_thing" "a" {
  name  = "a"
  value = "one"
}

resource "mem_thing" "b" {
  name  = "b"
  value = mem_thing.a.id
}
"#;

#[tokio::test]
async fn a_new_configuration_plans_creates_in_dependency_order() -> Result<(), String> {
    let h = Harness::new(TWO)?;
    let plan = h.plan().await?;
    expect_eq(actions(&plan), vec!["+ mem_thing.a".into(), "+ mem_thing.b".into()], "actions")?;
    let b = &plan.changes[1];
    expect(b.after.attr("value").is_unknown(), "b.value comes from a.id, unknown until a exists")?;
    expect(b.dependencies == ["mem_thing.a"], format!("b depends on a: {:?}", b.dependencies))?;
    expect_eq(h.log(), Vec::<String>::new(), "a plan calls nothing that changes the world")
}

#[tokio::test]
async fn an_applied_configuration_plans_nothing() -> Result<(), String> {
    let h = Harness::new(TWO)?;
    h.apply().await?;
    let plan = h.plan().await?;
    expect(!plan.has_changes(), format!("{:?}", actions(&plan)))?;
    expect_eq(plan.changes.iter().filter(|c| c.action == Action::NoOp).count(), 2, "no-ops")
}

#[tokio::test]
async fn a_changed_argument_is_an_update_with_computed_values_unknown() -> Result<(), String> {
    let h = Harness::new(TWO)?;
    h.apply().await?;
    h.write(&TWO.replace("\"one\"", "\"two\""))?;
    let plan = h.plan().await?;
    expect_eq(actions(&plan), vec!["~ mem_thing.a".into()], "actions")?;
    let a = &plan.changes[0];
    expect(a.after.attr("revision").is_unknown(), "the provider says revision changes")?;
    expect_eq(a.after.attr("id"), a.before.attr("id"), "the id is kept")
}

#[tokio::test]
async fn a_change_to_a_forcing_argument_is_a_replacement_with_its_path() -> Result<(), String> {
    let h = Harness::new(TWO)?;
    h.apply().await?;
    h.write(&TWO.replace("name  = \"a\"", "name  = \"a2\""))?;
    let plan = h.plan().await?;
    let a = plan.changes.iter().find(|c| c.name == "a").ok_or("a is planned")?;
    expect_eq(a.action, Action::Replace, "a's action")?;
    expect_eq(a.replace_paths.clone(), vec!["name".to_string()], "what forces it")?;
    // b reads a.id, which a new object will change.
    let b = plan.changes.iter().find(|c| c.name == "b").ok_or("b is planned")?;
    expect_eq(b.action, Action::Update, "b's action")?;
    expect(b.after.attr("value").is_unknown(), "b.value is the new a's id")
}

#[tokio::test]
async fn a_resource_gone_from_the_configuration_is_deleted_and_says_why() -> Result<(), String> {
    let h = Harness::new(TWO)?;
    h.apply().await?;
    h.write(
        &TWO.replace("value = mem_thing.a.id", "value = \"x\"")
            .replace("resource \"mem_thing\" \"a\"", "resource \"mem_thing\" \"c\""),
    )?;
    let plan = h.plan().await?;
    let del = plan.changes.iter().find(|c| c.action == Action::Delete).ok_or("a delete")?;
    expect_eq(del.address(), "mem_thing.a".to_string(), "deleted")?;
    expect_eq(del.reason, Some("delete_because_no_resource_config"), "reason")
}

#[tokio::test]
async fn a_smaller_count_deletes_the_highest_indexes() -> Result<(), String> {
    let tf =
        |n: usize| format!("resource \"mem_thing\" \"n\" {{\n  count = {n}\n  name  = \"n${{count.index}}\"\n}}\n");
    let h = Harness::new(&tf(3))?;
    h.apply().await?;
    h.write(&tf(1))?;
    let plan = h.plan().await?;
    let mut got = actions(&plan);
    got.sort();
    expect_eq(got, vec!["- mem_thing.n[1]".into(), "- mem_thing.n[2]".into()], "actions")?;
    expect(
        plan.changes
            .iter()
            .filter(|c| c.action == Action::Delete)
            .all(|c| c.reason == Some("delete_because_count_index")),
        "reasons",
    )
}

#[tokio::test]
async fn for_each_keys_become_instance_keys() -> Result<(), String> {
    let h = Harness::new(
        r#"
resource "mem_thing" "t" {
  for_each = { x = 1, y = 2 }
  name     = each.key
  size     = each.value
}
"#,
    )?;
    let plan = h.plan().await?;
    expect_eq(actions(&plan), vec!["+ mem_thing.t[\"x\"]".into(), "+ mem_thing.t[\"y\"]".into()], "actions")?;
    expect_eq(plan.changes[1].after.attr("size").as_i64(), Some(2), "each.value")
}

#[tokio::test]
async fn for_each_over_a_resource_with_known_keys_and_unknown_values_plans() -> Result<(), String> {
    let h = Harness::new(
        r#"
resource "mem_thing" "g" {
  for_each = toset(["x", "y"])
  name     = each.key
}

resource "mem_thing" "child" {
  for_each = mem_thing.g
  name     = "child-${each.key}"
  value    = each.value.id
}
"#,
    )?;
    let plan = h.plan().await?;
    let children: Vec<String> = actions(&plan).into_iter().filter(|a| a.contains("child")).collect();
    expect_eq(children, vec!["+ mem_thing.child[\"x\"]".into(), "+ mem_thing.child[\"y\"]".into()], "children")?;
    let c = plan.changes.iter().find(|c| c.name == "child").ok_or("a child")?;
    expect(c.after.attr("value").is_unknown(), "each.value.id is unknown")?;
    h.apply().await?;
    let x_id = h.remote("x", "id")?;
    expect_eq(h.remote("child-x", "value")?, x_id, "the child got the parent's id")
}

#[tokio::test]
async fn for_each_over_an_unknown_set_is_refused_as_terraform_refuses_it() -> Result<(), String> {
    let h = Harness::new(
        r#"
resource "mem_thing" "a" {
  name = "a"
}

resource "mem_thing" "b" {
  for_each = toset([mem_thing.a.id])
  name     = each.key
}
"#,
    )?;
    let e = h.plan().await.err().ok_or("the plan is refused")?;
    expect(e.contains("Invalid for_each argument") && e.contains("cannot be determined until apply"), &e)?;
    expect(e.contains("main.tf:7"), format!("names the line: {e}"))
}

#[tokio::test]
async fn an_unknown_count_is_refused() -> Result<(), String> {
    let h = Harness::new(
        r#"
resource "mem_thing" "a" {
  name = "a"
}

resource "mem_thing" "b" {
  count = length(mem_thing.a.id)
  name  = "b"
}
"#,
    )?;
    let e = h.plan().await.err().ok_or("the plan is refused")?;
    expect(e.contains("Invalid count argument"), &e)
}

#[tokio::test]
async fn a_data_source_with_a_known_configuration_is_read_while_planning() -> Result<(), String> {
    let h = Harness::new(TWO)?;
    h.apply().await?;
    h.write(&format!("{TWO}\ndata \"mem_lookup\" \"a\" {{\n  name = \"a\"\n}}\n\noutput \"v\" {{\n  value = data.mem_lookup.a.value\n}}\n"))?;
    let plan = h.plan().await?;
    let d = plan.changes.iter().find(|c| c.is_data()).ok_or("the data source")?;
    expect_eq(d.action, Action::NoOp, "read now")?;
    expect_eq(plan.outputs.get("v").map(|o| o.0.clone()), Some(Value::from("one")), "output")
}

#[tokio::test]
async fn a_data_source_that_depends_on_a_new_object_is_read_during_apply() -> Result<(), String> {
    let h = Harness::new(&format!("{TWO}\ndata \"mem_lookup\" \"b\" {{\n  name = mem_thing.b.name\n}}\n"))?;
    let plan = h.plan().await?;
    let d = plan.changes.iter().find(|c| c.is_data()).ok_or("the data source")?;
    expect_eq(d.action, Action::Read, "deferred")?;
    expect(d.after.attr("value").is_unknown(), "its result is unknown")
}

#[tokio::test]
async fn refresh_finds_a_change_made_outside_and_plans_it_back() -> Result<(), String> {
    let h = Harness::new(TWO)?;
    h.apply().await?;
    {
        let mut w = h.mem.world();
        let o = w.objects.values_mut().find(|o| o.attr("name").as_str() == Some("a")).ok_or("a exists")?;
        o.set_attr("value", Value::from("edited by hand"));
    }
    let plan = h.plan().await?;
    let a = plan.changes.iter().find(|c| c.name == "a").ok_or("a")?;
    expect(a.drifted, "drift is reported")?;
    expect_eq(a.action, Action::Update, "planned back")?;
    expect_eq(a.before.attr("value"), &Value::from("edited by hand"), "before is what refresh found")
}

#[tokio::test]
async fn without_refresh_a_change_made_outside_is_not_seen() -> Result<(), String> {
    let h = Harness::new(TWO)?;
    h.apply().await?;
    h.mem.world().objects.values_mut().for_each(|o| o.set_attr("value", Value::from("edited")));
    let opts = crate::plan::Options { refresh: false, ..h.options() };
    let plan = h.plan_with(&opts).await?;
    expect(!plan.has_changes(), format!("{:?}", actions(&plan)))
}

#[tokio::test]
async fn an_object_deleted_outside_is_created_again() -> Result<(), String> {
    let h = Harness::new(TWO)?;
    h.apply().await?;
    h.mem.world().objects.retain(|_, o| o.attr("name").as_str() != Some("a"));
    let plan = h.plan().await?;
    let a = plan.changes.iter().find(|c| c.name == "a").ok_or("a")?;
    expect_eq(a.action, Action::Create, "recreated")?;
    expect(a.drifted, "drift is reported")
}

#[tokio::test]
async fn a_target_plans_it_and_what_it_depends_on_only() -> Result<(), String> {
    let h = Harness::new(&format!("{TWO}\nresource \"mem_thing\" \"c\" {{\n  name = \"c\"\n}}\n"))?;
    let opts = crate::plan::Options { targets: vec!["mem_thing.b".into()], ..h.options() };
    let plan = h.plan_with(&opts).await?;
    expect_eq(actions(&plan), vec!["+ mem_thing.a".into(), "+ mem_thing.b".into()], "actions")?;
    expect(plan.targeted, "marked targeted")
}

#[tokio::test]
async fn replace_forces_a_replacement_and_says_it_was_requested() -> Result<(), String> {
    let h = Harness::new(TWO)?;
    h.apply().await?;
    let opts = crate::plan::Options { replace: vec!["mem_thing.a".into()], ..h.options() };
    let plan = h.plan_with(&opts).await?;
    let a = plan.changes.iter().find(|c| c.name == "a").ok_or("a")?;
    expect_eq((a.action, a.reason), (Action::Replace, Some("replace_because_requested")), "a")
}

#[tokio::test]
async fn prevent_destroy_refuses_a_plan_that_replaces() -> Result<(), String> {
    let guarded =
        TWO.replace("  value = \"one\"\n", "  value = \"one\"\n  lifecycle {\n    prevent_destroy = true\n  }\n");
    let h = Harness::new(&guarded)?;
    h.apply().await?;
    h.write(&guarded.replace("name  = \"a\"", "name  = \"a2\""))?;
    let e = h.plan().await.err().ok_or("refused")?;
    expect(e.contains("prevent_destroy") && e.contains("mem_thing.a"), &e)
}

#[tokio::test]
async fn ignore_changes_keeps_what_the_remote_object_has() -> Result<(), String> {
    let tf =
        TWO.replace("  value = \"one\"\n", "  value = \"one\"\n  lifecycle {\n    ignore_changes = [value]\n  }\n");
    let h = Harness::new(&tf)?;
    h.apply().await?;
    h.write(&tf.replace("\"one\"", "\"two\""))?;
    let plan = h.plan().await?;
    expect(!plan.has_changes(), format!("{:?}", actions(&plan)))
}

#[tokio::test]
async fn destroy_plans_every_object_dependents_first() -> Result<(), String> {
    let h = Harness::new(TWO)?;
    h.apply().await?;
    let opts = crate::plan::Options { destroy: true, ..h.options() };
    let plan = h.plan_with(&opts).await?;
    expect_eq(actions(&plan), vec!["- mem_thing.b".into(), "- mem_thing.a".into()], "actions")
}

#[tokio::test]
async fn a_providers_validation_error_names_the_resource_and_attribute() -> Result<(), String> {
    let h = Harness::new("resource \"mem_thing\" \"a\" {\n  name = \"a\"\n  size = -1\n}\n")?;
    let e = h.plan().await.err().ok_or("refused")?;
    expect(e.contains("Invalid size") && e.contains("mem_thing.a"), &e)
}

#[tokio::test]
async fn outputs_are_changes_until_state_holds_them() -> Result<(), String> {
    let tf = format!("{TWO}\noutput \"a_value\" {{\n  value = mem_thing.a.value\n}}\n");
    let h = Harness::new(&tf)?;
    let plan = h.plan().await?;
    expect(plan.outputs.get("a_value").is_some_and(|o| o.2), "a new output is a change")?;
    h.apply().await?;
    let plan = h.plan().await?;
    expect(plan.outputs.get("a_value").is_some_and(|o| !o.2), "a stored output is not")?;
    expect(!plan.has_changes(), "nothing to do")
}
