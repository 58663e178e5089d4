//! `moved`, `import` and `removed` blocks through plan and apply.
use super::{Harness, expect, expect_eq};
use tfplugin::Value;

#[tokio::test]
async fn a_moved_resource_keeps_its_object_and_needs_no_change() -> Result<(), String> {
    let h = Harness::new("resource \"mem_thing\" \"old\" {\n  name = \"a\"\n}\n")?;
    h.apply().await?;
    h.log();
    h.write("resource \"mem_thing\" \"new\" {\n  name = \"a\"\n}\n\nmoved {\n  from = mem_thing.old\n  to   = mem_thing.new\n}\n")?;
    let plan = h.plan().await?;
    expect_eq(plan.moves.clone(), vec![("mem_thing.old".to_string(), "mem_thing.new".to_string())], "moves")?;
    expect(
        plan.has_changes() && plan.changes.iter().all(|c| c.action == crate::plan::Action::NoOp),
        "a move, nothing else",
    )?;
    h.apply().await?;
    expect_eq(h.log(), Vec::<String>::new(), "no remote call")?;
    let state = h.state()?;
    expect(
        state.instance(None, "mem_thing", "new", &None).is_some() && state.find(None, "mem_thing", "old").is_none(),
        "moved in state",
    )?;
    expect(!h.plan().await?.has_changes(), "converged")
}

#[tokio::test]
async fn moving_into_a_module_and_cycles() -> Result<(), String> {
    let h = Harness::new("resource \"mem_thing\" \"a\" {\n  name = \"a\"\n}\n")?;
    h.apply().await?;
    h.write_file("m/main.tf", "resource \"mem_thing\" \"a\" {\n  name = \"a\"\n}\n")?;
    h.write(
        "module \"m\" {\n  source = \"./m\"\n}\n\nmoved {\n  from = mem_thing.a\n  to   = module.m.mem_thing.a\n}\n",
    )?;
    h.apply().await?;
    expect(h.state()?.resources.iter().any(|r| r.module.as_deref() == Some("module.m")), "in the module")?;
    expect(!h.plan().await?.has_changes(), "converged")?;
    h.write("moved {\n  from = mem_thing.x\n  to   = mem_thing.y\n}\n\nmoved {\n  from = mem_thing.y\n  to   = mem_thing.x\n}\n")?;
    let e = h.plan().await.err().ok_or("a cycle is refused")?;
    expect(e.contains("Cyclic dependency in move statements"), &e)
}

#[tokio::test]
async fn an_import_block_adopts_the_object_without_creating_it() -> Result<(), String> {
    let h = Harness::new("resource \"mem_thing\" \"seed\" {\n  name  = \"adopt-me\"\n  value = \"v\"\n}\n")?;
    h.apply().await?;
    let id = h.remote("adopt-me", "id")?;
    let id = id.as_str().ok_or("an id")?.to_string();
    // Forget it, then bring it back under another name with an import block.
    std::fs::remove_file(h.dir.path().join("terraform.tfstate")).map_err(super::failure)?;
    h.write(&format!("import {{\n  to = mem_thing.adopted\n  id = \"{id}\"\n}}\n\nresource \"mem_thing\" \"adopted\" {{\n  name  = \"adopt-me\"\n  value = \"v\"\n}}\n"))?;
    h.log();
    let plan = h.plan().await?;
    expect_eq(plan.changes[0].importing.clone(), Some(id.clone()), "importing")?;
    let text = crate::render::plan_text(&plan);
    expect(
        text.contains("# mem_thing.adopted will be imported") && text.contains("Plan: 1 to import, 0 to add"),
        &text,
    )?;
    let (_, sum) = h.apply().await?;
    expect_eq((sum.imported, sum.added), (1, 0), "summary")?;
    expect_eq(h.log(), Vec::<String>::new(), "nothing created")?;
    expect(!h.plan().await?.has_changes(), "an import block for what state has does nothing")
}

#[tokio::test]
async fn removed_with_destroy_false_forgets_and_keeps_the_object() -> Result<(), String> {
    let h = Harness::new("resource \"mem_thing\" \"a\" {\n  name = \"a\"\n}\n")?;
    h.apply().await?;
    h.write("removed {\n  from = mem_thing.a\n\n  lifecycle {\n    destroy = false\n  }\n}\n")?;
    let plan = h.plan().await?;
    expect_eq(plan.forget.len(), 1, "forgotten")?;
    h.apply().await?;
    expect(h.state()?.find(None, "mem_thing", "a").is_none(), "gone from state")?;
    expect_eq(h.remote("a", "name")?, Value::from("a"), "still there")?;
    h.write("resource \"mem_thing\" \"a\" {\n  name = \"a\"\n}\n\nremoved {\n  from = mem_thing.a\n}\n")?;
    let e = h.plan().await.err().ok_or("refused")?;
    expect(e.contains("Removed resource block still exists"), &e)
}
