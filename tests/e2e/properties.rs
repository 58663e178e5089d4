//! The engine's core promise, over generated configurations: gateways with
//! caches, rate limits and fallbacks, made with `count` or `for_each`,
//! edited at random between applies. After every apply a plan is empty,
//! the state the engine wrote reads back identically, and after destroy the
//! emulator holds nothing. A fixed number of cases runs in CI;
//! `PROPTEST_CASES=200` runs more.
use proptest::prelude::*;

use crate::engine::{aigw, expect};
use crate::util::{ACCOUNT, Emulator, Workdir, cli};

#[derive(Debug, Clone)]
struct Gateway {
    cache_ttl: Option<u32>,
    limit: Option<(u32, u32, bool)>,
    steps: Vec<(&'static str, &'static str)>,
    retries: u8,
}

#[derive(Debug, Clone)]
struct Shape {
    for_each: bool,
    gateways: Vec<Gateway>,
}

const MODELS: [(&str, &str); 4] = [
    ("openai", "gpt-4o-mini"),
    ("anthropic", "claude-haiku-4-5"),
    ("workers-ai", "@cf/meta/llama-3.1-8b-instruct"),
    ("groq", "llama-3.1-8b-instant"),
];

fn gateway() -> impl Strategy<Value = Gateway> {
    (
        prop::option::of(60u32..7200),
        prop::option::of((1u32..1000, prop::sample::select(vec![10u32, 60, 3600]), any::<bool>())),
        prop::collection::vec(prop::sample::select(MODELS.to_vec()), 0..3),
        1u8..5,
    )
        .prop_map(|(cache_ttl, limit, steps, retries)| Gateway { cache_ttl, limit, steps, retries })
}

/// A configuration and the edits made to it: the repetition (`count` or
/// `for_each`) stays, the gateways and their settings change.
fn edits() -> impl Strategy<Value = Vec<Shape>> {
    (any::<bool>(), prop::collection::vec(prop::collection::vec(gateway(), 1..4), 1..4))
        .prop_map(|(for_each, all)| all.into_iter().map(|gateways| Shape { for_each, gateways }).collect())
}

/// The configuration for `shape`: one block per kind, repeated per gateway.
fn config(emu: &Emulator, s: &Shape) -> String {
    let keys: Vec<String> = (0..s.gateways.len()).map(|i| format!("g{i}")).collect();
    let mut out = format!(
        "terraform {{\n  required_providers {{\n    aigw = {{ source = \"aigw/aigw\" }}\n  }}\n}}\n\
         provider \"aigw\" {{\n  base_url  = \"{}\"\n  api_token = \"{}\"\n}}\n",
        emu.base_url(),
        emu.token
    );
    // Settings per gateway, as a local map the resources index.
    let settings: Vec<String> = s
        .gateways
        .iter()
        .zip(&keys)
        .map(|(g, k)| {
            let steps: Vec<String> =
                g.steps.iter().map(|(p, m)| format!("{{ provider = \"{p}\", model = \"{m}\" }}")).collect();
            let (limit, interval, sliding) = g.limit.unwrap_or((0, 0, false));
            format!(
                "    {k} = {{ retries = {}, ttl = {}, limit = {limit}, interval = {interval}, technique = \"{}\", steps = [{}] }}",
                g.retries,
                g.cache_ttl.unwrap_or(0),
                if sliding { "sliding" } else { "fixed" },
                steps.join(", ")
            )
        })
        .collect();
    out.push_str(&format!("locals {{\n  gw = {{\n{}\n  }}\n}}\n", settings.join("\n")));
    let (repeat, key, pick) = if s.for_each {
        ("for_each = local.gw", "each.key", "each.value")
    } else {
        ("count = length(local.gw)", "keys(local.gw)[count.index]", "local.gw[keys(local.gw)[count.index]]")
    };
    out.push_str(&format!(
        "resource \"aigw_gateway\" \"g\" {{\n  {repeat}\n  account_id = \"{ACCOUNT}\"\n  id = {key}\n  retry_max_attempts = {pick}.retries\n}}\n"
    ));
    let gw_ref = if s.for_each { "aigw_gateway.g[each.key].id" } else { "aigw_gateway.g[count.index].id" };
    let filtered = |cond: &str| {
        if s.for_each {
            format!("for_each = {{ for k, v in local.gw : k => v if {cond} }}")
        } else {
            format!("count = length([for k, v in local.gw : k if {cond}])")
        }
    };
    // With count, the filtered lists keep the gateways' order, so instance i
    // is the i-th match; its gateway is named by key, ordered by depends_on.
    let nth = |cond: &str| {
        if s.for_each {
            (String::new(), "each.value".to_string(), gw_ref.to_string())
        } else {
            let k = format!("[for k, v in local.gw : k if {cond}][count.index]");
            ("  depends_on = [aigw_gateway.g]\n".to_string(), format!("local.gw[{k}]"), k)
        }
    };
    let (d, v, g) = nth("v.ttl > 0");
    out.push_str(&format!(
        "resource \"aigw_cache\" \"c\" {{\n{d}  {}\n  account_id = \"{ACCOUNT}\"\n  gateway_id = {g}\n  ttl = {v}.ttl\n}}\n",
        filtered("v.ttl > 0")
    ));
    let (d, v, g) = nth("v.limit > 0");
    out.push_str(&format!(
        "resource \"aigw_rate_limit\" \"r\" {{\n{d}  {}\n  account_id = \"{ACCOUNT}\"\n  gateway_id = {g}\n  limit = {v}.limit\n  interval = {v}.interval\n  technique = {v}.technique\n}}\n",
        filtered("v.limit > 0")
    ));
    let (d, v, g) = nth("length(v.steps) > 0");
    out.push_str(&format!(
        "resource \"aigw_fallback\" \"f\" {{\n{d}  {}\n  account_id = \"{ACCOUNT}\"\n  gateway_id = {g}\n  name = \"chat\"\n  steps = {v}.steps\n}}\n",
        filtered("length(v.steps) > 0")
    ));
    out
}

/// The state file as aigw wrote it reads back, and writes out, identically.
fn state_round_trips(w: &Workdir) {
    let path = w.path().join("terraform.tfstate");
    let text = std::fs::read_to_string(&path).unwrap();
    let state = aigw::state::State::parse(&path, &text).unwrap();
    let again = format!("{}\n", serde_json::to_string_pretty(&state).unwrap());
    assert_eq!(again, text, "the state reads back identically");
}

fn check(shapes: &[Shape]) {
    let Some(tf) = cli("terraform-1.11") else { return };
    let emu = Emulator::start("prop");
    let w = Workdir::new(tf);
    for s in shapes {
        w.write("main.tf", &config(&emu, s));
        expect(&w, 0, &["apply", "-auto-approve"]);
        let plan = aigw(&w, &["plan", "-detailed-exitcode"]);
        assert_eq!(plan.code, 0, "a plan after apply is empty for {s:?}:\n{}", plan.all());
        state_round_trips(&w);
        let mut ids = emu.gateway_ids();
        ids.sort();
        assert_eq!(ids, (0..s.gateways.len()).map(|i| format!("g{i}")).collect::<Vec<_>>());
    }
    expect(&w, 0, &["destroy", "-auto-approve"]);
    assert!(emu.gateway_ids().is_empty(), "destroy leaves nothing");
    assert_eq!(aigw(&w, &["state", "list"]).stdout, "");
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(6)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    #[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
    fn apply_then_plan_is_empty_through_random_edits(shapes in edits()) {
        check(&shapes);
    }
}
