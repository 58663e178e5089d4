//! The `.tf` loader, evaluator and formatter on any text: errors, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let sources = [("main.tf".to_string(), text.to_string())];
    if let Ok(cfg) = aigw::config::Config::from_sources(std::path::Path::new("."), &sources) {
        let _ = aigw::graph::sorted(&cfg);
        let scope = aigw::lang::Scope::default();
        for (e, _) in cfg.locals.values() {
            let _ = aigw::lang::eval(e, &scope);
        }
        for o in cfg.outputs.values() {
            let _ = aigw::lang::eval(&o.value, &scope);
        }
        for v in cfg.variables.values() {
            if let Some(t) = &v.type_expr {
                let _ = aigw::variables::type_of(t);
            }
        }
        // A file that loads is formatted into a file that still loads, and
        // formatting it again changes nothing more.
        let once = aigw::fmt::format(text);
        assert!(aigw::config::parse("main.tf", &once).is_ok(), "fmt broke a file that parsed:\n{once}");
        assert_eq!(aigw::fmt::format(&once), once, "fmt is idempotent");
    }
});
