//! Applying a plan. Each resource's configuration is evaluated again with
//! the values its dependencies now have, planned again, and applied; the
//! state file is written after every completed operation, so a failure
//! part-way keeps everything that was done. Replacements delete first;
//! deletions run dependents first.
use tfplugin::Value;
use tfplugin::provider::{ApplyRequest, PlanRequest};
use tfplugin::value::encode_json;

use crate::config::Config;
use crate::error::{Error, check};
use crate::eval::Scope;
use crate::plan::{Action, Change, Plan, proposed_new, resource_config, set_instance};
use crate::providers::{Providers, state_address};
use crate::state::{Instance, ResourceState, State};

fn b64(b: &[u8]) -> Option<String> {
    use base64::Engine;
    (!b.is_empty()).then(|| base64::engine::general_purpose::STANDARD.encode(b))
}

fn record(state: &mut State, c: &Change, source: &str, value: &Value, private: &[u8]) -> Result<(), Error> {
    let template = ResourceState {
        mode: "managed".into(),
        type_name: c.type_name.clone(),
        name: c.name.clone(),
        each: c.each.clone(),
        provider: state_address(source),
        instances: Vec::new(),
    };
    if value.is_null() {
        state.put_instance(&template, &c.key, None);
        return Ok(());
    }
    let inst = Instance {
        index_key: c.key.clone(),
        schema_version: c.schema.version,
        attributes: encode_json(value, &c.schema.value_type())?,
        sensitive_attributes: Vec::new(),
        private: b64(private),
        dependencies: c.dependencies.clone(),
        extra: Default::default(),
    };
    state.put_instance(&template, &c.key, Some(inst));
    Ok(())
}

async fn apply_one(
    providers: &Providers,
    c: &Change,
    prior: Value,
    planned: Value,
    config: Value,
    private: Vec<u8>,
) -> Result<(Value, Vec<u8>), Error> {
    let (_, client) = providers.get(&c.provider)?;
    let resp = client
        .apply_resource_change(ApplyRequest {
            type_name: c.type_name.clone(),
            prior_state: prior,
            planned_state: planned,
            config,
            planned_private: private,
        })
        .await?;
    check(&resp.diagnostics, &c.address())?;
    Ok((resp.new_state, resp.private))
}

/// What happened, for the summary line.
#[derive(Debug, Default)]
pub struct Summary {
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
}

pub async fn apply(
    cfg: &Config,
    plan: &Plan,
    state: &mut State,
    state_path: &std::path::Path,
    providers: &Providers,
    scope: &mut Scope,
    progress: &mut dyn FnMut(&str),
) -> Result<Summary, Error> {
    let mut sum = Summary::default();
    for c in &plan.changes {
        let (source, client) = providers.get(&c.provider)?;
        let source = source.to_string();
        match c.action {
            Action::NoOp => {
                record(state, c, &source, &c.before, &c.private)?;
                set_instance(scope, &c.type_name, &c.name, &c.key, c.before.clone());
            }
            Action::Delete => {
                progress(&format!("{}: Destroying...", c.address()));
                apply_one(providers, c, c.before.clone(), Value::Null, Value::Null, c.private.clone()).await?;
                record(state, c, &source, &Value::Null, &[])?;
                state.save(state_path)?;
                sum.destroyed += 1;
                progress(&format!("{}: Destruction complete", c.address()));
            }
            Action::Create | Action::Update | Action::Replace => {
                let r = cfg
                    .resources
                    .iter()
                    .find(|r| r.type_name == c.type_name && r.name == c.name)
                    .ok_or_else(|| Error::Provider(format!("{} is not in the configuration", c.address())))?;
                let mut prior = c.before.clone();
                let mut prior_private = c.private.clone();
                if c.action == Action::Replace {
                    progress(&format!("{}: Destroying...", c.address()));
                    apply_one(providers, c, prior.clone(), Value::Null, Value::Null, Vec::new()).await?;
                    record(state, c, &source, &Value::Null, &[])?;
                    state.save(state_path)?;
                    prior = Value::Null;
                    prior_private = Vec::new();
                    sum.destroyed += 1;
                }
                // Dependencies are applied now: plan again with their values.
                if let Some((name, v)) = &c.repeat_scope {
                    scope.extra.insert(name.clone(), v.clone());
                }
                let config = resource_config(r, &c.schema, scope);
                scope.extra.remove("count");
                scope.extra.remove("each");
                let config = config?;
                let planned = client
                    .plan_resource_change(PlanRequest {
                        type_name: c.type_name.clone(),
                        prior_state: prior.clone(),
                        proposed_new_state: proposed_new(&c.schema, &prior, &config),
                        config: config.clone(),
                        prior_private,
                    })
                    .await?;
                check(&planned.diagnostics, &c.address())?;
                let verb = if prior.is_null() { "Creating" } else { "Modifying" };
                progress(&format!("{}: {verb}...", c.address()));
                let (new_state, private) =
                    apply_one(providers, c, prior.clone(), planned.planned_state, config, planned.planned_private)
                        .await?;
                if !new_state.is_wholly_known() {
                    return Err(Error::Provider(format!(
                        "{}: the provider left unknown values after apply",
                        c.address()
                    )));
                }
                record(state, c, &source, &new_state, &private)?;
                state.save(state_path)?;
                set_instance(scope, &c.type_name, &c.name, &c.key, new_state);
                if prior.is_null() {
                    sum.added += 1;
                } else {
                    sum.changed += 1;
                }
                progress(&format!(
                    "{}: {} complete",
                    c.address(),
                    if prior.is_null() { "Creation" } else { "Modifications" }
                ));
            }
        }
    }
    // Outputs, now that everything is known (none after a destroy).
    state.outputs.clear();
    for (name, o) in cfg.outputs.iter().filter(|_| !plan.destroy) {
        let v = crate::eval::eval(&o.value, scope).map_err(|m| Error::config(&o.loc, m))?;
        if !v.is_null() {
            let ty = crate::render::type_of(&v);
            let mut out = serde_json::json!({"value": encode_json(&v, &ty)?, "type": ty.to_json()});
            if o.sensitive {
                out["sensitive"] = serde_json::Value::Bool(true);
            }
            state.outputs.insert(name.clone(), out);
        }
    }
    state.save(state_path)?;
    Ok(sum)
}
