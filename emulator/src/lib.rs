//! aigw-emulator: Cloudflare AI Gateway on your machine.
//!
//! A library first: [`Emulator::open`] loads the data, and
//! [`Emulator::serve`] serves it on a listener you bound (port 0 is fine)
//! until `shutdown` resolves, then drains requests and flushes logs. The
//! `aigw emulator` command is a thin binary over it.
//!
//! - [`management`]: `/client/v4/accounts/{account}/ai-gateway/...`, the API
//!   the Terraform provider calls (gateways, routes, BYOK keys, custom
//!   providers, logs, analytics); [`runtime::rest`] serves the REST API.
//! - [`runtime`]: `/v1/{account}/{gateway}/...`, what apps call: auth, rate
//!   limit, cache, upstream with retries and fallback, logging.
//! - [`simulator`]: simulated upstream providers with injectable faults.
//! - [`control`]: `/__aigw/...`, the emulator's own controls (faults, call
//!   counts, clock) and `/metrics`.
//! - [`export`]: Logpush and OpenTelemetry export of logs and spans.
//! - [`dashboard`]: the web page at `/` (gateways, charts, logs, live).
//! - [`store`], [`logs`], [`metrics`], [`clock`]: its state.
pub mod clock;
pub mod control;
pub mod dashboard;
pub mod error;
pub mod export;
pub mod logs;
pub mod management;
pub mod metrics;
pub mod runtime;
pub mod simulator;
pub mod store;

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use clock::Clock;
pub use error::Error;
pub use simulator::{Fault, Simulator};
pub use store::Store;

/// Locks a mutex; a panic elsewhere while it was held leaves plain data
/// behind, so the emulator keeps serving instead of propagating the poison.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// How the emulator runs.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// When set, management requests (and `cf-aig-authorization` on
    /// authenticated gateways) must carry exactly this token; otherwise any
    /// non-empty bearer token works.
    pub api_token: Option<String>,
    /// When set, state and logs are kept in `DIR/aigw-emulator.sqlite3`.
    pub data_dir: Option<PathBuf>,
    /// Serve every provider from the built-in simulated upstream.
    pub simulate: bool,
    /// Provider slug → base URL, overriding the real provider.
    pub upstreams: HashMap<String, String>,
    /// Faults the simulator starts with.
    pub faults: Vec<Fault>,
    /// Response cache bound in bytes (default 256 MiB).
    pub cache_max_bytes: Option<usize>,
    /// Added to every management API response, to behave like the real
    /// API's round trip (plans and applies then take realistic time).
    pub api_latency: Option<std::time::Duration>,
    /// Added to the answer of every management API write only (after the
    /// work): reads stay fast, so a test can watch a write land at the API
    /// while its client still waits.
    pub api_write_latency: Option<std::time::Duration>,
    /// Where gateways with `logpush` on push their logs: a directory, or an
    /// `http(s)://` URL batches are POSTed to. None: nothing is pushed.
    pub logpush: Option<String>,
    /// Seeds the draws of dynamic routes' percentage splits (default 0), so
    /// a run's split is the same every time.
    pub seed: Option<u64>,
    /// Gateways an account may have (Cloudflare: 10 Free, 20 Paid); None: no limit.
    pub max_gateways: Option<usize>,
}

/// The runtime's shared parts.
pub struct Runtime {
    pub clock: Arc<Clock>,
    pub limiter: runtime::ratelimit::RateLimiter,
    pub cache: runtime::cache::Cache,
    pub upstreams: runtime::upstream::Upstreams,
    pub logs: logs::Logs,
    pub metrics: metrics::Metrics,
    pub simulator: Option<Arc<Simulator>>,
    /// DLP profiles and guardrail rules, shared by every gateway.
    pub safety: runtime::safety::Safety,
    /// What each spend-limit budget has spent.
    pub spend: Arc<runtime::spend::Ledger>,
    /// Dynamic routes' seeded draws and budgets.
    pub routes: runtime::route::RouteState,
    /// Gateways as requests read them, parsed once per gateway write.
    pub settings: runtime::settings::SettingsCache,
    /// Logpush and OpenTelemetry export.
    pub exports: export::Exports,
    /// Log ids: ULIDs, monotonic within a millisecond so they sort in order.
    ids: std::sync::Mutex<ulid::Generator>,
}

impl Runtime {
    /// A new log id at the emulator's current time.
    pub fn next_log_id(&self) -> (String, u64) {
        let ms = self.clock.now_ms();
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
        let mut g = self.ids.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let id =
            g.generate_from_datetime(at).unwrap_or_else(|_| ulid::Ulid::from_parts(ms, ulid::Ulid::new().random()));
        (id.to_string(), ms)
    }
}

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub config: Arc<Config>,
    pub runtime: Arc<Runtime>,
}

/// Builds the emulator's HTTP service.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new()
        .merge(management::router(state.clone()))
        .merge(runtime::router())
        .merge(control::router())
        .merge(dashboard::router())
        .fallback(management::no_route)
        .with_state(state)
}

/// An emulator whose data is loaded and that is ready to serve.
pub struct Emulator {
    state: AppState,
    simulator_listener: Option<TcpListener>,
    /// Held while the emulator runs: one emulator per data directory.
    _data_dir_lock: Option<std::fs::File>,
}

/// An OS lock on `DIR/aigw-emulator.lock`: two emulators on one data
/// directory would each accept the same create.
fn lock_data_dir(dir: &std::path::Path) -> Result<std::fs::File, Error> {
    use std::io::{Read, Seek, Write};
    std::fs::create_dir_all(dir)?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(dir.join("aigw-emulator.lock"))?;
    match f.try_lock() {
        Ok(()) => {
            f.set_len(0)?;
            f.rewind()?;
            write!(f, "{}", std::process::id())?;
            Ok(f)
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = f.read_to_string(&mut pid);
            Err(Error::DataDirInUse(dir.display().to_string(), pid.trim().to_string()))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(e.into()),
    }
}

impl Emulator {
    /// Opens the store (loading `data_dir` when set), binds the simulated
    /// upstream when asked, and starts the log writer. Call it inside a
    /// Tokio runtime.
    pub async fn open(config: Config) -> Result<Emulator, Error> {
        Emulator::open_with_clock(config, Arc::new(Clock::default())).await
    }

    /// As [`Emulator::open`], on a clock the caller controls.
    pub async fn open_with_clock(config: Config, clock: Arc<Clock>) -> Result<Emulator, Error> {
        let data_dir_lock = config.data_dir.as_deref().map(lock_data_dir).transpose()?;
        let (store, loaded, sink) = match &config.data_dir {
            Some(dir) => {
                let store = Store::open(dir)?;
                let (loaded, sink) = store::open_logs(dir)?;
                (store, loaded, Some(sink))
            }
            None => (Store::in_memory(), Vec::new(), None),
        };
        let (simulator, simulator_listener, sim_url) = if config.simulate {
            let l = TcpListener::bind("127.0.0.1:0").await?;
            let url = format!("http://{}", l.local_addr()?);
            (Some(Arc::new(Simulator::new(config.faults.clone()))), Some(l), Some(url))
        } else {
            (None, None, None)
        };
        let store = Arc::new(store);
        let upstreams = runtime::upstream::Upstreams::new(config.upstreams.clone(), sim_url)?.with_store(store.clone());
        let exports = export::Exports::start(config.logpush.as_deref());
        let runtime = Runtime {
            exports: exports.clone(),
            clock,
            limiter: Default::default(),
            cache: runtime::cache::Cache::new(config.cache_max_bytes.unwrap_or(256 << 20)),
            upstreams,
            logs: logs::Logs::start(loaded, sink, exports.logpush.clone()),
            metrics: Default::default(),
            simulator,
            ids: std::sync::Mutex::new(ulid::Generator::new()),
            safety: runtime::safety::Safety::default(),
            spend: Default::default(),
            routes: runtime::route::RouteState::new(config.seed.unwrap_or(0)),
            settings: Default::default(),
        };
        Ok(Emulator {
            state: AppState { store, config: Arc::new(config), runtime: Arc::new(runtime) },
            simulator_listener,
            _data_dir_lock: data_dir_lock,
        })
    }

    /// The emulator's state, for embedding (tests, `aigw test`).
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves on `listener` until `shutdown` completes, then finishes the
    /// requests in flight and flushes the logs.
    pub async fn serve<F>(self, listener: TcpListener, shutdown: F) -> Result<(), Error>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        if let (Some(sim), Some(l)) = (self.state.runtime.simulator.clone(), self.simulator_listener) {
            let l = axum::serve::ListenerExt::tap_io(l, |tcp| {
                let _ = tcp.set_nodelay(true);
            });
            tokio::spawn(async move {
                if let Err(e) = axum::serve(l, sim.router()).await {
                    tracing::error!("simulator stopped: {e}");
                }
            });
        }
        let state = self.state.clone();
        // TCP_NODELAY on every accepted connection: no Nagle delay on SSE.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, router(self.state)).with_graceful_shutdown(shutdown).await?;
        state.runtime.logs.flush().await;
        Ok(())
    }
}

/// Serves the emulator on `listener` until `shutdown` completes.
pub async fn run<F>(listener: TcpListener, shutdown: F, config: Config) -> Result<(), Error>
where
    F: Future<Output = ()> + Send + 'static,
{
    Emulator::open(config).await?.serve(listener, shutdown).await
}

/// The token of an `Authorization: Bearer TOKEN` value; the scheme is
/// case-insensitive (RFC 9110), so `bearer` and `BEARER` work too.
pub fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    #[test]
    fn bearer_schemes_are_case_insensitive() {
        assert_eq!(super::bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(super::bearer_token("bearer abc"), Some("abc"));
        assert_eq!(super::bearer_token("BEARER  abc "), Some("abc"));
        assert_eq!(super::bearer_token("Basic abc"), None);
        assert_eq!(super::bearer_token("Bearer "), None);
    }
}
