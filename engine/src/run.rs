//! The commands' shared run: load the configuration and state, take the
//! state lock, start the providers, plan, and (for apply and destroy)
//! apply. The CLI in `main.rs` only parses flags and prints.
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::apply::{Summary, apply};
use crate::config::Config;
use crate::error::Error;
use crate::eval::Scope;
use crate::plan::{Options, Plan, plan, variables};
use crate::providers::Providers;
use crate::state::State;

/// Held while a command uses the state; a second command fails clearly.
pub struct StateLock {
    path: PathBuf,
}

impl StateLock {
    pub fn take(state_path: &Path) -> Result<StateLock, Error> {
        let mut p = state_path.as_os_str().to_owned();
        p.push(".aigw.lock");
        let path = PathBuf::from(p);
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => {
                let _ = writeln!(f, "{}", std::process::id());
                Ok(StateLock { path })
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                Err(Error::State {
                    path: state_path.display().to_string(),
                    message: format!(
                        "locked by another aigw (pid {}); if none is running, remove {}",
                        holder.trim(),
                        path.display()
                    ),
                })
            }
            Err(e) => Err(e.into()),
        }
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
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

impl Run {
    pub async fn open(dir: &Path, opts: &Options) -> Result<Run, Error> {
        let cfg = Config::load(dir)?;
        let state_path = opts.state_path.clone().unwrap_or_else(|| dir.join("terraform.tfstate"));
        let lock = StateLock::take(&state_path)?;
        let state = State::load(&state_path)?;
        let scope = Scope { vars: variables(&cfg, opts)?, ..Scope::default() };
        crate::graph::order(&crate::graph::dependencies(&cfg)?)?;
        let providers = Providers::start(&cfg, &state, &scope, &opts.provider_overrides).await?;
        Ok(Run { cfg, state, state_path, providers, scope, _lock: lock })
    }

    pub async fn plan(&mut self, opts: &Options) -> Result<Plan, Error> {
        plan(&self.cfg, &self.state, &self.providers, &mut self.scope, opts).await
    }

    pub async fn apply(&mut self, plan: &Plan, progress: &mut dyn FnMut(&str)) -> Result<Summary, Error> {
        let mut scope = Scope { vars: self.scope.vars.clone(), locals: self.scope.locals.clone(), ..Scope::default() };
        apply(&self.cfg, plan, &mut self.state, &self.state_path, &self.providers, &mut scope, progress).await
    }

    pub async fn close(self) {
        self.providers.stop().await;
    }
}
