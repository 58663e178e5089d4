//! Where state lives: Terraform's `local` and `pg` backends, their
//! workspaces, and the [`Store`] that one command reads, locks and writes
//! (one workspace of one backend). Settings come as Terraform reads them:
//! the `backend` block, then what `init -backend-config` recorded, then
//! the environment (`PG_CONN_STR`, ...). The current workspace is
//! `TF_WORKSPACE`, or `.terraform/environment` as Terraform keeps it.
pub mod init;
pub mod pg;
pub mod settings;
mod store;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Config;
use crate::error::Error;
pub use settings::Settings;
pub use store::{Store, StoreLock};

pub const DEFAULT_WORKSPACE: &str = "default";

/// A configured backend: every workspace it holds.
pub struct Backend {
    dir: PathBuf,
    pub settings: Settings,
    pg: Option<Arc<pg::Session>>,
}

/// `.terraform`, or `TF_DATA_DIR`, for the configuration in `dir`.
pub fn data_dir(dir: &Path) -> PathBuf {
    match std::env::var_os("TF_DATA_DIR") {
        Some(d) if Path::new(&d).is_absolute() => PathBuf::from(d),
        Some(d) => dir.join(d),
        None => dir.join(".terraform"),
    }
}

/// The workspace commands run in: `TF_WORKSPACE`, else the one `workspace
/// select` recorded, else `default`.
pub fn current_workspace(dir: &Path) -> String {
    if let Ok(w) = std::env::var("TF_WORKSPACE")
        && !w.is_empty()
    {
        return w;
    }
    std::fs::read_to_string(data_dir(dir).join("environment"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_WORKSPACE.into())
}

/// Records `name` as the current workspace, as `terraform workspace select` does.
pub fn select_workspace(dir: &Path, name: &str) -> Result<(), Error> {
    let d = data_dir(dir);
    std::fs::create_dir_all(&d)?;
    if name == DEFAULT_WORKSPACE {
        match std::fs::remove_file(d.join("environment")) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => return Ok(()),
        }
    }
    std::fs::write(d.join("environment"), name)?;
    Ok(())
}

/// Terraform's rule: a workspace name must be usable in a URL path as is.
pub fn check_workspace_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@".contains(c))
        && name != "."
        && name != "..";
    if ok {
        Ok(())
    } else {
        Err(Error::Backend {
            backend: "workspace".into(),
            message: format!(
                "the workspace name {name:?} is not allowed: it must be a valid URL path segment (letters, digits, - . _ ~ and similar; no / or spaces)"
            ),
        })
    }
}

impl Backend {
    /// The backend the configuration in `dir` uses, with its settings
    /// resolved; refuses when `init` must run first (the backend changed
    /// and a state would be left behind).
    pub fn open(cfg: &Config) -> Result<Backend, Error> {
        let settings = match Settings::resolve(cfg) {
            Ok(s) => s,
            // Settings that `init -backend-config` would complete.
            Err(Error::Config { message, .. })
                if cfg.backend.as_ref().is_some_and(|b| settings::KINDS.contains(&b.kind.as_str()))
                    && init::recorded(&cfg.dir).is_none() =>
            {
                return Err(init::required(cfg, &message));
            }
            Err(e) => return Err(e),
        };
        init::check_initialized(cfg, &settings)?;
        Backend::with(&cfg.dir, settings)
    }

    /// A backend from resolved settings (connects, for `pg`).
    pub fn with(dir: &Path, settings: Settings) -> Result<Backend, Error> {
        let pg = match &settings {
            Settings::Pg(p) => Some(Arc::new(pg::Session::open(p)?)),
            Settings::Local { .. } => None,
        };
        Ok(Backend { dir: dir.to_path_buf(), settings, pg })
    }

    /// The store of one workspace.
    pub fn store(&self, workspace: &str) -> Store {
        match (&self.settings, &self.pg) {
            (_, Some(session)) => Store::pg(session.clone(), workspace, &self.dir),
            (s, None) => Store::file(self.local_path(s, workspace)),
        }
    }

    fn local_path(&self, s: &Settings, workspace: &str) -> PathBuf {
        let (path, workspace_dir) = match s {
            Settings::Local { path, workspace_dir } => (path.clone(), workspace_dir.clone()),
            Settings::Pg(_) => (None, None),
        };
        if workspace == DEFAULT_WORKSPACE {
            return self.dir.join(path.unwrap_or_else(|| "terraform.tfstate".into()));
        }
        self.dir
            .join(workspace_dir.unwrap_or_else(|| "terraform.tfstate.d".into()))
            .join(workspace)
            .join("terraform.tfstate")
    }

    fn workspace_dir(&self) -> PathBuf {
        match &self.settings {
            Settings::Local { workspace_dir: Some(d), .. } => self.dir.join(d),
            _ => self.dir.join("terraform.tfstate.d"),
        }
    }

    /// Every workspace, `default` first, then by name.
    pub fn workspaces(&self) -> Result<Vec<String>, Error> {
        if let Some(pg) = &self.pg {
            return pg.workspaces();
        }
        let mut names: Vec<String> = match std::fs::read_dir(self.workspace_dir()) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        names.sort();
        names.retain(|n| n != DEFAULT_WORKSPACE);
        names.insert(0, DEFAULT_WORKSPACE.into());
        Ok(names)
    }

    /// Creates an empty workspace (a row with an empty state, or a directory).
    pub fn create_workspace(&self, name: &str) -> Result<(), Error> {
        check_workspace_name(name)?;
        if self.workspaces()?.iter().any(|w| w == name) {
            return Err(Error::Backend {
                backend: "workspace".into(),
                message: format!("workspace {name:?} already exists"),
            });
        }
        if let Some(pg) = &self.pg {
            let store = Store::pg(pg.clone(), name, &self.dir);
            let lock = store.lock(&crate::lock::LockOptions { operation: "init", ..Default::default() })?;
            let mut empty = crate::state::State::empty();
            store.save(&mut empty)?;
            drop(lock);
            return Ok(());
        }
        std::fs::create_dir_all(self.workspace_dir().join(name))?;
        Ok(())
    }

    /// Deletes a workspace and its state; refused for `default`, and for a
    /// state that still tracks resources unless `force`.
    pub fn delete_workspace(&self, name: &str, force: bool, lock: &crate::lock::LockOptions) -> Result<(), Error> {
        let fail = |message: String| Error::Backend { backend: "workspace".into(), message };
        if name == DEFAULT_WORKSPACE {
            return Err(fail("the default workspace cannot be deleted".into()));
        }
        if !self.workspaces()?.iter().any(|w| w == name) {
            return Err(fail(format!("workspace {name:?} doesn't exist")));
        }
        let store = self.store(name);
        let held = store.lock(lock)?;
        let state = store.load_locked(&held)?;
        if !force && !state.resources.is_empty() {
            return Err(fail(format!(
                "workspace {name:?} is not empty: its state tracks {} resource(s). Destroy them first, or delete \
                 with -force to forget them (they keep running, unmanaged)",
                state.resources.len()
            )));
        }
        if let Some(pg) = &self.pg {
            pg.delete(name)?;
            drop(held);
            return Ok(());
        }
        drop(held);
        std::fs::remove_dir_all(self.workspace_dir().join(name))?;
        Ok(())
    }

    /// Ends whoever holds workspace `name`'s lock, if its lock ID is `id`.
    pub fn force_unlock(&self, name: &str, id: &str) -> Result<String, Error> {
        if let Some(pg) = &self.pg {
            pg.force_unlock(name, id)?;
            return Ok(format!("the session holding workspace {name:?} was ended and its lock released"));
        }
        crate::lock::force_unlock(&self.store(name).shown, id)
    }
}

/// The store a command uses: the file `-state` names (the local backend
/// only, as Terraform), or the current workspace of the configured backend.
pub fn open_store(cfg: &Config, state_flag: Option<&Path>) -> Result<Store, Error> {
    if let Some(p) = state_flag {
        return Ok(Store::file(p.to_path_buf()));
    }
    let backend = Backend::open(cfg)?;
    let ws = current_workspace(&cfg.dir);
    if ws != DEFAULT_WORKSPACE && !backend.workspaces()?.contains(&ws) {
        return Err(Error::Backend {
            backend: "workspace".into(),
            message: format!(
                "the currently selected workspace ({ws}) does not exist; run `aigw workspace select default` or `aigw workspace new {ws}`"
            ),
        });
    }
    Ok(backend.store(&ws))
}
