//! Applying a plan. Independent changes run concurrently (up to
//! `parallelism`); a change starts once everything it depends on is done.
//! Each resource's configuration is evaluated again with the values its
//! dependencies now have, planned again, and applied. Every completed
//! operation is made durable through the [`Journal`] before the next one
//! that depends on it starts, so a failure or a crash part-way keeps
//! everything that was done. Replacements delete first (or create first
//! with `create_before_destroy`); deletions run dependents first. When
//! `cancel` is set (Ctrl-C), no new operation starts, the running ones
//! finish and are saved, and apply returns [`Error::Interrupted`].
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use futures_util::FutureExt;
use futures_util::stream::{FuturesUnordered, StreamExt};
use tfplugin::Value;
use tfplugin::provider::{ApplyRequest, PlanRequest};
use tfplugin::value::encode_json;

mod scopes;

use crate::config::Config;
use crate::error::{Error, check};
use crate::instance::{proposed_new, resource_config, set_instance};
use crate::journal::{Entry, Journal};
use crate::lang::Scope;
use crate::plan::{Action, Change, Plan};
use crate::providers::Providers;
use crate::state::{Instance, ResourceState, State};

/// The journal entry that records `value` (or, when null, the removal) for `c`.
pub(crate) fn entry(c: &Change, provider: &str, value: &Value, private: &[u8]) -> Result<Entry, Error> {
    let resource = ResourceState {
        module: c.module.to_state(),
        mode: "managed".into(),
        type_name: c.type_name.clone(),
        name: c.name.clone(),
        each: c.each.clone(),
        provider: provider.to_string(),
        instances: Vec::new(),
    };
    let instance = if value.is_null() {
        None
    } else {
        Some(Instance::new(&c.key, &c.schema, value, private, c.dependencies.clone())?)
    };
    Ok(Entry { resource, key: c.key.clone(), instance, intent: None })
}

/// `v` with unknown values as null: what is known of a planned object.
fn nulled(v: &Value) -> Value {
    match v {
        Value::Unknown(_) => Value::Null,
        Value::List(x) => Value::List(x.iter().map(nulled).collect()),
        Value::Set(x) => Value::Set(x.iter().map(nulled).collect()),
        Value::Tuple(x) => Value::Tuple(x.iter().map(nulled).collect()),
        Value::Map(m) => Value::Map(m.iter().map(|(k, v)| (k.clone(), nulled(v))).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), nulled(v))).collect()),
        other => other.clone(),
    }
}

/// The journal entry that says a create of `c` is about to start.
fn intent(c: &Change, provider: &str) -> Result<Entry, Error> {
    let mut e = entry(c, provider, &Value::Null, &[])?;
    e.intent = Some(encode_json(&nulled(&c.after), &c.schema.value_type())?);
    Ok(e)
}

async fn apply_one(
    providers: &Providers,
    c: &Change,
    prior: Value,
    planned: Value,
    config: Value,
    private: Vec<u8>,
) -> Result<(Value, Vec<u8>), Error> {
    let (_, client) = providers.get(&c.provider)?;
    let resp = client
        .apply_resource_change(ApplyRequest {
            type_name: c.type_name.clone(),
            prior_state: prior,
            planned_state: planned,
            config,
            planned_private: private,
        })
        .await?;
    check(&resp.diagnostics, &c.address())?;
    Ok((resp.new_state, resp.private))
}

/// What happened, for the summary line.
#[derive(Debug, Default)]
pub struct Summary {
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
    /// Objects `import` blocks brought in.
    pub imported: usize,
    /// `check` blocks that failed once everything was applied.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    /// How many operations may run at once (Terraform's `-parallelism`, default 10).
    pub parallelism: usize,
    /// Set by Ctrl-C: start nothing new.
    pub cancel: Option<Arc<AtomicBool>>,
}

/// What one operation did: each step is recorded as it happened, so a
/// replacement whose create failed still records the delete.
struct Outcome {
    idx: usize,
    /// Completed steps, in order: the new object (null when deleted) and its private data.
    steps: Vec<(Value, Vec<u8>)>,
    error: Option<Error>,
}

type Running<'a> = FuturesUnordered<Pin<Box<dyn Future<Output = Outcome> + 'a>>>;

/// Runs one change: delete, create/update, or both for a replacement.
async fn operate(providers: &Providers, c: &Change, idx: usize, config: Value) -> Outcome {
    let mut out = Outcome { idx, steps: Vec::new(), error: None };
    let delete = |prior: Value, private: Vec<u8>| apply_one(providers, c, prior, Value::Null, Value::Null, private);
    let result: Result<(), Error> = async {
        if c.action == Action::Read {
            let (_, client) = providers.get(&c.provider)?;
            let (v, d) = client.read_data_source(c.resource_type(), &config).await?;
            check(&d, &c.address())?;
            out.steps.push((v, Vec::new()));
            return Ok(());
        }
        if c.action == Action::Delete || (c.action == Action::Replace && !c.create_before_destroy) {
            delete(c.before.clone(), c.private.clone()).await?;
            out.steps.push((Value::Null, Vec::new()));
            if c.action == Action::Delete {
                return Ok(());
            }
        }
        let (prior, prior_private) = match c.action {
            Action::Update => (c.before.clone(), c.private.clone()),
            _ => (Value::Null, Vec::new()),
        };
        let (_, client) = providers.get(&c.provider)?;
        let planned = client
            .plan_resource_change(PlanRequest {
                type_name: c.type_name.clone(),
                prior_state: prior.clone(),
                proposed_new_state: proposed_new(&c.schema, &prior, &config),
                config: config.clone(),
                prior_private,
            })
            .await?;
        check(&planned.diagnostics, &c.address())?;
        let (new_state, private) =
            apply_one(providers, c, prior, planned.planned_state, config, planned.planned_private).await?;
        if !new_state.is_wholly_known() {
            return Err(Error::Provider(format!("{}: the provider left unknown values after apply", c.address())));
        }
        out.steps.push((new_state, private));
        if c.action == Action::Replace && c.create_before_destroy {
            delete(c.before.clone(), c.private.clone()).await?;
        }
        Ok(())
    }
    .await;
    out.error = result.err();
    out
}

/// The dependency bookkeeping: a change starts when every resource it
/// waits for has no change left.
struct Schedule {
    /// Per change: how many groups it still waits for.
    waiting: Vec<usize>,
    /// Group → changes left in it.
    left: HashMap<String, usize>,
    /// Group → changes waiting for it.
    waiters: HashMap<String, Vec<usize>>,
    ready: std::collections::VecDeque<usize>,
    /// Changes that finished.
    finished: usize,
}

/// The resource a change is of, as `dependencies` name it.
fn base(c: &Change) -> String {
    c.config_base()
}

/// Changes are grouped by resource and by direction: a resource's creates
/// and updates are one group, its deletes another.
fn group(base: &str, delete: bool) -> String {
    format!("{base}#{}", if delete { "delete" } else { "apply" })
}

impl Schedule {
    /// Creates and updates wait for the creates and updates of what they
    /// depend on; deletes wait for the deletes of what depends on them.
    fn new(changes: &[Change]) -> Schedule {
        let mut left: HashMap<String, usize> = HashMap::new();
        for c in changes {
            *left.entry(group(&base(c), c.action == Action::Delete)).or_default() += 1;
        }
        // Resource → the resources with deletes that depend on it.
        let mut dependents: HashMap<&str, Vec<String>> = HashMap::new();
        for d in changes.iter().filter(|d| d.action == Action::Delete) {
            for dep in &d.dependencies {
                dependents.entry(dep.as_str()).or_default().push(base(d));
            }
        }
        let mut waiters: HashMap<String, Vec<usize>> = HashMap::new();
        let mut waiting = vec![0; changes.len()];
        for (i, c) in changes.iter().enumerate() {
            let delete = c.action == Action::Delete;
            let mut waits: Vec<String> = if delete {
                dependents.get(base(c).as_str()).into_iter().flatten().map(|d| group(d, true)).collect()
            } else {
                c.dependencies.iter().map(|d| group(d, false)).collect()
            };
            waits.sort();
            waits.dedup();
            let own = group(&base(c), delete);
            waits.retain(|w| *w != own && left.contains_key(w));
            waiting[i] = waits.len();
            for w in waits {
                waiters.entry(w).or_default().push(i);
            }
        }
        let ready = (0..changes.len()).filter(|i| waiting[*i] == 0).collect();
        Schedule { waiting, left, waiters, ready, finished: 0 }
    }

    /// `c` finished successfully.
    fn done(&mut self, c: &Change) {
        self.finished += 1;
        let g = group(&base(c), c.action == Action::Delete);
        let left = self.left.entry(g.clone()).or_default();
        *left = left.saturating_sub(1);
        if *left == 0 {
            for i in self.waiters.remove(&g).unwrap_or_default() {
                self.waiting[i] -= 1;
                if self.waiting[i] == 0 {
                    self.ready.push_back(i);
                }
            }
        }
    }
}

/// What an apply keeps while it runs.
struct Applying<'a> {
    cfg: &'a Config,
    plan: &'a Plan,
    providers: &'a Providers,
    scopes: scopes::Scopes<'a>,
    schedule: Schedule,
    sum: Summary,
    errors: Vec<String>,
    /// When each running change started, and when it last said so.
    started: HashMap<usize, (Instant, Instant)>,
}

impl Applying<'_> {
    /// A change with nothing to do remotely: its value is made known to
    /// what reads it and its record kept current. False for other changes.
    fn settle_noop(&mut self, c: &Change, state: &mut State) -> Result<bool, Error> {
        if c.action != Action::NoOp {
            return Ok(false);
        }
        if c.is_data() {
            set_instance(self.scopes.get(&c.module), &c.type_name, &c.name, &c.key, c.after.clone());
        } else {
            self.sum.imported += usize::from(c.importing.is_some());
            set_instance(self.scopes.get(&c.module), &c.type_name, &c.name, &c.key, c.before.clone());
            // The record (its dependencies) is kept current in memory and
            // written with the final snapshot.
            let (source, _) = self.providers.get(&c.provider)?;
            let e = entry(c, source, &c.before, &c.private)?;
            state.put_instance(&e.resource, &e.key, e.instance);
        }
        self.schedule.done(c);
        Ok(true)
    }

    /// `c`'s configuration, evaluated now that what it depends on is applied.
    fn config_for(&mut self, c: &Change) -> Result<Value, Error> {
        if c.action == Action::Delete {
            return Ok(Value::Null);
        }
        let r = self
            .cfg
            .module(&c.module)
            .and_then(|m| m.resources.iter().find(|r| r.address() == c.base()))
            .ok_or_else(|| Error::Provider(format!("{} is not in the configuration", c.address())))?;
        self.scopes.prepare(&c.module, &r.expressions());
        let scope = self.scopes.get(&c.module);
        if let Some((name, v)) = repeat_now(r, c, scope) {
            scope.extra.insert(name, v);
        }
        let pre = crate::conditions::check(r, crate::conditions::When::Pre, &c.address(), scope);
        let config = pre.and_then(|_| resource_config(r, &c.schema, scope));
        scope.extra.remove("count");
        scope.extra.remove("each");
        config
    }

    /// Records what a finished operation did: its journal entries (into
    /// `batch`), the summary, the values dependents read, and whether the
    /// change is done (its postconditions hold) or failed.
    fn record(&mut self, o: Outcome, batch: &mut Vec<Entry>, completed: &mut Vec<String>) -> Result<(), Error> {
        let c = &self.plan.changes[o.idx];
        let took = self.started.remove(&o.idx).map(|(t, _)| t.elapsed()).unwrap_or_default();
        let (source, _) = self.providers.get(&c.provider)?;
        for (value, private) in o.steps.iter().filter(|_| !c.is_data()) {
            batch.push(entry(c, source, value, private)?);
        }
        let created = o.steps.iter().any(|(v, _)| !v.is_null());
        let deleted = o.steps.iter().any(|(v, _)| v.is_null())
            || (c.create_before_destroy && c.action == Action::Replace && o.error.is_none());
        self.sum.destroyed += usize::from(deleted);
        if created && !c.is_data() {
            if c.action == Action::Update {
                self.sum.changed += 1;
            } else {
                self.sum.added += 1;
            }
        }
        if let Some((v, _)) = o.steps.last().filter(|(v, _)| !v.is_null()) {
            set_instance(self.scopes.get(&c.module), &c.type_name, &c.name, &c.key, v.clone());
        }
        let after = o.steps.last().map(|(v, _)| v.clone()).unwrap_or(Value::Null);
        // The object is saved either way; what depends on it waits for its postconditions.
        match o.error.or_else(|| postconditions_now(self.cfg, c, &after, &mut self.scopes).err()) {
            Some(e) => self.errors.push(e.to_string()),
            None => {
                completed.extend(crate::progress::complete(c, took, &after));
                self.schedule.done(c);
            }
        }
        Ok(())
    }
}

/// The next operation to finish, saying meanwhile which are still running.
async fn next_finished(
    running: &mut Running<'_>,
    started: &mut HashMap<usize, (Instant, Instant)>,
    plan: &Plan,
    progress: &mut dyn FnMut(&str),
) -> Option<Outcome> {
    loop {
        let next_note = started.values().map(|(_, said)| *said + crate::progress::STILL_EVERY).min();
        let wait = next_note.map_or(crate::progress::STILL_EVERY, |t| t.saturating_duration_since(Instant::now()));
        tokio::select! {
            o = running.next() => return o,
            _ = tokio::time::sleep(wait) => {
                for (idx, (start, said)) in started.iter_mut() {
                    if said.elapsed() >= crate::progress::STILL_EVERY {
                        *said = Instant::now();
                        progress(&crate::progress::still(&plan.changes[*idx], start.elapsed()));
                    }
                }
            }
        }
    }
}

/// Applies `plan`, recording every completed operation in `state` (and on
/// durably in `store`).
#[allow(clippy::too_many_arguments, reason = "the run's parts, passed as borrowed")]
pub async fn apply(
    cfg: &Config,
    plan: &Plan,
    state: &mut State,
    store: &crate::backend::Store,
    providers: &Providers,
    root_scope: &mut Scope,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Summary, Error> {
    let mut run = Applying {
        cfg,
        plan,
        providers,
        scopes: scopes::Scopes::new(cfg, plan, std::mem::take(root_scope)),
        schedule: Schedule::new(&plan.changes),
        sum: Summary::default(),
        errors: Vec::new(),
        started: HashMap::new(),
    };
    let mut journal = Journal::new(store);
    let failpoint = crate::failpoint::Failpoint::from_env();
    let mut running: Running<'_> = FuturesUnordered::new();
    let cancelled = || opts.cancel.as_ref().is_some_and(|c| c.load(Ordering::SeqCst));
    let parallelism = opts.parallelism.max(1);
    loop {
        let (mut intents, mut launched) = (Vec::new(), Vec::new());
        while running.len() < parallelism && !cancelled() {
            let Some(idx) = run.schedule.ready.pop_front() else { break };
            let c = &plan.changes[idx];
            if run.settle_noop(c, state)? {
                continue;
            }
            match run.config_for(c) {
                Ok(config) => {
                    progress(&crate::progress::starting(c));
                    run.started.insert(idx, (Instant::now(), Instant::now()));
                    if matches!(c.action, Action::Create | Action::Replace) && !c.is_data() {
                        intents.push(intent(c, providers.get(&c.provider)?.0)?);
                    }
                    running.push(Box::pin(operate(providers, c, idx, config)));
                    launched.push(idx);
                }
                Err(e) => run.errors.push(e.to_string()),
            }
        }
        // Nothing runs until the creates about to start are on disk.
        journal.commit(state, intents)?;
        for idx in launched {
            failpoint.check(&plan.changes[idx].address(), "before-call");
            failpoint.started(&plan.changes[idx].address());
        }
        let Some(first) = next_finished(&mut running, &mut run.started, plan, progress).await else { break };
        // Everything else that finished meanwhile is made durable in the same write.
        let mut finished = vec![first];
        while let Some(Some(o)) = running.next().now_or_never() {
            finished.push(o);
        }
        // Reported complete only once on disk: a failed state write stops
        // the apply before anything else is said to be done.
        let (mut batch, mut completed) = (Vec::new(), Vec::new());
        for o in finished {
            failpoint.check(&plan.changes[o.idx].address(), "after-call");
            run.record(o, &mut batch, &mut completed)?;
        }
        journal.commit(state, batch)?;
        completed.iter().for_each(|line| progress(line));
    }
    // With -target the plan did not evaluate every output; keep the ones state has.
    if run.errors.is_empty() && !cancelled() && !plan.targeted {
        let root = crate::addrs::ModuleInstance::root();
        let mut exprs: Vec<&hcl::Expression> = cfg.outputs.values().map(|o| &o.value).collect();
        exprs.extend(cfg.checks.iter().flat_map(|c| c.asserts.iter().map(|a| &a.condition)));
        run.scopes.prepare(&root, &exprs);
        let scope = run.scopes.get(&root);
        write_outputs(cfg, plan, state, scope)?;
        run.sum.warnings = crate::conditions::checks(cfg, scope, providers, &Default::default()).await;
    }
    journal.snapshot(state)?;
    if !run.errors.is_empty() {
        return Err(Error::Apply(run.errors.join("\n\n")));
    }
    if !cancelled() && run.schedule.finished < plan.changes.len() {
        // Never report success for a plan that was not carried out.
        return Err(Error::Apply(format!(
            "{} of {} planned changes could not be ordered and were not applied; the state holds what was done",
            plan.changes.len() - run.schedule.finished,
            plan.changes.len()
        )));
    }
    if cancelled() {
        return Err(Error::Interrupted);
    }
    Ok(run.sum)
}

/// Checks `c`'s postconditions against the object it now has.
fn postconditions_now(cfg: &Config, c: &Change, after: &Value, scopes: &mut scopes::Scopes<'_>) -> Result<(), Error> {
    let Some(r) = cfg.module(&c.module).and_then(|m| m.resources.iter().find(|r| r.address() == c.base())) else {
        return Ok(());
    };
    if r.lifecycle.postconditions.is_empty() || c.action == Action::Delete {
        return Ok(());
    }
    let scope = scopes.get(&c.module);
    if let Some((name, v)) = repeat_now(r, c, scope) {
        scope.extra.insert(name, v);
    }
    let result = crate::plan::postconditions(r, &c.address(), after, scope);
    scope.extra.remove("count");
    scope.extra.remove("each");
    result
}

/// What `each` is for `c` now. A `for_each` whose keys were known but
/// whose values were not when planned is evaluated again, now that what it
/// reads has been applied.
fn repeat_now(r: &crate::config::Resource, c: &Change, scope: &Scope) -> Option<(String, Value)> {
    let planned = c.repeat_scope.clone();
    if planned.as_ref().is_none_or(|(_, v)| v.is_wholly_known()) {
        return planned;
    }
    let Ok(now) = crate::instance::instances(r, scope) else { return planned };
    now.into_iter().find(|(k, _)| *k == c.key).and_then(|(_, s)| s).or(planned)
}

/// Outputs, now that everything is known (none after a destroy).
fn write_outputs(cfg: &Config, plan: &Plan, state: &mut State, scope: &Scope) -> Result<(), Error> {
    state.outputs.clear();
    for (name, o) in cfg.outputs.iter().filter(|_| !plan.destroy) {
        let crate::lang::Val { v, ty, .. } = crate::lang::output(o, scope).map_err(|m| Error::config(&o.loc, m))?;
        if !v.is_null() {
            let mut out = serde_json::json!({"value": encode_json(&v, &ty)?, "type": ty.to_json()});
            if o.sensitive {
                out["sensitive"] = serde_json::Value::Bool(true);
            }
            state.outputs.insert(name.clone(), out);
        }
    }
    Ok(())
}
