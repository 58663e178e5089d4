//! tfplugin: Terraform plugin protocol 6 for aigw, both halves.
//!
//! - [`value`]: cty types and values (null, unknown, refined unknown) and
//!   their msgpack and JSON codecs.
//! - [`schema`] and [`diag`]: schemas and diagnostics with attribute paths.
//! - [`provider`]: the [`provider::Provider`] trait a provider implements,
//!   and the request/response types both halves share.
//! - [`server`]: serve a provider under go-plugin's handshake with AutoMTLS.
//! - [`client`]: launch and drive a provider binary, as Terraform does.
//!
//! Generated protobuf types stay private to this crate.
pub mod client;
mod convert;
pub mod diag;
mod pb;
pub mod provider;
pub mod schema;
pub mod server;
pub mod tls;
pub mod value;

pub use diag::{AttributePath, Diagnostic, Diagnostics, Severity};
pub use provider::Provider;
pub use schema::{Attribute, Block, Schema};
pub use value::{Type, Value};

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid type: {0}")]
    Type(String),
    #[error("cannot decode value: {0}")]
    Decode(String),
    #[error("cannot encode value: {0}")]
    Encode(String),
    #[error("invalid schema: {0}")]
    Schema(String),
    #[error("plugin handshake: {0}")]
    Handshake(String),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("transport: {0}")]
    Transport(String),
    #[error("RPC failed: {0}")]
    Rpc(#[from] tonic::Status),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Diagnostics(Diagnostics),
    #[error(
        "This binary is a plugin. These are not meant to be executed directly.\nPlease execute the program that consumes these plugins, which will load any plugins automatically"
    )]
    NotAPlugin,
}
