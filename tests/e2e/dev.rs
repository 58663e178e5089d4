//! `aigw dev` in a real terminal (tmux): it applies the configuration,
//! prints the URLs, re-plans and applies an edit, answers requests through
//! the printed URL, and Ctrl-C leaves no child process behind.
use std::process::Command;
use std::time::{Duration, Instant};

use crate::util::bin;

fn tmux(args: &[&str]) -> std::process::Output {
    Command::new("tmux").args(args).output().unwrap()
}

fn pane(session: &str) -> String {
    String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-J", "-S", "-2000", "-t", session]).stdout).into_owned()
}

fn wait_for(session: &str, what: &str) -> String {
    let start = Instant::now();
    loop {
        let text = pane(session);
        if text.contains(what) {
            return text;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "waited for {what:?}; the terminal shows:\n{text}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "needs tmux")]
fn dev_applies_watches_and_stops_cleanly() {
    if Command::new("tmux").arg("-V").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "tmux is required in CI");
        eprintln!("SKIP: tmux not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let tf = dir.path().join("main.tf");
    std::fs::copy(repo.join("examples/quickstart/main.tf"), &tf).unwrap();
    std::fs::copy(repo.join("examples/quickstart/terraform.tfvars"), dir.path().join("terraform.tfvars")).unwrap();
    let session = format!("aigw-dev-{}", std::process::id());
    let cmd = format!("{} dev {} --listen 127.0.0.1:0", bin("aigw").display(), dir.path().display());
    assert!(tmux(&["new-session", "-d", "-s", &session, "-x", "250", "-y", "60", &cmd]).status.success());
    let pid =
        String::from_utf8_lossy(&tmux(&["display", "-p", "-t", &session, "#{pane_pid}"]).stdout).trim().to_string();

    let text = wait_for(&session, "Gateway support-bot");
    let url = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("openai     "))
        .expect("the openai base URL is printed")
        .trim()
        .to_string();

    // An edit shows its diff and is applied.
    let src = std::fs::read_to_string(&tf).unwrap();
    std::thread::sleep(Duration::from_millis(1100)); // a new modification time
    std::fs::write(&tf, src.replace("ttl                  = 3600", "ttl                  = 7200")).unwrap();
    let text = wait_for(&session, "Resources: 0 added, 1 changed, 0 destroyed.");
    assert!(text.contains("~ ttl                  = 3600 -> 7200"), "{text}");

    // A request through the printed URL is answered by the simulated upstream.
    let resp = reqwest::blocking::Client::new()
        .post(format!("{url}/chat/completions"))
        .json(&serde_json::json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().unwrap().contains("Simulated openai gpt-4o-mini"));

    // A broken edit leaves the running gateways alone.
    std::thread::sleep(Duration::from_millis(1100));
    std::fs::write(&tf, src.replace("ttl                  = 3600", "ttl                  = 5")).unwrap();
    wait_for(&session, "the running gateways are unchanged");

    // Ctrl-C: the process and its children are gone.
    tmux(&["send-keys", "-t", &session, "C-c"]);
    let start = Instant::now();
    while std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default().contains(") Z")
    {
        assert!(start.elapsed() < Duration::from_secs(15), "aigw dev did not stop:\n{}", pane(&session));
        std::thread::sleep(Duration::from_millis(50));
    }
    let children = Command::new("pgrep").args(["-P", &pid]).output().unwrap();
    assert!(children.stdout.is_empty(), "children left behind: {}", String::from_utf8_lossy(&children.stdout));
    let _ = tmux(&["kill-session", "-t", &session]);
    assert!(!dir.path().join(".aigw").exists(), "the dev state is cleaned up");
}
