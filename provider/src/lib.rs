//! The aigw Terraform provider: Cloudflare AI Gateway as code.
//!
//! - [`provider`]: the provider schema, configuration (API client), and the
//!   dispatch from protocol calls to resources and data sources.
//! - [`resource`]: the [`resource::Resource`] trait each resource file implements.
//! - [`resources`] and [`data_sources`]: one file per type.
//! - [`validators`]: attribute checks shared by resources, run at plan time.
//! - [`locks`]: per-gateway write serialization.
pub mod api;
pub mod data_sources;
pub mod error;
pub mod locks;
pub mod provider;
pub mod resource;
pub mod resources;
pub mod validators;

pub use error::Error;
pub use provider::AigwProvider;

/// The provider's source address in Terraform's registry namespace.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/aigw/aigw";
