//! The trait every managed resource implements, and the parts of planning
//! that all of them share.
use async_trait::async_trait;
use tfplugin::provider::{PlanRequest, PlanResponse};
use tfplugin::{Diagnostics, Schema, Value};

use crate::api::Api;

/// One managed resource type. The provider routes protocol calls here
/// after decoding values against [`Resource::schema`].
#[async_trait]
pub trait Resource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    /// Static checks of a configuration; unknown values pass.
    fn validate(&self, config: &Value) -> Diagnostics;
    /// Plans a create (`prior` null) or an update. Destroys are not planned.
    fn plan(&self, api: Option<&Api>, req: &PlanRequest) -> PlanResponse;
    async fn create(&self, api: &Api, planned: &Value, config: &Value) -> Result<Value, Diagnostics>;
    /// `Ok(None)` when the remote object is gone.
    async fn read(&self, api: &Api, state: &Value) -> Result<Option<Value>, Diagnostics>;
    async fn update(&self, api: &Api, prior: &Value, planned: &Value, config: &Value) -> Result<Value, Diagnostics>;
    async fn delete(&self, api: &Api, prior: &Value) -> Result<(), Diagnostics>;
    async fn import(&self, api: &Api, id: &str) -> Result<Value, Diagnostics>;
}

/// Names of attributes whose planned value differs from the prior state.
pub fn changed_attributes<'a>(schema: &'a Schema, prior: &Value, planned: &Value) -> Vec<&'a str> {
    schema
        .block
        .attributes
        .iter()
        .filter(|a| prior.attr(&a.name) != planned.attr(&a.name))
        .map(|a| a.name.as_str())
        .collect()
}

/// Replacement paths: the `forces_new` attributes among those that changed.
pub fn replacements(changed: &[&str], forces_new: &[&str]) -> Vec<tfplugin::AttributePath> {
    forces_new.iter().filter(|n| changed.contains(n)).map(|n| tfplugin::AttributePath::root(n)).collect()
}

/// The value of `name`: from config if set there, else from `fallback`.
pub fn configured_or<'a>(config: &'a Value, fallback: &'a Value, name: &str) -> &'a Value {
    let c = config.attr(name);
    if c.is_null() { fallback.attr(name) } else { c }
}
