//! The aigw provider: its own schema and configuration, and the dispatch of
//! protocol calls to the resource and data source that own each type.
use std::collections::BTreeMap;
use std::sync::OnceLock;

use async_trait::async_trait;
use tfplugin::provider::{
    ApplyRequest, ApplyResponse, ConfigureRequest, ImportResponse, ImportedResource, PlanRequest, PlanResponse,
    Provider, ProviderSchemas, ReadRequest, ReadResponse,
};
use tfplugin::schema::{Attribute, Block};
use tfplugin::{AttributePath, Diagnostics, Schema, Type, Value};

use crate::api::{Api, DEFAULT_BASE_URL};
use crate::data_sources::{self, DataSource};
use crate::resource::Resource;
use crate::resources;

pub struct AigwProvider {
    schemas: ProviderSchemas,
    resources: Vec<Box<dyn Resource>>,
    data_sources: Vec<Box<dyn DataSource>>,
    api: OnceLock<Api>,
}

fn provider_schema() -> Schema {
    Schema::new(
        0,
        Block::new("Manages Cloudflare AI Gateway, or the local aigw emulator.")
            .attr(Attribute::new("base_url", Type::String).optional().describe(
                "Cloudflare API v4 root. Default `https://api.cloudflare.com/client/v4`, or `AIGW_BASE_URL`. \
                 Point it at `http://127.0.0.1:8787/client/v4` to use `aigw emulator`.",
            ))
            .attr(
                Attribute::new("api_token", Type::String)
                    .optional()
                    .sensitive()
                    .describe("API token with AI Gateway Read and Write. Default: `CLOUDFLARE_API_TOKEN`."),
            ),
    )
}

impl Default for AigwProvider {
    fn default() -> Self {
        AigwProvider::new()
    }
}

impl AigwProvider {
    pub fn new() -> AigwProvider {
        let resources = resources::all();
        let data_sources = data_sources::all();
        let schemas = ProviderSchemas {
            provider: provider_schema(),
            resources: resources.iter().map(|r| (r.type_name().to_string(), r.schema())).collect(),
            data_sources: data_sources
                .iter()
                .map(|d| (d.type_name().to_string(), d.schema()))
                .collect::<BTreeMap<_, _>>(),
        };
        AigwProvider { schemas, resources, data_sources, api: OnceLock::new() }
    }

    fn resource(&self, name: &str) -> Result<&dyn Resource, Diagnostics> {
        self.resources.iter().find(|r| r.type_name() == name).map(AsRef::as_ref).ok_or_else(|| {
            let mut d = Diagnostics::new();
            d.error("Unknown resource type", format!("aigw has no resource type {name:?}"));
            d
        })
    }

    fn data_source(&self, name: &str) -> Result<&dyn DataSource, Diagnostics> {
        self.data_sources.iter().find(|r| r.type_name() == name).map(AsRef::as_ref).ok_or_else(|| {
            let mut d = Diagnostics::new();
            d.error("Unknown data source", format!("aigw has no data source {name:?}"));
            d
        })
    }

    fn api(&self) -> Result<&Api, Diagnostics> {
        self.api.get().ok_or_else(|| {
            let mut d = Diagnostics::new();
            d.error("Provider not configured", "ConfigureProvider must be called before this operation.");
            d
        })
    }
}

/// A required argument written as `null` is missing, as Terraform says.
fn required_set(block: &tfplugin::Block, config: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    for a in block.attributes.iter().filter(|a| a.required) {
        let v = config.attr(&a.name);
        if v.is_null() && !v.is_unknown() {
            d.attribute_error(
                AttributePath::root(&a.name),
                "Missing required argument",
                format!("The argument {:?} is required, but it is null.", a.name),
            );
        }
    }
    d
}

/// A provider setting from config, else from the environment.
fn setting(config: &Value, name: &str, env: &str, d: &mut Diagnostics) -> Option<String> {
    let v = config.attr(name);
    if v.is_unknown() {
        d.attribute_error(
            AttributePath::root(name),
            format!("{name} is not known yet"),
            "The provider's configuration must be known before it can be used; set it from values known at plan time.",
        );
        return None;
    }
    v.as_str().map(str::to_owned).or_else(|| std::env::var(env).ok().filter(|s| !s.is_empty()))
}

#[async_trait]
impl Provider for AigwProvider {
    fn schemas(&self) -> &ProviderSchemas {
        &self.schemas
    }

    /// Values wrong on their face are caught at validate and plan time,
    /// before any API call: an empty token, a base_url that is not a URL.
    async fn validate_provider_config(&self, config: Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        if let Some(t) = config.attr("api_token").as_str()
            && t.trim().is_empty()
        {
            d.attribute_error(
                AttributePath::root("api_token"),
                "Empty API token",
                "api_token is set to an empty string. Set it to a token with AI Gateway Read and Write, or leave it out to use CLOUDFLARE_API_TOKEN.",
            );
        }
        if let Some(b) = config.attr("base_url").as_str()
            && !(b.starts_with("http://") || b.starts_with("https://"))
        {
            d.attribute_error(
                AttributePath::root("base_url"),
                "Invalid base_url",
                format!(
                    "base_url must be an http:// or https:// URL such as {DEFAULT_BASE_URL}, not {:?}.",
                    aigw_cloudflare::client::shown(b)
                ),
            );
        }
        d
    }

    async fn configure(&self, req: ConfigureRequest) -> Diagnostics {
        let mut d = Diagnostics::new();
        let base = setting(&req.config, "base_url", "AIGW_BASE_URL", &mut d).unwrap_or_else(|| DEFAULT_BASE_URL.into());
        let token = setting(&req.config, "api_token", "CLOUDFLARE_API_TOKEN", &mut d);
        if d.has_errors() {
            return d;
        }
        let Some(token) = token else {
            d.attribute_error(
                AttributePath::root("api_token"),
                "Missing API token",
                "Set api_token in the provider block or the CLOUDFLARE_API_TOKEN environment variable.",
            );
            return d;
        };
        match aigw_cloudflare::Client::new(&base, &token, Default::default()) {
            Ok(client) => {
                // Terraform configures each provider process once.
                let _ = self.api.set(Api::new(client));
            }
            Err(e) => d.attribute_error(AttributePath::root("base_url"), "Invalid base_url", e.to_string()),
        }
        d
    }

    async fn validate_resource_config(&self, type_name: &str, config: Value) -> Diagnostics {
        match self.resource(type_name) {
            Ok(r) => {
                let mut d = required_set(&r.schema().block, &config);
                d.extend(r.validate(&config));
                d
            }
            Err(d) => d,
        }
    }

    async fn validate_data_source_config(&self, type_name: &str, config: Value) -> Diagnostics {
        match self.data_source(type_name) {
            Ok(ds) => ds.validate(&config),
            Err(d) => d,
        }
    }

    async fn read_resource(&self, req: ReadRequest) -> ReadResponse {
        let fail =
            |diagnostics| ReadResponse { new_state: req.current_state.clone(), diagnostics, ..Default::default() };
        let (r, api) = match (self.resource(&req.type_name), self.api()) {
            (Ok(r), Ok(api)) => (r, api),
            (Err(d), _) | (_, Err(d)) => return fail(d),
        };
        match r.read(api, &req.current_state).await {
            Ok(Some(state)) => ReadResponse { new_state: state, private: req.private, ..Default::default() },
            Ok(None) => {
                let mut d = Diagnostics::new();
                d.warning(
                    format!("{} no longer exists", req.type_name),
                    "It was deleted outside Terraform; it is removed from state and the next plan will create it again.",
                );
                ReadResponse { new_state: Value::Null, diagnostics: d, ..Default::default() }
            }
            Err(d) => fail(d),
        }
    }

    async fn plan_resource_change(&self, req: PlanRequest) -> PlanResponse {
        let r = match self.resource(&req.type_name) {
            Ok(r) => r,
            Err(diagnostics) => return PlanResponse { diagnostics, ..Default::default() },
        };
        if req.proposed_new_state.is_null() {
            return PlanResponse::default();
        }
        let mut d = r.validate(&req.config);
        if d.has_errors() {
            return PlanResponse { planned_state: req.proposed_new_state, diagnostics: d, ..Default::default() };
        }
        let mut resp = r.plan(self.api.get(), &req);
        d.extend(std::mem::take(&mut resp.diagnostics));
        resp.diagnostics = d;
        resp.planned_private = req.prior_private;
        resp
    }

    async fn apply_resource_change(&self, req: ApplyRequest) -> ApplyResponse {
        let (r, api) = match (self.resource(&req.type_name), self.api()) {
            (Ok(r), Ok(api)) => (r, api),
            (Err(d), _) | (_, Err(d)) => {
                return ApplyResponse { new_state: req.prior_state, diagnostics: d, ..Default::default() };
            }
        };
        let result = if req.planned_state.is_null() {
            r.delete(api, &req.prior_state).await.map(|()| Value::Null)
        } else if req.prior_state.is_null() {
            r.create(api, &req.planned_state, &req.config).await
        } else {
            r.update(api, &req.prior_state, &req.planned_state, &req.config).await
        };
        match result {
            Ok(new_state) => ApplyResponse { new_state, private: req.planned_private, ..Default::default() },
            // On failure the object is as it was before.
            Err(diagnostics) => ApplyResponse { new_state: req.prior_state, diagnostics, ..Default::default() },
        }
    }

    async fn import_resource_state(&self, type_name: &str, id: &str) -> ImportResponse {
        let (r, api) = match (self.resource(type_name), self.api()) {
            (Ok(r), Ok(api)) => (r, api),
            (Err(diagnostics), _) | (_, Err(diagnostics)) => {
                return ImportResponse { diagnostics, ..Default::default() };
            }
        };
        match r.import(api, id).await {
            Ok(state) => ImportResponse {
                imported: vec![ImportedResource { type_name: type_name.to_string(), state, private: Vec::new() }],
                diagnostics: Diagnostics::new(),
            },
            Err(diagnostics) => ImportResponse { diagnostics, ..Default::default() },
        }
    }

    async fn read_data_source(&self, type_name: &str, config: Value) -> (Value, Diagnostics) {
        let (ds, api) = match (self.data_source(type_name), self.api()) {
            (Ok(ds), Ok(api)) => (ds, api),
            (Err(d), _) | (_, Err(d)) => return (config, d),
        };
        match ds.read(api, &config).await {
            Ok(v) => (v, Diagnostics::new()),
            Err(d) => (config, d),
        }
    }
}
