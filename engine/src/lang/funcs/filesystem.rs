//! Filesystem functions. Relative paths are read from the working
//! directory, as Terraform reads them; `templatefile` renders a file as a
//! template with only the given variables in scope.
use std::path::{Component, Path, PathBuf};

use base64::Engine as _;
use tfplugin::{Type, Value};

use super::{P, Spec, f, p, s};
use crate::lang::Val;
use crate::lang::types::convert;

const PATH: super::Param = p("path", P::Str);

pub const SPECS: &[Spec] = &[
    f("file", &[PATH], Some(P::Str), |a| read_text(s(&a[0])).map(Val::string)),
    f("filebase64", &[PATH], Some(P::Str), |a| {
        Ok(Val::string(base64::engine::general_purpose::STANDARD.encode(read_bytes(s(&a[0]))?)))
    }),
    f("fileexists", &[PATH], Some(P::Bool), |a| {
        let p = expand(s(&a[0]));
        match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => Err(format!("{} is a directory, not a file", p.display())),
            Ok(_) => Ok(Val::bool(true)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Val::bool(false)),
            Err(e) => Err(format!("failed to stat {}: {e}", p.display())),
        }
    }),
    f("fileset", &[PATH, p("pattern", P::Str)], Some(P::Set(&P::Str)), fileset),
    f("templatefile", &[PATH, p("vars", P::Any)], None, templatefile),
    f("abspath", &[PATH], Some(P::Str), |a| {
        let p = Path::new(s(&a[0]));
        let abs =
            if p.is_absolute() { p.to_path_buf() } else { std::env::current_dir().map_err(|e| e.to_string())?.join(p) };
        Ok(Val::string(slash(&clean(&abs))))
    }),
    f("dirname", &[PATH], Some(P::Str), |a| Ok(Val::string(dirname(s(&a[0]))))),
    f("basename", &[PATH], Some(P::Str), |a| Ok(Val::string(basename(s(&a[0]))))),
    f("pathexpand", &[PATH], Some(P::Str), |a| Ok(Val::string(expand(s(&a[0])).display().to_string()))),
];

fn expand(p: &str) -> PathBuf {
    let home = || std::env::var_os("HOME").map(PathBuf::from);
    match (p.strip_prefix('~'), home()) {
        (Some(""), Some(h)) => h,
        (Some(rest), Some(h)) if rest.starts_with('/') => h.join(&rest[1..]),
        _ => PathBuf::from(p),
    }
}

/// A file's bytes, or Terraform's message when there is none.
pub fn read_bytes(path: &str) -> Result<Vec<u8>, String> {
    let p = expand(path);
    std::fs::read(&p).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!(
            "no file exists at {:?}; this function works only with files that are distributed as part of the configuration source code, so if this file will be created by a resource in this configuration you must instead obtain this result from an attribute of that resource",
            path
        ),
        _ => format!("failed to read file {path:?}: {e}"),
    })
}

fn read_text(path: &str) -> Result<String, String> {
    String::from_utf8(read_bytes(path)?).map_err(|_| {
        format!("contents of {path:?} are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead")
    })
}

fn fileset(a: Vec<Val>) -> Result<Val, String> {
    let base = expand(s(&a[0]));
    let glob = globset::GlobBuilder::new(s(&a[1]))
        .literal_separator(true)
        .build()
        .map_err(|e| format!("failed to glob pattern {:?}: {e}", s(&a[1])))?
        .compile_matcher();
    let mut out = Vec::new();
    walk(&base, &base, &glob, &mut out)?;
    out.sort();
    Ok(Val::of(Value::Set(out.into_iter().map(Value::String).collect()), Type::set(Type::String)))
}

fn walk(base: &Path, dir: &Path, glob: &globset::GlobMatcher, out: &mut Vec<String>) -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for e in entries.flatten() {
        let p = e.path();
        let rel = p.strip_prefix(base).map(slash).unwrap_or_default();
        if p.is_dir() {
            walk(base, &p, glob, out)?;
        } else if glob.is_match(&rel) {
            out.push(rel);
        }
    }
    Ok(())
}

fn templatefile(a: Vec<Val>) -> Result<Val, String> {
    let path = s(&a[0]).to_string();
    let text = read_text(&path)?;
    let vars = a.into_iter().nth(1).ok_or("vars are required")?;
    let mut scope = crate::lang::Scope::default();
    match (&vars.ty, vars.v) {
        (Type::Map(_) | Type::Object { .. }, Value::Map(m) | Value::Object(m)) => {
            for (k, v) in m {
                if !k.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
                    return Err(format!(
                        "invalid template variable name {k:?}: must start with a letter, followed by zero or more letters, digits, and underscores"
                    ));
                }
                scope.extra.insert(k, v);
            }
        }
        (_, Value::Null) => {}
        _ => return Err("invalid vars value: must be a map".into()),
    }
    let tpl = hcl::Template::from_str(&text).map_err(|e| format!("failed to parse template {path:?}: {e}"))?;
    let v = crate::lang::expr::Eval::new(&scope).template_value(&tpl).map_err(|e| format!("{path}: {e}"))?;
    convert(v, &Type::String).map_err(|e| format!("{path}: invalid template result: {e}"))
}

use std::str::FromStr as _;

fn slash(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
        .replacen("//", "/", 1)
}

/// Go's `filepath.Clean`, lexically.
fn clean(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() { PathBuf::from(".") } else { out }
}

/// Go's `filepath.Dir`.
fn dirname(p: &str) -> String {
    match p.rfind('/') {
        None => ".".into(),
        Some(i) => {
            let d = clean(Path::new(&p[..=i]));
            let text = d.display().to_string();
            if p.starts_with('/') && !text.starts_with('/') { format!("/{text}") } else { text }
        }
    }
}

/// Go's `filepath.Base`.
fn basename(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}
