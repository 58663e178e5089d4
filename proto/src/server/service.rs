//! The gRPC face of a [`Provider`]: decodes each request against the right
//! schema, calls the provider, encodes the answer. Decoding problems become
//! diagnostics; gRPC status errors are kept for transport trouble.
use std::sync::Arc;

use tokio::sync::Notify;
use tonic::{Request, Response, Status};

use crate::Error;
use crate::convert::{diags_to_pb, dv_decode, dv_encode, path_to_pb, schema_to_pb};
use crate::diag::Diagnostics;
use crate::pb::plugin;
use crate::pb::tfplugin6 as pb;
use crate::provider::{ApplyRequest, ConfigureRequest, PlanRequest, Provider, ReadRequest};
use crate::value::{Type, Value, decode_json};

pub(crate) struct ProviderService<P> {
    pub(crate) provider: Arc<P>,
}

fn diag_err(summary: &str, e: impl std::fmt::Display) -> Vec<pb::Diagnostic> {
    let mut d = Diagnostics::new();
    d.error(summary, e.to_string());
    diags_to_pb(&d)
}

impl<P: Provider> ProviderService<P> {
    fn resource_type(&self, name: &str) -> Result<Type, Vec<pb::Diagnostic>> {
        self.provider
            .schemas()
            .resources
            .get(name)
            .map(|s| s.value_type())
            .ok_or_else(|| diag_err("Unknown resource type", format!("this provider has no resource type {name:?}")))
    }
    fn data_type(&self, name: &str) -> Result<Type, Vec<pb::Diagnostic>> {
        self.provider
            .schemas()
            .data_sources
            .get(name)
            .map(|s| s.value_type())
            .ok_or_else(|| diag_err("Unknown data source", format!("this provider has no data source {name:?}")))
    }
}

/// Decodes or returns the response built from the diagnostics.
macro_rules! try_diag {
    ($e:expr, $resp:expr) => {
        match $e {
            Ok(v) => v,
            Err(diagnostics) => return Ok(Response::new($resp(diagnostics))),
        }
    };
}

fn decode(dv: Option<&pb::DynamicValue>, ty: &Type, what: &str) -> Result<Value, Vec<pb::Diagnostic>> {
    dv_decode(dv, ty).map_err(|e| diag_err(&format!("Invalid {what}"), e))
}

fn encode(v: &Value, ty: &Type) -> Result<pb::DynamicValue, Vec<pb::Diagnostic>> {
    dv_encode(v, ty).map_err(|e| diag_err("Provider produced a value that does not fit its schema", e))
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: false,
        get_provider_schema_optional: false,
        move_resource_state: false,
        generate_resource_config: false,
    }
}

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _req: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        let s = self.provider.schemas();
        let names = |m: &std::collections::BTreeMap<String, _>| {
            m.keys().map(|k| pb::get_metadata::TypeName { type_name: k.clone() }).collect()
        };
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: names(&s.resources),
            data_sources: names(&s.data_sources),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _req: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        let s = self.provider.schemas();
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(schema_to_pb(&s.provider)),
            resource_schemas: s.resources.iter().map(|(k, v)| (k.clone(), schema_to_pb(v))).collect(),
            data_source_schemas: s.data_sources.iter().map(|(k, v)| (k.clone(), schema_to_pb(v))).collect(),
            server_capabilities: Some(capabilities()),
            ..Default::default()
        }))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let resp = |diagnostics| pb::validate_provider_config::Response { diagnostics };
        let ty = self.provider.schemas().provider.value_type();
        let config = try_diag!(decode(req.get_ref().config.as_ref(), &ty, "provider configuration"), resp);
        Ok(Response::new(resp(diags_to_pb(&self.provider.validate_provider_config(config).await))))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let resp = |diagnostics| pb::validate_resource_config::Response { diagnostics };
        let r = req.get_ref();
        let ty = try_diag!(self.resource_type(&r.type_name), resp);
        let config = try_diag!(decode(r.config.as_ref(), &ty, "resource configuration"), resp);
        let d = self.provider.validate_resource_config(&r.type_name, config).await;
        Ok(Response::new(resp(diags_to_pb(&d))))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let resp = |diagnostics| pb::validate_data_resource_config::Response { diagnostics };
        let r = req.get_ref();
        let ty = try_diag!(self.data_type(&r.type_name), resp);
        let config = try_diag!(decode(r.config.as_ref(), &ty, "data source configuration"), resp);
        let d = self.provider.validate_data_source_config(&r.type_name, config).await;
        Ok(Response::new(resp(diags_to_pb(&d))))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let resp = |diagnostics| pb::upgrade_resource_state::Response { upgraded_state: None, diagnostics };
        let r = req.get_ref();
        let ty = try_diag!(self.resource_type(&r.type_name), resp);
        let raw = r.raw_state.as_ref().map(|s| s.json.as_slice()).unwrap_or_default();
        if raw.is_empty() {
            return Ok(Response::new(resp(diag_err(
                "Unsupported state format",
                "the state holds no JSON attributes (legacy flatmap state is not supported)",
            ))));
        }
        let json: serde_json::Value =
            try_diag!(serde_json::from_slice(raw).map_err(|e| diag_err("Invalid stored state", e)), resp);
        let state = try_diag!(decode_json(&json, &ty).map_err(|e| diag_err("Invalid stored state", e)), resp);
        let (state, d) = self.provider.upgrade_resource_state(&r.type_name, r.version, state).await;
        let upgraded = try_diag!(encode(&state, &ty), resp);
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state: Some(upgraded),
            diagnostics: diags_to_pb(&d),
        }))
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let resp = |diagnostics| pb::configure_provider::Response { diagnostics };
        let r = req.get_ref();
        let ty = self.provider.schemas().provider.value_type();
        let config = try_diag!(decode(r.config.as_ref(), &ty, "provider configuration"), resp);
        let d =
            self.provider.configure(ConfigureRequest { terraform_version: r.terraform_version.clone(), config }).await;
        Ok(Response::new(resp(diags_to_pb(&d))))
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let resp = |diagnostics| pb::read_resource::Response { diagnostics, ..Default::default() };
        let r = req.into_inner();
        let ty = try_diag!(self.resource_type(&r.type_name), resp);
        let current_state = try_diag!(decode(r.current_state.as_ref(), &ty, "current state"), resp);
        let out = self
            .provider
            .read_resource(ReadRequest { type_name: r.type_name, current_state, private: r.private })
            .await;
        let new_state = try_diag!(encode(&out.new_state, &ty), resp);
        Ok(Response::new(pb::read_resource::Response {
            new_state: Some(new_state),
            diagnostics: diags_to_pb(&out.diagnostics),
            private: out.private,
            ..Default::default()
        }))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let resp = |diagnostics| pb::plan_resource_change::Response { diagnostics, ..Default::default() };
        let r = req.into_inner();
        let ty = try_diag!(self.resource_type(&r.type_name), resp);
        let prior_state = try_diag!(decode(r.prior_state.as_ref(), &ty, "prior state"), resp);
        let proposed_new_state = try_diag!(decode(r.proposed_new_state.as_ref(), &ty, "proposed state"), resp);
        let config = try_diag!(decode(r.config.as_ref(), &ty, "configuration"), resp);
        let out = self
            .provider
            .plan_resource_change(PlanRequest {
                type_name: r.type_name,
                prior_state,
                proposed_new_state,
                config,
                prior_private: r.prior_private,
            })
            .await;
        let planned = try_diag!(encode(&out.planned_state, &ty), resp);
        Ok(Response::new(pb::plan_resource_change::Response {
            planned_state: Some(planned),
            requires_replace: out.requires_replace.iter().map(path_to_pb).collect(),
            planned_private: out.planned_private,
            diagnostics: diags_to_pb(&out.diagnostics),
            ..Default::default()
        }))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let resp = |diagnostics| pb::apply_resource_change::Response { diagnostics, ..Default::default() };
        let r = req.into_inner();
        let ty = try_diag!(self.resource_type(&r.type_name), resp);
        let prior_state = try_diag!(decode(r.prior_state.as_ref(), &ty, "prior state"), resp);
        let planned_state = try_diag!(decode(r.planned_state.as_ref(), &ty, "planned state"), resp);
        let config = try_diag!(decode(r.config.as_ref(), &ty, "configuration"), resp);
        let out = self
            .provider
            .apply_resource_change(ApplyRequest {
                type_name: r.type_name,
                prior_state,
                planned_state,
                config,
                planned_private: r.planned_private,
            })
            .await;
        let new_state = try_diag!(encode(&out.new_state, &ty), resp);
        Ok(Response::new(pb::apply_resource_change::Response {
            new_state: Some(new_state),
            private: out.private,
            diagnostics: diags_to_pb(&out.diagnostics),
            ..Default::default()
        }))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let resp = |diagnostics| pb::import_resource_state::Response { diagnostics, ..Default::default() };
        let r = req.get_ref();
        try_diag!(self.resource_type(&r.type_name), resp);
        let out = self.provider.import_resource_state(&r.type_name, &r.id).await;
        let mut imported = Vec::new();
        for i in &out.imported {
            let ty = try_diag!(self.resource_type(&i.type_name), resp);
            imported.push(pb::import_resource_state::ImportedResource {
                type_name: i.type_name.clone(),
                state: Some(try_diag!(encode(&i.state, &ty), resp)),
                private: i.private.clone(),
                identity: None,
            });
        }
        Ok(Response::new(pb::import_resource_state::Response {
            imported_resources: imported,
            diagnostics: diags_to_pb(&out.diagnostics),
            deferred: None,
        }))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let resp = |diagnostics| pb::read_data_source::Response { diagnostics, ..Default::default() };
        let r = req.get_ref();
        let ty = try_diag!(self.data_type(&r.type_name), resp);
        let config = try_diag!(decode(r.config.as_ref(), &ty, "data source configuration"), resp);
        let (state, d) = self.provider.read_data_source(&r.type_name, config).await;
        let state = try_diag!(encode(&state, &ty), resp);
        Ok(Response::new(pb::read_data_source::Response {
            state: Some(state),
            diagnostics: diags_to_pb(&d),
            deferred: None,
        }))
    }

    async fn stop_provider(
        &self,
        _req: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        let error = self.provider.stop().await.unwrap_or_default();
        Ok(Response::new(pb::stop_provider::Response { error }))
    }
}

/// go-plugin's controller: `Shutdown` asks the whole process to exit.
pub(crate) struct Controller {
    pub(crate) shutdown: Arc<Notify>,
}

#[tonic::async_trait]
impl plugin::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _req: Request<()>) -> Result<Response<()>, Status> {
        self.shutdown.notify_waiters();
        self.shutdown.notify_one();
        Ok(Response::new(()))
    }
}

impl From<Error> for Status {
    fn from(e: Error) -> Status {
        Status::internal(e.to_string())
    }
}
