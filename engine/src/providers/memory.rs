//! An in-memory provider, `mem`, for testing the planner and applier in
//! this process: `mem_thing` objects live in a shared store that a test
//! can inspect and change behind the engine's back (drift, deletion), and
//! a test can make chosen operations fail. Every create, update and
//! delete is recorded in order.
//!
//! `mem_thing`: `name` (required, forces replacement), `value` and `size`
//! (optional), `tags` (optional map), `id` and `revision` (computed; the
//! revision changes on every update, so it is unknown in an update's plan).
//! `mem_lookup` (data source): reads the `value` of the thing named `name`.
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use tfplugin::provider::{
    ApplyRequest, ApplyResponse, ConfigureRequest, ImportResponse, ImportedResource, PlanRequest, PlanResponse,
    ProviderSchemas, ReadRequest, ReadResponse,
};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::{AttributePath, Diagnostics, Type, Value};

/// What the provider's remote side holds and did.
#[derive(Debug, Default)]
pub struct World {
    /// id → object.
    pub objects: BTreeMap<String, Value>,
    /// Operations done, in order: `create a`, `update a`, `delete a`.
    pub log: Vec<String>,
    /// Names whose create or update fails.
    pub fail: BTreeSet<String>,
    next_id: u64,
}

/// The `mem` provider; clones share one [`World`].
#[derive(Clone)]
pub struct Memory {
    world: Arc<Mutex<World>>,
    schemas: Arc<ProviderSchemas>,
}

impl Default for Memory {
    fn default() -> Memory {
        Memory::new()
    }
}

fn thing_schema() -> Schema {
    Schema::new(
        0,
        Block::new("a thing")
            .attr(Attribute::new("id", Type::String).computed())
            .attr(Attribute::new("name", Type::String).required())
            .attr(Attribute::new("value", Type::String).optional())
            .attr(Attribute::new("size", Type::Number).optional())
            .attr(Attribute::new("tags", Type::map(Type::String)).optional())
            .attr(Attribute::new("revision", Type::Number).computed()),
    )
}

fn lookup_schema() -> Schema {
    Schema::new(
        0,
        Block::new("a thing's value, by name")
            .attr(Attribute::new("name", Type::String).required())
            .attr(Attribute::new("value", Type::String).computed()),
    )
}

impl Memory {
    pub fn new() -> Memory {
        let schemas = ProviderSchemas {
            provider: Schema::new(0, Block::new("mem").attr(Attribute::new("label", Type::String).optional())),
            resources: [("mem_thing".to_string(), thing_schema())].into(),
            data_sources: [("mem_lookup".to_string(), lookup_schema())].into(),
        };
        Memory { world: Arc::default(), schemas: Arc::new(schemas) }
    }

    /// The shared world (a poisoned lock is taken over: tests only).
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The object named `name`, if any.
    pub fn by_name(&self, name: &str) -> Option<Value> {
        self.world().objects.values().find(|o| o.attr("name").as_str() == Some(name)).cloned()
    }
}

fn id_of(v: &Value) -> String {
    v.attr("id").as_str().unwrap_or_default().to_string()
}

#[async_trait]
impl tfplugin::Provider for Memory {
    fn schemas(&self) -> &ProviderSchemas {
        &self.schemas
    }
    async fn configure(&self, _req: ConfigureRequest) -> Diagnostics {
        Diagnostics::new()
    }
    async fn validate_resource_config(&self, _type_name: &str, config: Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        if let Some(n) = config.attr("size").as_i64()
            && n < 0
        {
            d.attribute_error(AttributePath::root("size"), "Invalid size", "size must not be negative");
        }
        d
    }
    async fn validate_data_source_config(&self, _type_name: &str, _config: Value) -> Diagnostics {
        Diagnostics::new()
    }
    async fn read_resource(&self, req: ReadRequest) -> ReadResponse {
        let current = self.world().objects.get(&id_of(&req.current_state)).cloned();
        ReadResponse { new_state: current.unwrap_or(Value::Null), private: req.private, ..ReadResponse::default() }
    }
    async fn plan_resource_change(&self, req: PlanRequest) -> PlanResponse {
        let (prior, mut planned) = (req.prior_state, req.proposed_new_state);
        if planned.is_null() {
            return PlanResponse::default();
        }
        let mut requires_replace = Vec::new();
        if prior.is_null() {
            planned.set_attr("id", Value::unknown());
            planned.set_attr("revision", Value::unknown());
        } else if planned != prior {
            if planned.attr("name") != prior.attr("name") {
                requires_replace.push(AttributePath::root("name"));
            }
            planned.set_attr("revision", Value::unknown());
        }
        PlanResponse { planned_state: planned, requires_replace, ..PlanResponse::default() }
    }
    async fn apply_resource_change(&self, req: ApplyRequest) -> ApplyResponse {
        let mut w = self.world();
        let mut out = ApplyResponse::default();
        if req.planned_state.is_null() {
            let id = id_of(&req.prior_state);
            w.objects.remove(&id);
            let name = req.prior_state.attr("name").as_str().unwrap_or_default().to_string();
            w.log.push(format!("delete {name}"));
            return out;
        }
        let mut v = req.planned_state;
        let name = v.attr("name").as_str().unwrap_or_default().to_string();
        if w.fail.contains(&name) {
            out.diagnostics.error("Injected failure", format!("{name} was told to fail"));
            return out;
        }
        let (verb, id, revision) = if req.prior_state.is_null() {
            w.next_id += 1;
            ("create", format!("t{}", w.next_id), 1)
        } else {
            let rev = req.prior_state.attr("revision").as_i64().unwrap_or(0);
            ("update", id_of(&req.prior_state), rev + 1)
        };
        v.set_attr("id", Value::from(id.as_str()));
        v.set_attr("revision", Value::int(revision));
        w.log.push(format!("{verb} {name}"));
        w.objects.insert(id, v.clone());
        out.new_state = v;
        out
    }
    async fn import_resource_state(&self, type_name: &str, id: &str) -> ImportResponse {
        let mut out = ImportResponse::default();
        match self.world().objects.get(id) {
            Some(v) => out.imported.push(ImportedResource {
                type_name: type_name.to_string(),
                state: v.clone(),
                private: Vec::new(),
            }),
            None => out.diagnostics.error("Cannot import non-existent remote object", format!("no thing {id:?}")),
        }
        out
    }
    async fn read_data_source(&self, _type_name: &str, mut config: Value) -> (Value, Diagnostics) {
        let mut d = Diagnostics::new();
        let name = config.attr("name").as_str().unwrap_or_default().to_string();
        match self.by_name(&name) {
            Some(t) => config.set_attr("value", t.attr("value").clone()),
            None => d.error("Not found", format!("no thing named {name:?}")),
        }
        (config, d)
    }
}
