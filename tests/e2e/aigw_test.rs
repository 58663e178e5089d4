//! `aigw test` on the examples, and on broken copies of the quickstart
//! that must fail in the expected way.
use std::process::Command;

use crate::util::bin;

pub fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn aigw_test(dir: &std::path::Path) -> (i32, String) {
    let out = Command::new(bin("aigw")).arg("test").arg(dir).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// A copy of `examples/<name>`: its main.tf through `edit_tf`, its
/// terraform.tfvars if it has one, and each of its test files through `edit_test`.
pub fn edited_example(
    name: &str,
    edit_tf: impl Fn(String) -> String,
    edit_test: impl Fn(String) -> String,
) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = repo().join("examples").join(name);
    std::fs::write(dir.path().join("main.tf"), edit_tf(std::fs::read_to_string(src.join("main.tf")).unwrap())).unwrap();
    if src.join("terraform.tfvars").exists() {
        std::fs::copy(src.join("terraform.tfvars"), dir.path().join("terraform.tfvars")).unwrap();
    }
    std::fs::create_dir(dir.path().join("tests")).unwrap();
    for entry in std::fs::read_dir(src.join("tests")).unwrap() {
        let path = entry.unwrap().path();
        let text = edit_test(std::fs::read_to_string(&path).unwrap());
        std::fs::write(dir.path().join("tests").join(path.file_name().unwrap()), text).unwrap();
    }
    dir
}

/// A copy of examples/quickstart with `edit` applied to its main.tf.
pub fn broken_quickstart(edit: impl Fn(String) -> String) -> tempfile::TempDir {
    edited_example("quickstart", edit, |t| t)
}

#[test]
fn every_example_passes() {
    for ex in
        ["quickstart", "faq-bot-cache", "multi-provider-fallback", "per-team-gateways", "pii-guard", "team-budgets"]
    {
        let (code, out) = aigw_test(&repo().join("examples").join(ex));
        assert_eq!(code, 0, "{ex}:\n{out}");
        assert!(out.contains(" passed, 0 failed"), "{out}");
    }
}

#[test]
fn a_configuration_that_cannot_apply_exits_2() {
    let dir = broken_quickstart(|tf| {
        tf.replace(
            "  ttl                  = 3600\n",
            "  ttl                  = 3600\n  colour               = \"red\"\n",
        )
    });
    let (code, out) = aigw_test(dir.path());
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("main.tf:") && out.contains("unsupported argument \"colour\""), "{out}");
}

#[test]
fn a_misspelt_reference_in_an_assertion_fails_before_anything_is_applied() {
    let dir = broken_quickstart(|tf| tf);
    let test = dir.path().join("tests/quickstart.aigwtest.hcl");
    let text = std::fs::read_to_string(&test).unwrap();
    std::fs::write(
        &test,
        text.replace("request.fresh.status == 200", "aigw_gateway.mian.id != \"\" && request.fresh.status == 200"),
    )
    .unwrap();
    let (code, out) = aigw_test(dir.path());
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("quickstart.aigwtest.hcl:") && out.contains("reference to undeclared aigw_gateway.mian"),
        "{out}"
    );
    assert!(out.contains("^"), "the line is shown with a caret:\n{out}");
}

#[test]
fn a_gateway_without_cache_fails_the_hit_assertion() {
    let dir = broken_quickstart(|tf| {
        let start = tf.find("# Identical requests").unwrap();
        let end = tf.find("# At most 100 requests").unwrap();
        format!("{}{}", &tf[..start], &tf[end..])
    });
    let (code, out) = aigw_test(dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  quickstart.aigwtest.hcl :: cache_hit"), "{out}");
    assert!(out.contains("the repeated question should come from the cache"), "{out}");
    assert!(out.contains("request.second.headers"), "the failure shows the values involved:\n{out}");
}

#[test]
fn a_cache_ttl_too_short_fails_the_hit_assertion() {
    let dir = edited_example("faq-bot-cache", |tf| tf.replace("ttl        = 600", "ttl        = 300"), |t| t);
    let (code, out) = aigw_test(dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  cache.aigwtest.hcl :: answers_expire_after_the_ttl"), "{out}");
    assert!(out.contains("within the 10 minute TTL the answer comes from the cache"), "{out}");
    assert!(out.contains("request.nine_minutes_later.headers"), "{out}");
}

#[test]
fn a_guardrail_block_with_an_unknown_category_names_its_line() {
    let dir = edited_example("pii-guard", |tf| tf, |t| format!("{t}\nguardrail \"S14\" {{\n  phrase = \"x\"\n}}\n"));
    let (code, out) = aigw_test(dir.path());
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("pii.aigwtest.hcl:") && out.contains("unknown category \"S14\""), "{out}");
}

#[test]
fn a_card_policy_that_only_flags_fails_the_block_assertion() {
    let weaken =
        |tf: String| tf.replace(r#"{ id = "payments", action = "BLOCK""#, r#"{ id = "payments", action = "FLAG""#);
    let dir = edited_example("pii-guard", weaken, |t| t);
    let (code, out) = aigw_test(dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  pii.aigwtest.hcl :: card_number_is_blocked"), "{out}");
    assert!(out.contains("must be refused with Cloudflare's DLP code 2029"), "{out}");
    assert!(out.contains("request.pay.status = 200"), "the report shows what came back:\n{out}");
}

#[test]
fn a_budget_shared_by_every_team_fails_the_other_team_assertion() {
    let dir = edited_example("team-budgets", |tf| tf.replace("      partition_by = [\"team\"]\n", ""), |t| t);
    let (code, out) = aigw_test(dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  budgets.aigwtest.hcl :: a_team_stops_at_its_daily_budget"), "{out}");
    assert!(out.contains("another team has its own budget"), "{out}");
    assert!(out.contains("request.other_team.status = 429"), "{out}");
    // Without a partition there is no per-team figure to read either.
    assert!(out.contains("spend[\"team-budgets\"]"), "{out}");
}

#[test]
fn a_rate_limit_set_too_high_fails_the_429_assertion() {
    let dir = broken_quickstart(|tf| tf.replace("limit      = 100", "limit      = 100000"));
    let (code, out) = aigw_test(dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  quickstart.aigwtest.hcl :: rate_limit"), "{out}");
    assert!(out.contains("more than 100 requests a minute should be rate limited"), "{out}");
}

#[test]
fn a_fallback_without_its_healthy_step_fails_and_names_the_answer() {
    let dir = broken_quickstart(|tf| tf.replace("    { provider = \"openai\", model = \"gpt-4o-mini\" },\n", ""));
    let (code, out) = aigw_test(dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  quickstart.aigwtest.hcl :: fallback_on_outage"), "{out}");
    assert!(
        out.contains("\"cf-aig-step\":\"0\"") && out.contains("request.chat.status = 503"),
        "the report shows which step answered and what came back:\n{out}"
    );
}
