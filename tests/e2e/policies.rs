//! `aigw_cache`, `aigw_rate_limit`, `aigw_fallback` and `aigw_gateway_url`
//! under real Terraform 1.11 against the emulator: create, empty second
//! plan, in-place update, drift, import, destroy, parallel applies, and
//! plan-time validation.
use reqwest::Method;
use serde_json::{Value, json};

use crate::util::{ACCOUNT, Emulator, Workdir, cli};

pub const HEADER: &str = r#"terraform {
  required_providers {
    aigw = { source = "aigw/aigw" }
  }
}
"#;

pub fn config(emu: &Emulator, body: &str) -> String {
    format!(
        r#"{HEADER}
provider "aigw" {{
  base_url  = "{base}"
  api_token = "{token}"
}}

resource "aigw_gateway" "main" {{
  account_id = "{ACCOUNT}"
  id         = "gw"
}}
{body}
"#,
        base = emu.base_url(),
        token = emu.token
    )
}

fn cache(ttl: i64) -> String {
    format!(
        r#"resource "aigw_cache" "main" {{
  account_id           = aigw_gateway.main.account_id
  gateway_id           = aigw_gateway.main.id
  ttl                  = {ttl}
  invalidate_on_update = true
}}
"#
    )
}

fn rate_limit(limit: i64, technique: &str) -> String {
    format!(
        r#"resource "aigw_rate_limit" "main" {{
  account_id = aigw_gateway.main.account_id
  gateway_id = aigw_gateway.main.id
  limit      = {limit}
  interval   = 60
  technique  = "{technique}"
}}
"#
    )
}

fn fallback(second_model: &str) -> String {
    format!(
        r#"resource "aigw_fallback" "chat" {{
  account_id = aigw_gateway.main.account_id
  gateway_id = aigw_gateway.main.id
  name       = "chat"
  steps = [
    {{ provider = "workers-ai", model = "@cf/meta/llama-3.1-8b-instruct", timeout_ms = 5000, retries = 2 }},
    {{ provider = "openai", model = "{second_model}" }},
  ]
}}
"#
    )
}

pub fn setup() -> Option<(Emulator, Workdir)> {
    setup_with("terraform-1.11")
}

/// An emulator and a work directory driven by the named CLI.
pub fn setup_with(name: &'static str) -> Option<(Emulator, Workdir)> {
    let cli = cli(name)?;
    Some((Emulator::start("policy-token"), Workdir::new(cli)))
}

pub fn plan_is_update(w: &Workdir) -> String {
    let plan = w.expect(2, &["plan", "-detailed-exitcode", "-no-color"]);
    assert!(plan.stdout.contains("updated in-place"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    plan.stdout
}

pub fn put_gateway(emu: &Emulator, change: impl FnOnce(&mut Value)) {
    let mut g = emu.gateway("gw").expect("gateway");
    for k in ["id", "created_at", "modified_at", "is_default"] {
        g.as_object_mut().unwrap().remove(k);
    }
    change(&mut g);
    let (s, b) = emu.api(Method::PUT, "/gateways/gw", Some(g));
    assert_eq!(s, 200, "{b}");
}

fn state_attr(w: &Workdir, address: &str, attr: &str) -> Value {
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(w.path().join("terraform.tfstate")).unwrap()).unwrap();
    let (ty, name) = address.split_once('.').unwrap();
    state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == ty && r["name"] == name)
        .map(|r| r["instances"][0]["attributes"][attr].clone())
        .unwrap_or(Value::Null)
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn cache_lifecycle() {
    let Some((emu, w)) = setup() else { return };
    w.write("main.tf", &config(&emu, &cache(3600)));
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    let g = emu.gateway("gw").unwrap();
    assert_eq!((g["cache_ttl"].clone(), g["cache_invalidate_on_update"].clone()), (json!(3600), json!(true)));
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);

    w.write("main.tf", &config(&emu, &cache(7200)));
    plan_is_update(&w);
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    assert_eq!(emu.gateway("gw").unwrap()["cache_ttl"], 7200);

    // Drift: a TTL changed through the API is put back by the next apply.
    put_gateway(&emu, |g| g["cache_ttl"] = json!(120));
    assert!(plan_is_update(&w).contains("120 -> 7200"));
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);

    w.expect(0, &["state", "rm", "aigw_cache.main"]);
    w.expect(0, &["import", "-no-color", "aigw_cache.main", &format!("{ACCOUNT}/gw")]);
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);

    // Destroying the cache switches caching off and leaves the gateway.
    w.write("main.tf", &config(&emu, ""));
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    let g = emu.gateway("gw").unwrap();
    assert_eq!((g["cache_ttl"].clone(), g["cache_invalidate_on_update"].clone()), (json!(0), json!(false)));
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn rate_limit_lifecycle() {
    let Some((emu, w)) = setup() else { return };
    w.write("main.tf", &config(&emu, &rate_limit(100, "sliding")));
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    let g = emu.gateway("gw").unwrap();
    assert_eq!(
        (g["rate_limiting_limit"].clone(), g["rate_limiting_interval"].clone(), g["rate_limiting_technique"].clone()),
        (json!(100), json!(60), json!("sliding"))
    );
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);

    w.write("main.tf", &config(&emu, &rate_limit(50, "fixed")));
    plan_is_update(&w);
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    assert_eq!(emu.gateway("gw").unwrap()["rate_limiting_limit"], 50);

    put_gateway(&emu, |g| g["rate_limiting_limit"] = json!(999));
    assert!(plan_is_update(&w).contains("999 -> 50"));
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);

    w.expect(0, &["state", "rm", "aigw_rate_limit.main"]);
    w.expect(0, &["import", "-no-color", "aigw_rate_limit.main", &format!("{ACCOUNT}/gw")]);
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);

    w.write("main.tf", &config(&emu, ""));
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    let g = emu.gateway("gw").unwrap();
    assert_eq!((g["rate_limiting_limit"].clone(), g["rate_limiting_interval"].clone()), (Value::Null, Value::Null));
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn fallback_lifecycle_updates_in_place() {
    let Some((emu, w)) = setup() else { return };
    w.write("main.tf", &config(&emu, &fallback("gpt-4o-mini")));
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    let id = state_attr(&w, "aigw_fallback.chat", "id");
    let version = state_attr(&w, "aigw_fallback.chat", "version_id");
    let route_path = format!("/gateways/gw/routes/{}", id.as_str().unwrap());
    let (s, r) = emu.api(Method::GET, &route_path, None);
    assert_eq!(s, 200);
    assert_eq!(r["result"]["elements"].as_array().unwrap().len(), 4, "start, two models, end");
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);

    // Editing a step: `~`, same route id, new version.
    w.write("main.tf", &config(&emu, &fallback("gpt-4o")));
    let plan = plan_is_update(&w);
    assert!(!plan.contains("-/+"), "{plan}");
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    assert_eq!(state_attr(&w, "aigw_fallback.chat", "id"), id);
    assert_ne!(state_attr(&w, "aigw_fallback.chat", "version_id"), version);
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);

    // Drift: a version deployed through the API shows up as an update.
    let (_, r) = emu.api(Method::GET, &route_path, None);
    let mut elements = r["result"]["elements"].clone();
    elements[2]["properties"]["model"] = json!("gpt-3.5-turbo");
    let (s, v) = emu.api(Method::POST, &format!("{route_path}/versions"), Some(json!({"elements": elements})));
    assert_eq!(s, 200, "{v}");
    let (s, _) = emu.api(
        Method::POST,
        &format!("{route_path}/deployments"),
        Some(json!({"version_id": v["result"]["version_id"]})),
    );
    assert_eq!(s, 200);
    assert!(plan_is_update(&w).contains(r#""gpt-3.5-turbo" -> "gpt-4o""#));
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);

    w.expect(0, &["state", "rm", "aigw_fallback.chat"]);
    let import_id = format!("{ACCOUNT}/gw/{}", id.as_str().unwrap());
    w.expect(0, &["import", "-no-color", "aigw_fallback.chat", &import_id]);
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);

    w.write("main.tf", &config(&emu, ""));
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    assert_eq!(emu.api(Method::GET, &route_path, None).0, 404);
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn everything_applies_in_parallel_without_lost_updates() {
    let Some((emu, w)) = setup() else { return };
    let url = r#"
data "aigw_gateway_url" "openai" {
  account_id    = aigw_gateway.main.account_id
  gateway_id    = aigw_gateway.main.id
  provider_slug = "openai"
}
output "openai_url" {
  value = data.aigw_gateway_url.openai.url
}
"#;
    let body = format!("{}{}{}{url}", cache(3600), rate_limit(100, "sliding"), fallback("gpt-4o-mini"));
    w.write("main.tf", &config(&emu, &body));
    for round in 0..20 {
        w.expect(0, &["apply", "-auto-approve", "-no-color"]);
        let g = emu.gateway("gw").unwrap();
        assert_eq!(
            (g["cache_ttl"].clone(), g["rate_limiting_limit"].clone()),
            (json!(3600), json!(100)),
            "round {round}: lost update: {g}"
        );
        if round == 0 {
            let out = w.expect(0, &["output", "-raw", "openai_url"]).stdout;
            assert!(out.ends_with(&format!("/v1/{ACCOUNT}/gw/openai")), "{out}");
        }
        w.expect(0, &["destroy", "-auto-approve", "-no-color"]);
        assert!(emu.gateway_ids().is_empty());
    }
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn invalid_policy_values_fail_at_plan_time() {
    let Some((emu, w)) = setup() else { return };
    let cases = [
        (cache(10), "Invalid ttl", "ttl                  = 10"),
        (rate_limit(100, "burst"), "Invalid technique", r#"technique  = "burst""#),
        (
            r#"resource "aigw_fallback" "chat" {
  account_id = aigw_gateway.main.account_id
  gateway_id = aigw_gateway.main.id
  name       = "chat"
  steps      = []
}
"#
            .to_string(),
            "Invalid steps",
            "steps      = []",
        ),
        (
            fallback("m").replace("\"openai\"", "\"nosuchai\""),
            "Unknown provider",
            r#"{ provider = "nosuchai", model = "m" }"#,
        ),
    ];
    for (body, summary, line) in cases {
        w.write("main.tf", &config(&emu, &body));
        let err = w.expect(1, &["plan", "-no-color"]).stderr;
        assert!(err.contains(&format!("Error: {summary}")), "{err}");
        assert!(err.contains(line), "diagnostic should point at `{line}`:\n{err}");
    }
    assert!(emu.gateway_ids().is_empty());
}

fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The README's quickstart and every documented example apply as written.
#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn examples_apply_plan_clean_and_destroy() {
    let Some((emu, w)) = setup() else { return };
    let (url, token) = (format!("base_url={}", emu.base_url()), format!("api_token={}", emu.token));
    let account = format!("account_id={ACCOUNT}");
    let vars = ["-var", url.as_str(), "-var", token.as_str(), "-var", account.as_str()];
    w.write("main.tf", &std::fs::read_to_string(repo().join("examples/quickstart/main.tf")).unwrap());
    w.expect(0, &[&["apply", "-auto-approve", "-no-color"][..], &vars].concat());
    w.expect(0, &[&["plan", "-detailed-exitcode", "-no-color"][..], &vars].concat());
    w.expect(0, &[&["destroy", "-auto-approve", "-no-color"][..], &vars].concat());
    assert!(emu.gateway_ids().is_empty());

    // Each of examples/resources/* and examples/data-sources/* alone, with a
    // provider block pointing at the emulator.
    let provider =
        format!("provider \"aigw\" {{\n  base_url  = \"{}\"\n  api_token = \"{}\"\n}}\n", emu.base_url(), emu.token);
    for f in example_files() {
        w.write("main.tf", &std::fs::read_to_string(&f).unwrap());
        w.write("provider.tf", &provider);
        copy_example_assets(&f, &w.path());
        w.expect(0, &["apply", "-auto-approve", "-no-color"]);
        w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);
        w.expect(0, &["destroy", "-auto-approve", "-no-color"]);
    }
    assert!(emu.gateway_ids().is_empty());
}

/// Copies the files an example reads (its `.pem` keys) next to it in `dir`.
pub fn copy_example_assets(example: &std::path::Path, dir: &std::path::Path) {
    for other in std::fs::read_dir(example.parent().unwrap()).unwrap().map(|e| e.unwrap().path()) {
        if other.extension().is_some_and(|x| x == "pem") {
            std::fs::copy(&other, dir.join(other.file_name().unwrap())).unwrap();
        }
    }
}

/// Every `.tf` file under examples/resources and examples/data-sources.
pub fn example_files() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = ["examples/resources", "examples/data-sources"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(repo().join(dir)).unwrap())
        .flat_map(|e| std::fs::read_dir(e.unwrap().path()).unwrap().map(|f| f.unwrap().path()))
        .filter(|f| f.extension().is_some_and(|x| x == "tf"))
        .collect();
    files.sort();
    files
}
