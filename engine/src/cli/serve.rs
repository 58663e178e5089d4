//! The commands that run servers and tests: `emulator`, `dev`, `test`,
//! and the hidden `provider` mode that serves the built-in provider.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;

pub async fn emulator(listen: SocketAddr, config: aigw_emulator::Config) -> anyhow::Result<i32> {
    let listener = aigw::dev::bind(listen).await?;
    let addr = listener.local_addr()?;
    // Ctrl-C and SIGTERM both drain: requests in flight finish and are logged.
    let shutdown = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    };
    let upstreams =
        if config.simulate { "simulated upstreams (-real calls the real providers)" } else { "real upstreams" };
    let emulator = aigw_emulator::Emulator::open(config).await.context("cannot start the emulator")?;
    // Bound and loaded: from here on requests are served.
    println!("listening on http://{addr}");
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprintln!("aigw emulator: {upstreams}");
    }
    emulator.serve(listener, shutdown).await.context("emulator failed")?;
    Ok(0)
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

/// What `aigw test` was asked.
pub struct TestArgs {
    pub dir: PathBuf,
    pub filter: Option<String>,
    pub json: bool,
    pub junit_xml: Option<PathBuf>,
    pub report: Option<PathBuf>,
    pub verbose: bool,
}

pub async fn test(dir: &Path, a: TestArgs) -> anyhow::Result<i32> {
    let title = a.dir.display().to_string();
    let dir = if a.dir.is_absolute() { a.dir } else { dir.join(a.dir) };
    let (report, code, outcomes) = aigw::testing::run(&dir, a.filter.as_deref(), a.verbose).await;
    if a.json {
        let rows: Vec<_> = outcomes
            .iter()
            .map(|o| serde_json::json!({"file": o.file, "scenario": o.scenario, "passed": o.failures.is_empty(), "failures": o.failures, "duration_ms": o.millis}))
            .collect();
        println!("{}", serde_json::json!({"scenarios": rows, "exit_code": code}));
        if code != 0 && outcomes.is_empty() {
            eprint!("{report}");
        }
    } else {
        print!("{report}");
    }
    if let Some(path) = a.junit_xml {
        std::fs::write(&path, junit(&outcomes)).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = a.report {
        let page = aigw::testing::report::html(&title, &outcomes);
        std::fs::write(&path, page).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(code)
}

pub async fn dev(dir: &Path, opts: aigw::dev::DevOptions) -> anyhow::Result<i32> {
    aigw::dev::dev(dir, opts, &mut |s: &str| {
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

/// `aigw provider`: the built-in provider over tfplugin6, as
/// `terraform-provider-aigw` serves it.
pub async fn provider(debug: bool) -> anyhow::Result<i32> {
    let opts = tfplugin::server::ServeOptions { debug, address: terraform_provider_aigw::PROVIDER_ADDRESS.to_string() };
    tfplugin::server::serve(terraform_provider_aigw::AigwProvider::new(), opts).await?;
    Ok(0)
}
