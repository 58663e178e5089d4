//! The `aigw` command line. Today it runs the local emulator; the plan/apply
//! engine's commands join it here.
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "aigw", version, about = "Cloudflare AI Gateway as code, tested locally")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the local Cloudflare AI Gateway emulator.
    Emulator {
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        /// Keep state in this directory (SQLite) so it survives restarts.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Require exactly this API token; otherwise any non-empty token works.
        #[arg(long, env = "AIGW_EMULATOR_API_TOKEN", hide_env_values = true)]
        api_token: Option<String>,
        /// Serve every provider from the built-in simulated upstream.
        #[arg(long)]
        simulate: bool,
        /// Send one provider elsewhere: PROVIDER=URL (repeatable).
        #[arg(long = "upstream", value_name = "PROVIDER=URL", value_parser = parse_upstream)]
        upstreams: Vec<(String, String)>,
        /// A simulator fault: PROVIDER[:MODEL]=503 | 503*N | timeout | drop | latency:MS (repeatable).
        #[arg(long = "fault", value_name = "SPEC", value_parser = aigw_emulator::Fault::parse, requires = "simulate")]
        faults: Vec<aigw_emulator::Fault>,
        /// Bound on cached response bytes.
        #[arg(long, default_value_t = 256 << 20)]
        cache_max_bytes: usize,
    },
}

fn parse_upstream(s: &str) -> Result<(String, String), String> {
    let (p, url) = s.split_once('=').ok_or_else(|| format!("--upstream {s:?}: expected PROVIDER=URL"))?;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("--upstream {s:?}: the URL must start with http:// or https://"));
    }
    if !aigw_cloudflare::providers::is_known(p) {
        return Err(format!("--upstream {s:?}: unknown provider {p:?}"));
    }
    Ok((p.to_string(), url.to_string()))
}

async fn emulator(listen: SocketAddr, config: aigw_emulator::Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let emulator = aigw_emulator::Emulator::open(config).await.context("cannot start the emulator")?;
    // Bound and loaded: from here on requests are served.
    println!("listening on http://{addr}");
    emulator.serve(listener, shutdown).await.context("emulator failed")
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("AIGW_LOG").unwrap_or_else(|_| "warn".into()))
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Runtime::new()?;
    match cli.command {
        Command::Emulator { listen, data_dir, api_token, simulate, upstreams, faults, cache_max_bytes } => {
            let config = aigw_emulator::Config {
                api_token,
                data_dir,
                simulate,
                upstreams: upstreams.into_iter().collect(),
                faults,
                cache_max_bytes: Some(cache_max_bytes),
            };
            rt.block_on(emulator(listen, config))
        }
    }
}
