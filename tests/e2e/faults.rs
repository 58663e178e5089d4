//! The fault matrix: `kill -9` of `aigw apply` at each phase of each
//! resource type's create, update and delete, and a disk that fills up
//! mid-apply. Every case is followed by a rerun that must converge: exit
//! 0, nothing orphaned or duplicated at the API, and an empty plan.
//!
//! Phases: `before-call` (the change's intent is on disk, nothing sent),
//! `in-flight` (the API did the work and has not answered yet; the
//! emulator answers writes 700 ms after working), `after-call` (the answer is
//! back, none of it on disk), each named by the engine's `AIGW_FAILPOINT`
//! hook; the test checks that an in-flight kill found the work done.
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::util::{ACCOUNT, Emulator, bin};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Gateway,
    Cache,
    RateLimit,
    Fallback,
}

impl Kind {
    fn address(self) -> &'static str {
        match self {
            Kind::Gateway => "aigw_gateway.g",
            Kind::Cache => "aigw_cache.c",
            Kind::RateLimit => "aigw_rate_limit.r",
            Kind::Fallback => "aigw_fallback.f",
        }
    }

    /// The resource at version 1 or 2 (2 changes an attribute in place).
    fn block(self, version: u8) -> String {
        let v2 = version == 2;
        let refs = "  account_id = aigw_gateway.g.account_id\n  gateway_id = aigw_gateway.g.id\n";
        match self {
            Kind::Gateway => format!(
                "resource \"aigw_gateway\" \"g\" {{\n  account_id = \"{ACCOUNT}\"\n  id         = \"fault\"\n  retry_max_attempts = {}\n}}\n",
                if v2 { 5 } else { 3 }
            ),
            Kind::Cache => {
                format!("resource \"aigw_cache\" \"c\" {{\n{refs}  ttl = {}\n}}\n", if v2 { 600 } else { 300 })
            }
            Kind::RateLimit => {
                format!(
                    "resource \"aigw_rate_limit\" \"r\" {{\n{refs}  limit = {}\n  interval = 60\n}}\n",
                    if v2 { 50 } else { 10 }
                )
            }
            Kind::Fallback => format!(
                "resource \"aigw_fallback\" \"f\" {{\n{refs}  name = \"chat\"\n  steps = [\n    {{ provider = \"openai\", model = \"{}\" }},\n  ]\n}}\n",
                if v2 { "gpt-4o" } else { "gpt-4o-mini" }
            ),
        }
    }
}

/// The configuration with `kind` at `version` (0: absent). The gateway is
/// always there for the other kinds.
fn config(emu: &Emulator, kind: Kind, version: u8) -> String {
    let mut text = format!(
        "terraform {{\n  required_providers {{\n    aigw = {{ source = \"aigw/aigw\" }}\n  }}\n}}\n\
         provider \"aigw\" {{\n  base_url  = \"{}\"\n  api_token = \"{}\"\n}}\n",
        emu.base_url(),
        emu.token
    );
    if kind != Kind::Gateway {
        text.push_str(&Kind::Gateway.block(1));
    }
    if version > 0 {
        text.push_str(&kind.block(version));
    }
    text
}

/// What the API holds: gateways, the gateway's settings, its routes.
fn fingerprint(emu: &Emulator) -> Value {
    let gw = emu.gateway("fault").map(|mut g| {
        if let Some(o) = g.as_object_mut() {
            o.remove("modified_at");
        }
        g
    });
    let (_, routes) = emu.api(reqwest::Method::GET, "/gateways/fault/routes", None);
    serde_json::json!({"ids": emu.gateway_ids(), "gateway": gw, "routes": routes["data"]["routes"]})
}

fn aigw_in(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(bin("aigw")).args(args).current_dir(dir).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// One case: from `before` to `after` of `kind`, killed at `phase`; then
/// the rerun converges.
fn case(kind: Kind, op: &str, phase: &str) {
    let (before, after) = match op {
        "create" => (0, 1),
        "update" => (1, 2),
        _ => (1, 0),
    };
    let emu = Emulator::start_with("t", &["--api-write-latency", "700ms"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), config(&emu, kind, before)).unwrap();
    let (code, text) = aigw_in(dir.path(), &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{text}");
    std::fs::write(dir.path().join("main.tf"), config(&emu, kind, after)).unwrap();
    let seen = fingerprint(&emu);
    let label = format!("{kind:?} {op} killed {phase}");
    let mut child = Command::new(bin("aigw"))
        .args(["apply", "-auto-approve"])
        .current_dir(dir.path())
        .env("AIGW_FAILPOINT", format!("{}:{phase}", kind.address()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(9), "{label}: it did not die by SIGKILL");
    let now = fingerprint(&emu);
    match phase {
        "before-call" => assert_eq!(now, seen, "{label}: nothing reached the API"),
        _ => assert_ne!(now, seen, "{label}: the API had done the work"),
    }
    let (code, text) = aigw_in(dir.path(), &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{label}: the rerun failed:\n{text}");
    let (code, text) = aigw_in(dir.path(), &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{label}: the plan after the rerun is not empty:\n{text}");
    let api = fingerprint(&emu);
    let want_gateway = !(kind == Kind::Gateway && after == 0);
    assert_eq!(api["ids"], serde_json::json!(if want_gateway { vec!["fault"] } else { vec![] }), "{label}: {api}");
    let routes = api["routes"].as_array().map_or(0, Vec::len);
    assert_eq!(routes, usize::from(kind == Kind::Fallback && after > 0), "{label}: no orphaned route: {api}");
    let (_, list) = aigw_in(dir.path(), &["state", "list"]);
    let mut want: Vec<&str> = Vec::new();
    if want_gateway {
        want.push("aigw_gateway.g");
    }
    if kind != Kind::Gateway && after > 0 {
        want.push(kind.address());
    }
    want.sort();
    assert_eq!(list.lines().collect::<Vec<_>>(), want, "{label}");
}

fn matrix(kind: Kind) {
    for op in ["create", "update", "delete"] {
        for phase in ["before-call", "in-flight", "after-call"] {
            case(kind, op, phase);
        }
    }
}

#[test]
fn kill_9_at_every_phase_of_a_gateways_create_update_and_delete_converges() {
    matrix(Kind::Gateway);
}

#[test]
fn kill_9_at_every_phase_of_a_caches_create_update_and_delete_converges() {
    matrix(Kind::Cache);
}

#[test]
fn kill_9_at_every_phase_of_a_rate_limits_create_update_and_delete_converges() {
    matrix(Kind::RateLimit);
}

#[test]
fn kill_9_at_every_phase_of_a_fallbacks_create_update_and_delete_converges() {
    matrix(Kind::Fallback);
}

/// A tmpfs of `size`, unmounted on drop; `None` where mounting is not
/// allowed (not root), which CI (`AIGW_REQUIRE_CLIS`) does not accept.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(std::env::var_os("AIGW_REQUIRE_CLIS").is_none(), "cannot mount a tmpfs (CI runs as root)");
            eprintln!("SKIP: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(Tmpfs(dir))
    }

    fn resize(&self, size: &str) {
        let s =
            Command::new("mount").args(["-o", &format!("remount,size={size}")]).arg(self.0.path()).status().unwrap();
        assert!(s.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0.path()).status();
    }
}

#[test]
fn a_disk_that_fills_up_mid_apply_stops_it_and_the_rerun_converges() {
    let Some(disk) = Tmpfs::mount("512k") else { return };
    let emu = Emulator::start_with("t", &["--api-latency", "20ms"]);
    let dir = disk.0.path();
    let n = 30;
    let text = format!(
        "terraform {{\n  required_providers {{\n    aigw = {{ source = \"aigw/aigw\" }}\n  }}\n}}\n\
         provider \"aigw\" {{\n  base_url  = \"{}\"\n  api_token = \"{}\"\n}}\n\
         resource \"aigw_gateway\" \"g\" {{\n  count = {n}\n  account_id = \"{ACCOUNT}\"\n  id = \"full-${{count.index}}\"\n}}\n\
         resource \"aigw_fallback\" \"f\" {{\n  count = {n}\n  account_id = \"{ACCOUNT}\"\n  gateway_id = aigw_gateway.g[count.index].id\n  \
         name = \"chat\"\n  steps = [{{ provider = \"openai\", model = \"gpt-4o-mini\" }}]\n}}\n",
        emu.base_url(),
        emu.token
    );
    std::fs::write(dir.join("main.tf"), text).unwrap();
    // Fill the disk, then free 24 KiB: room for the first operations only.
    let filler = dir.join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        while f.write_all(&[0u8; 4096]).is_ok() {}
        let _ = f.flush();
    }
    let len = std::fs::metadata(&filler).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&filler).unwrap().set_len(len.saturating_sub(24 << 10)).unwrap();
    let (code, text) = aigw_in(dir, &["apply", "-auto-approve"]);
    assert_ne!(code, 0, "the apply cannot finish on a full disk:\n{text}");
    assert!(text.contains("No space left") || text.contains("write failed"), "it says why:\n{text}");
    let made_before = emu.gateway_ids().len();
    assert!(made_before < n, "it stopped part-way ({made_before} of {n})");
    // State commands still read what is there on the full disk.
    let (code, listed) = aigw_in(dir, &["state", "list"]);
    assert_eq!(code, 0, "{listed}");
    disk.resize("16m");
    let (code, text) = aigw_in(dir, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "the rerun with room again:\n{text}");
    let (code, text) = aigw_in(dir, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(emu.gateway_ids().len(), n, "each gateway once");
    for i in 0..n {
        let (_, b) = emu.api(reqwest::Method::GET, &format!("/gateways/full-{i}/routes"), None);
        assert_eq!(b["data"]["routes"].as_array().map_or(0, Vec::len), 1, "full-{i}: one route, none orphaned");
    }
    let leftovers: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".tmp") || n.ends_with(".next") || n.ends_with(".journal"))
        .collect();
    assert!(leftovers.is_empty(), "nothing left behind: {leftovers:?}");
}
