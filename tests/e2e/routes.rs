//! `aigw_route` (dynamic route graphs) under real Terraform 1.11 and
//! OpenTofu 1.6 against the emulator: every node type, create, empty
//! re-plan, an edit deployed in place (same route id, new version), drift,
//! import, plan-time graph errors with the node's path, and the route
//! answering at runtime by metadata.
use serde_json::{Value, json};

use crate::policies::{config, plan_is_update, setup_with};
use crate::util::ACCOUNT;

fn route(best_share: u32, budget: &str) -> String {
    format!(
        r#"resource "aigw_route" "support" {{
  account_id = aigw_gateway.main.account_id
  gateway_id = aigw_gateway.main.id
  name       = "support"
  start      = "tier"
  nodes = {{
    tier = {{
      type      = "conditional"
      condition = jsonencode({{ "metadata.plan" = {{ "$eq" = "free" }} }})
      if_true   = "cheap"
      if_false  = "split"
    }}
    split = {{
      type  = "percentage"
      split = {{ quota = {rest}, best = {best_share} }}
    }}
    quota = {{
      type     = "rate"
      key      = "metadata.user"
      limit    = 100
      window   = 60
      next     = "spend"
      fallback = "cheap"
    }}
    spend = {{
      type     = "budget"
      key      = "metadata.team"
      limit    = {budget}
      window   = 86400
      next     = "best"
      fallback = "cheap"
    }}
    best = {{
      type     = "model"
      provider = "openai"
      model    = "gpt-4o"
      retries  = 1
      fallback = "cheap"
    }}
    cheap = {{
      type     = "model"
      provider = "workers-ai"
      model    = "@cf/meta/llama-3.1-8b-instruct"
    }}
  }}
}}
"#,
        rest = 100 - best_share
    )
}

fn live(emu: &crate::util::Emulator) -> Value {
    let (s, b) = emu.api(reqwest::Method::GET, "/gateways/gw/routes", None);
    assert_eq!(s, 200, "{b}");
    b["data"]["routes"][0].clone()
}

fn lifecycle(cli: &'static str) {
    let Some((emu, w)) = setup_with(cli) else { return };
    w.write("main.tf", &config(&emu, &route(30, "2.5")));
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    let r = live(&emu);
    let kinds: Vec<&str> = r["elements"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    // Nodes go out in name order: best, cheap, quota, spend, split, tier.
    assert_eq!(kinds, ["start", "model", "model", "rate", "rate", "percentage", "conditional", "end"]);
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);

    // At runtime: free-plan metadata takes the cheap model.
    let body = json!({"model": "dynamic/support", "messages": [{"role": "user", "content": "hi"}]});
    let (s, out) =
        emu.post_runtime("gw", "compat/chat/completions", &[("cf-aig-metadata", r#"{"plan":"free"}"#)], body);
    assert_eq!(s, 200, "{out}");
    assert!(out["choices"][0]["message"]["content"].as_str().unwrap().contains("workers-ai"), "{out}");

    // An edit is deployed in place: the same route, a new version.
    let (id, version) = (r["id"].clone(), r["version"]["version_id"].clone());
    w.write("main.tf", &config(&emu, &route(40, "0.75")));
    let plan = plan_is_update(&w);
    assert!(plan.contains("~ limit") && plan.contains("2.5 -> 0.75"), "{plan}");
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    let r = live(&emu);
    assert_eq!(r["id"], id);
    assert_ne!(r["version"]["version_id"], version);
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);

    // Import, then an empty plan.
    w.expect(0, &["state", "rm", "aigw_route.support"]);
    let import_id = format!("{ACCOUNT}/gw/{}", id.as_str().unwrap());
    w.expect(0, &["import", "-no-color", "aigw_route.support", &import_id]);
    let plan = w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);
    assert!(!plan.all().contains("invalid plan"), "{}", plan.all());

    w.expect(0, &["destroy", "-auto-approve", "-no-color"]);
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn route_lifecycle_under_terraform() {
    lifecycle("terraform-1.11");
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn route_lifecycle_under_opentofu() {
    lifecycle("tofu-1.6.2");
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn broken_route_graphs_fail_at_plan_with_the_node() {
    let Some((emu, w)) = setup_with("terraform-1.11") else { return };
    let broken =
        route(30, "2.5").replace("fallback = \"cheap\"\n    }\n    cheap", "fallback = \"tier\"\n    }\n    cheap");
    w.write("main.tf", &config(&emu, &broken));
    let out = w.expect(1, &["plan", "-no-color"]);
    assert!(out.all().contains("Cycle in route") && out.all().contains("leads back to"), "{}", out.all());
    let broken = route(30, "2.5").replace("best = 30", "best = 20");
    w.write("main.tf", &config(&emu, &broken));
    let out = w.expect(1, &["plan", "-no-color"]);
    let text = out.all().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("nodes[\"split\"].split: the shares must be positive and total 100; they total 90"),
        "{text}"
    );
    assert!(text.contains("on main.tf line 28"), "{text}");
}
