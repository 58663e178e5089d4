//! The `aigw` command line: Terraform's workflow (`validate`, `plan`,
//! `apply`, `destroy`, `import`, `show`, `output`, `state`, `refresh`,
//! `graph`, `fmt`, with Terraform's flags and exit codes) over the aigw
//! engine, `aigw test` and `aigw dev`, and `aigw emulator`.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "aigw", version, about = "Cloudflare AI Gateway as code, tested locally")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (n, unit) = s.find(|c: char| !c.is_ascii_digit()).map_or((s, "s"), |i| (&s[..i], &s[i..]));
    let n: u64 = n.parse().map_err(|_| format!("{s:?} is not a duration (e.g. 30s, 2m)"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(format!("{s:?} is not a duration (e.g. 30s, 2m)")),
    }
}

#[derive(clap::Args, Debug, Clone)]
struct Common {
    /// Set a variable: NAME=VALUE (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// Load variable values from a .tfvars file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    var_files: Vec<PathBuf>,
    /// Refresh remote objects before planning (`-refresh=false` skips it).
    #[arg(long = "refresh", default_value_t = true, action = clap::ArgAction::Set)]
    refresh: bool,
    /// Limit the operation to these resources and what they depend on (repeatable).
    #[arg(long = "target", value_name = "ADDRESS")]
    targets: Vec<String>,
    /// Force the replacement of this instance (repeatable).
    #[arg(long = "replace", value_name = "ADDRESS")]
    replace: Vec<String>,
    /// How many operations run at once.
    #[arg(long, default_value_t = 10)]
    parallelism: usize,
    /// How long to wait for the state lock (e.g. 30s).
    #[arg(long = "lock-timeout", default_value = "0s", value_parser = parse_duration)]
    lock_timeout: Duration,
    /// Accepted for Terraform compatibility (aigw never prompts for input; output is plain).
    #[arg(long = "input", default_value_t = false, action = clap::ArgAction::Set, hide = true)]
    input: bool,
    #[arg(long = "no-color", hide = true)]
    no_color: bool,
    /// Where to write and read the state (default terraform.tfstate).
    #[arg(long = "state", value_name = "PATH")]
    state: Option<PathBuf>,
}

#[derive(Subcommand)]
enum StateCommand {
    /// List the resource instances in the state.
    List {
        #[arg(long = "state", value_name = "PATH")]
        state: Option<PathBuf>,
        /// Only these addresses (or their instances).
        addresses: Vec<String>,
    },
    /// Show one instance's attributes.
    Show {
        #[arg(long = "state", value_name = "PATH")]
        state: Option<PathBuf>,
        address: String,
    },
    /// Forget instances without destroying them.
    Rm {
        #[arg(long = "state", value_name = "PATH")]
        state: Option<PathBuf>,
        #[arg(required = true)]
        addresses: Vec<String>,
    },
    /// Move or rename an instance or resource in the state.
    Mv {
        #[arg(long = "state", value_name = "PATH")]
        state: Option<PathBuf>,
        source: String,
        destination: String,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Check the configuration.
    Validate,
    /// Show what apply would do.
    Plan {
        #[command(flatten)]
        common: Common,
        /// Exit 0 with no changes, 2 with changes, 1 on error.
        #[arg(long)]
        detailed_exitcode: bool,
        /// Plan to destroy everything.
        #[arg(long)]
        destroy: bool,
        /// Save the plan to this file, for `apply FILE`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Print the plan in Terraform's JSON plan format.
        #[arg(long)]
        json: bool,
    },
    /// Make the changes the plan shows (or those of a saved plan).
    Apply {
        #[command(flatten)]
        common: Common,
        /// Do not ask for confirmation.
        #[arg(long)]
        auto_approve: bool,
        /// Plan to destroy everything.
        #[arg(long)]
        destroy: bool,
        /// A plan saved with `plan -out`.
        plan_file: Option<PathBuf>,
    },
    /// Destroy everything the state holds.
    Destroy {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        auto_approve: bool,
    },
    /// Adopt an existing remote object into the state.
    Import {
        #[command(flatten)]
        common: Common,
        address: String,
        id: String,
    },
    /// Show the state or a saved plan.
    Show {
        #[arg(long)]
        json: bool,
        plan_file: Option<PathBuf>,
    },
    /// Show the root outputs.
    Output {
        #[arg(long)]
        json: bool,
        #[arg(long)]
        raw: bool,
        #[arg(long = "state", value_name = "PATH")]
        state: Option<PathBuf>,
        name: Option<String>,
    },
    /// Inspect or edit the state.
    State {
        #[command(subcommand)]
        command: StateCommand,
    },
    /// Read every remote object back into the state.
    Refresh {
        #[command(flatten)]
        common: Common,
    },
    /// Print the dependency graph in DOT.
    Graph,
    /// Rewrite .tf and .tfvars files in the canonical layout.
    Fmt {
        /// Only check; exit 3 if a file would change.
        #[arg(long)]
        check: bool,
        /// Show the changes as a diff.
        #[arg(long)]
        diff: bool,
        /// Files or directories (default: the working directory).
        paths: Vec<PathBuf>,
    },
    /// Apply the configuration to a fresh emulator and run its *.aigwtest.hcl scenarios.
    Test {
        /// The configuration directory.
        #[arg(default_value = ".")]
        dir: std::path::PathBuf,
        /// Run only scenarios whose name contains this.
        #[arg(long)]
        filter: Option<String>,
        /// Print the results as JSON.
        #[arg(long)]
        json: bool,
        /// Also write a JUnit XML report here.
        #[arg(long = "junit-xml", value_name = "FILE")]
        junit_xml: Option<std::path::PathBuf>,
        #[arg(long)]
        verbose: bool,
    },
    /// Run the emulator with this configuration applied, re-applying on every .tf change.
    Dev {
        #[arg(default_value = ".")]
        dir: std::path::PathBuf,
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        /// Call the real providers instead of simulated ones.
        #[arg(long)]
        real: bool,
        /// Send one provider elsewhere: PROVIDER=URL (repeatable).
        #[arg(long = "upstream", value_name = "PROVIDER=URL", value_parser = parse_upstream)]
        upstreams: Vec<(String, String)>,
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
    },
    /// Run the local Cloudflare AI Gateway emulator.
    Emulator {
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        /// Keep state in this directory (SQLite) so it survives restarts.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Require exactly this API token; otherwise any non-empty token works.
        #[arg(long, env = "AIGW_EMULATOR_API_TOKEN", hide_env_values = true)]
        api_token: Option<String>,
        /// Serve every provider from the built-in simulated upstream.
        #[arg(long)]
        simulate: bool,
        /// Send one provider elsewhere: PROVIDER=URL (repeatable).
        #[arg(long = "upstream", value_name = "PROVIDER=URL", value_parser = parse_upstream)]
        upstreams: Vec<(String, String)>,
        /// A simulator fault: PROVIDER[:MODEL]=503 | 503*N | timeout | drop | latency:MS (repeatable).
        #[arg(long = "fault", value_name = "SPEC", value_parser = aigw_emulator::Fault::parse, requires = "simulate")]
        faults: Vec<aigw_emulator::Fault>,
        /// Bound on cached response bytes.
        #[arg(long, default_value_t = 256 << 20)]
        cache_max_bytes: usize,
        /// Delay every management API response by this long (e.g. 80ms), like the real API.
        #[arg(long, value_parser = parse_duration)]
        api_latency: Option<Duration>,
    },
}

fn parse_upstream(s: &str) -> Result<(String, String), String> {
    let (p, url) = s.split_once('=').ok_or_else(|| format!("--upstream {s:?}: expected PROVIDER=URL"))?;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("--upstream {s:?}: the URL must start with http:// or https://"));
    }
    if !aigw_cloudflare::providers::is_known(p) {
        return Err(format!("--upstream {s:?}: unknown provider {p:?}"));
    }
    Ok((p.to_string(), url.to_string()))
}

async fn emulator(listen: SocketAddr, config: aigw_emulator::Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let emulator = aigw_emulator::Emulator::open(config).await.context("cannot start the emulator")?;
    // Bound and loaded: from here on requests are served.
    println!("listening on http://{addr}");
    emulator.serve(listener, shutdown).await.context("emulator failed")
}

fn junit(outcomes: &[aigw::testing::Outcome]) -> String {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    let failed = outcomes.iter().filter(|o| !o.failures.is_empty()).count();
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"aigw\" tests=\"{}\" failures=\"{failed}\">\n",
        outcomes.len()
    );
    for o in outcomes {
        x.push_str(&format!(
            "  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\">",
            esc(&o.file),
            esc(&o.scenario),
            o.millis as f64 / 1000.0
        ));
        for f in &o.failures {
            x.push_str(&format!("<failure message=\"{}\"/>", esc(f)));
        }
        x.push_str("</testcase>\n");
    }
    x.push_str("</testsuite>\n");
    x
}

fn options(c: &Common, destroy: bool, dir: &Path) -> anyhow::Result<aigw::plan::Options> {
    use aigw::variables::VarArg;
    // Terraform applies -var-file and -var in command-line order; clap
    // collects them apart, so recover the order from the raw arguments.
    let mut var_args = Vec::new();
    let (mut vars, mut files) = (c.vars.iter(), c.var_files.iter());
    for a in std::env::args() {
        let a = a.trim_start_matches('-');
        if a == "var" || a.starts_with("var=") {
            if let Some(v) = vars.next() {
                let (k, val) = v.split_once('=').with_context(|| format!("-var {v:?}: expected NAME=VALUE"))?;
                var_args.push(VarArg::Var(k.to_string(), val.to_string()));
            }
        } else if (a == "var-file" || a.starts_with("var-file="))
            && let Some(f) = files.next()
        {
            var_args.push(VarArg::File(f.clone()));
        }
    }
    for t in c.targets.iter().chain(&c.replace) {
        aigw::commands::parse_address(t)?;
    }
    Ok(aigw::plan::Options {
        destroy,
        refresh: c.refresh,
        var_args,
        targets: c.targets.clone(),
        replace: c.replace.clone(),
        parallelism: c.parallelism.max(1),
        lock_timeout: c.lock_timeout,
        state_path: c.state.clone().map(|p| state_path(dir, Some(p))),
        ..Default::default()
    })
}

fn confirm(what: &str) -> anyhow::Result<bool> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("{what} needs confirmation; run with -auto-approve when there is no terminal");
    }
    print!("\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim() == "yes")
}

fn report(e: anyhow::Error) -> i32 {
    eprintln!("\nError: {e:#}");
    1
}

fn state_path(dir: &Path, given: Option<PathBuf>) -> PathBuf {
    match given {
        Some(p) if p.is_absolute() => p,
        Some(p) => dir.join(p),
        None => dir.join("terraform.tfstate"),
    }
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

fn print_plan(plan: &aigw::plan::Plan, run: &aigw::run::Run, json: bool) {
    if json {
        println!("{}", run.plan_json(plan));
    } else {
        print!("{}", aigw::render::plan_text(plan));
    }
}

/// Runs an engine command; returns the process exit code.
async fn engine(dir: &Path, command: Command) -> anyhow::Result<i32> {
    use aigw::run::Run;
    match command {
        Command::Validate => {
            let cfg = aigw::config::Config::load(dir)?;
            aigw::graph::sorted(&cfg)?;
            for v in cfg.variables.values() {
                if let Some(t) = &v.type_expr {
                    aigw::variables::type_of(t).map_err(|m| aigw::Error::config(&v.loc, m))?;
                }
            }
            aigw::providers::Providers::check_shapes(&cfg).await?;
            println!("Success! The configuration is valid.");
            Ok(0)
        }
        Command::Plan { common, detailed_exitcode, destroy, out, json } => {
            let opts = options(&common, destroy, dir)?;
            let mut run = Run::open(dir, &opts).await?;
            let result = run.plan(&opts).await;
            let result = result.and_then(|plan| {
                print_plan(&plan, &run, json);
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
        Command::Apply { common, auto_approve, destroy, plan_file } => {
            let opts = options(&common, destroy, dir)?;
            run_apply(dir, opts, auto_approve, plan_file).await
        }
        Command::Destroy { common, auto_approve } => {
            run_apply(dir, options(&common, true, dir)?, auto_approve, None).await
        }
        Command::Import { common, address, id } => {
            let opts = options(&common, false, dir)?;
            aigw::commands::import(dir, &opts, &address, &id).await?;
            println!(
                "{address}: Import prepared!\n\nImport successful!\n\nThe resources that were imported are shown above. These resources are now in\nyour aigw state and will henceforth be managed by aigw."
            );
            Ok(0)
        }
        Command::Show { json, plan_file } => {
            match plan_file {
                Some(p) => {
                    let p = if p.is_absolute() { p } else { dir.join(p) };
                    let saved = aigw::planfile::SavedPlan::load(&p)?;
                    if json {
                        println!("{}", saved.json);
                    } else {
                        for (addr, actions) in &saved.actions {
                            println!("{addr}: {}", actions.join(", "));
                        }
                    }
                }
                None => {
                    let (state, _lock, _) = aigw::run::load_state(&state_path(dir, None), Duration::ZERO)?;
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
                }
            }
            Ok(0)
        }
        Command::Output { json, raw, state, name } => {
            let (state, _lock, _) = aigw::run::load_state(&state_path(dir, state), Duration::ZERO)?;
            print!("{}", aigw::commands::outputs(&state, name.as_deref(), json, raw)?);
            Ok(0)
        }
        Command::State { command } => state_command(dir, command),
        Command::Refresh { common } => {
            let opts = options(&common, false, dir)?;
            for note in aigw::commands::refresh(dir, &opts).await? {
                println!("{note}");
            }
            println!("Refresh complete: the state now records what the remote objects hold.");
            Ok(0)
        }
        Command::Graph => {
            let cfg = aigw::config::Config::load(dir)?;
            print!("{}", aigw::commands::graph_dot(&cfg)?);
            Ok(0)
        }
        Command::Fmt { check, diff, paths } => fmt(dir, check, diff, paths),
        Command::Test { dir: test_dir, filter, json, junit_xml, verbose } => {
            let dir = if test_dir.is_absolute() { test_dir } else { dir.join(test_dir) };
            let (report, code, outcomes) = aigw::testing::run(&dir, filter.as_deref(), verbose).await;
            if json {
                let rows: Vec<_> = outcomes
                    .iter()
                    .map(|o| serde_json::json!({"file": o.file, "scenario": o.scenario, "passed": o.failures.is_empty(), "failures": o.failures, "duration_ms": o.millis}))
                    .collect();
                println!("{}", serde_json::json!({"scenarios": rows, "exit_code": code}));
            } else {
                print!("{report}");
            }
            if let Some(path) = junit_xml {
                std::fs::write(&path, junit(&outcomes)).with_context(|| format!("writing {}", path.display()))?;
            }
            Ok(code)
        }
        Command::Dev { dir: dev_dir, listen, real, upstreams, vars } => {
            let dir = if dev_dir.is_absolute() { dev_dir } else { dir.join(dev_dir) };
            let mut map = std::collections::BTreeMap::new();
            for v in &vars {
                let (k, val) = v.split_once('=').with_context(|| format!("-var {v:?}: expected NAME=VALUE"))?;
                map.insert(k.to_string(), val.to_string());
            }
            let opts = aigw::dev::DevOptions { listen, real, upstreams: upstreams.into_iter().collect(), vars: map };
            aigw::dev::dev(&dir, opts, &mut |s: &str| {
                use std::io::Write;
                print!("{s}");
                if !s.ends_with('\n') {
                    println!();
                }
                let _ = std::io::stdout().flush();
            })
            .await?;
            Ok(0)
        }
        Command::Emulator { .. } => anyhow::bail!("internal: emulator is not an engine command"),
    }
}

fn state_command(dir: &Path, command: StateCommand) -> anyhow::Result<i32> {
    match command {
        StateCommand::List { state, addresses } => {
            let (state, _lock, _) = aigw::run::load_state(&state_path(dir, state), Duration::ZERO)?;
            for a in aigw::commands::list(&state) {
                if addresses.is_empty() || addresses.iter().any(|x| a == *x || a.starts_with(&format!("{x}["))) {
                    println!("{a}");
                }
            }
        }
        StateCommand::Show { state, address } => {
            let (state, _lock, _) = aigw::run::load_state(&state_path(dir, state), Duration::ZERO)?;
            print!("{}", aigw::commands::show(&state, &address)?);
        }
        StateCommand::Rm { state, addresses } => {
            let removed = aigw::commands::rm(&state_path(dir, state), &addresses, Duration::ZERO)?;
            for r in &removed {
                println!("Removed {r}");
            }
            println!("Successfully removed {} resource instance(s).", removed.len());
        }
        StateCommand::Mv { state, source, destination } => {
            aigw::commands::mv(&state_path(dir, state), &source, &destination, Duration::ZERO)?;
            println!("Move \"{source}\" to \"{destination}\"\nSuccessfully moved 1 object(s).");
        }
    }
    Ok(0)
}

/// `fmt`: exit 3 with `-check` when a file is not formatted (Terraform's code).
fn fmt(dir: &Path, check: bool, diff: bool, paths: Vec<PathBuf>) -> anyhow::Result<i32> {
    let roots =
        if paths.is_empty() { vec![dir.to_path_buf()] } else { paths.into_iter().map(|p| dir.join(p)).collect() };
    let mut files = Vec::new();
    for r in roots {
        if r.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(&r)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "tf" || x == "tfvars"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(r);
        }
    }
    let mut unformatted = 0;
    for f in files {
        let src = std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?;
        // Never rewrite a file that does not parse: formatting must not lose anything.
        aigw::config::parse(&f.display().to_string(), &src)?;
        let out = aigw::fmt::format(&src);
        if out == src {
            continue;
        }
        unformatted += 1;
        println!("{}", f.strip_prefix(dir).unwrap_or(&f).display());
        if diff {
            for c in similar::TextDiff::from_lines(&src, &out).iter_all_changes() {
                print!("{}{c}", c.tag());
            }
        }
        if !check {
            std::fs::write(&f, out).with_context(|| format!("writing {}", f.display()))?;
        }
    }
    Ok(if check && unformatted > 0 { 3 } else { 0 })
}

async fn run_apply(
    dir: &Path,
    mut opts: aigw::plan::Options,
    auto_approve: bool,
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
            s.check_current(p, dir, &run.state.lineage, run.state.serial)?;
        }
        let plan = run.plan(&opts).await?;
        if let Some((p, s)) = &saved {
            s.check_same(p, &plan)?;
        } else {
            print!("{}", aigw::render::plan_text(&plan));
        }
        if !plan.has_changes() {
            return Ok(0);
        }
        // A saved plan was reviewed when it was made.
        if saved.is_none() && !auto_approve && !confirm(if opts.destroy { "destroy" } else { "apply" })? {
            println!("\nApply cancelled.");
            return Ok(1);
        }
        println!();
        let apply_opts = aigw::apply::ApplyOptions { parallelism: opts.parallelism, cancel: Some(cancel.clone()) };
        let sum = run.apply(&plan, &apply_opts, &mut |line| println!("{line}")).await?;
        let verb = if opts.destroy { "Destroy" } else { "Apply" };
        println!(
            "\n{verb} complete! Resources: {} added, {} changed, {} destroyed.",
            sum.added, sum.changed, sum.destroyed
        );
        Ok::<i32, anyhow::Error>(0)
    }
    .await;
    run.close().await;
    result
}

/// Terraform spells flags with one dash (`-auto-approve`) and puts
/// `-chdir=DIR` before the command; clap wants two dashes.
fn terraform_args() -> (Option<PathBuf>, Vec<String>) {
    let mut chdir = None;
    let mut out = Vec::new();
    for (i, a) in std::env::args().enumerate() {
        if let Some(d) = a.strip_prefix("-chdir=").or_else(|| a.strip_prefix("--chdir=")) {
            chdir = Some(PathBuf::from(d));
        } else if i > 0 && a.starts_with('-') && !a.starts_with("--") && a.len() > 2 {
            out.push(format!("-{a}"));
        } else {
            out.push(a);
        }
    }
    (chdir, out)
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("AIGW_LOG").unwrap_or_else(|_| "warn".into()))
        .init();
    let (chdir, args) = terraform_args();
    let cli = Cli::parse_from(args);
    let rt = tokio::runtime::Runtime::new()?;
    // As terraform does: -chdir switches the working directory, so paths
    // (file(), -var-file, -out) are relative to it.
    if let Some(d) = &chdir {
        std::env::set_current_dir(d).with_context(|| format!("-chdir={}", d.display()))?;
    }
    let dir = PathBuf::from(".");
    match cli.command {
        Command::Emulator {
            listen,
            data_dir,
            api_token,
            simulate,
            upstreams,
            faults,
            cache_max_bytes,
            api_latency,
        } => {
            let config = aigw_emulator::Config {
                api_token,
                data_dir,
                simulate,
                upstreams: upstreams.into_iter().collect(),
                faults,
                cache_max_bytes: Some(cache_max_bytes),
                api_latency,
            };
            rt.block_on(emulator(listen, config))
        }
        command => {
            let code = rt.block_on(engine(&dir, command)).unwrap_or_else(report);
            std::process::exit(code)
        }
    }
}
