//! A gateway's runtime settings: the gateway as stored, with what requests
//! read from it (guardrails and DLP, spend limits, exporters, Logpush key,
//! log retention) parsed once per change of the gateway rather than once per
//! request. [`SettingsCache`] hands out shared, read-only copies and reads
//! the store again after any gateway write.
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, PoisonError, RwLock};

use aigw_cloudflare::Gateway;
use aigw_cloudflare::logging::OtelExporter;
use aigw_cloudflare::spend::SpendLimits;

use super::safety;
use crate::logs::Retention;
use crate::store::Store;

/// One gateway, ready for requests.
pub struct Settings {
    pub gateway: Gateway,
    pub safety: safety::Controls,
    pub otel: Vec<OtelExporter>,
    /// Spend limits, when at least one is in effect.
    pub spend: Option<SpendLimits>,
    pub logpush_key: Option<Arc<str>>,
    pub retention: Retention,
}

impl Settings {
    pub fn of(gateway: Gateway) -> Settings {
        Settings {
            safety: safety::Controls::of(&gateway),
            otel: gateway.otel(),
            spend: gateway.spend_limits().filter(|l| l.effective().next().is_some()),
            logpush_key: gateway.logpush_key().map(Arc::from),
            retention: Retention::from_gateway(gateway.log_management, gateway.log_management_strategy.as_deref()),
            gateway,
        }
    }
}

impl Deref for Settings {
    type Target = Gateway;
    fn deref(&self) -> &Gateway {
        &self.gateway
    }
}

type Entries = HashMap<String, HashMap<String, (u64, Arc<Settings>)>>;

/// Settings by account and gateway id, each with the store's gateway
/// version it was read at.
#[derive(Default)]
pub struct SettingsCache {
    entries: RwLock<Entries>,
}

impl SettingsCache {
    /// The settings of a gateway, or `None` if it does not exist.
    pub fn get(&self, store: &Store, account: &str, id: &str) -> Option<Arc<Settings>> {
        // Read the version first: a write landing after it makes the next
        // request read again, never the other way round.
        let version = store.gateways_version();
        {
            let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
            if let Some((v, s)) = entries.get(account).and_then(|m| m.get(id))
                && *v == version
            {
                return Some(s.clone());
            }
        }
        let found = store.get_gateway(account, id).map(|g| Arc::new(Settings::of(g)));
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        let per_account = entries.entry(account.to_string()).or_default();
        match &found {
            Some(s) => {
                per_account.insert(id.to_string(), (version, s.clone()));
            }
            None => {
                per_account.remove(id);
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway(id: &str, ttl: i64) -> Gateway {
        serde_json::from_value(serde_json::json!({"id": id, "cache_ttl": ttl})).expect("a gateway")
    }

    #[test]
    fn a_gateway_write_is_seen_by_the_next_request() {
        let store = Store::in_memory();
        let cache = SettingsCache::default();
        assert!(cache.get(&store, "a", "g").is_none());
        store.create_gateway("a", gateway("g", 10)).expect("create");
        let first = cache.get(&store, "a", "g").expect("settings");
        assert_eq!(first.cache_ttl, Some(10));
        assert!(Arc::ptr_eq(&first, &cache.get(&store, "a", "g").expect("settings")), "read once, then shared");
        store.update_gateway("a", "g", |_| gateway("g", 20)).expect("update");
        assert_eq!(cache.get(&store, "a", "g").expect("settings").cache_ttl, Some(20));
        store.delete_gateway("a", "g").expect("delete");
        assert!(cache.get(&store, "a", "g").is_none());
    }
}
