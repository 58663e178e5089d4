//! The commands about where state lives: `init` (backend and providers),
//! `workspace`, `force-unlock`, `state pull` and `state push`.
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::args::{InputFlag, StateFlags, WorkspaceCommand};
use super::workflow::lock_options;
use aigw::backend::{Backend, current_workspace, select_workspace};

/// A yes/no question on the terminal (or a pipe); only `yes` is yes.
fn ask(input: &InputFlag, question: &str) -> Result<bool, aigw::Error> {
    use std::io::{BufRead, Write};
    if !input.input {
        return Err(aigw::Error::Backend {
            backend: "init".into(),
            message: format!("{question}\n-input=false forbids asking; add -force-copy to answer yes"),
        });
    }
    print!("\n{question}\n\n  Enter a value: ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim() == "yes")
}

/// `init`: the backend (recorded, and migrated to when it changed) and
/// every provider, found and started once.
pub async fn init(
    dir: &Path,
    state: &StateFlags,
    input: &InputFlag,
    opts: aigw::backend::init::InitOptions,
) -> anyhow::Result<i32> {
    let cfg = aigw::config::Config::load(dir)?;
    println!("Initializing the backend...");
    if state.state.is_none() {
        for line in aigw::backend::init::init_backend(&cfg, &opts, &mut |q| ask(input, q))? {
            println!("\n{line}");
        }
    } else if !opts.backend_config.is_empty() {
        anyhow::bail!("-backend-config and -state do not go together: -state names a local state file");
    }
    // The state must be readable (and its journal settled) before anything runs on it.
    let store = aigw::run::store_for(dir, state.state.as_deref())?;
    let (_, lock, _) = aigw::run::load_state(&store, &lock_options(state, "OperationTypeInvalid"))?;
    drop(lock);
    println!("\nInitializing provider plugins...");
    for (source, command) in aigw::discovery::check_all(&cfg)? {
        let client = command.launch().await.with_context(|| format!("starting provider {source}"))?;
        let _ = client.shutdown().await;
        let version = if command.is_built_in() { format!(" v{}", env!("CARGO_PKG_VERSION")) } else { String::new() };
        println!("- Using {source}{version} ({})", command.origin);
    }
    println!(
        "\naigw has been successfully initialized!\n\nYou may now begin working with aigw. Try running \"aigw plan\" to see\nany changes that are required for your infrastructure. All aigw commands\nshould now work."
    );
    Ok(0)
}

fn backend(dir: &Path) -> anyhow::Result<Backend> {
    let cfg = aigw::config::Config::load(dir)?;
    Ok(Backend::open(&cfg)?)
}

pub fn workspace(dir: &Path, command: WorkspaceCommand) -> anyhow::Result<i32> {
    let current = current_workspace(dir);
    match command {
        WorkspaceCommand::Show => println!("{current}"),
        WorkspaceCommand::List => {
            for w in backend(dir)?.workspaces()? {
                println!("{} {w}", if w == current { "*" } else { " " });
            }
        }
        WorkspaceCommand::New { state, name } => {
            if state.state.is_some() {
                anyhow::bail!("workspace new -state is not supported: workspaces live in the configured backend");
            }
            if std::env::var("TF_WORKSPACE").is_ok_and(|w| !w.is_empty()) {
                anyhow::bail!("the selected workspace is set by TF_WORKSPACE; unset it to create and select another");
            }
            backend(dir)?.create_workspace(&name)?;
            select_workspace(dir, &name)?;
            println!(
                "Created and switched to workspace \"{name}\"!\n\nYou're now on a new, empty workspace. Workspaces isolate their state,\nso if you run \"aigw plan\" aigw will not see any existing state\nfor this configuration."
            );
        }
        WorkspaceCommand::Select { or_create, name } => {
            let b = backend(dir)?;
            if !b.workspaces()?.contains(&name) {
                if !or_create {
                    let hint = aigw::error::did_you_mean(&name, b.workspaces()?.iter().map(String::as_str));
                    anyhow::bail!(
                        "Workspace {name:?} doesn't exist{hint}.\n\nYou can create this workspace with the \"new\" subcommand\nor include the \"-or-create\" flag with the \"select\" subcommand."
                    );
                }
                b.create_workspace(&name)?;
            }
            select_workspace(dir, &name)?;
            println!("Switched to workspace \"{name}\".");
        }
        WorkspaceCommand::Delete { state, force, name } => {
            if name == current {
                anyhow::bail!(
                    "Workspace {name:?} is your active workspace.\n\nYou cannot delete the currently active workspace. Please switch\nto another workspace and try again."
                );
            }
            backend(dir)?.delete_workspace(&name, force, &lock_options(&state, "OperationTypeInvalid"))?;
            println!("Deleted workspace \"{name}\"!");
        }
    }
    Ok(0)
}

pub fn force_unlock(dir: &Path, force: bool, id: &str) -> anyhow::Result<i32> {
    if !force {
        let question = format!(
            "Do you really want to force-unlock?\n  aigw will remove the lock {id} on the remote state.\n  This will allow local aigw and terraform commands to modify this state, even though it\n  may still be in use. Only 'yes' will be accepted to confirm."
        );
        if !ask(&InputFlag { input: true }, &question)? {
            println!("force-unlock cancelled.");
            return Ok(1);
        }
    }
    let said = backend(dir)?.force_unlock(&current_workspace(dir), id)?;
    println!("aigw state has been successfully unlocked! ({said})");
    Ok(0)
}

/// `state pull`: the state exactly as its backend holds it.
pub fn pull(dir: &Path) -> anyhow::Result<i32> {
    let store = aigw::run::store_for(dir, None)?;
    let state = aigw::run::read_state(&store)?;
    if state.serial == 0 && state.resources.is_empty() {
        return Ok(0);
    }
    println!("{}", serde_json::to_string_pretty(&state)?);
    Ok(0)
}

/// `state push`: replaces the state, refusing an unrelated or older one
/// unless `force`, as Terraform does.
pub fn push(dir: &Path, state: &StateFlags, force: bool, path: &PathBuf) -> anyhow::Result<i32> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        let p = if path.is_absolute() { path.clone() } else { dir.join(path) };
        std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?
    };
    let pushed = aigw::state::State::parse(path, &text)?;
    let store = aigw::run::store_for(dir, state.state.as_deref())?;
    let (current, _lock, pending) = aigw::run::load_state(&store, &lock_options(state, "OperationTypeInvalid"))?;
    if !pending.is_empty() {
        anyhow::bail!("an interrupted apply left creates to settle on this state; run aigw plan first");
    }
    let existing = !(current.serial == 0 && current.resources.is_empty());
    if existing && !force {
        if pushed.lineage != current.lineage {
            anyhow::bail!(
                "cannot import state with lineage {:?} over unrelated state with lineage {:?} (use -force to replace it)",
                pushed.lineage,
                current.lineage
            );
        }
        if pushed.serial < current.serial {
            anyhow::bail!(
                "cannot import state with serial {} over newer state with serial {} (use -force to replace it)",
                pushed.serial,
                current.serial
            );
        }
    }
    let mut next = pushed;
    next.serial = next.serial.max(current.serial);
    store.save(&mut next)?;
    Ok(0)
}
