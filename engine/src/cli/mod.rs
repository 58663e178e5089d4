//! The `aigw` command line. [`args`] holds its shape; this module maps
//! Terraform's spellings (`-auto-approve`, `-chdir=DIR`, `-version`) to
//! clap's and back in help and errors, sets up logging, and dispatches.
//! [`workflow`], [`inspect`] and [`serve`] run the commands.
mod args;
mod backend;
mod inspect;
mod serve;
mod workflow;

use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser};

use args::{Cli, Command};

/// Terraform spells flags with one dash (`-auto-approve`) and puts
/// `-chdir=DIR` and `-version` before the command; clap wants two dashes.
fn terraform_args(raw: impl Iterator<Item = String>) -> (Option<PathBuf>, Vec<String>) {
    let mut chdir = None;
    let mut out = Vec::new();
    for (i, a) in raw.enumerate() {
        if let Some(d) = a.strip_prefix("-chdir=").or_else(|| a.strip_prefix("--chdir=")) {
            chdir = Some(PathBuf::from(d));
        } else if out.len() == 1 && matches!(a.as_str(), "-version" | "--version" | "-v") {
            out.push("version".to_string());
        } else if i > 0 && a.starts_with('-') && !a.starts_with("--") && a.len() > 2 {
            out.push(format!("-{a}"));
        } else {
            out.push(a);
        }
    }
    (chdir, out)
}

/// clap's text with flags spelled as the user spells them: `-var`, not `--var`.
fn single_dash(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts_flag = chars[i] == '-'
            && chars.get(i + 1) == Some(&'-')
            && chars.get(i + 2).is_some_and(|c| c.is_ascii_alphabetic())
            && (i == 0 || matches!(chars[i - 1], ' ' | '\'' | '`' | '"' | '[' | '(' | '<' | '\n' | ','));
        if starts_flag {
            i += 1;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn init_logging(no_color: bool) {
    let ansi = !no_color && std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("AIGW_LOG").unwrap_or_else(|_| "warn".into()))
        .init();
}

/// Runs the command line; returns the exit code.
pub fn main() -> i32 {
    let (chdir, args) = terraform_args(std::env::args());
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let text = single_dash(&e.render().to_string());
            // Help and version are answers; anything else is a usage error (1, as Terraform).
            return if e.use_stderr() {
                eprint!("{text}");
                1
            } else {
                print!("{text}");
                0
            };
        }
    };
    init_logging(cli.no_color);
    // As terraform does: -chdir switches the working directory, so paths
    // (file(), -var-file, -out) are relative to it.
    if let Some(d) = &chdir
        && let Err(e) = std::env::set_current_dir(d)
    {
        eprintln!("Error handling -chdir option: chdir {}: {e}", d.display());
        return 1;
    }
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: cannot start: {e}");
            return 1;
        }
    };
    rt.block_on(dispatch(Path::new("."), cli.command)).unwrap_or_else(|e| {
        eprintln!("\nError: {e:#}");
        1
    })
}

async fn dispatch(dir: &Path, command: Command) -> anyhow::Result<i32> {
    use workflow::{options, planning_options};
    match command {
        Command::Init { state, input, backend_config, migrate_state, force_copy, reconfigure } => {
            let opts = aigw::backend::init::InitOptions {
                backend_config,
                migrate_state,
                force_copy,
                reconfigure,
                lock: workflow::lock_options(&state, "OperationTypeInvalid"),
            };
            backend::init(dir, &state, &input, opts).await
        }
        Command::Workspace { command } => backend::workspace(dir, command),
        Command::ForceUnlock { force, id } => backend::force_unlock(dir, force, &id),
        Command::Validate { json } => inspect::validate(dir, json).await,
        Command::Plan { planning, change, detailed_exitcode, destroy, out, json, generate_config_out } => {
            let mut opts = planning_options(dir, &planning, Some(&change), "OperationTypePlan")?;
            opts.destroy = destroy;
            if let Some(file) = &generate_config_out
                && aigw::generate::write(dir, &opts, file).await? > 0
                && !json
            {
                println!("Generated the configuration of the imported objects in {}.\n", file.display());
            }
            workflow::plan(dir, opts, detailed_exitcode, out, json).await
        }
        Command::Apply { planning, change, auto_approve, destroy, plan_file } => {
            let mut opts = planning_options(dir, &planning, Some(&change), "OperationTypeApply")?;
            opts.destroy = destroy;
            workflow::apply(dir, opts, auto_approve, &planning.input, plan_file).await
        }
        Command::Destroy { planning, refresh, auto_approve } => {
            let mut opts = planning_options(dir, &planning, None, "OperationTypeApply")?;
            opts.destroy = true;
            opts.refresh = refresh;
            workflow::apply(dir, opts, auto_approve, &planning.input, None).await
        }
        Command::Import { vars, state, address, id, .. } => {
            let opts = options(dir, &vars, &state, None, None, "OperationTypeImport")?;
            workflow::import(dir, opts, &address, &id).await
        }
        Command::Refresh { planning } => {
            let opts = planning_options(dir, &planning, None, "OperationTypeRefresh")?;
            workflow::refresh(dir, opts).await
        }
        Command::Show { json, plan_file } => inspect::show(dir, json, plan_file),
        Command::Output { json, raw, state, name } => inspect::output(dir, json, raw, state, name),
        Command::State { command } => inspect::state(dir, command),
        Command::Console { vars, state } => inspect::console(dir, &vars, state),
        Command::Graph => inspect::graph(dir),
        Command::Fmt { check, diff, recursive, list, write, paths } => {
            inspect::fmt(dir, &inspect::FmtMode { check, diff, recursive, list, write }, paths)
        }
        Command::Version { json } => inspect::version(dir, json),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "aigw", &mut std::io::stdout());
            Ok(0)
        }
        Command::Test { dir: test_dir, filter, json, junit_xml, report, verbose } => {
            serve::test(dir, serve::TestArgs { dir: test_dir, filter, json, junit_xml, report, verbose }).await
        }
        Command::Dev { dir: dev_dir, listen, real, upstreams, vars } => {
            let dir = if dev_dir.is_absolute() { dev_dir } else { dir.join(dev_dir) };
            let mut map = std::collections::BTreeMap::new();
            for v in &vars.vars {
                let (k, val) = v.split_once('=').ok_or_else(|| anyhow::anyhow!("-var {v:?}: expected NAME=VALUE"))?;
                map.insert(k.to_string(), val.to_string());
            }
            let opts = aigw::dev::DevOptions { listen, real, upstreams: upstreams.into_iter().collect(), vars: map };
            serve::dev(&dir, opts).await
        }
        Command::Emulator {
            listen,
            data_dir,
            api_token,
            real,
            upstreams,
            faults,
            cache_max_bytes,
            api_latency,
            api_write_latency,
            logpush,
            seed,
            max_gateways,
            ..
        } => {
            let config = aigw_emulator::Config {
                api_token,
                data_dir,
                simulate: !real,
                upstreams: upstreams.into_iter().collect(),
                faults,
                cache_max_bytes: Some(cache_max_bytes),
                api_latency,
                api_write_latency,
                logpush,
                seed: Some(seed),
                max_gateways,
            };
            serve::emulator(listen, config).await
        }
        Command::Provider { debug } => serve::provider(debug).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_spelled_with_one_dash_in_help_and_errors() {
        assert_eq!(single_dash("  --var <NAME=VALUE>  Set"), "  -var <NAME=VALUE>  Set");
        assert_eq!(single_dash("unexpected argument '--bogus' found"), "unexpected argument '-bogus' found");
        assert_eq!(single_dash("a--b and -- alone"), "a--b and -- alone");
        let (chdir, args) =
            terraform_args(["aigw", "-chdir=x", "plan", "-var", "a=-1", "-no-color"].map(String::from).into_iter());
        assert_eq!(chdir, Some(PathBuf::from("x")));
        assert_eq!(args, ["aigw", "plan", "--var", "a=-1", "--no-color"]);
        let (_, args) = terraform_args(["aigw", "-version", "-json"].map(String::from).into_iter());
        assert_eq!(args, ["aigw", "version", "--json"]);
    }

    #[test]
    fn every_flag_and_argument_has_a_description() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for a in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
                if a.get_help().is_none() && !matches!(a.get_id().as_str(), "help" | "version") {
                    missing.push(format!("{path} {}", a.get_id()));
                }
            }
            for s in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
                walk(s, &format!("{path} {}", s.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "aigw", &mut missing);
        assert!(missing.is_empty(), "no description: {missing:?}");
        Cli::command().debug_assert();
    }
}
