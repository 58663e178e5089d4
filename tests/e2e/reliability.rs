//! The engine under failure: an apply stopped part-way converges when run
//! again, concurrent applies never corrupt the state, and a corrupt state
//! file is reported and left as it was.
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::engine::{aigw, expect, quickstart};
use crate::util::{ACCOUNT, Emulator, Workdir, bin, cli};

/// `n` gateways, each a resource instance.
fn gateways(emu: &Emulator, n: usize) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    aigw = {{ source = \"aigw/aigw\" }}\n  }}\n}}\n\
         provider \"aigw\" {{\n  base_url  = \"{}\"\n  api_token = \"{}\"\n}}\n\
         resource \"aigw_gateway\" \"g\" {{\n  count      = {n}\n  account_id = \"{ACCOUNT}\"\n  id         = \"gw-${{count.index}}\"\n  retry_max_attempts = 3\n}}\n",
        emu.base_url(),
        emu.token
    )
}

fn state_addresses(w: &Workdir) -> Vec<String> {
    let text = std::fs::read_to_string(w.path().join("terraform.tfstate")).unwrap();
    let state: serde_json::Value = serde_json::from_str(&text).expect("the state file is valid JSON");
    let mut out: Vec<String> = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["instances"].as_array().unwrap().iter().map(|i| i["attributes"]["id"].as_str().unwrap().to_string())
        })
        .collect();
    out.sort();
    out
}

/// `aigw apply` with 4 operations at a time, left running.
fn background_apply(w: &Workdir) -> std::process::Child {
    Command::new(bin("aigw"))
        .args(["apply", "-auto-approve", "-parallelism=4"])
        .current_dir(w.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn an_apply_stopped_part_way_keeps_its_work_and_converges_when_run_again() {
    let Some(tf) = cli("terraform-1.11") else { return };
    // Real-API-like latency, so the apply is still running when it is stopped.
    let emu = Emulator::start_with("t", &["--api-latency", "40ms"]);
    let w = Workdir::new(tf);
    w.write("main.tf", &gateways(&emu, 50));
    let child = Command::new(bin("aigw"))
        .args(["apply", "-auto-approve", "-parallelism=2"])
        .current_dir(w.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while emu.gateway_ids().len() < 10 {
        assert!(started.elapsed() < Duration::from_secs(60), "the apply made no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    // `kill PID`: SIGTERM, like Ctrl-C.
    assert!(Command::new("kill").arg(child.id().to_string()).status().unwrap().success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    // Everything that was created is in the state: no orphans.
    let created = sorted(emu.gateway_ids());
    assert!(created.len() < 50, "stopped part-way: {}", created.len());
    assert_eq!(state_addresses(&w), created);

    // Running it again finishes the job: 50 gateways, each once.
    let out = expect(&w, 0, &["apply", "-auto-approve"]);
    assert!(out.stdout.contains(&format!("{} added, 0 changed, 0 destroyed", 50 - created.len())), "{}", out.stdout);
    let all = sorted(emu.gateway_ids());
    assert_eq!(all, sorted((0..50).map(|i| format!("gw-{i}")).collect()));
    assert_eq!(state_addresses(&w), all);
    expect(&w, 0, &["plan", "-detailed-exitcode"]);
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn an_apply_killed_outright_converges_with_no_orphan_and_no_duplicate() {
    let Some(tf) = cli("terraform-1.11") else { return };
    // The API answers slowly, so creates are in flight when the process dies.
    let emu = Emulator::start_with("t", &["--api-latency", "60ms"]);
    let w = Workdir::new(tf);
    w.write("main.tf", &gateways(&emu, 50));
    let mut child = background_apply(&w);
    let started = Instant::now();
    while emu.gateway_ids().len() < 12 {
        assert!(started.elapsed() < Duration::from_secs(60), "the apply made no progress");
        std::thread::sleep(Duration::from_millis(10));
    }
    // SIGKILL: no chance to finish or save anything.
    child.kill().unwrap();
    child.wait().unwrap();
    let created = emu.gateway_ids().len();
    assert!(created < 50, "killed part-way: {created}");

    // The rerun settles the creates that were in flight (adopting those
    // that exist), then creates the rest: each gateway once, all in state.
    let out = expect(&w, 0, &["apply", "-auto-approve"]);
    assert!(out.stdout.contains("Apply complete!"), "{}", out.stdout);
    // The creates in flight at the kill are settled by reading them back:
    // adopted if the API made them, planned again if not (the fault matrix
    // in faults.rs pins each case down exactly).
    assert!(out.stderr.contains("interrupted apply"), "{}", out.stderr);
    let all = sorted(emu.gateway_ids());
    assert_eq!(all, sorted((0..50).map(|i| format!("gw-{i}")).collect()));
    assert_eq!(state_addresses(&w), all);
    assert!(!w.path().join("terraform.tfstate.journal").exists());
    expect(&w, 0, &["plan", "-detailed-exitcode"]);
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn concurrent_applies_wait_or_fail_on_the_lock_and_never_corrupt_the_state() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let emu = Emulator::start_with("t", &["--api-latency", "10ms"]);
    let w = Workdir::new(tf);
    w.write("main.tf", &gateways(&emu, 20));
    let spawn = |args: &[&str]| {
        Command::new(bin("aigw"))
            .args(args)
            .current_dir(w.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Without a timeout, one of two applies fails on the lock.
    let (a, b) = (spawn(&["apply", "-auto-approve"]), spawn(&["apply", "-auto-approve"]));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let codes = sorted(vec![a.status.code().unwrap().to_string(), b.status.code().unwrap().to_string()]);
    assert_eq!(codes, ["0", "1"]);
    let failed = if a.status.success() { &b } else { &a };
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("Error acquiring the state lock"), "{stderr}");
    assert_eq!(state_addresses(&w).len(), 20);

    // With -lock-timeout the second waits its turn; both succeed.
    w.write("main.tf", &gateways(&emu, 20).replace("retry_max_attempts = 3", "retry_max_attempts = 5"));
    let (a, b) = (
        spawn(&["apply", "-auto-approve", "-lock-timeout=60s"]),
        spawn(&["apply", "-auto-approve", "-lock-timeout=60s"]),
    );
    for o in [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()] {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(state_addresses(&w).len(), 20);
    assert_eq!(emu.gateway("gw-7").unwrap()["retry_max_attempts"], 5);
    expect(&w, 0, &["plan", "-detailed-exitcode"]);
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn a_corrupt_state_file_is_reported_and_left_alone() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let emu = Emulator::start("engine-token");
    let w = Workdir::new(tf);
    w.write("main.tf", &quickstart(&emu));
    for broken in [
        // (An empty file is no state, to Terraform and to aigw, unless a
        // backup shows a state was there.)
        "{\"version\": 4, \"resou",
        "{\"version\": 3, \"serial\": 1, \"lineage\": \"x\", \"terraform_version\": \"0.11\"}",
    ] {
        std::fs::write(w.path().join("terraform.tfstate"), broken).unwrap();
        let out = aigw(&w, &["apply", "-auto-approve"]);
        assert_eq!(out.code, 1, "{}", out.all());
        assert!(out.stderr.contains("state file"), "{}", out.stderr);
        assert_eq!(std::fs::read_to_string(w.path().join("terraform.tfstate")).unwrap(), broken);
        assert!(emu.gateway_ids().is_empty(), "nothing was applied");
    }
}

/// `n` gateways, each with a fallback route.
fn gateways_with_routes(emu: &Emulator, n: usize) -> String {
    format!(
        "{}resource \"aigw_fallback\" \"f\" {{\n  count      = {n}\n  account_id = \"{ACCOUNT}\"\n  gateway_id = aigw_gateway.g[count.index].id\n  name       = \"chat\"\n  steps      = [{{ provider = \"openai\", model = \"gpt-4o-mini\" }}]\n}}\n",
        gateways(emu, n)
    )
}

fn routes_of(emu: &Emulator, gateway: &str) -> usize {
    let (_, b) = emu.api(reqwest::Method::GET, &format!("/gateways/{gateway}/routes"), None);
    b["data"]["routes"].as_array().map_or(0, Vec::len)
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn a_pending_create_is_settled_only_by_a_definite_answer() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap().to_string();
    // The API does the work, then answers slowly: a create killed in flight
    // has made its object.
    let emu = Emulator::start_with("t", &["--api-latency", "300ms", "--data-dir", &dir]);
    let addr = emu.addr.clone();
    let w = Workdir::new(tf);
    w.write("main.tf", &gateways_with_routes(&emu, 4));
    let mut child = background_apply(&w);
    let journal = w.path().join("terraform.tfstate.journal");
    let started = Instant::now();
    while !std::fs::read_to_string(&journal).unwrap_or_default().contains("\"aigw_fallback\"") {
        assert!(started.elapsed() < Duration::from_secs(60), "no fallback create started");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(50));
    child.kill().unwrap();
    child.wait().unwrap();
    // The API goes away: the pending creates cannot be settled, so nothing is planned.
    drop(emu);
    let started = Instant::now();
    let out = aigw(&w, &["plan"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stderr.contains("whose outcome is still unknown") && out.stderr.contains("aigw_fallback.f["),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("connection refused"), "{}", out.stderr);
    assert!(!out.stderr.contains("WARN"), "{}", out.stderr);
    assert!(started.elapsed() < Duration::from_secs(5), "an unreachable API is reported at once");
    assert!(journal.exists(), "the pending creates stay recorded");
    // Back again: each pending create is adopted or planned, never made twice.
    let emu = Emulator::start_on(&addr, "t", &["--data-dir", &dir]);
    let out = expect(&w, 0, &["apply", "-auto-approve"]);
    assert!(out.stdout.contains("Apply complete!"), "{}", out.stdout);
    for i in 0..4 {
        assert_eq!(routes_of(&emu, &format!("gw-{i}")), 1, "gw-{i} has exactly one route");
    }
    assert!(!journal.exists());
    expect(&w, 0, &["plan", "-detailed-exitcode"]);
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);
}
