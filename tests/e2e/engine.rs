//! The `aigw` engine against the emulator and real Terraform: state round
//! trips in both directions, plan output, and its error classes.
use std::process::Command;

use crate::util::{ACCOUNT, Emulator, Workdir, bin, cli};

pub fn aigw(w: &Workdir, args: &[&str]) -> crate::util::Output {
    let out = Command::new(bin("aigw")).args(args).current_dir(w.path()).output().unwrap();
    crate::util::Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn expect(w: &Workdir, code: i32, args: &[&str]) -> crate::util::Output {
    let out = aigw(w, args);
    assert_eq!(out.code, code, "aigw {args:?} exited {}:\n{}", out.code, out.all());
    out
}

pub fn quickstart(emu: &Emulator) -> String {
    let src = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/quickstart/main.tf"),
    )
    .unwrap();
    src.replace("http://127.0.0.1:8787/client/v4", &emu.base_url()).replace("local-dev-token", &emu.token)
}

#[test]
fn aigw_and_terraform_share_state_both_ways() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let emu = Emulator::start("engine-token");
    let w = Workdir::new(tf);
    w.write("main.tf", &quickstart(&emu));

    let out = expect(&w, 2, &["plan", "-detailed-exitcode"]);
    assert!(out.stdout.contains("Plan: 4 to add, 0 to change, 0 to destroy."), "{}", out.stdout);
    assert!(out.stdout.contains("+ resource \"aigw_fallback\" \"chat\""), "{}", out.stdout);
    expect(&w, 0, &["apply", "-auto-approve"]);
    assert_eq!(emu.gateway("support-bot").unwrap()["cache_ttl"], 3600);
    expect(&w, 0, &["plan", "-detailed-exitcode"]);
    // Terraform reads aigw's state as its own.
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);

    // An edit made with terraform is seen by aigw as done.
    w.write("main.tf", &quickstart(&emu).replace("ttl                  = 3600", "ttl                  = 7200"));
    let out = expect(&w, 2, &["plan", "-detailed-exitcode"]);
    assert!(out.stdout.contains("~ ttl                  = 3600 -> 7200"), "{}", out.stdout);
    assert!(out.stdout.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{}", out.stdout);
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    expect(&w, 0, &["plan", "-detailed-exitcode"]);

    // Replacements and destroys.
    w.write("main.tf", &quickstart(&emu).replace("\"support-bot\"", "\"support-bot-2\""));
    let out = expect(&w, 2, &["plan", "-detailed-exitcode"]);
    assert!(out.stdout.contains("# aigw_gateway.main must be replaced"), "{}", out.stdout);
    assert!(out.stdout.contains("# forces replacement"), "{}", out.stdout);
    expect(&w, 0, &["destroy", "-auto-approve"]);
    assert!(emu.gateway_ids().is_empty());
    // Terraform reads the emptied state and plans the creates again.
    assert!(w.expect(2, &["plan", "-detailed-exitcode", "-no-color"]).stdout.contains("4 to add"));
}

#[test]
fn errors_name_the_file_and_line() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let emu = Emulator::start("t");
    let w = Workdir::new(tf);
    let base = |body: &str| {
        format!(
            "terraform {{\n  required_providers {{\n    aigw = {{ source = \"aigw/aigw\" }}\n  }}\n}}\nprovider \"aigw\" {{\n  base_url  = \"{}\"\n  api_token = \"t\"\n}}\n{body}",
            emu.base_url()
        )
    };
    let cases = [
        ("resource \"aigw_gateway\" \"g\" {\n  account_id = \"x\"\n  id = \n}\n", "main.tf"),
        (
            &format!(
                "resource \"aigw_cache\" \"c\" {{\n  account_id = \"{ACCOUNT}\"\n  gateway_id = aigw_gateway.nope.id\n  ttl = 60\n}}\n"
            ),
            "main.tf:12:16: aigw_cache.c refers to aigw_gateway.nope, which is not declared\n  12 |   gateway_id = aigw_gateway.nope.id\n     |                ^",
        ),
        (
            "locals {\n  a = local.b\n  b = local.a\n}\noutput \"o\" {\n  value = local.a\n}\n",
            "dependency cycle: local.a → local.b → local.a",
        ),
        (
            &format!(
                "resource \"aigw_cache\" \"c\" {{\n  account_id = \"{ACCOUNT}\"\n  gateway_id = \"g\"\n  ttl = [1]\n}}\n"
            ),
            "main.tf:13:9: aigw_cache.c.ttl: a list is not a valid \"number\"",
        ),
        (
            &format!(
                "resource \"aigw_cache\" \"c\" {{\n  account_id = \"{ACCOUNT}\"\n  gateway_id = \"g\"\n  ttl = 10\n}}\n"
            ),
            "Invalid ttl",
        ),
        ("variable \"v\" {}\noutput \"o\" {\n  value = var.v\n}\n", "no value for required variable \"v\""),
    ];
    for (body, want) in cases {
        w.write("main.tf", &base(body));
        let out = expect(&w, 1, &["plan"]);
        assert!(out.stderr.contains(want), "want {want:?} in:\n{}", out.stderr);
    }
}

#[test]
fn for_each_instances_round_trip_with_terraform() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let emu = Emulator::start("engine-token");
    let w = Workdir::new(tf);
    let src = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/per-team-gateways/main.tf"),
    )
    .unwrap()
    .replace("http://127.0.0.1:8787/client/v4", &emu.base_url())
    .replace("local-dev-token", &emu.token);
    w.write("main.tf", &src);
    expect(&w, 0, &["apply", "-auto-approve"]);
    assert_eq!(emu.gateway_ids(), ["team-search", "team-support"]);
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);
    // A new key adds its instances and touches nothing else.
    w.write("main.tf", &src.replace("    support = 20\n", "    support = 20\n    billing = 3\n"));
    let out = expect(&w, 2, &["plan", "-detailed-exitcode"]);
    assert!(out.stdout.contains("# aigw_gateway.team[\"billing\"] will be created"), "{}", out.stdout);
    assert!(out.stdout.contains("Plan: 2 to add, 0 to change, 0 to destroy."), "{}", out.stdout);
    w.expect(0, &["apply", "-auto-approve", "-no-color"]);
    expect(&w, 0, &["plan", "-detailed-exitcode"]);
    // A removed key destroys its instances.
    w.write("main.tf", &src.replace("    search  = 5\n", ""));
    let out = expect(&w, 0, &["apply", "-auto-approve"]);
    assert!(out.stdout.contains("0 added, 0 changed, 4 destroyed"), "{}", out.stdout);
    assert_eq!(emu.gateway_ids(), ["team-support"]);
    expect(&w, 0, &["destroy", "-auto-approve"]);
    assert!(emu.gateway_ids().is_empty());
}
