//! `aigw_rate_limit`: a gateway's request rate limit (`rate_limiting_*`).
//! Destroying it switches rate limiting off (limit and interval null, as on
//! a new gateway). The CRUD is the shared gateway-setting one.
use aigw_cloudflare::Gateway;
use tfplugin::{Attribute, Diagnostics, Type, Value};

use super::gateway_settings::{GatewaySetting, SettingResource};
use crate::validators;

pub struct RateLimit;
pub type RateLimitResource = SettingResource<RateLimit>;

impl GatewaySetting for RateLimit {
    const TYPE_NAME: &'static str = "aigw_rate_limit";
    const WHAT: &'static str = "rate limiting";
    const DESCRIPTION: &'static str = "A gateway's rate limit: at most `limit` requests per `interval` seconds. Destroying it switches rate limiting off.";

    fn attributes() -> Vec<Attribute> {
        vec![
            Attribute::new("limit", Type::Number).required().describe("Requests allowed per interval, at least 1."),
            Attribute::new("interval", Type::Number).required().describe("Window length in seconds, 1-2592000."),
            Attribute::new("technique", Type::String).optional().computed().describe(
                "`fixed` (clock-aligned windows; a burst across a window edge can reach twice the limit) or \
                 `sliding` (the last `interval` seconds). Default `fixed`.",
            ),
        ]
    }

    fn validate(d: &mut Diagnostics, config: &Value) {
        validators::int_between(d, config, "limit", 1, i64::from(i32::MAX), " requests");
        validators::int_between(d, config, "interval", 1, 2_592_000, " seconds");
        validators::one_of(d, config, "technique", &["fixed", "sliding"]);
    }

    fn defaults(_config: &Value, _prior: &Value, planned: &mut Value) {
        if planned.attr("technique").is_null() {
            planned.set_attr("technique", Value::from("fixed"));
        }
    }

    fn enabled(g: &Gateway) -> bool {
        g.rate_limiting_limit.unwrap_or(0) > 0 && g.rate_limiting_interval.unwrap_or(0) > 0
    }

    fn read(g: &Gateway, _prior: &Value, state: &mut Value) {
        state.set_attr("limit", g.rate_limiting_limit.into());
        state.set_attr("interval", g.rate_limiting_interval.into());
        state.set_attr("technique", Value::from(g.rate_limiting_technique.clone().unwrap_or_else(|| "fixed".into())));
    }

    fn write(g: &mut Gateway, planned: &Value, _config: &Value) {
        g.rate_limiting_limit = planned.attr("limit").as_i64();
        g.rate_limiting_interval = planned.attr("interval").as_i64();
        if let Some(t) = planned.attr("technique").as_str() {
            g.rate_limiting_technique = Some(t.to_string());
        }
    }

    fn disable(g: &mut Gateway) {
        g.rate_limiting_limit = None;
        g.rate_limiting_interval = None;
    }
}
