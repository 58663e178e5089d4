//! Plugin start-up and shutdown costs, measured on the real provider binary
//! through the engine's client half. Terraform starts the provider 3 times
//! per `plan`, so both numbers are paid on every command.
//!
//!     cargo build --release --workspace && cargo bench -p aigw-e2e --bench plugin
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tfplugin::client::PluginClient;

fn provider() -> PathBuf {
    let exe = std::env::current_exe().expect("bench path");
    let target = exe.parent().and_then(|p| p.parent()).expect("target dir").to_path_buf();
    for profile in [target.clone(), target.join("../release"), target.join("../debug")] {
        let p = profile.join("terraform-provider-aigw");
        if p.exists() {
            return p;
        }
    }
    panic!("build terraform-provider-aigw first (cargo build --release --workspace)");
}

fn row(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "| {name:<34} | {:>4} | {:>8.2} | {:>8.2} | {:>8.2} |",
        v.len(),
        ms(v[0]),
        ms(v[v.len() / 2]),
        ms(v[v.len() - 1])
    );
}

#[tokio::main]
async fn main() {
    let bin = provider();
    let runs = 20;
    let (mut start, mut stop) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        let client = PluginClient::launch(&bin, &[]).await.expect("launch");
        start.push(t.elapsed());
        let t = Instant::now();
        assert!(client.shutdown().await.expect("shutdown"), "provider had to be killed");
        stop.push(t.elapsed());
    }
    println!("provider: {}", bin.display());
    println!("| measurement                        | runs | min (ms) | p50 (ms) | max (ms) |");
    println!("|------------------------------------|-----:|---------:|---------:|---------:|");
    row("launch + mTLS + GetProviderSchema", start);
    row("Shutdown RPC until process exit", stop);
}
