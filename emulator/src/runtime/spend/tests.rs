use super::*;
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};

const G: (&str, &str) = ("acct", "gw");
/// On a day boundary.
const T0: u64 = 1_800_000_000_000 - 1_800_000_000_000 % 86_400_000;

fn limits(v: Value) -> SpendLimits {
    serde_json::from_value(json!({"enabled": true, "rules": v})).expect("spend limits")
}

fn step(worst_usd: f64) -> [Candidate<'static>; 1] {
    [Candidate { provider: "openai", model: "gpt-4o-mini", worst_usd }]
}

/// A rule's spend over all its partitions.
fn spent(ledger: &Ledger, rule: &str, now_ms: u64) -> f64 {
    ledger.standings(now_ms).iter().filter(|s| s.rule_id == rule).map(|s| s.spent).sum()
}

fn meta(v: Value) -> Map<String, Value> {
    v.as_object().expect("object").clone()
}

#[test]
fn exactly_the_budget_is_admitted_under_16_threads() {
    let ledger = Arc::new(Ledger::default());
    let l = limits(json!([{"id": "r", "limit": 1.0, "window": 3600}]));
    let admitted = Arc::new(AtomicU64::new(0));
    std::thread::scope(|s| {
        for _ in 0..16 {
            s.spawn(|| {
                for _ in 0..10 {
                    // Each request holds its worst case, then costs exactly that.
                    if let Ok(r) = ledger.admit(G, &l, &step(0.1), None, T0) {
                        admitted.fetch_add(1, Ordering::Relaxed);
                        r.settle("openai", "gpt-4o-mini", 0.1, T0 + 1);
                    }
                }
            });
        }
    });
    assert_eq!(admitted.load(Ordering::Relaxed), 10, "$1.00 buys ten $0.10 requests, not one more");
}

#[test]
fn held_amounts_refuse_requests_while_others_run() {
    let ledger = Arc::new(Ledger::default());
    let l = limits(json!([{"id": "r", "limit": 1.0, "window": 60, "technique": "fixed"}]));
    let a = ledger.admit(G, &l, &step(0.6), None, T0).expect("first fits");
    let e = ledger.admit(G, &l, &step(0.6), None, T0).err().expect("0.6 + 0.6 > 1");
    assert_eq!((e.status.as_u16(), e.code), (429, 2045));
    assert_eq!(e.message, "Spend limit exceeded: rule 'r' (cost limit 1 per 60s, fixed) for openai gpt-4o-mini");
    // The first one cost far less than it held: the budget is free again.
    a.settle("openai", "gpt-4o-mini", 0.1, T0);
    let b = ledger.admit(G, &l, &step(0.6), None, T0).expect("0.1 + 0.6 fits");
    drop(b); // never settled (a panic, say): releases, charges nothing
    assert!((spent(&ledger, "r", T0) - 0.1).abs() < 1e-9);
}

#[test]
fn a_zero_budget_refuses_even_free_requests() {
    let ledger = Arc::new(Ledger::default());
    let l = limits(json!([{"limit": 0, "window": 60}]));
    assert!(ledger.admit(G, &l, &step(0.0), None, T0).is_err());
    let off: SpendLimits =
        serde_json::from_value(json!({"enabled": false, "rules": [{"limit": 0, "window": 60}]})).expect("limits");
    assert!(ledger.admit(G, &off, &step(1.0), None, T0).is_ok(), "spend_limits.enabled = false");
}

#[test]
fn fixed_windows_refill_on_the_clock_edge_and_sliding_ones_decay() {
    let ledger = Arc::new(Ledger::default());
    let fixed = limits(json!([{"id": "f", "limit": 1.0, "window": 60, "technique": "fixed"}]));
    ledger.admit(G, &fixed, &step(1.0), None, T0 + 59_000).expect("fits").settle(
        "openai",
        "gpt-4o-mini",
        1.0,
        T0 + 59_000,
    );
    assert!(ledger.admit(G, &fixed, &step(0.01), None, T0 + 59_999).is_err());
    assert!(ledger.admit(G, &fixed, &step(1.0), None, T0 + 60_000).is_ok(), "a new window");

    let sliding = limits(json!([{"id": "s", "limit": 1.0, "window": 60}]));
    ledger.admit(G, &sliding, &step(1.0), None, T0 + 30_000).expect("fits").settle(
        "openai",
        "gpt-4o-mini",
        1.0,
        T0 + 30_000,
    );
    // 15 s into the next window, 75% of the previous dollar still counts.
    assert!(ledger.admit(G, &sliding, &step(0.3), None, T0 + 75_000).is_err());
    assert!(ledger.admit(G, &sliding, &step(0.25), None, T0 + 75_000).is_ok());
}

#[test]
fn filters_and_partitions_pick_the_budget() {
    let ledger = Arc::new(Ledger::default());
    let l = limits(json!([
        {"id": "per-team", "limit": 1.0, "window": 3600, "metadata": {"team": {"mode": "partition"}}},
        {"id": "prod-4o", "limit": 0.5, "window": 3600,
         "model": {"mode": "filter", "values": ["openai/gpt-4o"]},
         "metadata": {"env": {"mode": "filter", "values": ["prod"]}}}
    ]));
    let search = meta(json!({"team": "search"}));
    let ads = meta(json!({"team": "ads"}));
    ledger.admit(G, &l, &step(1.0), Some(&search), T0).expect("fits").settle("openai", "gpt-4o-mini", 1.0, T0);
    assert!(ledger.admit(G, &l, &step(0.1), Some(&search), T0).is_err(), "search spent its dollar");
    assert!(ledger.admit(G, &l, &step(1.0), Some(&ads), T0).is_ok(), "ads has its own");
    assert!(ledger.admit(G, &l, &step(1.0), None, T0).is_ok(), "no team: one more partition");
    let teams: Vec<_> = ledger.standings(T0).into_iter().filter(|s| s.rule_id == "per-team").collect();
    let of = |team: Option<&str>| teams.iter().find(|s| s.partition["team"].as_deref() == team).expect("partition");
    assert_eq!((of(Some("search")).spent, of(Some("ads")).spent, of(None).held), (1.0, 0.0, 0.0), "{teams:?}");

    let four_o = [Candidate { provider: "openai", model: "gpt-4o", worst_usd: 0.4 }];
    let prod = meta(json!({"team": "x", "env": "prod"}));
    let dev = meta(json!({"team": "y", "env": "dev"}));
    ledger.admit(G, &l, &four_o, Some(&prod), T0).expect("fits").settle("openai", "gpt-4o", 0.4, T0);
    let e = ledger.admit(G, &l, &four_o, Some(&meta(json!({"team": "z", "env": "prod"}))), T0).err().expect("over");
    assert!(e.message.contains("rule 'prod-4o'"), "{}", e.message);
    assert!(ledger.admit(G, &l, &four_o, Some(&dev), T0).is_ok(), "the filter leaves dev out");
}

#[test]
fn a_fallback_step_is_charged_only_where_it_counts() {
    let ledger = Arc::new(Ledger::default());
    let l = limits(json!([{"id": "anthropic", "limit": 1.0, "window": 3600,
        "provider": {"mode": "filter", "values": ["anthropic"]}}]));
    let steps = [
        Candidate { provider: "openai", model: "gpt-4o", worst_usd: 0.9 },
        Candidate { provider: "anthropic", model: "claude-sonnet-4", worst_usd: 0.6 },
    ];
    // The fallback could answer, so its worst case is held...
    let r = ledger.admit(G, &l, &steps, None, T0).expect("fits");
    assert!(ledger.admit(G, &l, &steps, None, T0).is_err(), "0.6 + 0.6 held");
    // ...but the first step answered: the anthropic budget pays nothing.
    r.settle("openai", "gpt-4o", 0.9, T0);
    assert_eq!(spent(&ledger, "anthropic", T0), 0.0);
}
