//! `aigw test`: apply a configuration to a fresh in-process emulator with
//! simulated upstreams (through the provider, over tfplugin6, as `aigw
//! apply` does), send each scenario's requests through the gateways it
//! created, check its assertions against what the traffic saw (responses,
//! logs, simulator calls), and destroy everything afterwards.
pub mod file;
pub mod report;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;
use std::time::Instant;

use aigw_emulator::{AppState, Config as EmuConfig, Emulator};
use tfplugin::Value;

use crate::error::{Error, Loc};
use crate::lang::{Scope, eval, refs};
use crate::plan::Options;
use crate::run::Run;
use file::{Request, Scenario, TestFile};

/// How one scenario went.
#[derive(Debug)]
pub struct Outcome {
    pub file: String,
    pub scenario: String,
    /// Empty when it passed.
    pub failures: Vec<String>,
    pub millis: u128,
    /// One line per request block: how its answers came back (for -verbose).
    pub requests: Vec<String>,
    /// Each request block's answers, as assertions see them (`request.NAME`).
    pub answers: Vec<(String, serde_json::Value)>,
    /// Each assertion, passed or not, with the values it read.
    pub checks: Vec<Check>,
}

/// One assertion of a scenario as it was evaluated.
#[derive(Debug, Clone)]
pub struct Check {
    pub loc: String,
    pub condition: String,
    pub passed: bool,
    /// What it evaluated to (or the evaluation error).
    pub result: String,
    /// The `request`, `logs`, `calls` and `spend` values it referred to.
    pub values: Vec<(String, String)>,
}

/// What running a scenario produced.
struct Ran {
    failures: Vec<String>,
    lines: Vec<String>,
    answers: Vec<(String, serde_json::Value)>,
    checks: Vec<Check>,
}

/// A JSON value as an expression value.
pub fn from_json(j: &serde_json::Value) -> Value {
    match j {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::int(i),
            None => Value::Number(tfplugin::value::Number::from_f64(n.as_f64().unwrap_or(0.0))),
        },
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(a) => Value::Tuple(a.iter().map(from_json).collect()),
        serde_json::Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), from_json(v))).collect()),
    }
}

fn to_json(v: &Value) -> serde_json::Value {
    let h = crate::lang::to_hcl(v);
    serde_json::to_value(&h).unwrap_or(serde_json::Value::Null)
}

struct Emu {
    state: AppState,
    base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

async fn start_emulator(t: &TestFile) -> Result<Emu, Error> {
    let config = EmuConfig { simulate: true, faults: t.upstreams.clone(), ..EmuConfig::default() };
    let emulator = Emulator::open(config).await.map_err(|e| Error::Provider(format!("emulator: {e}")))?;
    let state = emulator.state();
    let safety = &state.runtime.safety;
    for (rule, loc) in &t.guardrails {
        safety.classifier.add(rule.clone()).map_err(|e| Error::config(loc, format!("guardrail: {e}")))?;
    }
    for (profile, loc) in &t.dlp_profiles {
        safety.profiles.register(profile.clone()).map_err(|e| Error::config(loc, format!("dlp_profile: {e}")))?;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = emulator
            .serve(listener, async {
                let _ = rx.await;
            })
            .await;
    });
    Ok(Emu { state, base, stop, task })
}

async fn send(http: &reqwest::Client, base: &str, r: &Request, scope: &Scope) -> Result<Value, String> {
    let gw = eval(&r.gateway, scope)?;
    let (Some(account), Some(id)) = (gw.attr("account_id").as_str(), gw.attr("id").as_str()) else {
        return Err("gateway must be an aigw_gateway resource (with account_id and id)".into());
    };
    let text = |e: &Option<hcl::Expression>| -> Result<Option<String>, String> {
        match e {
            Some(e) => Ok(eval(e, scope)?.as_str().map(str::to_owned)),
            None => Ok(None),
        }
    };
    let url = match (text(&r.provider)?, text(&r.path)?) {
        (Some(p), Some(path)) => format!("{base}/v1/{account}/{id}/{p}/{}", path.trim_start_matches('/')),
        (Some(p), None) => format!("{base}/v1/{account}/{id}/{p}"),
        (None, _) => format!("{base}/v1/{account}/{id}"),
    };
    let method = reqwest::Method::from_bytes(r.method.as_bytes()).map_err(|e| e.to_string())?;
    let mut req = http.request(method, &url);
    if let Some(h) = &r.headers
        && let Value::Object(m) | Value::Map(m) = eval(h, scope)?
    {
        for (k, v) in m {
            let v = match v {
                Value::String(s) => s,
                other => to_json(&other).to_string(),
            };
            req = req.header(k, v);
        }
    }
    if let Some(b) = &r.body {
        let body = eval(b, scope)?;
        req = req.header("content-type", "application/json").body(to_json(&body).to_string());
    }
    let started = Instant::now();
    let resp = req.send().await.map_err(|e| format!("request {:?} failed: {e}", r.name))?;
    let status = resp.status().as_u16();
    let headers: BTreeMap<String, Value> = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), Value::from(v.to_str().unwrap_or_default())))
        .collect();
    let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
    let body = serde_json::from_slice::<serde_json::Value>(&bytes)
        .map(|j| from_json(&j))
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Ok(Value::object([
        ("status", Value::int(i64::from(status))),
        ("headers", Value::Map(headers)),
        ("body", body),
        ("duration_ms", Value::int(started.elapsed().as_millis() as i64)),
    ]))
}

fn show(v: &Value) -> String {
    let s = to_json(v).to_string();
    match s.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s,
    }
}

/// One spend rule's figures for `spend.<gateway>.<rule>`.
#[derive(Default)]
struct RuleSpend {
    spent: f64,
    held: f64,
    partitions: BTreeMap<String, Value>,
}

fn number(n: f64) -> Value {
    from_json(&serde_json::json!(n))
}

/// `spend.<gateway>.<rule>`: `{spent, held, partitions = {"team=search" = spent}}`
/// in USD, for every budget the runtime counted into.
fn spend(emu: &Emu) -> Value {
    let mut gateways: BTreeMap<String, BTreeMap<String, RuleSpend>> = BTreeMap::new();
    for s in emu.state.runtime.spend.standings(emu.state.runtime.clock.now_ms()) {
        let rule = gateways.entry(s.gateway_id).or_default().entry(s.rule_id).or_default();
        rule.spent += s.spent;
        rule.held += s.held;
        if !s.partition.is_empty() {
            let label: Vec<String> =
                s.partition.iter().map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or_default())).collect();
            rule.partitions.insert(label.join(","), number(s.spent));
        }
    }
    let rule = |r: RuleSpend| {
        Value::object([
            ("spent", number(r.spent)),
            ("held", number(r.held)),
            ("partitions", Value::Object(r.partitions)),
        ])
    };
    Value::Object(
        gateways
            .into_iter()
            .map(|(g, rules)| (g, Value::Object(rules.into_iter().map(|(id, r)| (id, rule(r))).collect())))
            .collect(),
    )
}

/// A request block's answers in a line: `first: 200 ×1 (cf-aig-step 0)`.
fn summarize(name: &str, results: &[Value]) -> String {
    let mut by_status: BTreeMap<i64, usize> = BTreeMap::new();
    for r in results {
        *by_status.entry(r.attr("status").as_i64().unwrap_or(0)).or_default() += 1;
    }
    let statuses: Vec<String> = by_status.iter().map(|(s, n)| format!("{s} ×{n}")).collect();
    let step = results
        .first()
        .and_then(|r| match r.attr("headers") {
            Value::Map(m) => m.get("cf-aig-step").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        })
        .unwrap_or_else(|| "-".into());
    format!("{name}: {} (first answer: cf-aig-step {step})", statuses.join(", "))
}

async fn run_scenario(http: &reqwest::Client, emu: &Emu, s: &Scenario, scope: &mut Scope) -> Ran {
    let early = |failure: String, lines: Vec<String>| Ran {
        failures: vec![failure],
        lines,
        answers: Vec::new(),
        checks: Vec::new(),
    };
    let mut requests = BTreeMap::new();
    let mut lines = Vec::new();
    for r in &s.requests {
        if let Some(d) = r.advance {
            emu.state.runtime.clock.advance(d);
        }
        let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(r.concurrency));
        let mut handles = Vec::new();
        for _ in 0..r.count {
            let permit = sem.clone();
            let (http, r2, scope2, base) = (http.clone(), r.clone(), scope.clone(), emu.base.clone());
            handles.push(tokio::spawn(async move {
                let _p = permit.acquire_owned().await;
                send(&http, &base, &r2, &scope2).await
            }));
        }
        let mut results = Vec::new();
        for h in handles {
            match h.await {
                Ok(Ok(v)) => results.push(v),
                Ok(Err(e)) => return early(format!("{}: request {:?}: {e}", r.loc, r.name), lines),
                Err(e) => return early(format!("{}: request {:?}: {e}", r.loc, r.name), lines),
            }
        }
        lines.push(summarize(&r.name, &results));
        let v = if r.count == 1 { results.remove(0) } else { Value::Tuple(results) };
        requests.insert(r.name.clone(), v);
        scope.extra.insert("request".into(), Value::Object(requests.clone()));
    }
    emu.state.runtime.logs.flush().await;
    let logs: Vec<Value> = emu
        .state
        .runtime
        .logs
        .all()
        .into_iter()
        .map(|e| {
            // The log API serves metadata as a JSON string; assertions read it as an object.
            let mut v = serde_json::to_value(e.summary()).unwrap_or_default();
            v["metadata"] = e.metadata.map_or(serde_json::Value::Null, serde_json::Value::Object);
            from_json(&v)
        })
        .collect();
    scope.extra.insert("logs".into(), Value::Tuple(logs));
    let calls = emu.state.runtime.simulator.as_ref().map(|s| s.calls()).unwrap_or_default();
    scope.extra.insert("calls".into(), from_json(&serde_json::to_value(calls).unwrap_or_default()));
    scope.extra.insert("spend".into(), spend(emu));
    let answers: Vec<(String, serde_json::Value)> = requests.iter().map(|(k, v)| (k.clone(), to_json(v))).collect();
    scope.extra.insert("request".into(), Value::Object(requests));

    let mut failures = Vec::new();
    let mut checks = Vec::new();
    for a in &s.asserts {
        let outcome = eval(&a.condition, scope);
        let passed = matches!(outcome, Ok(Value::Bool(true)));
        let values: Vec<(String, String)> = refs(&a.condition)
            .into_iter()
            .filter(|r| matches!(r.first().map(String::as_str), Some("request" | "logs" | "calls" | "spend")))
            .filter_map(|r| scope.resolve(&r).ok().map(|v| (r.join("."), show(&v))))
            .collect();
        let result = match &outcome {
            Ok(v) => show(v),
            Err(e) => format!("error: {e}"),
        };
        checks.push(Check {
            loc: a.loc.to_string(),
            condition: a.condition.to_string(),
            passed,
            result,
            values: values.clone(),
        });
        if passed {
            continue;
        }
        let message =
            eval(&a.error_message, scope).ok().and_then(|m| m.as_str().map(str::to_owned)).unwrap_or_default();
        let mut f = format!("{}: assertion failed: {message}\n      condition: {}", a.loc, a.condition);
        match outcome {
            Err(e) => {
                let _ = write!(f, "\n      error: {e}");
            }
            Ok(v) => {
                let _ = write!(f, "\n      evaluated to: {}", show(&v));
            }
        }
        for (r, v) in &values {
            let _ = write!(f, "\n      {r} = {v}");
        }
        failures.push(f);
    }
    Ran { failures, lines, answers, checks }
}

/// Runs one test file: fresh emulator, apply, scenarios, destroy.
/// Every reference in an assertion must name something that will exist:
/// checked before anything is applied, so a typo fails fast at its place.
/// What a request's result has.
const REQUEST_ATTRIBUTES: [&str; 4] = ["status", "headers", "body", "duration_ms"];

/// `request.NAME.ATTR`: NAME is a request of the scenario and ATTR one of
/// [`REQUEST_ATTRIBUTES`]; a misspelling gets the closest name.
fn check_request_ref(s: &file::Scenario, a: &file::Assert, r: &[String]) -> Option<Error> {
    if r.first().map(String::as_str) != Some("request") {
        return None;
    }
    let name = r.get(1)?;
    let names: Vec<&str> = s.requests.iter().map(|q| q.name.as_str()).collect();
    if !names.contains(&name.as_str()) {
        let hint = crate::error::did_you_mean(name, names.iter().copied());
        let at = a.loc.narrow(&format!("request.{name}"));
        let at = Loc { col: at.col + "request.".len(), byte: at.byte + "request.".len(), ..at };
        return Some(Error::config(&at, format!("scenario {:?}: no request {name:?}{hint}", s.name)));
    }
    let attr = r.get(2)?;
    if REQUEST_ATTRIBUTES.contains(&attr.as_str()) {
        return None;
    }
    let hint = crate::error::did_you_mean(attr, REQUEST_ATTRIBUTES);
    let at = a.loc.narrow(&format!("{name}.{attr}"));
    let at = Loc { col: at.col + name.chars().count() + 1, byte: at.byte + name.len() + 1, ..at };
    Some(Error::config(
        &at,
        format!(
            "scenario {:?}: request.{name} has no attribute {attr:?}{hint} (it has {})",
            s.name,
            REQUEST_ATTRIBUTES.join(", ")
        ),
    ))
}

fn check_references(cfg: &crate::config::Config, t: &TestFile) -> Result<(), Error> {
    for s in &t.scenarios {
        for a in &s.asserts {
            for r in refs(&a.condition).into_iter().chain(refs(&a.error_message)) {
                let name = r.iter().take(2).cloned().collect::<Vec<_>>().join(".");
                if let Some(e) = check_request_ref(s, a, &r) {
                    return Err(e);
                }
                let known = match (r.first().map(String::as_str), r.get(1)) {
                    (Some("request" | "logs" | "calls" | "spend"), _) => true,
                    (Some("var"), Some(n)) => cfg.variables.contains_key(n),
                    (Some("local"), Some(n)) => cfg.locals.contains_key(n),
                    (Some("data"), Some(t)) => cfg
                        .resources
                        .iter()
                        .any(|x| x.address() == format!("data.{t}.{}", r.get(2).map_or("", String::as_str))),
                    (Some(ty), Some(n)) => cfg.resources.iter().any(|x| x.address() == format!("{ty}.{n}")),
                    _ => false,
                };
                if !known {
                    return Err(Error::config(
                        &a.loc.narrow(&name),
                        format!(
                            "scenario {:?}: reference to undeclared {name} (assertions can use request, logs, calls, spend, var, local and the configuration's resources)",
                            s.name
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

async fn run_file(dir: &Path, t: &TestFile, filter: Option<&str>, out: &mut Vec<Outcome>) -> Result<(), Error> {
    check_references(&crate::config::Config::load(dir)?, t)?;
    if filter.is_some_and(|f| !t.scenarios.iter().any(|s| s.name.contains(f))) {
        return Ok(());
    }
    let emu = start_emulator(t).await?;
    let state_dir = tempfile_dir()?;
    let mut overrides = BTreeMap::new();
    overrides.insert(
        "aigw".to_string(),
        BTreeMap::from([
            ("base_url".to_string(), Value::from(format!("{}/client/v4", emu.base))),
            ("api_token".to_string(), Value::from("aigw-test")),
        ]),
    );
    let opts = Options {
        refresh: true,
        var_args: t.variables.iter().map(|(k, v)| crate::variables::VarArg::Var(k.clone(), v.clone())).collect(),
        provider_overrides: overrides,
        state_path: Some(state_dir.join("terraform.tfstate")),
        ..Options::default()
    };
    let mut run = Run::open(dir, &opts).await?;
    let applied = async {
        let plan = run.plan(&opts).await?;
        run.apply(&plan, &crate::apply::ApplyOptions { parallelism: 10, cancel: None }, &mut |_| {}).await
    }
    .await;
    if let Err(e) = applied {
        run.close().await;
        let _ = emu.stop.send(());
        return Err(e);
    }
    // What the scenarios see: variables, locals and the applied resources.
    let mut scope = run.scope.clone();
    scope.resources.clear();
    for r in &run.state.resources {
        let key = crate::providers::config_key(&r.provider);
        let Some(schema) =
            run.providers.get(&key).ok().and_then(|(_, c)| c.schemas().resources.get(&r.type_name).cloned())
        else {
            continue;
        };
        for inst in &r.instances {
            let v = tfplugin::value::decode_json(&inst.attributes, &schema.value_type()).unwrap_or(Value::Null);
            crate::instance::set_instance(&mut scope, &r.type_name, &r.name, &inst.index_key, v);
        }
    }
    let http = reqwest::Client::new();
    let name = t.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    for s in &t.scenarios {
        if filter.is_some_and(|f| !s.name.contains(f)) {
            continue;
        }
        let started = Instant::now();
        let ran = run_scenario(&http, &emu, s, &mut scope).await;
        out.push(Outcome {
            file: name.clone(),
            scenario: s.name.clone(),
            failures: ran.failures,
            millis: started.elapsed().as_millis(),
            requests: ran.lines,
            answers: ran.answers,
            checks: ran.checks,
        });
    }
    let destroy = Options { destroy: true, ..opts.clone() };
    let destroyed = async {
        let plan = run.plan(&destroy).await?;
        run.apply(&plan, &crate::apply::ApplyOptions { parallelism: 10, cancel: None }, &mut |_| {}).await
    }
    .await;
    run.close().await;
    let _ = emu.stop.send(());
    let _ = emu.task.await;
    let _ = std::fs::remove_dir_all(&state_dir);
    destroyed.map(|_| ())
}

fn tempfile_dir() -> Result<std::path::PathBuf, Error> {
    let d =
        std::env::temp_dir().join(format!("aigw-test-{}-{}", std::process::id(), crate::state::State::empty().lineage));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

/// The report and exit code of `aigw test`: 0 all passed, 1 a scenario
/// failed or nothing could be run (no such directory, no test files, a
/// filter matching nothing), 2 the configuration (or a test file) could
/// not be applied.
pub async fn run(dir: &Path, filter: Option<&str>, verbose: bool) -> (String, i32, Vec<Outcome>) {
    let mut report = String::new();
    if !dir.is_dir() {
        let what = if dir.exists() { "is not a directory" } else { "does not exist" };
        return (
            format!("Error: {} {what}; give the configuration directory: aigw test DIR\n", dir.display()),
            1,
            Vec::new(),
        );
    }
    let files = file::find(dir);
    if files.is_empty() {
        return (
            format!(
                "Error: no test files: {} and {}/tests hold no *.aigwtest.hcl file; write one (see the README's `aigw test` section)\n",
                dir.display(),
                dir.display()
            ),
            1,
            Vec::new(),
        );
    }
    let mut outcomes = Vec::new();
    for f in files {
        let loaded = TestFile::load(&f);
        let result = match loaded {
            Ok(t) => run_file(dir, &t, filter, &mut outcomes).await,
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            let _ = writeln!(report, "{}: the configuration could not be tested:\n  {e}", f.display());
            return (report, 2, outcomes);
        }
    }
    if let Some(f) = filter
        && outcomes.is_empty()
    {
        let _ = writeln!(report, "Error: -filter={f:?} matches no scenario; nothing was run");
        return (report, 1, outcomes);
    }
    let (mut passed, mut failed) = (0, 0);
    for o in &outcomes {
        if o.failures.is_empty() {
            passed += 1;
            let _ = writeln!(report, "  pass  {} :: {} ({} ms)", o.file, o.scenario, o.millis);
        } else {
            failed += 1;
            let _ = writeln!(report, "  FAIL  {} :: {} ({} ms)", o.file, o.scenario, o.millis);
            for f in &o.failures {
                let _ = writeln!(report, "    {f}");
            }
        }
        if verbose {
            for line in &o.requests {
                let _ = writeln!(report, "        {line}");
            }
        }
    }
    let _ = writeln!(report, "\n{passed} passed, {failed} failed");
    (report, i32::from(failed > 0), outcomes)
}
