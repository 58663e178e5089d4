//! A test hook for the fault-matrix tests: `AIGW_FAILPOINT=ADDRESS:PHASE`
//! kills this process outright (SIGKILL, exactly as `kill -9`) at that
//! point of that instance's change during apply. Phases: `before-call`
//! (its create intent is on disk, nothing sent to the provider),
//! `in-flight` (300 ms after the call started: with a slow API, the work
//! is done and the answer is still on its way) and `after-call` (the
//! provider answered, nothing of the answer on disk).
//! Unset, it is one environment lookup per apply.
pub struct Failpoint {
    at: Option<(String, String)>,
}

impl Failpoint {
    pub fn from_env() -> Failpoint {
        let at = std::env::var("AIGW_FAILPOINT")
            .ok()
            .and_then(|v| v.rsplit_once(':').map(|(a, p)| (a.to_string(), p.to_string())));
        Failpoint { at }
    }

    /// Dies here if this is the point named.
    pub fn check(&self, address: &str, phase: &str) {
        if self.at.as_ref().is_some_and(|(a, p)| a == address && p == phase) {
            let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
        }
    }

    /// The call for `address` has started: with `in-flight`, dies a little later.
    pub fn started(&self, address: &str) {
        if self.at.as_ref().is_some_and(|(a, p)| a == address && p == "in-flight") {
            std::thread::spawn(|| {
                std::thread::sleep(std::time::Duration::from_millis(300));
                let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
            });
        }
    }
}
