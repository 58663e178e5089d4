//! `aigw_provider_key`: a BYOK provider key stored on a gateway
//! (`provider_configs`), which the gateway sends upstream for requests that
//! bring no key of their own. The key is `secret_wo`, a write-only
//! attribute (Terraform 1.11+): sent to the API on create and whenever
//! `secret_wo_version` changes, never kept in a plan or state. The alias,
//! the default flag and the rate limit update in place; the provider slug,
//! the gateway and the account replace the key.
use aigw_cloudflare::byok::{self, DEFAULT_RATE_PERIOD};
use aigw_cloudflare::{ProviderConfig, ProviderConfigBody};
use async_trait::async_trait;
use tfplugin::provider::{PlanRequest, PlanResponse};
use tfplugin::schema::{Attribute, Block};
use tfplugin::{AttributePath, Diagnostics, Schema, Type, Value};

use super::gateway::parse_import_id;
use super::gateway_settings::{gateway_missing, gateway_ref, keys, validate_gateway_ref};
use crate::api::Api;
use crate::resource::{Resource, changed_attributes, replacements};
use crate::validators;

pub struct ProviderKeyResource;

const MAX_RATE_PERIOD: i64 = 86_400;

fn body_of(planned: &Value, secret: Option<&str>) -> ProviderConfigBody {
    let rate_limit = planned.attr("rate_limit").as_i64();
    ProviderConfigBody {
        provider_slug: planned.attr("provider_slug").as_str().unwrap_or_default().to_string(),
        alias: planned.attr("alias").as_str().unwrap_or_default().to_string(),
        default_config: planned.attr("default").as_bool().unwrap_or(false),
        secret: secret.map(str::to_string),
        secret_id: None,
        rate_limit,
        rate_limit_period: rate_limit
            .map(|_| planned.attr("rate_limit_period").as_i64().unwrap_or(DEFAULT_RATE_PERIOD)),
    }
}

/// The key as state. Optional attributes left out (null in `prior`) stay
/// null while the API holds their default, so defaults never show as drift.
fn state_of(account: &str, c: &ProviderConfig, prior: &Value) -> Value {
    let default = match (c.default_config, prior.attr("default")) {
        (false, Value::Null) => Value::Null,
        (b, _) => Value::Bool(b),
    };
    let period = match (c.rate_limit_period, prior.attr("rate_limit_period")) {
        (Some(DEFAULT_RATE_PERIOD), Value::Null) | (None, _) => Value::Null,
        (Some(p), _) => Value::int(p),
    };
    Value::object([
        ("id", Value::from(c.id.as_str())),
        ("account_id", Value::from(account)),
        ("gateway_id", Value::from(c.gateway_id.as_str())),
        ("provider_slug", Value::from(c.provider_slug.as_str())),
        ("alias", Value::from(c.alias.as_str())),
        ("default", default),
        ("secret_wo", Value::Null),
        ("secret_wo_version", prior.attr("secret_wo_version").clone()),
        ("secret_preview", Value::from(c.secret_preview.as_str())),
        ("rate_limit", c.rate_limit.map_or(Value::Null, Value::int)),
        ("rate_limit_period", period),
    ])
}

fn key_ids(v: &Value) -> Result<(String, String, String), Diagnostics> {
    let (a, g) = keys(v)?;
    match v.attr("id").as_str() {
        Some(id) => Ok((a, g, id.to_string())),
        None => {
            let mut d = Diagnostics::new();
            d.error("Provider key id unknown", "The provider key's id is not in state.");
            Err(d)
        }
    }
}

/// An API error as diagnostics; a 400 names the attribute the field maps to.
fn api_diags(e: aigw_cloudflare::Error, summary: &str, account: &str, gateway: &str) -> Diagnostics {
    if e.is_not_found() {
        return gateway_missing(account, gateway);
    }
    if let aigw_cloudflare::Error::Api { status: 400, errors } = &e {
        let mut d = Diagnostics::new();
        for m in errors {
            let field = m.path.as_ref().and_then(|p| p.first()).and_then(|f| f.as_str()).unwrap_or_default();
            let attr = match field {
                "default_config" => "default",
                "secret" => "secret_wo",
                other => other,
            };
            if attr.is_empty() {
                d.error(summary, m.message.clone());
            } else {
                d.attribute_error(AttributePath::root(attr), summary, m.message.clone());
            }
        }
        return d;
    }
    crate::Error::from(e).to_diagnostics(summary, &[])
}

fn validate_fields(d: &mut Diagnostics, config: &Value) {
    if let Some(p) = config.attr("provider_slug").as_str()
        && !aigw_cloudflare::providers::is_known(p)
    {
        d.attribute_error(
            AttributePath::root("provider_slug"),
            "Unknown provider",
            format!(
                "{p:?} is not an AI Gateway provider. Known: {}, or custom-<slug>.",
                aigw_cloudflare::providers::slugs().join(", ")
            ),
        );
    }
    if let Some(a) = config.attr("alias").as_str()
        && !byok::alias_ok(a)
    {
        d.attribute_error(
            AttributePath::root("alias"),
            "Invalid alias",
            format!("alias must be 1 to 64 letters, digits, '-' or '_'; got {a:?}."),
        );
    }
    if let Some(s) = config.attr("secret_wo").as_str()
        && (s.is_empty() || s.contains(['\r', '\n']))
    {
        d.attribute_error(
            AttributePath::root("secret_wo"),
            "Invalid secret",
            "secret_wo must be a non-empty key with no line breaks.",
        );
    }
    validators::int_between(d, config, "rate_limit", 1, i64::from(i32::MAX), " requests");
    validators::int_between(d, config, "rate_limit_period", 1, MAX_RATE_PERIOD, " seconds");
    if config.attr("rate_limit").is_null() && !config.attr("rate_limit_period").is_null() {
        d.attribute_error(
            AttributePath::root("rate_limit_period"),
            "rate_limit_period without rate_limit",
            "rate_limit_period is the window of rate_limit; set rate_limit too, or leave both out.",
        );
    }
}

#[async_trait]
impl Resource for ProviderKeyResource {
    fn type_name(&self) -> &'static str {
        "aigw_provider_key"
    }

    fn schema(&self) -> Schema {
        let block = Block::new(
            "A provider API key stored on a gateway (BYOK). Requests that bring no key of their own get it: the one \
             named by `cf-aig-byok-alias`, else the provider's default key, else the alias `default`.",
        )
        .attr(Attribute::new("id", Type::String).computed().describe("The provider config id."));
        Schema::new(
            0,
            gateway_ref(block, "The gateway's id.")
                .attr(Attribute::new("provider_slug", Type::String).required().describe(
                    "Provider slug, e.g. `openai`, `anthropic`, `custom-<slug>`. Changing it replaces the key.",
                ))
                .attr(Attribute::new("alias", Type::String).required().describe(
                    "The name requests choose the key by (`cf-aig-byok-alias`), 1-64 letters, digits, `-`, `_`. \
                     One alias per provider.",
                ))
                .attr(Attribute::new("default", Type::Bool).optional().describe(
                    "Use this key when a request names no alias. At most one default per provider. Default false.",
                ))
                .attr(Attribute::new("secret_wo", Type::String).required().sensitive().write_only().describe(
                    "The provider API key. Write-only (Terraform 1.11+): sent to the API, never kept in plan or \
                     state. Change `secret_wo_version` to send a new key.",
                ))
                .attr(
                    Attribute::new("secret_wo_version", Type::Number)
                        .optional()
                        .describe("Change it to send `secret_wo` again (a key rotation)."),
                )
                .attr(
                    Attribute::new("secret_preview", Type::String)
                        .computed()
                        .describe("What the API shows of the key: its first and last four characters."),
                )
                .attr(Attribute::new("rate_limit", Type::Number).optional().describe(
                    "Requests per `rate_limit_period` this key may carry; more get 429. Unlimited if left out.",
                ))
                .attr(Attribute::new("rate_limit_period", Type::Number).optional().describe(format!(
                    "The rate limit's window in seconds, 1-{MAX_RATE_PERIOD}. Default {DEFAULT_RATE_PERIOD}."
                ))),
        )
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        validate_gateway_ref(&mut d, config);
        validate_fields(&mut d, config);
        d
    }

    fn plan(&self, _api: Option<&Api>, req: &PlanRequest) -> PlanResponse {
        let mut planned = req.proposed_new_state.clone();
        // Write-only: never in a plan.
        planned.set_attr("secret_wo", Value::Null);
        let mut requires_replace = Vec::new();
        if req.prior_state.is_null() {
            planned.set_attr("id", Value::unknown());
            planned.set_attr("secret_preview", Value::unknown());
        } else {
            let schema = self.schema();
            let changed = changed_attributes(&schema, &req.prior_state, &planned);
            requires_replace = replacements(&changed, &["account_id", "gateway_id", "provider_slug"]);
            if changed.contains(&"secret_wo_version") {
                planned.set_attr("secret_preview", Value::unknown());
            }
        }
        PlanResponse { planned_state: planned, requires_replace, ..Default::default() }
    }

    async fn create(&self, api: &Api, planned: &Value, config: &Value) -> Result<Value, Diagnostics> {
        let (account, gateway) = keys(planned)?;
        let body = body_of(planned, config.attr("secret_wo").as_str());
        let c = api
            .client
            .create_provider_config(&account, &gateway, &body)
            .await
            .map_err(|e| api_diags(e, "Failed to store provider key", &account, &gateway))?;
        Ok(state_of(&account, &c, planned))
    }

    async fn read(&self, api: &Api, state: &Value) -> Result<Option<Value>, Diagnostics> {
        // A create whose answer never arrived has no id yet: find the key
        // by provider and alias, which are unique in its gateway.
        let (account, gateway) = keys(state)?;
        let found = match state.attr("id").as_str() {
            Some(id) => api.client.get_provider_config(&account, &gateway, id).await.map(Some),
            None => api.client.list_provider_configs(&account, &gateway).await.map(|all| {
                all.into_iter().find(|c| {
                    Some(c.provider_slug.as_str()) == state.attr("provider_slug").as_str()
                        && Some(c.alias.as_str()) == state.attr("alias").as_str()
                })
            }),
        };
        match found {
            Ok(c) => Ok(c.map(|c| state_of(&account, &c, state))),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(crate::Error::from(e).to_diagnostics("Failed to read provider key", &[])),
        }
    }

    async fn update(&self, api: &Api, prior: &Value, planned: &Value, config: &Value) -> Result<Value, Diagnostics> {
        let (account, gateway, id) = key_ids(prior)?;
        let rotate = planned.attr("secret_wo_version") != prior.attr("secret_wo_version");
        let secret = if rotate { config.attr("secret_wo").as_str() } else { None };
        let c = api
            .client
            .update_provider_config(&account, &gateway, &id, &body_of(planned, secret))
            .await
            .map_err(|e| api_diags(e, "Failed to update provider key", &account, &gateway))?;
        Ok(state_of(&account, &c, planned))
    }

    async fn delete(&self, api: &Api, prior: &Value) -> Result<(), Diagnostics> {
        let (account, gateway, id) = key_ids(prior)?;
        match api.client.delete_provider_config(&account, &gateway, &id).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(crate::Error::from(e).to_diagnostics("Failed to delete provider key", &[])),
        }
    }

    async fn import(&self, api: &Api, import_id: &str) -> Result<Value, Diagnostics> {
        let p = parse_import_id(import_id, 3, "<account_id>/<gateway_id>/<provider_key_id>")?;
        match api.client.get_provider_config(&p[0], &p[1], &p[2]).await {
            Ok(c) => Ok(state_of(&p[0], &c, &Value::Null)),
            Err(e) if e.is_not_found() => {
                let mut d = Diagnostics::new();
                d.error(
                    "Cannot import non-existent remote object",
                    format!("Gateway {:?} in account {} has no provider key {:?}.", p[1], p[0], p[2]),
                );
                Err(d)
            }
            Err(e) => Err(crate::Error::from(e).to_diagnostics("Failed to import provider key", &[])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(f: impl FnOnce(&mut Value)) -> Value {
        let mut v = Value::null_object(&ProviderKeyResource.schema().value_type());
        v.set_attr("account_id", "0123456789abcdef0123456789abcdef".into());
        v.set_attr("gateway_id", "g".into());
        v.set_attr("provider_slug", "openai".into());
        v.set_attr("alias", "prod".into());
        v.set_attr("secret_wo", "sk-1".into());
        f(&mut v);
        v
    }

    fn paths(v: &Value) -> Vec<String> {
        ProviderKeyResource.validate(v).iter().map(|d| d.attribute.as_ref().expect("path").to_string()).collect()
    }

    #[test]
    fn validation_names_the_attribute() {
        assert!(paths(&config(|_| {})).is_empty());
        assert_eq!(paths(&config(|v| v.set_attr("provider_slug", "nope".into()))), ["provider_slug"]);
        assert_eq!(paths(&config(|v| v.set_attr("alias", "a b".into()))), ["alias"]);
        assert_eq!(paths(&config(|v| v.set_attr("rate_limit_period", Value::int(60)))), ["rate_limit_period"]);
        assert_eq!(paths(&config(|v| v.set_attr("rate_limit", Value::int(0)))), ["rate_limit"]);
    }

    #[test]
    fn the_secret_never_reaches_the_plan_or_state() {
        let cfg = config(|_| {});
        let req = PlanRequest {
            type_name: "aigw_provider_key".into(),
            prior_state: Value::Null,
            proposed_new_state: cfg.clone(),
            config: cfg.clone(),
            prior_private: Vec::new(),
        };
        let planned = ProviderKeyResource.plan(None, &req).planned_state;
        assert!(planned.attr("secret_wo").is_null());
        let c = ProviderConfig {
            id: "k".into(),
            gateway_id: "g".into(),
            provider_slug: "openai".into(),
            alias: "prod".into(),
            default_config: false,
            rate_limit: Some(5),
            rate_limit_period: Some(60),
            secret_preview: "****".into(),
            secret_id: None,
            modified_at: String::new(),
        };
        let state = state_of("a", &c, &cfg);
        assert!(state.attr("secret_wo").is_null());
        assert!(state.attr("default").is_null(), "a default left out stays out");
        assert!(state.attr("rate_limit_period").is_null(), "the default period is not drift");
        assert_eq!(body_of(&cfg, Some("sk-1")).secret.as_deref(), Some("sk-1"));
    }
}
