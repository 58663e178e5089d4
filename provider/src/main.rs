//! terraform-provider-aigw: serves the aigw provider to Terraform (or the
//! aigw engine) over plugin protocol 6. `--debug` prints a
//! `TF_REATTACH_PROVIDERS` value and serves until Ctrl-C.
use terraform_provider_aigw::{AigwProvider, PROVIDER_ADDRESS};
use tfplugin::server::{ServeOptions, serve};

fn main() {
    // Logs go to stderr, which Terraform captures; stdout is the handshake.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("AIGW_LOG").unwrap_or_else(|_| "warn".into()))
        .init();
    let debug = std::env::args().skip(1).any(|a| a == "--debug" || a == "-debug");
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("terraform-provider-aigw: cannot start: {e}");
            std::process::exit(1);
        }
    };
    let opts = ServeOptions { debug, address: PROVIDER_ADDRESS.to_string() };
    let result = runtime.block_on(serve(AigwProvider::new(), opts));
    // Exit at once: Terraform waits for the process, not for idle tasks.
    match result {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
