//! Durable, coalesced state writes during apply. Rewriting the whole state
//! file after every operation costs O(n²) over a large apply, so each
//! completed operation is appended to a journal (`<state>.journal`, one
//! JSON line, fsynced with whatever else completed at the same moment)
//! and the state file itself is rewritten only now and then and at the
//! end. A crash loses nothing that completed: the next command that opens
//! the state replays the journal into it before anything else.
//!
//! A create whose answer never arrived (the process was killed while it
//! ran) may still have made the object. So before a create starts, its
//! intent (the planned object) is journaled too; intents left without an
//! outcome come back from [`recover`] as pending, and the run that has the
//! providers reads each one back and adopts what exists (see
//! `run::adopt_pending`), so a rerun neither orphans nor duplicates it.
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::backend::Store;
use crate::error::Error;
use crate::state::{Instance, ResourceState, State};

/// One completed operation: the instance's new object, or `None` when it
/// was destroyed. Or, with `intent`, a create about to start: the planned
/// object (unknown values as null).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub resource: ResourceState,
    #[serde(default)]
    pub key: Option<serde_json::Value>,
    pub instance: Option<Instance>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<serde_json::Value>,
}

impl Entry {
    /// Which instance the entry is about.
    fn slot(&self) -> String {
        format!(
            "{}.{}.{}[{}]",
            self.resource.mode,
            self.resource.type_name,
            self.resource.name,
            self.key.as_ref().map(ToString::to_string).unwrap_or_default()
        )
    }
}

/// The first line: which state the entries apply to.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    lineage: String,
    serial: u64,
}

pub fn journal_path(state_path: &Path) -> PathBuf {
    let mut p = state_path.as_os_str().to_owned();
    p.push(".journal");
    PathBuf::from(p)
}

/// Replays a journal left by an interrupted apply into `state`, saves it,
/// and returns the creates whose outcome is unknown. The journal is then
/// removed, or rewritten to hold just those. A journal written against
/// another state (already folded in) is removed.
pub fn recover(store: &Store, state: &mut State) -> Result<Vec<Entry>, Error> {
    let (replayed, pending) = read_into(store, state)?;
    if replayed > 0 {
        let path = store.journal_path().display().to_string();
        store.save(state).map_err(|e| Error::State { path, message: format!("replaying the journal: {e}") })?;
        eprintln!("Note: recovered {replayed} completed operation(s) from the journal of an interrupted apply.");
    }
    rewrite(store, state, &pending)?;
    Ok(pending)
}

/// The state as it would be after [`recover`], in memory only: for a
/// command that only reads it and cannot write (another command holds the
/// lock, or the disk is full).
pub fn peek(store: &Store, state: &mut State) -> Result<(), Error> {
    read_into(store, state).map(|_| ())
}

/// Applies the journal's completed operations to `state` (in memory);
/// returns how many, and the creates still pending.
fn read_into(store: &Store, state: &mut State) -> Result<(usize, Vec<Entry>), Error> {
    let path = store.journal_path().to_path_buf();
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((0, Vec::new())),
        Err(e) => return Err(e.into()),
    };
    let mut lines = std::io::BufReader::new(file).lines();
    let header: Option<Header> = match lines.next() {
        Some(l) => serde_json::from_str(&l?).ok(),
        None => None,
    };
    let mut pending: std::collections::BTreeMap<String, Entry> = Default::default();
    let mut replayed = 0;
    // The first apply on a directory journals before any state file exists:
    // the journal then says what the state's lineage is.
    if let Some(h) = &header
        && state.serial == 0
        && state.resources.is_empty()
    {
        state.lineage = h.lineage.clone();
        state.serial = h.serial;
    }
    // The same lineage: the creates it started stay pending even if the
    // state moved on (a write that landed though its answer was lost);
    // the completed operations replay only onto the state they follow.
    let same_lineage = header.as_ref().is_some_and(|h| h.lineage == state.lineage);
    let follows = header.as_ref().is_some_and(|h| same_lineage && h.serial == state.serial);
    if same_lineage {
        let mut completed = Vec::new();
        for line in lines {
            let line = line?;
            // A torn last line is an operation whose write never finished.
            let Ok(e) = serde_json::from_str::<Entry>(&line) else { break };
            if e.intent.is_some() {
                pending.insert(e.slot(), e);
                continue;
            }
            pending.remove(&e.slot());
            completed.push(e);
        }
        if follows {
            for e in completed {
                state.put_instance(&e.resource, &e.key, e.instance);
                replayed += 1;
            }
        }
    }
    Ok((replayed, pending.into_values().collect()))
}

/// One JSON line per entry.
fn lines(entries: &[Entry], path: &Path) -> Result<String, Error> {
    let mut text = String::new();
    for e in entries {
        let line = serde_json::to_string(e)
            .map_err(|e| Error::State { path: path.display().to_string(), message: e.to_string() })?;
        text.push_str(&line);
        text.push('\n');
    }
    Ok(text)
}

/// A new journal for `state` holding `entries`, written atomically; the
/// handle appends to it.
fn start(store: &Store, state: &State, entries: &[Entry]) -> Result<std::fs::File, Error> {
    let path = store.journal_path().to_path_buf();
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let header = Header { lineage: state.lineage.clone(), serial: state.serial };
    let mut text = serde_json::to_string(&header)
        .map_err(|e| Error::State { path: path.display().to_string(), message: e.to_string() })?;
    text.push('\n');
    text.push_str(&lines(entries, &path)?);
    let tmp = path.with_extension("journal.tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    Ok(std::fs::OpenOptions::new().append(true).open(&path)?)
}

/// Replaces the journal with one that holds just `intents` (none: removes it).
pub fn rewrite(store: &Store, state: &State, intents: &[Entry]) -> Result<Option<std::fs::File>, Error> {
    if !intents.is_empty() {
        return start(store, state, intents).map(Some);
    }
    match std::fs::remove_file(store.journal_path()) {
        Ok(()) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The journal of one apply.
pub struct Journal<'a> {
    store: &'a Store,
    file: Option<std::fs::File>,
    /// Completed entries since the state file was last written.
    entries: usize,
    /// Creates started and not yet finished.
    intents: std::collections::BTreeMap<String, Entry>,
}

impl Journal<'_> {
    pub fn new(store: &Store) -> Journal<'_> {
        Journal { store, file: None, entries: 0, intents: Default::default() }
    }

    /// Applies `batch` to `state` and makes it durable: appended and fsynced,
    /// or, once the journal holds as many entries as half the state, by
    /// rewriting the state file (so total write cost stays linear).
    /// Intents are only journaled.
    pub fn commit(&mut self, state: &mut State, batch: Vec<Entry>) -> Result<(), Error> {
        if batch.is_empty() {
            return Ok(());
        }
        let text = lines(&batch, self.store.journal_path())?;
        for e in batch {
            if e.intent.is_some() {
                self.intents.insert(e.slot(), e);
                continue;
            }
            self.intents.remove(&e.slot());
            state.put_instance(&e.resource, &e.key, e.instance);
            self.entries += 1;
        }
        let instances: usize = state.resources.iter().map(|r| r.instances.len()).sum();
        if self.entries >= 64.max(instances / 2) {
            return self.snapshot(state);
        }
        if self.file.is_none() {
            self.file = Some(start(self.store, state, &[])?);
        }
        if let Some(f) = &mut self.file {
            f.write_all(text.as_bytes())?;
            f.sync_data()?;
        }
        Ok(())
    }

    /// Writes the whole state; the journal keeps only the creates still running.
    pub fn snapshot(&mut self, state: &mut State) -> Result<(), Error> {
        self.store.save(state)?;
        self.entries = 0;
        let intents: Vec<Entry> = self.intents.values().cloned().collect();
        self.file = rewrite(self.store, state, &intents)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str) -> Entry {
        Entry {
            resource: ResourceState {
                module: None,
                mode: "managed".into(),
                type_name: "aigw_gateway".into(),
                name: name.into(),
                each: None,
                provider: "provider[\"registry.terraform.io/aigw/aigw\"]".into(),
                instances: Vec::new(),
            },
            key: None,
            intent: None,
            instance: Some(Instance {
                index_key: None,
                schema_version: 0,
                attributes: serde_json::json!({"id": name}),
                sensitive_attributes: Vec::new(),
                private: None,
                dependencies: Vec::new(),
                extra: Default::default(),
            }),
        }
    }

    #[test]
    fn a_crash_after_commit_loses_nothing_and_snapshots_stay_linear() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("terraform.tfstate");
        let store = Store::file(p.clone());
        let mut state = State::empty();
        state.save(&p).unwrap();
        let mut j = Journal::new(&store);
        j.commit(&mut state, vec![entry("a"), entry("b")]).unwrap();
        j.commit(&mut state, vec![entry("c")]).unwrap();
        // "Crash": the state file still has nothing, the journal has three.
        drop(j);
        let mut again = State::load(&p).unwrap();
        assert!(again.resources.is_empty());
        assert!(recover(&store, &mut again).unwrap().is_empty());
        assert_eq!(State::load(&p).unwrap().resources.len(), 3);
        assert!(!journal_path(&p).exists());
        // A stale journal (state saved after it) is dropped, not replayed.
        let mut j = Journal::new(&store);
        j.commit(&mut again, vec![entry("d")]).unwrap();
        again.save(&p).unwrap();
        let mut loaded = State::load(&p).unwrap();
        assert!(recover(&store, &mut loaded).unwrap().is_empty());
        assert!(!journal_path(&p).exists(), "a stale journal is removed");
        // A create that started and never finished comes back as pending,
        // and stays pending across a recovery that has nothing else to do.
        let mut j = Journal::new(&store);
        let mut intent = entry("e");
        intent.instance = None;
        intent.intent = Some(serde_json::json!({"id": "e"}));
        j.commit(&mut loaded, vec![intent, entry("f")]).unwrap();
        drop(j);
        let mut after = State::load(&p).unwrap();
        let pending = recover(&store, &mut after).unwrap();
        assert_eq!(pending.iter().map(|e| e.resource.name.as_str()).collect::<Vec<_>>(), ["e"]);
        assert!(after.find(None, "aigw_gateway", "f").is_some() && after.find(None, "aigw_gateway", "e").is_none());
        assert_eq!(recover(&store, &mut State::load(&p).unwrap()).unwrap().len(), 1);
        // 1,000 operations rewrite the state file a handful of times, not 1,000.
        let serial = loaded.serial;
        let mut j = Journal::new(&store);
        for i in 0..1000 {
            j.commit(&mut loaded, vec![entry(&format!("g{i}"))]).unwrap();
        }
        assert!(loaded.serial - serial < 20, "{} rewrites", loaded.serial - serial);
    }
}
