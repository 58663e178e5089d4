//! The engine's error type. User mistakes carry the file and line they
//! were found at; provider diagnostics keep their attribute paths.
use std::fmt;

/// A place in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    pub file: String,
    pub line: usize,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{loc}: {message}")]
    Config { loc: Loc, message: String },
    #[error("{0}")]
    Syntax(String),
    #[error("dependency cycle: {0}")]
    Cycle(String),
    #[error("{context}: {message}")]
    Diagnostics { context: String, message: String },
    #[error("state file {path}: {message}")]
    State { path: String, message: String },
    #[error("provider {0}")]
    Provider(String),
    #[error(transparent)]
    Plugin(#[from] tfplugin::Error),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    pub fn config(loc: &Loc, message: impl Into<String>) -> Error {
        Error::Config { loc: loc.clone(), message: message.into() }
    }
}

/// Fails with the errors among `d`, each on its own line.
pub fn check(d: &tfplugin::Diagnostics, context: &str) -> Result<(), Error> {
    if !d.has_errors() {
        return Ok(());
    }
    let message = d
        .iter()
        .filter(|x| x.severity == tfplugin::Severity::Error)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n  ");
    Err(Error::Diagnostics { context: context.to_string(), message })
}
