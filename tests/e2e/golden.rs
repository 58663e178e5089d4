//! The engine's golden files: each `engine/testdata/<case>/` holds a
//! `main.tf`; optionally a `prior.tf` applied first (its state is checked
//! against `prior.tfstate`), a `taint` list that `terraform taint` marks in
//! that state, a `drift.json` of API calls made after it, and `args` for the
//! plan; and the expected `plan.txt` and `plan.json` (or `error.txt` when
//! planning must fail). Unless the case has a `plan-only` file, the plan is
//! then applied and planning again must find nothing to do. Emulator
//! addresses, timestamps and lineages are normalized;
//! `AIGW_UPDATE_GOLDEN=1` rewrites the expected files.
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::engine::aigw;
use crate::util::{Emulator, Workdir, cli};

fn normalize(text: &str, emu: &Emulator) -> String {
    let mut out = text.replace(&emu.base_url(), "EMULATOR_URL").replace(&emu.addr, "EMULATOR_ADDR");
    // RFC 3339 timestamps.
    let mut result = String::with_capacity(out.len());
    let b = out.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let is_ts = b.len() - i >= 20
            && b[i..i + 4].iter().all(u8::is_ascii_digit)
            && b[i + 4] == b'-'
            && b[i + 7] == b'-'
            && b[i + 10] == b'T'
            && b[i + 13] == b':';
        if is_ts {
            let end = (i..b.len()).find(|&j| b[j] == b'Z' || b[j] == b'"').unwrap_or(b.len());
            result.push_str("<timestamp>");
            i = if end < b.len() && b[end] == b'Z' { end + 1 } else { end };
        } else {
            let c = out[i..].chars().next().unwrap();
            result.push(c);
            i += c.len_utf8();
        }
    }
    out = result;
    uuids(&out)
}

/// Random UUIDs (terraform_data's ids) as `<uuid>`.
fn uuids(text: &str) -> String {
    let shape = [8, 4, 4, 4, 12];
    let is_uuid = |s: &str| {
        let parts: Vec<&str> = s.split('-').collect();
        parts.len() == 5
            && parts.iter().zip(shape).all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text.is_char_boundary(i)
            && text.len() - i >= 36
            && text.is_char_boundary(i + 36)
            && is_uuid(&text[i..i + 36])
        {
            out.push_str("<uuid>");
            i += 36;
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn normalize_state(text: &str, emu: &Emulator) -> String {
    let mut v: Value = serde_json::from_str(text).unwrap();
    v["lineage"] = Value::from("<lineage>");
    normalize(&serde_json::to_string_pretty(&v).unwrap(), emu) + "\n"
}

fn check(case: &Path, file: &str, actual: &str) {
    let path = case.join(file);
    if std::env::var_os("AIGW_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} is missing", path.display()));
    if want != actual {
        let diff = similar::TextDiff::from_lines(&want, actual).unified_diff().header("expected", "actual").to_string();
        panic!("{} differs (AIGW_UPDATE_GOLDEN=1 rewrites it):\n{diff}", path.display());
    }
}

fn run_case(case: &Path, tf: crate::util::CliBin) {
    let emu = Emulator::start("golden");
    let w = Workdir::new(tf);
    let fill = |name: &str| std::fs::read_to_string(case.join(name)).unwrap().replace("EMULATOR_URL", &emu.base_url());
    for f in std::fs::read_dir(case).unwrap().map(|e| e.unwrap().path()) {
        if f.extension().is_some_and(|x| x == "tfvars") {
            w.write(f.file_name().unwrap().to_str().unwrap(), &fill(f.file_name().unwrap().to_str().unwrap()));
        }
    }
    if case.join("prior.tf").exists() {
        w.write("main.tf", &fill("prior.tf"));
        let out = aigw(&w, &["apply", "-auto-approve"]);
        assert_eq!(out.code, 0, "{}: prior apply:\n{}", case.display(), out.all());
        let state = std::fs::read_to_string(w.path().join("terraform.tfstate")).unwrap();
        check(case, "prior.tfstate", &normalize_state(&state, &emu));
    }
    // `taint`: addresses terraform itself marks tainted in aigw's state.
    if let Ok(list) = std::fs::read_to_string(case.join("taint")) {
        for addr in list.lines().filter(|l| !l.trim().is_empty()) {
            w.expect(0, &["taint", "-no-color", addr.trim()]);
        }
    }
    if case.join("drift.json").exists() {
        let calls: Vec<Value> = serde_json::from_str(&fill("drift.json")).unwrap();
        for c in calls {
            let method = reqwest::Method::from_bytes(c["method"].as_str().unwrap().as_bytes()).unwrap();
            let (status, body) = emu.api(method, c["path"].as_str().unwrap(), c.get("body").cloned());
            assert!(status < 300, "drift call {c}: {status} {body}");
        }
    }
    w.write("main.tf", &fill("main.tf"));
    copy_tree(&case.join("modules"), &w.path().join("modules"));
    let args: Vec<String> = std::fs::read_to_string(case.join("args"))
        .map(|a| a.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    let mut plan_args = vec!["plan".to_string(), "-no-color".to_string()];
    plan_args.extend(args.iter().cloned());
    let refs: Vec<&str> = plan_args.iter().map(String::as_str).collect();
    let out = aigw(&w, &refs);
    if case.join("terraform.json").exists() {
        agrees_with_terraform(case, &w, &refs);
    }
    if case.join("error.txt").exists() || out.code != 0 {
        assert_eq!(out.code, 1, "{}: expected a failed plan:\n{}", case.display(), out.all());
        check(case, "error.txt", &normalize(&out.stderr, &emu));
        return;
    }
    check(case, "plan.txt", &normalize(&out.stdout, &emu));
    let mut json_args = refs.clone();
    json_args.push("-json");
    let out = aigw(&w, &json_args);
    assert_eq!(out.code, 0, "{}: plan -json:\n{}", case.display(), out.all());
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    check(case, "plan.json", &(normalize(&serde_json::to_string_pretty(&v).unwrap(), &emu) + "\n"));
    if case.join("plan-only").exists() {
        return;
    }
    // The plan applies, and planning again finds nothing left to do.
    let mut apply_args = vec!["apply", "-auto-approve"];
    apply_args.extend(args.iter().map(String::as_str));
    let out = aigw(&w, &apply_args);
    assert_eq!(out.code, 0, "{}: apply:\n{}", case.display(), out.all());
    let mut again = vec!["plan", "-detailed-exitcode"];
    again.extend(args.iter().map(String::as_str).filter(|a| !a.starts_with("-replace")));
    let out = aigw(&w, &again);
    assert_eq!(out.code, 0, "{}: plan after apply:\n{}", case.display(), out.all());
}

/// Copies a case's `modules/` directory, when it has one.
fn copy_tree(from: &Path, to: &Path) {
    let Ok(entries) = std::fs::read_dir(from) else { return };
    std::fs::create_dir_all(to).unwrap();
    for e in entries.map(|e| e.unwrap()) {
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// aigw's plan of `case` says what `terraform plan` said of it
/// (`terraform.json`, from scripts/plan-oracle.py): the exit code with
/// `-detailed-exitcode`, the changes and the summary line; each of
/// terraform's errors and warnings is among aigw's, by its summary.
fn agrees_with_terraform(case: &Path, w: &Workdir, plan: &[&str]) {
    let want: Value = serde_json::from_str(&std::fs::read_to_string(case.join("terraform.json")).unwrap()).unwrap();
    let mut args = plan.to_vec();
    args.push("-detailed-exitcode");
    let out = aigw(w, &args);
    let all = out.all();
    let name = case.display();
    assert_eq!(Some(out.code as i64), want["exit"].as_i64(), "{name}: exit code:\n{all}");
    let list =
        |v: &Value| -> Vec<String> { v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect() };
    for (kind, key) in [("Error: ", "errors"), ("Warning: ", "warnings")] {
        let ours: Vec<String> =
            all.lines().filter(|l| l.starts_with(kind)).map(|l| l.replace("aigw", "Terraform")).collect();
        let theirs = list(&want[key]);
        assert_eq!(ours.len(), theirs.len(), "{name}: {key}: terraform says {theirs:?}:\n{all}");
        for s in &theirs {
            assert!(ours.iter().any(|l| l.contains(s.as_str())), "{name}: no {kind}{s}:\n{all}");
        }
    }
    if out.code == 1 {
        return; // terraform shows what it planned before the error; aigw stops at it.
    }
    let changes: Vec<String> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  # ").or_else(|| l.strip_prefix(" # ")))
        .map(|l| l.replace("by aigw", "by Terraform"))
        .collect();
    assert_eq!(changes, list(&want["changes"]), "{name}: changes:\n{all}");
    let summary = out.stdout.lines().find(|l| l.starts_with("Plan: ")).map(str::to_string);
    assert_eq!(summary.as_deref(), want["summary"].as_str(), "{name}: summary:\n{all}");
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn every_golden_case_plans_as_recorded() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../engine/testdata");
    let mut cases: Vec<PathBuf> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    cases.sort();
    assert!(cases.len() >= 12, "golden cases: {}", cases.len());
    for case in cases {
        run_case(&case, tf.clone());
    }
}
