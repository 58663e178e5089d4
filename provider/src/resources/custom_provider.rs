//! `aigw_custom_provider`: an upstream of the account's own (Cloudflare's
//! `/custom-providers`), reached by every gateway as `custom-{slug}`: in a
//! provider URL, a compat or REST model (`custom-{slug}/{model}`), a route
//! or a fallback step. The slug and the account replace it; the rest
//! updates in place (PATCH). Its `runtime_slug` is known at plan time.
use aigw_cloudflare::CustomProvider;
use aigw_cloudflare::custom::{base_url_ok, slug_ok};
use async_trait::async_trait;
use serde_json::{Map, Value as Json};
use tfplugin::provider::{PlanRequest, PlanResponse};
use tfplugin::schema::{Attribute, Block};
use tfplugin::{AttributePath, Diagnostics, Schema, Type, Value};

use super::gateway::{is_account_id, parse_import_id};
use crate::api::Api;
use crate::resource::{Resource, changed_attributes, replacements};
use crate::validators;

pub struct CustomProviderResource;

/// Attributes sent as is: (attribute, API field).
const TEXT: &[(&str, &str)] =
    &[("name", "name"), ("slug", "slug"), ("base_url", "base_url"), ("description", "description")];

fn body_of(v: &Value) -> Json {
    let mut m = Map::new();
    for (attr, field) in TEXT {
        if let Some(s) = v.attr(attr).as_str() {
            m.insert((*field).into(), Json::from(s));
        }
    }
    m.insert("enable".into(), Json::Bool(v.attr("enabled").as_bool().unwrap_or(true)));
    let headers: Map<String, Json> = match v.attr("headers") {
        Value::Map(h) => h.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), Json::from(s)))).collect(),
        _ => Map::new(),
    };
    m.insert("headers".into(), Json::Object(headers));
    Json::Object(m)
}

fn state_of(account: &str, c: &CustomProvider, prior: &Value) -> Value {
    let enabled = match (c.enable, prior.attr("enabled")) {
        (true, Value::Null) => Value::Null,
        (b, _) => Value::Bool(b),
    };
    let headers = if c.headers.is_empty() && prior.attr("headers").is_null() {
        Value::Null
    } else {
        Value::Map(c.headers.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str().unwrap_or_default()))).collect())
    };
    Value::object([
        ("id", Value::from(c.id.as_str())),
        ("account_id", Value::from(account)),
        ("name", Value::from(c.name.as_str())),
        ("slug", Value::from(c.slug.as_str())),
        ("base_url", Value::from(c.base_url.as_str())),
        ("description", c.description.clone().into()),
        ("enabled", enabled),
        ("headers", headers),
        ("runtime_slug", Value::from(c.runtime_slug().as_str())),
    ])
}

fn ids(v: &Value) -> Result<(String, String), Diagnostics> {
    match (v.attr("account_id").as_str(), v.attr("id").as_str()) {
        (Some(a), Some(i)) => Ok((a.to_string(), i.to_string())),
        _ => {
            let mut d = Diagnostics::new();
            d.error("Custom provider unknown", "account_id and id must be known.");
            Err(d)
        }
    }
}

fn api_diags(e: aigw_cloudflare::Error, summary: &str) -> Diagnostics {
    if let aigw_cloudflare::Error::Api { status: 400, errors } = &e {
        let mut d = Diagnostics::new();
        for m in errors {
            match m.path.as_ref().and_then(|p| p.first()).and_then(Json::as_str) {
                Some(f) => d.attribute_error(
                    AttributePath::root(if f == "enable" { "enabled" } else { f }),
                    summary,
                    m.message.clone(),
                ),
                None => d.error(summary, m.message.clone()),
            }
        }
        return d;
    }
    crate::Error::from(e).to_diagnostics(summary, &[])
}

#[async_trait]
impl Resource for CustomProviderResource {
    fn type_name(&self) -> &'static str {
        "aigw_custom_provider"
    }

    fn schema(&self) -> Schema {
        let s = |n: &str| Attribute::new(n, Type::String);
        let block = Block::new("An upstream provider of the account's own, reached by every gateway as `custom-<slug>`.")
            .attr(s("id").computed().describe("The custom provider id."))
            .attr(s("account_id").required().describe("Cloudflare account id. Changing it forces a new resource."))
            .attr(s("name").required().describe("Display name, 1-128 characters."))
            .attr(s("slug").required().describe(
                "1-64 of `a-z 0-9 -`; gateways call the provider `custom-<slug>`. Changing it forces a new resource.",
            ))
            .attr(s("base_url").required().describe(
                "The upstream root, `https://...`; the gateway path after `custom-<slug>/` is appended.",
            ))
            .attr(s("description").optional().describe("What it is."))
            .attr(Attribute::new("enabled", Type::Bool).optional().describe(
                "Whether gateways may call it. Default true (Cloudflare's API defaults to false).",
            ))
            .attr(Attribute::new("headers", Type::map(Type::String)).optional().describe(
                "Headers sent upstream with every request, e.g. a tenant id. Keys go in `aigw_provider_key` (provider_slug = the runtime slug), not here.",
            ))
            .attr(s("runtime_slug").computed().describe("`custom-<slug>`, for provider URLs, models and routes."));
        Schema::new(0, block)
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        validators::chars(&mut d, config, "account_id", 32, is_account_id, "lowercase hexadecimal");
        if let Some(sl) = config.attr("slug").as_str().filter(|sl| !slug_ok(sl)) {
            d.attribute_error(
                AttributePath::root("slug"),
                "Invalid slug",
                format!("slug must be 1-64 of a-z, 0-9 and '-'; got {sl:?}."),
            );
        }
        if let Some(u) =
            config.attr("base_url").as_str().filter(|u| !base_url_ok(u) && !u.starts_with("http://127.0.0.1:"))
        {
            d.attribute_error(
                AttributePath::root("base_url"),
                "Invalid base_url",
                format!("base_url must be an https:// URL; got {u:?}."),
            );
        }
        if let Some(n) = config.attr("name").as_str().filter(|n| n.trim().is_empty() || n.len() > 128) {
            d.attribute_error(
                AttributePath::root("name"),
                "Invalid name",
                format!("name must be 1-128 characters; got {n:?}."),
            );
        }
        d
    }

    fn plan(&self, _api: Option<&Api>, req: &PlanRequest) -> PlanResponse {
        let mut planned = req.proposed_new_state.clone();
        let runtime =
            planned.attr("slug").as_str().map_or(Value::unknown(), |s| Value::from(format!("custom-{s}").as_str()));
        planned.set_attr("runtime_slug", runtime);
        let mut requires_replace = Vec::new();
        if req.prior_state.is_null() {
            planned.set_attr("id", Value::unknown());
        } else {
            let schema = self.schema();
            let changed = changed_attributes(&schema, &req.prior_state, &planned);
            requires_replace = replacements(&changed, &["account_id", "slug"]);
        }
        PlanResponse { planned_state: planned, requires_replace, ..Default::default() }
    }

    async fn create(&self, api: &Api, planned: &Value, _config: &Value) -> Result<Value, Diagnostics> {
        let account = planned.attr("account_id").as_str().unwrap_or_default().to_string();
        let c = api
            .client
            .create_custom_provider(&account, &body_of(planned))
            .await
            .map_err(|e| api_diags(e, "Failed to create custom provider"))?;
        Ok(state_of(&account, &c, planned))
    }

    async fn read(&self, api: &Api, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let account = state.attr("account_id").as_str().unwrap_or_default().to_string();
        // A create whose answer never arrived: find it by its unique slug.
        let found = match state.attr("id").as_str() {
            Some(id) => api.client.get_custom_provider(&account, id).await.map(Some),
            None => api
                .client
                .list_custom_providers(&account)
                .await
                .map(|all| all.into_iter().find(|c| Some(c.slug.as_str()) == state.attr("slug").as_str())),
        };
        match found {
            Ok(c) => Ok(c.map(|c| state_of(&account, &c, state))),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(crate::Error::from(e).to_diagnostics("Failed to read custom provider", &[])),
        }
    }

    async fn update(&self, api: &Api, prior: &Value, planned: &Value, _config: &Value) -> Result<Value, Diagnostics> {
        let (account, id) = ids(prior)?;
        let c = api
            .client
            .patch_custom_provider(&account, &id, &body_of(planned))
            .await
            .map_err(|e| api_diags(e, "Failed to update custom provider"))?;
        Ok(state_of(&account, &c, planned))
    }

    async fn delete(&self, api: &Api, prior: &Value) -> Result<(), Diagnostics> {
        let (account, id) = ids(prior)?;
        match api.client.delete_custom_provider(&account, &id).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(crate::Error::from(e).to_diagnostics("Failed to delete custom provider", &[])),
        }
    }

    async fn import(&self, api: &Api, import_id: &str) -> Result<Value, Diagnostics> {
        let p = parse_import_id(import_id, 2, "<account_id>/<custom_provider_id>")?;
        match api.client.get_custom_provider(&p[0], &p[1]).await {
            Ok(c) => Ok(state_of(&p[0], &c, &Value::Null)),
            Err(e) if e.is_not_found() => {
                let mut d = Diagnostics::new();
                d.error(
                    "Cannot import non-existent remote object",
                    format!("Account {} has no custom provider {:?}.", p[0], p[1]),
                );
                Err(d)
            }
            Err(e) => Err(crate::Error::from(e).to_diagnostics("Failed to import custom provider", &[])),
        }
    }
}
