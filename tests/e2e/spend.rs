//! `aigw_spend_limit` under real Terraform 1.11 and OpenTofu 1.6 against the
//! emulator: create, empty second plan, in-place update that keeps rule
//! ids, a reorder that keeps them too, drift after an API edit, import,
//! destroy (spend limits off, the gateway kept), an unrelated setting made
//! through the API surviving every write, and the budget enforced.
use serde_json::{Value, json};

use crate::policies::{config, plan_is_update, put_gateway, setup, setup_with};
use crate::util::{ACCOUNT, Emulator, Workdir};

const TEAMS: &str = r#"{
      limit        = 0.1
      window       = 86400
      partition_by = ["team"]
    }"#;
const GPT4O: &str = r#"{
      id        = "gpt-4o-hourly"
      limit     = 2
      window    = 3600
      technique = "fixed"
      models    = ["openai/gpt-4o"]
      metadata  = { env = ["prod"] }
    }"#;

fn spend(rules: &[&str]) -> String {
    format!(
        r#"resource "aigw_spend_limit" "main" {{
  account_id = aigw_gateway.main.account_id
  gateway_id = aigw_gateway.main.id
  rules = [
    {}
  ]
}}
"#,
        rules.join(",\n    ")
    )
}

fn apply(w: &Workdir) {
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
}

fn empty_plan(w: &Workdir) {
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);
}

fn rules(emu: &Emulator) -> Vec<Value> {
    emu.gateway("gw").unwrap()["spend_limits"]["rules"].as_array().cloned().unwrap_or_default()
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn spend_limit_lifecycle_terraform_1_11() {
    spend_limit_lifecycle("terraform-1.11");
}

#[test]
#[cfg_attr(not(has_tofu_1_6_2), ignore = "needs tofu-1.6.2: run scripts/install-clis.sh")]
fn spend_limit_lifecycle_opentofu_1_6_2() {
    spend_limit_lifecycle("tofu-1.6.2");
}

fn spend_limit_lifecycle(cli: &'static str) {
    let Some((emu, w)) = setup_with(cli) else { return };
    w.write("main.tf", &config(&emu, &spend(&[TEAMS, GPT4O])));
    apply(&w);
    let created = rules(&emu);
    assert_eq!(emu.gateway("gw").unwrap()["spend_limits"]["enabled"], true);
    assert_eq!(created[0]["limit"], 0.1);
    assert_eq!(created[0]["metadata"], json!({"team": {"mode": "partition"}}));
    assert_eq!(created[1]["model"], json!({"mode": "filter", "values": ["openai/gpt-4o"]}));
    let derived = created[0]["id"].as_str().unwrap().to_string();
    assert_eq!(derived.len(), 8, "a derived id: {derived}");
    empty_plan(&w);
    put_gateway(&emu, |g| g["log_management"] = json!(25_000));

    // A new limit is an update in place; the rule keeps its id.
    w.write("main.tf", &config(&emu, &spend(&[&TEAMS.replace("0.1", "0.25"), GPT4O])));
    assert!(plan_is_update(&w).contains("~ limit        = 0.1 -> 0.25"));
    apply(&w);
    assert_eq!(rules(&emu)[0]["id"], derived.as_str());
    assert_eq!(rules(&emu)[0]["limit"], 0.25);
    empty_plan(&w);

    // Reordered, each rule keeps its id.
    w.write("main.tf", &config(&emu, &spend(&[GPT4O, &TEAMS.replace("0.1", "0.25")])));
    apply(&w);
    let ids: Vec<Value> = rules(&emu).iter().map(|r| r["id"].clone()).collect();
    assert_eq!(ids, [json!("gpt-4o-hourly"), json!(derived)]);
    empty_plan(&w);
    assert_eq!(emu.gateway("gw").unwrap()["log_management"], 25_000, "a setting made elsewhere was wiped");

    // Drift: a budget raised in the dashboard is shown and put back.
    put_gateway(&emu, |g| g["spend_limits"]["rules"][0]["limit"] = json!(99));
    let plan = plan_is_update(&w);
    assert!(plan.contains("~ limit     = 99 -> 2"), "{plan}");
    apply(&w);
    assert_eq!(rules(&emu)[0]["limit"].as_f64(), Some(2.0));

    w.expect(0, &["state", "rm", "aigw_spend_limit.main"]);
    w.expect(0, &["import", "-no-color", "aigw_spend_limit.main", &format!("{ACCOUNT}/gw")]);
    empty_plan(&w);

    w.write("main.tf", &config(&emu, ""));
    apply(&w);
    let g = emu.gateway("gw").unwrap();
    assert_eq!(g["spend_limits"], Value::Null);
    assert_eq!(g["log_management"], 25_000);
}

/// The budget Terraform set is the one the runtime enforces.
#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn an_applied_budget_refuses_with_2045() {
    let Some((emu, w)) = setup() else { return };
    w.write("main.tf", &config(&emu, &spend(&[r#"{ id = "tiny", limit = 0.3, window = 60 }"#])));
    apply(&w);
    let chat = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]});
    let cost = [("cf-aig-custom-cost", r#"{"total_cost":0.1}"#)];
    let ask = || emu.post_runtime("gw", "openai/chat/completions", &cost, chat.clone());
    for _ in 0..3 {
        assert_eq!(ask().0, 200);
    }
    let (status, body) = ask();
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"][0]["code"], 2045);
    assert!(body["error"][0]["message"].as_str().unwrap().contains("rule 'tiny'"), "{body}");
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn bad_rules_fail_plan_on_their_attribute() {
    let Some((emu, w)) = setup() else { return };
    w.write(
        "main.tf",
        &config(
            &emu,
            &spend(&[r#"{ limit = -1, window = 60, technique = "leaky", providers = ["opneai"] }"#, TEAMS, TEAMS]),
        ),
    );
    let err = w.expect(1, &["plan", "-no-color"]).stderr;
    for want in
        ["Error: Invalid limit", "Error: Invalid technique", "Error: Unknown provider", "Error: Duplicate rule id"]
    {
        assert!(err.contains(want), "{want}: {err}");
    }
    assert!(err.contains("rules[1] covers the same requests; set an id on one of them."), "{err}");
    assert!(emu.gateway_ids().is_empty(), "nothing is created by a failed plan");
}
