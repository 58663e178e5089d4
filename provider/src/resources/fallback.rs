//! `aigw_fallback`: a fallback chain as a Cloudflare dynamic route. The
//! steps become start → model → (fallback) model → ... → end. Editing the
//! steps updates the route in place: a new version is posted and deployed,
//! and `version_id`/`deployment_id` move on while the route `id` stays.
//! Renaming is a PATCH. Apps call the route as model `dynamic/<name>`.
use aigw_cloudflare::{Route, Step, route};
use async_trait::async_trait;
use tfplugin::provider::{PlanRequest, PlanResponse};
use tfplugin::schema::{Attribute, Block, NestedObject, Nesting};
use tfplugin::{AttributePath, Diagnostics, Schema, Type, Value};

use super::gateway_settings::{gateway_ref, validate_gateway_ref};
use super::route_crud;
use crate::api::Api;
use crate::resource::Resource;
use crate::validators;

pub struct FallbackResource;

/// Sent when a step leaves `timeout_ms` out (time to first byte).
pub const DEFAULT_TIMEOUT_MS: i64 = 30_000;
/// Sent when a step leaves `retries` out.
pub const DEFAULT_RETRIES: i64 = 0;
const MAX_STEPS: usize = 10;
const MAX_TIMEOUT_MS: i64 = 300_000;
const MAX_RETRIES: i64 = 5;

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'
}

fn step_schema() -> NestedObject {
    NestedObject {
        nesting: Nesting::List,
        attributes: vec![
            Attribute::new("provider", Type::String).required().describe("Provider slug, e.g. `openai`, `workers-ai`."),
            Attribute::new("model", Type::String).required().describe("Model name at that provider."),
            Attribute::new("timeout_ms", Type::Number).optional().describe(format!(
                "Milliseconds to the first byte before moving on, 1-{MAX_TIMEOUT_MS}. Default {DEFAULT_TIMEOUT_MS}."
            )),
            Attribute::new("retries", Type::Number).optional().describe(format!(
                "Retries of this step before moving on, 0-{MAX_RETRIES}. Default {DEFAULT_RETRIES}."
            )),
        ],
    }
}

/// The configured steps, with defaults for what was left out.
fn steps_of(v: &Value) -> Vec<Step> {
    let Value::List(items) = v.attr("steps") else { return Vec::new() };
    items
        .iter()
        .map(|s| Step {
            provider: s.attr("provider").as_str().unwrap_or_default().to_string(),
            model: s.attr("model").as_str().unwrap_or_default().to_string(),
            timeout_ms: s.attr("timeout_ms").as_i64().unwrap_or(DEFAULT_TIMEOUT_MS),
            retries: s.attr("retries").as_i64().unwrap_or(DEFAULT_RETRIES),
        })
        .collect()
}

/// Steps as state. A value equal to its default is shown as null where the
/// prior state (or, on import, nothing) left it out, so defaults never
/// appear as drift.
fn steps_value(steps: &[Step], prior: &Value) -> Value {
    let prior_steps = match prior.attr("steps") {
        Value::List(p) => p.clone(),
        _ => Vec::new(),
    };
    Value::List(
        steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let before = prior_steps.get(i).unwrap_or(&Value::Null);
                let keep = |name: &str, v: i64, default: i64| {
                    if v == default && before.attr(name).is_null() { Value::Null } else { Value::int(v) }
                };
                Value::object([
                    ("provider", Value::from(s.provider.as_str())),
                    ("model", Value::from(s.model.as_str())),
                    ("timeout_ms", keep("timeout_ms", s.timeout_ms, DEFAULT_TIMEOUT_MS)),
                    ("retries", keep("retries", s.retries, DEFAULT_RETRIES)),
                ])
            })
            .collect(),
    )
}

fn state_of(account: &str, gateway: &str, r: &Route, prior: &Value) -> Value {
    // A route edited into something other than a chain reads as no steps,
    // so the next plan shows the configured chain being restored.
    let steps = route::chain_steps(&r.elements).unwrap_or_default();
    Value::object([
        ("id", Value::from(r.id.as_str())),
        ("account_id", Value::from(account)),
        ("gateway_id", Value::from(gateway)),
        ("name", Value::from(r.name.as_str())),
        ("steps", steps_value(&steps, prior)),
        ("version_id", Value::from(r.version.version_id.as_str())),
        ("deployment_id", Value::from(r.deployment.deployment_id.as_str())),
    ])
}

fn validate_steps(d: &mut Diagnostics, config: &Value) {
    let Value::List(items) = config.attr("steps") else { return };
    if items.is_empty() || items.len() > MAX_STEPS {
        d.attribute_error(
            AttributePath::root("steps"),
            "Invalid steps",
            format!("A fallback needs 1 to {MAX_STEPS} steps; got {}.", items.len()),
        );
    }
    // Terraform maps a path to source only down to one element of an
    // attribute's list, so step problems point at the step and name the field.
    for (i, s) in items.iter().enumerate() {
        let at = |_field: &str| AttributePath::root("steps").index(i as i64);
        if let Some(p) = s.attr("provider").as_str()
            && !aigw_cloudflare::providers::is_known(p)
        {
            d.attribute_error(
                at("provider"),
                "Unknown provider",
                format!(
                    "steps[{i}].provider: {p:?} is not an AI Gateway provider. Known: {}, or custom-<slug>.",
                    aigw_cloudflare::providers::slugs().join(", ")
                ),
            );
        }
        if s.attr("model").as_str() == Some("") {
            d.attribute_error(at("model"), "Invalid model", format!("steps[{i}].model must not be empty."));
        }
        let mut sub = Diagnostics::new();
        validators::int_between(&mut sub, s, "timeout_ms", 1, MAX_TIMEOUT_MS, " milliseconds");
        validators::int_between(&mut sub, s, "retries", 0, MAX_RETRIES, "");
        for mut diag in sub.0 {
            diag.attribute = Some(AttributePath::root("steps").index(i as i64));
            diag.detail = format!("steps[{i}].{}", diag.detail);
            d.0.push(diag);
        }
    }
}

#[async_trait]
impl Resource for FallbackResource {
    fn type_name(&self) -> &'static str {
        "aigw_fallback"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            gateway_ref(
                Block::new(
                    "A fallback chain across providers: a Cloudflare dynamic route that apps call as model `dynamic/<name>`.",
                )
                .attr(Attribute::new("id", Type::String).computed().describe("The route id.")),
                "The gateway's id.",
            )
            .attr(
                    Attribute::new("name", Type::String)
                        .required()
                        .describe("Route name; apps use model `dynamic/<name>`. Renaming updates in place."),
                )
                .attr(Attribute::nested("steps", step_schema()).required().describe(
                    "1-10 steps, tried in order: each step is retried, then the next one answers. Editing them deploys a new version in place.",
                ))
                .attr(Attribute::new("version_id", Type::String).computed().describe("The deployed version."))
                .attr(Attribute::new("deployment_id", Type::String).computed().describe("The live deployment.")),
        )
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        validate_gateway_ref(&mut d, config);
        validators::chars(&mut d, config, "name", 64, is_name_char, "letters, digits, '-', '_' and '.'");
        validate_steps(&mut d, config);
        d
    }

    fn plan(&self, _api: Option<&Api>, req: &PlanRequest) -> PlanResponse {
        route_crud::plan(&self.schema(), req, &["steps"])
    }

    async fn create(&self, api: &Api, planned: &Value, _config: &Value) -> Result<Value, Diagnostics> {
        let (account, gateway, r) =
            route_crud::create(api, planned, &route::chain_elements(&steps_of(planned))).await?;
        Ok(state_of(&account, &gateway, &r, planned))
    }

    async fn read(&self, api: &Api, state: &Value) -> Result<Option<Value>, Diagnostics> {
        Ok(route_crud::read(api, state).await?.map(|(a, g, r)| state_of(&a, &g, &r, state)))
    }

    async fn update(&self, api: &Api, prior: &Value, planned: &Value, _config: &Value) -> Result<Value, Diagnostics> {
        let elements = route::chain_elements(&steps_of(planned));
        let (account, gateway, r) = route_crud::update(api, prior, planned, &elements).await?;
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
mod tests {
    use super::*;

    fn step(provider: &str, timeout: Option<i64>) -> Value {
        Value::object([
            ("provider", Value::from(provider)),
            ("model", Value::from("m")),
            ("timeout_ms", timeout.into()),
            ("retries", Value::Null),
        ])
    }

    fn config(steps: Vec<Value>) -> Value {
        let mut v = Value::null_object(&FallbackResource.schema().value_type());
        v.set_attr("account_id", "0123456789abcdef0123456789abcdef".into());
        v.set_attr("gateway_id", "g".into());
        v.set_attr("name", "chat".into());
        v.set_attr("steps", Value::List(steps));
        v
    }

    #[test]
    fn validation_names_the_step_attribute() {
        assert!(FallbackResource.validate(&config(vec![step("openai", None)])).is_empty());
        let paths = |v: &Value| -> Vec<String> {
            FallbackResource.validate(v).iter().map(|d| d.attribute.as_ref().unwrap().to_string()).collect()
        };
        assert_eq!(paths(&config(vec![])), ["steps"]);
        assert_eq!(paths(&config(vec![step("openai", None), step("nope", Some(0))])), ["steps[1]", "steps[1]"]);
    }

    #[test]
    fn defaults_never_show_as_drift() {
        let steps = steps_of(&config(vec![step("openai", None)]));
        assert_eq!(steps[0].timeout_ms, DEFAULT_TIMEOUT_MS);
        let prior = config(vec![step("openai", None)]);
        assert_eq!(steps_value(&steps, &prior), prior.attr("steps").clone());
        let explicit = config(vec![step("openai", Some(DEFAULT_TIMEOUT_MS))]);
        assert_eq!(steps_value(&steps, &explicit).to_owned(), explicit.attr("steps").clone());
    }
}
