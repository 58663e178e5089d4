//! Generated protobuf types. They never leave this crate's public API except
//! through the conversion functions in `convert`.
#![allow(clippy::all, dead_code, missing_docs, unreachable_pub)]
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}
pub mod plugin {
    tonic::include_proto!("plugin");
}
