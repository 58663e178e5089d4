//! The scopes apply evaluates in, one per module instance. Each starts as
//! planning left it (its input variables, what state and the plan know)
//! and learns the applied objects as they complete; before a resource's
//! configuration is evaluated again, what it reads that was not known
//! while planning is evaluated again: the module's input variables (from
//! its call, in the caller's scope), locals, and other modules' outputs.
use std::collections::{BTreeMap, BTreeSet};

use hcl::Expression;

use crate::addrs::{Key, ModuleInstance};
use crate::config::Config;
use crate::instance::set_instance;
use crate::lang::Scope;
use crate::plan::Plan;
use crate::plan::walk::{base_scope, module_outputs, module_scope};

pub(super) struct Scopes<'a> {
    cfg: &'a Config,
    plan: &'a Plan,
    map: BTreeMap<ModuleInstance, Scope>,
}

impl<'a> Scopes<'a> {
    pub fn new(cfg: &'a Config, plan: &'a Plan, root: Scope) -> Scopes<'a> {
        Scopes { cfg, plan, map: BTreeMap::from([(ModuleInstance::root(), root)]) }
    }

    /// The scope of module instance `at`, made from the plan on first use.
    pub fn get(&mut self, at: &ModuleInstance) -> &mut Scope {
        if !self.map.contains_key(at) {
            let scope = self.fresh(at);
            self.map.insert(at.clone(), scope);
        }
        self.map.entry(at.clone()).or_default()
    }

    fn fresh(&mut self, at: &ModuleInstance) -> Scope {
        let vars = self.plan.modules.get(at).map(|p| p.vars.clone()).unwrap_or_default();
        let (cfg, root) = (self.cfg, ModuleInstance::root());
        let root = self.get(&root);
        match cfg.module(at) {
            Some(m) => base_scope(m, vars, root),
            None => Scope::default(),
        }
    }

    /// Makes what `exprs` (in module instance `at`) read as known as it now
    /// can be.
    pub fn prepare(&mut self, at: &ModuleInstance, exprs: &[&Expression]) {
        let Some(cfg) = self.cfg.module(at) else { return };
        if !at.is_root() && self.get(at).vars.values().any(|v| !v.is_wholly_known()) {
            self.refresh_vars(at);
        }
        // Module outputs read directly or through locals.
        let mut read: Vec<&Expression> = exprs.to_vec();
        read.extend(cfg.locals.values().map(|(e, _)| e));
        let calls: BTreeSet<String> = read
            .iter()
            .flat_map(|e| crate::lang::refs(e))
            .filter(|r| r.first().is_some_and(|x| x == "module"))
            .filter_map(|r| r.get(1).cloned())
            .collect();
        for name in calls {
            self.refresh_call(at, &name);
        }
        refresh_locals(cfg, self.get(at), exprs);
    }

    /// Evaluates `at`'s input variables again from its call.
    fn refresh_vars(&mut self, at: &ModuleInstance) {
        let parent = at.parent();
        let (Some(pcfg), Some((name, _))) = (self.cfg.module(&parent), at.0.last()) else { return };
        let Some(call) = pcfg.modules.get(name) else { return };
        self.prepare(&parent, &call.expressions());
        let repeat = self.plan.modules.get(at).and_then(|p| p.repeat.clone());
        let caller = self.get(&parent);
        if let Ok(fresh) = module_scope(call, at, caller, repeat) {
            self.get(at).vars = fresh.vars;
        }
    }

    /// Evaluates `module.NAME` in `at` again from its instances' outputs,
    /// when planning left part of it unknown.
    fn refresh_call(&mut self, at: &ModuleInstance, name: &str) {
        let known = self.get(at).resources.get("module").and_then(|m| m.get(name)).is_some_and(|v| v.is_wholly_known());
        let Some(call) = self.cfg.module(at).and_then(|c| c.modules.get(name)) else { return };
        if known {
            return;
        }
        let instances: Vec<ModuleInstance> = self
            .plan
            .modules
            .keys()
            .filter(|m| m.parent() == *at && m.0.len() == at.0.len() + 1 && m.0.last().is_some_and(|(n, _)| n == name))
            .cloned()
            .collect();
        for child in instances {
            let outputs: Vec<&Expression> = call.config.outputs.values().map(|o| &o.value).collect();
            self.prepare(&child, &outputs);
            let Ok(v) = module_outputs(&call.config, &child, self.get(&child)) else { continue };
            let key = child.0.last().and_then(|(_, k)| k.as_ref().map(Key::to_json));
            set_instance(self.get(at), "module", name, &key, v);
        }
    }
}

/// The locals `exprs` read (directly or through other locals) that were
/// unknown at plan time, evaluated again now that more is known. Only what
/// is read is looked at: this runs before every operation.
pub(super) fn refresh_locals(cfg: &Config, scope: &mut Scope, exprs: &[&hcl::Expression]) {
    let local_refs = |e: &hcl::Expression| -> Vec<String> {
        crate::lang::refs(e)
            .into_iter()
            .filter(|r| r.first().is_some_and(|x| x == "local"))
            .filter_map(|r| r.get(1).cloned())
            .collect()
    };
    let mut read = std::collections::BTreeSet::new();
    let mut todo: Vec<String> = exprs.iter().flat_map(|e| local_refs(e)).collect();
    while let Some(n) = todo.pop() {
        if let Some((e, _)) = cfg.locals.get(&n)
            && read.insert(n)
        {
            todo.extend(local_refs(e));
        }
    }
    loop {
        let stale: Vec<String> =
            read.iter().filter(|n| scope.locals.get(*n).is_some_and(|v| !v.is_wholly_known())).cloned().collect();
        let mut progressed = false;
        for name in stale {
            if let Some((e, _)) = cfg.locals.get(&name)
                && let Ok(v) = crate::lang::eval(e, scope)
                && v.is_wholly_known()
            {
                scope.locals.insert(name, v);
                progressed = true;
            }
        }
        if !progressed {
            return;
        }
    }
}
