//! `aigw dev`: the emulator and the configuration, live. It starts the
//! emulator (simulated upstreams unless told otherwise), applies the
//! configuration to it, prints each gateway's base URLs and an OpenAI SDK
//! snippet, then watches the `.tf` files: every change is planned, shown and
//! applied. A plan that fails leaves what is running alone. Ctrl-C stops.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use aigw_emulator::{Config as EmuConfig, Emulator};
use tfplugin::Value;

use crate::error::Error;
use crate::plan::Options;
use crate::render::plan_text;
use crate::run::Run;

/// How `aigw dev` runs.
#[derive(Debug, Clone)]
pub struct DevOptions {
    pub listen: std::net::SocketAddr,
    pub real: bool,
    pub upstreams: BTreeMap<String, String>,
    pub vars: BTreeMap<String, String>,
}

fn tf_mtimes(dir: &Path) -> BTreeMap<PathBuf, SystemTime> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "tf"))
                .filter_map(|p| Some((p.clone(), std::fs::metadata(&p).ok()?.modified().ok()?)))
                .collect()
        })
        .unwrap_or_default()
}

async fn apply_once(dir: &Path, opts: &Options, out: &mut dyn FnMut(&str)) -> Result<(), Error> {
    let mut run = Run::open(dir, opts).await?;
    let result = async {
        let plan = run.plan(opts).await?;
        out(&plan_text(&plan));
        if plan.has_changes() {
            let sum = run
                .apply(&plan, &crate::apply::ApplyOptions { parallelism: 10, cancel: None }, &mut |l| out(l))
                .await?;
            out(&format!(
                "Apply complete! Resources: {} added, {} changed, {} destroyed.\n",
                sum.added, sum.changed, sum.destroyed
            ));
        }
        Ok::<_, Error>(run.state.clone())
    }
    .await;
    run.close().await;
    let state = result?;
    let base = opts
        .provider_overrides
        .get("aigw")
        .and_then(|o| o.get("base_url"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim_end_matches("/client/v4")
        .to_string();
    if !base.is_empty() {
        out(&format!("\nDashboard: {base}/  (gateways, traffic charts and logs, live)\n"));
    }
    for (r, inst) in state
        .resources
        .iter()
        .filter(|r| r.type_name == "aigw_gateway")
        .flat_map(|r| r.instances.iter().map(move |i| (r, i)))
    {
        let a = &inst.attributes;
        let (Some(acct), Some(id)) = (a["account_id"].as_str(), a["id"].as_str()) else { continue };
        let url = format!("{base}/v1/{acct}/{id}");
        out(&format!(
            "\nGateway {id} ({}):\n  openai     {url}/openai\n  anthropic  {url}/anthropic\n  workers-ai {url}/workers-ai\n  compat     {url}/compat   (model \"openai/gpt-4o-mini\" or \"dynamic/<fallback name>\")\n\n  from openai import OpenAI\n  client = OpenAI(base_url=\"{url}/openai\", api_key=\"sk-anything\")\n  print(client.chat.completions.create(model=\"gpt-4o-mini\", messages=[{{\"role\": \"user\", \"content\": \"Hello\"}}]).choices[0].message.content)\n",
            r.name
        ));
    }
    Ok(())
}

/// Binds the emulator's address; a busy one is named with the way out.
pub async fn bind(addr: std::net::SocketAddr) -> Result<tokio::net::TcpListener, Error> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::AddrInUse => {
                "the address is already in use (is another aigw emulator or aigw dev running?)".to_string()
            }
            std::io::ErrorKind::PermissionDenied => "permission denied (ports below 1024 need privileges)".to_string(),
            _ => e.to_string(),
        };
        Error::Listen(format!(
            "cannot listen on {addr}: {why}; choose another address with -listen=127.0.0.1:PORT \
             (-listen=127.0.0.1:0 picks a free port)"
        ))
    })
}

/// Runs until Ctrl-C.
pub async fn dev(dir: &Path, o: DevOptions, out: &mut (dyn FnMut(&str) + Send)) -> Result<(), Error> {
    let config =
        EmuConfig { simulate: !o.real, upstreams: o.upstreams.clone().into_iter().collect(), ..EmuConfig::default() };
    let emulator = Emulator::open(config).await.map_err(|e| Error::Provider(format!("emulator: {e}")))?;
    let listener = bind(o.listen).await?;
    let addr = listener.local_addr()?;
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(emulator.serve(listener, async {
        let _ = rx.await;
    }));
    out(&format!(
        "aigw dev: emulator on http://{addr} ({} upstreams); watching {}\n",
        if o.real { "real" } else { "simulated" },
        dir.display()
    ));
    let state_dir = dir.join(".aigw");
    std::fs::create_dir_all(&state_dir)?;
    let state_path = state_dir.join("dev.tfstate");
    let _ = std::fs::remove_file(&state_path);
    let opts = Options {
        refresh: true,
        var_args: o.vars.iter().map(|(k, v)| crate::variables::VarArg::Var(k.clone(), v.clone())).collect(),
        provider_overrides: BTreeMap::from([(
            "aigw".to_string(),
            BTreeMap::from([
                ("base_url".to_string(), Value::from(format!("http://{addr}/client/v4"))),
                ("api_token".to_string(), Value::from("aigw-dev")),
            ]),
        )]),
        state_path: Some(state_path.clone()),
        ..Options::default()
    };
    if let Err(e) = apply_once(dir, &opts, out).await {
        out(&format!("\nError: {e}\n(fix the configuration; aigw dev keeps watching)\n"));
    }
    let mut seen = tf_mtimes(dir);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => break,
            _ = tokio::time::sleep(Duration::from_millis(300)) => {}
        }
        let now = tf_mtimes(dir);
        if now == seen {
            continue;
        }
        seen = now;
        out("\nChange detected; planning...\n");
        if let Err(e) = apply_once(dir, &opts, out).await {
            out(&format!("\nError: {e}\n(the running gateways are unchanged)\n"));
        }
    }
    out("\nStopping.\n");
    let _ = stop.send(());
    let _ = server.await;
    for suffix in ["", ".backup", ".next", ".journal"] {
        let mut p = state_path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    let _ = std::fs::remove_dir(&state_dir);
    Ok(())
}
