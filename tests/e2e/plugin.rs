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

async fn exercise(envs: &[(String, String)]) {
    let mut client = PluginClient::launch(&bin("terraform-provider-aigw"), envs).await.expect("launch provider");
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
    exercise(&[]).await;
}

#[tokio::test]
async fn client_launches_the_provider_over_mtls_on_unix() {
    let dir = tempfile::tempdir().unwrap();
    exercise(&[("PLUGIN_UNIX_SOCKET_DIR".into(), dir.path().display().to_string())]).await;
}

#[test]
fn provider_refuses_to_run_by_hand() {
    let out = Command::new(bin("terraform-provider-aigw")).env_remove("TF_PLUGIN_MAGIC_COOKIE").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    assert!(String::from_utf8_lossy(&out.stderr).contains("This binary is a plugin"));
}
