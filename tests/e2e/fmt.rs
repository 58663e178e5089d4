//! `aigw fmt` against Terraform's recorded answers: the disarranged
//! modules of `tests/fmt/input` (written by `scripts/fmt-oracle.py`) must
//! come out byte for byte as `terraform fmt` wrote them
//! (`tests/fmt/terraform`), and those are left as they are.
use std::path::Path;
use std::process::Command;

use crate::util::bin;

fn fmt_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fmt")
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn fmt_writes_what_terraform_fmt_writes() {
    let inputs = files(&fmt_dir().join("input"));
    assert!(inputs.len() >= 60, "the fmt corpus holds {} files", inputs.len());
    assert_eq!(inputs, files(&fmt_dir().join("terraform")), "run scripts/fmt-oracle.py");
    let d = tempfile::tempdir().unwrap();
    for n in &inputs {
        std::fs::copy(fmt_dir().join("input").join(n), d.path().join(n)).unwrap();
    }
    let out = Command::new(bin("aigw")).args(["fmt", "-list=false"]).current_dir(d.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut differ = Vec::new();
    for n in &inputs {
        let mine = std::fs::read(d.path().join(n)).unwrap();
        let theirs = std::fs::read(fmt_dir().join("terraform").join(n)).unwrap();
        if mine != theirs {
            let diff = similar::TextDiff::from_lines(
                String::from_utf8_lossy(&theirs).into_owned(),
                String::from_utf8_lossy(&mine).into_owned(),
            )
            .unified_diff()
            .header("terraform fmt", "aigw fmt")
            .to_string();
            differ.push(format!("{n}:\n{diff}"));
        }
    }
    assert!(differ.is_empty(), "{} of {} files differ:\n{}", differ.len(), inputs.len(), differ.join("\n"));
    // Formatted files are a fixed point.
    let out = Command::new(bin("aigw")).args(["fmt", "-check"]).current_dir(d.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn a_file_that_does_not_parse_is_left_alone_and_the_rest_are_formatted() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("a.tf"), "x = true true\n").unwrap();
    std::fs::write(d.path().join("b.tf"), "locals {\ny=\"${var.z}\"\n}\n").unwrap();
    let out = Command::new(bin("aigw")).args(["fmt"]).current_dir(d.path()).output().unwrap();
    // Terraform's exit code for a file with errors; the others are still formatted.
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a.tf:1:10"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(d.path().join("a.tf")).unwrap(), "x = true true\n");
    assert_eq!(std::fs::read_to_string(d.path().join("b.tf")).unwrap(), "locals {\n  y = var.z\n}\n");
}
