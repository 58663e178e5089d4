//! The management API's validation of gateway bodies: a zod-shaped error
//! list, never a panic, for any JSON (guardrails and DLP included).
#![no_main]
use aigw_emulator::management::validate::{Mode, gateway_body};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    // Some DLP profile ids known, some not, so both paths of the check run.
    let known = |id: &str| id.len() % 2 == 0;
    let _ = gateway_body(&json, Mode::Create, &known);
    let _ = gateway_body(&json, Mode::Update, &known);
    let _ = aigw_emulator::management::route_graph::validate(Some(&json));
    let _ = aigw_emulator::management::route_graph::validate(json.get("elements"));
});
