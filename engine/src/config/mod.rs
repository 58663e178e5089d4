//! Loading a configuration directory: every `*.tf` file is parsed with
//! hcl-rs (stage one, raw HCL) and turned into the engine's model (stage
//! two): required providers, provider blocks (with `alias`), variables,
//! locals, resources and data sources (meta-arguments, `lifecycle`, nested
//! and `dynamic` blocks) and outputs, each remembering where it was
//! written, down to the column.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl::{Body, Expression};

use crate::error::{Error, Loc};

mod blocks;
use blocks::{check_block, conditions, module_call};

#[derive(Debug, Clone)]
pub struct Validation {
    pub condition: Expression,
    pub error_message: Expression,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Variable {
    pub default: Option<Expression>,
    /// The type constraint, as written (`string`, `list(number)`, ...).
    pub type_expr: Option<Expression>,
    pub sensitive: bool,
    pub nullable: bool,
    pub validations: Vec<Validation>,
    pub loc: Loc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Managed,
    Data,
}

#[derive(Debug, Clone, Default)]
pub struct Lifecycle {
    pub prevent_destroy: bool,
    pub create_before_destroy: bool,
    /// Top-level attribute names, or `all`.
    pub ignore_changes: Vec<String>,
    pub ignore_all: bool,
    /// References whose changes replace this resource.
    pub replace_triggered_by: Vec<Expression>,
    pub preconditions: Vec<Validation>,
    pub postconditions: Vec<Validation>,
}

/// A nested block in a resource body, literal or `dynamic`.
#[derive(Debug, Clone)]
pub struct NestedBlock {
    pub type_name: String,
    pub attributes: Vec<(String, Expression)>,
    pub blocks: Vec<NestedBlock>,
    /// `dynamic`: the collection and the iterator's name.
    pub dynamic: Option<(Expression, String)>,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub mode: Mode,
    pub type_name: String,
    pub name: String,
    /// `count` or `for_each`, when set.
    pub repeat: Option<Repeat>,
    pub attributes: Vec<(String, Expression)>,
    pub blocks: Vec<NestedBlock>,
    pub depends_on: Vec<String>,
    /// `provider = aigw.west`: the provider configuration's key.
    pub provider_key: Option<String>,
    pub lifecycle: Lifecycle,
    pub loc: Loc,
    /// Where each attribute is written.
    pub attr_locs: BTreeMap<String, Loc>,
}

impl Resource {
    pub fn address(&self) -> String {
        match self.mode {
            Mode::Managed => format!("{}.{}", self.type_name, self.name),
            Mode::Data => format!("data.{}.{}", self.type_name, self.name),
        }
    }
    /// The provider local name: the type's prefix before the first `_`.
    pub fn provider(&self) -> &str {
        match &self.provider_key {
            Some(k) => k.split('.').next().unwrap_or(k),
            None => self.type_name.split('_').next().unwrap_or_default(),
        }
    }
    /// The provider configuration: `aigw` or `aigw.alias`.
    pub fn provider_config(&self) -> String {
        self.provider_key.clone().unwrap_or_else(|| self.provider().to_string())
    }
    /// Where attribute `k` is written (the block when it is not).
    pub fn loc_of(&self, k: &str) -> &Loc {
        self.attr_locs.get(k).unwrap_or(&self.loc)
    }
    /// The names `dynamic` blocks bind (`rule` in `rule.value`).
    pub fn iterators(&self) -> Vec<String> {
        fn nested(b: &NestedBlock, out: &mut Vec<String>) {
            if let Some((_, it)) = &b.dynamic {
                out.push(it.clone());
            }
            b.blocks.iter().for_each(|x| nested(x, out));
        }
        let mut out = Vec::new();
        self.blocks.iter().for_each(|b| nested(b, &mut out));
        out
    }
    /// Every expression in the resource body, for dependency analysis.
    pub fn expressions(&self) -> Vec<&Expression> {
        let mut out = self.body_expressions();
        out.extend(self.repeat.as_ref().map(Repeat::expr));
        let l = &self.lifecycle;
        out.extend(l.replace_triggered_by.iter());
        for c in l.preconditions.iter().chain(&l.postconditions) {
            out.extend([&c.condition, &c.error_message]);
        }
        out
    }
    /// The expressions of the body (what the configuration value is made of).
    pub fn body_expressions(&self) -> Vec<&Expression> {
        fn nested<'a>(b: &'a NestedBlock, out: &mut Vec<&'a Expression>) {
            out.extend(b.attributes.iter().map(|(_, e)| e));
            if let Some((e, _)) = &b.dynamic {
                out.push(e);
            }
            b.blocks.iter().for_each(|x| nested(x, out));
        }
        let mut out: Vec<&Expression> = self.attributes.iter().map(|(_, e)| e).collect();
        self.blocks.iter().for_each(|b| nested(b, &mut out));
        out
    }
}

/// How a resource is repeated.
#[derive(Debug, Clone)]
pub enum Repeat {
    Count(Expression),
    ForEach(Expression),
}

impl Repeat {
    /// `count` or `for_each`.
    pub fn keyword(&self) -> &'static str {
        match self {
            Repeat::Count(_) => "count",
            Repeat::ForEach(_) => "for_each",
        }
    }
    pub fn expr(&self) -> &Expression {
        match self {
            Repeat::Count(e) | Repeat::ForEach(e) => e,
        }
    }
}

/// A `module` block: the call, and the configuration it calls.
#[derive(Debug, Clone)]
pub struct ModuleCall {
    pub name: String,
    pub source: String,
    /// The input variables' arguments.
    pub args: Vec<(String, Expression)>,
    pub repeat: Option<Repeat>,
    pub depends_on: Vec<String>,
    /// `providers = { aigw = aigw.west }`: the module's key → the caller's.
    pub providers: BTreeMap<String, String>,
    pub loc: Loc,
    pub attr_locs: BTreeMap<String, Loc>,
    /// The called module, loaded from its directory.
    pub config: Config,
}

impl ModuleCall {
    pub fn loc_of(&self, k: &str) -> &Loc {
        self.attr_locs.get(k).unwrap_or(&self.loc)
    }
    /// Every expression of the call, for dependency analysis.
    pub fn expressions(&self) -> Vec<&Expression> {
        let mut out: Vec<&Expression> = self.args.iter().map(|(_, e)| e).collect();
        out.extend(self.repeat.as_ref().map(Repeat::expr));
        out
    }
}

/// A `moved` block: state at `from` is now at `to`.
#[derive(Debug, Clone)]
pub struct Moved {
    pub from: String,
    pub to: String,
    pub loc: Loc,
}

/// A `removed` block: `from` leaves the configuration; with
/// `lifecycle { destroy = false }` its objects are forgotten, not destroyed.
#[derive(Debug, Clone)]
pub struct Removed {
    pub from: String,
    pub destroy: bool,
    pub loc: Loc,
}

/// An `import` block: the object `id` names becomes `to` (for each
/// element of `for_each`, when set).
#[derive(Debug, Clone)]
pub struct Import {
    pub to: Expression,
    pub id: Expression,
    pub for_each: Option<Expression>,
    pub loc: Loc,
}

/// A `check` block: its scoped data sources and assertions.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    pub data: Vec<Resource>,
    pub asserts: Vec<Validation>,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Output {
    pub value: Expression,
    pub sensitive: bool,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct ProviderBlock {
    pub attributes: Vec<(String, Expression)>,
    pub loc: Loc,
}

/// A `backend` block: its type, literal arguments (each with its place)
/// and place.
#[derive(Debug, Clone)]
pub struct Backend {
    pub kind: String,
    pub attrs: BTreeMap<String, (serde_json::Value, Loc)>,
    pub loc: Loc,
}

impl Backend {
    /// The arguments' values.
    pub fn values(&self) -> BTreeMap<String, serde_json::Value> {
        self.attrs.iter().map(|(k, (v, _))| (k.clone(), v.clone())).collect()
    }

    /// Where argument `key` is written.
    pub fn place(&self, key: &str) -> Option<Loc> {
        self.attrs.get(key).map(|(_, l)| l.clone())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Config {
    pub dir: PathBuf,
    /// local name → source address, e.g. `aigw` → `aigw/aigw`.
    pub required_providers: BTreeMap<String, String>,
    /// `terraform { backend "..." {} }`, if written.
    pub backend: Option<Backend>,
    /// local name → where its `source` is written.
    pub required_provider_locs: BTreeMap<String, Loc>,
    /// `aigw` or `aigw.alias` → its block.
    pub provider_blocks: BTreeMap<String, ProviderBlock>,
    pub variables: BTreeMap<String, Variable>,
    pub locals: BTreeMap<String, (Expression, Loc)>,
    /// Managed resources and data sources.
    pub resources: Vec<Resource>,
    pub outputs: BTreeMap<String, Output>,
    pub checks: Vec<Check>,
    /// `module` blocks by name.
    pub modules: BTreeMap<String, ModuleCall>,
    pub moved: Vec<Moved>,
    pub removed: Vec<Removed>,
    pub imports: Vec<Import>,
}

/// One file being read: its name, text, and how far the reader has got
/// (blocks are located in order, so repeated words find the right one).
struct Src<'a> {
    file: String,
    text: &'a str,
    cursor: usize,
}

impl Src<'_> {
    /// Locates a block header and moves past it.
    fn block(&mut self, needle: &str) -> Loc {
        let loc = Loc::find(&self.file, self.text, self.cursor, needle);
        if let Some(i) = self.text.get(self.cursor..).and_then(|s| s.find(needle)) {
            self.cursor += i + needle.len();
        }
        loc
    }
    /// Locates `key =` inside the block that starts at the cursor.
    fn attr(&self, key: &str) -> Loc {
        let rest = self.text.get(self.cursor..).unwrap_or_default();
        let mut off = 0;
        for line in rest.split_inclusive('\n') {
            let t = line.trim_start();
            if t.starts_with(key) && t[key.len()..].trim_start().starts_with('=') {
                let at = self.cursor + off + (line.len() - t.len());
                // Point at the value.
                let eq = self.text[at..].find('=').map_or(at, |i| at + i + 1);
                let v = self.text[eq..].find(|c: char| !c.is_whitespace() || c == '\n').map_or(eq, |i| eq + i);
                return Loc::at(&self.file, self.text, v);
            }
            off += line.len();
        }
        Loc::at(&self.file, self.text, self.cursor)
    }
}

fn attrs(body: &Body) -> Vec<(String, Expression)> {
    body.attributes().map(|a| (a.key().to_string(), a.expr().clone())).collect()
}

fn bool_attr(body: &Body, key: &str, loc: &Loc) -> Result<bool, Error> {
    match body.attributes().find(|a| a.key() == key).map(|a| a.expr()) {
        None => Ok(false),
        Some(Expression::Bool(b)) => Ok(*b),
        Some(_) => Err(Error::config(loc, format!("{key} must be true or false (a literal)"))),
    }
}

/// A reference written as an expression (`aigw_gateway.main`, `aigw.west`).
fn traversal_text(e: &Expression) -> String {
    e.to_string().trim().trim_matches('"').to_string()
}

impl Config {
    /// The source address of provider `local`: its `required_providers`
    /// entry, `terraform.io/builtin/terraform` for `terraform`, or
    /// `hashicorp/<local>` as Terraform assumes.
    pub fn source_of(&self, local: &str) -> String {
        match self.required_providers.get(local) {
            Some(s) => s.clone(),
            None if local == crate::providers::builtin::LOCAL_NAME => crate::providers::builtin::SOURCE.to_string(),
            None => format!("hashicorp/{local}"),
        }
    }

    /// The configuration of the module that module instance `at` is of.
    pub fn module(&self, at: &crate::addrs::ModuleInstance) -> Option<&Config> {
        at.names().iter().try_fold(self, |c, n| c.modules.get(*n).map(|m| &m.config))
    }

    /// Loads every `*.tf` file in `dir`, in name order, and the modules it calls.
    pub fn load(dir: &Path) -> Result<Config, Error> {
        Config::from_sources(dir, &read_sources(dir, "")?)
    }

    /// The configuration of `dir` made of these `(file name, text)` files,
    /// with the modules it calls loaded from disk.
    pub fn from_sources(dir: &Path, sources: &[(String, String)]) -> Result<Config, Error> {
        let mut cfg = Config::parse_sources(dir, sources)?;
        let manifest = crate::modules::Manifest::read(dir)?;
        cfg.load_modules(dir, &manifest, "", 0)?;
        Ok(cfg)
    }

    fn parse_sources(dir: &Path, sources: &[(String, String)]) -> Result<Config, Error> {
        let mut cfg = Config { dir: dir.to_path_buf(), ..Config::default() };
        for (name, src) in sources {
            let body = parse(name, src)?;
            cfg.add(&mut Src { file: name.clone(), text: src, cursor: 0 }, &body)?;
        }
        Ok(cfg)
    }

    /// Loads each module this one calls (and theirs), `key` being this
    /// module's place in the tree (`team.limits`), as modules.json keys it.
    fn load_modules(
        &mut self,
        root: &Path,
        manifest: &crate::modules::Manifest,
        key: &str,
        depth: usize,
    ) -> Result<(), Error> {
        for call in self.modules.values_mut() {
            let key = if key.is_empty() { call.name.clone() } else { format!("{key}.{}", call.name) };
            if depth >= crate::modules::MAX_DEPTH {
                return Err(Error::config(
                    &call.loc,
                    format!(
                        "module.{}: modules nest more than {} deep (a module that calls itself?)",
                        call.name,
                        crate::modules::MAX_DEPTH
                    ),
                ));
            }
            let dir = manifest.resolve(root, &self.dir, &key, call)?;
            let shown = dir.strip_prefix(root).unwrap_or(&dir).display().to_string();
            let mut child = Config::parse_sources(&dir, &read_sources(&dir, &shown)?)?;
            if let Some((k, b)) = child.provider_blocks.iter().next() {
                return Err(Error::config(
                    &b.loc,
                    format!(
                        "provider {k:?} is configured inside module.{}: aigw takes provider configurations from the root module; pass one with providers = {{ ... }} in the module call",
                        call.name
                    ),
                ));
            }
            child.load_modules(root, manifest, &key, depth + 1)?;
            call.config = child;
        }
        Ok(())
    }

    fn add(&mut self, src: &mut Src<'_>, body: &Body) -> Result<(), Error> {
        for b in body.blocks() {
            let labels: Vec<&str> = b.labels().iter().map(|l| l.as_str()).collect();
            let kind = b.identifier();
            let needle = match labels.as_slice() {
                [] => kind.to_string(),
                [a, ..] => format!("{kind} \"{a}\""),
            };
            let loc = src.block(&needle);
            let want = |n: usize| {
                if labels.len() == n {
                    Ok(())
                } else {
                    Err(Error::config(&loc, format!("a {kind} block takes {n} label(s), got {}", labels.len())))
                }
            };
            let find = |k: &str| b.body().attributes().find(|a| a.key() == k).map(|a| a.expr().clone());
            match kind {
                "terraform" => {
                    for bb in b.body().blocks().filter(|x| x.identifier() == "backend") {
                        let kind = bb.labels().first().map(|l| l.as_str().to_string()).unwrap_or_default();
                        let at = Loc::find(&src.file, src.text, src.cursor, "backend");
                        let mut attrs = BTreeMap::new();
                        for a in bb.body().attributes() {
                            let place = Loc::find(&src.file, src.text, at.byte, a.key());
                            let v = crate::backend::settings::literal(a.expr()).ok_or_else(|| {
                                Error::config(
                                    &place,
                                    format!(
                                        "backend {kind:?}: {} must be a literal value (backend settings cannot use \
                                         variables, as in Terraform; pass secrets with -backend-config or the environment)",
                                        a.key()
                                    ),
                                )
                            })?;
                            attrs.insert(a.key().to_string(), (v, place));
                        }
                        self.backend = Some(Backend { kind, attrs, loc: at });
                    }
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
                            let at = Loc::find(&src.file, src.text, src.cursor, &format!("\"{source}\""));
                            self.required_provider_locs.insert(a.key().to_string(), at);
                            self.required_providers.insert(a.key().to_string(), source);
                        }
                    }
                }
                "provider" => {
                    want(1)?;
                    let mut attributes = attrs(b.body());
                    let key = match attributes.iter().position(|(k, _)| k == "alias") {
                        Some(i) => match attributes.remove(i).1 {
                            Expression::String(a) => format!("{}.{a}", labels[0]),
                            _ => return Err(Error::config(&src.attr("alias"), "alias must be a literal string")),
                        },
                        None => labels[0].to_string(),
                    };
                    if self.provider_blocks.contains_key(&key) {
                        return Err(Error::config(&loc, format!("duplicate provider configuration {key}")));
                    }
                    self.provider_blocks.insert(key, ProviderBlock { attributes, loc });
                }
                "variable" => {
                    want(1)?;
                    let mut validations = Vec::new();
                    for v in b.body().blocks().filter(|x| x.identifier() == "validation") {
                        let vloc = src.attr("condition");
                        let get = |k: &str| v.body().attributes().find(|a| a.key() == k).map(|a| a.expr().clone());
                        let (Some(condition), Some(error_message)) = (get("condition"), get("error_message")) else {
                            return Err(Error::config(&loc, "a validation block needs condition and error_message"));
                        };
                        validations.push(Validation { condition, error_message, loc: vloc });
                    }
                    let nullable = !matches!(find("nullable"), Some(Expression::Bool(false)));
                    let variable = Variable {
                        default: find("default"),
                        type_expr: find("type"),
                        sensitive: bool_attr(b.body(), "sensitive", &loc)?,
                        nullable,
                        validations,
                        loc,
                    };
                    self.variables.insert(labels[0].to_string(), variable);
                }
                "locals" => {
                    for (k, v) in attrs(b.body()) {
                        let l = src.attr(&k);
                        self.locals.insert(k, (v, l));
                    }
                }
                "resource" | "data" => {
                    want(2)?;
                    let mode = if kind == "data" { Mode::Data } else { Mode::Managed };
                    let r = resource(src, mode, labels[0], labels[1], b.body(), loc)?;
                    self.resources.push(r);
                }
                "output" => {
                    want(1)?;
                    let value = find("value").ok_or_else(|| Error::config(&loc, "an output needs a value"))?;
                    let sensitive = bool_attr(b.body(), "sensitive", &loc)?;
                    let vloc = src.attr("value");
                    self.outputs.insert(labels[0].to_string(), Output { value, sensitive, loc: vloc });
                }
                "check" => {
                    want(1)?;
                    let check = check_block(src, labels[0], b.body(), loc)?;
                    self.checks.push(check);
                }
                "module" => {
                    want(1)?;
                    let call = module_call(src, labels[0], b.body(), loc)?;
                    if self.modules.contains_key(&call.name) {
                        return Err(Error::config(&call.loc, format!("duplicate module call {:?}", call.name)));
                    }
                    self.modules.insert(call.name.clone(), call);
                }
                "moved" => {
                    want(0)?;
                    let (Some(from), Some(to)) = (find("from"), find("to")) else {
                        return Err(Error::config(&loc, "a moved block needs from and to"));
                    };
                    self.moved.push(Moved { from: traversal_text(&from), to: traversal_text(&to), loc });
                }
                "removed" => {
                    want(0)?;
                    let from = find("from").ok_or_else(|| Error::config(&loc, "a removed block needs from"))?;
                    let mut destroy = true;
                    for l in b.body().blocks().filter(|x| x.identifier() == "lifecycle") {
                        if let Some(Expression::Bool(d)) =
                            l.body().attributes().find(|a| a.key() == "destroy").map(|a| a.expr())
                        {
                            destroy = *d;
                        }
                    }
                    self.removed.push(Removed { from: traversal_text(&from), destroy, loc });
                }
                "import" => {
                    want(0)?;
                    let (Some(to), Some(id)) = (find("to"), find("id")) else {
                        return Err(Error::config(&loc, "an import block needs to and id"));
                    };
                    self.imports.push(Import { to, id, for_each: find("for_each"), loc });
                }
                other => return Err(Error::config(&loc, format!("unsupported block type `{other}`"))),
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

/// The `*.tf` files of `dir`, in name order, each named as errors show it
/// (`shown/main.tf`, or just `main.tf` in the root module).
fn read_sources(dir: &Path, shown: &str) -> Result<Vec<(String, String)>, Error> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::Syntax(format!("{}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::Syntax(format!("{}: no .tf files", dir.display())));
    }
    let mut sources = Vec::new();
    for f in files {
        let src = std::fs::read_to_string(&f).map_err(|e| Error::Syntax(format!("{}: {e}", f.display())))?;
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let name = if shown.is_empty() || shown == "." { name } else { format!("{shown}/{name}") };
        sources.push((name, src));
    }
    Ok(sources)
}

/// Parses one file; a syntax error names its line and column.
pub fn parse(file: &str, src: &str) -> Result<Body, Error> {
    hcl::parse(src).map_err(|e| match &e {
        hcl::Error::Parse(p) => {
            let l = p.location();
            let start: usize = src.split_inclusive('\n').take(l.line().saturating_sub(1)).map(str::len).sum();
            let line = src[start..].lines().next().unwrap_or_default();
            let col: usize = line.chars().take(l.column().saturating_sub(1)).map(char::len_utf8).sum();
            Error::config(&Loc::at(file, src, start + col), format!("syntax error: {}", p.message()))
        }
        other => Error::Syntax(format!("{file}: {other}")),
    })
}

fn resource(src: &Src<'_>, mode: Mode, ty: &str, name: &str, body: &Body, loc: Loc) -> Result<Resource, Error> {
    let mut r = Resource {
        mode,
        type_name: ty.to_string(),
        name: name.to_string(),
        repeat: None,
        attributes: Vec::new(),
        blocks: Vec::new(),
        depends_on: Vec::new(),
        provider_key: None,
        lifecycle: Lifecycle::default(),
        loc,
        attr_locs: BTreeMap::new(),
    };
    for (k, v) in attrs(body) {
        let l = src.attr(&k);
        match k.as_str() {
            "count" | "for_each" if r.repeat.is_some() => {
                return Err(Error::config(&l, "a resource cannot have both count and for_each"));
            }
            "count" => r.repeat = Some(Repeat::Count(v)),
            "for_each" => r.repeat = Some(Repeat::ForEach(v)),
            "provider" => r.provider_key = Some(traversal_text(&v)),
            "depends_on" => match &v {
                Expression::Array(items) => {
                    r.depends_on = items.iter().map(traversal_text).collect();
                }
                _ => return Err(Error::config(&l, "depends_on must be a list of resource references")),
            },
            _ => {
                r.attributes.push((k.clone(), v));
            }
        }
        r.attr_locs.insert(k, l);
    }
    for b in body.blocks() {
        let bloc = Loc::find(&src.file, src.text, src.cursor, b.identifier());
        match b.identifier() {
            "lifecycle" => {
                r.attr_locs.insert("lifecycle".into(), bloc.clone());
                conditions(src, b.body(), &mut r.lifecycle, &bloc)?;
                if mode == Mode::Data {
                    continue;
                }
                match b.body().attributes().find(|a| a.key() == "replace_triggered_by").map(|a| a.expr()) {
                    None => {}
                    Some(Expression::Array(items)) => r.lifecycle.replace_triggered_by = items.clone(),
                    Some(_) => {
                        return Err(Error::config(&bloc, "replace_triggered_by must be a list of resource references"));
                    }
                }
                r.lifecycle.prevent_destroy = bool_attr(b.body(), "prevent_destroy", &bloc)?;
                r.lifecycle.create_before_destroy = bool_attr(b.body(), "create_before_destroy", &bloc)?;
                match b.body().attributes().find(|a| a.key() == "ignore_changes").map(|a| a.expr()) {
                    None => {}
                    Some(Expression::Array(items)) => {
                        r.lifecycle.ignore_changes = items.iter().map(traversal_text).collect();
                    }
                    Some(e) if traversal_text(e) == "all" => r.lifecycle.ignore_all = true,
                    Some(_) => {
                        return Err(Error::config(&bloc, "ignore_changes must be a list of attribute names or all"));
                    }
                }
            }
            _ => r.blocks.push(nested_block(src, b)?),
        }
    }
    Ok(r)
}

fn nested_block(src: &Src<'_>, b: &hcl::Block) -> Result<NestedBlock, Error> {
    let loc = Loc::find(&src.file, src.text, src.cursor, b.identifier());
    if b.identifier() != "dynamic" {
        let blocks = b.body().blocks().map(|x| nested_block(src, x)).collect::<Result<_, _>>()?;
        return Ok(NestedBlock {
            type_name: b.identifier().to_string(),
            attributes: attrs(b.body()),
            blocks,
            dynamic: None,
            loc,
        });
    }
    let [label] = b.labels() else { return Err(Error::config(&loc, "a dynamic block takes one label")) };
    let label = label.as_str().to_string();
    let get = |k: &str| b.body().attributes().find(|a| a.key() == k).map(|a| a.expr().clone());
    let for_each = get("for_each").ok_or_else(|| Error::config(&loc, format!("dynamic \"{label}\" needs for_each")))?;
    let iterator = get("iterator").map(|e| traversal_text(&e)).unwrap_or_else(|| label.clone());
    let content = b
        .body()
        .blocks()
        .find(|x| x.identifier() == "content")
        .ok_or_else(|| Error::config(&loc, format!("dynamic \"{label}\" needs a content block")))?;
    let blocks = content.body().blocks().map(|x| nested_block(src, x)).collect::<Result<_, _>>()?;
    Ok(NestedBlock {
        type_name: label,
        attributes: attrs(content.body()),
        blocks,
        dynamic: Some((for_each, iterator)),
        loc,
    })
}
