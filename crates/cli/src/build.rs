//! `tierform build`: every selected environment, resolved and validated first, then emitted and
//! staged by the rayon workers one environment at a time, so memory stays flat however many
//! tenants a spec fans out to, and renamed into place once all of them are staged.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;

use rayon::prelude::*;
use tierform_model::parity::EmittedObject;
use tierform_model::{Diagnostics, Environment, EnvironmentId, FileSet, Model, Platform, Runtime};

use crate::write::{Changes, OutputTree};
use crate::{find_env, input_error, out, Failure, K8sLayout};

fn is_eks(env: &Environment) -> bool {
    env.runtime == Runtime::Cloud && matches!(env.app.platform, Platform::Eks(_))
}

/// The files of one environment, named relative to the output folder.
pub fn env_files(env: &Environment, layout: K8sLayout) -> FileSet {
    let mut files = FileSet::new();
    match env.runtime {
        Runtime::Local => files.extend_under(
            &format!("compose/{}", env.name),
            tierform_emit_compose::emit(env).expect("the emitter handles the environment"),
        ),
        Runtime::Cloud => {
            files.extend_under(
                &format!("terraform/{}", env.name),
                tierform_emit_terraform::emit(env).expect("the emitter handles the environment"),
            );
            if is_eks(env) {
                match layout {
                    K8sLayout::Overlays => files.extend_under(
                        &format!("k8s/overlays/{}", env.name),
                        tierform_emit_k8s::overlay(env)
                            .expect("the emitter handles the environment"),
                    ),
                    K8sLayout::Flat => files.extend_under(
                        &format!("k8s/{}", env.name),
                        tierform_emit_k8s::flat(env).expect("the emitter handles the environment"),
                    ),
                }
            }
        }
    }
    files
}

/// Everything an environment compiles to, as data for parity.
pub fn objects(env: &Environment) -> Vec<EmittedObject> {
    match env.runtime {
        Runtime::Local => Vec::new(),
        Runtime::Cloud => {
            let mut o =
                tierform_emit_terraform::objects(env).expect("the emitter handles the environment");
            if is_eks(env) {
                o.extend(
                    tierform_emit_k8s::objects(env).expect("the emitter handles the environment"),
                );
            }
            o
        }
    }
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

/// `tierform build`.
pub fn build(
    spec: &Path,
    dir: &Path,
    names: &[String],
    check: bool,
    layout: K8sLayout,
) -> Result<ExitCode, Failure> {
    let io = |e: std::io::Error| Failure::Io(format!("{}: {e}", dir.display()));
    // Nothing in the output folder is trusted: every file is emitted again and compared byte
    // for byte, so an edited file with a forged manifest digest, or a deleted file with its
    // manifest line, is found and put right (or, with --check, reported).
    let whole = names.is_empty();
    let model = crate::load(spec)?;
    let ids: Vec<EnvironmentId> = if whole {
        model.environments()
    } else {
        names
            .iter()
            .map(|n| find_env(&model, n))
            .collect::<Result<_, _>>()?
    };

    // Resolve and validate everything before writing anything: bad input changes no file.
    let resolved: Vec<Result<Environment, Diagnostics>> =
        ids.par_iter().map(|id| model.resolve(id)).collect();
    let mut errors = Diagnostics::default();
    let mut envs = Vec::with_capacity(resolved.len());
    for r in resolved {
        match r {
            Ok(e) => envs.push(e),
            Err(ds) => errors.0.extend(ds.0),
        }
    }
    if errors.has_errors() {
        errors.normalize();
        return Err(input_error(&model, errors));
    }
    let base = if layout == K8sLayout::Overlays && envs.iter().any(is_eks) {
        let id = base_reference(&model).expect("an EKS environment exists");
        let reference = model.resolve(&id).map_err(|ds| input_error(&model, ds))?;
        let mut files = FileSet::new();
        files.extend_under(
            "k8s/base",
            tierform_emit_k8s::base(&reference).expect("the emitter handles the environment"),
        );
        Some(files)
    } else {
        None
    };

    let tree = OutputTree::open(dir).map_err(io)?;

    // Refuse before writing if a file we would write belongs to someone else. Only the
    // environments whose folders hold foreign files need emitting for this.
    let foreign: Vec<&str> = tree.foreign().collect();
    if !foreign.is_empty() {
        let mut planned: Vec<String> = base
            .iter()
            .flat_map(|b| b.iter().map(|(p, _)| p.to_string()))
            .collect();
        for env in envs.iter().filter(|e| {
            foreign
                .iter()
                .any(|f| f.split('/').any(|seg| seg == e.name))
        }) {
            planned.extend(env_files(env, layout).iter().map(|(p, _)| p.to_string()));
        }
        let conflicts = tree.conflicts(planned.iter().map(String::as_str));
        if !conflicts.is_empty() {
            return Err(Failure::Io(format!(
                "{} file(s) in {} would be overwritten but were not generated by tierform: {}\n  help: move them away, or build into another folder with --out",
                conflicts.len(),
                dir.display(),
                conflicts.join(", ")
            )));
        }
    }

    let put = |files: FileSet| -> Result<Changes, Failure> {
        let mut changes = Changes::default();
        for (path, text) in files {
            tree.put(path.as_str(), &text, check, &mut changes)
                .map_err(io)?;
        }
        Ok(changes)
    };
    let mut changes = match base {
        Some(b) => put(b)?,
        None => Changes::default(),
    };
    // Each worker emits an environment and stages its files at once, so both cores share
    // the file-system work too, and only one environment per worker is held in memory.
    // Results come back in environment order: reports and diffs are deterministic.
    let per_env: Vec<Changes> = envs
        .par_iter()
        .map(|e| put(env_files(e, layout)))
        .collect::<Result<_, _>>()?;
    for c in per_env {
        changes.absorb(c);
    }

    let scopes: Vec<String> = if whole {
        crate::write::OWNED_ROOTS
            .iter()
            .map(|r| format!("{r}/"))
            .collect()
    } else {
        let mut s: Vec<String> = envs
            .iter()
            .flat_map(|e| {
                let n = &e.name;
                [
                    format!("terraform/{n}/"),
                    format!("compose/{n}/"),
                    format!("k8s/overlays/{n}/"),
                    format!("k8s/{n}/"),
                ]
            })
            .collect();
        if envs.iter().any(is_eks) {
            s.push("k8s/base/".into());
        }
        s
    };
    let generated_folders: BTreeSet<String> = changes
        .produced
        .iter()
        .filter_map(|(p, _)| p.rsplit_once('/').map(|(dir, _)| dir.to_owned()))
        .collect();
    tree.finish(&scopes, check, &mut changes).map_err(io)?;

    if check {
        // A file tierform did not write inside a folder it generates would be applied with
        // the generated ones (Terraform reads every .tf of its folder), so the stale-output
        // gate fails on it too, though a build leaves it alone.
        let foreign: Vec<&str> = tree
            .foreign()
            .filter(|f| {
                f.rsplit_once('/').is_some_and(|(dir, name)| {
                    generated_folders.contains(dir) && read_by_tools(name)
                })
            })
            .collect();
        let drift =
            !changes.written.is_empty() || !changes.removed.is_empty() || !foreign.is_empty();
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
        return Ok(if drift {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    eprintln!(
        "built {} environment(s) into {}: {} file(s) written, {} unchanged, {} removed",
        envs.len(),
        dir.display(),
        changes.written.len(),
        changes.unchanged,
        changes.removed.len()
    );
    Ok(ExitCode::SUCCESS)
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

/// `tierform envs`: one line (or JSON object) per environment, plus each ephemeral tier's
/// on-demand template.
pub fn list_envs(model: &Model, json: bool) -> String {
    let tiers = model.tiers();
    let mut rows: Vec<[String; 5]> = Vec::new();
    for id in model.environments() {
        let t = &tiers[id.tier_index()];
        let inst = id
            .name
            .strip_prefix(&t.name)
            .and_then(|r| r.strip_prefix('-'))
            .unwrap_or("")
            .to_owned();
        let runtime = match t.runtime {
            Runtime::Cloud => "cloud",
            Runtime::Local => "local",
        };
        rows.push([
            id.name.clone(),
            t.name.clone(),
            inst,
            runtime.into(),
            t.mirrors.clone().unwrap_or_default(),
        ]);
    }
    for t in tiers.iter().filter(|t| t.ephemeral) {
        rows.push([
            format!("{}-<id>", t.name),
            t.name.clone(),
            "<id> (ephemeral)".into(),
            "cloud".into(),
            t.mirrors.clone().unwrap_or_default(),
        ]);
    }
    if json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|[n, t, i, r, m]| {
                serde_json::json!({
                    "name": n, "tier": t,
                    "instance": if i.is_empty() { serde_json::Value::Null } else { i.clone().into() },
                    "runtime": r,
                    "mirrors": if m.is_empty() { serde_json::Value::Null } else { m.clone().into() },
                    "ephemeral": n.ends_with("-<id>"),
                })
            })
            .collect();
        return serde_json::to_string_pretty(&list).expect("serialises") + "\n";
    }
    let header = ["NAME", "TIER", "INSTANCE", "RUNTIME", "MIRRORS"].map(String::from);
    let mut width = [0usize; 5];
    for r in std::iter::once(&header).chain(&rows) {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.len());
        }
    }
    let mut text = String::new();
    for r in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = r
            .iter()
            .zip(width)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        text.push_str(line.join("  ").trim_end());
        text.push('\n');
    }
    text
}
