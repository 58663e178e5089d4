//! Addresses, typed: a module instance (`module.team["search"]`), and a
//! resource instance within one (`module.team["search"].aigw_gateway.g[0]`),
//! each with Terraform's display and parse. Instance keys are a count
//! index or a for_each string.
use std::fmt;

use serde_json::Value as Json;

/// An instance key: `[0]` or `["a"]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    Int(i64),
    Str(String),
}

impl Key {
    /// The key as state's `index_key` holds it.
    pub fn from_json(j: &Json) -> Option<Key> {
        match j {
            Json::Number(n) => n.as_i64().map(Key::Int),
            Json::String(s) => Some(Key::Str(s.clone())),
            _ => None,
        }
    }
    pub fn to_json(&self) -> Json {
        match self {
            Key::Int(i) => Json::from(*i),
            Key::Str(s) => Json::String(s.clone()),
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Int(i) => write!(f, "[{i}]"),
            Key::Str(s) => write!(f, "[{s:?}]"),
        }
    }
}

/// Where a module instance is: the calls from the root, each with its key.
/// The root module is the empty path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ModuleInstance(pub Vec<(String, Option<Key>)>);

impl ModuleInstance {
    pub fn root() -> ModuleInstance {
        ModuleInstance::default()
    }
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
    pub fn child(&self, name: &str, key: Option<Key>) -> ModuleInstance {
        let mut steps = self.0.clone();
        steps.push((name.to_string(), key));
        ModuleInstance(steps)
    }
    /// The calling module instance (the root's is itself).
    pub fn parent(&self) -> ModuleInstance {
        ModuleInstance(self.0[..self.0.len().saturating_sub(1)].to_vec())
    }
    /// The module's place in the configuration: `module.a.module.b`, keys left out.
    pub fn config_path(&self) -> String {
        self.0.iter().map(|(n, _)| format!("module.{n}")).collect::<Vec<_>>().join(".")
    }
    /// The call names from the root.
    pub fn names(&self) -> Vec<&str> {
        self.0.iter().map(|(n, _)| n.as_str()).collect()
    }
    /// `prefix.rest`, or `rest` in the root module.
    pub fn qualify(&self, rest: &str) -> String {
        if self.is_root() { rest.to_string() } else { format!("{self}.{rest}") }
    }
    /// `rest` qualified by the configuration path (no keys).
    pub fn qualify_config(&self, rest: &str) -> String {
        if self.is_root() { rest.to_string() } else { format!("{}.{rest}", self.config_path()) }
    }
    /// As state's `"module"` field holds it: absent for the root.
    pub fn to_state(&self) -> Option<String> {
        (!self.is_root()).then(|| self.to_string())
    }
    pub fn from_state(s: Option<&str>) -> Result<ModuleInstance, String> {
        match s {
            None | Some("") => Ok(ModuleInstance::root()),
            Some(s) => {
                let (m, rest) = split_modules(s)?;
                if rest.is_empty() { Ok(m) } else { Err(format!("{s:?} is not a module address")) }
            }
        }
    }
}

impl fmt::Display for ModuleInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, key)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "module.{name}")?;
            if let Some(k) = key {
                write!(f, "{k}")?;
            }
        }
        Ok(())
    }
}

/// A key written after a name, `[0]` or `["a"]`, and what follows it.
fn parse_key(s: &str) -> Result<(Key, &str), String> {
    let bad = || format!("{s:?}: an instance key is [NUMBER] or [\"STRING\"]");
    let inner = s.strip_prefix('[').ok_or_else(bad)?;
    if let Some(q) = inner.strip_prefix('"') {
        // A JSON string up to its closing quote.
        let mut escaped = false;
        for (i, c) in q.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    let text = &inner[..i + 2];
                    let k: String = serde_json::from_str(text).map_err(|_| bad())?;
                    let rest = q[i + 1..].strip_prefix(']').ok_or_else(bad)?;
                    return Ok((Key::Str(k), rest));
                }
                _ => escaped = false,
            }
        }
        return Err(bad());
    }
    let end = inner.find(']').ok_or_else(bad)?;
    let i: i64 = inner[..end].parse().map_err(|_| bad())?;
    Ok((Key::Int(i), &inner[end + 1..]))
}

/// Leading `module.NAME[KEY].` steps of an address, and the rest.
pub fn split_modules(s: &str) -> Result<(ModuleInstance, &str), String> {
    let mut steps = Vec::new();
    let mut rest = s;
    while let Some(r) = rest.strip_prefix("module.") {
        let end = r.find(['.', '[']).unwrap_or(r.len());
        let name = &r[..end];
        if name.is_empty() {
            return Err(format!("{s:?}: a module step needs a name"));
        }
        let mut after = &r[end..];
        let key = if after.starts_with('[') {
            let (k, more) = parse_key(after)?;
            after = more;
            Some(k)
        } else {
            None
        };
        steps.push((name.to_string(), key));
        rest = match after.strip_prefix('.') {
            Some(x) => x,
            None if after.is_empty() => "",
            None => return Err(format!("{s:?} is not an address")),
        };
    }
    Ok((ModuleInstance(steps), rest))
}

/// A resource instance's address, in full.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceInstance {
    pub module: ModuleInstance,
    /// True for a data source (`data.TYPE.NAME`).
    pub data: bool,
    pub type_name: String,
    pub name: String,
    pub key: Option<Key>,
}

impl ResourceInstance {
    /// Parses `[module.M[K].]...[data.]TYPE.NAME[KEY]`; `key` is absent when
    /// the address names the whole resource.
    pub fn parse(s: &str) -> Result<ResourceInstance, String> {
        let bad = || {
            format!(
                "{s:?} is not a resource address (TYPE.NAME, TYPE.NAME[0], TYPE.NAME[\"key\"], after module.NAME[KEY]. steps)"
            )
        };
        let (module, rest) = split_modules(s).map_err(|_| bad())?;
        let (data, rest) = match rest.strip_prefix("data.") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let (ty, rest) = rest.split_once('.').ok_or_else(bad)?;
        let end = rest.find('[').unwrap_or(rest.len());
        let name = &rest[..end];
        let key = if end < rest.len() {
            let (k, more) = parse_key(&rest[end..]).map_err(|_| bad())?;
            if !more.is_empty() {
                return Err(bad());
            }
            Some(k)
        } else {
            None
        };
        let ident = |x: &str| !x.is_empty() && x.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-');
        if !ident(ty) || !ident(name) || ty == "module" {
            return Err(bad());
        }
        Ok(ResourceInstance { module, data, type_name: ty.to_string(), name: name.to_string(), key })
    }

    /// `[data.]TYPE.NAME` within the module.
    pub fn local_base(&self) -> String {
        if self.data {
            format!("data.{}.{}", self.type_name, self.name)
        } else {
            format!("{}.{}", self.type_name, self.name)
        }
    }
    /// The resource, with the module instance and no instance key.
    pub fn resource(&self) -> String {
        self.module.qualify(&self.local_base())
    }
    /// The resource in the configuration (no keys at all): what state's
    /// `dependencies` and the dependency graph name.
    pub fn config_address(&self) -> String {
        self.module.qualify_config(&self.local_base())
    }
}

impl fmt::Display for ResourceInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.resource())?;
        if let Some(k) = &self.key {
            write!(f, "{k}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip_through_text() -> Result<(), String> {
        for s in [
            "aigw_gateway.g",
            "aigw_gateway.g[0]",
            "data.aigw_gateway.live",
            "module.team.aigw_cache.c",
            "module.team[\"search\"].module.limits[2].aigw_rate_limit.r[\"a.b\"]",
        ] {
            let a = ResourceInstance::parse(s)?;
            if a.to_string() != s {
                return Err(format!("{s} → {a}"));
            }
        }
        let a = ResourceInstance::parse("module.team[\"search\"].aigw_gateway.g[\"x\"]")?;
        if a.config_address() != "module.team.aigw_gateway.g"
            || a.module.to_state().as_deref() != Some("module.team[\"search\"]")
        {
            return Err(format!("{a:?}"));
        }
        for bad in ["aigw_gateway", "module.x", "a.b[k]", "module..a.b", "a.b[\"x\"]y"] {
            if ResourceInstance::parse(bad).is_ok() {
                return Err(format!("{bad} parsed"));
            }
        }
        if ModuleInstance::from_state(Some("module.a[1].module.b"))?.names() != ["a", "b"] {
            return Err("module path".into());
        }
        Ok(())
    }
}
