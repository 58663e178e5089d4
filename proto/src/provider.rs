//! The provider side's view of the protocol: the [`Provider`] trait a
//! provider implements, and the request/response types it sees. The same
//! types come back out of the engine's client half.
use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::diag::{AttributePath, Diagnostics};
use crate::schema::Schema;
use crate::value::Value;

/// Every schema a provider serves.
#[derive(Debug, Clone, Default)]
pub struct ProviderSchemas {
    pub provider: Schema,
    pub resources: BTreeMap<String, Schema>,
    pub data_sources: BTreeMap<String, Schema>,
}

#[derive(Debug, Clone)]
pub struct ConfigureRequest {
    pub terraform_version: String,
    pub config: Value,
}

#[derive(Debug, Clone)]
pub struct ReadRequest {
    pub type_name: String,
    pub current_state: Value,
    pub private: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
pub struct ReadResponse {
    /// `Null` when the remote object is gone.
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

#[derive(Debug, Clone)]
pub struct PlanRequest {
    pub type_name: String,
    /// `Null` on create.
    pub prior_state: Value,
    /// `Null` on destroy.
    pub proposed_new_state: Value,
    pub config: Value,
    pub prior_private: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
pub struct PlanResponse {
    pub planned_state: Value,
    pub requires_replace: Vec<AttributePath>,
    pub planned_private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

#[derive(Debug, Clone)]
pub struct ApplyRequest {
    pub type_name: String,
    pub prior_state: Value,
    /// `Null` on destroy.
    pub planned_state: Value,
    pub config: Value,
    pub planned_private: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
pub struct ApplyResponse {
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

#[derive(Debug, Clone)]
pub struct ImportedResource {
    pub type_name: String,
    pub state: Value,
    pub private: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
pub struct ImportResponse {
    pub imported: Vec<ImportedResource>,
    pub diagnostics: Diagnostics,
}

/// What a provider implements. Values arrive decoded against the schema of
/// the type named in the request; user errors go into diagnostics.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    fn schemas(&self) -> &ProviderSchemas;

    async fn validate_provider_config(&self, _config: Value) -> Diagnostics {
        Diagnostics::new()
    }
    async fn configure(&self, req: ConfigureRequest) -> Diagnostics;
    async fn validate_resource_config(&self, type_name: &str, config: Value) -> Diagnostics;
    async fn validate_data_source_config(&self, type_name: &str, config: Value) -> Diagnostics;
    /// Called for every resource read from state, with the stored JSON
    /// already decoded against the current schema. The default keeps it.
    async fn upgrade_resource_state(&self, _type_name: &str, _version: i64, state: Value) -> (Value, Diagnostics) {
        (state, Diagnostics::new())
    }
    async fn read_resource(&self, req: ReadRequest) -> ReadResponse;
    async fn plan_resource_change(&self, req: PlanRequest) -> PlanResponse;
    async fn apply_resource_change(&self, req: ApplyRequest) -> ApplyResponse;
    async fn import_resource_state(&self, type_name: &str, id: &str) -> ImportResponse;
    async fn read_data_source(&self, type_name: &str, config: Value) -> (Value, Diagnostics);
    /// Asks in-flight work to stop; `Some(message)` reports a failure to.
    async fn stop(&self) -> Option<String> {
        None
    }
}
