//! Modules through plan and apply: instances, inputs and outputs,
//! providers passed in, sources, and what leaves the configuration.
use super::{Harness, actions, expect, expect_eq};
use tfplugin::Value;

const THING: &str = r#"
variable "name" {
  type = string
}

variable "size" {
  type    = number
  default = 1

  validation {
    condition     = var.size < 100
    error_message = "size must be below 100"
  }
}

variable "parent" {
  type    = string
  default = null
}

resource "mem_thing" "t" {
  name  = var.name
  size  = var.size
  value = var.parent
}

module "part" {
  source = "./part"
  count  = 2
  owner  = mem_thing.t.id
  name   = "${var.name}-part${count.index}"
}

output "id" {
  value = mem_thing.t.id
}

output "parts" {
  value = module.part[*].id
}
"#;

const PART: &str = r#"
variable "owner" {
  type = string
}

variable "name" {
  type = string
}

resource "mem_thing" "p" {
  name  = var.name
  value = var.owner
}

output "id" {
  value = mem_thing.p.id
}
"#;

const ROOT: &str = r#"
module "team" {
  source   = "./modules/thing"
  for_each = { a = 1, b = 2 }
  name     = each.key
  size     = each.value
}

resource "mem_thing" "user" {
  name  = "user"
  value = module.team["a"].id
}

output "parts" {
  value = module.team["b"].parts
}
"#;

fn tree(root: &str) -> Result<Harness, String> {
    let h = Harness::new(root)?;
    h.write_file("modules/thing/main.tf", THING)?;
    h.write_file("modules/thing/part/main.tf", PART)?;
    Ok(h)
}

#[tokio::test]
async fn a_module_tree_plans_each_instance_at_its_address() -> Result<(), String> {
    let h = tree(ROOT)?;
    let mut got = actions(&h.plan().await?);
    got.sort();
    let want = [
        "+ mem_thing.user",
        "+ module.team[\"a\"].mem_thing.t",
        "+ module.team[\"a\"].module.part[0].mem_thing.p",
        "+ module.team[\"a\"].module.part[1].mem_thing.p",
        "+ module.team[\"b\"].mem_thing.t",
        "+ module.team[\"b\"].module.part[0].mem_thing.p",
        "+ module.team[\"b\"].module.part[1].mem_thing.p",
    ];
    expect_eq(got, want.iter().map(ToString::to_string).collect(), "actions")
}

#[tokio::test]
async fn outputs_and_inputs_carry_values_known_only_at_apply() -> Result<(), String> {
    let h = tree(ROOT)?;
    let (_, sum) = h.apply().await?;
    expect_eq(sum.added, 7, "added")?;
    expect_eq(h.remote("user", "value")?, h.remote("a", "id")?, "a module's output reaches the root")?;
    expect_eq(h.remote("b-part1", "value")?, h.remote("b", "id")?, "an input reaches a nested module")?;
    expect_eq(h.remote("b", "size")?.as_i64(), Some(2), "each.value as an input")?;
    let state = h.state()?;
    let parts = state.outputs.get("parts").ok_or("parts")?;
    expect_eq(parts["value"][1].as_str(), h.remote("b-part1", "id")?.as_str(), "nested outputs")?;
    let r = state
        .resources
        .iter()
        .find(|r| r.name == "p" && r.module.as_deref() == Some("module.team[\"b\"].module.part[1]"));
    expect(r.is_some(), "state names the module instance as Terraform does")?;
    expect(!h.plan().await?.has_changes(), "converged")
}

#[tokio::test]
async fn the_calling_order_is_kept_at_apply_and_reversed_at_destroy() -> Result<(), String> {
    let h = tree(ROOT)?;
    h.apply().await?;
    let log = h.log();
    let at = |s: &str| log.iter().position(|l| l == s).unwrap_or(usize::MAX);
    expect(at("create a") < at("create a-part0") && at("create a") < at("create user"), format!("{log:?}"))?;
    let opts = crate::plan::Options { destroy: true, ..h.options() };
    let (_, sum) = h.apply_with(&opts).await?;
    expect_eq(sum.destroyed, 7, "destroyed")?;
    let log = h.log();
    let at = |s: &str| log.iter().position(|l| l == s).unwrap_or(usize::MAX);
    expect(at("delete a-part0") < at("delete a") && at("delete user") < at("delete a"), format!("{log:?}"))
}

#[tokio::test]
async fn a_module_instance_that_leaves_is_destroyed_because_it_is_not_in_configuration() -> Result<(), String> {
    let h = tree(ROOT)?;
    h.apply().await?;
    h.write(
        &ROOT.replace("{ a = 1, b = 2 }", "{ a = 1 }").replace("module.team[\"b\"].parts", "module.team[\"a\"].parts"),
    )?;
    let plan = h.plan().await?;
    let deletes: Vec<_> = plan.changes.iter().filter(|c| c.action == crate::plan::Action::Delete).collect();
    expect_eq(deletes.len(), 3, "b and its parts")?;
    expect(deletes.iter().all(|c| c.reason == Some("delete_because_no_module")), "reason")?;
    let text = crate::render::plan_text(&plan);
    expect(text.contains("# (because module.team[\"b\"] is not in configuration)"), &text)
}

#[tokio::test]
async fn inputs_are_checked_against_the_modules_variables() -> Result<(), String> {
    let h = tree(&ROOT.replace("  size     = each.value\n", "  size     = each.value\n  colour   = \"red\"\n"))?;
    let e = h.plan().await.err().ok_or("refused")?;
    expect(e.contains("Unsupported argument") && e.contains("colour") && e.contains("main.tf:7"), &e)?;
    h.write(&ROOT.replace("  name     = each.key\n", ""))?;
    let e = h.plan().await.err().ok_or("refused")?;
    expect(e.contains("module.team[\"a\"]: the input variable \"name\" is required"), &e)?;
    h.write(&ROOT.replace("size     = each.value", "size     = each.value * 100"))?;
    let e = h.plan().await.err().ok_or("refused")?;
    expect(e.contains("modules/thing/main.tf:") && e.contains("size must be below 100"), &e)
}

#[tokio::test]
async fn a_provider_passed_to_a_module_is_the_one_its_resources_use() -> Result<(), String> {
    let root = r#"
provider "mem" {
  alias = "west"
  label = "west"
}

module "w" {
  source    = "./modules/part"
  owner     = "x"
  name      = "w"
  providers = { mem = mem.west }
}
"#;
    let h = Harness::new(root)?;
    h.write_file("modules/part/main.tf", PART)?;
    h.apply().await?;
    let state = h.state()?;
    let r = state.resources.first().ok_or("a resource")?;
    expect_eq(r.provider.as_str(), "provider[\"registry.terraform.io/hashicorp/mem\"].west", "provider")?;
    expect_eq(r.module.as_deref(), Some("module.w"), "module")
}

#[tokio::test]
async fn an_aliased_provider_not_passed_in_is_an_error() -> Result<(), String> {
    let h = Harness::new("module \"w\" {\n  source = \"./m\"\n}\n")?;
    h.write_file("m/main.tf", "resource \"mem_thing\" \"x\" {\n  provider = mem.east\n  name     = \"x\"\n}\n")?;
    let e = h.plan().await.err().ok_or("refused")?;
    expect(e.contains("mem.east is not passed to this module"), &e)
}

#[tokio::test]
async fn sources_come_from_disk_or_from_what_terraform_init_fetched() -> Result<(), String> {
    let h = Harness::new("module \"r\" {\n  source = \"acme/thing/mem\"\n  owner  = \"o\"\n  name   = \"r\"\n}\n")?;
    let e = h.plan().await.err().ok_or("refused")?;
    expect(e.contains("\"acme/thing/mem\" has to be downloaded") && e.contains("terraform init"), &e)?;
    h.write_file("vendor/thing/main.tf", PART)?;
    h.write_file(
        ".terraform/modules/modules.json",
        r#"{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"r","Source":"registry.terraform.io/acme/thing/mem","Version":"1.0.0","Dir":"vendor/thing"}]}"#,
    )?;
    h.apply().await?;
    expect_eq(h.remote("r", "value")?, Value::from("o"), "the fetched module ran")
}

#[tokio::test]
async fn a_module_that_calls_itself_is_refused() -> Result<(), String> {
    let h = Harness::new("module \"loop\" {\n  source = \"./m\"\n}\n")?;
    h.write_file("m/main.tf", "module \"again\" {\n  source = \"./\"\n}\n")?;
    let e = h.plan().await.err().ok_or("refused")?;
    expect(e.contains("modules nest more than 64 deep"), &e)
}
