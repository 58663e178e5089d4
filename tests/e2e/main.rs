//! End-to-end tests. They run the built binaries (`cargo build` first):
//! `aigw emulator` on port 0, `terraform-provider-aigw` under real Terraform
//! and OpenTofu CLIs, and the engine's plugin client.
#![allow(clippy::unwrap_used, reason = "test code: a panic is the failure report")]

// Shared helpers: binary paths, the emulator process, CLI runners.
mod util;
// PostgreSQL servers and databases for the backend tests.
mod pg;
// Team state: pg and local backends, workspaces, lock interop, migration.
mod backends;
// The tfplugin client half against the real provider binary.
mod plugin;
// The provider under each real CLI: lifecycle, validation, auth.
mod terraform;
// Cache, rate limit and fallback resources under real terraform.
mod policies;
// Guardrails and DLP resources under real terraform.
mod safety;
// Spend limits, Logpush, OpenTelemetry and ZDR under real terraform.
mod logging;
mod spend;
// BYOK provider keys under real terraform.
mod byok;
// Dynamic route graphs under real terraform and tofu.
mod routes;
// Custom providers, and aigw applying every BYOK/routing resource.
mod custom_providers;
// The aigw engine: round trips with terraform, errors, state safety.
mod engine;
// The engine under failure: killed applies, concurrent applies, corrupt state.
mod reliability;
// `aigw test` on the examples and on broken copies of them.
mod aigw_test;
// The language against Terraform's recorded answers (tests/lang).
mod lang;
// `aigw fmt` against terraform fmt's recorded answers (tests/fmt).
mod fmt;
// The engine's golden plans and errors (engine/testdata).
mod golden;
// Module trees shared with terraform and tofu.
mod modules;
// `aigw dev` in a terminal.
mod dev;
// The command line as Terraform users know it.
mod cli;
// Regression tests for defects found by trying it as a new user would.
mod defects;
// Generated configurations: apply, then plan, is empty.
mod properties;
// The fault matrix: kill -9 at each phase of each resource type's changes, and a full disk.
mod faults;
// A newcomer's mistakes, the examples alone, litter, the README on a fresh clone.
mod mistakes;
