//! The state lock, exactly as Terraform's local backend takes it: an OS
//! write lock (fcntl) over the whole state file, with the holder described
//! in `.terraform.tfstate.lock.info` beside it. So `terraform` waits for
//! or refuses `aigw` and the other way round, each naming the other's
//! lock. The lock is an open-file-description lock: it conflicts with
//! Terraform's process locks, survives other reads of the file in this
//! process, and the OS drops it if the process dies. Nothing is left
//! behind: the info file is removed, and a state file the lock had to
//! create is removed again if nothing was written to it.
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::fcntl::{FcntlArg, fcntl};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// How a command takes the lock (`-lock`, `-lock-timeout`).
#[derive(Debug, Clone)]
pub struct LockOptions {
    pub enabled: bool,
    pub timeout: Duration,
    /// Terraform's operation name: `OperationTypeApply`, `OperationTypePlan`, ...
    pub operation: &'static str,
}

impl Default for LockOptions {
    fn default() -> LockOptions {
        LockOptions { enabled: true, timeout: Duration::ZERO, operation: "OperationTypeInvalid" }
    }
}

/// Terraform's `LockInfo`, field for field.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct LockInfo {
    #[serde(rename = "ID")]
    pub id: String,
    pub operation: String,
    pub info: String,
    pub who: String,
    pub version: String,
    pub created: String,
    pub path: String,
}

/// A held lock; released on drop.
pub struct StateLock {
    file: Option<File>,
    state_path: PathBuf,
    /// The state file did not exist: the lock created it (empty).
    pub created: bool,
    pub info: LockInfo,
}

/// `.terraform.tfstate.lock.info` for `terraform.tfstate`.
pub fn info_path(state_path: &Path) -> PathBuf {
    let name = state_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    state_path.with_file_name(format!(".{name}.lock.info"))
}

fn flock(kind: nix::libc::c_short) -> nix::libc::flock {
    nix::libc::flock {
        l_type: kind,
        l_whence: nix::libc::SEEK_SET as nix::libc::c_short,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    }
}

fn who() -> String {
    let user = std::env::var("USER")
        .ok()
        .or_else(|| nix::unistd::User::from_uid(nix::unistd::getuid()).ok().flatten().map(|u| u.name))
        .unwrap_or_default();
    let host = nix::unistd::gethostname().ok().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default();
    format!("{user}@{host}")
}

impl StateLock {
    /// Takes the lock on `state_path`, waiting up to `opts.timeout` for
    /// whoever holds it (aigw or Terraform). With `-lock=false`, takes none.
    pub fn take(state_path: &Path, opts: &LockOptions) -> Result<StateLock, Error> {
        let info = LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            operation: opts.operation.to_string(),
            info: String::new(),
            who: who(),
            version: format!("aigw {}", env!("CARGO_PKG_VERSION")),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
            path: state_path.display().to_string(),
        };
        let existed = state_path.exists();
        if !opts.enabled {
            return Ok(StateLock { file: None, state_path: state_path.to_path_buf(), created: false, info });
        }
        if let Some(parent) = state_path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let file = std::fs::OpenOptions::new().create(true).truncate(false).read(true).write(true).open(state_path)?;
        let deadline = Instant::now() + opts.timeout;
        loop {
            match fcntl(&file, FcntlArg::F_OFD_SETLK(&flock(nix::libc::F_WRLCK as nix::libc::c_short))) {
                Ok(_) => break,
                Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EACCES) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EACCES) => {
                    return Err(Error::Locked { path: state_path.display().to_string(), holder: holder(state_path) });
                }
                Err(e) => return Err(Error::Io(std::io::Error::from(e))),
            }
        }
        let text = serde_json::to_string(&info).unwrap_or_default();
        let mut f = File::create(info_path(state_path))?;
        f.write_all(text.as_bytes())?;
        Ok(StateLock { file: Some(file), state_path: state_path.to_path_buf(), created: !existed, info })
    }

    /// The state file is one this lock created and nothing has written yet.
    pub fn state_is_new(&self) -> bool {
        self.created && std::fs::metadata(&self.state_path).map(|m| m.len() == 0).unwrap_or(true)
    }
}

/// What the holder's lock-info file says, in Terraform's words.
fn holder(state_path: &Path) -> String {
    match std::fs::read_to_string(info_path(state_path)).ok().and_then(|t| serde_json::from_str::<LockInfo>(&t).ok()) {
        Some(i) => format!(
            "Lock Info:\n  ID:        {}\n  Path:      {}\n  Operation: {}\n  Who:       {}\n  Version:   {}\n  Created:   {}\n  Info:      {}",
            i.id, i.path, i.operation, i.who, i.version, i.created, i.info
        ),
        None => "Lock Info: unavailable (the holder wrote no .lock.info)".into(),
    }
}

/// `force-unlock` on a local state: a lock whose holder is gone is only a
/// stale info file (the OS released the lock with the process), removed
/// here if its ID is `id`; a live holder's OS lock cannot be taken away.
pub fn force_unlock(state_path: &str, id: &str) -> Result<String, Error> {
    let path = Path::new(state_path);
    let info: Option<LockInfo> =
        std::fs::read_to_string(info_path(path)).ok().and_then(|t| serde_json::from_str(&t).ok());
    let fail = |message: String| Error::State { path: state_path.to_string(), message };
    let Some(info) = info else { return Err(fail("the state is not locked (no lock info)".into())) };
    if info.id != id {
        return Err(fail(format!("lock ID {id:?} does not match the lock held ({:?})", info.id)));
    }
    match StateLock::take(path, &LockOptions { operation: "OperationTypeInvalid", ..LockOptions::default() }) {
        Ok(lock) => {
            drop(lock);
            Ok("a stale lock (its holder had exited) was removed".into())
        }
        Err(Error::Locked { .. }) => Err(fail(format!(
            "lock {id} is held by a running process ({} for {}); it is released when that process exits: stop it \
             (an interrupted aigw apply keeps what it completed)",
            info.who, info.operation
        ))),
        Err(e) => Err(e),
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        let Some(file) = self.file.take() else { return };
        let _ = std::fs::remove_file(info_path(&self.state_path));
        let empty = self.state_is_new();
        let _ = fcntl(&file, FcntlArg::F_OFD_SETLK(&flock(nix::libc::F_UNLCK as nix::libc::c_short)));
        drop(file);
        if empty {
            let _ = std::fs::remove_file(&self.state_path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_with_the_holders_info_and_nothing_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("terraform.tfstate");
        let opts = LockOptions { operation: "OperationTypeApply", ..LockOptions::default() };
        let first = StateLock::take(&p, &opts).unwrap();
        assert!(first.state_is_new());
        let info: LockInfo = serde_json::from_str(&std::fs::read_to_string(info_path(&p)).unwrap()).unwrap();
        assert_eq!(info.id, first.info.id);
        // An open file description of its own, as a second process has.
        let err = StateLock::take(&p, &opts).err().unwrap().to_string();
        assert!(err.contains(&first.info.id) && err.contains("OperationTypeApply"), "{err}");
        drop(first);
        assert!(!p.exists() && !info_path(&p).exists(), "an unused lock leaves nothing behind");
        let again = StateLock::take(&p, &opts).unwrap();
        std::fs::write(&p, "{}").unwrap();
        drop(again);
        assert!(p.exists(), "a written state stays");
    }
}
