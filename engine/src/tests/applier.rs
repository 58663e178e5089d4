//! What the applier does: operation order, replacements, unknowns
//! resolved, partial failure kept, the state and outputs it writes.
use super::{Harness, expect, expect_eq};
use tfplugin::Value;

const CHAIN: &str = r#"
resource "mem_thing" "a" {
  name = "a"
}

resource "mem_thing" "b" {
  name  = "b"
  value = mem_thing.a.id
}

resource "mem_thing" "c" {
  name  = "c"
  value = mem_thing.b.id
}
"#;

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

#[tokio::test]
async fn creates_run_in_dependency_order_and_resolve_unknowns() -> Result<(), String> {
    let h = Harness::new(CHAIN)?;
    let (_, sum) = h.apply().await?;
    expect_eq(h.log(), strings(&["create a", "create b", "create c"]), "order")?;
    expect_eq(sum.added, 3, "added")?;
    expect_eq(h.remote("b", "value")?, h.remote("a", "id")?, "b got a's id")?;
    expect_eq(h.remote("c", "value")?, h.remote("b", "id")?, "c got b's id")
}

#[tokio::test]
async fn deletes_run_dependents_first() -> Result<(), String> {
    let h = Harness::new(CHAIN)?;
    h.apply().await?;
    h.log();
    h.write("resource \"mem_thing\" \"z\" {\n  name = \"z\"\n}\n")?;
    let (_, sum) = h.apply().await?;
    let log = h.log();
    let at = |s: &str| log.iter().position(|l| l == s);
    expect(at("delete c") < at("delete b") && at("delete b") < at("delete a"), format!("{log:?}"))?;
    expect_eq((sum.added, sum.destroyed), (1, 3), "summary")
}

#[tokio::test]
async fn destroy_removes_everything_and_empties_the_state() -> Result<(), String> {
    let h = Harness::new(CHAIN)?;
    h.apply().await?;
    h.log();
    let opts = crate::plan::Options { destroy: true, ..h.options() };
    let (_, sum) = h.apply_with(&opts).await?;
    expect_eq(h.log(), strings(&["delete c", "delete b", "delete a"]), "order")?;
    expect_eq(sum.destroyed, 3, "destroyed")?;
    expect(h.state()?.resources.iter().all(|r| r.instances.is_empty()), "state is empty")?;
    expect(h.mem.world().objects.is_empty(), "world is empty")
}

#[tokio::test]
async fn a_replacement_deletes_first_by_default() -> Result<(), String> {
    let h = Harness::new("resource \"mem_thing\" \"a\" {\n  name = \"a\"\n}\n")?;
    h.apply().await?;
    h.log();
    h.write("resource \"mem_thing\" \"a\" {\n  name = \"a2\"\n}\n")?;
    let (_, sum) = h.apply().await?;
    expect_eq(h.log(), strings(&["delete a", "create a2"]), "order")?;
    expect_eq((sum.added, sum.destroyed), (1, 1), "summary")
}

#[tokio::test]
async fn create_before_destroy_creates_the_new_object_first() -> Result<(), String> {
    let tf = |n: &str| {
        format!(
            "resource \"mem_thing\" \"a\" {{\n  name = \"{n}\"\n  lifecycle {{\n    create_before_destroy = true\n  }}\n}}\n"
        )
    };
    let h = Harness::new(&tf("a"))?;
    h.apply().await?;
    h.log();
    h.write(&tf("a2"))?;
    let (_, sum) = h.apply().await?;
    expect_eq(h.log(), strings(&["create a2", "delete a"]), "order")?;
    expect_eq((sum.added, sum.destroyed), (1, 1), "summary")
}

#[tokio::test]
async fn a_replacement_reaches_its_dependents_with_the_new_id() -> Result<(), String> {
    let h = Harness::new(CHAIN)?;
    h.apply().await?;
    let old = h.remote("a", "id")?;
    h.write(&CHAIN.replacen("name = \"a\"", "name = \"a-new\"", 1))?;
    h.apply().await?;
    let new = h.remote("a-new", "id")?;
    expect(new != old, "a new object")?;
    expect_eq(h.remote("b", "value")?, new, "b follows")
}

#[tokio::test]
async fn an_update_changes_the_object_in_place() -> Result<(), String> {
    let h = Harness::new("resource \"mem_thing\" \"a\" {\n  name  = \"a\"\n  value = \"1\"\n}\n")?;
    h.apply().await?;
    let id = h.remote("a", "id")?;
    h.write("resource \"mem_thing\" \"a\" {\n  name  = \"a\"\n  value = \"2\"\n}\n")?;
    let (_, sum) = h.apply().await?;
    expect_eq((sum.added, sum.changed, sum.destroyed), (0, 1, 0), "summary")?;
    expect_eq(h.remote("a", "id")?, id, "same object")?;
    expect_eq(h.remote("a", "revision")?.as_i64(), Some(2), "revision")
}

#[tokio::test]
async fn a_failure_keeps_what_was_done_and_skips_what_depends_on_it() -> Result<(), String> {
    let h = Harness::new(&format!("{CHAIN}\nresource \"mem_thing\" \"other\" {{\n  name = \"other\"\n}}\n"))?;
    h.mem.world().fail.insert("b".into());
    let e = h.apply().await.err().ok_or("the apply fails")?;
    expect(e.contains("b was told to fail"), &e)?;
    let log = h.log();
    expect(log.contains(&"create a".to_string()) && log.contains(&"create other".to_string()), format!("{log:?}"))?;
    expect(!log.contains(&"create c".to_string()), format!("c depends on b and never started: {log:?}"))?;
    let state = h.state()?;
    let names: Vec<&str> =
        state.resources.iter().filter(|r| !r.instances.is_empty()).map(|r| r.name.as_str()).collect();
    expect_eq(names, vec!["a", "other"], "state keeps what was done")?;
    // Once the cause is gone, the next apply does the rest only.
    h.mem.world().fail.clear();
    let (_, sum) = h.apply().await?;
    expect_eq(h.log(), strings(&["create b", "create c"]), "the rest")?;
    expect_eq(sum.added, 2, "added")
}

#[tokio::test]
async fn a_failed_update_leaves_the_old_object_in_state() -> Result<(), String> {
    let h = Harness::new("resource \"mem_thing\" \"a\" {\n  name  = \"a\"\n  value = \"1\"\n}\n")?;
    h.apply().await?;
    h.write("resource \"mem_thing\" \"a\" {\n  name  = \"a\"\n  value = \"2\"\n}\n")?;
    h.mem.world().fail.insert("a".into());
    h.apply().await.err().ok_or("fails")?;
    let state = h.state()?;
    let inst = state.instance(None, "mem_thing", "a", &None).ok_or("a is still in state")?;
    expect_eq(inst.attributes["value"].as_str(), Some("1"), "the old value")
}

#[tokio::test]
async fn a_deferred_data_source_is_read_once_its_dependency_exists() -> Result<(), String> {
    let tf = r#"
resource "mem_thing" "a" {
  name  = "a"
  value = "hello"
}

data "mem_lookup" "a" {
  name = mem_thing.a.name
}

resource "mem_thing" "echo" {
  name  = "echo"
  value = data.mem_lookup.a.value
}
"#;
    let h = Harness::new(tf)?;
    h.apply().await?;
    expect_eq(h.remote("echo", "value")?, Value::from("hello"), "read at apply")
}

#[tokio::test]
async fn outputs_are_written_with_their_types_and_sensitivity() -> Result<(), String> {
    let tf = format!(
        "{CHAIN}\noutput \"ids\" {{\n  value = [mem_thing.a.id, mem_thing.b.id]\n}}\n\noutput \"secret\" {{\n  value     = mem_thing.c.id\n  sensitive = true\n}}\n"
    );
    let h = Harness::new(&tf)?;
    h.apply().await?;
    let state = h.state()?;
    let ids = state.outputs.get("ids").ok_or("ids")?;
    expect_eq(ids["type"].clone(), serde_json::json!(["tuple", ["string", "string"]]), "type")?;
    expect_eq(ids["value"][0].as_str(), h.remote("a", "id")?.as_str(), "value")?;
    expect_eq(state.outputs.get("secret").map(|o| o["sensitive"].clone()), Some(serde_json::json!(true)), "sensitive")
}

#[tokio::test]
async fn state_records_dependencies_and_keeps_its_lineage() -> Result<(), String> {
    let h = Harness::new(CHAIN)?;
    h.apply().await?;
    let first = h.state()?;
    let c = first.instance(None, "mem_thing", "c", &None).ok_or("c")?;
    expect_eq(c.dependencies.clone(), strings(&["mem_thing.a", "mem_thing.b"]), "c's dependencies")?;
    h.write(&CHAIN.replace("name  = \"c\"", "name  = \"c\"\n  size  = 3"))?;
    h.apply().await?;
    let second = h.state()?;
    expect_eq(second.lineage.clone(), first.lineage.clone(), "lineage")?;
    expect(second.serial > first.serial, format!("serial {} → {}", first.serial, second.serial))
}

#[tokio::test]
async fn one_at_a_time_applies_everything_in_order() -> Result<(), String> {
    let h = Harness::new(CHAIN)?;
    let opts = crate::plan::Options { parallelism: 1, ..h.options() };
    let (_, sum) = h.apply_with(&opts).await?;
    expect_eq(sum.added, 3, "added")?;
    expect_eq(h.log(), strings(&["create a", "create b", "create c"]), "order")
}

#[tokio::test]
async fn independent_creates_all_happen_and_count_instances_get_their_index() -> Result<(), String> {
    let h = Harness::new(
        "resource \"mem_thing\" \"n\" {\n  count = 5\n  name  = \"n${count.index}\"\n  size  = count.index\n}\n",
    )?;
    let (_, sum) = h.apply().await?;
    expect_eq(sum.added, 5, "added")?;
    expect_eq(h.remote("n3", "size")?.as_i64(), Some(3), "count.index")?;
    let plan = h.plan().await?;
    expect(!plan.has_changes(), "converged")
}

#[tokio::test]
async fn an_object_deleted_outside_and_removed_from_the_configuration_is_forgotten() -> Result<(), String> {
    let h = Harness::new(CHAIN)?;
    h.apply().await?;
    h.mem.world().objects.retain(|_, o| o.attr("name").as_str() != Some("c"));
    h.write(&CHAIN[..CHAIN.find("resource \"mem_thing\" \"c\"").ok_or("c's block")?])?;
    let (plan, _) = h.apply().await?;
    expect(!plan.has_changes(), "nothing to delete remotely")?;
    expect(h.state()?.instance(None, "mem_thing", "c", &None).is_none(), "c is dropped from state")
}
