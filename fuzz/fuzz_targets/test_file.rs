//! `*.aigwtest.hcl` files on any text: errors at a place, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = aigw::testing::file::TestFile::parse("x.aigwtest.hcl", text);
});
