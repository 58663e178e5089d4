//! The commands that read and report: `validate`, `show`,
//! `output`, `state`, `graph`, `fmt`, `console`, `version`.
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::args::{StateCommand, StateFlags, VarFlags};
use super::workflow::{lock_options, options, store};

/// Everything `validate` checks. A configuration that cannot be read stops
/// at its first error; past that, every error is reported.
async fn check_config(dir: &Path) -> Vec<aigw::Error> {
    let cfg = match aigw::config::Config::load(dir) {
        Ok(c) => c,
        Err(e) => return vec![e],
    };
    let mut errors = Vec::new();
    if let Err(e) = aigw::graph::sorted(&cfg) {
        errors.push(e);
    }
    for v in cfg.variables.values() {
        if let Some(t) = &v.type_expr
            && let Err(m) = aigw::variables::type_of(t)
        {
            errors.push(aigw::Error::config(&v.loc, m));
        }
    }
    if let Err(e) = aigw::backend::Settings::check(&cfg) {
        errors.push(e);
    }
    if let Err(e) = aigw::discovery::check_all(&cfg) {
        errors.push(e);
        return errors;
    }
    errors.extend(aigw::providers::Providers::validate(&cfg, &Default::default()).await);
    errors
}

pub async fn validate(dir: &Path, json: bool) -> anyhow::Result<i32> {
    let errors = check_config(dir).await;
    if json {
        let refs: Vec<&aigw::Error> = errors.iter().collect();
        println!("{}", serde_json::to_string_pretty(&aigw::error::validate_json(&refs))?);
        return Ok(i32::from(!errors.is_empty()));
    }
    if errors.is_empty() {
        println!("Success! The configuration is valid.");
        return Ok(0);
    }
    for e in &errors {
        eprintln!("\nError: {e}");
    }
    Ok(1)
}

pub fn show(dir: &Path, json: bool, plan_file: Option<PathBuf>) -> anyhow::Result<i32> {
    if let Some(p) = plan_file {
        let p = if p.is_absolute() { p } else { dir.join(p) };
        let saved = aigw::planfile::SavedPlan::load(&p)?;
        if json {
            println!("{}", saved.json);
        } else {
            for (addr, actions) in &saved.actions {
                println!("{addr}: {}", actions.join(", "));
            }
        }
        return Ok(0);
    }
    let state = aigw::run::read_state(&store(dir, None)?)?;
    if json {
        println!("{}", aigw::json::state_json(&state));
    } else if state.resources.is_empty() {
        println!("No state.");
    } else {
        for addr in aigw::commands::list(&state) {
            println!("{}", aigw::commands::show(&state, &addr)?);
        }
        let outputs = aigw::commands::outputs(&state, None, false, false)?;
        if !outputs.is_empty() {
            print!("\nOutputs:\n\n{outputs}");
        }
    }
    Ok(0)
}

pub fn output(dir: &Path, json: bool, raw: bool, state: Option<PathBuf>, name: Option<String>) -> anyhow::Result<i32> {
    let state = aigw::run::read_state(&store(dir, state)?)?;
    print!("{}", aigw::commands::outputs(&state, name.as_deref(), json, raw)?);
    Ok(0)
}

pub fn state(dir: &Path, command: StateCommand) -> anyhow::Result<i32> {
    match command {
        StateCommand::List { state, addresses } => {
            let state = aigw::run::read_state(&store(dir, state.state)?)?;
            for a in aigw::commands::list(&state) {
                if addresses.is_empty() || addresses.iter().any(|x| a == *x || a.starts_with(&format!("{x}["))) {
                    println!("{a}");
                }
            }
        }
        StateCommand::Show { state, address } => {
            let state = aigw::run::read_state(&store(dir, state.state)?)?;
            print!("{}", aigw::commands::show(&state, &address)?);
        }
        StateCommand::Rm { state, addresses } => {
            let lock = lock_options(&state, "OperationTypeInvalid");
            let removed = aigw::commands::rm(&store(dir, state.state)?, &addresses, &lock)?;
            for r in &removed {
                println!("Removed {r}");
            }
            println!("Successfully removed {} resource instance(s).", removed.len());
        }
        StateCommand::Mv { state, source, destination } => {
            let lock = lock_options(&state, "OperationTypeInvalid");
            aigw::commands::mv(&store(dir, state.state)?, &source, &destination, &lock)?;
            println!("Move \"{source}\" to \"{destination}\"\nSuccessfully moved 1 object(s).");
        }
        StateCommand::Pull => return super::backend::pull(dir),
        StateCommand::Push { state, force, path } => return super::backend::push(dir, &state, force, &path),
    }
    Ok(0)
}

pub fn graph(dir: &Path) -> anyhow::Result<i32> {
    let cfg = aigw::config::Config::load(dir)?;
    print!("{}", aigw::commands::graph_dot(&cfg)?);
    Ok(0)
}

/// What `fmt` does with the files it finds.
pub struct FmtMode {
    pub check: bool,
    pub diff: bool,
    pub recursive: bool,
    pub list: bool,
    pub write: bool,
}

fn fmt_files(root: &Path, recursive: bool, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(root)
        .with_context(|| format!("reading {}", root.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let hidden = p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if p.is_dir() && recursive && !hidden {
            fmt_files(&p, recursive, out)?;
        } else if p.extension().is_some_and(|x| x == "tf" || x == "tfvars") {
            out.push(p);
        }
    }
    Ok(())
}

/// `fmt`: exit 3 with `-check` when a file is not formatted (Terraform's code).
pub fn fmt(dir: &Path, mode: &FmtMode, paths: Vec<PathBuf>) -> anyhow::Result<i32> {
    let roots =
        if paths.is_empty() { vec![dir.to_path_buf()] } else { paths.into_iter().map(|p| dir.join(p)).collect() };
    let mut files = Vec::new();
    for r in roots {
        if r.is_dir() {
            fmt_files(&r, mode.recursive, &mut files)?;
        } else {
            files.push(r);
        }
    }
    let mut unformatted = 0;
    let mut broken = 0;
    for f in files {
        let src = std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?;
        // Never rewrite a file that does not parse: formatting must not lose anything.
        // As with terraform fmt, the other files are still formatted (exit 2).
        if let Err(e) = aigw::config::parse(&f.display().to_string(), &src) {
            eprintln!("Error: {e}");
            broken += 1;
            continue;
        }
        let out = aigw::fmt::format(&src);
        if out == src {
            continue;
        }
        unformatted += 1;
        if mode.list {
            println!("{}", f.strip_prefix(dir).unwrap_or(&f).display());
        }
        if mode.diff {
            for c in similar::TextDiff::from_lines(&src, &out).iter_all_changes() {
                print!("{}{c}", c.tag());
            }
        }
        if mode.write && !mode.check {
            std::fs::write(&f, out).with_context(|| format!("writing {}", f.display()))?;
        }
    }
    Ok(if broken > 0 {
        2
    } else if mode.check && unformatted > 0 {
        3
    } else {
        0
    })
}

/// `console`: interactive with a prompt on a terminal; from a pipe, every
/// line is evaluated and the last result printed, as Terraform does.
pub fn console(dir: &Path, vars: &VarFlags, state: Option<PathBuf>) -> anyhow::Result<i32> {
    use std::io::{BufRead, IsTerminal, Write};
    let no_lock = StateFlags { state: None, lock: false, lock_timeout: std::time::Duration::ZERO };
    let opts = options(dir, vars, &no_lock, None, None, "OperationTypeInvalid")?;
    let console = aigw::console::Console::open(dir, &opts.var_args, &store(dir, state)?)?;
    let interactive = std::io::stdin().is_terminal();
    let mut last = None;
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    loop {
        if interactive {
            print!("> ");
            std::io::stdout().flush()?;
        }
        let Some(line) = lines.next().transpose()? else { break };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if interactive && (line == "exit" || line == "quit") {
            break;
        }
        match console.eval(line) {
            Ok(text) if interactive => println!("{text}"),
            Ok(text) => last = Some(text),
            Err(e) if interactive => eprintln!("Error: {e}"),
            Err(e) => anyhow::bail!("{e}"),
        }
    }
    if let Some(text) = last {
        println!("{text}");
    }
    Ok(0)
}

pub fn version(dir: &Path, json: bool) -> anyhow::Result<i32> {
    let platform = format!("{}_{}", std::env::consts::OS, aigw::discovery::go_arch());
    let version = env!("CARGO_PKG_VERSION");
    let mut selections = serde_json::Map::new();
    if let Ok(cfg) = aigw::config::Config::load(dir)
        && let Ok(found) = aigw::discovery::check_all(&cfg)
    {
        for (source, command) in found {
            let v = if command.is_built_in() { version.to_string() } else { command.origin };
            selections.insert(source, v.into());
        }
    }
    if json {
        let doc = serde_json::json!({
            "aigw_version": version,
            "platform": platform,
            "provider_selections": selections,
            "terraform_outdated": false,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        println!("aigw v{version}\non {platform}\n+ provider {} v{version} (built in)", aigw::discovery::BUILT_IN);
    }
    Ok(0)
}
