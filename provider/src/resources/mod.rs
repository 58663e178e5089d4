//! Managed resource types, one file each. Cache, rate limit, guardrails,
//! DLP, spend limits, Logpush and OpenTelemetry export share the
//! gateway-setting CRUD in `gateway_settings`; fallback chains, route
//! graphs, BYOK provider keys and custom providers are objects of their own.
pub mod cache;
pub mod custom_provider;
pub mod dlp;
pub mod fallback;
pub mod gateway;
pub mod gateway_settings;
pub mod guardrails;
pub mod logpush;
pub mod otel;
pub mod provider_key;
pub mod rate_limit;
pub mod route;
pub mod route_crud;
pub mod spend_limit;

use crate::resource::Resource;

/// Every resource type this provider serves.
pub fn all() -> Vec<Box<dyn Resource>> {
    vec![
        Box::new(gateway::GatewayResource),
        Box::new(cache::CacheResource::default()),
        Box::new(rate_limit::RateLimitResource::default()),
        Box::new(guardrails::GuardrailsResource::default()),
        Box::new(dlp::DlpResource::default()),
        Box::new(spend_limit::SpendLimitResource::default()),
        Box::new(logpush::LogpushResource::default()),
        Box::new(otel::OtelResource::default()),
        Box::new(fallback::FallbackResource),
        Box::new(provider_key::ProviderKeyResource),
        Box::new(route::RouteResource),
        Box::new(custom_provider::CustomProviderResource),
    ]
}
