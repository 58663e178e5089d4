use super::*;
use serde_json::json;

fn els(v: Json) -> Vec<Element> {
    serde_json::from_value(v).expect("elements")
}

fn model(id: &str, provider: &str, fallback: &str) -> Json {
    json!({"id": id, "type": "model", "outputs": {"success": {"elementId": "end"}, "fallback": {"elementId": fallback}},
           "properties": {"provider": provider, "model": format!("{provider}-m"), "retries": 0, "timeout": 1000}})
}

fn walk<'a>(
    state: &'a RouteState,
    limiter: &'a RateLimiter,
    meta: Option<&'a Map<String, Json>>,
    now: u64,
) -> Walk<'a> {
    Walk { scope: "acct\u{0}gw\u{0}r".into(), metadata: meta, body: &Json::Null, limiter, state, now_ms: now }
}

fn first(w: &Walk<'_>, e: &[Element]) -> String {
    w.steps(e).expect("walk")[0].provider.clone()
}

#[test]
fn a_seventy_thirty_split_lands_within_two_points_and_repeats_with_the_seed() {
    let e = els(json!([
        {"id": "start", "type": "start", "outputs": {"next": {"elementId": "p"}}},
        {"id": "p", "type": "percentage", "outputs": {"70%": {"elementId": "a"}, "30%": {"elementId": "b"}}},
        model("a", "openai", "end"), model("b", "anthropic", "end"),
        {"id": "end", "type": "end", "outputs": {}}
    ]));
    let count = |seed| {
        let (s, l) = (RouteState::new(seed), RateLimiter::default());
        (0..1000).filter(|_| first(&walk(&s, &l, None, 0), &e) == "openai").count()
    };
    let n = count(7);
    assert!((680..=720).contains(&n), "{n} of 1000 took the 70% branch");
    assert_eq!(count(7), n, "the same seed gives the same split");
}

#[test]
fn conditions_read_metadata_and_the_body() {
    let e = els(json!([
        {"id": "start", "type": "start", "outputs": {"next": {"elementId": "c"}}},
        {"id": "c", "type": "conditional", "properties": {"conditions": {"metadata.plan": {"$eq": "free"}}},
         "outputs": {"true": {"elementId": "cheap"}, "false": {"elementId": "best"}}},
        model("cheap", "workers-ai", "end"), model("best", "openai", "cheap"),
        {"id": "end", "type": "end", "outputs": {}}
    ]));
    let (s, l) = (RouteState::new(0), RateLimiter::default());
    let free: Map<String, Json> = json!({"plan": "free"}).as_object().cloned().expect("map");
    assert_eq!(first(&walk(&s, &l, Some(&free), 0), &e), "workers-ai");
    let steps = walk(&s, &l, None, 0).steps(&e).expect("walk");
    assert_eq!(steps.iter().map(|s| s.provider.as_str()).collect::<Vec<_>>(), ["openai", "workers-ai"]);
}

#[test]
fn rate_and_budget_elements_fall_through_once_over_and_reset_with_the_window() {
    let e = els(json!([
        {"id": "start", "type": "start", "outputs": {"next": {"elementId": "r"}}},
        {"id": "r", "type": "rate", "properties": {"key": "metadata.user", "limit": 2, "limitType": "count", "window": 60},
         "outputs": {"success": {"elementId": "b"}, "fallback": {"elementId": "cheap"}}},
        {"id": "b", "type": "rate", "properties": {"key": "metadata.user", "limit": 1, "limitType": "cost", "window": 3600},
         "outputs": {"success": {"elementId": "best"}, "fallback": {"elementId": "cheap"}}},
        model("best", "openai", "end"), model("cheap", "workers-ai", "end"),
        {"id": "end", "type": "end", "outputs": {}}
    ]));
    let (s, l) = (RouteState::new(0), RateLimiter::default());
    let ann: Map<String, Json> = json!({"user": "ann"}).as_object().cloned().expect("map");
    let bob: Map<String, Json> = json!({"user": "bob"}).as_object().cloned().expect("map");
    let steps = walk(&s, &l, Some(&ann), 0).steps(&e).expect("walk");
    assert_eq!(steps[0].provider, "openai");
    assert_eq!(steps[0].budgets.len(), 1, "the budget it passed is charged if it answers");
    s.charge(&steps[0].budgets[0], 1.5, 0);
    assert_eq!(first(&walk(&s, &l, Some(&ann), 1), &e), "workers-ai", "over budget");
    assert_eq!(first(&walk(&s, &l, Some(&bob), 2), &e), "openai", "budgets are per key");
    assert_eq!(first(&walk(&s, &l, Some(&ann), 3), &e), "workers-ai", "third request: over the count");
    assert_eq!(first(&walk(&s, &l, Some(&ann), 3_600_000), &e), "openai", "a new window");
}
