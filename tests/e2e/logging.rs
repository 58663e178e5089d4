//! `aigw_logpush`, `aigw_otel` and `aigw_gateway.zdr` under real Terraform
//! 1.11 against the emulator: create, empty second plan, update in place,
//! drift after an API edit, import, destroy; write-only collector headers
//! reach the API and never the plan or the state file.
use serde_json::{Value, json};

use crate::policies::{config, plan_is_update, put_gateway, setup};
use crate::util::ACCOUNT;

const KEY: &str = include_str!("../../examples/resources/aigw_logpush/logpush_public_key.pem");
/// A second key, for a rotation.
const KEY2: &str = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAyKAQ3cSr+c7mxfRLKwEE\nuf9LKf8r4UEiOZVNdbdl/vB+j0aRO+yOAFl0xh9dRyAU4/8T4ZNNyxSKQKVpsksg\nnunb2v9soj3LvA3O8yBFiwCwK3M27ziDkpBaLQxmuN797Z1FzMdHPtIeS6k2yvpY\ntQTgm5tn9JfvuQGv2sxfmabPMfle8Nk0p2pm64o6ZzdLXw8CyBsTPDvdJmv3LlL9\nM8NMRO3txpD2/xF1IGbNKnXiS65pYaQ/Z1JEW+B8R6ZlE9z8Y8/2VBO9IALNmCNQ\nQGdAmPVupk7MlGOLp4TzZN4zGAs03X+Bv0VwP30opH1ilKuP7b7KkIiejvGNeNpW\nywIDAQAB\n-----END PUBLIC KEY-----\n";

fn logpush() -> String {
    logpush_with(KEY)
}

fn logpush_with(key: &str) -> String {
    format!(
        "resource \"aigw_logpush\" \"main\" {{\n  account_id = aigw_gateway.main.account_id\n  gateway_id = aigw_gateway.main.id\n  public_key = <<-EOT\n{}  EOT\n}}\n",
        key.lines().map(|l| format!("    {l}\n")).collect::<String>()
    )
}

fn otel(secret: &str, version: u32, dataset: &str) -> String {
    format!(
        r#"resource "aigw_otel" "main" {{
  account_id = aigw_gateway.main.account_id
  gateway_id = aigw_gateway.main.id
  exporters = [{{
    url                = "https://collector.example.com/v1/traces"
    headers            = {{ "x-dataset" = "{dataset}" }}
    headers_wo         = {{ "x-api-key" = "{secret}" }}
    headers_wo_version = {version}
    content_type       = "protobuf"
  }}]
}}
"#
    )
}

fn state_text(w: &crate::util::Workdir) -> String {
    std::fs::read_to_string(w.path().join("terraform.tfstate")).unwrap()
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn logpush_and_zdr_lifecycle() {
    let Some((emu, w)) = setup() else { return };
    w.write(
        "main.tf",
        &config(&emu, &logpush()).replace("  id         = \"gw\"\n", "  id         = \"gw\"\n  zdr        = true\n"),
    );
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    let g = emu.gateway("gw").unwrap();
    assert_eq!((g["logpush"].clone(), g["zdr"].clone()), (json!(true), json!(true)));
    assert_eq!(g["logpush_public_key"], KEY.trim());
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);
    put_gateway(&emu, |g| g["log_management"] = json!(25_000));

    // A rotated key is an update in place.
    let rotated = logpush_with(KEY2);
    w.write(
        "main.tf",
        &config(&emu, &rotated).replace("  id         = \"gw\"\n", "  id         = \"gw\"\n  zdr        = true\n"),
    );
    plan_is_update(&w);
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    assert_eq!(emu.gateway("gw").unwrap()["logpush_public_key"], KEY2.trim());
    w.write(
        "main.tf",
        &config(&emu, &logpush()).replace("  id         = \"gw\"\n", "  id         = \"gw\"\n  zdr        = true\n"),
    );
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);

    // Switched off in the dashboard: the next plan turns it back on.
    put_gateway(&emu, |g| g["logpush"] = json!(false));
    let plan = w.expect(2, &["plan", "-detailed-exitcode", "-no-color"]);
    assert!(plan.stdout.contains("aigw_logpush.main will be created"), "{}", plan.stdout);
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    w.expect(0, &["state", "rm", "aigw_logpush.main"]);
    w.expect(0, &["import", "-no-color", "aigw_logpush.main", &format!("{ACCOUNT}/gw")]);
    let plan = w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);
    assert!(!plan.all().contains("invalid plan"), "{}", plan.all());

    w.write("main.tf", &config(&emu, ""));
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    let g = emu.gateway("gw").unwrap();
    assert_eq!((g["logpush"].clone(), g["logpush_public_key"].clone()), (json!(false), Value::Null));
    assert_eq!(g["log_management"], 25_000, "a setting made elsewhere survives every write");
    assert_eq!(g["zdr"], true, "zdr left out of the configuration is no longer managed, and kept");
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn otel_write_only_headers_never_reach_plan_or_state() {
    let Some((emu, w)) = setup() else { return };
    w.write("main.tf", &config(&emu, &otel("s3cret-1", 1, "llm")));
    let out = w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    assert!(!out.all().contains("s3cret"), "{}", out.all());
    let sent = emu.gateway("gw").unwrap()["otel"][0].clone();
    assert_eq!(sent["headers"], json!({"x-api-key": "s3cret-1", "x-dataset": "llm"}));
    assert_eq!(sent["content_type"], "protobuf");
    assert!(!state_text(&w).contains("s3cret"), "a write-only value was stored");
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);
    put_gateway(&emu, |g| g["log_management"] = json!(25_000));

    // A new secret alone is no change (write-only); a new version sends it.
    w.write("main.tf", &config(&emu, &otel("s3cret-2", 1, "llm")));
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);
    w.write("main.tf", &config(&emu, &otel("s3cret-2", 2, "llm")));
    assert!(plan_is_update(&w).contains("~ headers_wo_version = 1 -> 2"));
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    assert_eq!(emu.gateway("gw").unwrap()["otel"][0]["headers"]["x-api-key"], "s3cret-2");
    assert!(!state_text(&w).contains("s3cret"));

    // Drift on a plain header is shown and put back; the secret stays.
    put_gateway(&emu, |g| g["otel"][0]["headers"]["x-dataset"] = json!("other"));
    assert!(plan_is_update(&w).contains(r#"~ "x-dataset" = "other" -> "llm""#));
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    assert_eq!(emu.gateway("gw").unwrap()["otel"][0]["headers"]["x-api-key"], "s3cret-2");

    // Imported, no header value reaches the state.
    w.expect(0, &["state", "rm", "aigw_otel.main"]);
    w.expect(0, &["import", "-no-color", "aigw_otel.main", &format!("{ACCOUNT}/gw")]);
    assert!(!state_text(&w).contains("s3cret") && !state_text(&w).contains("\"llm\""));
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);

    w.write("main.tf", &config(&emu, ""));
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    assert_eq!(emu.gateway("gw").unwrap()["otel"], Value::Null);
    assert_eq!(emu.gateway("gw").unwrap()["log_management"], 25_000, "a setting made elsewhere survives");
}

/// `aigw` drives the write-only attribute as Terraform does: the secret
/// reaches the API, its state (which Terraform then reads with an empty
/// plan) holds only the header's name.
#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn aigw_keeps_write_only_headers_out_of_its_state() {
    use crate::engine::expect;
    let Some((emu, w)) = setup() else { return };
    w.write("main.tf", &config(&emu, &otel("s3cret-9", 1, "llm")));
    let out = expect(&w, 0, &["apply", "-auto-approve"]);
    assert!(!out.all().contains("s3cret"), "{}", out.all());
    assert_eq!(emu.gateway("gw").unwrap()["otel"][0]["headers"]["x-api-key"], "s3cret-9");
    let state = state_text(&w);
    assert!(!state.contains("s3cret") && state.contains("x-api-key"), "{state}");
    expect(&w, 0, &["plan", "-detailed-exitcode"]);
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);
}
