//! One workspace's state: a local file or a `pg` row. A command locks it,
//! loads it and saves it through here. The apply journal that makes
//! `kill -9` (or a lost database) safe sits beside a file state, and under
//! `.terraform/aigw/` for a `pg` one: the state is written at the end (so
//! one apply advances the serial once) and now and then, and a journal
//! left by an apply that could not finish is replayed into the row by
//! the next command run in that directory, before anything else.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::pg::Session;
use crate::error::Error;
use crate::lock::{LockOptions, StateLock};
use crate::state::State;

pub struct Store {
    target: Target,
    journal: PathBuf,
    /// How messages name it.
    pub shown: String,
}

enum Target {
    File(PathBuf),
    Pg { session: Arc<Session>, workspace: String },
}

/// A held lock; released on drop.
pub enum StoreLock {
    File(StateLock),
    Pg { session: Arc<Session>, key: i64 },
    Unlocked,
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        if let StoreLock::Pg { session, key } = self {
            let _ = session.unlock(*key);
        }
    }
}

impl Store {
    pub fn file(path: PathBuf) -> Store {
        Store {
            journal: crate::journal::journal_path(&path),
            shown: path.display().to_string(),
            target: Target::File(path),
        }
    }

    pub fn pg(session: Arc<Session>, workspace: &str, dir: &Path) -> Store {
        use sha2::Digest;
        let tag = sha2::Sha256::digest(format!("{} {}", session.shown, session.schema).as_bytes());
        let tag: String = tag.iter().take(6).map(|b| format!("{b:02x}")).collect();
        let journal = super::data_dir(dir).join("aigw").join(format!("pg-{tag}-{workspace}.journal"));
        Store {
            shown: format!("pg workspace {workspace:?} ({})", session.shown),
            journal,
            target: Target::Pg { session, workspace: workspace.to_string() },
        }
    }

    /// The state file, for a local store.
    pub fn file_path(&self) -> Option<&Path> {
        match &self.target {
            Target::File(p) => Some(p),
            Target::Pg { .. } => None,
        }
    }

    pub fn journal_path(&self) -> &Path {
        &self.journal
    }

    /// Takes the lock, waiting up to `opts.timeout`; none with `-lock=false`.
    pub fn lock(&self, opts: &LockOptions) -> Result<StoreLock, Error> {
        match &self.target {
            Target::File(p) => StateLock::take(p, opts).map(StoreLock::File),
            Target::Pg { .. } if !opts.enabled => Ok(StoreLock::Unlocked),
            Target::Pg { session, workspace } => {
                let id = uuid::Uuid::new_v4().to_string();
                let key = session.lock(workspace, &id, opts.operation, opts.timeout)?;
                Ok(StoreLock::Pg { session: session.clone(), key })
            }
        }
    }

    /// The state under `lock` (a state file the lock just created is none).
    pub fn load_locked(&self, lock: &StoreLock) -> Result<State, Error> {
        match lock {
            StoreLock::File(l) if l.state_is_new() => Ok(State::empty()),
            _ => self.load(),
        }
    }

    /// The state as it is (a missing file or row is an empty state).
    pub fn load(&self) -> Result<State, Error> {
        match &self.target {
            Target::File(p) => State::load(p),
            Target::Pg { session, workspace } => match session.get(workspace)? {
                Some(text) => State::parse(Path::new(&self.shown), &text),
                None => Ok(State::empty()),
            },
        }
    }

    /// Writes `state` (serial bumped), all or nothing.
    pub fn save(&self, state: &mut State) -> Result<(), Error> {
        match &self.target {
            Target::File(p) => state.save(p),
            Target::Pg { session, workspace } => {
                let text = state.render(Path::new(&self.shown))?;
                if let Err(e) = session.put(workspace, text) {
                    state.serial -= 1;
                    return Err(e);
                }
                Ok(())
            }
        }
    }

    /// Replaces the state with `state` exactly as given (serial and
    /// lineage kept): `state push` and migration.
    pub fn write_exact(&self, state: &State) -> Result<(), Error> {
        let mut copy = state.clone();
        copy.serial = copy.serial.saturating_sub(1);
        self.save(&mut copy)
    }
}
