//! The management API's validation of gateway bodies: a zod-shaped error
//! list, never a panic, for any JSON.
#![no_main]
use aigw_emulator::management::validate::{Mode, gateway_body};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let _ = gateway_body(&json, Mode::Create);
    let _ = gateway_body(&json, Mode::Update);
    let _ = aigw_emulator::management::route_graph::validate(Some(&json));
    let _ = aigw_emulator::management::route_graph::validate(json.get("elements"));
});
