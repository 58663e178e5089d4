//! Custom conditions, triggers and check blocks through plan and apply.
use super::{Harness, actions, expect, expect_eq};
use crate::plan::Action;

#[tokio::test]
async fn a_false_precondition_stops_the_plan_with_its_message() -> Result<(), String> {
    let h = Harness::new(
        "variable \"n\" {\n  default = 5\n}\n\nresource \"mem_thing\" \"a\" {\n  name = \"a\"\n  lifecycle {\n    precondition {\n      condition     = var.n < 3\n      error_message = \"n must be below 3\"\n    }\n  }\n}\n",
    )?;
    let e = h.plan().await.err().ok_or("refused")?;
    expect(e.contains("main.tf:9:") && e.contains("Resource precondition failed: n must be below 3"), &e)
}

#[tokio::test]
async fn a_postcondition_on_an_unknown_value_is_checked_after_apply_and_keeps_the_object() -> Result<(), String> {
    let tf = "resource \"mem_thing\" \"a\" {\n  name = \"a\"\n  lifecycle {\n    postcondition {\n      condition     = self.revision > 1\n      error_message = \"revision ${self.revision} is too low\"\n    }\n  }\n}\n\nresource \"mem_thing\" \"b\" {\n  name  = \"b\"\n  value = mem_thing.a.id\n}\n";
    let h = Harness::new(tf)?;
    let plan = h.plan().await?;
    expect_eq(actions(&plan).len(), 2, "the plan passes: revision is not known yet")?;
    let e = h.apply().await.err().ok_or("the apply fails")?;
    expect(e.contains("Resource postcondition failed: revision 1 is too low"), &e)?;
    expect(h.state()?.instance(None, "mem_thing", "a", &None).is_some(), "a is saved")?;
    expect_eq(h.log(), vec!["create a".to_string()], "b waited for a's postcondition")
}

#[tokio::test]
async fn replace_triggered_by_replaces_on_the_named_change_only() -> Result<(), String> {
    let tf = |v: &str| {
        format!(
            "resource \"mem_thing\" \"src\" {{\n  name  = \"src\"\n  value = \"{v}\"\n}}\n\nresource \"mem_thing\" \"whole\" {{\n  name = \"whole\"\n  lifecycle {{\n    replace_triggered_by = [mem_thing.src]\n  }}\n}}\n\nresource \"mem_thing\" \"size\" {{\n  name = \"size\"\n  lifecycle {{\n    replace_triggered_by = [mem_thing.src.size]\n  }}\n}}\n"
        )
    };
    let h = Harness::new(&tf("1"))?;
    h.apply().await?;
    h.write(&tf("2"))?;
    let plan = h.plan().await?;
    let whole = plan.changes.iter().find(|c| c.name == "whole").ok_or("whole")?;
    expect_eq((whole.action, whole.reason), (Action::Replace, Some("replace_by_triggers")), "whole")?;
    let size = plan.changes.iter().find(|c| c.name == "size").ok_or("size")?;
    expect_eq(size.action, Action::NoOp, "src.size did not change")?;
    h.apply().await?;
    expect(!h.plan().await?.has_changes(), "converged")
}

#[tokio::test]
async fn a_failing_check_is_a_warning_after_plan_and_after_apply() -> Result<(), String> {
    let tf = "resource \"mem_thing\" \"a\" {\n  name  = \"a\"\n  value = \"x\"\n}\n\ncheck \"value\" {\n  data \"mem_lookup\" \"a\" {\n    name = mem_thing.a.name\n  }\n  assert {\n    condition     = data.mem_lookup.a.value == \"y\"\n    error_message = \"a's value is not y\"\n  }\n}\n";
    let h = Harness::new(tf)?;
    let plan = h.plan().await?;
    expect(plan.warnings.is_empty(), format!("nothing is known before apply: {:?}", plan.warnings))?;
    let (_, sum) = h.apply().await?;
    expect(
        sum.warnings.iter().any(|w| w.contains("Check block assertion failed: a's value is not y")),
        format!("{:?}", sum.warnings),
    )?;
    let plan = h.plan().await?;
    expect_eq(plan.warnings.len(), 1, "the plan warns too")
}
