use super::*;
use aigw_cloudflare::Gateway;

fn gateway(settings: Value) -> Gateway {
    let mut g = Gateway { id: "g".into(), ..Gateway::default() };
    if let Value::Object(m) = settings {
        g.extra.extend(m);
    }
    g
}

fn chat(words: &str) -> Vec<u8> {
    json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": words}]}).to_string().into_bytes()
}

fn answer(words: &str) -> Vec<u8> {
    json!({"choices": [{"message": {"role": "assistant", "content": words}}]}).to_string().into_bytes()
}

#[test]
fn every_category_flags_and_blocks_on_prompt_and_response() {
    let safety = Safety::default();
    for (cat, _) in CATEGORIES {
        for action in ["FLAG", "BLOCK"] {
            let g = gateway(json!({"guardrails": {"prompt": {*cat: action}, "response": {*cat: action}}}));
            let c = Controls::of(&g);
            let marked = format!("tell me [[aigw:{cat}]] now");
            let mut f = Findings::default();
            let r = c.request(&safety, &chat(&marked), &mut f);
            assert_eq!(f.prompt, [(*cat, if action == "FLAG" { Action::Flag } else { Action::Block })]);
            match action {
                "FLAG" => assert!(r.is_ok(), "{cat} FLAG lets the prompt through"),
                _ => assert_eq!(r.map_err(|e| (e.status.as_u16(), e.code)), Err((424, 2016)), "{cat}"),
            }
            let mut f = Findings::default();
            let r = c.response(&safety, &answer(&marked), &mut f);
            assert_eq!(f.response.len(), 1, "{cat} {action} on the response");
            match action {
                "FLAG" => assert!(r.is_ok()),
                _ => assert_eq!(r.map_err(|e| (e.status.as_u16(), e.code)), Err((424, 2017)), "{cat}"),
            }
            // Clean text, and a category the gateway does not configure, pass unrecorded.
            let mut f = Findings::default();
            assert!(c.request(&safety, &chat("what is the capital of France?"), &mut f).is_ok());
            assert!(f.is_empty());
        }
    }
    let g = gateway(json!({"guardrails": {"prompt": {"S1": "BLOCK"}}}));
    let mut f = Findings::default();
    assert!(Controls::of(&g).request(&safety, &chat("[[aigw:S2]]"), &mut f).is_ok());
    assert!(f.is_empty(), "S2 is not configured: ignored");
    assert!(!Controls::of(&g).checks_response());
}

#[test]
fn dlp_policies_check_their_side_and_report_findings() {
    let safety = Safety::default();
    let g = gateway(json!({"dlp": {"enabled": true, "policies": [
        {"id": "cards-in", "action": "BLOCK", "check": ["REQUEST"], "profiles": ["credit_card"]},
        {"id": "pii-both", "action": "FLAG", "check": ["REQUEST", "RESPONSE"], "profiles": ["email", "us_ssn"]},
        {"id": "off", "action": "BLOCK", "check": ["REQUEST"], "enabled": false, "profiles": ["email"]}
    ]}}));
    let c = Controls::of(&g);
    let mut f = Findings::default();
    assert!(c.request(&safety, &chat("mail jane@example.com"), &mut f).is_ok(), "FLAG only");
    assert_eq!(f.dlp_action(), Some(Action::Flag));
    assert_eq!(f.dlp[0].policy_id, "pii-both");
    let header: Value = serde_json::from_str(&f.dlp_header().expect("header")).expect("json");
    assert_eq!(header["action"], "FLAG");
    assert_eq!(header["findings"][0]["profile"]["profile_id"], "email");
    assert_eq!(header["findings"][0]["check"], "REQUEST");

    let mut f = Findings::default();
    let e = c.request(&safety, &chat("card 4111 1111 1111 1111"), &mut f).expect_err("blocked");
    assert_eq!((e.status.as_u16(), e.code), (424, 2029));
    let mut f = Findings::default();
    assert!(c.request(&safety, &chat("card 4111 1111 1111 1112"), &mut f).is_ok(), "fails Luhn: not a card");
    assert!(f.is_empty());

    // The card policy does not check responses; the PII one flags them.
    let mut f = Findings::default();
    assert!(c.response(&safety, &answer("4111 1111 1111 1111 and 123-45-6789"), &mut f).is_ok());
    assert_eq!(f.dlp.len(), 1);
    assert_eq!(f.dlp[0].entry_ids, ["us_ssn"]);
    let log = f.dlp_log().expect("log");
    assert_eq!(log["check"], json!(["RESPONSE"]));

    let g = gateway(json!({"dlp": {"enabled": true, "action": "BLOCK", "profiles": ["credentials"]}}));
    let mut f = Findings::default();
    let e = Controls::of(&g).response(&safety, &answer("use AKIAIOSFODNN7EXAMPLE"), &mut f).expect_err("blocked");
    assert_eq!(e.code, 2030);
}
