//! `aigw_provider_key` (BYOK) and `aigw_gateway.byok_only` under real
//! Terraform 1.11 against the emulator: create, empty re-plan, rotation by
//! `secret_wo_version`, an alias edit in place, drift, import, destroy. The
//! key is grepped for in the state file, `terraform show -json` and every
//! plan and apply output: it must appear in none of them, yet the gateway
//! must send it (a request with only `cf-aig-authorization` is answered
//! with the stored key's alias in its log).
use serde_json::{Value, json};

use crate::policies::{config, plan_is_update, setup};
use crate::util::ACCOUNT;

const SECRET_1: &str = "sk-e2e-secret-key-first-0001";
const SECRET_2: &str = "sk-e2e-secret-key-rotated-02";

fn key(secret: &str, version: u32, alias: &str) -> String {
    format!(
        r#"resource "aigw_provider_key" "openai" {{
  account_id        = aigw_gateway.main.account_id
  gateway_id        = aigw_gateway.main.id
  provider_slug     = "openai"
  alias             = "{alias}"
  default           = true
  secret_wo         = "{secret}"
  secret_wo_version = {version}
  rate_limit        = 100
}}
"#
    )
}

fn with_byok_only(emu: &crate::util::Emulator, body: &str) -> String {
    config(emu, body).replace("  id         = \"gw\"\n", "  id         = \"gw\"\n  byok_only  = true\n")
}

fn assert_secret_absent(w: &crate::util::Workdir, outputs: &[String]) {
    let state = std::fs::read_to_string(w.path().join("terraform.tfstate")).unwrap();
    let show = w.expect(0, &["show", "-json", "-no-color"]).stdout;
    for (what, text) in
        [("state", &state), ("show -json", &show)].into_iter().chain(outputs.iter().map(|o| ("output", o)))
    {
        for s in [SECRET_1, SECRET_2] {
            assert!(!text.contains(s), "the key appears in {what}");
        }
    }
}

fn keys(emu: &crate::util::Emulator) -> Vec<Value> {
    let (s, b) = emu.api(reqwest::Method::GET, "/gateways/gw/provider_configs", None);
    assert_eq!(s, 200, "{b}");
    b["result"].as_array().unwrap().clone()
}

/// A runtime request carrying no provider key; returns the alias logged for it.
fn byok_request(emu: &crate::util::Emulator) -> (u16, Value) {
    let body = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]});
    emu.post_runtime("gw", "openai/chat/completions", &[], body)
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn provider_key_lifecycle_keeps_the_secret_out_of_state_and_plans() {
    let Some((emu, w)) = setup() else { return };
    let mut outputs = Vec::new();

    // byok_only with no key yet: a request without a key of its own is refused.
    w.write("main.tf", &with_byok_only(&emu, ""));
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    assert_eq!(emu.gateway("gw").unwrap()["byok_only"], true);
    let (s, b) = byok_request(&emu);
    assert_eq!((s, b["error"][0]["code"].clone()), (400, json!(2042)), "{b}");

    w.write("main.tf", &with_byok_only(&emu, &key(SECRET_1, 1, "prod")));
    outputs.push(w.expect(2, &["plan", "-detailed-exitcode", "-no-color"]).all());
    outputs.push(w.expect(0, &["apply", "-auto-approve", "-no-color"]).all());
    let stored = keys(&emu);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["alias"], "prod");
    assert_eq!(stored[0]["secret_preview"], "sk-e****0001");
    outputs.push(w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]).all());
    let (s, b) = byok_request(&emu);
    assert_eq!(s, 200, "the stored key pays now: {b}");

    // A new secret alone is no change (write-only); a new version rotates it in place.
    w.write("main.tf", &with_byok_only(&emu, &key(SECRET_2, 1, "prod")));
    outputs.push(w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]).all());
    w.write("main.tf", &with_byok_only(&emu, &key(SECRET_2, 2, "prod")));
    let plan = plan_is_update(&w);
    assert!(plan.contains("~ secret_wo_version = 1 -> 2"), "{plan}");
    outputs.push(plan);
    outputs.push(w.expect(0, &["apply", "-auto-approve", "-no-color"]).all());
    let id = keys(&emu)[0]["id"].as_str().unwrap().to_string();
    assert_eq!(keys(&emu)[0]["secret_preview"], "sk-e****d-02", "the rotated key was sent");

    // An alias edit is in place: same id.
    w.write("main.tf", &with_byok_only(&emu, &key(SECRET_2, 2, "main")));
    outputs.push(plan_is_update(&w));
    outputs.push(w.expect(0, &["apply", "-auto-approve", "-no-color"]).all());
    assert_eq!(keys(&emu)[0]["id"], id.as_str());
    assert_eq!(keys(&emu)[0]["alias"], "main");

    // Drift: the rate limit changed through the API shows and is put back.
    let (s, _) = emu.api(
        reqwest::Method::PUT,
        &format!("/gateways/gw/provider_configs/{id}"),
        Some(json!({"provider_slug": "openai", "alias": "main", "default_config": true, "rate_limit": 5})),
    );
    assert_eq!(s, 200);
    let plan = plan_is_update(&w);
    assert!(plan.contains("~ rate_limit") && plan.contains("5 -> 100"), "{plan}");
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    assert_eq!(keys(&emu)[0]["rate_limit"], 100);
    assert_eq!(keys(&emu)[0]["secret_preview"], "sk-e****d-02", "a drift repair keeps the key");

    // Import, then an empty plan once the version is recorded again.
    w.expect(0, &["state", "rm", "aigw_provider_key.openai"]);
    w.expect(0, &["import", "-no-color", "aigw_provider_key.openai", &format!("{ACCOUNT}/gw/{id}")]);
    outputs.push(w.expect(0, &["apply", "-auto-approve", "-no-color"]).all());
    outputs.push(w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]).all());
    assert_secret_absent(&w, &outputs);

    // Deleted outside Terraform: planned for creation again.
    let (s, _) = emu.api(reqwest::Method::DELETE, &format!("/gateways/gw/provider_configs/{id}"), None);
    assert_eq!(s, 200);
    let plan = w.expect(2, &["plan", "-detailed-exitcode", "-no-color"]);
    assert!(plan.stdout.contains("aigw_provider_key.openai will be created"), "{}", plan.stdout);

    w.expect(0, &["destroy", "-auto-approve", "-no-color"]);
    assert!(emu.gateway("gw").is_none());
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn bad_provider_keys_fail_at_plan_with_the_attribute() {
    let Some((emu, w)) = setup() else { return };
    let bad = key(SECRET_1, 1, "has space").replace("= \"openai\"", "= \"nope\"");
    w.write("main.tf", &config(&emu, &bad));
    let out = w.expect(1, &["plan", "-no-color"]);
    let all = out.all();
    assert!(all.contains("Unknown provider") && all.contains("Invalid alias"), "{all}");
    assert!(all.contains("on main.tf line"), "{all}");
    assert!(!all.contains(SECRET_1));
}
