//! aigw-emulator: Cloudflare AI Gateway on your machine.
//!
//! A library first: [`run`] serves the emulator on a listener you bound
//! (port 0 is fine) until `shutdown` resolves. The `aigw emulator` command
//! is a thin binary over it.
//!
//! - [`management`]: `/client/v4/accounts/{account}/ai-gateway/...`, the API
//!   the Terraform provider calls, with Cloudflare's envelope and errors.
//! - [`store`]: the emulator's data, in memory or in SQLite under `--data-dir`.
pub mod error;
pub mod management;
pub mod store;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use error::Error;
pub use store::Store;

/// How the emulator runs.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// When set, management requests must carry `Authorization: Bearer <token>`
    /// with exactly this token; otherwise any non-empty bearer token works.
    pub api_token: Option<String>,
    /// When set, state is kept in `DIR/aigw-emulator.sqlite3` and survives restarts.
    pub data_dir: Option<PathBuf>,
}

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub config: Arc<Config>,
}

/// Builds the emulator's HTTP service.
pub fn router(state: AppState) -> axum::Router {
    management::router(state)
}

/// An emulator whose data is loaded and that is ready to serve.
pub struct Emulator {
    state: AppState,
}

impl Emulator {
    /// Opens the store (loading `data_dir` when set).
    pub fn open(config: Config) -> Result<Emulator, Error> {
        let store = Arc::new(match &config.data_dir {
            Some(dir) => Store::open(dir)?,
            None => Store::in_memory(),
        });
        Ok(Emulator { state: AppState { store, config: Arc::new(config) } })
    }

    /// Serves on `listener` until `shutdown` completes.
    pub async fn serve<F>(self, listener: TcpListener, shutdown: F) -> Result<(), Error>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        axum::serve(listener, router(self.state)).with_graceful_shutdown(shutdown).await?;
        Ok(())
    }
}

/// Serves the emulator on `listener` until `shutdown` completes.
pub async fn run<F>(listener: TcpListener, shutdown: F, config: Config) -> Result<(), Error>
where
    F: Future<Output = ()> + Send + 'static,
{
    Emulator::open(config)?.serve(listener, shutdown).await
}
