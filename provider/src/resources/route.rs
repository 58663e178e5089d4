//! `aigw_route`: a Cloudflare dynamic route as a graph of named nodes:
//! `model`, `conditional` (on the request's metadata or body), `percentage`
//! (a weighted split), `rate` (requests per key and window) and `budget`
//! (spend per key and window), each leading to other nodes or to `"end"`.
//! The graph is checked at plan time with the node's attribute path. An
//! edit deploys a new version in place (same route id); renaming is a
//! PATCH. `aigw_fallback` stays as the simple form of a chain.
mod graph;

use aigw_cloudflare::Route;
use async_trait::async_trait;
use tfplugin::provider::{PlanRequest, PlanResponse};
use tfplugin::schema::{Attribute, Block, NestedObject, Nesting};
use tfplugin::{Diagnostics, Schema, Type, Value};

use super::gateway_settings::{gateway_ref, validate_gateway_ref};
use super::route_crud;
use crate::api::Api;
use crate::resource::Resource;
use crate::validators;

pub struct RouteResource;

fn node_schema() -> NestedObject {
    let s = |name: &str, doc: &str| Attribute::new(name, Type::String).optional().describe(doc);
    let n = |name: &str, doc: &str| Attribute::new(name, Type::Number).optional().describe(doc);
    NestedObject {
        nesting: Nesting::Map,
        attributes: vec![
            Attribute::new("type", Type::String)
                .required()
                .describe("`model`, `conditional`, `percentage`, `rate` or `budget`."),
            s("provider", "model: the provider slug, e.g. `openai`."),
            s("model", "model: the model name at that provider."),
            n("retries", "model: retries before falling back, 0-5. Default 0."),
            n("timeout_ms", "model: milliseconds to the first byte before falling back. Default 30000."),
            s("condition", "conditional: a JSON condition, e.g. `jsonencode({ \"metadata.plan\" = \"free\" })`."),
            s("if_true", "conditional: the node when the condition holds (default `end`)."),
            s("if_false", "conditional: the node otherwise (default `end`)."),
            Attribute::new("split", Type::map(Type::Number))
                .optional()
                .describe("percentage: node name → share in percent; the shares total 100."),
            s("key", "rate, budget: what the limit counts by, e.g. `metadata.user_id`."),
            n("limit", "rate: requests per window. budget: USD per window."),
            n("window", "rate, budget: the window in seconds."),
            s("next", "rate, budget: the node while under the limit (default `end`)."),
            s(
                "fallback",
                "model: the node when the model fails; rate, budget: the node once over the limit. Default `end`.",
            ),
        ],
    }
}

fn state_of(account: &str, gateway: &str, r: &Route, prior: &Value) -> Value {
    let (start, nodes) = graph::nodes_value(&r.elements, prior);
    Value::object([
        ("id", Value::from(r.id.as_str())),
        ("account_id", Value::from(account)),
        ("gateway_id", Value::from(gateway)),
        ("name", Value::from(r.name.as_str())),
        ("start", start),
        ("nodes", nodes),
        ("version_id", Value::from(r.version.version_id.as_str())),
        ("deployment_id", Value::from(r.deployment.deployment_id.as_str())),
    ])
}

#[async_trait]
impl Resource for RouteResource {
    fn type_name(&self) -> &'static str {
        "aigw_route"
    }

    fn schema(&self) -> Schema {
        let block = Block::new(
            "A dynamic route: a graph of model, conditional, percentage, rate and budget nodes that apps call as \
             model `dynamic/<name>`.",
        )
        .attr(Attribute::new("id", Type::String).computed().describe("The route id."));
        Schema::new(
            0,
            gateway_ref(block, "The gateway's id.")
                .attr(
                    Attribute::new("name", Type::String)
                        .required()
                        .describe("Route name; apps use model `dynamic/<name>`. Renaming updates in place."),
                )
                .attr(Attribute::new("start", Type::String).required().describe("The first node's name."))
                .attr(Attribute::nested("nodes", node_schema()).required().describe(
                    "The nodes by name (1-50). Targets are node names or `end`. Editing them deploys a new \
                     version in place.",
                ))
                .attr(Attribute::new("version_id", Type::String).computed().describe("The deployed version."))
                .attr(Attribute::new("deployment_id", Type::String).computed().describe("The live deployment.")),
        )
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        validate_gateway_ref(&mut d, config);
        let name_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.';
        validators::chars(&mut d, config, "name", 64, name_char, "letters, digits, '-', '_' and '.'");
        graph::validate(&mut d, config);
        d
    }

    fn plan(&self, _api: Option<&Api>, req: &PlanRequest) -> PlanResponse {
        route_crud::plan(&self.schema(), req, &["nodes", "start"])
    }

    async fn create(&self, api: &Api, planned: &Value, _config: &Value) -> Result<Value, Diagnostics> {
        let (account, gateway, r) = route_crud::create(api, planned, &graph::elements(planned)).await?;
        Ok(state_of(&account, &gateway, &r, planned))
    }

    async fn read(&self, api: &Api, state: &Value) -> Result<Option<Value>, Diagnostics> {
        Ok(route_crud::read(api, state).await?.map(|(a, g, r)| state_of(&a, &g, &r, state)))
    }

    async fn update(&self, api: &Api, prior: &Value, planned: &Value, _config: &Value) -> Result<Value, Diagnostics> {
        let (account, gateway, r) = route_crud::update(api, prior, planned, &graph::elements(planned)).await?;
        Ok(state_of(&account, &gateway, &r, planned))
    }

    async fn delete(&self, api: &Api, prior: &Value) -> Result<(), Diagnostics> {
        route_crud::delete(api, prior).await
    }

    async fn import(&self, api: &Api, import_id: &str) -> Result<Value, Diagnostics> {
        let (account, gateway, r) = route_crud::import(api, import_id).await?;
        Ok(state_of(&account, &gateway, &r, &Value::Null))
    }
}

#[cfg(test)]
mod tests;
