//! `aigw_cache`: a gateway's response cache (`cache_ttl`,
//! `cache_invalidate_on_update`). Destroying it switches caching off
//! (TTL 0). The CRUD is the shared gateway-setting one.
use aigw_cloudflare::Gateway;
use tfplugin::{Attribute, Diagnostics, Type, Value};

use super::gateway_settings::{GatewaySetting, SettingResource};
use crate::validators;

pub struct Cache;
pub type CacheResource = SettingResource<Cache>;

/// One month, Cloudflare's longest cache TTL.
const MAX_TTL: i64 = 2_592_000;

impl GatewaySetting for Cache {
    const TYPE_NAME: &'static str = "aigw_cache";
    const WHAT: &'static str = "caching";
    const DESCRIPTION: &'static str = "Response caching on a gateway. Destroying it switches caching off.";

    fn attributes() -> Vec<Attribute> {
        vec![
            Attribute::new("ttl", Type::Number).required().describe("Seconds a cached response is served, 60-2592000."),
            Attribute::new("invalidate_on_update", Type::Bool)
                .optional()
                .computed()
                .describe("Drop cached responses when the gateway changes. Default `false`."),
        ]
    }

    fn validate(d: &mut Diagnostics, config: &Value) {
        validators::int_between(d, config, "ttl", 60, MAX_TTL, " seconds");
    }

    fn defaults(_config: &Value, _prior: &Value, planned: &mut Value) {
        if planned.attr("invalidate_on_update").is_null() {
            planned.set_attr("invalidate_on_update", Value::Bool(false));
        }
    }

    fn enabled(g: &Gateway) -> bool {
        g.cache_ttl.unwrap_or(0) > 0
    }

    fn read(g: &Gateway, _prior: &Value, state: &mut Value) {
        state.set_attr("ttl", g.cache_ttl.into());
        state.set_attr("invalidate_on_update", Value::Bool(g.cache_invalidate_on_update));
    }

    fn write(g: &mut Gateway, planned: &Value, _config: &Value) {
        g.cache_ttl = planned.attr("ttl").as_i64();
        if let Some(b) = planned.attr("invalidate_on_update").as_bool() {
            g.cache_invalidate_on_update = b;
        }
    }

    fn disable(g: &mut Gateway) {
        g.cache_ttl = Some(0);
        g.cache_invalidate_on_update = false;
    }
}
