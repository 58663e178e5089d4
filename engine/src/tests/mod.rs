//! The planner's and applier's tests: real configurations in a temporary
//! directory, planned and applied through [`Run`] against the in-process
//! [`Memory`] provider, with the state file on disk as the CLI keeps it.
mod applier;
mod conditions;
mod modules;
mod planner;
mod refactoring;

use std::sync::Arc;

use crate::apply::{ApplyOptions, Summary};
use crate::plan::{Action, Options, Plan};
use crate::providers::memory::Memory;
use crate::providers::{InProcess, Launcher, Provider};
use crate::run::Run;
use crate::state::State;

fn failure(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// A configuration directory and the world its provider manages.
struct Harness {
    pub(super) dir: tempfile::TempDir,
    mem: Memory,
}

impl Harness {
    fn new(tf: &str) -> Result<Harness, String> {
        let h = Harness { dir: tempfile::tempdir().map_err(failure)?, mem: Memory::new() };
        h.write(tf)?;
        Ok(h)
    }

    fn write(&self, tf: &str) -> Result<(), String> {
        self.write_file("main.tf", tf)
    }

    /// Writes `path` (relative to the configuration), making its directory.
    fn write_file(&self, path: &str, text: &str) -> Result<(), String> {
        let p = self.dir.path().join(path);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).map_err(failure)?;
        }
        std::fs::write(p, text).map_err(failure)
    }

    fn options(&self) -> Options {
        let mem = self.mem.clone();
        let make = move |_: &str| Ok(Box::new(InProcess(mem.clone())) as Box<dyn Provider>);
        Options { refresh: true, parallelism: 10, launcher: Launcher::InProcess(Arc::new(make)), ..Options::default() }
    }

    async fn plan_with(&self, opts: &Options) -> Result<Plan, String> {
        let mut run = Run::open(self.dir.path(), opts).await.map_err(failure)?;
        let plan = run.plan(opts).await;
        run.close().await;
        plan.map_err(failure)
    }

    async fn plan(&self) -> Result<Plan, String> {
        self.plan_with(&self.options()).await
    }

    /// Plans and applies as `aigw apply -auto-approve` does.
    async fn apply_with(&self, opts: &Options) -> Result<(Plan, Summary), String> {
        let mut run = Run::open(self.dir.path(), opts).await.map_err(failure)?;
        let result = async {
            let plan = run.plan(opts).await.map_err(failure)?;
            run.forget_gone(&plan).map_err(failure)?;
            let mut sum = Summary::default();
            if plan.has_changes() {
                let apply_opts = ApplyOptions { parallelism: opts.parallelism, cancel: None };
                sum = run.apply(&plan, &apply_opts, &mut |_| {}).await.map_err(failure)?;
            }
            Ok((plan, sum))
        }
        .await;
        run.close().await;
        result
    }

    async fn apply(&self) -> Result<(Plan, Summary), String> {
        self.apply_with(&self.options()).await
    }

    fn state(&self) -> Result<State, String> {
        State::load(&self.dir.path().join("terraform.tfstate")).map_err(failure)
    }

    /// The operations the provider did, in order, since the last call.
    fn log(&self) -> Vec<String> {
        std::mem::take(&mut self.mem.world().log)
    }

    /// The attribute `attr` of the remote object named `name`.
    fn remote(&self, name: &str, attr: &str) -> Result<tfplugin::Value, String> {
        let o = self.mem.by_name(name).ok_or_else(|| format!("no remote object named {name}"))?;
        Ok(o.attr(attr).clone())
    }
}

/// The plan's changes other than no-ops, as `+ mem_thing.a`.
fn actions(p: &Plan) -> Vec<String> {
    p.changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| format!("{} {}", c.action.symbol(), c.address()))
        .collect()
}

fn expect_eq<T: PartialEq + std::fmt::Debug>(got: T, want: T, what: &str) -> Result<(), String> {
    if got == want { Ok(()) } else { Err(format!("{what}: got {got:?}, want {want:?}")) }
}

fn expect(cond: bool, what: impl std::fmt::Display) -> Result<(), String> {
    if cond { Ok(()) } else { Err(what.to_string()) }
}
