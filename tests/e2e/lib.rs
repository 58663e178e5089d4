//! End-to-end tests live in `e2e/main.rs`; this crate has no library code.
