//! Data source `aigw_gateway`: reads one existing gateway by account and id.
use async_trait::async_trait;
use tfplugin::schema::Block;
use tfplugin::{Diagnostics, Schema, Value};

use super::DataSource;
use crate::api::Api;
use crate::resource::Resource;
use crate::resources::gateway::{ATTRIBUTES, GatewayResource, ids, to_state, validate_ids};

pub struct GatewayDataSource;

#[async_trait]
impl DataSource for GatewayDataSource {
    fn type_name(&self) -> &'static str {
        "aigw_gateway"
    }

    /// The resource's attributes, all computed except the two that name it.
    fn schema(&self) -> Schema {
        let mut block = Block::new("Reads an existing AI Gateway.");
        for mut a in GatewayResource.schema().block.attributes {
            let key = a.name == "account_id" || a.name == "id";
            a.required = key;
            a.optional = false;
            a.computed = !key;
            block = block.attr(a);
        }
        Schema::new(0, block)
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        validate_ids(&mut d, config, "id");
        d
    }

    async fn read(&self, api: &Api, config: &Value) -> Result<Value, Diagnostics> {
        let (account, id) = ids(config)?;
        match api.client.get_gateway(&account, &id).await {
            Ok(g) => Ok(to_state(api, &account, &g)),
            Err(e) => Err(crate::Error::from(e).to_diagnostics(&format!("Cannot read gateway {id:?}"), ATTRIBUTES)),
        }
    }
}
