//! Finds the CLIs the end-to-end tests drive (Terraform, OpenTofu, tmux) so
//! a test whose CLI is missing is marked ignored, and shows in the test
//! runner's own "ignored" count, instead of passing without running. With
//! `AIGW_REQUIRE_CLIS` set (CI), a missing CLI fails the build.
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn runs(program: &str, arg: &str) -> bool {
    Command::new(program).arg(arg).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

/// PostgreSQL's server binaries, as `scripts/pg.sh` finds them.
fn has_postgres() -> bool {
    runs("initdb", "--version")
        || std::fs::read_dir("/usr/lib/postgresql")
            .map(|d| d.filter_map(|e| e.ok()).any(|e| e.path().join("bin/initdb").exists()))
            .unwrap_or(false)
}

fn main() {
    let home = PathBuf::from(std::env::var_os("HOME").unwrap_or_default());
    let cache = std::env::var_os("AIGW_CLI_CACHE").map(PathBuf::from).unwrap_or_else(|| home.join(".cache/aigw-clis"));
    let required = std::env::var_os("AIGW_REQUIRE_CLIS").is_some();
    println!("cargo::rerun-if-env-changed=AIGW_CLI_CACHE");
    println!("cargo::rerun-if-env-changed=AIGW_REQUIRE_CLIS");
    println!("cargo::rerun-if-env-changed=PATH");
    let watched = cache.ancestors().find(|p| p.exists()).map(PathBuf::from);
    if let Some(w) = watched {
        println!("cargo::rerun-if-changed={}", w.display());
    }
    let found = [
        ("has_terraform", runs("terraform", "version"), "terraform on PATH"),
        ("has_tofu_1_6_2", cache.join("tofu-1.6.2").exists(), "tofu-1.6.2 (scripts/install-clis.sh)"),
        ("has_terraform_1_0_3", cache.join("terraform-1.0.3").exists(), "terraform-1.0.3 (scripts/install-clis.sh)"),
        ("has_terraform_1_15_5", cache.join("terraform-1.15.5").exists(), "terraform-1.15.5 (scripts/install-clis.sh)"),
        ("has_tmux", runs("tmux", "-V"), "tmux"),
        ("has_postgres", has_postgres(), "PostgreSQL's initdb and pg_ctl"),
    ];
    for (cfg, present, what) in found {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        if present {
            println!("cargo::rustc-cfg={cfg}");
        } else if required {
            panic!("AIGW_REQUIRE_CLIS is set and {what} is missing");
        } else {
            println!("cargo::warning=end-to-end tests that need {what} are ignored: it is not installed");
        }
    }
}
