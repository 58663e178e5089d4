//! The state file and saved-plan readers on any text: a clear error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let path = std::path::Path::new("/nonexistent/terraform.tfstate");
    if let Ok(state) = aigw::state::State::parse(path, text) {
        let _ = aigw::json::state_json(&state);
        for a in aigw::commands::list(&state) {
            let _ = aigw::commands::show(&state, &a);
        }
        let _ = aigw::commands::outputs(&state, None, false, false);
    }
    let _ = aigw::planfile::SavedPlan::parse(std::path::Path::new("p.bin"), text);
});
