//! Data source `aigw_gateway_url`: the base URL an app gives its SDK to
//! reach one provider through a gateway, as the API reports it. The slug
//! attribute is `provider_slug` because `provider` is a meta-argument
//! Terraform reserves in every resource and data block.
use async_trait::async_trait;
use tfplugin::schema::{Attribute, Block};
use tfplugin::{AttributePath, Diagnostics, Schema, Type, Value};

use super::DataSource;
use crate::api::Api;
use crate::resources::gateway_settings::{gateway_missing, gateway_ref, keys, validate_gateway_ref};

pub struct GatewayUrlDataSource;

#[async_trait]
impl DataSource for GatewayUrlDataSource {
    fn type_name(&self) -> &'static str {
        "aigw_gateway_url"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            gateway_ref(
                Block::new("The runtime base URL for one provider on a gateway, e.g. for the OpenAI SDK's base_url."),
                "The gateway's id.",
            )
            .attr(
                Attribute::new("provider_slug", Type::String)
                    .required()
                    .describe("Provider slug, e.g. `openai`, `anthropic`, `workers-ai`, or `compat`."),
            )
            .attr(Attribute::new("url", Type::String).computed().describe("The base URL.")),
        )
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        validate_gateway_ref(&mut d, config);
        if let Some(p) = config.attr("provider_slug").as_str()
            && p != "compat"
            && !aigw_cloudflare::providers::is_known(p)
        {
            d.attribute_error(
                AttributePath::root("provider_slug"),
                "Unknown provider",
                format!(
                    "{p:?} is not an AI Gateway provider. Known: {}, compat, or custom-<slug>.",
                    aigw_cloudflare::providers::slugs().join(", ")
                ),
            );
        }
        d
    }

    async fn read(&self, api: &Api, config: &Value) -> Result<Value, Diagnostics> {
        let (account, gateway) = keys(config)?;
        let provider = config.attr("provider_slug").as_str().unwrap_or_default();
        let url = api.client.gateway_url(&account, &gateway, provider).await.map_err(|e| {
            if e.is_not_found() {
                gateway_missing(&account, &gateway)
            } else {
                crate::Error::from(e).to_diagnostics("Cannot get the gateway URL", &[])
            }
        })?;
        let mut out = config.clone();
        out.set_attr("url", Value::from(url));
        Ok(out)
    }
}
