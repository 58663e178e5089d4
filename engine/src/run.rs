//! The commands' shared run: load the configuration, take the state lock,
//! load the state (replaying a journal an interrupted apply left), start
//! the providers, plan, and (for apply and destroy) apply. The CLI in
//! `main.rs` only parses flags and prints.
use std::path::Path;

use crate::apply::{ApplyOptions, Summary, apply};
use crate::config::Config;
use crate::error::Error;
use crate::lang::Scope;
use crate::plan::{Options, Plan, plan};
use crate::providers::Providers;
use tfplugin::provider::ReadRequest;
use tfplugin::value::decode_json;

use crate::backend::{Store, StoreLock};
use crate::journal::Entry;
use crate::state::{Instance, State};

pub use crate::lock::{LockOptions, StateLock};

pub struct Run {
    pub cfg: Config,
    pub state: State,
    pub store: Store,
    pub providers: Providers,
    pub scope: Scope,
    _lock: StoreLock,
}

/// Loads the state of `store` under its lock, replaying a journal an
/// interrupted apply left behind. Also returns the creates whose outcome
/// that apply never learned ([`adopt_pending`] settles them).
pub fn load_state(store: &Store, lock: &LockOptions) -> Result<(State, StoreLock, Vec<Entry>), Error> {
    let lock = store.lock(lock)?;
    let mut state = store.load_locked(&lock)?;
    let pending = crate::journal::recover(store, &mut state)?;
    Ok((state, lock, pending))
}

/// The state for a command that only reads it (`show`, `output`, `state
/// list`): as [`load_state`] when the lock is free (so a journal is
/// replayed), or the state as it is while another command holds it, as
/// Terraform reads without locking.
pub fn read_state(store: &Store) -> Result<State, Error> {
    let opts = LockOptions { operation: "OperationTypeInvalid", ..LockOptions::default() };
    match load_state(store, &opts) {
        Ok((state, _lock, _)) => Ok(state),
        // Held by another command, or no room to write (a full disk):
        // reading needs neither; a journal is applied in memory.
        Err(Error::Locked { .. } | Error::Io(_) | Error::State { .. }) => {
            let mut state = store.load()?;
            crate::journal::peek(store, &mut state)?;
            Ok(state)
        }
        Err(e) => Err(e),
    }
}

/// The store of the configuration in `dir` (its backend's current
/// workspace), or the file `-state` names; for read-only commands.
pub fn store_for(dir: &Path, state_flag: Option<&Path>) -> Result<Store, Error> {
    if let Some(p) = state_flag {
        return Ok(Store::file(p.to_path_buf()));
    }
    let cfg = Config::load(dir)?;
    crate::backend::open_store(&cfg, None)
}

/// Creates an interrupted apply started but never heard back from: each is
/// read back through its provider and settled only by a definite answer.
/// Found: adopted into the state, so running again neither orphans nor
/// duplicates it. Not found: dropped, and planned again. Anything else (the
/// API unreachable, an error): kept pending in the journal, and the command
/// stops, since planning now could create it a second time.
pub async fn adopt_pending(
    state: &mut State,
    store: &Store,
    providers: &Providers,
    pending: Vec<Entry>,
) -> Result<(), Error> {
    if pending.is_empty() {
        return Ok(());
    }
    let mut unsettled: Vec<(Entry, String)> = Vec::new();
    let mut adopted = false;
    for e in pending {
        let addr = crate::instance::address(&e.resource.base_address(), &e.key);
        if state.instance(e.resource.module.as_deref(), &e.resource.type_name, &e.resource.name, &e.key).is_some() {
            // Its outcome reached the state after all (a write whose answer was lost).
            continue;
        }
        match read_back(providers, &e).await {
            Ok(Some((schema, read))) => {
                eprintln!("Note: {addr} was created by an interrupted apply; it is now in the state.");
                let instance = Instance::new(&e.key, &schema, &read.new_state, &read.private, Vec::new())?;
                state.put_instance(&e.resource, &e.key, Some(instance));
                adopted = true;
            }
            Ok(None) => {
                eprintln!(
                    "Note: {addr}: an interrupted apply started creating it and the API says it does not exist; it will be planned again."
                );
            }
            Err(why) => unsettled.push((e, format!("{addr}: {why}"))),
        }
    }
    if adopted {
        store.save(state)?;
    }
    let keep: Vec<Entry> = unsettled.iter().map(|(e, _)| e.clone()).collect();
    crate::journal::rewrite(store, state, &keep)?;
    if unsettled.is_empty() {
        return Ok(());
    }
    let why: Vec<String> = unsettled.into_iter().map(|(_, w)| w).collect();
    Err(Error::State {
        path: store.shown.clone(),
        message: format!(
            "an interrupted apply started {} create(s) whose outcome is still unknown, so nothing was planned \
             (it could create them twice):\n  {}\nRun the command again once the API answers; they stay recorded in the journal.",
            why.len(),
            why.join("\n  ")
        ),
    })
}

/// What the API holds for a pending create: `Some` (found), `None` (a
/// definite not-found), or why there is no definite answer.
async fn read_back(
    providers: &Providers,
    e: &Entry,
) -> Result<Option<(tfplugin::Schema, tfplugin::provider::ReadResponse)>, String> {
    let (_, client) = providers.get(&crate::providers::config_key(&e.resource.provider)).map_err(|x| x.to_string())?;
    let schema = client
        .schemas()
        .resources
        .get(&e.resource.type_name)
        .cloned()
        .ok_or_else(|| format!("provider has no resource type {}", e.resource.type_name))?;
    let planned =
        decode_json(&e.intent.clone().unwrap_or_default(), &schema.value_type()).map_err(|x| x.to_string())?;
    let request = ReadRequest { type_name: e.resource.type_name.clone(), current_state: planned, private: Vec::new() };
    let read = client.read_resource(request).await.map_err(|x| x.to_string())?;
    if read.diagnostics.has_errors() {
        let text: Vec<String> =
            read.diagnostics.iter().map(|d| d.to_string().trim_start_matches("Error: ").to_string()).collect();
        return Err(text.join("; "));
    }
    Ok((!read.new_state.is_null()).then_some((schema, read)))
}

/// `terraform.workspace`: the current workspace (`default` for a state
/// given with `-state`, or a throwaway one).
pub fn terraform_value(dir: &Path, own_state: bool) -> tfplugin::Value {
    let ws =
        if own_state { crate::backend::DEFAULT_WORKSPACE.to_string() } else { crate::backend::current_workspace(dir) };
    tfplugin::Value::object([("workspace", ws.as_str().into())])
}

/// `path.module`, `path.root` and `path.cwd` for the configuration in `dir`.
pub fn path_value(dir: &Path) -> tfplugin::Value {
    let here = dir.display().to_string();
    tfplugin::Value::object([("module", here.as_str().into()), ("root", here.as_str().into()), ("cwd", ".".into())])
}

impl Run {
    pub async fn open(dir: &Path, opts: &Options) -> Result<Run, Error> {
        let cfg = Config::load(dir)?;
        if matches!(opts.launcher, crate::providers::Launcher::Plugins) {
            crate::discovery::check_all(&cfg)?;
        }
        let store = crate::backend::open_store(&cfg, opts.state_path.as_deref())?;
        let mut scope = Scope { vars: crate::variables::values(&cfg, &opts.var_args)?, ..Scope::default() };
        scope.sensitive_vars = cfg.variables.iter().filter(|(_, v)| v.sensitive).map(|(k, _)| k.clone()).collect();
        scope.var_types = crate::variables::types(&cfg);
        scope.extra.insert("path".into(), path_value(dir));
        scope.extra.insert("terraform".into(), terraform_value(dir, opts.state_path.is_some()));
        scope.planning = true;
        crate::graph::sorted(&cfg)?;
        let (mut state, lock, pending) = load_state(&store, &opts.lock)?;
        let providers = Providers::start(&cfg, &state, &scope, &opts.provider_overrides, &opts.launcher).await?;
        adopt_pending(&mut state, &store, &providers, pending).await?;
        Ok(Run { cfg, state, store, providers, scope, _lock: lock })
    }

    pub async fn plan(&mut self, opts: &Options) -> Result<Plan, Error> {
        let mut errors = self.providers.validate_configured(&self.cfg).await;
        if errors.len() > 1 {
            return Err(Error::Many(errors));
        }
        if let Some(e) = errors.pop() {
            return Err(e);
        }
        plan(&self.cfg, &self.state, &self.providers, &mut self.scope, opts).await
    }

    pub async fn apply(
        &mut self,
        plan: &Plan,
        opts: &ApplyOptions,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Summary, Error> {
        let mut scope = Scope {
            vars: self.scope.vars.clone(),
            locals: self.scope.locals.clone(),
            sensitive_vars: self.scope.sensitive_vars.clone(),
            var_types: self.scope.var_types.clone(),
            ..Scope::default()
        };
        for k in ["path", "terraform"] {
            if let Some(v) = self.scope.extra.get(k) {
                scope.extra.insert(k.into(), v.clone());
            }
        }
        apply(&self.cfg, plan, &mut self.state, &self.store, &self.providers, &mut scope, opts, progress).await
    }

    /// Drops what refresh found deleted outside aigw (and nothing recreates)
    /// from the state, and saves it: apply does this even when there is
    /// nothing else to do, as Terraform's apply persists its refresh.
    /// Also carries out the plan's `moved` blocks and forgets what
    /// `removed` blocks let go of, before anything else is applied.
    pub fn forget_gone(&mut self, plan: &Plan) -> Result<(), Error> {
        if plan.gone.is_empty() && plan.moves.is_empty() && plan.forget.is_empty() {
            return Ok(());
        }
        if !plan.moves.is_empty() {
            crate::moved::apply(&self.cfg, &mut self.state)?;
        }
        for (r, key) in plan.gone.iter().chain(&plan.forget) {
            self.state.put_instance(r, key, None);
        }
        self.store.save(&mut self.state)
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
