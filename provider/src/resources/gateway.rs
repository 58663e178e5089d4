//! `aigw_gateway`: one AI Gateway. `account_id` and `id` force a new
//! gateway; everything else updates in place through a read-modify-write of
//! the full PUT, so settings this resource does not manage (cache, rate
//! limits, logpush, DLP, ...) are never reset. Optional settings left out of
//! the configuration are not managed: they keep whatever value they have.
use aigw_cloudflare::Gateway;
use async_trait::async_trait;
use serde_json::{Map, Value as Json};
use tfplugin::provider::{PlanRequest, PlanResponse};
use tfplugin::schema::{Attribute, Block};
use tfplugin::{AttributePath, Diagnostics, Schema, Type, Value};

use super::gateway_settings;
use crate::api::Api;
use crate::resource::{Resource, changed_attributes, replacements};
use crate::validators;

pub struct GatewayResource;

/// Optional settings: (name, type, the value a new gateway gets when the
/// configuration leaves it out; `None` means the API decides).
type Setting = (&'static str, Type, Option<fn() -> Value>);

const SETTINGS: &[Setting] = &[
    ("collect_logs", Type::Bool, Some(|| Value::Bool(true))),
    ("authentication", Type::Bool, Some(|| Value::Bool(false))),
    ("log_management", Type::Number, None),
    ("log_management_strategy", Type::String, None),
    ("retry_max_attempts", Type::Number, None),
    ("retry_delay", Type::Number, None),
    ("retry_backoff", Type::String, None),
    ("zdr", Type::Bool, Some(|| Value::Bool(false))),
    ("byok_only", Type::Bool, Some(|| Value::Bool(false))),
];

/// Attribute names, for mapping API validation errors onto attributes.
pub const ATTRIBUTES: &[&str] = &[
    "account_id",
    "id",
    "collect_logs",
    "authentication",
    "log_management",
    "log_management_strategy",
    "retry_max_attempts",
    "retry_delay",
    "retry_backoff",
    "zdr",
    "byok_only",
];

pub fn is_account_id(c: char) -> bool {
    c.is_ascii_digit() || ('a'..='f').contains(&c)
}

pub fn is_gateway_id(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
}

/// Checks shared by the resource and the data sources that name a gateway.
pub fn validate_ids(d: &mut Diagnostics, config: &Value, id_attr: &str) {
    validators::chars(
        d,
        config,
        "account_id",
        32,
        is_account_id,
        "lowercase hexadecimal (a Cloudflare account id is 32 of them)",
    );
    validators::chars(d, config, id_attr, 64, is_gateway_id, "lowercase letters, digits, '-' and '_'");
}

/// The state of a gateway as the API returned it.
pub fn to_state(api: &Api, account: &str, g: &Gateway) -> Value {
    Value::object([
        ("account_id", Value::from(account)),
        ("id", Value::from(g.id.as_str())),
        ("collect_logs", Value::Bool(g.collect_logs)),
        ("authentication", Value::Bool(g.authentication)),
        ("log_management", g.log_management.into()),
        ("log_management_strategy", g.log_management_strategy.clone().into()),
        ("retry_max_attempts", g.retry_max_attempts.into()),
        ("retry_delay", g.retry_delay.into()),
        ("retry_backoff", g.retry_backoff.clone().into()),
        ("zdr", Value::Bool(g.zdr())),
        ("byok_only", Value::Bool(g.byok_only())),
        ("created_at", Value::from(g.created_at.as_str())),
        ("modified_at", Value::from(g.modified_at.as_str())),
        ("endpoint", Value::from(api.endpoint(account, &g.id))),
    ])
}

/// Writes every setting the configuration sets onto `g`.
fn apply_settings(g: &mut Gateway, config: &Value) {
    let int = |n: &str| config.attr(n).as_i64();
    let string = |n: &str| config.attr(n).as_str().map(str::to_owned);
    if let Some(b) = config.attr("collect_logs").as_bool() {
        g.collect_logs = b;
    }
    if let Some(b) = config.attr("authentication").as_bool() {
        g.authentication = b;
    }
    if let Some(n) = int("log_management") {
        g.log_management = Some(n);
    }
    if let Some(s) = string("log_management_strategy") {
        g.log_management_strategy = Some(s);
    }
    if let Some(n) = int("retry_max_attempts") {
        g.retry_max_attempts = Some(n);
    }
    if let Some(n) = int("retry_delay") {
        g.retry_delay = Some(n);
    }
    if let Some(s) = string("retry_backoff") {
        g.retry_backoff = Some(s);
    }
    if let Some(b) = config.attr("zdr").as_bool() {
        g.extra.insert("zdr".into(), serde_json::Value::Bool(b));
    }
    if let Some(b) = config.attr("byok_only").as_bool() {
        g.extra.insert("byok_only".into(), serde_json::Value::Bool(b));
    }
}

/// `(account_id, id)` of a known gateway value.
pub fn ids(v: &Value) -> Result<(String, String), Diagnostics> {
    match (v.attr("account_id").as_str(), v.attr("id").as_str()) {
        (Some(a), Some(i)) => Ok((a.to_string(), i.to_string())),
        _ => {
            let mut d = Diagnostics::new();
            d.error("Gateway identity unknown", "account_id and id must be known to manage a gateway.");
            Err(d)
        }
    }
}

/// Parses an import id of the form `<account_id>/<id>`.
pub fn parse_import_id(id: &str, parts: usize, shape: &str) -> Result<Vec<String>, Diagnostics> {
    let p: Vec<&str> = id.split('/').collect();
    if p.len() != parts || p.iter().any(|s| s.is_empty()) {
        let mut d = Diagnostics::new();
        d.error("Invalid import ID", format!("Expected an import ID of the form {shape}, got {id:?}."));
        return Err(d);
    }
    Ok(p.into_iter().map(str::to_owned).collect())
}

fn api_diags(e: aigw_cloudflare::Error, summary: &str) -> Diagnostics {
    crate::Error::from(e).to_diagnostics(summary, ATTRIBUTES)
}

#[async_trait]
impl Resource for GatewayResource {
    fn type_name(&self) -> &'static str {
        "aigw_gateway"
    }

    fn schema(&self) -> Schema {
        let mut b = Block::new("An AI Gateway in a Cloudflare account.")
            .attr(
                Attribute::new("account_id", Type::String)
                    .required()
                    .describe("Cloudflare account id (32 hex characters). Changing it creates a new gateway."),
            )
            .attr(
                Attribute::new("id", Type::String)
                    .required()
                    .describe("Gateway id, also its name: 1-64 of `a-z 0-9 - _`. Changing it creates a new gateway."),
            );
        let docs = [
            "Store request logs. New gateways default to `true`.",
            "Require `cf-aig-authorization` on runtime requests. New gateways default to `false`.",
            "Maximum stored logs, 10000-10000000.",
            "What happens at `log_management`: `STOP_INSERTING` or `DELETE_OLDEST`.",
            "Default attempts per runtime request, 1-5.",
            "Default delay between retries in milliseconds, 0-5000.",
            "Default backoff between retries: `constant`, `linear` or `exponential`.",
            "Zero data retention: no prompt or answer is kept (logs, Logpush, traces, cache). New gateways default to `false`.",
            "Only a request's own key or a BYOK key (`aigw_provider_key`) may pay: a request with neither is refused instead of billed to Unified Billing credits. New gateways default to `false`.",
        ];
        for ((name, ty, _), doc) in SETTINGS.iter().zip(docs) {
            b = b.attr(
                Attribute::new(*name, ty.clone())
                    .optional()
                    .computed()
                    .describe(format!("{doc} Left out, the setting is not managed and keeps its current value.")),
            );
        }
        b = b
            .attr(
                Attribute::new("created_at", Type::String)
                    .computed()
                    .describe("When the gateway was created (RFC 3339)."),
            )
            .attr(
                Attribute::new("modified_at", Type::String)
                    .computed()
                    .describe("When the gateway last changed (RFC 3339)."),
            )
            .attr(
                Attribute::new("endpoint", Type::String).computed().describe(
                    "Runtime base URL, `.../v1/{account_id}/{id}`; append a provider slug such as `/openai`.",
                ),
            );
        Schema::new(0, b)
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        validate_ids(&mut d, config, "id");
        validators::int_between(&mut d, config, "log_management", 10_000, 10_000_000, "");
        validators::one_of(&mut d, config, "log_management_strategy", &["STOP_INSERTING", "DELETE_OLDEST"]);
        validators::int_between(&mut d, config, "retry_max_attempts", 1, 5, "");
        validators::int_between(&mut d, config, "retry_delay", 0, 5000, " milliseconds");
        validators::one_of(&mut d, config, "retry_backoff", &["constant", "linear", "exponential"]);
        d
    }

    fn plan(&self, api: Option<&Api>, req: &PlanRequest) -> PlanResponse {
        let mut planned = req.proposed_new_state.clone();
        match (api, planned.attr("account_id").as_str(), planned.attr("id").as_str()) {
            (Some(api), Some(a), Some(i)) => {
                let endpoint = Value::from(api.endpoint(a, i));
                planned.set_attr("endpoint", endpoint);
            }
            _ if req.prior_state.is_null() => planned.set_attr("endpoint", Value::unknown()),
            _ => {}
        }
        let mut requires_replace = Vec::new();
        if req.prior_state.is_null() {
            planned.set_attr("created_at", Value::unknown());
            planned.set_attr("modified_at", Value::unknown());
            for (name, _, default) in SETTINGS {
                if planned.attr(name).is_null() {
                    planned.set_attr(name, default.map_or_else(Value::unknown, |f| f()));
                }
            }
        } else {
            let schema = self.schema();
            let changed = changed_attributes(&schema, &req.prior_state, &planned);
            requires_replace = replacements(&changed, &["account_id", "id"]);
            if !changed.is_empty() {
                planned.set_attr("modified_at", Value::unknown());
            }
        }
        PlanResponse { planned_state: planned, requires_replace, ..Default::default() }
    }

    async fn create(&self, api: &Api, planned: &Value, _config: &Value) -> Result<Value, Diagnostics> {
        let (account, id) = ids(planned)?;
        let _guard = api.locks.lock(&account, &id).await;
        let mut g = Gateway { id: id.clone(), collect_logs: true, cache_ttl: Some(0), ..Gateway::default() };
        apply_settings(&mut g, planned);
        let mut body: Map<String, Json> = g.to_update_body();
        body.insert("id".into(), Json::from(id.as_str()));
        match api.client.create_gateway(&account, &body).await {
            Ok(g) => Ok(to_state(api, &account, &g)),
            Err(e) if e.status() == Some(409) => {
                let mut d = Diagnostics::new();
                d.attribute_error(
                    AttributePath::root("id"),
                    "Gateway already exists",
                    format!(
                        "Account {account} already has a gateway {id:?}. Import it to manage it: \
                         terraform import <address> {account}/{id}"
                    ),
                );
                Err(d)
            }
            Err(e) => Err(api_diags(e, "Failed to create gateway")),
        }
    }

    async fn read(&self, api: &Api, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let (account, id) = ids(state)?;
        match api.client.get_gateway(&account, &id).await {
            Ok(g) => Ok(Some(to_state(api, &account, &g))),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(api_diags(e, "Failed to read gateway")),
        }
    }

    async fn update(&self, api: &Api, _prior: &Value, planned: &Value, config: &Value) -> Result<Value, Diagnostics> {
        let (account, id) = ids(planned)?;
        let g = gateway_settings::modify(api, &account, &id, |g| apply_settings(g, config))
            .await
            .map_err(|e| api_diags(e, "Failed to update gateway"))?;
        Ok(to_state(api, &account, &g))
    }

    async fn delete(&self, api: &Api, prior: &Value) -> Result<(), Diagnostics> {
        let (account, id) = ids(prior)?;
        let _guard = api.locks.lock(&account, &id).await;
        match api.client.delete_gateway(&account, &id).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(api_diags(e, "Failed to delete gateway")),
        }
    }

    async fn import(&self, api: &Api, import_id: &str) -> Result<Value, Diagnostics> {
        let p = parse_import_id(import_id, 2, "<account_id>/<gateway_id>")?;
        match api.client.get_gateway(&p[0], &p[1]).await {
            Ok(g) => Ok(to_state(api, &p[0], &g)),
            Err(e) if e.is_not_found() => {
                let mut d = Diagnostics::new();
                d.error(
                    "Cannot import non-existent remote object",
                    format!("Account {} has no gateway {:?}.", p[0], p[1]),
                );
                Err(d)
            }
            Err(e) => Err(api_diags(e, "Failed to import gateway")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(id: &str, retry_delay: Option<i64>) -> Value {
        let mut v = Value::null_object(&GatewayResource.schema().value_type());
        v.set_attr("account_id", "0123456789abcdef0123456789abcdef".into());
        v.set_attr("id", id.into());
        v.set_attr("retry_delay", retry_delay.into());
        v
    }

    #[test]
    fn bad_values_are_reported_on_their_attribute() {
        assert!(GatewayResource.validate(&config("support-bot", Some(100))).is_empty());
        let d = GatewayResource.validate(&config("Support Bot", Some(6000)));
        let paths: Vec<String> = d.iter().map(|d| d.attribute.as_ref().unwrap().to_string()).collect();
        assert_eq!(paths, ["id", "retry_delay"]);
        let mut unknown = config("x", None);
        unknown.set_attr("id", Value::unknown());
        assert!(GatewayResource.validate(&unknown).is_empty(), "unknown values are checked later");
    }

    #[test]
    fn create_plan_fills_defaults_and_update_plan_marks_replacements() {
        let cfg = config("a", None);
        let req = PlanRequest {
            type_name: "aigw_gateway".into(),
            prior_state: Value::Null,
            proposed_new_state: cfg.clone(),
            config: cfg.clone(),
            prior_private: vec![],
        };
        let p = GatewayResource.plan(None, &req);
        assert_eq!(p.planned_state.attr("collect_logs"), &Value::Bool(true));
        assert!(p.planned_state.attr("retry_delay").is_unknown());
        assert!(p.planned_state.attr("created_at").is_unknown());

        let mut prior = cfg.clone();
        for (k, v) in [("collect_logs", Value::Bool(true)), ("created_at", "t".into()), ("modified_at", "t".into())] {
            prior.set_attr(k, v);
        }
        let mut proposed = prior.clone();
        proposed.set_attr("id", "b".into());
        let p = GatewayResource
            .plan(None, &PlanRequest { prior_state: prior.clone(), proposed_new_state: proposed, ..req.clone() });
        assert_eq!(p.requires_replace, vec![AttributePath::root("id")]);
        let same = GatewayResource
            .plan(None, &PlanRequest { prior_state: prior.clone(), proposed_new_state: prior.clone(), ..req });
        assert_eq!(same.planned_state.attr("modified_at"), &Value::from("t"), "no change, no new modified_at");
    }

    #[test]
    fn import_ids_are_checked() {
        assert_eq!(parse_import_id("a/b", 2, "x").unwrap(), ["a", "b"]);
        assert!(parse_import_id("a", 2, "x").is_err());
        assert!(parse_import_id("a//b", 2, "x").is_err());
    }
}
