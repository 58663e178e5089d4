//! The commands' shared run: load the configuration, take the state lock,
//! load the state (replaying a journal an interrupted apply left), start
//! the providers, plan, and (for apply and destroy) apply. The CLI in
//! `main.rs` only parses flags and prints.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::apply::{ApplyOptions, Summary, apply};
use crate::config::Config;
use crate::error::Error;
use crate::eval::Scope;
use crate::plan::{Options, Plan, plan};
use crate::providers::Providers;
use tfplugin::provider::ReadRequest;
use tfplugin::value::decode_json;

use crate::journal::Entry;
use crate::state::{Instance, State};

/// An OS lock on `<state>.aigw.lock`, held while a command uses the state.
/// The OS drops it when the process dies, so a killed run never leaves a
/// stale lock behind.
pub struct StateLock {
    _file: std::fs::File,
}

impl StateLock {
    /// Takes the lock, waiting up to `timeout` for another aigw to let go.
    pub fn take(state_path: &Path, timeout: Duration) -> Result<StateLock, Error> {
        let mut p = state_path.as_os_str().to_owned();
        p.push(".aigw.lock");
        let path = PathBuf::from(p);
        let mut file = std::fs::OpenOptions::new().create(true).truncate(false).read(true).write(true).open(&path)?;
        let deadline = Instant::now() + timeout;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    let holder = std::fs::read_to_string(&path).unwrap_or_default();
                    return Err(Error::State {
                        path: state_path.display().to_string(),
                        message: format!(
                            "locked by another aigw command (pid {}); wait for it to finish, or retry with -lock-timeout=60s",
                            holder.trim()
                        ),
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
            }
        }
        file.set_len(0)?;
        writeln!(file, "{}", std::process::id())?;
        Ok(StateLock { _file: file })
    }
}

pub struct Run {
    pub cfg: Config,
    pub state: State,
    pub state_path: PathBuf,
    pub providers: Providers,
    pub scope: Scope,
    _lock: StateLock,
}

/// Loads the state at `path` under its lock, replaying a journal an
/// interrupted apply left behind. Also returns the creates whose outcome
/// that apply never learned ([`adopt_pending`] settles them).
pub fn load_state(path: &Path, lock_timeout: Duration) -> Result<(State, StateLock, Vec<Entry>), Error> {
    let lock = StateLock::take(path, lock_timeout)?;
    let mut state = State::load(path)?;
    let pending = crate::journal::recover(path, &mut state)?;
    Ok((state, lock, pending))
}

/// Creates an interrupted apply started but never heard back from: each is
/// read back through its provider, and adopted into the state if it
/// exists, so running again neither orphans nor duplicates it.
pub async fn adopt_pending(
    state: &mut State,
    state_path: &Path,
    providers: &Providers,
    pending: Vec<Entry>,
) -> Result<(), Error> {
    if pending.is_empty() {
        return Ok(());
    }
    for e in pending {
        let addr = crate::instance::address(&e.resource.base_address(), &e.key);
        let Ok((_, client)) = providers.get(&crate::providers::config_key(&e.resource.provider)) else { continue };
        let Some(schema) = client.schemas().resources.get(&e.resource.type_name).cloned() else { continue };
        let planned = decode_json(&e.intent.unwrap_or_default(), &schema.value_type())?;
        let read = client
            .read_resource(ReadRequest {
                type_name: e.resource.type_name.clone(),
                current_state: planned,
                private: Vec::new(),
            })
            .await?;
        if read.diagnostics.has_errors() || read.new_state.is_null() {
            tracing::warn!("{addr}: an interrupted apply started creating it; it does not exist");
            continue;
        }
        eprintln!("Note: {addr} was created by an interrupted apply; it is now in the state.");
        let instance = Instance::new(&e.key, &schema, &read.new_state, &read.private, Vec::new())?;
        state.put_instance(&e.resource, &e.key, Some(instance));
    }
    state.save(state_path)?;
    crate::journal::recover(state_path, state).map(|_| ())
}

impl Run {
    pub async fn open(dir: &Path, opts: &Options) -> Result<Run, Error> {
        let cfg = Config::load(dir)?;
        let state_path = opts.state_path.clone().unwrap_or_else(|| dir.join("terraform.tfstate"));
        let mut scope = Scope { vars: crate::variables::values(&cfg, &opts.var_args)?, ..Scope::default() };
        let here = dir.display().to_string();
        scope.extra.insert(
            "path".into(),
            tfplugin::Value::object([
                ("module", here.as_str().into()),
                ("root", here.as_str().into()),
                ("cwd", ".".into()),
            ]),
        );
        crate::graph::sorted(&cfg)?;
        let (mut state, lock, pending) = load_state(&state_path, opts.lock_timeout)?;
        let providers = Providers::start(&cfg, &state, &scope, &opts.provider_overrides).await?;
        adopt_pending(&mut state, &state_path, &providers, pending).await?;
        Ok(Run { cfg, state, state_path, providers, scope, _lock: lock })
    }

    pub async fn plan(&mut self, opts: &Options) -> Result<Plan, Error> {
        plan(&self.cfg, &self.state, &self.providers, &mut self.scope, opts).await
    }

    pub async fn apply(
        &mut self,
        plan: &Plan,
        opts: &ApplyOptions,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Summary, Error> {
        let mut scope = Scope { vars: self.scope.vars.clone(), locals: self.scope.locals.clone(), ..Scope::default() };
        apply(&self.cfg, plan, &mut self.state, &self.state_path, &self.providers, &mut scope, opts, progress).await
    }

    /// `plan` in Terraform's JSON plan format.
    pub fn plan_json(&self, plan: &Plan) -> serde_json::Value {
        let provider_of = |k: &str| self.providers.get(k).map(|(a, _)| a.to_string()).unwrap_or_default();
        crate::json::plan_json(plan, &self.state, &provider_of)
    }

    pub async fn close(self) {
        self.providers.stop().await;
    }
}
