//! The module layout of Terraform ([`crate::TfLayout::Module`]): which environments share a
//! structure, what each structure's module is called, and which environment writes it.

use std::collections::BTreeMap;

use rayon::prelude::*;
use tierform_emit_terraform::{ModuleFiles, ModuleLayout, RenderedRoot};
use tierform_model::{
    Diagnostic, Diagnostics, Environment, FieldPath, FileSet, Model, Runtime, Tier,
};

use crate::{files_with, K8sLayout, TERRAFORM_MODULES};

/// One structure: the environments whose modules are byte-identical, and the module's name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Structure {
    /// The module's folder name under [`TERRAFORM_MODULES`]: the tier the structure's other
    /// tiers mirror (`production`), or, for a second structure of that tier, the name of its
    /// first environment (`production-acme`).
    pub name: String,
    /// Its environments: the declared ones in promotion order, then the ephemeral copies
    /// being built.
    pub environments: Vec<String>,
    /// The first environment being built that has this structure: it writes the module. `None`
    /// when no environment being built has it.
    pub writer: Option<String>,
}

/// The Terraform structures of a build and each environment's root module: computed for every
/// environment before any file is written, so that each module is written once, by one
/// environment, while the others are streamed.
#[derive(Debug)]
pub struct TerraformModules {
    structures: Vec<Structure>,
    /// Per structure, the module's files when an environment being built writes them.
    modules: Vec<Option<ModuleFiles>>,
    /// Per environment being built: its structure and root module, rendered but for the
    /// module's folder (text, not blocks: a build of thousands keeps one per environment).
    roots: BTreeMap<String, (usize, RenderedRoot)>,
}

/// The structures of the module layout for a build of `envs` (resolved with
/// [`crate::resolve`]): every declared cloud environment of the model is split into a module
/// and a root module ([`ModuleLayout::split`]), the environments being built and the others,
/// because a structure's name depends on all of its environments; those that are not being
/// built and do not resolve are left out. Environments whose modules are byte-identical have
/// one structure.
///
/// A structure is named after the tier that its other tiers mirror (the tier mirrored,
/// directly or not, by most of them; a production tier first; then the first): staging and
/// production share `production`, and adding or removing an environment elsewhere, or changing
/// a knob or the structure of every environment at once, never renames it. A second structure
/// that the same tier names is named after its first environment of that tier.
///
/// # Errors
/// `reserved-name` when a cloud environment is called `modules`, which is where the modules go.
pub fn terraform_modules(
    model: &Model,
    envs: &[Environment],
) -> Result<TerraformModules, Diagnostics> {
    let declared = model.environments();
    let mut reserved = Diagnostics::default();
    for e in envs.iter().filter(|e| e.runtime == Runtime::Cloud) {
        if e.name == "modules" {
            reserved.0.push(
                Diagnostic::error(
                    "reserved-name",
                    FieldPath(vec!["tier".into(), e.tier.clone()]),
                    "an environment named `modules` would share its folder with the Terraform modules (terraform/modules/)",
                )
                .with_help("rename the tier, or build with the per-environment Terraform layout"),
            );
        }
    }
    if reserved.has_errors() {
        return Err(reserved);
    }
    let layout = ModuleLayout::new(declared.iter().map(|id| id.name.as_str()));

    // Every environment a structure may hold: the declared ones, then the ephemeral copies
    // being built; each with whether it is being built.
    let building: BTreeMap<&str, &Environment> =
        envs.iter().map(|e| (e.name.as_str(), e)).collect();
    enum Candidate<'a> {
        Building(&'a Environment),
        Other(tierform_model::EnvironmentId),
    }
    let mut candidates: Vec<Candidate> = Vec::new();
    for id in &declared {
        match building.get(id.name.as_str()) {
            Some(e) => candidates.push(Candidate::Building(e)),
            None => candidates.push(Candidate::Other(id.clone())),
        }
    }
    for e in envs {
        if !declared.iter().any(|id| id.name == e.name) {
            candidates.push(Candidate::Building(e));
        }
    }
    // (name, tier, digest, root and module when being built)
    type Split = (String, String, u128, Option<(RenderedRoot, ModuleFiles)>);
    let splits: Vec<Option<Split>> = candidates
        .par_iter()
        .map(|c| {
            let (env, owned);
            match c {
                Candidate::Building(e) => env = *e,
                Candidate::Other(id) => {
                    owned = model.resolve(id).ok()?;
                    env = &owned;
                }
            }
            if env.runtime != Runtime::Cloud {
                return None;
            }
            let split = layout.split(env).expect("cloud environments split");
            let digest = split.digest();
            let built = matches!(c, Candidate::Building(_))
                .then(|| (split.shared_module_files(), split.root().rendered()));
            Some((
                env.name.clone(),
                env.tier.clone(),
                digest,
                built.map(|(m, r)| (r, m)),
            ))
        })
        .collect();

    let mut by_digest: BTreeMap<u128, usize> = BTreeMap::new();
    let mut members: Vec<Vec<(String, String)>> = Vec::new();
    let mut writers: Vec<Option<(String, ModuleFiles)>> = Vec::new();
    let mut roots = BTreeMap::new();
    for (name, tier, digest, built) in splits.into_iter().flatten() {
        let s = *by_digest.entry(digest).or_insert_with(|| {
            members.push(Vec::new());
            writers.push(None);
            members.len() - 1
        });
        members[s].push((name.clone(), tier));
        if let Some((root, module)) = built {
            writers[s].get_or_insert_with(|| (name.clone(), module));
            roots.insert(name, (s, root));
        }
    }
    // The probes and modules the layout kept are many small allocations: a pool thread frees
    // them while the build goes on (instead of this one, before it can write anything).
    rayon::spawn(move || drop(layout));
    let names = structure_names(model.tiers(), &members);
    let mut modules = Vec::with_capacity(writers.len());
    let structures = members
        .into_iter()
        .zip(names)
        .zip(writers)
        .map(|((members, name), writer)| {
            let (writer, module) = writer.unzip();
            modules.push(module);
            Structure {
                name,
                environments: members.into_iter().map(|(n, _)| n).collect(),
                writer,
            }
        })
        .collect();
    Ok(TerraformModules {
        structures,
        modules,
        roots,
    })
}

/// The name of each structure (see [`terraform_modules`]); `members` are the environments of
/// each, with their tiers, in order.
fn structure_names(tiers: &[Tier], members: &[Vec<(String, String)>]) -> Vec<String> {
    let upstream = |tier: &str| -> Vec<String> {
        let mut chain = Vec::new();
        let mut t = tier;
        while let Some(next) = tiers
            .iter()
            .find(|x| x.name == t)
            .and_then(|x| x.mirrors.as_deref())
        {
            if chain.iter().any(|c| c == next) || chain.len() > tiers.len() {
                break;
            }
            chain.push(next.to_owned());
            t = next;
        }
        chain
    };
    let production = |tier: &str| tiers.iter().any(|t| t.name == tier && t.production);
    // Each structure's anchor: its tier mirrored by most of its others, and its first
    // environment of that tier.
    let anchors: Vec<(String, String, usize)> = members
        .iter()
        .map(|m| {
            let mut member_tiers: Vec<&str> = Vec::new();
            for (_, t) in m {
                if !member_tiers.contains(&t.as_str()) {
                    member_tiers.push(t);
                }
            }
            let chains: Vec<Vec<String>> = member_tiers.iter().map(|t| upstream(t)).collect();
            let rank = |t: &str| chains.iter().filter(|c| c.iter().any(|x| x == t)).count();
            let anchor = member_tiers
                .iter()
                .enumerate()
                .max_by_key(|(i, t)| (rank(t), production(t), std::cmp::Reverse(*i)))
                .map(|(_, t)| (*t).to_owned())
                .unwrap_or_default();
            let (env, _) = m
                .iter()
                .find(|(_, t)| *t == anchor)
                .expect("a member of the anchor tier");
            let position = members
                .iter()
                .flatten()
                .position(|(n, _)| n == env)
                .unwrap_or(usize::MAX);
            (anchor, env.clone(), position)
        })
        .collect();
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.sort_by_key(|&i| anchors[i].2);
    let mut names = vec![String::new(); members.len()];
    let mut taken: Vec<String> = Vec::new();
    for i in order {
        let (tier, env, _) = &anchors[i];
        let mut name = if taken.contains(tier) {
            env.clone()
        } else {
            tier.clone()
        };
        let base = name.clone();
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        taken.push(name.clone());
        names[i] = name;
    }
    names
}

impl TerraformModules {
    /// Every structure, in the order of its first environment.
    pub fn structures(&self) -> &[Structure] {
        &self.structures
    }

    /// The structure of an environment being built.
    pub fn structure_of(&self, env: &str) -> Option<&Structure> {
        self.roots.get(env).map(|(s, _)| &self.structures[*s])
    }

    /// Every file of one environment being built, as [`crate::environment_files`] names them,
    /// its Terraform in the module layout: its root module in `terraform/<env>/` and, when it
    /// is the first environment being built of its structure, the module in
    /// `terraform/modules/<structure>/`.
    ///
    /// # Panics
    /// When `env` is a cloud environment that was not given to [`terraform_modules`].
    pub fn environment_files(&self, env: &Environment, layout: K8sLayout) -> FileSet {
        files_with(env, layout, |files| {
            let (s, root) = self
                .roots
                .get(&env.name)
                .expect("an environment given to terraform_modules");
            let structure = &self.structures[*s];
            files.extend_under(
                &format!("terraform/{}", env.name),
                root.files(&format!("../modules/{}", structure.name)),
            );
            if structure.writer.as_deref() == Some(env.name.as_str()) {
                let module = self.modules[*s].as_ref().expect("a writer has its module");
                files.extend_under(
                    &format!("{TERRAFORM_MODULES}/{}", structure.name),
                    module.files().clone(),
                );
            }
        })
    }
}
