//! Managed resource types, one file each.
pub mod gateway;

use crate::resource::Resource;

/// Every resource type this provider serves.
pub fn all() -> Vec<Box<dyn Resource>> {
    vec![Box::new(gateway::GatewayResource)]
}
