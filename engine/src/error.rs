//! The engine's error type. User mistakes carry the file, line and column
//! they were found at and show the source line with a caret under the
//! spot, the way Terraform does; provider diagnostics keep their
//! attribute paths.
use std::fmt;

/// A place in a configuration file, with the line it is on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Loc {
    pub file: String,
    pub line: usize,
    /// 1-based, in characters.
    pub col: usize,
    /// The source line, for the snippet.
    pub text: String,
    /// 0-based byte offset in the file.
    pub byte: usize,
}

impl Loc {
    /// The place of byte `offset` in `src`.
    pub fn at(file: &str, src: &str, offset: usize) -> Loc {
        let mut offset = offset.min(src.len());
        while !src.is_char_boundary(offset) {
            offset -= 1;
        }
        let start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
        let end = src[offset..].find('\n').map_or(src.len(), |i| i + offset);
        Loc {
            file: file.to_string(),
            line: src[..offset].matches('\n').count() + 1,
            col: src[start..offset].chars().count() + 1,
            text: src[start..end].trim_end_matches('\r').to_string(),
            byte: offset,
        }
    }

    /// The place of the first `needle` at or after byte `from` (or `from` itself).
    pub fn find(file: &str, src: &str, from: usize, needle: &str) -> Loc {
        let from = from.min(src.len());
        let at = src.get(from..).and_then(|s| s.find(needle)).map_or(from, |i| i + from);
        Loc::at(file, src, at)
    }

    /// The same line, pointing at `needle` when the line has it.
    pub fn narrow(&self, needle: &str) -> Loc {
        match self.text.find(needle) {
            Some(i) => {
                let line_start = self.byte - self.text.chars().take(self.col - 1).map(char::len_utf8).sum::<usize>();
                Loc { col: self.text[..i].chars().count() + 1, byte: line_start + i, ..self.clone() }
            }
            None => self.clone(),
        }
    }

    /// The source line and a caret under the column.
    pub fn snippet(&self) -> String {
        if self.text.is_empty() {
            return String::new();
        }
        let n = self.line.to_string();
        let pad: String =
            self.text.chars().take(self.col.saturating_sub(1)).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
        format!("\n  {n} | {}\n  {} | {pad}^", self.text, " ".repeat(n.len()))
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{loc}: {message}{}", loc.snippet())]
    Config { loc: Loc, message: String },
    #[error("{0}")]
    Syntax(String),
    #[error("dependency cycle: {0}")]
    Cycle(String),
    #[error("{context}: {message}")]
    Diagnostics { context: String, message: String },
    #[error("backend {backend}: {message}")]
    Backend { backend: String, message: String },
    #[error("state file {path}: {message}")]
    State { path: String, message: String },
    #[error(
        "Error acquiring the state lock on {path}: another command (aigw or terraform) holds it.\n{holder}\n\n\
         Wait for it to finish, or retry with -lock-timeout=60s to wait for it."
    )]
    Locked { path: String, holder: String },
    /// Several mistakes, each shown as its own error.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n\nError: "))]
    Many(Vec<Error>),
    /// A server address that cannot be bound.
    #[error("{0}")]
    Listen(String),
    #[error("provider {0}")]
    Provider(String),
    /// Operations that failed during apply; everything else was saved.
    #[error("{0}")]
    Apply(String),
    #[error("interrupted: the operations that were running finished and the state was saved")]
    Interrupted,
    #[error("saved plan {path}: {message}")]
    PlanFile { path: String, message: String },
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

impl Error {
    /// The error as one diagnostic in Terraform's JSON format (`validate
    /// -json`): a range and snippet when it has a place in a file.
    pub fn to_diagnostic_json(&self) -> serde_json::Value {
        let Error::Config { loc, message } = self else {
            return serde_json::json!({"severity": "error", "summary": self.to_string(), "detail": ""});
        };
        // "ADDRESS: what is wrong: why" → summary "what is wrong", detail the whole message.
        let after_address = match message.split_once(": ") {
            Some((head, rest)) if !head.contains(' ') => rest,
            _ => message.as_str(),
        };
        let summary = after_address.split([':', ';']).next().unwrap_or(after_address).trim();
        let detail = message.as_str();
        let start_col = loc.col;
        let word = loc.text.chars().skip(start_col - 1).take_while(|c| !c.is_whitespace()).count().max(1);
        let start_off: usize = loc.text.chars().take(start_col - 1).map(char::len_utf8).sum();
        let end_off: usize =
            start_off + loc.text.chars().skip(start_col - 1).take(word).map(char::len_utf8).sum::<usize>();
        let point = |col: usize, byte: usize| serde_json::json!({"line": loc.line, "column": col, "byte": byte});
        serde_json::json!({
            "severity": "error",
            "summary": summary,
            "detail": detail,
            "range": {
                "filename": loc.file,
                "start": point(start_col, loc.byte),
                "end": point(start_col + word, loc.byte + end_off - start_off),
            },
            "snippet": {
                "context": null,
                "code": loc.text,
                "start_line": loc.line,
                "highlight_start_offset": start_off,
                "highlight_end_offset": end_off,
                "values": [],
            },
        })
    }
}

/// `validate -json`'s document for the errors found (none: valid).
pub fn validate_json(errors: &[&Error]) -> serde_json::Value {
    serde_json::json!({
        "format_version": "1.0",
        "valid": errors.is_empty(),
        "error_count": errors.len(),
        "warning_count": 0,
        "diagnostics": errors.iter().map(|e| e.to_diagnostic_json()).collect::<Vec<_>>(),
    })
}

/// `; did you mean "x"?` for the candidate closest to a misspelt `name`,
/// or nothing when none is close.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(name, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3) && *d < c.len())
        .min()
        .map(|(_, c)| format!("; did you mean {c:?}?"))
        .unwrap_or_default()
}

/// Fails with the errors among `d`, each on its own line.
pub fn check(d: &tfplugin::Diagnostics, context: &str) -> Result<(), Error> {
    if !d.has_errors() {
        return Ok(());
    }
    let message = d
        .iter()
        .filter(|x| x.severity == tfplugin::Severity::Error)
        // "Error:" is said once, by whoever prints the error.
        .map(|x| x.to_string().trim_start_matches("Error: ").to_string())
        .collect::<Vec<_>>()
        .join("\n  ");
    Err(Error::Diagnostics { context: context.to_string(), message })
}

/// Fails with the errors among `d` from resource `r`: the first one that
/// names an attribute is shown at that attribute's place in the file.
pub fn check_resource(d: &tfplugin::Diagnostics, r: &crate::config::Resource, addr: &str) -> Result<(), Error> {
    let located = d.iter().filter(|x| x.severity == tfplugin::Severity::Error).find_map(|x| {
        let first = match x.attribute.as_ref()?.0.first()? {
            tfplugin::diag::PathStep::Attr(a) => a.clone(),
            _ => return None,
        };
        let loc = r.attr_locs.get(&first)?;
        let detail = if x.detail.is_empty() { String::new() } else { format!(": {}", x.detail) };
        Some(Error::config(loc, format!("{addr}: {}{detail} (at {})", x.summary, x.attribute.as_ref()?)))
    });
    match located {
        Some(e) => Err(e),
        None => check(d, &format!("{addr} ({})", r.loc)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_show_the_line_and_a_caret_under_the_column() {
        let src = "resource \"a\" \"b\" {\n  ttl = nope\n}\n";
        let loc = Loc::find("main.tf", src, 0, "nope");
        let e = Error::config(&loc, "unknown reference");
        assert_eq!(e.to_string(), "main.tf:2:9: unknown reference\n  2 |   ttl = nope\n    |         ^");
    }
}
