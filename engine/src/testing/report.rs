//! `aigw test -report FILE`: one self-contained HTML file per run (no
//! scripts, no external assets) with every scenario, pass or fail, its
//! requests and their answers, and each assertion with the values it read.
//! Made for CI artifacts: it opens offline in any browser.
use std::fmt::Write;

use super::Outcome;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// An answer's JSON, pretty and cut to a readable length.
fn answer(v: &serde_json::Value) -> String {
    let s = serde_json::to_string_pretty(v).unwrap_or_default();
    match s.char_indices().nth(4000) {
        Some((cut, _)) => format!("{}\n… ({} more characters)", &s[..cut], s.len() - cut),
        None => s,
    }
}

fn scenario(out: &mut String, o: &Outcome, i: usize) {
    let passed = o.failures.is_empty();
    let (class, verdict) = if passed { ("pass", "pass") } else { ("fail", "FAIL") };
    let _ = write!(
        out,
        "<details class=\"scenario {class}\" id=\"s{i}\" data-scenario=\"{}\" data-result=\"{class}\"{}>\n\
         <summary><span class=\"verdict\">{verdict}</span> {} <span class=\"muted\">:: {} ({} ms)</span></summary>\n",
        esc(&o.scenario),
        if passed { "" } else { " open" },
        esc(&o.file),
        esc(&o.scenario),
        o.millis
    );
    if !o.failures.is_empty() {
        out.push_str("<h4>Failures</h4>\n");
        for f in &o.failures {
            let _ = writeln!(out, "<pre class=\"failure\">{}</pre>", esc(f));
        }
    }
    out.push_str(
        "<h4>Assertions</h4>\n<table><tr><th></th><th>condition</th><th>result</th><th>values read</th></tr>\n",
    );
    for c in &o.checks {
        let values: Vec<String> = c.values.iter().map(|(k, v)| format!("{} = {}", esc(k), esc(v))).collect();
        let _ = writeln!(
            out,
            "<tr class=\"{}\"><td>{}</td><td><code>{}</code><div class=\"muted\">{}</div></td><td><code>{}</code></td><td><code>{}</code></td></tr>",
            if c.passed { "pass" } else { "fail" },
            if c.passed { "✓" } else { "✗" },
            esc(&c.condition),
            esc(&c.loc),
            esc(&c.result),
            values.join("<br>")
        );
    }
    out.push_str("</table>\n<h4>Requests</h4>\n");
    for line in &o.requests {
        let _ = writeln!(out, "<div class=\"muted\">{}</div>", esc(line));
    }
    for (name, v) in &o.answers {
        let _ = writeln!(
            out,
            "<details><summary><code>request.{}</code></summary><pre>{}</pre></details>",
            esc(name),
            esc(&answer(v))
        );
    }
    out.push_str("</details>\n");
}

/// The report for one run; `title` names what was tested.
pub fn html(title: &str, outcomes: &[Outcome]) -> String {
    let failed = outcomes.iter().filter(|o| !o.failures.is_empty()).count();
    let mut out = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>aigw test: {}</title>\n<style>{CSS}</style></head>\n<body>\n\
         <h1>aigw test: {}</h1>\n<p id=\"summary\" class=\"{}\">{} passed, {failed} failed</p>\n",
        esc(title),
        esc(title),
        if failed == 0 { "pass" } else { "fail" },
        outcomes.len() - failed
    );
    for (i, o) in outcomes.iter().enumerate() {
        scenario(&mut out, o, i);
    }
    out.push_str("</body></html>\n");
    out
}

const CSS: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2330}h1{font-size:20px}\
h4{margin:12px 0 4px}.muted{color:#6b7385;font-size:12px}.scenario{border:1px solid #e3e6ec;border-radius:8px;\
padding:8px 12px;margin:8px 0}.scenario>summary{cursor:pointer;font-weight:600}.verdict{display:inline-block;\
min-width:42px}.pass .verdict,#summary.pass{color:#1a7f37}.fail .verdict,#summary.fail{color:#c62828}\
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e3e6ec;padding:4px 6px;text-align:left;\
vertical-align:top;font-size:13px}tr.fail td{background:#fff1f0}pre{background:#f7f8fa;padding:8px;\
border-radius:6px;white-space:pre-wrap;word-break:break-word;max-height:360px;overflow:auto}pre.failure{background:#fff1f0}";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Check;

    #[test]
    fn every_scenario_is_in_the_report_with_its_verdict_and_escaped() {
        let o = |name: &str, failures: Vec<String>| Outcome {
            file: "t.aigwtest.hcl".into(),
            scenario: name.into(),
            failures,
            millis: 3,
            requests: vec!["chat: 200".into()],
            answers: vec![("chat".into(), serde_json::json!({"status": 200, "body": "<b>hi</b>"}))],
            checks: vec![Check {
                loc: "t.aigwtest.hcl:4".into(),
                condition: "request.chat.status == 200".into(),
                passed: true,
                result: "true".into(),
                values: vec![("request.chat.status".into(), "200".into())],
            }],
        };
        let page = html("examples/quickstart", &[o("cache_hit", vec![]), o("rate_limit", vec!["boom <x>".into()])]);
        assert!(page.contains("1 passed, 1 failed"));
        assert!(page.contains("data-scenario=\"cache_hit\" data-result=\"pass\""));
        assert!(page.contains("data-scenario=\"rate_limit\" data-result=\"fail\" open"));
        assert!(page.contains("boom &lt;x&gt;") && !page.contains("<b>hi</b>"));
        assert!(!page.contains("<script"), "self-contained and inert");
    }
}
