//! The module layout: an environment's Terraform split into a *module*, what is left of it
//! when its knob values and identity are inputs, and a small *root* module that calls it
//! with this environment's values.
//!
//! Which values are inputs is found, not written down per resource: the inputs are the
//! environment's identity and the values the knob table ([`tierform_model::KNOBS`]) finds in
//! it, and the environment is emitted again with those values replaced by tokens (the
//! probes of [`probe`]); where a token lands, the value is that input. [`merge`] then reads
//! the real blocks against the probes' and keeps a reference only where instantiating it with
//! the environment's own value gives the real value back, so that the module called with the
//! root's arguments is, value for value, the per-environment Terraform.
//!
//! Environments whose modules are byte-identical share one: [`Split::digest`] is the
//! fingerprint of the module's files, and grouping by it is the caller's (tierform-engine's).
//!
//! Most environments of a build share their module with another, so a layout remembers the
//! probes and the modules it has made (see [`ModuleLayout`]): an environment whose probe
//! environment was seen reuses that probe's blocks, and one whose merged module equals, block
//! for block, a module already rendered reuses its files and digest instead of rendering and
//! hashing its own. Both are exact: a probe is a function of its environment (the key is the
//! whole probe environment), and equal blocks render to equal bytes, so the reuse never changes
//! a byte (tests.rs proves it against the plain path on every fixture).

mod merge;
mod probe;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use hcl::expr::{FuncCall, Variable};
use hcl::Expression;
use serde_json::Value;
use tierform_model::{Diagnostics, Environment, FileSet};

use crate::expr::var;
use crate::lower;
use crate::module::{Module, TfFile, TopBlock, B};
use merge::{json_expr, ordinals, signature, Counterparts, Merger};
use probe::{probe_env, Inputs, Kind, Origin, Probe};

/// What splitting needs across the environments of a build: the spec's JSON Schema (for the
/// values of enum knobs) and the probes already emitted, keyed by the probe environment
/// (environments that differ only by knob values and identity share them). One per build;
/// threads share it.
#[derive(Debug)]
pub struct ModuleLayout {
    schema: Value,
    name_width: usize,
    cache: Mutex<BTreeMap<String, Arc<Shared>>>,
    /// The near probes already emitted, by probe environment (tenants of one tier, whose
    /// numbers are equal, share theirs).
    near: Mutex<BTreeMap<String, Arc<Indexed>>>,
    /// Modules already rendered, by the key of their far probe: a few per key, which later
    /// environments compare their blocks with.
    rendered: Mutex<BTreeMap<String, Vec<Arc<Rendered>>>>,
    /// Tests: compare every flip's values, as if no flip were known equal to the far probe.
    #[cfg(test)]
    compare_every_flip: bool,
}

/// How many probe environments, and rendered modules per probe environment, a layout keeps:
/// beyond them (a spec whose every environment has numbers of its own) it emits and renders
/// as if it kept none, so that memory stays bounded whatever the spec.
const KEPT: usize = 64;
const KEPT_PER_KEY: usize = 4;

/// A module's blocks, its files and their digest.
#[derive(Debug)]
struct Rendered {
    module: Module,
    files: FileSet,
    digest: u128,
}

/// The probes that depend only on a probe environment: the far probe and the flips.
#[derive(Debug)]
struct Shared {
    far: Option<Indexed>,
    flips: Vec<Option<Indexed>>,
    /// Per block of the far probe, whether every flip has an equal block in its place (most
    /// blocks: a flip changes a few values). The merge of a block whose far counterpart has
    /// it compares the far probe's values for the flips'.
    flips_like_far: Vec<bool>,
}

/// A probe's blocks and the index of their counterparts.
#[derive(Debug)]
struct Indexed {
    module: Module,
    index: Counterparts,
}

impl Indexed {
    fn new(module: Module) -> Indexed {
        Indexed {
            index: Counterparts::new(&module.blocks),
            module,
        }
    }
}

impl ModuleLayout {
    /// A layout for a spec whose environments have these names. A resource name tierform
    /// cuts to an AWS length limit in the environment with the longest name (with a hash, as
    /// in every layout) is a module input in every environment; the other names are
    /// templates of the environment's name. So environments of one structure share a module
    /// whatever the length of their names. (An environment with a longer name than these, an
    /// ephemeral copy, may get a module of its own.)
    pub fn new<'a>(environment_names: impl IntoIterator<Item = &'a str>) -> ModuleLayout {
        ModuleLayout {
            schema: tierform_model::schema::spec_schema(),
            name_width: environment_names
                .into_iter()
                .map(str::len)
                .max()
                .unwrap_or(0),
            cache: Mutex::new(BTreeMap::new()),
            near: Mutex::new(BTreeMap::new()),
            rendered: Mutex::new(BTreeMap::new()),
            #[cfg(test)]
            compare_every_flip: false,
        }
    }

    /// The Terraform of a cloud environment as a module and a root module: instantiated with
    /// the root's arguments, the module has exactly the blocks of [`crate::emit`] but the
    /// root's (`backend`, `provider`).
    ///
    /// # Errors
    /// `unsupported-environment` for a local environment.
    pub fn split(&self, env: &Environment) -> Result<Split, Diagnostics> {
        let (module, root, key) = self.keyed_parts(env)?;
        Ok(self.finish(key, module, root))
    }

    /// A split from its module's blocks: the files of a module already rendered under `key`
    /// with equal blocks, or its own, rendered (and kept under `key` for the next ones). The
    /// key only says where to look: a module is reused only when its blocks are equal.
    fn finish(&self, key: String, module: Module, root: Root) -> Split {
        let rendered = match self.same_module(&key, &module) {
            Some(r) => r,
            None => {
                let files = module.files();
                let r = Arc::new(Rendered {
                    digest: digest(&files),
                    files,
                    module,
                });
                self.remember(key, &r);
                r
            }
        };
        Split {
            digest: rendered.digest,
            module: rendered,
            root,
        }
    }

    /// A module already rendered whose blocks are these: it has the same files.
    fn same_module(&self, key: &str, module: &Module) -> Option<Arc<Rendered>> {
        let rendered = self.rendered.lock().expect("not poisoned");
        rendered
            .get(key)?
            .iter()
            .find(|r| r.module == *module)
            .cloned()
    }

    fn remember(&self, key: String, r: &Arc<Rendered>) {
        let mut rendered = self.rendered.lock().expect("not poisoned");
        if rendered.len() >= KEPT && !rendered.contains_key(&key) {
            return;
        }
        let kept = rendered.entry(key).or_default();
        if kept.len() < KEPT_PER_KEY && !kept.iter().any(|k| k.digest == r.digest) {
            kept.push(Arc::clone(r));
        }
    }

    /// The module's blocks and the root.
    #[cfg(test)]
    pub(crate) fn parts(&self, env: &Environment) -> Result<(Module, Root), Diagnostics> {
        self.keyed_parts(env).map(|(m, r, _)| (m, r))
    }

    /// The module's blocks, the root, and the key of the far probe (empty when there is none).
    fn keyed_parts(&self, env: &Environment) -> Result<(Module, Root, String), Diagnostics> {
        crate::cloud(env)?;
        let app = serde_json::to_value(&env.app).expect("an application serialises");
        let inputs = Inputs::of(env, &app, &self.schema, self.name_width);
        let real = lower::module(env);
        let (shared, key) = match probe_env(env, &app, &inputs, Probe::Far { flips: 0 }) {
            Some(far_env) => self.shared(&far_env, env, &app, &inputs),
            None => (
                Arc::new(Shared {
                    far: None,
                    flips: Vec::new(),
                    flips_like_far: Vec::new(),
                }),
                String::new(),
            ),
        };
        let near_module = probe_env(env, &app, &inputs, Probe::Near).map(|e| self.near(&e));

        let mut probes: Vec<Option<&Indexed>> = vec![shared.far.as_ref(), near_module.as_deref()];
        probes.extend(shared.flips.iter().map(Option::as_ref));
        let signatures: Vec<String> = real.blocks.iter().map(signature).collect();
        let places = ordinals(&signatures);
        let mut merger = Merger::new(&inputs);
        let mut module = Module::default();
        let mut root = Vec::new();
        let mut outputs = Vec::new();
        for (i, b) in real.blocks.iter().enumerate() {
            let ident = b.block.identifier.as_str();
            match (b.file, ident) {
                (TfFile::Backend, _) | (TfFile::Providers, "provider") => {
                    root.push(b.clone());
                    continue;
                }
                (TfFile::Versions, _) => root.push(b.clone()),
                (TfFile::Outputs, "output") => {
                    if let (Some(label), Some(description)) = (
                        b.block.labels.first(),
                        b.block
                            .body
                            .attributes()
                            .find(|a| a.key.as_str() == "description"),
                    ) {
                        outputs.push((label.as_str().to_owned(), description.expr.clone()));
                    }
                }
                _ => {}
            }
            let counterparts: Vec<Option<&TopBlock>> = probes
                .iter()
                .map(|p| {
                    let p = (*p)?;
                    p.index.of(&p.module.blocks, &signatures[i], places[i])
                })
                .collect();
            let flips_like_far = shared.far.as_ref().is_some_and(|far| {
                far.index
                    .position(&signatures[i], places[i])
                    .is_some_and(|j| shared.flips_like_far[j])
            });
            #[cfg(test)]
            let flips_like_far = flips_like_far && !self.compare_every_flip;
            let mut merged = merger.top(b, &counterparts, flips_like_far);
            if merged.file == TfFile::Providers {
                merged.file = TfFile::Account;
            }
            module.blocks.push(merged);
        }

        // The inputs the module reads: the identity in its order, then knobs and derived
        // values each by name, so that the files depend on nothing but the module's text.
        let mut params: Vec<Param> = Vec::new();
        for (i, v) in inputs.vars.iter().enumerate() {
            if !merger.used[i] {
                continue;
            }
            let (group, description) = match &v.origin {
                Origin::Identity(part) => (0, identity_description(part).to_owned()),
                Origin::Knob(path, kind) => (1, format!("Knob `{path}` ({}).", kind.as_str())),
            };
            let rank = match &v.origin {
                Origin::Identity(part) => ["environment", "tier", "instance"]
                    .iter()
                    .position(|p| p == part)
                    .unwrap_or(0),
                Origin::Knob(..) => 0,
            };
            params.push(Param {
                group,
                rank,
                name: v.name.clone(),
                ty: var_type(v.list, v.leaves.iter().map(|&l| &inputs.leaves[l].kind)),
                description,
                value: json_expr(&v.value),
            });
        }
        for d in &merger.derived {
            params.push(Param {
                group: 2,
                rank: 0,
                name: d.name.clone(),
                ty: value_type(&d.value),
                description: format!(
                    "Computed by tierform from this environment's knob values or identity (`{}`).",
                    d.site
                ),
                value: d.value.clone(),
            });
        }
        params.sort_by(|a, b| (a.group, a.rank, &a.name).cmp(&(b.group, b.rank, &b.name)));
        for p in &params {
            module.push(
                TfFile::Variables,
                "inputs",
                B::new("variable")
                    .label(&p.name)
                    .attr("description", p.description.as_str())
                    .attr("type", p.ty.clone()),
            );
        }
        let root = Root {
            blocks: root,
            args: params
                .into_iter()
                .map(|p| (p.group, p.name, p.value))
                .collect(),
            outputs,
        };
        Ok((module, root, key))
    }

    /// The near probe of a probe environment, emitted once per build.
    fn near(&self, near_env: &Environment) -> Arc<Indexed> {
        let key = serde_json::to_string(near_env).expect("an environment serialises");
        if let Some(m) = self.near.lock().expect("not poisoned").get(&key) {
            return Arc::clone(m);
        }
        let module = Arc::new(Indexed::new(lower::module(near_env)));
        let mut near = self.near.lock().expect("not poisoned");
        if near.len() >= KEPT {
            return module;
        }
        near.entry(key).or_insert(module).clone()
    }

    /// The far probe and the flips of a probe environment, emitted once per build.
    fn shared(
        &self,
        far_env: &Environment,
        env: &Environment,
        app: &Value,
        inputs: &Inputs,
    ) -> (Arc<Shared>, String) {
        let key = serde_json::to_string(far_env).expect("an environment serialises");
        if let Some(s) = self.cache.lock().expect("not poisoned").get(&key) {
            return (Arc::clone(s), key);
        }
        let bits = usize::BITS - inputs.finite.len().leading_zeros();
        let flips: Vec<Option<Indexed>> = (0..bits)
            .map(|j| {
                probe_env(env, app, inputs, Probe::Far { flips: 1 << j })
                    .map(|e| Indexed::new(lower::module(&e)))
            })
            .collect();
        let far = Indexed::new(lower::module(far_env));
        let flips_like_far = flips_like_far(&far, &flips);
        let shared = Arc::new(Shared {
            far: Some(far),
            flips,
            flips_like_far,
        });
        let shared = self
            .cache
            .lock()
            .expect("not poisoned")
            .entry(key.clone())
            .or_insert(shared)
            .clone();
        (shared, key)
    }
}

/// Per block of the far probe, whether each flip has an equal block at the same signature and
/// place (a flip that could not be emitted has none).
fn flips_like_far(far: &Indexed, flips: &[Option<Indexed>]) -> Vec<bool> {
    let signatures: Vec<String> = far.module.blocks.iter().map(signature).collect();
    let places = ordinals(&signatures);
    far.module
        .blocks
        .iter()
        .enumerate()
        .map(|(j, b)| {
            flips.iter().all(|f| {
                f.as_ref().is_some_and(|f| {
                    f.index.of(&f.module.blocks, &signatures[j], places[j]) == Some(b)
                })
            })
        })
        .collect()
}

/// One input of a module, as its `variable` block declares it and its root passes it.
struct Param {
    /// 0 identity, 1 knob, 2 derived.
    group: u8,
    rank: usize,
    name: String,
    ty: Expression,
    description: String,
    value: Expression,
}

fn identity_description(part: &str) -> &'static str {
    match part {
        "environment" => "The environment's name (its tier, or <tier>-<instance>): part of the name of every resource.",
        "tier" => "The environment's tier.",
        _ => "The environment's tenant or instance.",
    }
}

/// `string`, `number`, `bool`, or `list(...)` of one.
fn var_type<'k>(list: bool, kinds: impl Iterator<Item = &'k Kind>) -> Expression {
    let mut kinds = kinds.peekable();
    let scalar = match kinds.peek() {
        Some(Kind::Number) => "number",
        Some(Kind::Flag) => "bool",
        _ => "string",
    };
    let ty = Expression::Variable(Variable::unchecked(scalar));
    if list {
        FuncCall::builder("list").arg(ty).build().into()
    } else {
        ty
    }
}

fn value_type(e: &Expression) -> Expression {
    let scalar = |s: &str| Expression::Variable(Variable::unchecked(s));
    match e {
        Expression::Number(_) => scalar("number"),
        Expression::Bool(_) => scalar("bool"),
        Expression::Array(_) => FuncCall::builder("list")
            .arg(scalar("string"))
            .build()
            .into(),
        _ => scalar("string"),
    }
}

/// A digest of a file set (XXH3-128 of every path and text).
fn digest(files: &FileSet) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for (path, text) in files.iter() {
        h.update(path.as_str().as_bytes());
        h.update(&[0]);
        h.update(text.as_bytes());
        h.update(&[0]);
    }
    h.digest128()
}

/// One environment's Terraform in the module layout: the module (shared by every
/// environment whose module has the same bytes) and the root.
#[derive(Debug, Clone)]
pub struct Split {
    digest: u128,
    module: Arc<Rendered>,
    root: Root,
}

impl Split {
    /// The fingerprint of the module's files: two environments share a module exactly when
    /// their digests are equal.
    pub fn digest(&self) -> u128 {
        self.digest
    }
    /// The module's files, named relative to its folder: `variables.tf`, the resources'
    /// files, `outputs.tf`.
    pub fn module_files(&self) -> &FileSet {
        &self.module.files
    }
    /// The module's files, shared with every split of the same module this layout made.
    pub fn shared_module_files(&self) -> ModuleFiles {
        ModuleFiles(Arc::clone(&self.module))
    }
    /// The root module: what the environment's own folder holds.
    pub fn root(&self) -> &Root {
        &self.root
    }
    /// The root module alone (the module's files dropped).
    pub fn into_root(self) -> Root {
        self.root
    }
}

/// What [`Root::rendered`] renders the module's folder as until it is known.
const SOURCE_MARK: &str = "tierform-module-source-0c1f8a52";

/// A root module rendered but for the module's folder (see [`Root::rendered`]).
#[derive(Debug, Clone)]
pub struct RenderedRoot(Rendering);

#[derive(Debug, Clone)]
enum Rendering {
    /// `main.tf` as the text before and after the quoted folder, and the other files.
    Cut {
        before: String,
        after: String,
        rest: FileSet,
    },
    Blocks(Root),
}

impl RenderedRoot {
    /// The files of the root module, as [`Root::files`] renders them for this `source`.
    pub fn files(&self, source: &str) -> FileSet {
        match &self.0 {
            Rendering::Cut {
                before,
                after,
                rest,
            } => {
                let mut main = String::with_capacity(before.len() + source.len() + after.len() + 2);
                main.push_str(before);
                crate::expr::write_quoted(&mut main, source);
                main.push_str(after);
                let mut files = rest.clone();
                files.insert(TfFile::Main.name(), main);
                files
            }
            Rendering::Blocks(root) => root.files(source),
        }
    }
}

/// A module's files, shared (cheap to clone and to keep).
#[derive(Debug, Clone)]
pub struct ModuleFiles(Arc<Rendered>);

impl ModuleFiles {
    /// The files, named relative to the module's folder.
    pub fn files(&self) -> &FileSet {
        &self.0.files
    }
}

/// The root module of an environment in the module layout: its Terraform and provider
/// versions, its state backend, the provider with the environment's default tags, one
/// `module "app"` call with the environment's identity and knob values, and the module's
/// outputs re-exported.
#[derive(Debug, Clone)]
pub struct Root {
    blocks: Vec<TopBlock>,
    /// Group (identity, knob, derived), name and value of each argument.
    args: Vec<(u8, String, Expression)>,
    outputs: Vec<(String, Expression)>,
}

impl Root {
    /// The files of the root module, named relative to the environment's folder; `source` is
    /// the module's folder as Terraform reads it from there (`../modules/production`).
    pub fn files(&self, source: &str) -> FileSet {
        let mut m = Module {
            blocks: self.blocks.clone(),
        };
        let mut call = B::new("module").label("app").attr("source", source);
        let mut group = None;
        for (g, name, value) in &self.args {
            if group != Some(*g) {
                call = call.gap();
                group = Some(*g);
            }
            call = call.attr(name, value.clone());
        }
        m.push(TfFile::Main, "module", call);
        for (name, description) in &self.outputs {
            m.push(
                TfFile::Outputs,
                "outputs",
                B::new("output")
                    .label(name)
                    .attr("description", description.clone())
                    .attr("value", var("module").attr("app").attr(name)),
            );
        }
        m.files()
    }

    /// The files of the root module as text, but for the module's folder, which is written in
    /// when it is known ([`RenderedRoot::files`]): what a build keeps of each environment
    /// between splitting every environment and writing it, a few KiB of text instead of
    /// the blocks.
    pub fn rendered(&self) -> RenderedRoot {
        let files = self.files(SOURCE_MARK);
        let quoted = {
            let mut q = String::new();
            crate::expr::write_quoted(&mut q, SOURCE_MARK);
            q
        };
        let main = files.get(TfFile::Main.name()).unwrap_or_default();
        let marks = files.iter().map(|(_, t)| t.matches(SOURCE_MARK).count());
        match main.find(&quoted) {
            // The mark once, in the call's `source`, alone in its group (no alignment
            // depends on its length): the text around it is the text around any folder.
            Some(at) if marks.sum::<usize>() == 1 => {
                let mut rest = FileSet::new();
                for (path, text) in files.iter() {
                    if path.as_str() != TfFile::Main.name() {
                        rest.insert(path.as_str(), text.to_owned());
                    }
                }
                RenderedRoot(Rendering::Cut {
                    before: main[..at].to_owned(),
                    after: main[at + quoted.len()..].to_owned(),
                    rest,
                })
            }
            // A value of the spec holds the mark: the blocks are kept.
            _ => RenderedRoot(Rendering::Blocks(self.clone())),
        }
    }

    /// The arguments of the module call, by name.
    pub fn arguments(&self) -> impl Iterator<Item = (&str, &Expression)> {
        self.args.iter().map(|(_, n, v)| (n.as_str(), v))
    }
}

#[cfg(test)]
mod tests;
