//! Regression tests for defects found when the engine and provider were
//! tried as a new user would: each once lost data, leaked a secret, or let
//! a mistake through to apply time.
use crate::engine::{aigw, expect, quickstart};
use crate::util::{ACCOUNT, Emulator, Workdir, cli};

const HEADER: &str = "terraform {\n  required_providers {\n    aigw = { source = \"aigw/aigw\" }\n  }\n}\n";

/// One gateway, `aigw_gateway.g`.
const GATEWAY: &str =
    "resource \"aigw_gateway\" \"g\" {\n  account_id = \"0123456789abcdef0123456789abcdef\"\n  id = \"g\"\n}\n";

fn provider(emu: &Emulator) -> String {
    format!("provider \"aigw\" {{\n  base_url  = \"{}\"\n  api_token = \"{}\"\n}}\n", emu.base_url(), emu.token)
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn validate_catches_bad_values_and_reports_every_error() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let w = Workdir::new(tf);
    w.write(
        "main.tf",
        &format!(
            "{HEADER}resource \"aigw_gateway\" \"g\" {{\n  account_id = \"{ACCOUNT}\"\n  id         = \"Not-Valid\"\n}}\n\
             resource \"aigw_cache\" \"c\" {{\n  account_id = aigw_gateway.g.account_id\n  gateway_id = aigw_gateway.g.id\n  ttl        = \"abc\"\n}}\n\
             resource \"aigw_rate_limit\" \"r\" {{\n  account_id = \"{ACCOUNT}\"\n  gateway_id = \"g\"\n  limit      = 0\n  interval   = 60\n}}\n"
        ),
    );
    let out = expect(&w, 1, &["validate"]);
    for want in ["main.tf:8:16", "main.tf:13:16", "main.tf:18:16"] {
        assert!(out.stderr.contains(want), "{want} in:\n{}", out.stderr);
    }
    assert_eq!(out.stderr.matches("Error:").count(), 3, "{}", out.stderr);
    // plan says the same, every mistake at once, before calling any API.
    w.write(
        "provider.tf",
        "provider \"aigw\" {\n  base_url  = \"http://127.0.0.1:1/client/v4\"\n  api_token = \"t\"\n}\n",
    );
    let out = expect(&w, 1, &["plan"]);
    assert_eq!(out.stderr.matches("Error:").count(), 3, "{}", out.stderr);
    let theirs = w.expect(1, &["validate", "-no-color"]);
    assert!(theirs.all().contains("Error"), "terraform agrees it is invalid");
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn mistakes_in_provider_and_required_values_fail_at_plan() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let emu = Emulator::start("t");
    let w = Workdir::new(tf);
    w.write(
        "main.tf",
        &format!(
            "{HEADER}provider \"aigw\" {{\n  base_url  = \"{}\"\n  api_token = \"\"\n}}\n\
             {GATEWAY}",
            emu.base_url()
        ),
    );
    let out = expect(&w, 1, &["plan"]);
    assert!(out.stderr.contains("Empty API token"), "{}", out.stderr);
    w.write(
        "main.tf",
        &format!(
            "{HEADER}{}{GATEWAY}\
             resource \"aigw_cache\" \"c\" {{\n  account_id = \"{ACCOUNT}\"\n  gateway_id = aigw_gateway.g.id\n  ttl = null\n}}\n",
            provider(&emu)
        ),
    );
    let out = expect(&w, 1, &["plan"]);
    assert!(out.stderr.contains("the argument \"ttl\" is required"), "{}", out.stderr);
    assert!(emu.gateway_ids().is_empty(), "nothing was applied");
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn a_saved_plan_applies_on_a_first_deploy() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let emu = Emulator::start("t");
    let w = Workdir::new(tf);
    w.write("main.tf", &quickstart(&emu));
    expect(&w, 0, &["plan", "-out", "p.bin"]);
    let out = expect(&w, 0, &["apply", "p.bin"]);
    assert!(out.stdout.contains("Apply complete! Resources: 4 added"), "{}", out.stdout);
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn destroy_forgets_what_was_already_deleted() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let emu = Emulator::start("t");
    let w = Workdir::new(tf);
    w.write("main.tf", &format!("{HEADER}{}{GATEWAY}", provider(&emu)));
    expect(&w, 0, &["apply", "-auto-approve"]);
    emu.api(reqwest::Method::DELETE, "/gateways/g", None);
    expect(&w, 0, &["destroy", "-auto-approve"]);
    let list = aigw(&w, &["state", "list"]);
    assert_eq!(list.stdout, "", "the state is empty, as after terraform destroy");
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn plan_json_never_prints_a_sensitive_variable() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let emu = Emulator::start("t");
    let w = Workdir::new(tf);
    w.write(
        "main.tf",
        &format!(
            "{HEADER}{}variable \"secret\" {{\n  sensitive = true\n  default   = \"hunter2-value\"\n}}\n\
             {GATEWAY}",
            provider(&emu)
        ),
    );
    let out = expect(&w, 0, &["plan", "-json"]);
    assert!(!out.stdout.contains("hunter2-value"), "{}", out.stdout);
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(plan["variables"]["secret"].get("value").is_none(), "{}", plan["variables"]);
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn credentials_in_the_base_url_are_never_echoed() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let w = Workdir::new(tf);
    w.write(
        "main.tf",
        &format!(
            "{HEADER}provider \"aigw\" {{\n  base_url  = \"http://user:hunter2@127.0.0.1:{port}/client/v4\"\n  api_token = \"t\"\n}}\n\
             {GATEWAY}"
        ),
    );
    let out = expect(&w, 1, &["apply", "-auto-approve"]);
    assert!(!out.all().contains("hunter2"), "{}", out.all());
    assert!(out.stderr.contains("connection refused"), "{}", out.stderr);
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn duplicate_state_entries_are_refused_and_left_alone() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let emu = Emulator::start("t");
    let w = Workdir::new(tf);
    w.write("main.tf", &quickstart(&emu));
    expect(&w, 0, &["apply", "-auto-approve"]);
    let path = w.path().join("terraform.tfstate");
    let mut state: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let first = state["resources"][0].clone();
    state["resources"].as_array_mut().unwrap().push(first);
    let text = serde_json::to_string_pretty(&state).unwrap();
    std::fs::write(&path, &text).unwrap();
    let out = expect(&w, 1, &["plan"]);
    assert!(out.stderr.contains("duplicate resource"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}
