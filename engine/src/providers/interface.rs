//! The engine's provider interface: what planning and applying ask of a
//! provider, in the engine's own types. A launched plugin (the tfplugin6
//! client) implements it, and so does any [`tfplugin::Provider`] run in
//! this process ([`InProcess`]), which is how the planner and applier are
//! unit-tested without processes. Errors are transport failures; what the
//! provider says about the user's configuration comes back as diagnostics.
use async_trait::async_trait;
use tfplugin::client::PluginClient;
use tfplugin::provider::{
    ApplyRequest, ApplyResponse, ConfigureRequest, ImportResponse, PlanRequest, PlanResponse, ProviderSchemas,
    ReadRequest, ReadResponse,
};
use tfplugin::value::{decode_json, decode_msgpack, encode_msgpack};
use tfplugin::{Diagnostics, Type, Value};

use crate::error::Error;

#[async_trait]
pub trait Provider: Send + Sync {
    fn schemas(&self) -> &ProviderSchemas;
    async fn validate_provider_config(&self, config: &Value) -> Result<Diagnostics, Error>;
    async fn configure(&self, terraform_version: &str, config: &Value) -> Result<Diagnostics, Error>;
    async fn validate_resource_config(&self, type_name: &str, config: &Value) -> Result<Diagnostics, Error>;
    async fn validate_data_source_config(&self, type_name: &str, config: &Value) -> Result<Diagnostics, Error>;
    /// Upgrades an object stored as JSON (as a state file holds it).
    async fn upgrade_resource_state(
        &self,
        type_name: &str,
        version: i64,
        json: &serde_json::Value,
    ) -> Result<(Value, Diagnostics), Error>;
    async fn read_resource(&self, req: ReadRequest) -> Result<ReadResponse, Error>;
    async fn plan_resource_change(&self, req: PlanRequest) -> Result<PlanResponse, Error>;
    async fn apply_resource_change(&self, req: ApplyRequest) -> Result<ApplyResponse, Error>;
    async fn import_resource_state(&self, type_name: &str, id: &str) -> Result<ImportResponse, Error>;
    async fn read_data_source(&self, type_name: &str, config: &Value) -> Result<(Value, Diagnostics), Error>;
    /// Ends the provider; true when it exited cleanly.
    async fn shutdown(self: Box<Self>) -> Result<bool, Error>;
}

#[async_trait]
impl Provider for PluginClient {
    fn schemas(&self) -> &ProviderSchemas {
        PluginClient::schemas(self)
    }
    async fn validate_provider_config(&self, config: &Value) -> Result<Diagnostics, Error> {
        Ok(PluginClient::validate_provider_config(self, config).await?)
    }
    async fn configure(&self, terraform_version: &str, config: &Value) -> Result<Diagnostics, Error> {
        Ok(PluginClient::configure(self, terraform_version, config).await?)
    }
    async fn validate_resource_config(&self, type_name: &str, config: &Value) -> Result<Diagnostics, Error> {
        Ok(PluginClient::validate_resource_config(self, type_name, config).await?)
    }
    async fn validate_data_source_config(&self, type_name: &str, config: &Value) -> Result<Diagnostics, Error> {
        Ok(PluginClient::validate_data_source_config(self, type_name, config).await?)
    }
    async fn upgrade_resource_state(
        &self,
        type_name: &str,
        version: i64,
        json: &serde_json::Value,
    ) -> Result<(Value, Diagnostics), Error> {
        Ok(PluginClient::upgrade_resource_state(self, type_name, version, json).await?)
    }
    async fn read_resource(&self, req: ReadRequest) -> Result<ReadResponse, Error> {
        Ok(PluginClient::read_resource(self, req).await?)
    }
    async fn plan_resource_change(&self, req: PlanRequest) -> Result<PlanResponse, Error> {
        Ok(PluginClient::plan_resource_change(self, req).await?)
    }
    async fn apply_resource_change(&self, req: ApplyRequest) -> Result<ApplyResponse, Error> {
        Ok(PluginClient::apply_resource_change(self, req).await?)
    }
    async fn import_resource_state(&self, type_name: &str, id: &str) -> Result<ImportResponse, Error> {
        Ok(PluginClient::import_resource_state(self, type_name, id).await?)
    }
    async fn read_data_source(&self, type_name: &str, config: &Value) -> Result<(Value, Diagnostics), Error> {
        Ok(PluginClient::read_data_source(self, type_name, config).await?)
    }
    async fn shutdown(self: Box<Self>) -> Result<bool, Error> {
        Ok(PluginClient::shutdown(*self).await?)
    }
}

/// A [`tfplugin::Provider`] called in this process. Every value crosses
/// as it would cross the wire (msgpack against the schema's type), so a
/// value that does not follow its schema fails here as it would over gRPC.
pub struct InProcess<P>(pub P);

impl<P: tfplugin::Provider> InProcess<P> {
    fn resource_type(&self, name: &str) -> Result<Type, Error> {
        let s = self.0.schemas().resources.get(name);
        s.map(|s| s.value_type()).ok_or_else(|| Error::Provider(format!("unknown resource type {name:?}")))
    }
    fn data_type(&self, name: &str) -> Result<Type, Error> {
        let s = self.0.schemas().data_sources.get(name);
        s.map(|s| s.value_type()).ok_or_else(|| Error::Provider(format!("unknown data source {name:?}")))
    }
}

/// `v` as the other side of the wire sees it.
fn wire(v: &Value, ty: &Type) -> Result<Value, Error> {
    Ok(decode_msgpack(&encode_msgpack(v, ty)?, ty)?)
}

#[async_trait]
impl<P: tfplugin::Provider> Provider for InProcess<P> {
    fn schemas(&self) -> &ProviderSchemas {
        self.0.schemas()
    }
    async fn validate_provider_config(&self, config: &Value) -> Result<Diagnostics, Error> {
        let ty = self.0.schemas().provider.value_type();
        Ok(self.0.validate_provider_config(wire(config, &ty)?).await)
    }
    async fn configure(&self, terraform_version: &str, config: &Value) -> Result<Diagnostics, Error> {
        let config = wire(config, &self.0.schemas().provider.value_type())?;
        Ok(self.0.configure(ConfigureRequest { terraform_version: terraform_version.to_string(), config }).await)
    }
    async fn validate_resource_config(&self, type_name: &str, config: &Value) -> Result<Diagnostics, Error> {
        let config = wire(config, &self.resource_type(type_name)?)?;
        Ok(self.0.validate_resource_config(type_name, config).await)
    }
    async fn validate_data_source_config(&self, type_name: &str, config: &Value) -> Result<Diagnostics, Error> {
        let config = wire(config, &self.data_type(type_name)?)?;
        Ok(self.0.validate_data_source_config(type_name, config).await)
    }
    async fn upgrade_resource_state(
        &self,
        type_name: &str,
        version: i64,
        json: &serde_json::Value,
    ) -> Result<(Value, Diagnostics), Error> {
        let ty = self.resource_type(type_name)?;
        let (v, d) = self.0.upgrade_resource_state(type_name, version, decode_json(json, &ty)?).await;
        Ok((wire(&v, &ty)?, d))
    }
    async fn read_resource(&self, mut req: ReadRequest) -> Result<ReadResponse, Error> {
        let ty = self.resource_type(&req.type_name)?;
        req.current_state = wire(&req.current_state, &ty)?;
        let mut r = self.0.read_resource(req).await;
        r.new_state = wire(&r.new_state, &ty)?;
        Ok(r)
    }
    async fn plan_resource_change(&self, mut req: PlanRequest) -> Result<PlanResponse, Error> {
        let ty = self.resource_type(&req.type_name)?;
        for v in [&mut req.prior_state, &mut req.proposed_new_state, &mut req.config] {
            *v = wire(v, &ty)?;
        }
        let mut r = self.0.plan_resource_change(req).await;
        r.planned_state = wire(&r.planned_state, &ty)?;
        Ok(r)
    }
    async fn apply_resource_change(&self, mut req: ApplyRequest) -> Result<ApplyResponse, Error> {
        let ty = self.resource_type(&req.type_name)?;
        for v in [&mut req.prior_state, &mut req.planned_state, &mut req.config] {
            *v = wire(v, &ty)?;
        }
        let mut r = self.0.apply_resource_change(req).await;
        r.new_state = wire(&r.new_state, &ty)?;
        Ok(r)
    }
    async fn import_resource_state(&self, type_name: &str, id: &str) -> Result<ImportResponse, Error> {
        let mut r = self.0.import_resource_state(type_name, id).await;
        for i in &mut r.imported {
            i.state = wire(&i.state, &self.resource_type(&i.type_name)?)?;
        }
        Ok(r)
    }
    async fn read_data_source(&self, type_name: &str, config: &Value) -> Result<(Value, Diagnostics), Error> {
        let ty = self.data_type(type_name)?;
        let (v, d) = self.0.read_data_source(type_name, wire(config, &ty)?).await;
        Ok((wire(&v, &ty)?, d))
    }
    async fn shutdown(self: Box<Self>) -> Result<bool, Error> {
        Ok(self.0.stop().await.is_none())
    }
}
