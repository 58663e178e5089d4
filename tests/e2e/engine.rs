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
    with_emulator_defaults(&src, emu)
}

/// A copy of the quickstart's variables whose defaults point at `emu`
/// (the example itself leaves them to the environment and terraform.tfvars).
pub fn with_emulator_defaults(src: &str, emu: &Emulator) -> String {
    let start = src.find("variable \"base_url\" {").expect("the quickstart declares base_url");
    let end = src.find("provider \"aigw\" {").expect("the quickstart configures aigw");
    let vars = format!(
        "variable \"base_url\" {{\n  default = \"{}\"\n}}\n\nvariable \"api_token\" {{\n  sensitive = true\n  default   = \"{}\"\n}}\n\nvariable \"account_id\" {{\n  default = \"{}\"\n}}\n\n",
        emu.base_url(),
        emu.token,
        crate::util::ACCOUNT
    );
    format!("{}{vars}{}", &src[..start], &src[end..])
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
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
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
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
            "main.tf:13:9: aigw_cache.c.ttl: number required",
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
    // validate checks arguments against the provider's schema, with no API at hand.
    w.write(
        "main.tf",
        &base(&format!("resource \"aigw_cache\" \"c\" {{\n  account_id = \"{ACCOUNT}\"\n  gateway_id = \"g\"\n  ttl = 60\n  colour = \"red\"\n}}\n")),
    );
    let out = expect(&w, 1, &["validate"]);
    assert!(out.stderr.contains("main.tf:14:3: aigw_cache.c: unsupported argument \"colour\""), "{}", out.stderr);
    assert_eq!(w.expect(1, &["validate", "-no-color"]).code, 1, "terraform agrees");
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
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

/// (address, actions) of every resource change in a JSON plan.
fn actions(plan: &serde_json::Value) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let acts = c["change"]["actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string());
            (c["address"].as_str().unwrap().to_string(), acts.collect())
        })
        .collect();
    out.sort();
    out
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn plan_json_agrees_with_terraform_show_json() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let emu = Emulator::start("engine-token");
    let w = Workdir::new(tf);
    let src = quickstart(&emu);
    w.write("main.tf", &src);
    expect(&w, 0, &["apply", "-auto-approve"]);
    // Now: an update (ttl), a replace (rate limit's gateway via -replace), a
    // delete (the fallback) and a create (a second gateway), next to no-ops.
    let edited = src.replace("ttl                  = 3600", "ttl                  = 60").replace(
        "resource \"aigw_fallback\" \"chat\"",
        "resource \"aigw_gateway\" \"extra\" {\n  account_id = var.account_id\n  id = \"extra\"\n}\n\nresource \"aigw_fallback\" \"chat_unused\"",
    );
    // chat2 takes a new route name: its create and chat's delete are unrelated
    // and run concurrently (as under Terraform), so reusing "chat" would race.
    let edited = edited
        .replace("resource \"aigw_fallback\" \"chat_unused\"", "resource \"aigw_fallback\" \"chat2\"")
        .replace("name       = \"chat\"", "name       = \"chat-v2\"");
    w.write("main.tf", &edited);
    let ours: serde_json::Value =
        serde_json::from_str(&expect(&w, 0, &["plan", "-json", "-replace=aigw_rate_limit.main"]).stdout).unwrap();
    w.expect(0, &["plan", "-out=tfplan", "-replace=aigw_rate_limit.main", "-no-color"]);
    let theirs: serde_json::Value = serde_json::from_str(&w.expect(0, &["show", "-json", "tfplan"]).stdout).unwrap();
    let a = actions(&ours);
    assert_eq!(a, actions(&theirs), "aigw vs terraform");
    let kinds: std::collections::BTreeSet<String> = a.iter().map(|(_, x)| x.join(",")).collect();
    for k in ["create", "update", "delete,create", "delete", "no-op"] {
        assert!(kinds.contains(k), "the plan covers {k}: {a:?}");
    }

    // A saved aigw plan applies as planned, and is refused once the state moved on.
    expect(&w, 0, &["plan", "-out=aigw.plan"]);
    let shown: serde_json::Value =
        serde_json::from_str(&expect(&w, 0, &["show", "-json", "aigw.plan"]).stdout).unwrap();
    assert_eq!(
        actions(&shown),
        actions(&ours)
            .into_iter()
            .filter(|(a, _)| a != "aigw_rate_limit.main")
            .chain([("aigw_rate_limit.main".to_string(), vec!["no-op".to_string()])])
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    );
    expect(&w, 0, &["plan", "-out=stale.plan"]);
    expect(&w, 0, &["apply", "aigw.plan"]);
    let out = expect(&w, 1, &["apply", "stale.plan"]);
    assert!(out.stderr.contains("the state changed after this plan was made"), "{}", out.stderr);
    expect(&w, 0, &["plan", "-detailed-exitcode"]);
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn state_commands_import_output_and_fmt_work_like_terraform_s() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let emu = Emulator::start("engine-token");
    let w = Workdir::new(tf);
    w.write("main.tf", &quickstart(&emu));
    expect(&w, 0, &["apply", "-auto-approve"]);
    let list = expect(&w, 0, &["state", "list"]).stdout;
    assert_eq!(list, "aigw_cache.main\naigw_fallback.chat\naigw_gateway.main\naigw_rate_limit.main\n");
    let shown = expect(&w, 0, &["state", "show", "aigw_cache.main"]).stdout;
    assert!(shown.contains("resource \"aigw_cache\" \"main\" {") && shown.contains("ttl"), "{shown}");
    let out = expect(&w, 0, &["output", "-raw", "openai_base_url"]).stdout;
    assert_eq!(out, format!("http://{}/v1/{ACCOUNT}/support-bot/openai", emu.addr));
    let j: serde_json::Value = serde_json::from_str(&expect(&w, 0, &["output", "-json"]).stdout).unwrap();
    assert_eq!(j["openai_base_url"]["value"], out.as_str());

    // state mv renames; terraform reads the result and sees no change to make after the rename in config.
    expect(&w, 0, &["state", "mv", "aigw_cache.main", "aigw_cache.renamed"]);
    w.write(
        "main.tf",
        &quickstart(&emu).replace("resource \"aigw_cache\" \"main\"", "resource \"aigw_cache\" \"renamed\""),
    );
    expect(&w, 0, &["plan", "-detailed-exitcode"]);
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);

    // state rm forgets; import adopts it again; the plan is clean.
    expect(&w, 0, &["state", "rm", "aigw_gateway.main"]);
    let out = expect(&w, 2, &["plan", "-detailed-exitcode", "-refresh=false"]);
    assert!(out.stdout.contains("aigw_gateway.main will be created"), "{}", out.stdout);
    expect(&w, 0, &["import", "aigw_gateway.main", &format!("{ACCOUNT}/support-bot")]);
    expect(&w, 0, &["plan", "-detailed-exitcode"]);
    let out = expect(&w, 1, &["import", "aigw_gateway.main", &format!("{ACCOUNT}/support-bot")]);
    assert!(out.stderr.contains("already managed"), "{}", out.stderr);

    // refresh records a change made outside aigw.
    let (status, _) = emu.api(
        reqwest::Method::PUT,
        "/gateways/support-bot",
        Some(serde_json::json!({"collect_logs": false, "cache_ttl": 3600, "cache_invalidate_on_update": true, "rate_limiting_interval": 60, "rate_limiting_limit": 100, "rate_limiting_technique": "sliding", "retry_max_attempts": 3, "retry_delay": 500, "retry_backoff": "exponential"})),
    );
    assert_eq!(status, 200);
    let out = expect(&w, 0, &["refresh"]);
    assert!(out.stdout.contains("aigw_gateway.main: changed outside aigw"), "{}", out.stdout);
    let shown = expect(&w, 0, &["state", "show", "aigw_gateway.main"]).stdout;
    assert!(shown.contains("\n  collect_logs       = false\n"), "{shown}");

    // -target applies the targeted resource and what it depends on (the
    // gateway, drifted above), nothing else, and keeps the outputs.
    w.write(
        "main.tf",
        &quickstart(&emu)
            .replace("resource \"aigw_cache\" \"main\"", "resource \"aigw_cache\" \"renamed\"")
            .replace("ttl                  = 3600", "ttl                  = 600")
            .replace("limit      = 100", "limit      = 7"),
    );
    let out = expect(&w, 0, &["apply", "-auto-approve", "-target=aigw_cache.renamed"]);
    assert!(out.stdout.contains("Resource targeting is in effect"), "{}", out.stdout);
    assert!(out.stdout.contains("0 added, 2 changed, 0 destroyed"), "{}", out.stdout);
    assert_eq!(emu.gateway("support-bot").unwrap()["rate_limiting_limit"], 100);
    assert!(!expect(&w, 0, &["output", "-raw", "openai_base_url"]).stdout.is_empty());

    // graph and fmt.
    let dot = expect(&w, 0, &["graph"]).stdout;
    assert!(dot.contains("\"[root] aigw_cache.renamed\" -> \"[root] aigw_gateway.main\""), "{dot}");
    w.write("extra.tf", "locals {\nx=1\n    longer_name   =  2\n}\n");
    assert_eq!(expect(&w, 3, &["fmt", "-check"]).stdout, "extra.tf\n");
    expect(&w, 0, &["fmt"]);
    assert_eq!(
        std::fs::read_to_string(w.path().join("extra.tf")).unwrap(),
        "locals {\n  x           = 1\n  longer_name = 2\n}\n"
    );
    expect(&w, 0, &["fmt", "-check"]);
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn aliased_providers_reach_their_own_endpoint_and_terraform_reads_the_state() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let (us, eu) = (Emulator::start("t"), Emulator::start("t"));
    let w = Workdir::new(tf);
    w.write(
        "main.tf",
        &format!(
            "terraform {{\n  required_providers {{\n    aigw = {{ source = \"aigw/aigw\" }}\n  }}\n}}\n\
             provider \"aigw\" {{\n  base_url  = \"{}\"\n  api_token = \"t\"\n}}\n\
             provider \"aigw\" {{\n  alias     = \"eu\"\n  base_url  = \"{}\"\n  api_token = \"t\"\n}}\n\
             resource \"aigw_gateway\" \"us\" {{\n  account_id = \"{ACCOUNT}\"\n  id = \"app\"\n}}\n\
             resource \"aigw_gateway\" \"eu\" {{\n  provider   = aigw.eu\n  account_id = \"{ACCOUNT}\"\n  id = \"app\"\n}}\n",
            us.base_url(),
            eu.base_url()
        ),
    );
    expect(&w, 0, &["apply", "-auto-approve"]);
    assert_eq!((us.gateway_ids(), eu.gateway_ids()), (vec!["app".to_string()], vec!["app".to_string()]));
    let state = std::fs::read_to_string(w.path().join("terraform.tfstate")).unwrap();
    assert!(state.contains("\"provider\": \"provider[\\\"registry.terraform.io/aigw/aigw\\\"].eu\""), "{state}");
    w.expect(0, &["plan", "-detailed-exitcode", "-no-color"]);
    expect(&w, 0, &["destroy", "-auto-approve"]);
    assert!(us.gateway_ids().is_empty() && eu.gateway_ids().is_empty());
}

#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn fmt_writes_what_terraform_fmt_writes() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let messy = "variable \"x\" {\ntype=string   # kind\ndefault = \"a\"\n}\n\noutput \"o\" {\n  value = {\n    a = 1 # one\n    long_key = \"two\"   # two\n  }\n}\n\n\nresource \"aigw_cache\" \"c\" {\n  for_each = toset([\"a\",\"b\"])\n  account_id = \"x\"\n  gateway_id = each.key # the gateway\n  ttl = 60\n  text = <<EOT\n  kept   as is\nEOT\n}\n";
    let (ours, theirs) = (Workdir::new(tf.clone()), Workdir::new(tf));
    ours.write("main.tf", messy);
    theirs.write("main.tf", messy);
    expect(&ours, 0, &["fmt"]);
    theirs.expect(0, &["fmt"]);
    let read = |w: &Workdir| std::fs::read_to_string(w.path().join("main.tf")).unwrap();
    assert_eq!(read(&ours), read(&theirs));
    assert_ne!(read(&ours), messy);
}

/// A cache on one provider configuration and a rate limit on another, for
/// the same 20 gateways, applied 40 at a time: two provider processes
/// read-modify-write each gateway, and neither loses the other's write.
#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn settings_on_two_provider_configurations_never_lose_each_other() {
    let Some(tf) = cli("terraform-1.11") else { return };
    let emu = Emulator::start_with("t", &["--api-latency", "5ms"]);
    let w = Workdir::new(tf);
    w.write(
        "main.tf",
        &format!(
            "terraform {{\n  required_providers {{\n    aigw = {{ source = \"aigw/aigw\" }}\n  }}\n}}\n\
             provider \"aigw\" {{\n  base_url  = \"{base}\"\n  api_token = \"t\"\n}}\n\
             provider \"aigw\" {{\n  alias     = \"b\"\n  base_url  = \"{base}\"\n  api_token = \"t\"\n}}\n\
             resource \"aigw_gateway\" \"g\" {{\n  count      = 20\n  account_id = \"{ACCOUNT}\"\n  id         = \"gw-${{count.index}}\"\n}}\n\
             resource \"aigw_cache\" \"c\" {{\n  count      = 20\n  account_id = \"{ACCOUNT}\"\n  gateway_id = aigw_gateway.g[count.index].id\n  ttl        = 600\n}}\n\
             resource \"aigw_rate_limit\" \"r\" {{\n  provider   = aigw.b\n  count      = 20\n  account_id = \"{ACCOUNT}\"\n  gateway_id = aigw_gateway.g[count.index].id\n  limit      = 50\n  interval   = 60\n}}\n",
            base = emu.base_url()
        ),
    );
    expect(&w, 0, &["apply", "-auto-approve", "-parallelism=40"]);
    for i in 0..20 {
        let g = emu.gateway(&format!("gw-{i}")).unwrap();
        assert_eq!((g["cache_ttl"].as_i64(), g["rate_limiting_limit"].as_i64()), (Some(600), Some(50)), "gw-{i}: {g}");
    }
    expect(&w, 0, &["plan", "-detailed-exitcode"]);
}
