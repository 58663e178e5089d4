//! Modules against real Terraform and OpenTofu (and `-generate-config-out`
//! for import blocks, against terraform's own): a two-level module tree
//! with `for_each` on a call, an aliased provider passed into a module, a
//! resource whose `for_each` is another resource (known keys, values known
//! only after apply) and outputs read from modules. Applied by aigw, both
//! CLIs plan nothing; applied by terraform, aigw plans nothing.
use crate::engine::{aigw, expect};
use crate::util::{ACCOUNT, Emulator, Workdir, cli};

fn root(us: &Emulator, eu: &Emulator) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    aigw = {{ source = "aigw/aigw" }}
  }}
}}

provider "aigw" {{
  base_url  = "{us}"
  api_token = "t"
}}

provider "aigw" {{
  alias     = "eu"
  base_url  = "{eu}"
  api_token = "t"
}}

variable "teams" {{
  type    = map(number)
  default = {{ search = 3600, chat = 600 }}
}}

resource "aigw_gateway" "shared" {{
  for_each   = toset(["shared-a", "shared-b"])
  account_id = "{ACCOUNT}"
  id         = each.key
}}

# Keys known while planning, values only after apply.
resource "aigw_cache" "shared" {{
  for_each   = aigw_gateway.shared
  account_id = each.value.account_id
  gateway_id = each.value.id
  ttl        = 60
}}

module "team" {{
  source     = "./modules/team"
  for_each   = var.teams
  account_id = "{ACCOUNT}"
  name       = "team-${{each.key}}"
  ttl        = each.value
}}

module "eu" {{
  source     = "./modules/team"
  account_id = "{ACCOUNT}"
  name       = "team-eu"
  providers  = {{ aigw = aigw.eu }}
}}

output "team_gateways" {{
  value = {{ for k, m in module.team : k => m.gateway_id }}
}}

output "eu_limit" {{
  value = module.eu.limit
}}
"#,
        us = us.base_url(),
        eu = eu.base_url()
    )
}

const TEAM: &str = r#"terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

variable "account_id" {
  type = string
}

variable "name" {
  type = string
}

variable "ttl" {
  type    = number
  default = 300
}

resource "aigw_gateway" "gw" {
  account_id = var.account_id
  id         = var.name
}

resource "aigw_cache" "cache" {
  account_id = aigw_gateway.gw.account_id
  gateway_id = aigw_gateway.gw.id
  ttl        = var.ttl
}

module "limits" {
  source     = "./limits"
  account_id = aigw_gateway.gw.account_id
  gateway_id = aigw_gateway.gw.id
}

output "gateway_id" {
  value = aigw_gateway.gw.id
}

output "limit" {
  value = module.limits.limit
}
"#;

const LIMITS: &str = r#"terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}

variable "account_id" {
  type = string
}

variable "gateway_id" {
  type = string
}

resource "aigw_rate_limit" "r" {
  account_id = var.account_id
  gateway_id = var.gateway_id
  limit      = 100
  interval   = 60
}

output "limit" {
  value = aigw_rate_limit.r.limit
}
"#;

fn tree(w: &Workdir, us: &Emulator, eu: &Emulator) {
    std::fs::create_dir_all(w.path().join("modules/team/limits")).unwrap();
    w.write("main.tf", &root(us, eu));
    w.write("modules/team/main.tf", TEAM);
    w.write("modules/team/limits/main.tf", LIMITS);
}

#[test]
#[cfg_attr(not(all(has_terraform, has_tofu_1_6_2)), ignore = "needs terraform-1.11 and tofu-1.6.2")]
fn a_module_tree_is_shared_with_terraform_and_tofu_both_ways() {
    let (Some(tf), Some(tofu)) = (cli("terraform-1.11"), cli("tofu-1.6.2")) else { return };
    let (us, eu) = (Emulator::start("t"), Emulator::start("t"));
    let w = Workdir::new(tf);
    tree(&w, &us, &eu);
    // `terraform get` records the local tree in .terraform/modules, as init does.
    w.expect(0, &["get", "-no-color"]);

    let out = expect(&w, 2, &["plan", "-detailed-exitcode", "-no-color"]);
    for line in [
        "# aigw_cache.shared[\"shared-a\"] will be created",
        "# module.team[\"search\"].module.limits.aigw_rate_limit.r will be created",
        "# module.eu.aigw_gateway.gw will be created",
        "Plan: 13 to add, 0 to change, 0 to destroy.",
    ] {
        assert!(out.stdout.contains(line), "{line}:\n{}", out.stdout);
    }
    let planned = out.stdout.lines().filter(|l| l.starts_with("  # ")).collect::<Vec<_>>().join("\n");
    let theirs = w.expect(2, &["plan", "-detailed-exitcode", "-no-color"]).stdout;
    let theirs = theirs.lines().filter(|l| l.starts_with("  # ")).collect::<Vec<_>>().join("\n");
    assert_eq!(planned, theirs, "aigw and terraform plan the same changes in the same order");

    expect(&w, 0, &["apply", "-auto-approve", "-no-color"]);
    assert_eq!(us.gateway_ids().len(), 4, "two shared and two teams on the default provider");
    assert_eq!(eu.gateway_ids(), vec!["team-eu".to_string()], "the aliased provider reached its endpoint");
    let state = std::fs::read_to_string(w.path().join("terraform.tfstate")).unwrap();
    assert!(state.contains(r#""module": "module.team[\"search\"].module.limits""#), "{state}");
    expect(&w, 0, &["plan", "-detailed-exitcode"]);
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);
    let out = w.run_cli(&tofu, &["get", "-no-color"], "");
    assert_eq!(out.code, 0, "{}", out.all());
    let out = w.run_cli(&tofu, &["plan", "-detailed-exitcode", "-no-color"], "");
    assert_eq!(out.code, 0, "tofu plans nothing on aigw's state:\n{}", out.all());
    let shown = expect(&w, 0, &["state", "show", "module.team[\"chat\"].aigw_cache.cache"]).stdout;
    assert!(shown.contains("ttl") && shown.contains("600"), "{shown}");
    let outputs = expect(&w, 0, &["output", "-json"]).stdout;
    assert!(outputs.contains("team-search") && outputs.contains("100"), "{outputs}");

    // The other way: terraform applies a change inside a module, aigw agrees.
    w.write("main.tf", &root(&us, &eu).replace("chat = 600", "chat = 900"));
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    expect(&w, 0, &["plan", "-detailed-exitcode"]);
    // A module instance that leaves is destroyed, with Terraform's reason.
    w.write("main.tf", &root(&us, &eu).replace("search = 3600, chat = 600", "search = 3600"));
    let out = expect(&w, 2, &["plan", "-detailed-exitcode", "-no-color"]);
    assert!(out.stdout.contains("# (because module.team[\"chat\"] is not in configuration)"), "{}", out.stdout);
    assert!(out.stdout.contains("Plan: 0 to add, 0 to change, 3 to destroy."), "{}", out.stdout);
    expect(&w, 0, &["destroy", "-auto-approve"]);
    assert!(us.gateway_ids().is_empty() && eu.gateway_ids().is_empty());
    let out = aigw(&w, &["state", "list"]);
    assert_eq!(out.stdout.trim(), "", "{}", out.all());
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn generate_config_out_writes_what_terraform_writes() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let config = "import {\n  to = terraform_data.adopted\n  id = \"abc\"\n}\n";
    let (ours, theirs) = (Workdir::new(cli("terraform-1.11").unwrap()), Workdir::new(tf));
    for w in [&ours, &theirs] {
        w.write("main.tf", config);
    }
    theirs.expect(0, &["init", "-no-color"]);
    theirs.expect(0, &["plan", "-no-color", "-generate-config-out=generated.tf"]);
    let out = expect(&ours, 0, &["plan", "-no-color", "-generate-config-out=generated.tf"]);
    assert!(out.stdout.contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."), "{}", out.stdout);
    let read = |w: &Workdir| std::fs::read_to_string(w.path().join("generated.tf")).unwrap();
    assert_eq!(read(&ours), read(&theirs).replace("by Terraform", "by aigw"));
    expect(&ours, 0, &["fmt", "-check"]);
    // A second run refuses to overwrite the file.
    let e = aigw(&ours, &["plan", "-generate-config-out=generated.tf"]);
    assert!(e.code == 1 && e.all().contains("writes a new file"), "{}", e.all());
    expect(&ours, 0, &["apply", "-auto-approve"]);
    ours.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);
}
