use super::*;

fn hits(profile: &str, text: &str) -> Vec<String> {
    PREDEFINED.iter().find(|p| p.id == profile).expect("profile").scan(text)
}

fn check(profile: &str, positives: &[&str], near_misses: &[&str]) {
    for t in positives {
        assert!(!hits(profile, t).is_empty(), "{profile} should find {t:?}");
    }
    for t in near_misses {
        assert!(hits(profile, t).is_empty(), "{profile} should not find {t:?}: {:?}", hits(profile, t));
    }
}

#[test]
fn credit_cards_need_a_network_prefix_and_the_luhn_check() {
    check(
        "credit_card",
        &[
            "card 4111 1111 1111 1111 exp 12/29",
            "4111-1111-1111-1111",
            "mc 5555555555554444.",
            "amex 378282246310005",
            "visa 4111 1111 1111 1111 2029",
        ],
        &[
            "4111 1111 1111 1112",
            "4111111111111112",
            "order 1234567812345670",
            "id 0000000000000000",
            "tracking 12345678901",
        ],
    );
    assert!(luhn("79927398713"));
    assert!(!luhn("79927398710"));
}

#[test]
fn ssns_outside_the_never_issued_ranges() {
    check(
        "us_ssn",
        &["ssn 123-45-6789", "SSN: 078 05 1120"],
        &["000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000", "123456789", "1123-45-6789"],
    );
}

#[test]
fn ibans_pass_mod_97_at_their_country_length() {
    check(
        "iban",
        &["pay DE89 3704 0044 0532 0130 00 today", "GB82WEST12345698765432", "fr1420041010050500013m02606"],
        &["DE89 3704 0044 0532 0130 01", "DE89370400440532013000123", "XX89370400440532013000"],
    );
    assert!(iban("GB82 WEST 1234 5698 7654 32"));
}

#[test]
fn emails_and_phone_numbers() {
    check("email", &["write to jane.doe+ai@example.co.uk"], &["jane at example dot com", "user@localhost", "@handle"]);
    check(
        "phone",
        &["call +1 415 555 0100", "(415) 555-0100", "415.555.0100", "+442079460958"],
        &["version 1.2.3", "on 2024-05-01", "id 123-456-7890-12", "cost 1,234,567"],
    );
}

#[test]
fn provider_keys_and_secrets() {
    check(
        "credentials",
        &[
            "key sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123",
            "OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwx1234",
            "AKIAIOSFODNN7EXAMPLE",
            "token ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "AIzaSyA1234567890abcdefghijklmnopqrstuv",
            "xoxb-1234567890-abcdefghij",
            "sk_live_abcdefghijklmnopqrstuvwx",
            "-----BEGIN OPENSSH PRIVATE KEY-----",
        ],
        &["risk-free", "sk-short", "AKIA1234", "ghp_short", "a task-ant-like word", "BEGIN PUBLIC KEY"],
    );
}

#[test]
fn custom_profiles_are_regexes_and_may_include_predefined_ones() {
    let p = Profiles::default();
    p.register(CustomProfile {
        id: "5c1b4c9e-0000-4000-8000-000000000001".into(),
        name: "Project codes".into(),
        entries: vec![CustomEntry { id: "code".into(), regex: r"\bPRJ-\d{4}\b".into() }],
        includes: vec!["us_ssn".into()],
    })
    .expect("register");
    let prof = p.get("5c1b4c9e-0000-4000-8000-000000000001").expect("profile");
    assert_eq!(prof.scan("about PRJ-1234"), ["code"]);
    assert_eq!(prof.scan("ssn 123-45-6789"), ["us_ssn"]);
    assert!(prof.scan("PRJ-12").is_empty());
    let bad = CustomProfile {
        id: "x".into(),
        name: String::new(),
        entries: vec![CustomEntry { id: "e".into(), regex: "(".into() }],
        includes: vec![],
    };
    assert!(p.register(bad).expect_err("bad regex").contains("entry \"e\": invalid regex"));
    assert!(
        p.register(CustomProfile { id: "email".into(), name: String::new(), entries: vec![], includes: vec![] })
            .is_err()
    );
    assert!(p.knows("credit_card") && !p.knows("nope"));
}
