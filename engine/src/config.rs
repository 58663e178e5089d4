//! Loading a configuration directory: every `*.tf` file is parsed with
//! hcl-rs (stage one, raw HCL) and turned into the engine's model (stage
//! two): required providers, provider blocks, variables, locals, resources
//! and outputs, each remembering where it was written.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl::{Body, Expression};

use crate::error::{Error, Loc};

#[derive(Debug, Clone)]
pub struct Variable {
    pub default: Option<Expression>,
    pub sensitive: bool,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub type_name: String,
    pub name: String,
    /// `count` or `for_each`, when set.
    pub repeat: Option<Repeat>,
    pub attributes: Vec<(String, Expression)>,
    pub depends_on: Vec<String>,
    pub loc: Loc,
}

impl Resource {
    pub fn address(&self) -> String {
        format!("{}.{}", self.type_name, self.name)
    }
    /// The provider local name: the type's prefix before the first `_`.
    pub fn provider(&self) -> &str {
        self.type_name.split('_').next().unwrap_or_default()
    }
}

/// How a resource is repeated.
#[derive(Debug, Clone)]
pub enum Repeat {
    Count(Expression),
    ForEach(Expression),
}

impl Repeat {
    pub fn expr(&self) -> &Expression {
        match self {
            Repeat::Count(e) | Repeat::ForEach(e) => e,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Output {
    pub value: Expression,
    pub sensitive: bool,
    pub loc: Loc,
}

#[derive(Debug, Clone, Default)]
pub struct Config {
    pub dir: PathBuf,
    /// local name → source address, e.g. `aigw` → `aigw/aigw`.
    pub required_providers: BTreeMap<String, String>,
    pub provider_blocks: BTreeMap<String, (Vec<(String, Expression)>, Loc)>,
    pub variables: BTreeMap<String, Variable>,
    pub locals: BTreeMap<String, (Expression, Loc)>,
    pub resources: Vec<Resource>,
    pub outputs: BTreeMap<String, Output>,
}

fn line_of(src: &str, needle: &str) -> usize {
    src.find(needle).map_or(1, |i| src[..i].lines().count().max(1) + usize::from(src[..i].ends_with('\n')))
}

fn attrs(body: &Body) -> Vec<(String, Expression)> {
    body.attributes().map(|a| (a.key().to_string(), a.expr().clone())).collect()
}

impl Config {
    /// Loads every `*.tf` file in `dir`, in name order.
    pub fn load(dir: &Path) -> Result<Config, Error> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "tf"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(Error::Syntax(format!("{}: no .tf files", dir.display())));
        }
        let mut cfg = Config { dir: dir.to_path_buf(), ..Config::default() };
        for f in files {
            let src = std::fs::read_to_string(&f)?;
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let body = hcl::parse(&src).map_err(|e| Error::Syntax(format!("{name}: {e}")))?;
            cfg.add(&name, &src, &body)?;
        }
        Ok(cfg)
    }

    fn add(&mut self, file: &str, src: &str, body: &Body) -> Result<(), Error> {
        for b in body.blocks() {
            let labels: Vec<&str> = b.labels().iter().map(|l| l.as_str()).collect();
            let kind = b.identifier();
            let needle = match labels.as_slice() {
                [] => kind.to_string(),
                [a, ..] => format!("{kind} \"{a}\""),
            };
            let loc = Loc { file: file.to_string(), line: line_of(src, &needle) };
            let want = |n: usize| {
                if labels.len() == n {
                    Ok(())
                } else {
                    Err(Error::config(&loc, format!("a {kind} block takes {n} label(s), got {}", labels.len())))
                }
            };
            match kind {
                "terraform" => {
                    for rp in b.body().blocks().filter(|x| x.identifier() == "required_providers") {
                        for a in rp.body().attributes() {
                            let source = match a.expr() {
                                Expression::Object(o) => {
                                    o.iter().find_map(|(k, v)| match (k.to_string().trim_matches('"'), v) {
                                        ("source", Expression::String(s)) => Some(s.clone()),
                                        _ => None,
                                    })
                                }
                                _ => None,
                            };
                            let source = source.ok_or_else(|| {
                                Error::config(&loc, format!("required_providers.{} needs a literal source", a.key()))
                            })?;
                            self.required_providers.insert(a.key().to_string(), source);
                        }
                    }
                }
                "provider" => {
                    want(1)?;
                    self.provider_blocks.insert(labels[0].to_string(), (attrs(b.body()), loc));
                }
                "variable" => {
                    want(1)?;
                    let find = |k: &str| b.body().attributes().find(|a| a.key() == k).map(|a| a.expr().clone());
                    let sensitive = matches!(find("sensitive"), Some(Expression::Bool(true)));
                    self.variables.insert(labels[0].to_string(), Variable { default: find("default"), sensitive, loc });
                }
                "locals" => {
                    for (k, v) in attrs(b.body()) {
                        self.locals.insert(k, (v, loc.clone()));
                    }
                }
                "resource" => {
                    want(2)?;
                    let mut attributes = Vec::new();
                    let mut depends_on = Vec::new();
                    let mut repeat = None;
                    for (k, v) in attrs(b.body()) {
                        match k.as_str() {
                            "count" | "for_each" if repeat.is_some() => {
                                return Err(Error::config(&loc, "a resource cannot have both count and for_each"));
                            }
                            "count" => repeat = Some(Repeat::Count(v)),
                            "for_each" => repeat = Some(Repeat::ForEach(v)),
                            "provider" => {
                                return Err(Error::config(
                                    &loc,
                                    "`provider` (aliased providers) is not supported by aigw yet",
                                ));
                            }
                            "depends_on" => {
                                if let Expression::Array(items) = &v {
                                    depends_on = items.iter().map(|e| e.to_string()).collect();
                                }
                            }
                            _ => attributes.push((k, v)),
                        }
                    }
                    if let Some(inner) = b.body().blocks().next() {
                        return Err(Error::config(
                            &loc,
                            format!("nested block `{}` is not supported by aigw yet", inner.identifier()),
                        ));
                    }
                    self.resources.push(Resource {
                        type_name: labels[0].to_string(),
                        name: labels[1].to_string(),
                        repeat,
                        attributes,
                        depends_on,
                        loc,
                    });
                }
                "output" => {
                    want(1)?;
                    let find = |k: &str| b.body().attributes().find(|a| a.key() == k).map(|a| a.expr().clone());
                    let value = find("value").ok_or_else(|| Error::config(&loc, "an output needs a value"))?;
                    let sensitive = matches!(find("sensitive"), Some(Expression::Bool(true)));
                    self.outputs.insert(labels[0].to_string(), Output { value, sensitive, loc });
                }
                other => {
                    return Err(Error::config(&loc, format!("`{other}` blocks are not supported by aigw yet")));
                }
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for r in &self.resources {
            if !seen.insert(r.address()) {
                return Err(Error::config(&r.loc, format!("duplicate resource {}", r.address())));
            }
        }
        Ok(())
    }
}
