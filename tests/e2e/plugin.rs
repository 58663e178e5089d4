//! The engine's half of the protocol against the real provider binary:
//! launch, handshake over mTLS (tcp and unix), GetProviderSchema, RPCs with
//! diagnostics, Shutdown, and the provider's refusals.
use std::process::Command;

use tfplugin::client::PluginClient;
use tfplugin::{Diagnostics, Value};

use crate::util::bin;

fn gateway_config(id: &str) -> Value {
    Value::object([
        ("account_id", Value::from(crate::util::ACCOUNT)),
        ("id", Value::from(id)),
        ("collect_logs", Value::Null),
        ("authentication", Value::Null),
        ("log_management", Value::Null),
        ("log_management_strategy", Value::Null),
        ("retry_max_attempts", Value::Null),
        ("retry_delay", Value::int(7000)),
        ("retry_backoff", Value::Null),
        ("created_at", Value::Null),
        ("modified_at", Value::Null),
        ("endpoint", Value::Null),
    ])
}

fn attribute_paths(d: &Diagnostics) -> Vec<String> {
    d.iter().filter_map(|d| d.attribute.as_ref().map(ToString::to_string)).collect()
}

async fn exercise(envs: &[(String, String)], network: &str) {
    let client = PluginClient::launch(&bin("terraform-provider-aigw"), envs).await.expect("launch provider");
    assert_eq!(client.network(), network);
    let schemas = client.schemas().clone();
    assert!(schemas.resources.contains_key("aigw_gateway"));
    assert!(schemas.data_sources.contains_key("aigw_gateway"));
    assert!(schemas.provider.attribute("api_token").unwrap().sensitive);
    let d = client.validate_resource_config("aigw_gateway", &gateway_config("Bad Id")).await.unwrap();
    assert_eq!(attribute_paths(&d), ["id", "retry_delay"]);
    // Unknown values (as Terraform sends during validation) pass.
    let mut unknown = gateway_config("x");
    unknown.set_attr("id", Value::unknown());
    unknown.set_attr("retry_delay", Value::unknown());
    assert!(client.validate_resource_config("aigw_gateway", &unknown).await.unwrap().is_empty());
    let started = std::time::Instant::now();
    assert!(client.shutdown().await.unwrap(), "provider had to be killed after Shutdown");
    eprintln!("provider exit after Shutdown: {:?}", started.elapsed());
}

#[tokio::test]
async fn client_launches_the_provider_over_mtls_on_tcp() {
    exercise(&[("AIGW_PLUGIN_NETWORK".into(), "tcp".into())], "tcp").await;
}

#[tokio::test]
async fn client_launches_the_provider_over_mtls_on_a_unix_socket_by_default() {
    exercise(&[], "unix").await;
}

#[tokio::test]
async fn client_launches_the_provider_over_mtls_on_unix() {
    let dir = tempfile::tempdir().unwrap();
    exercise(&[("PLUGIN_UNIX_SOCKET_DIR".into(), dir.path().display().to_string())], "unix").await;
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "the provider removes its socket when it exits: {left:?}");
}

#[test]
fn provider_refuses_to_run_by_hand() {
    let out = Command::new(bin("terraform-provider-aigw")).env_remove("TF_PLUGIN_MAGIC_COOKIE").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    assert!(String::from_utf8_lossy(&out.stderr).contains("This binary is a plugin"));
}

fn setting(kind: &str, value: i64) -> (String, Value) {
    let base =
        [("id", Value::Null), ("account_id", Value::from(crate::util::ACCOUNT)), ("gateway_id", Value::from("gw"))];
    match kind {
        "aigw_cache" => (
            kind.into(),
            Value::object(
                base.into_iter().chain([("ttl", Value::int(value)), ("invalidate_on_update", Value::Bool(false))]),
            ),
        ),
        _ => (
            kind.into(),
            Value::object(base.into_iter().chain([
                ("limit", Value::int(value)),
                ("interval", Value::int(60)),
                ("technique", Value::from("fixed")),
            ])),
        ),
    }
}

/// Cache and rate limit are both read-modify-writes of one gateway's full
/// PUT. Applied at the same moment through one provider process (as
/// Terraform's parallel walk does), neither may lose the other's write.
#[test]
fn parallel_writes_to_one_gateway_keep_both() {
    use reqwest::Method;
    use tfplugin::provider::ApplyRequest;

    let emu = crate::util::Emulator::start("par");
    let body = serde_json::json!({"id": "gw", "cache_invalidate_on_update": false, "cache_ttl": 0,
        "collect_logs": true, "rate_limiting_interval": null, "rate_limiting_limit": null});
    assert_eq!(emu.api(Method::POST, "/gateways", Some(body)).0, 200);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = rt.block_on(async {
        let client = PluginClient::launch(&bin("terraform-provider-aigw"), &[]).await.unwrap();
        let config = Value::object([("base_url", Value::from(emu.base_url())), ("api_token", Value::from("par"))]);
        assert!(client.configure("1.11.4", &config).await.unwrap().is_empty());
        client
    });
    for round in 1..=40 {
        rt.block_on(async {
            let apply = |(type_name, planned): (String, Value)| {
                let client = &client;
                async move {
                    let req = ApplyRequest {
                        type_name,
                        prior_state: Value::Null,
                        planned_state: planned.clone(),
                        config: planned,
                        planned_private: vec![],
                    };
                    let r = client.apply_resource_change(req).await.unwrap();
                    assert!(!r.diagnostics.has_errors(), "{:?}", r.diagnostics);
                }
            };
            tokio::join!(apply(setting("aigw_cache", 60 + round)), apply(setting("aigw_rate_limit", round)));
        });
        let g = emu.gateway("gw").unwrap();
        assert_eq!(
            (g["cache_ttl"].as_i64(), g["rate_limiting_limit"].as_i64()),
            (Some(60 + round), Some(round)),
            "round {round}: an update was lost"
        );
    }
    rt.block_on(async { assert!(client.shutdown().await.unwrap()) });
}

/// `--debug` serves plaintext and prints TF_REATTACH_PROVIDERS; terraform
/// attached through it plans against the running provider.
#[test]
#[cfg_attr(not(has_terraform), ignore = "needs terraform-1.11: run scripts/install-clis.sh")]
fn debug_mode_reattaches_under_terraform() {
    use std::io::BufRead;
    let Some(cli) = crate::util::cli("terraform-1.11") else { return };
    let mut child = Command::new(bin("terraform-provider-aigw"))
        .arg("--debug")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut reattach = None;
    for line in std::io::BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(v) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
            reattach = Some(v.trim_end_matches('\'').to_string());
            break;
        }
    }
    let reattach = reattach.expect("debug mode printed TF_REATTACH_PROVIDERS");
    let parsed: serde_json::Value = serde_json::from_str(&reattach).unwrap();
    assert_eq!(parsed["registry.terraform.io/aigw/aigw"]["ProtocolVersion"], 6);

    let emu = crate::util::Emulator::start("dbg");
    let mut w = crate::util::Workdir::new(cli);
    w.env("TF_REATTACH_PROVIDERS", &reattach);
    w.write(
        "main.tf",
        &format!(
            "terraform {{\n  required_providers {{\n    aigw = {{ source = \"aigw/aigw\" }}\n  }}\n}}\n\
             provider \"aigw\" {{\n  base_url  = \"{}\"\n  api_token = \"dbg\"\n}}\n\
             resource \"aigw_gateway\" \"g\" {{\n  account_id = \"{}\"\n  id = \"dbg\"\n}}\n",
            emu.base_url(),
            crate::util::ACCOUNT
        ),
    );
    let out = w.expect(2, &["plan", "-detailed-exitcode", "-no-color"]);
    assert!(out.stdout.contains("aigw_gateway.g will be created"), "{}", out.all());
    child.kill().unwrap();
    child.wait().unwrap();
}
