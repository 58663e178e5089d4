//! The provider under real CLIs: Terraform 1.11 (PATH), OpenTofu 1.6.2,
//! Terraform 1.0.3 (oldest) and 1.15.5 (newest), each against its own
//! emulator on port 0.
use reqwest::Method;
use serde_json::json;

use crate::util::{ACCOUNT, CliBin, Emulator, Workdir, cli};

fn config(emu: &Emulator, id: &str, extra: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    aigw = {{ source = "aigw/aigw" }}
  }}
}}

variable "token" {{
  type      = string
  sensitive = true
}}

provider "aigw" {{
  base_url  = "{base}"
  api_token = var.token
}}

resource "aigw_gateway" "main" {{
  account_id     = "{ACCOUNT}"
  id             = "{id}"
  authentication = false
{extra}
}}
"#,
        base = emu.base_url()
    )
}

fn workdir(cli: CliBin, emu: &Emulator, token: &str) -> Workdir {
    let mut w = Workdir::new(cli);
    w.env("TF_VAR_token", token);
    let _ = emu;
    w
}

/// The whole lifecycle the issue asks for, in order, on one CLI.
fn lifecycle(name: &'static str) {
    let Some(cli) = cli(name) else { return };
    let emu = Emulator::start("e2e-token");
    let w = workdir(cli, &emu, "e2e-token");

    // apply creates the gateway, and the emulator's API shows it.
    w.write("main.tf", &config(&emu, "support-bot", "  collect_logs = true"));
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    let g = emu.gateway("support-bot").expect("gateway created");
    assert_eq!(g["collect_logs"], true);

    // A second plan is empty.
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);

    // A field set through the API survives an in-place update of another.
    let mut body = g.clone();
    for k in ["id", "created_at", "modified_at", "is_default"] {
        body.as_object_mut().unwrap().remove(k);
    }
    body["log_management"] = json!(25000);
    let (s, b) = emu.api(Method::PUT, "/gateways/support-bot", Some(body));
    assert_eq!(s, 200, "{b}");
    w.write("main.tf", &config(&emu, "support-bot", "  collect_logs = false"));
    let plan = w.expect(2, &["plan", "-detailed-exitcode", "-no-color"]);
    assert!(plan.stdout.contains("update in-place"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    let g = emu.gateway("support-bot").unwrap();
    assert_eq!((g["collect_logs"].clone(), g["log_management"].clone()), (json!(false), json!(25000)));
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);

    // Changing id plans a replacement.
    w.write("main.tf", &config(&emu, "support-bot-2", "  collect_logs = false"));
    let plan = w.expect(2, &["plan", "-detailed-exitcode", "-no-color"]);
    assert!(plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    w.write("main.tf", &config(&emu, "support-bot", "  collect_logs = false"));

    // Deleted through the API: the next plan creates it again.
    let (s, _) = emu.api(Method::DELETE, "/gateways/support-bot", None);
    assert_eq!(s, 200);
    let plan = w.expect(2, &["plan", "-detailed-exitcode", "-no-color"]);
    assert!(plan.stdout.contains("will be created"), "{}", plan.all());
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);

    // Import of an existing gateway gives a state after which plan is empty.
    std::fs::remove_file(w.path().join("terraform.tfstate")).unwrap();
    let import_id = format!("{ACCOUNT}/support-bot");
    w.expect(0, &["import", "-no-color", "aigw_gateway.main", &import_id]);
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);

    // destroy leaves the emulator empty.
    w.expect(0, &["destroy", "-auto-approve", "-no-color"]);
    assert!(emu.gateway_ids().is_empty(), "left behind: {:?}", emu.gateway_ids());
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn lifecycle_terraform_1_11() {
    lifecycle("terraform-1.11");
}

#[test]
#[cfg_attr(not(has_tofu_1_6_2), ignore = "needs tofu-1.6.2: run scripts/install-clis.sh")]
fn lifecycle_opentofu_1_6_2() {
    lifecycle("tofu-1.6.2");
}

#[test]
#[cfg_attr(not(has_terraform_1_0_3), ignore = "needs terraform-1.0.3: run scripts/install-clis.sh")]
fn lifecycle_terraform_1_0_3() {
    lifecycle("terraform-1.0.3");
}

#[test]
#[cfg_attr(not(has_terraform_1_15_5), ignore = "needs terraform-1.15.5: run scripts/install-clis.sh")]
fn lifecycle_terraform_1_15_5() {
    lifecycle("terraform-1.15.5");
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn invalid_values_fail_plan_on_their_attribute() {
    let Some(cli) = cli("terraform-1.11") else { return };
    let emu = Emulator::start("t");
    let w = workdir(cli, &emu, "t");
    w.write("main.tf", &config(&emu, "Not_A Valid/Id", ""));
    let out = w.expect(1, &["plan", "-no-color"]);
    let err = out.stderr;
    assert!(err.contains("Error: Invalid id"), "{err}");
    assert!(err.contains(r#"id             = "Not_A Valid/Id""#), "diagnostic points at the attribute:\n{err}");

    w.write("main.tf", &config(&emu, "ok", "  retry_delay = 9000"));
    let err = w.expect(1, &["plan", "-no-color"]).stderr;
    assert!(err.contains("Error: Invalid retry_delay"), "{err}");
    assert!(err.contains("retry_delay = 9000"), "diagnostic points at the attribute:\n{err}");
    assert!(emu.gateway_ids().is_empty());
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn wrong_token_fails_with_the_auth_error_and_never_leaks() {
    let Some(cli) = cli("terraform-1.11") else { return };
    let emu = Emulator::start("the-right-token");
    let secret = "wrong-token-7c1e9b2f";
    let w = workdir(cli, &emu, secret);
    w.write("main.tf", &config(&emu, "gw", ""));
    let out = w.expect(1, &["apply", "-auto-approve", "-no-color"]);
    assert!(out.stderr.contains("Authentication error (code 10000)"), "{}", out.all());
    assert!(!out.all().contains(secret), "token leaked into output:\n{}", out.all());
    let state = std::fs::read_to_string(w.path().join("terraform.tfstate")).unwrap_or_default();
    assert!(!state.contains(secret), "token leaked into state");
    assert!(emu.gateway_ids().is_empty());
}
