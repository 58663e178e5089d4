//! `aigw_guardrails` and `aigw_dlp` under real Terraform 1.11 and OpenTofu 1.6 against the
//! emulator: create, empty second plan, in-place update, drift after an API
//! edit, import, destroy (the control switched off, the gateway kept), and
//! an unrelated setting made through the API surviving every write.
use serde_json::{Value, json};

use crate::policies::{config, plan_is_update, put_gateway, setup, setup_with};
use crate::util::{ACCOUNT, Emulator, Workdir};

fn guardrails(prompt: &str, response: &str) -> String {
    format!(
        r#"resource "aigw_guardrails" "main" {{
  account_id = aigw_gateway.main.account_id
  gateway_id = aigw_gateway.main.id
  prompt     = {{ {prompt} }}
  response   = {{ {response} }}
}}
"#
    )
}

fn dlp(policies: &str) -> String {
    format!(
        r#"resource "aigw_dlp" "main" {{
  account_id = aigw_gateway.main.account_id
  gateway_id = aigw_gateway.main.id
  policies   = [{policies}]
}}
"#
    )
}

const CARDS: &str = r#"{ id = "cards", action = "BLOCK", profiles = ["credit_card"] }"#;
const MAIL: &str = r#"{ id = "mail", action = "FLAG", profiles = ["email", "phone"], check = ["RESPONSE"] }"#;

fn apply(w: &Workdir) {
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
}

fn empty_plan(w: &Workdir) {
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);
}

/// Sets `log_management` through the API, as a dashboard user would.
fn unrelated_edit(emu: &Emulator) {
    put_gateway(emu, |g| g["log_management"] = json!(25_000));
}

fn assert_unrelated_kept(emu: &Emulator) {
    assert_eq!(emu.gateway("gw").unwrap()["log_management"], 25_000, "a setting made elsewhere was wiped");
}

fn reimport(w: &Workdir, address: &str) {
    w.expect(0, &["state", "rm", address]);
    w.expect(0, &["import", "-no-color", address, &format!("{ACCOUNT}/gw")]);
    empty_plan(w);
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn guardrails_lifecycle_terraform_1_11() {
    guardrails_lifecycle("terraform-1.11");
}

#[test]
#[cfg_attr(not(has_tofu_1_6_2), ignore = "needs tofu-1.6.2: run scripts/install-clis.sh")]
fn guardrails_lifecycle_opentofu_1_6_2() {
    guardrails_lifecycle("tofu-1.6.2");
}

fn guardrails_lifecycle(cli: &'static str) {
    let Some((emu, w)) = setup_with(cli) else { return };
    w.write("main.tf", &config(&emu, &guardrails(r#"P1 = "BLOCK", S1 = "FLAG""#, r#"S10 = "BLOCK""#)));
    apply(&w);
    assert_eq!(
        emu.gateway("gw").unwrap()["guardrails"],
        json!({"prompt": {"P1": "BLOCK", "S1": "FLAG"}, "response": {"S10": "BLOCK"}})
    );
    empty_plan(&w);
    unrelated_edit(&emu);

    w.write("main.tf", &config(&emu, &guardrails(r#"P1 = "BLOCK", S1 = "BLOCK""#, r#"S10 = "BLOCK""#)));
    assert!(plan_is_update(&w).contains(r#""S1" = "FLAG" -> "BLOCK""#));
    apply(&w);
    assert_eq!(emu.gateway("gw").unwrap()["guardrails"]["prompt"]["S1"], "BLOCK");
    assert_unrelated_kept(&emu);
    empty_plan(&w);

    // Drift: a category added in the dashboard is shown and taken away.
    put_gateway(&emu, |g| g["guardrails"]["response"]["S12"] = json!("FLAG"));
    assert!(plan_is_update(&w).contains(r#"- "S12" = "FLAG""#));
    apply(&w);
    assert!(emu.gateway("gw").unwrap()["guardrails"]["response"].get("S12").is_none());

    reimport(&w, "aigw_guardrails.main");

    // Destroy switches guardrails off and leaves the gateway.
    w.write("main.tf", &config(&emu, ""));
    apply(&w);
    let g = emu.gateway("gw").unwrap();
    assert_eq!(g["guardrails"], Value::Null);
    assert_unrelated_kept(&emu);

    // Switched off in the dashboard: the next plan creates it again.
    w.write("main.tf", &config(&emu, &guardrails(r#"P1 = "BLOCK""#, r#"S1 = "FLAG""#)));
    apply(&w);
    put_gateway(&emu, |g| g["guardrails"] = Value::Null);
    let plan = w.expect(2, &["plan", "-detailed-exitcode", "-no-color"]);
    assert!(plan.stdout.contains("aigw_guardrails.main will be created"), "{}", plan.stdout);
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn dlp_lifecycle_terraform_1_11() {
    dlp_lifecycle("terraform-1.11");
}

#[test]
#[cfg_attr(not(has_tofu_1_6_2), ignore = "needs tofu-1.6.2: run scripts/install-clis.sh")]
fn dlp_lifecycle_opentofu_1_6_2() {
    dlp_lifecycle("tofu-1.6.2");
}

fn dlp_lifecycle(cli: &'static str) {
    let Some((emu, w)) = setup_with(cli) else { return };
    w.write("main.tf", &config(&emu, &dlp(CARDS)));
    apply(&w);
    assert_eq!(
        emu.gateway("gw").unwrap()["dlp"],
        json!({"enabled": true, "policies": [
            {"id": "cards", "action": "BLOCK", "check": ["REQUEST", "RESPONSE"], "enabled": true, "profiles": ["credit_card"]}
        ]})
    );
    empty_plan(&w);
    unrelated_edit(&emu);

    w.write("main.tf", &config(&emu, &dlp(&format!("{CARDS}, {MAIL}"))));
    plan_is_update(&w);
    apply(&w);
    let policies = emu.gateway("gw").unwrap()["dlp"]["policies"].clone();
    assert_eq!(policies[1]["check"], json!(["RESPONSE"]));
    assert_eq!(policies[1]["profiles"], json!(["email", "phone"]));
    assert_unrelated_kept(&emu);
    empty_plan(&w);

    // Drift: a policy disabled in the dashboard is switched back on.
    put_gateway(&emu, |g| g["dlp"]["policies"][0]["enabled"] = json!(false));
    let plan = plan_is_update(&w);
    assert!(plan.contains("- enabled  = false -> null"), "{plan}");
    apply(&w);
    assert_eq!(emu.gateway("gw").unwrap()["dlp"]["policies"][0]["enabled"], true);

    reimport(&w, "aigw_dlp.main");

    w.write("main.tf", &config(&emu, ""));
    apply(&w);
    assert_eq!(emu.gateway("gw").unwrap()["dlp"], Value::Null);
    assert_unrelated_kept(&emu);
}

/// An unknown profile is the API's 7001; the provider puts it on the
/// profile's attribute path, which Terraform 1.12 and later resolve to the
/// element in the configuration (1.11 shows the resource block).
#[test]
#[cfg_attr(not(has_terraform_1_15_5), ignore = "needs terraform-1.15.5: run scripts/install-clis.sh")]
fn an_unknown_profile_is_reported_on_the_profile() {
    let Some(cli) = crate::util::cli("terraform-1.15.5") else { return };
    let emu = Emulator::start("policy-token");
    let w = Workdir::new(cli);
    w.write("main.tf", &config(&emu, &dlp(r#"{ id = "x", action = "FLAG", profiles = ["email", "nope"] }"#)));
    let out = w.expect(1, &["apply", "-auto-approve", "-no-color"]);
    assert!(out.stderr.contains("Unknown DLP profile 'nope' (code 7001)"), "{}", out.stderr);
    // The subject is the `policies` line, not the resource block's first line.
    let subject = out.stderr.lines().find(|l| l.trim_start().starts_with("19:")).unwrap_or_default();
    assert!(subject.contains(r#"policies   = [{ id = "x""#), "{}", out.stderr);
    assert!(emu.gateway("gw").unwrap()["dlp"].is_null(), "a rejected write changes nothing");
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn bad_controls_fail_plan_on_their_attribute() {
    let Some((emu, w)) = setup() else { return };
    w.write("main.tf", &config(&emu, &guardrails(r#"S14 = "BLOCK""#, r#"S1 = "DROP""#)));
    let err = w.expect(1, &["plan", "-no-color"]).stderr;
    assert!(err.contains("Error: Unknown guardrail category"), "{err}");
    assert!(err.contains("Error: Invalid guardrail action"), "{err}");
    assert!(err.contains(r#"response["S1"] must be "FLAG" or "BLOCK"; got "DROP""#), "{err}");

    w.write("main.tf", &config(&emu, &dlp(r#"{ id = "a", action = "FLAG", profiles = ["email"], check = ["BODY"] }"#)));
    let err = w.expect(1, &["plan", "-no-color"]).stderr;
    assert!(err.contains("Error: Invalid check"), "{err}");
    assert!(emu.gateway_ids().is_empty(), "nothing is created by a failed plan");
}

/// examples/pii-guard applied by `aigw`: Terraform reads the state with an
/// empty plan; a policy edited with `terraform apply` is seen by `aigw` as
/// done; `aigw` plans the same in-place update Terraform does.
#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn pii_guard_round_trips_between_aigw_and_terraform() {
    use crate::engine::expect;
    let Some((emu, w)) = setup() else { return };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/pii-guard/main.tf");
    let src = std::fs::read_to_string(path).unwrap();
    w.write("main.tf", &src);
    // The example as a user runs it: its variables point it at this emulator.
    let vars =
        format!("base_url = \"{}\"\napi_token = \"{}\"\naccount_id = \"{ACCOUNT}\"\n", emu.base_url(), emu.token);
    w.write("emulator.auto.tfvars", &vars);
    expect(&w, 0, &["apply", "-auto-approve"]);
    let g = emu.gateway("pii-guard").unwrap();
    assert_eq!(g["dlp"]["policies"][0]["profiles"], json!(["credit_card", "us_ssn"]));
    assert_eq!(g["guardrails"]["prompt"], json!({"P1": "BLOCK", "S7": "FLAG"}));
    expect(&w, 0, &["plan", "-detailed-exitcode"]);
    empty_plan(&w);

    let edited = src.replace(r#"default     = ["email", "phone"]"#, r#"default     = ["email"]"#);
    assert_ne!(edited, src);
    w.write("main.tf", &edited);
    let ours = expect(&w, 2, &["plan", "-detailed-exitcode"]).stdout;
    assert!(ours.contains("# aigw_dlp.main will be updated in-place"), "{ours}");
    assert!(ours.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{ours}");
    assert!(plan_is_update(&w).contains("Plan: 0 to add, 1 to change, 0 to destroy."));
    apply(&w);
    expect(&w, 0, &["plan", "-detailed-exitcode"]);
    expect(&w, 0, &["destroy", "-auto-approve"]);
    assert!(emu.gateway_ids().is_empty());
}
