//! `aigw_custom_provider` under real Terraform 1.11 (create, empty
//! re-plan, update in place, drift, import, destroy, plan-time errors), and
//! the `aigw` engine applying a configuration of every resource added with
//! it (custom provider, BYOK key with a write-only secret, route graph)
//! whose state `terraform plan` then reads as up to date.
use serde_json::json;

use crate::policies::{config, plan_is_update, setup};
use crate::util::ACCOUNT;

fn custom(base_url: &str, tenant: &str) -> String {
    format!(
        r#"resource "aigw_custom_provider" "neon" {{
  account_id = "{ACCOUNT}"
  name       = "Neon LLM"
  slug       = "neon"
  base_url   = "{base_url}"
  headers    = {{ "x-tenant" = "{tenant}" }}
}}
"#
    )
}

fn providers(emu: &crate::util::Emulator) -> Vec<serde_json::Value> {
    let (s, b) = emu.api(reqwest::Method::GET, "/custom-providers", None);
    assert_eq!(s, 200, "{b}");
    b["result"].as_array().unwrap().clone()
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn custom_provider_lifecycle() {
    let Some((emu, w)) = setup() else { return };
    w.write("main.tf", &config(&emu, &custom("https://llm.neon.example/v1", "t-1")));
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    let c = providers(&emu)[0].clone();
    assert_eq!(
        (c["slug"].clone(), c["enable"].clone(), c["headers"].clone()),
        (json!("neon"), json!(true), json!({"x-tenant": "t-1"}))
    );
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);
    let show = w.expect(0, &["state", "show", "-no-color", "aigw_custom_provider.neon"]).stdout;
    assert!(show.contains("runtime_slug = \"custom-neon\""), "{show}");

    w.write("main.tf", &config(&emu, &custom("https://llm2.neon.example/v1", "t-2")));
    plan_is_update(&w);
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    assert_eq!(providers(&emu)[0]["id"], c["id"], "an update in place");
    assert_eq!(providers(&emu)[0]["base_url"], "https://llm2.neon.example/v1");

    // Disabled in the dashboard: the plan turns it back on.
    let id = c["id"].as_str().unwrap();
    let (s, _) = emu.api(reqwest::Method::PATCH, &format!("/custom-providers/{id}"), Some(json!({"enable": false})));
    assert_eq!(s, 200);
    assert!(plan_is_update(&w).contains("enabled"));
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    assert_eq!(providers(&emu)[0]["enable"], true);

    w.expect(0, &["state", "rm", "aigw_custom_provider.neon"]);
    w.expect(0, &["import", "-no-color", "aigw_custom_provider.neon", &format!("{ACCOUNT}/{id}")]);
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);

    w.write("main.tf", &config(&emu, &custom("ftp://nope", "t")).replace("\"neon\"\n", "\"Ne On\"\n"));
    let out = w.expect(1, &["plan", "-no-color"]);
    assert!(out.all().contains("Invalid slug") && out.all().contains("Invalid base_url"), "{}", out.all());

    w.write("main.tf", &config(&emu, ""));
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    assert!(providers(&emu).is_empty());
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn aigw_applies_keys_routes_and_custom_providers_that_terraform_reads_as_up_to_date() {
    use crate::engine::expect;
    let Some((emu, w)) = setup() else { return };
    let body = format!(
        r#"{custom}
resource "aigw_provider_key" "neon" {{
  account_id        = aigw_gateway.main.account_id
  gateway_id        = aigw_gateway.main.id
  provider_slug     = aigw_custom_provider.neon.runtime_slug
  alias             = "default"
  secret_wo         = "neon-secret-key-000001"
  secret_wo_version = 1
}}

resource "aigw_route" "r" {{
  account_id = aigw_gateway.main.account_id
  gateway_id = aigw_gateway.main.id
  name       = "r"
  start      = "split"
  nodes = {{
    split = {{ type = "percentage", split = {{ neon = 50, small = 50 }} }}
    neon  = {{ type = "model", provider = aigw_custom_provider.neon.runtime_slug, model = "n1", fallback = "small" }}
    small = {{ type = "model", provider = "workers-ai", model = "@cf/meta/llama-3.1-8b-instruct" }}
  }}
}}
"#,
        custom = custom("https://llm.neon.example/v1", "t-1")
    );
    w.write("main.tf", &config(&emu, &body));
    let out = expect(&w, 0, &["apply", "-auto-approve"]);
    assert!(!out.all().contains("neon-secret"), "{}", out.all());
    let state = std::fs::read_to_string(w.path().join("terraform.tfstate")).unwrap();
    assert!(!state.contains("neon-secret"), "a write-only value reached the state");
    expect(&w, 0, &["plan", "-detailed-exitcode"]);
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);
    let (_, b) = emu.api(reqwest::Method::GET, "/gateways/gw/provider_configs", None);
    assert_eq!(b["result"][0]["provider_slug"], "custom-neon");
}
