//! The aigw engine: Terraform's workflow for aigw configurations. The data
//! flows one way: [`config`] (HCL files → model, with the module tree that
//! [`modules`] finds) → [`graph`] (dependency order) → [`plan`] (the module
//! walk, through the [`providers`] interface: a tfplugin6 plugin, or a
//! provider in this process) → [`apply`] → [`state`] (Terraform's state v4
//! file, kept by a [`backend`]). [`addrs`] holds the typed addresses;
//! [`lang`] evaluates expressions with unknowns; [`instance`] makes one
//! resource's configuration value; [`conditions`] checks pre/postconditions,
//! triggers and `check` blocks; [`moved`], [`imports`] and [`generate`] carry
//! out `moved`, `import` and `removed` blocks; [`render`] and [`json`] show
//! plans as Terraform does; [`discovery`] finds provider binaries.
pub mod addrs;
pub mod apply;
pub mod backend;
pub mod commands;
pub mod conditions;
pub mod config;
pub mod console;
pub mod dev;
pub mod discovery;
pub mod error;
pub mod failpoint;
pub mod fmt;
pub mod generate;
pub mod graph;
pub mod imports;
pub mod instance;
pub mod journal;
pub mod json;
pub mod lang;
pub mod lock;
pub mod modules;
pub mod moved;
pub mod plan;
pub mod planfile;
pub mod progress;
pub mod providers;
pub mod render;
pub mod run;
pub mod state;
pub mod testing;
pub mod variables;

pub use error::Error;

#[cfg(test)]
mod tests;
