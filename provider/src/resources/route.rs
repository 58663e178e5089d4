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
use tfplugin::{AttributePath, Diagnostics, Schema, Type, Value};

use super::gateway::parse_import_id;
use super::gateway_settings::{gateway_missing, gateway_ref, keys, validate_gateway_ref};
use crate::api::Api;
use crate::resource::{Resource, changed_attributes, replacements};
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

fn route_keys(v: &Value) -> Result<(String, String, String), Diagnostics> {
    let (a, g) = keys(v)?;
    match v.attr("id").as_str() {
        Some(id) => Ok((a, g, id.to_string())),
        None => {
            let mut d = Diagnostics::new();
            d.error("Route id unknown", "The route's id is not in state.");
            Err(d)
        }
    }
}

fn api_diags(e: aigw_cloudflare::Error, summary: &str, account: &str, gateway: &str) -> Diagnostics {
    if e.status() == Some(409) {
        let mut d = Diagnostics::new();
        d.attribute_error(
            AttributePath::root("name"),
            "Route name taken",
            format!("Gateway {gateway:?} already has a route with this name."),
        );
        return d;
    }
    if e.is_not_found() {
        return gateway_missing(account, gateway);
    }
    crate::Error::from(e).to_diagnostics(summary, &[])
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
        let mut planned = req.proposed_new_state.clone();
        let mut requires_replace = Vec::new();
        if req.prior_state.is_null() {
            for name in ["id", "version_id", "deployment_id"] {
                planned.set_attr(name, Value::unknown());
            }
        } else {
            let schema = self.schema();
            let changed = changed_attributes(&schema, &req.prior_state, &planned);
            requires_replace = replacements(&changed, &["account_id", "gateway_id"]);
            if changed.contains(&"nodes") || changed.contains(&"start") {
                planned.set_attr("version_id", Value::unknown());
                planned.set_attr("deployment_id", Value::unknown());
            }
        }
        PlanResponse { planned_state: planned, requires_replace, ..Default::default() }
    }

    async fn create(&self, api: &Api, planned: &Value, _config: &Value) -> Result<Value, Diagnostics> {
        let (account, gateway) = keys(planned)?;
        let name = planned.attr("name").as_str().unwrap_or_default();
        let r = api
            .client
            .create_route(&account, &gateway, name, &graph::elements(planned))
            .await
            .map_err(|e| api_diags(e, "Failed to create route", &account, &gateway))?;
        Ok(state_of(&account, &gateway, &r, planned))
    }

    async fn read(&self, api: &Api, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let (account, gateway) = keys(state)?;
        // A create whose answer never arrived: find the route by its unique name.
        let found = match state.attr("id").as_str() {
            Some(id) => api.client.get_route(&account, &gateway, id).await.map(Some),
            None => {
                let name = state.attr("name").as_str().unwrap_or_default();
                api.client.list_routes(&account, &gateway).await.map(|rs| rs.into_iter().find(|r| r.name == name))
            }
        };
        match found {
            Ok(r) => Ok(r.map(|r| state_of(&account, &gateway, &r, state))),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(crate::Error::from(e).to_diagnostics("Failed to read route", &[])),
        }
    }

    async fn update(&self, api: &Api, prior: &Value, planned: &Value, _config: &Value) -> Result<Value, Diagnostics> {
        let (account, gateway, id) = route_keys(prior)?;
        let fail = |e, what: &str| api_diags(e, what, &account, &gateway);
        if planned.attr("name") != prior.attr("name") {
            let name = planned.attr("name").as_str().unwrap_or_default();
            api.client
                .rename_route(&account, &gateway, &id, name)
                .await
                .map_err(|e| fail(e, "Failed to rename route"))?;
        }
        let current =
            api.client.get_route(&account, &gateway, &id).await.map_err(|e| fail(e, "Failed to read route"))?;
        let elements = graph::elements(planned);
        if current.elements != elements {
            let v = api
                .client
                .create_route_version(&account, &gateway, &id, &elements)
                .await
                .map_err(|e| fail(e, "Failed to create route version"))?;
            api.client
                .deploy_route_version(&account, &gateway, &id, &v.version_id)
                .await
                .map_err(|e| fail(e, "Failed to deploy route version"))?;
        }
        let r = api.client.get_route(&account, &gateway, &id).await.map_err(|e| fail(e, "Failed to read route"))?;
        Ok(state_of(&account, &gateway, &r, planned))
    }

    async fn delete(&self, api: &Api, prior: &Value) -> Result<(), Diagnostics> {
        let (account, gateway, id) = route_keys(prior)?;
        match api.client.delete_route(&account, &gateway, &id).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(crate::Error::from(e).to_diagnostics("Failed to delete route", &[])),
        }
    }

    async fn import(&self, api: &Api, import_id: &str) -> Result<Value, Diagnostics> {
        let p = parse_import_id(import_id, 3, "<account_id>/<gateway_id>/<route_id>")?;
        match api.client.get_route(&p[0], &p[1], &p[2]).await {
            Ok(r) => Ok(state_of(&p[0], &p[1], &r, &Value::Null)),
            Err(e) if e.is_not_found() => {
                let mut d = Diagnostics::new();
                d.error(
                    "Cannot import non-existent remote object",
                    format!("Gateway {:?} in account {} has no route {:?}.", p[1], p[0], p[2]),
                );
                Err(d)
            }
            Err(e) => Err(crate::Error::from(e).to_diagnostics("Failed to import route", &[])),
        }
    }
}

#[cfg(test)]
mod tests;
