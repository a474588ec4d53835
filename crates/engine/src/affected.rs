//! `affected`: which environments a change of the spec touches, from the files themselves.
//!
//! Both revisions are resolved, and every environment whose resolved value differs between
//! them is emitted twice and its files compared; an environment whose resolved value is equal
//! emits equal files (emitters are pure functions of it), so it is skipped without emitting.
//! The kustomize base is compared once: when it changes, every environment on Kubernetes is
//! affected through it. The spec paths that caused a change are the resolved fields that
//! differ (`database.main.instance_class`), found by walking both environments' JSON.

use rayon::prelude::*;
use serde_json::Value;
use tierform_model::{Diagnostics, Environment, FileSet, Model, Runtime};

use crate::{environment_files, kustomize_base, resolve, K8sLayout};

/// How an environment's files changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// It exists in both revisions and some of its files differ.
    Changed,
    /// It is new.
    Added,
    /// It is gone.
    Removed,
}

impl Change {
    /// `changed`, `added` or `removed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Changed => "changed",
            Change::Added => "added",
            Change::Removed => "removed",
        }
    }
}

/// One affected environment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AffectedEnvironment {
    /// Its name.
    pub name: String,
    /// Its tier.
    pub tier: String,
    /// Whether it runs in the cloud (Terraform): only those are planned.
    pub cloud: bool,
    /// Its region (the head's; the base's when removed).
    pub region: String,
    /// How it changed.
    pub change: Change,
    /// The generated files that differ, relative to the output folder, sorted.
    pub files: Vec<String>,
    /// The resolved fields that differ (`service.api.tag`), sorted; for a kustomize base
    /// change, `k8s/base`.
    pub causes: Vec<String>,
}

/// The files generated at the base revision, by path relative to the output folder (`None`:
/// no such file).
pub type Committed<'a> = dyn Fn(&str) -> Option<String> + Sync + 'a;

/// Every environment of `head` whose generated files differ from `base`'s, in `head`'s order
/// (removed ones last, in `base`'s order). With `committed`, the files as generated at the base
/// revision, also every other environment whose files head emits differently from those: a
/// change of tierform itself (a new version, a fix), which the spec cannot show. Those come
/// last, each `changed`, caused by [`GENERATOR`]; it costs about one build.
///
/// # Errors
/// Any problem of either revision's environments.
pub fn affected(
    base: &Model,
    head: &Model,
    layout: K8sLayout,
    committed: Option<&Committed<'_>>,
) -> Result<Vec<AffectedEnvironment>, Diagnostics> {
    let (old, new) = rayon::join(|| resolve(base, &[]), || resolve(head, &[]));
    let (old, new) = (old?, new?);
    let old_base = kustomize_base(base, &old, layout)?.unwrap_or_default();
    let new_base = kustomize_base(head, &new, layout)?.unwrap_or_default();
    let base_files = differing(&old_base, &new_base);
    let mut out: Vec<AffectedEnvironment> = new
        .par_iter()
        .filter_map(|e| {
            let before = old.iter().find(|o| o.name == e.name);
            compare(before, e, layout, &base_files)
        })
        .collect();
    out.extend(
        old.iter()
            .filter(|o| !new.iter().any(|e| e.name == o.name))
            .map(|o| AffectedEnvironment {
                name: o.name.clone(),
                tier: o.tier.clone(),
                cloud: o.runtime == Runtime::Cloud,
                region: o.app.region.clone(),
                change: Change::Removed,
                files: names(&environment_files(o, layout)),
                causes: Vec::new(),
            }),
    );
    if let Some(committed) = committed {
        let drift = generator_changes(&new, &new_base, layout, committed, &out);
        out.extend(drift);
    }
    Ok(out)
}

/// The environments of `envs` (head's, with `kustomize` its base) not already in `known` whose
/// files differ from `committed`.
fn generator_changes(
    envs: &[Environment],
    kustomize: &FileSet,
    layout: K8sLayout,
    committed: &Committed<'_>,
    known: &[AffectedEnvironment],
) -> Vec<AffectedEnvironment> {
    let stale = |files: &FileSet| -> Vec<String> {
        files
            .iter()
            .filter(|(p, c)| committed(p.as_str()).as_deref() != Some(&**c))
            .map(|(p, _)| p.as_str().to_owned())
            .collect()
    };
    let base_files = stale(kustomize);
    envs.par_iter()
        .filter(|e| !known.iter().any(|k| k.name == e.name))
        .filter_map(|e| {
            let mut files = stale(&environment_files(e, layout));
            if e.runs_kubernetes() {
                files.extend(base_files.iter().cloned());
            }
            (!files.is_empty()).then(|| AffectedEnvironment {
                name: e.name.clone(),
                tier: e.tier.clone(),
                cloud: e.runtime == Runtime::Cloud,
                region: e.app.region.clone(),
                change: Change::Changed,
                files,
                causes: vec![GENERATOR.to_owned()],
            })
        })
        .collect()
}

/// The cause of a change that comes from tierform rather than from the spec.
pub const GENERATOR: &str =
    "tierform (its output for an unchanged spec differs from the base revision's files)";

fn names(files: &FileSet) -> Vec<String> {
    files.iter().map(|(p, _)| p.as_str().to_owned()).collect()
}

/// The paths whose contents differ between two file sets, or that only one has.
fn differing(a: &FileSet, b: &FileSet) -> Vec<String> {
    let mut out: Vec<String> = a
        .iter()
        .filter(|(p, c)| b.get(p.as_str()) != Some(*c))
        .map(|(p, _)| p.as_str().to_owned())
        .collect();
    out.extend(
        b.iter()
            .filter(|(p, _)| a.get(p.as_str()).is_none())
            .map(|(p, _)| p.as_str().to_owned()),
    );
    out.sort();
    out
}

fn compare(
    before: Option<&Environment>,
    e: &Environment,
    layout: K8sLayout,
    base_files: &[String],
) -> Option<AffectedEnvironment> {
    let through_base = e.runs_kubernetes() && !base_files.is_empty();
    let entry = |change, files, causes| AffectedEnvironment {
        name: e.name.clone(),
        tier: e.tier.clone(),
        cloud: e.runtime == Runtime::Cloud,
        region: e.app.region.clone(),
        change,
        files,
        causes,
    };
    let Some(before) = before else {
        return Some(entry(
            Change::Added,
            names(&environment_files(e, layout)),
            Vec::new(),
        ));
    };
    // Equal environments emit equal files: nothing to emit.
    let (mut files, mut causes) = if before == e {
        (Vec::new(), Vec::new())
    } else {
        let files = differing(
            &environment_files(before, layout),
            &environment_files(e, layout),
        );
        let mut causes = Vec::new();
        if !files.is_empty() {
            let a = serde_json::to_value(before).expect("environments serialise");
            let b = serde_json::to_value(e).expect("environments serialise");
            leaf_differences(&a["app"], &b["app"], &mut String::new(), &mut causes);
        }
        (files, causes)
    };
    if through_base {
        files.extend(base_files.iter().cloned());
        causes.push("k8s/base".into());
    }
    (!files.is_empty()).then(|| entry(Change::Changed, files, causes))
}

/// The paths of the leaves that differ between two JSON values (objects by key, arrays as a
/// whole: a list is one setting).
fn leaf_differences(a: &Value, b: &Value, path: &mut String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                leaf_differences(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    path,
                    out,
                );
                path.truncate(len);
            }
        }
        _ if a != b => out.push(path.clone()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_that_differ_are_named_by_path() {
        let a = serde_json::json!({"database": {"main": {"size": 1, "engine": "pg"}}, "tags": [1]});
        let b = serde_json::json!({"database": {"main": {"size": 2, "engine": "pg"}}, "tags": [1, 2], "new": true});
        let mut out = Vec::new();
        leaf_differences(&a, &b, &mut String::new(), &mut out);
        assert_eq!(out, ["database.main.size", "new", "tags"]);
    }
}
