//! What the resources that own part of a gateway (`aigw_gateway`,
//! `aigw_cache`, `aigw_rate_limit`, `aigw_guardrails`, `aigw_dlp`,
//! `aigw_spend_limit`) share:
//! a read-modify-write of the gateway's full PUT under the gateway's lock,
//! so resources applied in parallel never lose each other's writes.
use aigw_cloudflare::Gateway;
use async_trait::async_trait;
use tfplugin::provider::{PlanRequest, PlanResponse};
use tfplugin::schema::{Attribute, Block};
use tfplugin::{AttributePath, Diagnostics, Schema, Type, Value};

use crate::api::Api;
use crate::resource::{Resource, changed_attributes, replacements};
use crate::resources::gateway::{is_account_id, is_gateway_id, parse_import_id};
use crate::validators;

/// Reads the gateway, lets `change` edit it, and writes it back whole,
/// holding the gateway's lock throughout. Fields `change` does not touch
/// go back exactly as they were read.
pub async fn modify(
    api: &Api,
    account: &str,
    gateway: &str,
    change: impl FnOnce(&mut Gateway),
) -> Result<Gateway, aigw_cloudflare::Error> {
    let _guard = api.locks.lock(account, gateway).await;
    let mut g = api.client.get_gateway(account, gateway).await?;
    change(&mut g);
    api.client.update_gateway(account, gateway, &g.to_update_body()).await
}

/// The diagnostic for a setting whose gateway does not exist.
pub fn gateway_missing(account: &str, gateway: &str) -> Diagnostics {
    let mut d = Diagnostics::new();
    d.attribute_error(
        AttributePath::root("gateway_id"),
        "Gateway not found",
        format!("Account {account} has no gateway {gateway:?}. Create it first (an aigw_gateway resource) and refer to it, e.g. gateway_id = aigw_gateway.main.id."),
    );
    d
}

/// Adds the `account_id` and `gateway_id` a gateway's resource names it by.
pub fn gateway_ref(block: Block, gateway_doc: &str) -> Block {
    block
        .attr(Attribute::new("account_id", Type::String).required().describe("Cloudflare account id."))
        .attr(Attribute::new("gateway_id", Type::String).required().describe(gateway_doc))
}

/// Checks the `account_id` and `gateway_id` of a resource that belongs to a gateway.
pub fn validate_gateway_ref(d: &mut Diagnostics, config: &Value) {
    validators::chars(d, config, "account_id", 32, is_account_id, "lowercase hexadecimal");
    validators::chars(d, config, "gateway_id", 64, is_gateway_id, "lowercase letters, digits, '-' and '_'");
}

/// `(account_id, gateway_id)` of a value whose schema has both.
pub fn keys(v: &Value) -> Result<(String, String), Diagnostics> {
    match (v.attr("account_id").as_str(), v.attr("gateway_id").as_str()) {
        (Some(a), Some(g)) => Ok((a.to_string(), g.to_string())),
        _ => {
            let mut d = Diagnostics::new();
            d.error("Gateway unknown", "account_id and gateway_id must be known.");
            Err(d)
        }
    }
}

/// The elements of a list attribute (none when null or unknown).
pub fn list(v: &Value) -> &[Value] {
    match v {
        Value::List(items) => items,
        _ => &[],
    }
}

/// One group of gateway fields managed as its own resource (cache, rate
/// limit). The generic [`SettingResource`] does the CRUD; an implementation
/// says which fields it owns and how they map to attributes.
pub trait GatewaySetting: Send + Sync + 'static {
    const TYPE_NAME: &'static str;
    /// What it is called in messages, e.g. "caching".
    const WHAT: &'static str;
    const DESCRIPTION: &'static str;
    /// The attributes besides `id`, `account_id` and `gateway_id`.
    fn attributes() -> Vec<Attribute>;
    fn validate(d: &mut Diagnostics, config: &Value);
    /// Fills optional computed settings the plan leaves null (on create,
    /// or where an update's configuration leaves out something new),
    /// recomputes those derived from `config`, or keeps a `prior` value
    /// the configuration only spells differently.
    fn defaults(_config: &Value, _prior: &Value, _planned: &mut Value) {}
    /// False when the gateway has the setting switched off.
    fn enabled(g: &Gateway) -> bool;
    /// Fills `state` from the gateway. `prior` is the state or plan this
    /// read follows (null on import), for settings that show a default as
    /// null where the configuration left it out.
    fn read(g: &Gateway, prior: &Value, state: &mut Value);
    fn write(g: &mut Gateway, planned: &Value, _config: &Value);
    fn disable(g: &mut Gateway);
    /// The attribute an API validation error's `path` (from the gateway
    /// field down) concerns, for settings whose fields nest.
    fn attribute_path(_api_path: &[serde_json::Value]) -> Option<AttributePath> {
        None
    }
}

pub struct SettingResource<S>(std::marker::PhantomData<S>);

impl<S> Default for SettingResource<S> {
    fn default() -> Self {
        SettingResource(std::marker::PhantomData)
    }
}

fn state_of<S: GatewaySetting>(account: &str, g: &Gateway, prior: &Value) -> Value {
    let mut v = Value::object([
        ("id", Value::from(format!("{account}/{}", g.id))),
        ("account_id", Value::from(account)),
        ("gateway_id", Value::from(g.id.as_str())),
    ]);
    S::read(g, prior, &mut v);
    v
}

fn api_diags<S: GatewaySetting>(e: aigw_cloudflare::Error, summary: &str, account: &str, gateway: &str) -> Diagnostics {
    if e.is_not_found() {
        return gateway_missing(account, gateway);
    }
    crate::Error::from(e).to_diagnostics_at(summary, &S::attribute_path)
}

#[async_trait]
impl<S: GatewaySetting> Resource for SettingResource<S> {
    fn type_name(&self) -> &'static str {
        S::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let mut b = gateway_ref(
            Block::new(S::DESCRIPTION)
                .attr(Attribute::new("id", Type::String).computed().describe("`<account_id>/<gateway_id>`.")),
            "The gateway's id. Changing it moves the setting to another gateway.",
        );
        for a in S::attributes() {
            b = b.attr(a);
        }
        Schema::new(0, b)
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        validate_gateway_ref(&mut d, config);
        S::validate(&mut d, config);
        d
    }

    fn plan(&self, _api: Option<&Api>, req: &PlanRequest) -> PlanResponse {
        let mut planned = req.proposed_new_state.clone();
        let id = match (planned.attr("account_id").as_str(), planned.attr("gateway_id").as_str()) {
            (Some(a), Some(g)) => Value::from(format!("{a}/{g}")),
            _ => Value::unknown(),
        };
        planned.set_attr("id", id);
        let mut requires_replace = Vec::new();
        S::defaults(&req.config, &req.prior_state, &mut planned);
        if !req.prior_state.is_null() {
            let schema = self.schema();
            let changed = changed_attributes(&schema, &req.prior_state, &planned);
            requires_replace = replacements(&changed, &["account_id", "gateway_id"]);
        }
        PlanResponse { planned_state: planned, requires_replace, ..Default::default() }
    }

    async fn create(&self, api: &Api, planned: &Value, config: &Value) -> Result<Value, Diagnostics> {
        let (account, gateway) = keys(planned)?;
        let g = modify(api, &account, &gateway, |g| S::write(g, planned, config))
            .await
            .map_err(|e| api_diags::<S>(e, &format!("Failed to set up {}", S::WHAT), &account, &gateway))?;
        Ok(state_of::<S>(&account, &g, planned))
    }

    async fn read(&self, api: &Api, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let (account, gateway) = keys(state)?;
        match api.client.get_gateway(&account, &gateway).await {
            // Switched off outside Terraform: the setting is gone.
            Ok(g) if !S::enabled(&g) => Ok(None),
            Ok(g) => Ok(Some(state_of::<S>(&account, &g, state))),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(crate::Error::from(e).to_diagnostics(&format!("Failed to read {}", S::WHAT), &[])),
        }
    }

    async fn update(&self, api: &Api, _prior: &Value, planned: &Value, config: &Value) -> Result<Value, Diagnostics> {
        self.create(api, planned, config).await
    }

    async fn delete(&self, api: &Api, prior: &Value) -> Result<(), Diagnostics> {
        let (account, gateway) = keys(prior)?;
        match modify(api, &account, &gateway, S::disable).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(crate::Error::from(e).to_diagnostics(&format!("Failed to switch off {}", S::WHAT), &[])),
        }
    }

    async fn import(&self, api: &Api, import_id: &str) -> Result<Value, Diagnostics> {
        let p = parse_import_id(import_id, 2, "<account_id>/<gateway_id>")?;
        let g = api
            .client
            .get_gateway(&p[0], &p[1])
            .await
            .map_err(|e| api_diags::<S>(e, &format!("Failed to import {}", S::WHAT), &p[0], &p[1]))?;
        if !S::enabled(&g) {
            let mut d = Diagnostics::new();
            d.error(
                "Cannot import non-existent remote object",
                format!("Gateway {:?} has {} switched off; there is nothing to import.", p[1], S::WHAT),
            );
            return Err(d);
        }
        Ok(state_of::<S>(&p[0], &g, &Value::Null))
    }
}
