//! Terraform's built-in provider, `terraform.io/builtin/terraform`, run in
//! this process as Terraform runs it: the `terraform_data` resource (a
//! value kept in state, replaced when `triggers_replace` changes) and the
//! `terraform_remote_state` data source (another configuration's outputs,
//! from a local state file).
use std::collections::BTreeMap;
use std::path::PathBuf;

use async_trait::async_trait;
use tfplugin::provider::{
    ApplyRequest, ApplyResponse, ConfigureRequest, ImportResponse, ImportedResource, PlanRequest, PlanResponse,
    ProviderSchemas, ReadRequest, ReadResponse,
};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::{AttributePath, Diagnostics, Type, Value};

/// The provider's source address, and the local name that means it.
pub const SOURCE: &str = "terraform.io/builtin/terraform";
pub const LOCAL_NAME: &str = "terraform";

pub struct Terraform {
    schemas: ProviderSchemas,
    /// The configuration directory, which relative state paths start from.
    dir: PathBuf,
}

fn data_schema() -> Schema {
    Schema::new(
        0,
        Block::new("a value kept in state")
            .attr(Attribute::new("input", Type::Dynamic).optional())
            .attr(Attribute::new("output", Type::Dynamic).computed())
            .attr(Attribute::new("triggers_replace", Type::Dynamic).optional())
            .attr(Attribute::new("id", Type::String).computed()),
    )
}

fn remote_state_schema() -> Schema {
    Schema::new(
        0,
        Block::new("another configuration's outputs")
            .attr(Attribute::new("backend", Type::String).required())
            .attr(Attribute::new("config", Type::Dynamic).optional())
            .attr(Attribute::new("defaults", Type::Dynamic).optional())
            .attr(Attribute::new("outputs", Type::Dynamic).computed())
            .attr(Attribute::new("workspace", Type::String).optional()),
    )
}

impl Terraform {
    pub fn new(dir: PathBuf) -> Terraform {
        let schemas = ProviderSchemas {
            provider: Schema::default(),
            resources: [("terraform_data".to_string(), data_schema())].into(),
            data_sources: [("terraform_remote_state".to_string(), remote_state_schema())].into(),
        };
        Terraform { schemas, dir }
    }

    /// The outputs of the local state `config.path` names (default
    /// `terraform.tfstate`), as an object; `defaults` fill what it lacks.
    fn remote_outputs(&self, config: &Value) -> Result<Value, (String, String)> {
        let backend = config.attr("backend").as_str().unwrap_or_default();
        if backend != "local" {
            return Err((
                "Unsupported backend".into(),
                format!("aigw reads terraform_remote_state from the local backend only, not {backend:?}"),
            ));
        }
        let workspace = config.attr("workspace").as_str().unwrap_or("default");
        let given = config.attr("config").attr("path").as_str().map(PathBuf::from);
        let path = match (given, workspace) {
            (Some(p), _) => p,
            (None, "default") => PathBuf::from("terraform.tfstate"),
            (None, w) => PathBuf::from("terraform.tfstate.d").join(w).join("terraform.tfstate"),
        };
        let path = if path.is_absolute() { path } else { self.dir.join(path) };
        let mut outputs: BTreeMap<String, Value> = match config.attr("defaults") {
            Value::Object(m) | Value::Map(m) => m.clone(),
            _ => BTreeMap::new(),
        };
        if !path.exists() {
            return Err((
                "Unable to find remote state".into(),
                format!("No stored state was found for the given workspace in the given backend ({}).", path.display()),
            ));
        }
        {
            let state = crate::state::State::load(&path)
                .map_err(|e| ("Unable to read the remote state".to_string(), e.to_string()))?;
            for (name, o) in &state.outputs {
                let ty = Type::from_json(&o["type"]).unwrap_or(Type::Dynamic);
                let v = tfplugin::value::decode_json(&o["value"], &ty)
                    .map_err(|e| ("Invalid output in the remote state".to_string(), format!("{name}: {e}")))?;
                outputs.insert(name.clone(), v);
            }
        }
        Ok(Value::Object(outputs))
    }
}

/// `terraform_data`'s output follows its input: null when the input is,
/// else unknown until apply.
fn planned_output(input: &Value) -> Value {
    if input.is_null() { Value::Null } else { Value::unknown() }
}

#[async_trait]
impl tfplugin::Provider for Terraform {
    fn schemas(&self) -> &ProviderSchemas {
        &self.schemas
    }
    async fn configure(&self, _req: ConfigureRequest) -> Diagnostics {
        Diagnostics::new()
    }
    async fn validate_resource_config(&self, _type_name: &str, _config: Value) -> Diagnostics {
        Diagnostics::new()
    }
    async fn validate_data_source_config(&self, _type_name: &str, config: Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        if let Some(b) = config.attr("backend").as_str()
            && b != "local"
        {
            d.attribute_error(
                AttributePath::root("backend"),
                "Unsupported backend",
                format!("aigw reads terraform_remote_state from the local backend only, not {b:?}"),
            );
        }
        d
    }
    async fn read_resource(&self, req: ReadRequest) -> ReadResponse {
        ReadResponse { new_state: req.current_state, private: req.private, ..ReadResponse::default() }
    }
    async fn plan_resource_change(&self, req: PlanRequest) -> PlanResponse {
        let mut planned = req.proposed_new_state;
        let mut resp = PlanResponse::default();
        if planned.is_null() {
            return resp;
        }
        let input = planned.attr("input").clone();
        if req.prior_state.is_null() {
            planned.set_attr("id", Value::unknown());
            planned.set_attr("output", planned_output(&input));
        } else if req.prior_state.attr("triggers_replace") != planned.attr("triggers_replace") {
            resp.requires_replace.push(AttributePath::root("triggers_replace"));
            planned.set_attr("id", Value::unknown());
            planned.set_attr("output", planned_output(&input));
        } else if req.prior_state.attr("input") != &input {
            planned.set_attr("output", Value::unknown());
        }
        resp.planned_state = planned;
        resp
    }
    async fn apply_resource_change(&self, req: ApplyRequest) -> ApplyResponse {
        let mut state = req.planned_state;
        if state.is_null() {
            return ApplyResponse::default();
        }
        if state.attr("output").is_unknown() {
            let input = state.attr("input").clone();
            state.set_attr("output", input);
        }
        if state.attr("id").is_unknown() {
            state.set_attr("id", Value::from(uuid::Uuid::new_v4().to_string().as_str()));
        }
        ApplyResponse { new_state: state, ..ApplyResponse::default() }
    }
    async fn import_resource_state(&self, type_name: &str, id: &str) -> ImportResponse {
        let mut state = Value::null_object(&data_schema().value_type());
        state.set_attr("id", Value::from(id));
        let imported = ImportedResource { type_name: type_name.to_string(), state, private: Vec::new() };
        ImportResponse { imported: vec![imported], ..ImportResponse::default() }
    }
    async fn read_data_source(&self, _type_name: &str, mut config: Value) -> (Value, Diagnostics) {
        let mut d = Diagnostics::new();
        match self.remote_outputs(&config) {
            Ok(outputs) => config.set_attr("outputs", outputs),
            Err((summary, detail)) => d.error(summary, detail),
        }
        (config, d)
    }
}
