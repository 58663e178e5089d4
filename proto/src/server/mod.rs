//! The plugin (server) half of the go-plugin handshake: check the magic
//! cookie, pick a port in the allowed range, set up AutoMTLS, print the
//! handshake line, serve tfplugin6 plus go-plugin's controller and health,
//! and exit promptly when told to shut down. `--debug` serves plaintext and
//! prints `TF_REATTACH_PROVIDERS` instead.
mod conn;
mod service;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_stream::wrappers::ReceiverStream;

use crate::Error;
use crate::pb::plugin::grpc_controller_server::GrpcControllerServer;
use crate::pb::tfplugin6::provider_server::ProviderServer;
use crate::provider::Provider;
use crate::tls;
use conn::Conn;
use service::{Controller, ProviderService};

/// The cookie Terraform sets so a provider knows it was launched as a plugin.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// gRPC message limit, as Terraform's own plugin SDK sets it.
const MAX_MESSAGE: usize = 256 << 20;

/// How the provider binary was asked to run.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// Serve plaintext for `TF_REATTACH_PROVIDERS` and wait for Ctrl-C.
    pub debug: bool,
    /// The provider's source address, e.g. `registry.terraform.io/aigw/aigw`;
    /// the key printed in debug mode.
    pub address: String,
}

fn env_port(name: &str, default: u16) -> Result<u16, Error> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v.parse().map_err(|_| Error::Handshake(format!("{name}={v:?} is not a port"))),
        _ => Ok(default),
    }
}

async fn bind_in_range() -> Result<TcpListener, Error> {
    let (min, max) = (env_port("PLUGIN_MIN_PORT", 10000)?, env_port("PLUGIN_MAX_PORT", 25000)?);
    if min == 0 && max == 0 {
        return Ok(TcpListener::bind("127.0.0.1:0").await?);
    }
    for port in min..=max {
        if let Ok(l) = TcpListener::bind(("127.0.0.1", port)).await {
            return Ok(l);
        }
    }
    Err(Error::Handshake(format!("no free port in {min}..={max}")))
}

/// Serves `provider` until Terraform (or the engine) shuts it down. Returns
/// `Error::NotAPlugin` when started by hand without the magic cookie.
pub async fn serve<P: Provider>(provider: P, opts: ServeOptions) -> Result<(), Error> {
    if opts.debug {
        return serve_debug(provider, opts).await;
    }
    if std::env::var(MAGIC_COOKIE_KEY).ok().as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(Error::NotAPlugin);
    }
    let versions = std::env::var("PLUGIN_PROTOCOL_VERSIONS").unwrap_or_else(|_| "6".into());
    if !versions.split(',').any(|v| v.trim() == "6") {
        return Err(Error::Handshake(format!(
            "the client offers plugin protocol versions {versions:?}; this provider speaks only 6"
        )));
    }
    // go-plugin servers ignore interrupts: the client sends StopProvider and
    // then Shutdown, and Ctrl-C in a terminal reaches the whole process group.
    tokio::spawn(async { while tokio::signal::ctrl_c().await.is_ok() {} });
    watch_parent();

    let listener = Listener::bind().await?;
    let (network, addr) = listener.address()?;
    let me = tls::generate_identity()?;
    let acceptor = match std::env::var("PLUGIN_CLIENT_CERT") {
        Ok(pem) if !pem.trim().is_empty() => {
            let client = tls::cert_from_pem(&pem)?;
            Some(tokio_rustls::TlsAcceptor::from(Arc::new(tls::server_config(&me, client)?)))
        }
        _ => None,
    };
    let cert_field = if acceptor.is_some() {
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(me.cert.as_ref())
    } else {
        String::new()
    };
    let line = format!("1|6|{network}|{addr}|grpc|{cert_field}\n");
    let mut out = std::io::stdout().lock();
    out.write_all(line.as_bytes())?;
    out.flush()?;
    drop(out);
    run(provider, listener, acceptor).await
}

/// A plugin lives only as long as its client: when Terraform or aigw goes
/// away without a Shutdown (even `kill -9`), the process is re-parented
/// and the provider exits instead of running on forever.
fn watch_parent() {
    let parent = std::os::unix::process::parent_id();
    if parent <= 1 {
        return;
    }
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            if std::os::unix::process::parent_id() != parent {
                std::process::exit(0);
            }
        }
    });
}

async fn serve_debug<P: Provider>(provider: P, opts: ServeOptions) -> Result<(), Error> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr: SocketAddr = listener.local_addr()?;
    let reattach = serde_json::json!({
        opts.address.clone(): {
            "Protocol": "grpc",
            "ProtocolVersion": 6,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": { "Network": "tcp", "String": addr.to_string() }
        }
    });
    println!(
        "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable:\n\n\tTF_REATTACH_PROVIDERS='{reattach}'\n\nPress Ctrl-C to stop."
    );
    tokio::select! {
        r = run(provider, Listener::Tcp(listener), None) => r,
        _ = tokio::signal::ctrl_c() => Ok(()),
    }
}

/// Where the plugin listens: a unix socket, as go-plugin's servers do on
/// every system but Windows (in `PLUGIN_UNIX_SOCKET_DIR`, or the temporary
/// directory), or TCP on loopback in `PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT`
/// (go-plugin's choice on Windows) when `AIGW_PLUGIN_NETWORK=tcp`.
enum Listener {
    Tcp(TcpListener),
    Unix(tokio::net::UnixListener, std::path::PathBuf),
}

impl Listener {
    async fn bind() -> Result<Listener, Error> {
        if std::env::var_os("AIGW_PLUGIN_NETWORK").is_some_and(|v| v == "tcp") {
            return Ok(Listener::Tcp(bind_in_range().await?));
        }
        let dir = match std::env::var_os("PLUGIN_UNIX_SOCKET_DIR") {
            Some(dir) if !dir.is_empty() => std::path::PathBuf::from(dir),
            _ => std::env::temp_dir(),
        };
        let path = dir.join(format!("plugin-aigw-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        Ok(Listener::Unix(tokio::net::UnixListener::bind(&path)?, path))
    }

    fn address(&self) -> Result<(&'static str, String), Error> {
        Ok(match self {
            Listener::Tcp(l) => ("tcp", l.local_addr()?.to_string()),
            Listener::Unix(_, path) => ("unix", path.display().to_string()),
        })
    }

    async fn accept(&self) -> std::io::Result<Conn> {
        match self {
            Listener::Tcp(l) => {
                let (s, _) = l.accept().await?;
                let _ = s.set_nodelay(true);
                Ok(Conn::Plain(s))
            }
            Listener::Unix(l, _) => Ok(Conn::Unix(l.accept().await?.0)),
        }
    }
}

/// Removes the plugin's unix socket when serving ends: the accept loop
/// (which owns the listener) is still parked when the process exits.
struct SocketFile(Option<std::path::PathBuf>);

impl Drop for SocketFile {
    fn drop(&mut self) {
        if let Some(path) = &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

async fn run<P: Provider>(
    provider: P,
    listener: Listener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
) -> Result<(), Error> {
    let _socket = SocketFile(match &listener {
        Listener::Unix(_, path) => Some(path.clone()),
        Listener::Tcp(_) => None,
    });
    let shutdown = Arc::new(Notify::new());
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Conn, std::io::Error>>(16);
    tokio::spawn(async move {
        loop {
            let Ok(plain) = listener.accept().await else { break };
            let tx = tx.clone();
            let acceptor = acceptor.clone();
            // Handshake off the accept loop so one slow client cannot stall others.
            tokio::spawn(async move {
                let conn = match (acceptor, plain) {
                    (None, c) => Ok(c),
                    (Some(a), Conn::Plain(s)) => a.accept(s).await.map(|t| Conn::Tls(Box::new(t))),
                    (Some(a), Conn::Unix(s)) => a.accept(s).await.map(|t| Conn::UnixTls(Box::new(t))),
                    (Some(_), tls) => Ok(tls),
                };
                match conn {
                    Ok(c) => {
                        let _ = tx.send(Ok(c)).await;
                    }
                    Err(e) => tracing::warn!("plugin TLS handshake failed: {e}"),
                }
            });
        }
    });

    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_service_status("plugin", tonic_health::ServingStatus::Serving).await;
    let svc = ProviderServer::new(ProviderService { provider: Arc::new(provider) })
        .max_decoding_message_size(MAX_MESSAGE)
        .max_encoding_message_size(MAX_MESSAGE);
    let controller = GrpcControllerServer::new(Controller { shutdown: shutdown.clone() });

    let stop = shutdown.clone();
    let server = tonic::transport::Server::builder()
        .add_service(svc)
        .add_service(controller)
        .add_service(health_service)
        .serve_with_incoming_shutdown(ReceiverStream::new(rx), async move { stop.notified().await });
    // Terraform keeps its connection open after Shutdown, so a graceful drain
    // would wait for it; give the Shutdown reply a moment to flush, then go.
    tokio::select! {
        r = server => r.map_err(|e| Error::Transport(e.to_string())),
        _ = async {
            shutdown.notified().await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        } => Ok(()),
    }
}
