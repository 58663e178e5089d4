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
    },
}

async fn emulator(listen: SocketAddr, data_dir: Option<PathBuf>, api_token: Option<String>) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let config = aigw_emulator::Config { api_token, data_dir };
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let emulator = aigw_emulator::Emulator::open(config).context("cannot open the emulator's data directory")?;
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
        Command::Emulator { listen, data_dir, api_token } => rt.block_on(emulator(listen, data_dir, api_token)),
    }
}
