//! `aigw`'s command line as Terraform users know it: version, init,
//! console, validate -json, help texts, flags, progress lines and apply's
//! output, checked against real `terraform` where it has an answer.
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::engine::quickstart;
use crate::util::{Emulator, Output, Workdir, bin, cli};

/// `aigw ARGS` in `dir`, with `stdin` piped in.
pub fn run_in(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(bin("aigw"))
        .args(args)
        .current_dir(dir)
        .env_remove("TF_CLI_CONFIG_FILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn version_prints_as_terraform_does() {
    let dir = tempfile::tempdir().unwrap();
    let text = run_in(dir.path(), &["version"], "");
    assert_eq!(text.code, 0);
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert!(lines[0].starts_with("aigw v") && lines[1].starts_with("on linux_"), "{}", text.stdout);
    assert_eq!(run_in(dir.path(), &["-version"], "").stdout, text.stdout, "-version is version");
    let json: Value = serde_json::from_str(&run_in(dir.path(), &["-version", "-json"], "").stdout).unwrap();
    assert_eq!(json["aigw_version"], env!("CARGO_PKG_VERSION"));
    for key in ["platform", "provider_selections", "terraform_outdated"] {
        assert!(json.get(key).is_some(), "terraform version -json has {key}: {json}");
    }
    for shell in ["bash", "zsh", "fish"] {
        let out = run_in(dir.path(), &["completions", shell], "");
        assert!(out.code == 0 && out.stdout.contains("aigw") && out.stdout.contains("apply"), "{shell}: {}", out.all());
    }
}

#[test]
fn init_finds_the_built_in_provider_and_says_what_it_used() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(crate::aigw_test::repo().join("examples/quickstart/main.tf"), dir.path().join("main.tf")).unwrap();
    let out = run_in(dir.path(), &["init", "-input=false", "-no-color"], "");
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("Initializing provider plugins..."), "{}", out.stdout);
    assert!(out.stdout.contains("- Using registry.terraform.io/aigw/aigw v0.1.0 (built into aigw)"), "{}", out.stdout);
    assert!(out.stdout.contains("aigw has been successfully initialized!"), "{}", out.stdout);
    assert!(std::fs::read_dir(dir.path()).unwrap().count() == 1, "init leaves nothing behind");
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn console_evaluates_against_the_configuration_and_the_state() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let emu = Emulator::start("console-token");
    let w = Workdir::new(tf);
    w.write("main.tf", &format!("{}\nvariable \"x\" {{\n  default = \"hello\"\n}}\n", quickstart(&emu)));
    crate::engine::expect(&w, 0, &["apply", "-auto-approve"]);
    for (expr, want) in [
        ("1 + 2", "3"),
        ("var.x", "\"hello\""),
        ("aigw_gateway.main.id", "\"support-bot\""),
        ("upper(var.x)", "\"HELLO\""),
        ("{a = 1}", "{\n  \"a\" = 1\n}"),
    ] {
        let out = run_in(&w.path(), &["console"], &format!("{expr}\n"));
        assert_eq!((out.code, out.stdout.trim_end()), (0, want), "{expr}: {}", out.all());
        // Terraform, on the same configuration and state, says the same.
        let theirs = w.run_with_input(&["console", "-no-color"], &format!("{expr}\n"));
        assert_eq!(theirs.stdout.trim_end(), want, "terraform console {expr}: {}", theirs.all());
    }
    // Lines from a pipe: each is evaluated, the last is printed; an error stops it.
    let out = run_in(&w.path(), &["console"], "1\nvar.x\n");
    assert_eq!(out.stdout.trim_end(), "\"hello\"");
    let out = run_in(&w.path(), &["console"], "var.nope\n2\n");
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.contains("nope"), "{}", out.stderr);
}

fn validate_json(w: &Workdir, terraform: bool) -> Value {
    let out = if terraform { w.run(&["validate", "-json"]) } else { crate::engine::aigw(w, &["validate", "-json"]) };
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.all()))
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn validate_json_is_terraforms_format() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let emu = Emulator::start("v");
    let w = Workdir::new(tf);
    w.write("main.tf", &quickstart(&emu));
    let (ours, theirs) = (validate_json(&w, false), validate_json(&w, true));
    // (Terraform warns about dev_overrides; aigw has nothing to warn about.)
    for k in ["format_version", "valid", "error_count"] {
        assert_eq!(ours[k], theirs[k], "{k}: {ours} vs {theirs}");
    }
    w.write("main.tf", &quickstart(&emu).replace("retry_delay        = 500", "retry_dely         = 500"));
    let (ours, theirs) = (validate_json(&w, false), validate_json(&w, true));
    assert_eq!((ours["valid"].clone(), ours["error_count"].clone()), (Value::Bool(false), Value::from(1)));
    assert_eq!(ours["valid"], theirs["valid"]);
    let (d, t) = (&ours["diagnostics"][0], &theirs["diagnostics"][0]);
    assert_eq!(d["severity"], "error");
    assert_eq!(d["range"]["filename"], t["range"]["filename"]);
    assert_eq!(d["range"]["start"]["line"], t["range"]["start"]["line"], "{d}\n{t}");
    assert_eq!(d["range"]["start"]["column"], t["range"]["start"]["column"], "{d}\n{t}");
    assert_eq!(d["snippet"]["start_line"], t["snippet"]["start_line"]);
    assert!(d["detail"].as_str().unwrap().contains("did you mean \"retry_delay\""), "{d}");
}

/// Every command's help: flags spelled with one dash, each described.
#[test]
fn help_texts_use_terraforms_spellings_and_describe_every_flag() {
    let dir = tempfile::tempdir().unwrap();
    let top = run_in(dir.path(), &["-help"], "");
    assert_eq!(top.code, 0);
    let commands: Vec<String> = top
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 18, "{commands:?}");
    let mut pages = vec![(String::new(), top.stdout)];
    for c in &commands {
        let mut args: Vec<&str> = c.split(' ').collect();
        args.push("-h");
        let out = run_in(dir.path(), &args, "");
        assert_eq!(out.code, 0, "{c} -h: {}", out.all());
        pages.push((c.clone(), out.stdout));
    }
    let state = run_in(dir.path(), &["state", "-h"], "").stdout;
    for sub in ["list", "show", "rm", "mv"] {
        pages.push((format!("state {sub}"), run_in(dir.path(), &["state", sub, "-h"], "").stdout));
    }
    assert!(state.contains("list"));
    for (c, page) in &pages {
        assert!(!page.contains(" --"), "{c}: a flag spelled with two dashes:\n{page}");
        for line in page.lines().filter(|l| l.trim_start().starts_with('-')) {
            let described = line.trim_start().split_once("  ").is_some_and(|(_, d)| !d.trim().is_empty());
            assert!(described, "aigw {c}: flag without a description: {line:?}");
        }
    }
    let page = |c: &str| pages.iter().find(|(n, _)| n == c).map(|(_, p)| p.clone()).unwrap();
    assert!(!page("import").contains("-replace") && !page("destroy").contains("-replace"));
    assert!(!page("refresh").contains("-refresh"));
    for flag in ["-var ", "-out ", "-json", "-no-color", "-lock", "-input"] {
        assert!(page("plan").contains(flag), "plan -h lacks {flag}");
    }
    assert!(page("apply").contains("-auto-approve"));
}

/// Terraform's flags that every script passes are accepted everywhere.
#[test]
fn terraform_flags_are_accepted_on_every_command() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(crate::aigw_test::repo().join("examples/quickstart/main.tf"), dir.path().join("main.tf")).unwrap();
    for args in [
        &["validate", "-no-color"][..],
        &["show", "-no-color"],
        &["output", "-no-color"],
        &["state", "list", "-no-color"],
        &["graph", "-no-color"],
        &["fmt", "-no-color", "-check"],
        &["version", "-no-color"],
        &["plan", "-no-color", "-lock=false", "-compact-warnings", "-input=false", "-refresh=false"],
    ] {
        let out = run_in(dir.path(), args, "");
        assert!(!out.stderr.contains("unexpected argument"), "aigw {args:?}: {}", out.stderr);
        assert!(!out.all().contains("--"), "aigw {args:?} quotes a flag the user never typed: {}", out.all());
    }
    let out = run_in(dir.path(), &["plan", "-bogus"], "");
    assert_eq!(out.code, 1, "a usage error exits 1, as in Terraform");
    assert!(out.stderr.contains("'-bogus'"), "{}", out.stderr);
}

/// `ADDR: Creating...` and `ADDR: Creation complete after Ns [id=X]`, as
/// shapes: the address, the verb, and what follows.
fn progress_shapes(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .lines()
        .filter(|l| {
            [
                "Creating...",
                "Creation complete",
                "Modifying...",
                "Modifications complete",
                "Destroying...",
                "Destruction complete",
                "Still ",
            ]
            .iter()
            .any(|w| l.contains(w))
        })
        .map(|l| {
            let mut s = l.to_string();
            if let Some(i) = s.find(" after ") {
                let rest = &s[i + 7..];
                let end = rest.find(' ').unwrap_or(rest.len());
                s = format!("{} after Ns{}", &s[..i], &rest[end..]);
            }
            // Ids the API makes up (route ids) differ between runs.
            if let Some(i) = s.find("[id=") {
                s = format!("{}[id=…]", &s[..i]);
            }
            s
        })
        .collect();
    out.sort();
    out
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform on PATH")]
fn apply_prints_terraforms_progress_lines_and_outputs() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let (emu_a, emu_t) = (Emulator::start("p"), Emulator::start("p"));
    let body = "\noutput \"gateway\" {\n  value = aigw_gateway.main.id\n}\n";
    let (wa, wt) = (Workdir::new(tf.clone()), Workdir::new(tf));
    wa.write("main.tf", &format!("{}{body}", quickstart(&emu_a)));
    wt.write("main.tf", &format!("{}{body}", quickstart(&emu_t)));
    // Approval typed into a pipe, as Terraform accepts it.
    let ours = run_in(&wa.path(), &["apply"], "yes\n");
    assert_eq!(ours.code, 0, "{}", ours.all());
    let theirs = wt.expect(0, &["apply", "-auto-approve", "-no-color"]);
    assert_eq!(
        progress_shapes(&ours.stdout),
        progress_shapes(&theirs.stdout),
        "{}\n---\n{}",
        ours.stdout,
        theirs.stdout
    );
    assert!(ours.stdout.contains("\nOutputs:\n\ngateway = \"support-bot\"\n"), "{}", ours.stdout);
    let edit = |w: &Workdir, e: &Emulator| {
        w.write("main.tf", &format!("{}{body}", quickstart(e).replace("ttl                  = 3600", "ttl = 7200")))
    };
    edit(&wa, &emu_a);
    edit(&wt, &emu_t);
    let ours = crate::engine::expect(&wa, 0, &["apply", "-auto-approve"]);
    let theirs = wt.expect(0, &["apply", "-auto-approve", "-no-color"]);
    assert_eq!(progress_shapes(&ours.stdout), progress_shapes(&theirs.stdout));
    let ours = run_in(&wa.path(), &["destroy"], "no\n");
    assert_eq!(ours.code, 1);
    assert!(ours.stdout.contains("Destroy cancelled."), "{}", ours.stdout);
    let ours = crate::engine::expect(&wa, 0, &["destroy", "-auto-approve"]);
    let theirs = wt.expect(0, &["destroy", "-auto-approve", "-no-color"]);
    assert!(ours.stdout.contains("Destroy complete! Resources: 4 destroyed."), "{}", ours.stdout);
    assert_eq!(progress_shapes(&ours.stdout), progress_shapes(&theirs.stdout));
}
