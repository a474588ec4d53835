//! # tierform-engine
//!
//! tierform as a library: everything the `tierform` binary does except touch the disk. It
//! picks the emitter of each environment (docker-compose for local ones, Terraform for cloud
//! ones, Kubernetes manifests for those on EKS), names the files as the output folder lays
//! them out, renders the kustomize base from the environment the others mirror, and gives
//! parity its view of an environment.
//!
//! ```text
//! Model ──resolve──▶ [Environment] ──environment_files──▶ FileSet per environment ─┐
//!   │                      └──kustomize_base──▶ FileSet (k8s/base) ──────────────────┴▶ generate
//!   └──check: every environment resolved, every mirror pair compared on emitted_objects
//! ```
//!
//! [`generate`] returns a whole or partial build in memory, every path relative to the output
//! folder: `terraform/<env>/…`, `k8s/base/…` with `k8s/overlays/<env>/…` (or `k8s/<env>/…`
//! with [`K8sLayout::Flat`]) and `compose/<env>/…`. With [`TfLayout::Module`] the Terraform of
//! each structure is written once, in `terraform/modules/<structure>/`, and `terraform/<env>/`
//! holds a small root module that calls it with the environment's identity and knob values.
//! A build of thousands of environments is better streamed: call [`resolve`],
//! [`kustomize_base`] (and [`terraform_modules`], which splits every environment first and
//! keeps only its root module) and then [`environment_files`] (or
//! [`TerraformModules::environment_files`]) one environment at a time, as the CLI does, so only
//! one environment's files are in memory per thread.
//!
//! ```
//! use tierform_engine::model::{Format, Model, Source};
//! use tierform_engine::{generate, K8sLayout, Options};
//!
//! let spec = include_str!("../../../fixtures/ecommerce.hcl");
//! let model = Model::parse(Source::new("ecommerce.hcl", spec), Format::Hcl)?;
//!
//! // Every environment: dev on docker-compose, staging and production on Terraform and EKS.
//! let build = generate(&model, &Options::default())?;
//! assert!(build.get("compose/dev/docker-compose.yml").is_some());
//! assert!(build.get("terraform/production/versions.tf").is_some());
//! assert!(build.get("k8s/base/kustomization.yaml").is_some());
//! assert!(build.get("k8s/overlays/staging/kustomization.yaml").is_some());
//!
//! // Staging alone, its manifests fully rendered, and the state bucket it shares with
//! // production (whose policy keeps each environment's roles to its own state).
//! let options = Options::default()
//!     .with_environments(["staging"])
//!     .with_k8s_layout(K8sLayout::Flat);
//! let staging = generate(&model, &options)?;
//! assert!(staging.iter().all(|(path, _)| {
//!     let path = path.as_str();
//!     path.starts_with("terraform/staging/")
//!         || path.starts_with("k8s/staging/")
//!         || path.starts_with("terraform/state/ecommerce-terraform-state/")
//! }));
//!
//! // Parity: staging keeps production's structure.
//! let checked = tierform_engine::check(&model)?;
//! assert!(checked.holds());
//! # Ok::<(), tierform_engine::model::Diagnostics>(())
//! ```
//!
//! ## The Kubernetes API version
//!
//! The manifests are built from k8s-openapi types, and k8s-openapi needs exactly one API
//! version feature in a build. Libraries leave it to the binary: a program using this crate
//! adds `k8s-openapi = { version = "0.29", features = ["v1_33"] }` to its own dependencies.
//!
//! ## Threads
//!
//! [`resolve`], [`generate`] and [`check`] work on every core with rayon: environments and
//! mirror pairs are independent, and resolving and emitting them is CPU-bound. They run on the
//! caller's rayon pool when called inside `ThreadPool::install`, and their results never
//! depend on the scheduling: they are collected in order (and a [`FileSet`] is ordered by
//! path).
#![warn(missing_docs)]

use rayon::prelude::*;
use tierform_model::parity::{Emit, EmittedObject, ParityReport};
use tierform_model::{Diagnostics, Environment, EnvironmentId, FileSet, Model, Runtime};

mod affected;
mod fleet;
mod modules;
mod state;

pub use affected::{affected, AffectedEnvironment, Change, Committed, GENERATOR};

pub use modules::{terraform_modules, Structure, TerraformModules};
pub use state::{state_buckets, STATE_BUCKETS};
pub use tierform_emit_compose as compose;
pub use tierform_emit_delivery as delivery;
pub use tierform_emit_k8s as k8s;
pub use tierform_emit_terraform as terraform;
pub use tierform_model as model;

/// Where the kustomize base goes, relative to the output folder.
pub const KUSTOMIZE_BASE: &str = "k8s/base";

/// How Kubernetes manifests are laid out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum K8sLayout {
    /// A kustomize base in `k8s/base/`, rendered from the environment the others mirror, plus
    /// one overlay of knob values per environment in `k8s/overlays/<env>/`.
    #[default]
    Overlays,
    /// Every object of each environment fully rendered in `k8s/<env>/`.
    Flat,
}

/// How Terraform is laid out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TfLayout {
    /// One root module per environment in `terraform/<env>/`, holding every resource.
    #[default]
    PerEnvironment,
    /// The Terraform of each structure written once, as a module in
    /// `terraform/modules/<structure>/`, and each environment as a small root module in
    /// `terraform/<env>/` that calls it with the environment's identity and knob values
    /// (see [`terraform_modules`]).
    Module,
}

/// Where the modules of [`TfLayout::Module`] go, relative to the output folder.
pub const TERRAFORM_MODULES: &str = "terraform/modules";

/// What to build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// The environments, by name: declared ones, or ephemeral copies such as `bugfix-1234`.
    /// Empty: every declared environment.
    pub environments: Vec<String>,
    /// How Kubernetes manifests are laid out.
    pub k8s_layout: K8sLayout,
    /// How Terraform is laid out.
    pub tf_layout: TfLayout,
    /// Also the delivery files of the spec's `delivery` block (whole builds only): see
    /// [`delivery_files`].
    pub delivery: bool,
}

impl Options {
    /// Builds only these environments.
    pub fn with_environments<S: Into<String>>(
        mut self,
        names: impl IntoIterator<Item = S>,
    ) -> Options {
        self.environments = names.into_iter().map(Into::into).collect();
        self
    }
    /// Lays Kubernetes manifests out this way.
    pub fn with_k8s_layout(mut self, layout: K8sLayout) -> Options {
        self.k8s_layout = layout;
        self
    }
    /// Lays Terraform out this way.
    pub fn with_tf_layout(mut self, layout: TfLayout) -> Options {
        self.tf_layout = layout;
        self
    }
    /// Writes the delivery files too (CI workflows, Atlantis, Argo CD).
    pub fn with_delivery(mut self, delivery: bool) -> Options {
        self.delivery = delivery;
        self
    }
}

/// Every file of a build, in memory: the kustomize base when it is needed, then each
/// environment's files, named relative to the output folder.
///
/// # Errors
/// An unknown environment name, or any problem of any selected environment (see
/// [`resolve`]): all of them, and no file.
pub fn generate(model: &Model, options: &Options) -> Result<FileSet, Diagnostics> {
    let envs = resolve(model, &options.environments)?;
    let layout = options.k8s_layout;
    let mut files = kustomize_base(model, &envs, layout)?.unwrap_or_default();
    files.extend(state_buckets(model, &envs)?);
    let modules = match options.tf_layout {
        TfLayout::PerEnvironment => None,
        TfLayout::Module => Some(terraform_modules(model, &envs)?),
    };
    let per_env: Vec<FileSet> = envs
        .par_iter()
        .map(|e| match &modules {
            Some(m) => m.environment_files(e, layout),
            None => environment_files(e, layout),
        })
        .collect();
    for f in per_env {
        files.extend(f);
    }
    if options.delivery && options.environments.is_empty() {
        files.extend(delivery_files(model, &envs, options)?);
    }
    Ok(files)
}

/// The environments named, or every declared one when `names` is empty, resolved and
/// validated, in the order given (promotion order for all of them).
///
/// # Errors
/// Every unknown name (with a "did you mean"), else every problem of every environment, each
/// once with the environments it affects.
pub fn resolve(model: &Model, names: &[String]) -> Result<Vec<Environment>, Diagnostics> {
    resolve_with_warnings(model, names).map(|(envs, _)| envs)
}

/// [`resolve`], and the warnings of the spec and of those environments (what `check` would
/// report for them), so a build says what it was not asked to refuse.
///
/// # Errors
/// As [`resolve`].
pub fn resolve_with_warnings(
    model: &Model,
    names: &[String],
) -> Result<(Vec<Environment>, Diagnostics), Diagnostics> {
    let ids = environment_ids(model, names)?;
    let resolved: Vec<Result<(Environment, Diagnostics), Diagnostics>> = ids
        .par_iter()
        .map(|id| {
            let (env, warnings) = model.resolve_with_warnings(id)?;
            Ok((raw_addresses_free(model, id, env)?, warnings))
        })
        .collect();
    let mut errors = Diagnostics::default();
    let mut warnings = model.warnings().clone();
    let mut envs = Vec::with_capacity(resolved.len());
    for r in resolved {
        match r {
            Ok((e, w)) => {
                envs.push(e);
                warnings.0.extend(w.0);
            }
            Err(ds) => errors.0.extend(ds.0),
        }
    }
    if errors.has_errors() {
        errors.normalize();
        return Err(errors);
    }
    warnings.normalize();
    Ok((envs, warnings))
}

/// The ids of the environments named, or of every declared one when `names` is empty.
///
/// # Errors
/// Every unknown name, with a "did you mean".
pub fn environment_ids(model: &Model, names: &[String]) -> Result<Vec<EnvironmentId>, Diagnostics> {
    if names.is_empty() {
        return Ok(model.environments());
    }
    let mut ids = Vec::with_capacity(names.len());
    let mut unknown = Diagnostics::default();
    for n in names {
        match model.environment(n) {
            Ok(id) => ids.push(id),
            Err(ds) => unknown.0.extend(ds.0),
        }
    }
    if unknown.has_errors() {
        return Err(unknown);
    }
    Ok(ids)
}

/// The kustomize base the overlays of `envs` refer to, under [`KUSTOMIZE_BASE`]: `None` when
/// the layout is [`K8sLayout::Flat`] or none of `envs` runs on Kubernetes. It is rendered from
/// the reference environment, the first of the tier most others mirror (production, usually),
/// so that the overlays of mirroring tiers only carry knob values.
///
/// # Errors
/// The reference environment does not resolve, or does not run on Kubernetes.
pub fn kustomize_base(
    model: &Model,
    envs: &[Environment],
    layout: K8sLayout,
) -> Result<Option<FileSet>, Diagnostics> {
    if layout != K8sLayout::Overlays || !envs.iter().any(Environment::runs_kubernetes) {
        return Ok(None);
    }
    let reference = match base_reference(model) {
        Some(id) => model.resolve(&id)?,
        // No declared cloud environment (only ephemeral copies): the first of those built.
        None => envs
            .iter()
            .find(|e| e.runs_kubernetes())
            .expect("checked above")
            .clone(),
    };
    let mut files = FileSet::new();
    files.extend_under(KUSTOMIZE_BASE, tierform_emit_k8s::base(&reference)?);
    Ok(Some(files))
}

/// The environment the kustomize base is built from: the first of the tier that most others
/// mirror (production, in every seed), so overlays of mirroring tiers only carry knobs.
fn base_reference(model: &Model) -> Option<EnvironmentId> {
    let tiers = model.tiers();
    let mirrored = |name: &str| {
        tiers
            .iter()
            .filter(|t| t.mirrors.as_deref() == Some(name))
            .count()
    };
    let ids = model.environments();
    let mut order: Vec<usize> = (0..tiers.len()).collect();
    order.sort_by_key(|&i| {
        (
            std::cmp::Reverse(mirrored(&tiers[i].name)),
            std::cmp::Reverse(tiers[i].production),
            i,
        )
    });
    order.into_iter().find_map(|ti| {
        ids.iter()
            .find(|id| id.tier_index() == ti && tiers[ti].runtime == Runtime::Cloud)
            .cloned()
    })
}

/// Every file of one environment, named relative to the output folder: `compose/<env>/…` for
/// a local environment; `terraform/<env>/…` for a cloud one, with `k8s/overlays/<env>/…` (or
/// `k8s/<env>/…` in the flat layout) when it runs on Kubernetes. The base its overlay refers
/// to comes from [`kustomize_base`].
pub fn environment_files(env: &Environment, layout: K8sLayout) -> FileSet {
    files_with(env, layout, |files| {
        files.extend_under(
            &format!("terraform/{}", env.name),
            tierform_emit_terraform::emit(env).expect(CHOSEN),
        );
    })
}

/// Each emitter is chosen for the environments it handles, so none refuses.
const CHOSEN: &str = "the emitter is chosen by runtime and platform";

/// Every file of one environment, its Terraform written by `terraform`.
fn files_with(
    env: &Environment,
    layout: K8sLayout,
    terraform: impl FnOnce(&mut FileSet),
) -> FileSet {
    let mut files = FileSet::new();
    let name = &env.name;
    match env.runtime {
        Runtime::Local => files.extend_under(
            &format!("compose/{name}"),
            tierform_emit_compose::emit(env).expect(CHOSEN),
        ),
        Runtime::Cloud => {
            terraform(&mut files);
            if env.runs_kubernetes() {
                match layout {
                    K8sLayout::Overlays => files.extend_under(
                        &format!("k8s/overlays/{name}"),
                        tierform_emit_k8s::overlay(env).expect(CHOSEN),
                    ),
                    K8sLayout::Flat => files.extend_under(
                        &format!("k8s/{name}"),
                        tierform_emit_k8s::flat(env).expect(CHOSEN),
                    ),
                }
            }
        }
    }
    files
}

/// Every folder, relative to the output folder, that can hold files of the environment named
/// `name` in any layout: what a partial build owns for it.
pub fn environment_folders(name: &str) -> [String; 4] {
    [
        format!("terraform/{name}"),
        format!("compose/{name}"),
        format!("k8s/overlays/{name}"),
        format!("k8s/{name}"),
    ]
}

/// What an environment compiles to, as data for parity: its Terraform resources and, when it
/// runs on Kubernetes, its fully rendered objects; nothing for a local environment. This is
/// the `emit` callback of [`tierform_model::parity::compare`]. It does not depend on the layouts: in the
/// module layout ([`TfLayout::Module`]) an environment's module, called with its root's
/// arguments, has exactly these resources (tierform-emit-terraform tests it on every
/// fixture), so parity verdicts are the same in every layout.
pub fn emitted_objects(env: &Environment) -> Vec<EmittedObject> {
    cloud_objects(
        env,
        tierform_emit_terraform::objects,
        tierform_emit_k8s::objects,
    )
}

/// The ids and components of [`emitted_objects`], data left `null`, built without converting
/// any object to data ([`Emit::presence`]).
pub fn emitted_presence(env: &Environment) -> Vec<EmittedObject> {
    cloud_objects(
        env,
        tierform_emit_terraform::presence,
        tierform_emit_k8s::presence,
    )
}

type EmitterFn = fn(&Environment) -> Result<Vec<EmittedObject>, Diagnostics>;

/// A cloud environment's Terraform objects, then its Kubernetes objects when it runs on
/// Kubernetes; nothing for a local environment.
fn cloud_objects(env: &Environment, terraform: EmitterFn, k8s: EmitterFn) -> Vec<EmittedObject> {
    match env.runtime {
        Runtime::Local => Vec::new(),
        Runtime::Cloud => {
            let mut o = terraform(env).expect(CHOSEN);
            if env.runs_kubernetes() {
                o.extend(k8s(env).expect(CHOSEN));
            }
            o
        }
    }
}

/// tierform's emitters as parity compares them: [`emitted_objects`], and
/// [`emitted_presence`] where parity asks only which objects there are. What `check` uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct Emitters;

impl Emit for Emitters {
    fn objects(&self, env: &Environment) -> Vec<EmittedObject> {
        emitted_objects(env)
    }

    fn presence(&self, env: &Environment) -> Vec<EmittedObject> {
        emitted_presence(env)
    }
}

/// [`Model::check`], plus what only an emitter knows: a raw block taking the Terraform
/// address of one of tierform's own objects. The gate of `check` and `diff`: every problem of
/// every environment, and their warnings.
pub fn validate(model: &Model) -> Diagnostics {
    fleet::validate(model, false).1
}

/// `env` when none of its raw blocks takes a Terraform address tierform's own objects use.
/// The model checks raw blocks against the provider; which addresses tierform uses only the
/// Terraform emitter knows, so the engine asks it before anything is emitted.
pub(crate) fn raw_addresses_free(
    model: &Model,
    id: &EnvironmentId,
    env: Environment,
) -> Result<Environment, Diagnostics> {
    let mut taken = tierform_emit_terraform::raw_conflicts(&env);
    taken.extend(tierform_emit_k8s::raw_conflicts(&env));
    if taken.is_empty() {
        Ok(env)
    } else {
        Err(Diagnostics(
            taken.into_iter().map(|d| model.locate_in(id, d)).collect(),
        ))
    }
}

/// What [`check`] found in a spec that is valid.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CheckReport {
    /// How many declared environments resolved cleanly: all of them.
    pub environments: usize,
    /// The warnings of the spec and of its environments.
    pub warnings: Diagnostics,
    /// The parity of every mirror pair ([`Model::mirror_pairs`]), in that order.
    pub parity: Vec<ParityReport>,
}

impl CheckReport {
    /// Whether parity holds for every pair.
    pub fn holds(&self) -> bool {
        self.parity.iter().all(ParityReport::holds)
    }
}

/// What `tierform check` does: resolves and validates every declared environment, then
/// compares every mirror pair on what it compiles to ([`emitted_objects`]).
///
/// # Errors
/// Every problem of every environment; else the first pair that cannot be compared.
pub fn check(model: &Model) -> Result<CheckReport, Diagnostics> {
    let checked = check_each(model, |r| r)?;
    Ok(CheckReport {
        environments: checked.environments,
        warnings: checked.warnings,
        parity: checked.parity,
    })
}

/// What [`check_each`] found: [`CheckReport`] with each pair's report turned into a `T`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CheckedEach<T> {
    /// How many declared environments resolved cleanly: all of them.
    pub environments: usize,
    /// The warnings of the spec and of its environments.
    pub warnings: Diagnostics,
    /// `each` of the parity report of every mirror pair ([`Model::mirror_pairs`]), in that order.
    pub parity: Vec<T>,
}

/// [`check`], handing each pair's report to `each` (on any thread) as soon as it is made and
/// keeping only what `each` returns: a fleet of thousands of environments need not hold every
/// report in memory (the CLI keeps each one's text).
///
/// # Errors
/// As [`check`].
pub fn check_each<T: Send>(
    model: &Model,
    each: impl Fn(ParityReport) -> T + Sync,
) -> Result<CheckedEach<T>, Diagnostics> {
    // The delivery's rules need every resolved environment (smoke-tested services, Argo CD):
    // only a spec with a `delivery` block pays for holding them all.
    let delivery = model.delivery().is_some();
    let (environments, warnings, envs) = fleet::validate(model, delivery);
    if warnings.has_errors() {
        return Err(warnings);
    }
    if delivery {
        delivery_plan(model, &envs, &Options::default())?;
    }
    // Pairs are independent: compared on every core, a group of pairs that share environments
    // at a time (see `fleet`), reported in order.
    let pairs = model.mirror_pairs();
    let (hubs, groups) = fleet::groups(&pairs);
    let shared = fleet::shared(model, &hubs, &Emitters);
    let mut compared: Vec<(usize, Result<T, Diagnostics>)> = groups
        .par_iter()
        .flat_map_iter(|g| {
            fleet::compare_group(model, &pairs, g, &Emitters, &shared)
                .into_iter()
                .map(|(i, r)| (i, r.map(&each)))
        })
        .collect();
    compared.sort_by_key(|(i, _)| *i);
    let parity = compared
        .into_iter()
        .map(|(_, r)| r)
        .collect::<Result<_, _>>()?;
    Ok(CheckedEach {
        environments,
        warnings,
        parity,
    })
}

/// The build's layouts as the delivery files see them.
fn delivery_layout(options: &Options) -> tierform_emit_delivery::Layout {
    let mut l = tierform_emit_delivery::Layout::default();
    l.k8s_flat = options.k8s_layout == K8sLayout::Flat;
    l.tf_module = options.tf_layout == TfLayout::Module;
    l
}

/// The delivery of every declared environment (`envs`, resolved), from the spec's `delivery`
/// block: `None` without one.
///
/// # Errors
/// What the delivery cannot do with these environments, located in the `delivery` block.
pub fn delivery_plan(
    model: &Model,
    envs: &[Environment],
    options: &Options,
) -> Result<Option<tierform_emit_delivery::Plan>, Diagnostics> {
    tierform_emit_delivery::plan(
        model,
        envs,
        delivery_layout(options),
        env!("CARGO_PKG_VERSION"),
    )
}

/// The delivery files (`.github/workflows/tierform-*.yml`, `atlantis.yaml`, `argocd/*.yaml`)
/// of every declared environment, `envs` resolved: empty without a `delivery` block.
///
/// # Errors
/// As [`delivery_plan`].
pub fn delivery_files(
    model: &Model,
    envs: &[Environment],
    options: &Options,
) -> Result<FileSet, Diagnostics> {
    Ok(delivery_plan(model, envs, options)?
        .map(|p| tierform_emit_delivery::emit(&p))
        .unwrap_or_default())
}
