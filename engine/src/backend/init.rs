//! `aigw init`'s part in backends: what it records about the backend in
//! `.terraform/aigw-backend.json` (the block as it was, and the
//! `-backend-config` values), the check every other command makes that
//! the configuration still names that backend, and the migration of
//! every workspace's state when it does not (`-migrate-state`,
//! `-force-copy`, `-reconfigure`, Terraform's prompts). A directory
//! `terraform init` set up (`.terraform/terraform.tfstate`) is honoured:
//! its recorded settings fill what the block leaves out.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::{Backend, Settings};
use crate::config::Config;
use crate::error::{Error, Loc};

/// What `aigw init` recorded.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Record {
    #[serde(rename = "type")]
    pub kind: String,
    /// The backend block's arguments when init ran.
    #[serde(default)]
    pub block: BTreeMap<String, Json>,
    /// `-backend-config` values (they win over the block's).
    #[serde(default)]
    pub overrides: BTreeMap<String, Json>,
}

fn record_path(dir: &Path) -> PathBuf {
    super::data_dir(dir).join("aigw-backend.json")
}

/// The backend a directory was initialized with: aigw's record, or the one
/// `terraform init` wrote (its merged settings become the overrides).
pub fn recorded(dir: &Path) -> Option<Record> {
    if let Some(r) = std::fs::read_to_string(record_path(dir)).ok().and_then(|t| serde_json::from_str(&t).ok()) {
        return Some(r);
    }
    let text = std::fs::read_to_string(super::data_dir(dir).join("terraform.tfstate")).ok()?;
    let v: Json = serde_json::from_str(&text).ok()?;
    let b = v.get("backend")?;
    let kind = b.get("type")?.as_str()?.to_string();
    let overrides: BTreeMap<String, Json> = b
        .get("config")?
        .as_object()?
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Some(Record { kind, block: overrides.clone(), overrides })
}

fn block_values(cfg: &Config) -> (String, BTreeMap<String, Json>) {
    match &cfg.backend {
        Some(b) => (b.kind.clone(), b.values()),
        None => ("local".into(), BTreeMap::new()),
    }
}

fn block_loc(cfg: &Config) -> Loc {
    cfg.backend.as_ref().map(|b| b.loc.clone()).unwrap_or_default()
}

/// Settings a record describes (a record's settings are its own block
/// with its overrides).
fn settings_of(rec: &Record) -> Result<Settings, Error> {
    let mut values = rec.block.clone();
    values.extend(rec.overrides.clone());
    Settings::build(&rec.kind, &values, &Loc::default(), &|_| None)
}

/// Whether a local backend in `dir` holds any state (a migration would
/// be needed to keep it).
fn local_has_state(dir: &Path) -> Result<bool, Error> {
    let backend = Backend::with(dir, Settings::default_local())?;
    for ws in backend.workspaces()? {
        if !is_empty(&backend.store(&ws).load()?) {
            return Ok(true);
        }
    }
    Ok(false)
}

fn is_empty(s: &crate::state::State) -> bool {
    s.resources.is_empty() && s.outputs.is_empty()
}

/// Refuses to run on a backend the directory was not initialized with,
/// when that would leave a state behind (Terraform: "Backend
/// initialization required").
pub fn check_initialized(cfg: &Config, settings: &Settings) -> Result<(), Error> {
    let (kind, block) = block_values(cfg);
    let changed = match recorded(&cfg.dir) {
        Some(rec) if std::fs::metadata(record_path(&cfg.dir)).is_ok() => {
            (rec.kind != kind || rec.block != block).then(|| settings_of(&rec).map(|s| s.shown()).unwrap_or(rec.kind))
        }
        Some(rec) => match settings_of(&rec) {
            Ok(s) if s.place() != settings.place() => Some(s.shown()),
            _ => None,
        },
        None => (settings != &Settings::default_local() && local_has_state(&cfg.dir)?)
            .then(|| "local (terraform.tfstate)".into()),
    };
    let Some(before) = changed else { return Ok(()) };
    Err(Error::config(
        &block_loc(cfg),
        format!(
            "Backend initialization required: this directory's state is in {before}, and the configuration now \
             says {}. Run `aigw init -migrate-state` to copy the state across, or `aigw init -reconfigure` to use \
             the new backend as it is",
            settings.shown()
        ),
    ))
}

/// "Backend initialization required", with why.
pub fn required(cfg: &Config, why: &str) -> Error {
    Error::config(
        &block_loc(cfg),
        format!(
            "Backend initialization required: {why}. Run `aigw init` (with -backend-config for what the block leaves out)"
        ),
    )
}

/// How init asks: the question and whether `-force-copy` answers it.
pub struct InitOptions {
    pub backend_config: Vec<String>,
    pub migrate_state: bool,
    pub force_copy: bool,
    pub reconfigure: bool,
    pub lock: crate::lock::LockOptions,
}

/// Configures the backend for `cfg`, migrating state from the one the
/// directory used before. `ask` puts a yes/no question to the user.
/// Returns what to print.
pub fn init_backend(
    cfg: &Config,
    opts: &InitOptions,
    ask: &mut dyn FnMut(&str) -> Result<bool, Error>,
) -> Result<Vec<String>, Error> {
    let (kind, block) = block_values(cfg);
    let overrides = super::settings::parse_backend_config(&opts.backend_config, &cfg.dir)?;
    let mut values = block.clone();
    values.extend(overrides.clone());
    let at = |k: &str| cfg.backend.as_ref().and_then(|b| b.place(k));
    let new = Settings::build(&kind, &values, &block_loc(cfg), &at)?;
    let record = Record { kind: kind.clone(), block, overrides };
    let previous = recorded(&cfg.dir);
    let explicit = previous.is_some();
    let before = match &previous {
        Some(rec) => settings_of(rec)?,
        None => Settings::default_local(),
    };
    let mut out = Vec::new();
    let to = Backend::with(&cfg.dir, new.clone())?;
    if opts.reconfigure || before.place() == new.place() {
        // The default local backend needs no record (init leaves nothing).
        if explicit || cfg.backend.is_some() {
            write_record(&cfg.dir, &record)?;
        }
        out.push(format!(
            "Successfully configured the backend {:?}! aigw will keep its state in {}.",
            kind,
            new.shown()
        ));
        return Ok(out);
    }
    let from = Backend::with(&cfg.dir, before.clone()).map_err(|e| Error::Backend {
        backend: before.shown(),
        message: format!(
            "cannot read the previous backend to migrate its state ({e}); run `aigw init -reconfigure` to leave it behind"
        ),
    })?;
    let mut states = Vec::new();
    for ws in from.workspaces()? {
        let s = from.store(&ws).load()?;
        if !is_empty(&s) {
            states.push((ws, s));
        }
    }
    if !states.is_empty() {
        if explicit && !opts.migrate_state && !opts.force_copy {
            return Err(Error::Backend {
                backend: new.shown(),
                message: format!(
                    "Backend configuration changed (from {}). Run `aigw init -migrate-state` to copy its state, or \
                     `aigw init -reconfigure` to leave it behind",
                    before.shown()
                ),
            });
        }
        let names: Vec<&str> = states.iter().map(|(w, _)| w.as_str()).collect();
        let question = format!(
            "Pre-existing state was found while migrating the previous {:?} backend to the newly configured {:?} \
             backend (workspaces: {}). Do you want to copy it to the new backend? Enter \"yes\" to copy and \"no\" \
             to start with an empty state.",
            before.kind(),
            new.kind(),
            names.join(", ")
        );
        if !opts.force_copy && !ask(&question)? {
            return Err(Error::Backend {
                backend: new.shown(),
                message: "migration cancelled: nothing was copied and the backend was not changed".into(),
            });
        }
        for (ws, state) in &states {
            copy_workspace(&to, ws, state, opts, ask)?;
            out.push(format!("Copied the state of workspace {ws:?} to {}.", new.shown()));
        }
        if let Settings::Local { .. } = before {
            for (ws, _) in &states {
                if let Some(p) = from.store(ws).file_path() {
                    let _ = std::fs::rename(p, crate::state::backup_path(p));
                }
            }
            out.push("The local state files were moved to *.backup (the backend holds the state now).".into());
        }
    }
    write_record(&cfg.dir, &record)?;
    out.push(format!("Successfully configured the backend {:?}! aigw will keep its state in {}.", kind, new.shown()));
    Ok(out)
}

/// Writes `state` into workspace `ws` of `to`, asking before it replaces
/// a different state there.
fn copy_workspace(
    to: &Backend,
    ws: &str,
    state: &crate::state::State,
    opts: &InitOptions,
    ask: &mut dyn FnMut(&str) -> Result<bool, Error>,
) -> Result<(), Error> {
    if ws != super::DEFAULT_WORKSPACE && !to.workspaces()?.iter().any(|w| w == ws) {
        to.create_workspace(ws)?;
    }
    let store = to.store(ws);
    let lock = store.lock(&opts.lock)?;
    let there = store.load_locked(&lock)?;
    if !is_empty(&there) && there.lineage != state.lineage && !opts.force_copy {
        let q = format!(
            "Workspace {ws:?} already has a different state in the new backend (lineage {}). Overwrite it with the \
             previous backend's state?",
            there.lineage
        );
        if !ask(&q)? {
            return Err(Error::Backend { backend: store.shown.clone(), message: "migration cancelled".into() });
        }
    }
    store.write_exact(state)
}

fn write_record(dir: &Path, rec: &Record) -> Result<(), Error> {
    let p = record_path(dir);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let text = serde_json::to_string_pretty(rec).map_err(|e| Error::Syntax(e.to_string()))?;
    std::fs::write(p, text)?;
    Ok(())
}
