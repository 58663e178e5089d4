//! The `aigw` command line: Terraform's workflow (`validate`, `plan`,
//! `apply`, `destroy`, with Terraform's flags and exit codes) over the aigw
//! engine, `aigw test` and `aigw dev`, and `aigw emulator`.
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "aigw", version, about = "Cloudflare AI Gateway as code, tested locally")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Debug, Clone)]
struct Common {
    /// Set a variable: NAME=VALUE (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// Refresh remote objects before planning (`-refresh=false` skips it).
    #[arg(long = "refresh", default_value_t = true, action = clap::ArgAction::Set)]
    refresh: bool,
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
    },
    /// Make the changes the plan shows.
    Apply {
        #[command(flatten)]
        common: Common,
        /// Do not ask for confirmation.
        #[arg(long)]
        auto_approve: bool,
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
    /// Destroy everything the state holds.
    Destroy {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        auto_approve: bool,
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

fn options(c: &Common, destroy: bool) -> anyhow::Result<aigw::plan::Options> {
    let mut vars = std::collections::BTreeMap::new();
    for v in &c.vars {
        let (k, val) = v.split_once('=').with_context(|| format!("-var {v:?}: expected NAME=VALUE"))?;
        vars.insert(k.to_string(), val.to_string());
    }
    Ok(aigw::plan::Options { destroy, refresh: c.refresh, vars, ..Default::default() })
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

fn report(e: anyhow::Error) -> i32 {
    eprintln!("\nError: {e:#}");
    1
}

/// Runs an engine command; returns the process exit code.
async fn engine(dir: &std::path::Path, command: Command) -> anyhow::Result<i32> {
    use aigw::run::Run;
    match command {
        Command::Validate => {
            let cfg = aigw::config::Config::load(dir)?;
            aigw::graph::order(&aigw::graph::dependencies(&cfg)?)?;
            println!("Success! The configuration is valid.");
            Ok(0)
        }
        Command::Plan { common, detailed_exitcode, destroy } => {
            let opts = options(&common, destroy)?;
            let mut run = Run::open(dir, &opts).await?;
            let result = run.plan(&opts).await;
            run.close().await;
            let plan = result?;
            print!("{}", aigw::render::plan_text(&plan));
            Ok(if detailed_exitcode && plan.has_changes() { 2 } else { 0 })
        }
        Command::Apply { common, auto_approve } => run_apply(dir, options(&common, false)?, auto_approve).await,
        Command::Destroy { common, auto_approve } => run_apply(dir, options(&common, true)?, auto_approve).await,
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
            let common = Common { vars, refresh: true };
            let opts = aigw::dev::DevOptions {
                listen,
                real,
                upstreams: upstreams.into_iter().collect(),
                vars: options(&common, false)?.vars,
            };
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

async fn run_apply(dir: &std::path::Path, opts: aigw::plan::Options, auto_approve: bool) -> anyhow::Result<i32> {
    let mut run = aigw::run::Run::open(dir, &opts).await?;
    let result = async {
        let plan = run.plan(&opts).await?;
        print!("{}", aigw::render::plan_text(&plan));
        if !plan.has_changes() {
            return Ok(0);
        }
        if !auto_approve && !confirm(if opts.destroy { "destroy" } else { "apply" })? {
            println!("\nApply cancelled.");
            return Ok(1);
        }
        println!();
        let sum = run.apply(&plan, &mut |line| println!("{line}")).await?;
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
fn terraform_args() -> (Option<std::path::PathBuf>, Vec<String>) {
    let mut chdir = None;
    let mut out = Vec::new();
    for (i, a) in std::env::args().enumerate() {
        if let Some(d) = a.strip_prefix("-chdir=").or_else(|| a.strip_prefix("--chdir=")) {
            chdir = Some(std::path::PathBuf::from(d));
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
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("AIGW_LOG").unwrap_or_else(|_| "warn".into()))
        .init();
    let (chdir, args) = terraform_args();
    let cli = Cli::parse_from(args);
    let rt = tokio::runtime::Runtime::new()?;
    let dir = chdir.unwrap_or_else(|| std::path::PathBuf::from("."));
    match cli.command {
        Command::Emulator { listen, data_dir, api_token, simulate, upstreams, faults, cache_max_bytes } => {
            let config = aigw_emulator::Config {
                api_token,
                data_dir,
                simulate,
                upstreams: upstreams.into_iter().collect(),
                faults,
                cache_max_bytes: Some(cache_max_bytes),
            };
            rt.block_on(emulator(listen, config))
        }
        command => {
            let code = rt.block_on(engine(&dir, command)).unwrap_or_else(report);
            std::process::exit(code)
        }
    }
}
