//! Data sources, one file each, and the trait they implement.
pub mod gateway;
pub mod gateway_url;

use async_trait::async_trait;
use tfplugin::{Diagnostics, Schema, Value};

use crate::api::Api;

#[async_trait]
pub trait DataSource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, config: &Value) -> Diagnostics;
    async fn read(&self, api: &Api, config: &Value) -> Result<Value, Diagnostics>;
}

/// Every data source this provider serves.
pub fn all() -> Vec<Box<dyn DataSource>> {
    vec![Box::new(gateway::GatewayDataSource), Box::new(gateway_url::GatewayUrlDataSource)]
}
