//! The route CRUD `aigw_fallback` and `aigw_route` share: both are one
//! Cloudflare dynamic route whose elements they build differently. Create
//! posts the route (its first version deployed); update renames by PATCH
//! and posts and deploys a new version only when the deployed elements
//! differ, so the route id stays; read finds a route by id, or by its
//! unique name when a create's answer never arrived.
use aigw_cloudflare::{Element, Route};
use tfplugin::provider::{PlanRequest, PlanResponse};
use tfplugin::{AttributePath, Diagnostics, Schema, Value};

use super::gateway::parse_import_id;
use super::gateway_settings::{gateway_missing, keys};
use crate::api::Api;
use crate::resource::{changed_attributes, replacements};

/// `(account, gateway)` and the route the API answered.
pub type Found = (String, String, Route);

fn route_keys(v: &Value) -> Result<(String, String, String), Diagnostics> {
    let (a, g) = keys(v)?;
    match v.attr("id").as_str() {
        Some(id) => Ok((a, g, id.to_string())),
        None => {
            let mut d = Diagnostics::new();
            d.error("Route id unknown", "The route's id is not in state.");
            Err(d)
        }
    }
}

fn api_diags(e: aigw_cloudflare::Error, summary: &str, account: &str, gateway: &str) -> Diagnostics {
    if e.status() == Some(409) {
        let mut d = Diagnostics::new();
        d.attribute_error(
            AttributePath::root("name"),
            "Route name taken",
            format!("Gateway {gateway:?} already has a route with this name."),
        );
        return d;
    }
    if e.is_not_found() {
        return gateway_missing(account, gateway);
    }
    crate::Error::from(e).to_diagnostics(summary, &[])
}

/// A create leaves the ids unknown; an edit of `graph` attributes leaves
/// the version and deployment unknown; the account or gateway replace.
pub fn plan(schema: &Schema, req: &PlanRequest, graph: &[&str]) -> PlanResponse {
    let mut planned = req.proposed_new_state.clone();
    let mut requires_replace = Vec::new();
    if req.prior_state.is_null() {
        for name in ["id", "version_id", "deployment_id"] {
            planned.set_attr(name, Value::unknown());
        }
    } else {
        let changed = changed_attributes(schema, &req.prior_state, &planned);
        requires_replace = replacements(&changed, &["account_id", "gateway_id"]);
        if graph.iter().any(|g| changed.contains(g)) {
            planned.set_attr("version_id", Value::unknown());
            planned.set_attr("deployment_id", Value::unknown());
        }
    }
    PlanResponse { planned_state: planned, requires_replace, ..Default::default() }
}

pub async fn create(api: &Api, planned: &Value, elements: &[Element]) -> Result<Found, Diagnostics> {
    let (account, gateway) = keys(planned)?;
    let name = planned.attr("name").as_str().unwrap_or_default();
    let r = api
        .client
        .create_route(&account, &gateway, name, elements)
        .await
        .map_err(|e| api_diags(e, "Failed to create route", &account, &gateway))?;
    Ok((account, gateway, r))
}

pub async fn read(api: &Api, state: &Value) -> Result<Option<Found>, Diagnostics> {
    let (account, gateway) = keys(state)?;
    let found = match state.attr("id").as_str() {
        Some(id) => api.client.get_route(&account, &gateway, id).await.map(Some),
        None => {
            let name = state.attr("name").as_str().unwrap_or_default();
            api.client.list_routes(&account, &gateway).await.map(|rs| rs.into_iter().find(|r| r.name == name))
        }
    };
    match found {
        Ok(r) => Ok(r.map(|r| (account, gateway, r))),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(crate::Error::from(e).to_diagnostics("Failed to read route", &[])),
    }
}

pub async fn update(api: &Api, prior: &Value, planned: &Value, elements: &[Element]) -> Result<Found, Diagnostics> {
    let (account, gateway, id) = route_keys(prior)?;
    let fail = |e, what: &str| api_diags(e, what, &account, &gateway);
    if planned.attr("name") != prior.attr("name") {
        let name = planned.attr("name").as_str().unwrap_or_default();
        api.client.rename_route(&account, &gateway, &id, name).await.map_err(|e| fail(e, "Failed to rename route"))?;
    }
    let current = api.client.get_route(&account, &gateway, &id).await.map_err(|e| fail(e, "Failed to read route"))?;
    if current.elements != elements {
        let v = api
            .client
            .create_route_version(&account, &gateway, &id, elements)
            .await
            .map_err(|e| fail(e, "Failed to create route version"))?;
        api.client
            .deploy_route_version(&account, &gateway, &id, &v.version_id)
            .await
            .map_err(|e| fail(e, "Failed to deploy route version"))?;
    }
    let r = api.client.get_route(&account, &gateway, &id).await.map_err(|e| fail(e, "Failed to read route"))?;
    Ok((account, gateway, r))
}

pub async fn delete(api: &Api, prior: &Value) -> Result<(), Diagnostics> {
    let (account, gateway, id) = route_keys(prior)?;
    match api.client.delete_route(&account, &gateway, &id).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(crate::Error::from(e).to_diagnostics("Failed to delete route", &[])),
    }
}

pub async fn import(api: &Api, import_id: &str) -> Result<Found, Diagnostics> {
    let p = parse_import_id(import_id, 3, "<account_id>/<gateway_id>/<route_id>")?;
    match api.client.get_route(&p[0], &p[1], &p[2]).await {
        Ok(r) => Ok((p[0].clone(), p[1].clone(), r)),
        Err(e) if e.is_not_found() => {
            let mut d = Diagnostics::new();
            d.error(
                "Cannot import non-existent remote object",
                format!("Gateway {:?} in account {} has no route {:?}.", p[1], p[0], p[2]),
            );
            Err(d)
        }
        Err(e) => Err(crate::Error::from(e).to_diagnostics("Failed to import route", &[])),
    }
}
