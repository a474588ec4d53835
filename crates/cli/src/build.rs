//! `tierform build`: every selected environment, resolved and validated first, then emitted and
//! staged by the rayon workers one environment at a time, so memory stays flat however many
//! tenants a spec fans out to, and renamed into place once all of them are staged. In the
//! Terraform module layout the structures are computed first (every environment split, only
//! its root module kept), and each module is then written by one environment's worker.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;

use rayon::prelude::*;
use tierform_engine::{
    environment_files, environment_folders, kustomize_base, terraform_modules, TerraformModules,
    TERRAFORM_MODULES,
};
use tierform_model::{Environment, EnvironmentId, FileSet, Model};

use crate::write::{Changes, OutputTree};
use crate::{input_error, out, Failure, K8sLayout, TfLayout};

impl From<K8sLayout> for tierform_engine::K8sLayout {
    fn from(layout: K8sLayout) -> Self {
        match layout {
            K8sLayout::Overlays => tierform_engine::K8sLayout::Overlays,
            K8sLayout::Flat => tierform_engine::K8sLayout::Flat,
        }
    }
}

/// `tierform build`.
pub fn build(
    spec: &Path,
    dir: &Path,
    names: &[String],
    check: bool,
    layout: K8sLayout,
    tf_layout: TfLayout,
    delivery: bool,
) -> Result<ExitCode, Failure> {
    let io = |e: std::io::Error| Failure::Io(format!("{}: {e}", dir.display()));
    if delivery && !names.is_empty() {
        return Err(Failure::Io(
            "--delivery writes the delivery of every environment: build them all (no --env)".into(),
        ));
    }
    // Nothing in the output folder is trusted: every file is emitted again and compared byte
    // for byte, so an edited file with a forged manifest digest, or a deleted file with its
    // manifest line, is found and put right (or, with --check, reported).
    let model = crate::load(spec)?;
    let layout = tierform_engine::K8sLayout::from(layout);
    let mut plan = Plan::new(&model, names, layout, tf_layout)?;
    crate::warn(&model, &plan.warnings);
    if delivery {
        plan.delivery_files(&model, tf_layout)?;
    }
    // Runbooks: templates read and compiled before anything is written.
    let runbooks = crate::runbook::Runbooks::prepare(spec, dir, &model, layout)?;
    let tree = OutputTree::open(dir).map_err(io)?;
    plan.refuse_foreign(&tree, dir)?;

    let put = |files: FileSet| -> Result<Changes, Failure> {
        let mut changes = Changes::default();
        for (path, text) in files {
            tree.put(path.as_str(), &text, check, &mut changes)
                .map_err(io)?;
        }
        Ok(changes)
    };
    let mut changes = match plan.base.take() {
        Some(b) => put(b)?,
        None => Changes::default(),
    };
    changes.absorb(put(std::mem::take(&mut plan.delivery))?);
    changes.absorb(put(std::mem::take(&mut plan.state))?);
    changes.absorb(put(runbooks.index(&model)?)?);
    // Each worker emits an environment and stages its files at once, so both cores share
    // the file-system work too, and only one environment per worker is held in memory.
    // Results come back in environment order: reports and diffs are deterministic.
    let per_env: Vec<Changes> = plan
        .envs
        .par_iter()
        .zip(&plan.ids)
        .map(|(e, id)| {
            let mut c = put(plan.files_of(e))?;
            c.absorb(put(runbooks.environment(&model, id, e)?)?);
            Ok(c)
        })
        .collect::<Result<_, _>>()?;
    for c in per_env {
        changes.absorb(c);
    }

    let generated_folders: BTreeSet<String> = changes
        .produced
        .iter()
        .filter_map(|(p, _)| p.rsplit_once('/').map(|(dir, _)| dir.to_owned()))
        .collect();
    tree.finish(&plan.scopes(names.is_empty()), check, &mut changes)
        .map_err(io)?;
    if check {
        return Ok(report_check(dir, &tree, &changes, &generated_folders));
    }
    eprintln!(
        "built {} environment(s) into {}: {} file(s) written, {} unchanged, {} removed",
        plan.envs.len(),
        dir.display(),
        changes.written.len(),
        changes.unchanged,
        changes.removed.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// What a build writes, decided before anything is written: every environment resolved and
/// validated (bad input changes no file), the kustomize base, and the Terraform modules.
struct Plan {
    envs: Vec<Environment>,
    /// The same environments, by id, for their runbooks.
    ids: Vec<EnvironmentId>,
    base: Option<FileSet>,
    /// The root modules of the shared state buckets of these environments.
    state: FileSet,
    /// Their folders, for a partial build's scope.
    state_folders: Vec<String>,
    modules: Option<TerraformModules>,
    layout: tierform_engine::K8sLayout,
    /// The delivery files (`--delivery`): workflows, atlantis.yaml, ApplicationSets.
    delivery: FileSet,
    /// What `check` would warn about in these environments: a build says it too.
    warnings: tierform_model::Diagnostics,
}

impl Plan {
    fn new(
        model: &Model,
        names: &[String],
        layout: tierform_engine::K8sLayout,
        tf_layout: TfLayout,
    ) -> Result<Plan, Failure> {
        let invalid = |ds| input_error(model, ds);
        let (envs, warnings) =
            tierform_engine::resolve_with_warnings(model, names).map_err(invalid)?;
        let ids = tierform_engine::environment_ids(model, names).map_err(invalid)?;
        let base = kustomize_base(model, &envs, layout).map_err(invalid)?;
        let state = tierform_engine::state_buckets(model, &envs).map_err(invalid)?;
        let state_folders: BTreeSet<String> = state
            .iter()
            .filter_map(|(p, _)| p.as_str().rsplit_once('/').map(|(d, _)| format!("{d}/")))
            .collect();
        let modules = match tf_layout {
            TfLayout::Env => None,
            TfLayout::Module => Some(terraform_modules(model, &envs).map_err(invalid)?),
        };
        Ok(Plan {
            envs,
            ids,
            base,
            state,
            state_folders: state_folders.into_iter().collect(),
            modules,
            layout,
            delivery: FileSet::new(),
            warnings,
        })
    }

    /// The delivery files of every environment (a whole build).
    fn delivery_files(&mut self, model: &Model, tf_layout: TfLayout) -> Result<(), Failure> {
        let options = tierform_engine::Options::default()
            .with_k8s_layout(self.layout)
            .with_tf_layout(match tf_layout {
                TfLayout::Env => tierform_engine::TfLayout::PerEnvironment,
                TfLayout::Module => tierform_engine::TfLayout::Module,
            });
        self.delivery = tierform_engine::delivery_files(model, &self.envs, &options)
            .map_err(|ds| input_error(model, ds))?;
        Ok(())
    }

    /// One environment's files, in the chosen layouts.
    fn files_of(&self, e: &Environment) -> FileSet {
        match &self.modules {
            Some(m) => m.environment_files(e, self.layout),
            None => environment_files(e, self.layout),
        }
    }

    /// Refuses before writing if a file we would write belongs to someone else. Only the
    /// environments whose folders hold foreign files need emitting for this.
    fn refuse_foreign(&self, tree: &OutputTree, dir: &Path) -> Result<(), Failure> {
        let foreign: Vec<&str> = tree.foreign().collect();
        if foreign.is_empty() {
            return Ok(());
        }
        let mut planned: Vec<String> = self
            .base
            .iter()
            .flat_map(|b| b.iter().map(|(p, _)| p.to_string()))
            .collect();
        planned.extend(crate::runbook::Runbooks::paths(&self.envs));
        planned.extend(self.delivery.iter().map(|(p, _)| p.to_string()));
        planned.extend(self.state.iter().map(|(p, _)| p.to_string()));
        // An environment's files, and a module's with those of the environment writing it.
        let writes_module = |e: &Environment| {
            self.modules
                .as_ref()
                .and_then(|m| m.structure_of(&e.name))
                .is_some_and(|s| {
                    s.writer.as_deref() == Some(e.name.as_str())
                        && foreign.iter().any(|f| {
                            f.strip_prefix(TERRAFORM_MODULES)
                                .and_then(|f| f.strip_prefix('/'))
                                .is_some_and(|f| f.split('/').next() == Some(s.name.as_str()))
                        })
                })
        };
        for env in self.envs.iter().filter(|e| {
            writes_module(e)
                || foreign
                    .iter()
                    .any(|f| f.split('/').any(|seg| seg == e.name))
        }) {
            planned.extend(self.files_of(env).iter().map(|(p, _)| p.to_string()));
        }
        let conflicts = tree.conflicts(planned.iter().map(String::as_str));
        if conflicts.is_empty() {
            return Ok(());
        }
        Err(Failure::Io(format!(
            "{} file(s) in {} would be overwritten but were not generated by tierform: {}\n  help: move them away, or build into another folder with --out",
            conflicts.len(),
            dir.display(),
            conflicts.join(", ")
        )))
    }

    /// What this build answers for: every owned root for a whole build; for a partial one the
    /// folders (and runbooks) of its environments, the modules it writes and the base.
    fn scopes(&self, whole: bool) -> Vec<String> {
        if whole {
            return crate::write::OWNED_ROOTS
                .iter()
                .map(|r| format!("{r}/"))
                .chain(crate::write::OWNED_FILES.iter().map(|f| (*f).to_owned()))
                .collect();
        }
        let mut s: Vec<String> = self
            .envs
            .iter()
            .flat_map(|e| {
                environment_folders(&e.name)
                    .map(|f| format!("{f}/"))
                    .into_iter()
                    .chain([format!("docs/{}.md", e.name)])
            })
            .collect();
        s.push("docs/README.md".into());
        s.extend(self.state_folders.iter().cloned());
        // The modules this build writes, whole: a file a module no longer has is removed.
        if let Some(m) = &self.modules {
            for st in m.structures().iter().filter(|st| st.writer.is_some()) {
                s.push(format!("{TERRAFORM_MODULES}/{}/", st.name));
            }
        }
        if self.envs.iter().any(|e| e.runs_kubernetes()) {
            s.push(format!("{}/", tierform_engine::KUSTOMIZE_BASE));
        }
        s
    }
}

/// `build --check`'s verdict: the diffs, and exit 1 on any drift.
fn report_check(
    dir: &Path,
    tree: &OutputTree,
    changes: &Changes,
    generated_folders: &BTreeSet<String>,
) -> ExitCode {
    // A file tierform did not write inside a folder it generates would be applied with the
    // generated ones (Terraform reads every .tf of its folder), so the stale-output gate
    // fails on it too, though a build leaves it alone.
    let foreign: Vec<&str> = tree
        .foreign()
        .filter(|f| {
            // The team's own workflows sit beside tierform's; GitHub runs each on its own.
            f.rsplit_once('/').is_some_and(|(dir, name)| {
                dir != crate::write::DELIVERY_WORKFLOWS
                    && generated_folders.contains(dir)
                    && read_by_tools(name)
            })
        })
        .collect();
    let drift = !changes.written.is_empty() || !changes.removed.is_empty() || !foreign.is_empty();
    for d in &changes.diffs {
        out(d);
    }
    for f in &foreign {
        out(&format!(
            "--- {f}\n+++ (not generated by tierform: remove it, or declare what it adds in the spec)\n"
        ));
    }
    eprintln!(
        "{}: {} file(s) differ, {} would be removed, {} not generated by tierform, {} up to date",
        dir.display(),
        changes.written.len(),
        changes.removed.len(),
        foreign.len(),
        changes.unchanged
    );
    if drift {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Whether Terraform, kustomize or docker compose would read a file of this name found in a
/// folder they are run in: every `.tf`, variable files, YAML, an `.env`.
fn read_by_tools(name: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        ".tf",
        ".tf.json",
        ".tfvars",
        ".tfvars.json",
        ".yaml",
        ".yml",
        ".json",
        ".hcl",
        ".env",
    ];
    name == ".env" || SUFFIXES.iter().any(|s| name.ends_with(s))
}
