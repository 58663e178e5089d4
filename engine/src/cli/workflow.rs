//! The commands that plan and change things: `plan`, `apply`, `destroy`,
//! `import`, `refresh`. They turn flags into [`aigw::plan::Options`], run
//! the engine, and print what Terraform prints (progress lines, the
//! summary, `Outputs:`).
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;

use super::args::{ChangeFlags, InputFlag, PlanningFlags, StateFlags, VarFlags};

/// `-var` and `-var-file` in command-line order (Terraform applies them in
/// that order; clap collects them apart).
fn var_args(v: &VarFlags) -> anyhow::Result<Vec<aigw::variables::VarArg>> {
    use aigw::variables::VarArg;
    let mut out = Vec::new();
    let (mut vars, mut files) = (v.vars.iter(), v.var_files.iter());
    for a in std::env::args() {
        let a = a.trim_start_matches('-');
        if a == "var" || a.starts_with("var=") {
            if let Some(v) = vars.next() {
                let (k, val) = v.split_once('=').with_context(|| format!("-var {v:?}: expected NAME=VALUE"))?;
                out.push(VarArg::Var(k.to_string(), val.to_string()));
            }
        } else if (a == "var-file" || a.starts_with("var-file="))
            && let Some(f) = files.next()
        {
            out.push(VarArg::File(f.clone()));
        }
    }
    Ok(out)
}

pub fn state_path(dir: &Path, given: Option<PathBuf>) -> PathBuf {
    match given {
        Some(p) if p.is_absolute() => p,
        Some(p) => dir.join(p),
        None => dir.join("terraform.tfstate"),
    }
}

/// The state a command reads: the `-state` file, or the configured
/// backend's current workspace.
pub fn store(dir: &Path, given: Option<PathBuf>) -> anyhow::Result<aigw::backend::Store> {
    let file = given.map(|p| state_path(dir, Some(p)));
    Ok(aigw::run::store_for(dir, file.as_deref())?)
}

pub fn lock_options(s: &StateFlags, operation: &'static str) -> aigw::lock::LockOptions {
    aigw::lock::LockOptions { enabled: s.lock, timeout: s.lock_timeout, operation }
}

/// The engine's options for a command with these flags.
pub fn options(
    dir: &Path,
    vars: &VarFlags,
    state: &StateFlags,
    planning: Option<&PlanningFlags>,
    change: Option<&ChangeFlags>,
    operation: &'static str,
) -> anyhow::Result<aigw::plan::Options> {
    let targets = planning.map(|p| p.targets.clone()).unwrap_or_default();
    let replace = change.map(|c| c.replace.clone()).unwrap_or_default();
    for t in targets.iter().chain(&replace) {
        aigw::commands::parse_address(t)?;
    }
    Ok(aigw::plan::Options {
        refresh: change.is_none_or(|c| c.refresh),
        var_args: var_args(vars)?,
        targets,
        replace,
        parallelism: planning.map_or(10, |p| p.parallelism.max(1)),
        lock: lock_options(state, operation),
        state_path: state.state.clone().map(|p| state_path(dir, Some(p))),
        ..Default::default()
    })
}

pub fn planning_options(
    dir: &Path,
    p: &PlanningFlags,
    change: Option<&ChangeFlags>,
    operation: &'static str,
) -> anyhow::Result<aigw::plan::Options> {
    options(dir, &p.vars, &p.state, Some(p), change, operation)
}

/// Terraform's prompt; `yes` may come from a pipe. Without input allowed,
/// or at the end of input, nothing is approved.
fn confirm(destroy: bool, input: &InputFlag) -> anyhow::Result<bool> {
    use std::io::{BufRead, Write};
    if !input.input {
        anyhow::bail!(
            "{} needs approval and -input=false forbids asking for it; add -auto-approve to approve in advance",
            if destroy { "destroy" } else { "apply" }
        );
    }
    if destroy {
        print!(
            "\nDo you really want to destroy all resources?\n  aigw will destroy all your managed infrastructure, as shown above.\n  There is no undo. Only 'yes' will be accepted to confirm.\n\n  Enter a value: "
        );
    } else {
        print!(
            "\nDo you want to perform these actions?\n  aigw will perform the actions described above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
        );
    }
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        println!("{}", line.trim_end());
    }
    Ok(line.trim() == "yes")
}

/// Ctrl-C and SIGTERM: the first stops new operations (apply finishes the
/// running ones and saves); the second exits at once (the journal keeps
/// every completed operation).
fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    tokio::spawn(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        loop {
            let term_recv = async {
                match term.as_mut() {
                    Some(t) => {
                        t.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term_recv => {}
            }
            if f.swap(true, Ordering::SeqCst) {
                eprintln!("\nTwo interrupts received. Exiting immediately.");
                std::process::exit(1);
            }
            eprintln!("\nInterrupt received. Waiting for running operations to finish; the state will be saved.");
        }
    });
    flag
}

pub async fn plan(
    dir: &Path,
    opts: aigw::plan::Options,
    detailed_exitcode: bool,
    out: Option<PathBuf>,
    json: bool,
) -> anyhow::Result<i32> {
    let mut run = aigw::run::Run::open(dir, &opts).await?;
    let result = run.plan(&opts).await;
    let result = result.and_then(|plan| {
        if json {
            println!("{}", run.plan_json(&plan));
        } else {
            print!("{}", aigw::render::plan_text(&plan));
        }
        if let Some(path) = &out {
            aigw::planfile::SavedPlan::new(dir, &plan, &opts, run.plan_json(&plan))?.save(path)?;
            if !json {
                println!(
                    "\nSaved the plan to: {}\n\nTo perform exactly these actions, run:\n    aigw apply {}",
                    path.display(),
                    path.display()
                );
            }
        }
        Ok(plan)
    });
    run.close().await;
    let plan = result?;
    Ok(if detailed_exitcode && plan.has_changes() { 2 } else { 0 })
}

pub async fn apply(
    dir: &Path,
    mut opts: aigw::plan::Options,
    auto_approve: bool,
    input: &InputFlag,
    plan_file: Option<PathBuf>,
) -> anyhow::Result<i32> {
    let saved = match &plan_file {
        Some(p) => {
            let p = if p.is_absolute() { p.clone() } else { dir.join(p) };
            let s = aigw::planfile::SavedPlan::load(&p)?;
            opts = s.options(&opts);
            Some((p, s))
        }
        None => None,
    };
    let cancel = interrupt_flag();
    let mut run = aigw::run::Run::open(dir, &opts).await?;
    let result = async {
        if let Some((p, s)) = &saved {
            s.adopt_into_fresh(&mut run.state);
            s.check_current(p, dir, &run.state.lineage, run.state.serial)?;
        }
        let plan = run.plan(&opts).await?;
        if let Some((p, s)) = &saved {
            s.check_same(p, &plan)?;
        } else {
            print!("{}", aigw::render::plan_text(&plan));
        }
        let mut sum = aigw::apply::Summary::default();
        run.forget_gone(&plan)?;
        if plan.has_changes() {
            // A saved plan was reviewed when it was made.
            if saved.is_none() && !auto_approve && !confirm(opts.destroy, input)? {
                println!("\n{} cancelled.", if opts.destroy { "Destroy" } else { "Apply" });
                return Ok(1);
            }
            println!();
            let apply_opts = aigw::apply::ApplyOptions { parallelism: opts.parallelism, cancel: Some(cancel.clone()) };
            sum = run.apply(&plan, &apply_opts, &mut |line| println!("{line}")).await?;
        }
        if opts.destroy {
            println!("\nDestroy complete! Resources: {} destroyed.", sum.destroyed);
        } else {
            let imported = if sum.imported > 0 { format!("{} imported, ", sum.imported) } else { String::new() };
            println!(
                "\nApply complete! Resources: {imported}{} added, {} changed, {} destroyed.",
                sum.added, sum.changed, sum.destroyed
            );
        }
        print!("{}", aigw::render::warnings(&sum.warnings));
        let outputs = aigw::commands::outputs(&run.state, None, false, false)?;
        if !opts.destroy && !outputs.is_empty() {
            print!("\nOutputs:\n\n{outputs}");
        }
        Ok::<i32, anyhow::Error>(0)
    }
    .await;
    run.close().await;
    result
}

pub async fn import(dir: &Path, opts: aigw::plan::Options, address: &str, id: &str) -> anyhow::Result<i32> {
    aigw::commands::import(dir, &opts, address, id).await?;
    println!(
        "{address}: Importing from ID \"{id}\"...\n{address}: Import prepared!\n{address}: Refreshing state... [id={id}]\n\nImport successful!\n\nThe resources that were imported are shown above. These resources are now in\nyour aigw state and will henceforth be managed by aigw."
    );
    Ok(0)
}

pub async fn refresh(dir: &Path, opts: aigw::plan::Options) -> anyhow::Result<i32> {
    for note in aigw::commands::refresh(dir, &opts).await? {
        println!("{note}");
    }
    println!("Refresh complete: the state now records what the remote objects hold.");
    Ok(0)
}
