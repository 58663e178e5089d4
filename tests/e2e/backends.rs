//! Team state: the `pg` backend shared with real Terraform and OpenTofu,
//! workspaces, lock interop both ways on local and pg state, contention,
//! migration between backends, and a database lost mid-apply.
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::engine::{aigw, expect};
use crate::pg::Pg;
use crate::util::{ACCOUNT, Emulator, Workdir, bin, cli};

/// `n` gateways named after the workspace, in a `pg` backend (or the local
/// one when `conn_str` is `None`); `retry_max_attempts` comes from a variable.
fn config(emu: &Emulator, conn_str: Option<&str>, n: usize) -> String {
    let backend = match conn_str {
        Some(c) => format!("  backend \"pg\" {{\n    conn_str = \"{c}\"\n  }}\n"),
        None => String::new(),
    };
    format!(
        "terraform {{\n  required_providers {{\n    aigw = {{ source = \"aigw/aigw\" }}\n  }}\n{backend}}}\n\
         variable \"attempts\" {{\n  default = 3\n}}\n\
         provider \"aigw\" {{\n  base_url  = \"{}\"\n  api_token = \"{}\"\n}}\n\
         resource \"aigw_gateway\" \"g\" {{\n  count      = {n}\n  account_id = \"{ACCOUNT}\"\n  \
         id         = \"gw-${{terraform.workspace}}-${{count.index}}\"\n  retry_max_attempts = var.attempts\n}}\n",
        emu.base_url(),
        emu.token
    )
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn ids(prefix: &str, n: usize) -> Vec<String> {
    sorted((0..n).map(|i| format!("gw-{prefix}-{i}")).collect())
}

/// Instances in a state document.
fn instances(state: &serde_json::Value) -> usize {
    state["resources"].as_array().map_or(0, |rs| rs.iter().map(|r| r["instances"].as_array().unwrap().len()).sum())
}

#[test]
#[cfg_attr(not(all(has_terraform, has_postgres)), ignore = "needs terraform-1.11 and PostgreSQL")]
fn a_pg_state_is_shared_with_terraform_both_ways_and_workspaces_stay_apart() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let emu = Emulator::start("t");
    let pg = Pg::database();
    let w = Workdir::new(tf).with_mirror();
    w.write("main.tf", &config(&emu, Some(&pg.conn_str), 2));
    expect(&w, 0, &["apply", "-auto-approve"]);
    assert!(!w.path().join("terraform.tfstate").exists(), "the state is in pg, not in a local file");
    w.expect(0, &["init", "-input=false"]);
    w.expect(0, &["plan", "-detailed-exitcode", "-input=false"]);
    w.write("main.tf", &config(&emu, Some(&pg.conn_str), 3));
    w.expect(0, &["apply", "-auto-approve", "-input=false"]);
    expect(&w, 0, &["plan", "-detailed-exitcode"]);
    assert_eq!(sorted(emu.gateway_ids()), ids("default", 3));

    expect(&w, 0, &["workspace", "new", "staging"]);
    expect(&w, 0, &["apply", "-auto-approve"]);
    let list = w.expect(0, &["workspace", "list"]).stdout;
    assert!(list.contains("* staging") && list.contains("default"), "{list}");
    w.expect(0, &["plan", "-detailed-exitcode", "-input=false"]);
    let mut all = ids("default", 3);
    all.extend(ids("staging", 3));
    assert_eq!(sorted(emu.gateway_ids()), sorted(all));
    let rows = pg.states();
    assert_eq!(
        rows.iter().map(|(n, s)| (n.as_str(), instances(s))).collect::<Vec<_>>(),
        [("default", 3), ("staging", 3)]
    );
    // The current workspace is Terraform's own record, so both agree on it.
    w.expect(0, &["workspace", "select", "default"]);
    assert_eq!(expect(&w, 0, &["workspace", "show"]).stdout.trim(), "default");
    expect(&w, 0, &["destroy", "-auto-approve"]);
    assert_eq!(sorted(emu.gateway_ids()), ids("staging", 3), "destroy in default leaves staging alone");
    let refused = aigw(&w, &["workspace", "delete", "staging"]);
    assert!(refused.code == 1 && refused.all().contains("not empty"), "{}", refused.all());
}

/// Whether a command holds the state's lock now.
fn lock_held(w: &Workdir, pg: Option<&Pg>) -> bool {
    match pg {
        Some(pg) => pg.locked(),
        None => w.path().join(".terraform.tfstate.lock.info").exists(),
    }
}

fn spawn(program: &Path, w: &Workdir, args: &[&str], env: &[(&str, &Path)]) -> Child {
    Command::new(program)
        .args(args)
        .current_dir(w.path())
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn op_args(op: &'static str, timeout: &'static str) -> Vec<&'static str> {
    let mut a = vec![op, timeout, "-input=false"];
    if op != "plan" {
        a.push("-auto-approve");
    }
    a
}

/// One CLI against aigw on one backend: each of plan, apply and destroy
/// holds the lock in turn, first under aigw, then under the CLI; while it
/// runs, every operation of the other side is refused with the lock error
/// (`-lock-timeout=0s`), and an apply with a timeout waits and succeeds.
fn lock_interop(cli_name: &'static str, on_pg: bool) {
    let Some(tf) = cli(cli_name) else { return };
    let emu = Emulator::start_with("t", &["--api-latency", "250ms"]);
    let pg = on_pg.then(Pg::database);
    let mut w = Workdir::new(tf).with_mirror();
    w.env("TF_INPUT", "0");
    w.write("main.tf", &config(&emu, pg.as_ref().map(|p| p.conn_str.as_str()), 16));
    expect(&w, 0, &["apply", "-auto-approve"]);
    if on_pg {
        w.expect(0, &["init", "-input=false"]);
    }
    let tf_config = w.dir.path().join("cli.tfrc");
    let env = [("TF_CLI_CONFIG_FILE", tf_config.as_path())];
    for aigw_holds in [true, false] {
        for holder_op in ["plan", "apply", "destroy"] {
            let (holder_bin, other_bin) =
                if aigw_holds { (bin("aigw"), w.cli.path.clone()) } else { (w.cli.path.clone(), bin("aigw")) };
            let mut args = op_args(holder_op, "-lock-timeout=0s");
            args.push("-parallelism=1");
            let mut holder = spawn(&holder_bin, &w, &args, &env);
            let start = Instant::now();
            while !lock_held(&w, pg.as_ref()) {
                assert!(start.elapsed() < Duration::from_secs(20), "{holder_op} never took the lock");
                assert!(holder.try_wait().unwrap().is_none(), "{holder_op} ended before it was seen holding the lock");
                std::thread::sleep(Duration::from_millis(20));
            }
            for second in ["plan", "apply", "destroy"] {
                let out = spawn(&other_bin, &w, &op_args(second, "-lock-timeout=0s"), &env).wait_with_output().unwrap();
                let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
                let who = if aigw_holds { "aigw" } else { cli_name };
                assert!(
                    !out.status.success() && text.contains("Error acquiring the state lock"),
                    "{cli_name} {}: {second} while {who} ran {holder_op} was not refused:\n{text}",
                    if on_pg { "pg" } else { "local" }
                );
                if aigw_holds && !on_pg {
                    assert!(text.contains("aigw"), "Terraform's error names aigw's lock:\n{text}");
                }
            }
            let waiter = spawn(&other_bin, &w, &op_args("apply", "-lock-timeout=90s"), &env);
            let held = holder.wait_with_output().unwrap();
            assert!(held.status.success(), "{holder_op}: {}", String::from_utf8_lossy(&held.stderr));
            let waited = waiter.wait_with_output().unwrap();
            assert!(waited.status.success(), "the waiting apply: {}", String::from_utf8_lossy(&waited.stderr));
        }
    }
    assert_eq!(sorted(emu.gateway_ids()), ids("default", 16));
    expect(&w, 0, &["plan", "-detailed-exitcode"]);
    w.expect(0, &["plan", "-detailed-exitcode", "-input=false"]);
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11")]
fn lock_interop_with_terraform_on_a_local_state() {
    lock_interop("terraform-1.11", false);
}

#[test]
#[cfg_attr(not(all(has_terraform, has_postgres)), ignore = "needs terraform-1.11 and PostgreSQL")]
fn lock_interop_with_terraform_on_a_pg_state() {
    lock_interop("terraform-1.11", true);
}

#[test]
#[cfg_attr(not(has_tofu_1_6_2), ignore = "needs tofu-1.6.2: run scripts/install-clis.sh")]
fn lock_interop_with_tofu_on_a_local_state() {
    lock_interop("tofu-1.6.2", false);
}

#[test]
#[cfg_attr(not(all(has_tofu_1_6_2, has_postgres)), ignore = "needs tofu-1.6.2 and PostgreSQL")]
fn lock_interop_with_tofu_on_a_pg_state() {
    lock_interop("tofu-1.6.2", true);
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11")]
fn twenty_interleaved_terraform_and_aigw_applies_on_one_local_state_lose_nothing() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let emu = Emulator::start_with("t", &["--api-latency", "20ms"]);
    let w = Workdir::new(tf);
    w.write("main.tf", &config(&emu, None, 10));
    let tf_config = w.dir.path().join("cli.tfrc");
    let env = [("TF_CLI_CONFIG_FILE", tf_config.as_path())];
    let mut runs = Vec::new();
    for i in 0..20 {
        let program = if i % 2 == 0 { w.cli.path.clone() } else { bin("aigw") };
        let var = format!("-var=attempts={}", 1 + i % 5);
        let args = ["apply", "-auto-approve", "-input=false", "-lock-timeout=120s", var.as_str()];
        runs.push((i, spawn(&program, &w, &args, &env)));
        std::thread::sleep(Duration::from_millis(150));
    }
    for (i, child) in runs {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "run {i}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(sorted(emu.gateway_ids()), ids("default", 10));
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.path().join("terraform.tfstate")).unwrap()).unwrap();
    assert_eq!(instances(&state), 10);
    expect(&w, 0, &["apply", "-auto-approve", "-var=attempts=5"]);
    expect(&w, 0, &["plan", "-detailed-exitcode", "-var=attempts=5"]);
    w.expect(0, &["plan", "-detailed-exitcode", "-input=false", "-var=attempts=5"]);
}

#[test]
#[cfg_attr(not(has_postgres), ignore = "needs PostgreSQL")]
fn eight_applies_at_once_on_one_pg_state_create_each_gateway_once() {
    let emu = Emulator::start_with("t", &["--api-latency", "30ms"]);
    let pg = Pg::database();
    let dirs: Vec<tempfile::TempDir> = (0..8).map(|_| tempfile::tempdir().unwrap()).collect();
    for d in &dirs {
        std::fs::write(d.path().join("main.tf"), config(&emu, Some(&pg.conn_str), 8)).unwrap();
    }
    let children: Vec<Child> = dirs
        .iter()
        .map(|d| {
            Command::new(bin("aigw"))
                .args(["apply", "-auto-approve", "-lock-timeout=60s"])
                .current_dir(d.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<String> = children
        .into_iter()
        .map(|c| {
            let o = c.wait_with_output().unwrap();
            let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
            assert!(o.status.success(), "{text}");
            text
        })
        .collect();
    assert_eq!(outs.iter().filter(|t| t.contains("Resources: 8 added")).count(), 1, "{outs:#?}");
    assert_eq!(outs.iter().filter(|t| t.contains("No changes.")).count(), 7, "{outs:#?}");
    assert_eq!(sorted(emu.gateway_ids()), ids("default", 8));
    let rows = pg.states();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].1["serial"].as_u64(), instances(&rows[0].1)), (Some(1), 8), "one apply wrote, once");
}

#[test]
#[cfg_attr(not(has_postgres), ignore = "needs PostgreSQL")]
fn the_database_stopped_mid_apply_loses_nothing_and_the_next_apply_converges() {
    let emu = Emulator::start_with("t", &["--api-latency", "60ms"]);
    let pg = Pg::server();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), config(&emu, Some(&pg.conn_str), 50)).unwrap();
    let run = |args: &[&str]| Command::new(bin("aigw")).args(args).current_dir(dir.path()).output().unwrap();
    let child = Command::new(bin("aigw"))
        .args(["apply", "-auto-approve", "-parallelism=4"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while emu.gateway_ids().len() < 10 {
        assert!(start.elapsed() < Duration::from_secs(30), "the apply never got going");
        std::thread::sleep(Duration::from_millis(20));
    }
    pg.stop("immediate");
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "an apply whose state cannot be written fails");
    let made = emu.gateway_ids().len();
    pg.start();
    let again = run(&["apply", "-auto-approve"]);
    let text = format!("{}{}", String::from_utf8_lossy(&again.stdout), String::from_utf8_lossy(&again.stderr));
    assert!(again.status.success(), "{text}");
    assert!(text.contains(&format!("Resources: {} added", 50 - made)), "only what was missing is created:\n{text}");
    assert_eq!(sorted(emu.gateway_ids()), ids("default", 50), "no gateway orphaned or duplicated");
    let plan = run(&["plan", "-detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", String::from_utf8_lossy(&plan.stdout));
    assert_eq!(instances(&pg.states()[0].1), 50);
}

#[test]
#[cfg_attr(not(all(has_terraform, has_postgres)), ignore = "needs terraform-1.11 and PostgreSQL")]
fn state_migrates_between_local_and_pg_and_pull_push_and_force_unlock_work() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let emu = Emulator::start("t");
    let pg = Pg::database();
    let w = Workdir::new(tf);
    w.write("main.tf", &config(&emu, None, 2));
    expect(&w, 0, &["apply", "-auto-approve"]);
    let local: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.path().join("terraform.tfstate")).unwrap()).unwrap();
    // A partial pg block: the connection string comes from -backend-config.
    let text = config(&emu, Some("x"), 2).replace("    conn_str = \"x\"\n", "");
    w.write("main.tf", &text);
    let e = aigw(&w, &["plan"]);
    assert!(e.code == 1 && e.all().contains("Backend initialization required"), "{}", e.all());
    let conn = format!("-backend-config=conn_str={}", pg.conn_str);
    let e = aigw(&w, &["init", "-input=false", &conn]);
    assert!(e.code == 1 && e.all().contains("-force-copy"), "{}", e.all());
    expect(&w, 0, &["init", "-force-copy", &conn]);
    assert!(!w.path().join("terraform.tfstate").exists());
    let rows = pg.states();
    assert_eq!((rows[0].1["lineage"].clone(), instances(&rows[0].1)), (local["lineage"].clone(), 2));
    expect(&w, 0, &["plan", "-detailed-exitcode"]);

    // state pull / push, with Terraform's lineage and serial checks.
    let pulled = expect(&w, 0, &["state", "pull"]).stdout;
    std::fs::write(w.path().join("pulled.json"), &pulled).unwrap();
    let mut other: serde_json::Value = serde_json::from_str(&pulled).unwrap();
    other["lineage"] = "another-lineage".into();
    std::fs::write(w.path().join("other.json"), other.to_string()).unwrap();
    let e = aigw(&w, &["state", "push", "other.json"]);
    assert!(e.code == 1 && e.all().contains("unrelated state"), "{}", e.all());
    expect(&w, 0, &["state", "push", "pulled.json"]);
    expect(&w, 0, &["plan", "-detailed-exitcode"]);

    // A lock held by a session that went quiet is ended by force-unlock.
    // The same key held in another database of the server is no one's
    // concern here: it is neither reported nor ended.
    let key: i64 = pg
        .client()
        .query_one("SELECT id FROM terraform_remote_state.states WHERE name = 'default'", &[])
        .unwrap()
        .get(0);
    let mut stranger = pg.neighbour();
    stranger.execute("SELECT pg_advisory_lock($1)", &[&key]).unwrap();
    let stranger_pid: i32 = stranger.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    expect(&w, 0, &["plan", "-detailed-exitcode", "-lock-timeout=0s"]);
    let e = aigw(&w, &["force-unlock", "-force", &format!("pg-{stranger_pid}")]);
    assert!(e.code == 1 && e.all().contains("is not locked"), "{}", e.all());
    let mut holder = pg.client();
    holder.execute("SELECT pg_advisory_lock($1)", &[&key]).unwrap();
    let holder_pid: i32 = holder.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    let e = aigw(&w, &["plan", "-lock-timeout=0s"]);
    assert!(e.code == 1 && e.all().contains("Workspace is already locked"), "{}", e.all());
    let all = e.all();
    let ids: Vec<&str> = all.lines().filter_map(|l| l.trim().strip_prefix("ID:").map(str::trim)).collect();
    let id = format!("pg-{holder_pid}");
    assert_eq!(ids, [id.as_str()], "{}", e.all());
    expect(&w, 0, &["force-unlock", "-force", &id]);
    assert!(stranger.is_valid(std::time::Duration::from_secs(5)).is_ok(), "the other database's session was ended");
    expect(&w, 0, &["plan", "-detailed-exitcode", "-lock-timeout=0s"]);

    // Back to local, with -migrate-state.
    w.write("main.tf", &config(&emu, None, 2));
    let e = aigw(&w, &["plan"]);
    assert!(e.code == 1 && e.all().contains("Backend initialization required"), "{}", e.all());
    expect(&w, 0, &["init", "-migrate-state", "-force-copy"]);
    expect(&w, 0, &["plan", "-detailed-exitcode"]);
    w.expect(0, &["plan", "-detailed-exitcode", "-input=false"]);
}

#[test]
fn aigw_test_keeps_its_own_state_and_never_touches_a_configured_backend() {
    // A backend nobody can reach: `aigw test` must not need it, or write to it.
    let dir = crate::aigw_test::broken_quickstart(|src| {
        src.replacen(
            "terraform {\n",
            "terraform {\n  backend \"pg\" {\n    conn_str = \"postgres://nobody@127.0.0.1:1/nowhere?sslmode=disable\"\n  }\n",
            1,
        )
    });
    let out = Command::new(bin("aigw")).arg("test").arg(dir.path()).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{text}");
    // While an ordinary command does use it, and says so.
    let plan = Command::new(bin("aigw")).arg("plan").current_dir(dir.path()).output().unwrap();
    let text = String::from_utf8_lossy(&plan.stderr);
    assert!(plan.status.code() == Some(1) && text.contains("backend pg") && text.contains("cannot connect"), "{text}");
    assert!(!dir.path().join("terraform.tfstate").exists() && !dir.path().join(".terraform").exists());
}
