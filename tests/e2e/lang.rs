//! The configuration language against Terraform's recorded answers: every
//! expression of `tests/lang/corpus.txt` is evaluated by the real `aigw`
//! (`apply`, then `output -json`) and must give the value and type
//! `terraform` gave (`tests/lang/terraform-1.11.json`, written by
//! `scripts/lang-oracle.py`); every line Terraform refuses, aigw refuses.
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::bin;

fn lang_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("lang")
}

/// A working directory with the prelude, the fixture files and `outputs`.
fn workdir(outputs: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::copy(lang_dir().join("prelude.tf"), d.path().join("prelude.tf")).unwrap();
    copy_dir(&lang_dir().join("files"), &d.path().join("files"));
    std::fs::write(d.path().join("outputs.tf"), outputs).unwrap();
    d
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn aigw(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin("aigw")).args(args).current_dir(dir).env_remove("TF_LOG").output().unwrap()
}

fn output_block(i: usize, expr: &str) -> String {
    format!("output \"e{i:04}\" {{\n  value = {expr}\n}}\n")
}

/// The corpus's expressions, in order, with whether each must fail.
fn corpus() -> Vec<(String, bool)> {
    std::fs::read_to_string(lang_dir().join("corpus.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| match l.strip_prefix("! ") {
            Some(e) => (e.to_string(), true),
            None => (l.to_string(), false),
        })
        .collect()
}

/// JSON values equal as Terraform's numbers are: exactly for integers,
/// at float precision otherwise (as `output -json` prints them).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
            (Some(p), Some(q), _, _) => p == q,
            (_, _, Some(p), Some(q)) => p == q,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn recorded() -> Vec<Value> {
    let text = std::fs::read_to_string(lang_dir().join("terraform-1.11.json")).unwrap();
    let rec: Value = serde_json::from_str(&text).unwrap();
    let cases = rec["cases"].as_array().unwrap().clone();
    let corpus = corpus();
    let exprs: Vec<(String, bool)> =
        cases.iter().map(|c| (c["expr"].as_str().unwrap().to_string(), c.get("error").is_some())).collect();
    if let Some(i) = (0..exprs.len().max(corpus.len())).find(|&i| exprs.get(i) != corpus.get(i)) {
        panic!(
            "tests/lang/corpus.txt changed at expression {} (recorded {:?}, corpus {:?}): run scripts/lang-oracle.py",
            i + 1,
            exprs.get(i),
            corpus.get(i)
        );
    }
    assert!(cases.len() >= 400, "the corpus holds {} expressions", cases.len());
    cases
}

#[test]
fn every_expression_has_terraforms_value_and_type() {
    let cases = recorded();
    let outputs: String = cases
        .iter()
        .enumerate()
        .filter(|(_, c)| c.get("error").is_none())
        .map(|(i, c)| output_block(i, c["expr"].as_str().unwrap()))
        .collect();
    let d = workdir(&outputs);
    let out = aigw(d.path(), &["apply", "-auto-approve", "-input=false"]);
    assert!(
        out.status.success(),
        "aigw apply failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let out = aigw(d.path(), &["output", "-json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut wrong = Vec::new();
    for (i, c) in cases.iter().enumerate().filter(|(_, c)| c.get("error").is_none()) {
        let mine = got.get(format!("e{i:04}"));
        let ok = match (c.get("null").is_some(), mine) {
            (true, None) => true,
            (false, Some(m)) => same(&m["value"], &c["value"]) && m["type"] == c["type"],
            _ => false,
        };
        if !ok {
            let theirs =
                if c.get("null").is_some() { "null".to_string() } else { format!("{} : {}", c["value"], c["type"]) };
            let mine = mine.map_or("null".to_string(), |m| format!("{} : {}", m["value"], m["type"]));
            wrong.push(format!("{}\n  terraform: {theirs}\n  aigw:      {mine}", c["expr"].as_str().unwrap()));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} expressions differ from Terraform:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

#[test]
fn every_expression_terraform_refuses_is_refused() {
    let cases = recorded();
    let errors: Vec<String> =
        cases.iter().filter(|c| c.get("error").is_some()).map(|c| c["expr"].as_str().unwrap().to_string()).collect();
    let accepted: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = errors
            .chunks(errors.len().div_ceil(4).max(1))
            .map(|chunk| {
                s.spawn(move || {
                    let mut accepted = Vec::new();
                    for e in chunk {
                        let d = workdir(&output_block(0, e));
                        let out = aigw(d.path(), &["apply", "-auto-approve", "-input=false"]);
                        if out.status.success() {
                            accepted.push(e.clone());
                        }
                    }
                    accepted
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert!(accepted.is_empty(), "aigw accepted what Terraform refuses:\n{}", accepted.join("\n"));
}

#[test]
fn unknown_values_are_planned_as_terraform_plans_them() {
    let text = std::fs::read_to_string(lang_dir().join("terraform-1.11.json")).unwrap();
    let rec: Value = serde_json::from_str(&text).unwrap();
    let cases = rec["planned"].as_array().unwrap();
    let outputs: String = cases.iter().enumerate().map(|(i, c)| output_block(i, c["expr"].as_str().unwrap())).collect();
    let d = workdir(&outputs);
    let out = aigw(d.path(), &["plan", "-input=false", "-out=p.tfplan"]);
    assert!(out.status.success(), "aigw plan failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let out = aigw(d.path(), &["show", "-json", "p.tfplan"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut wrong = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let o = &shown["output_changes"][format!("e{i:04}")];
        if !same(&o["after"], &c["after"]) || o["after_unknown"] != c["after_unknown"] {
            wrong.push(format!(
                "{}\n  terraform: after {} unknown {}\n  aigw:      after {} unknown {}",
                c["expr"].as_str().unwrap(),
                c["after"],
                c["after_unknown"],
                o["after"],
                o["after_unknown"]
            ));
        }
    }
    assert!(wrong.is_empty(), "{} of {} planned values differ:\n{}", wrong.len(), cases.len(), wrong.join("\n"));
}

#[test]
fn console_prints_what_terraform_console_prints() {
    let text = std::fs::read_to_string(lang_dir().join("terraform-1.11.json")).unwrap();
    let rec: Value = serde_json::from_str(&text).unwrap();
    let d = workdir("");
    let mut wrong = Vec::new();
    for c in rec["console"].as_array().unwrap() {
        let line = c["expr"].as_str().unwrap();
        let mut child = Command::new(bin("aigw"))
            .arg("console")
            .current_dir(d.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), format!("{line}\n").as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let printed = String::from_utf8_lossy(&out.stdout);
        if printed != c["printed"].as_str().unwrap() {
            wrong.push(format!("{line}\n  terraform: {:?}\n  aigw:      {printed:?}", c["printed"].as_str().unwrap()));
        }
    }
    assert!(wrong.is_empty(), "console answers differ:\n{}", wrong.join("\n"));
}
