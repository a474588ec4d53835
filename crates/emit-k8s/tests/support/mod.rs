//! Shared by the tests and the `build_fixtures` example: loading fixtures and choosing each
//! environment's kustomize reference the way the CLI does (the root of its mirror chain).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use tierform_model::{Environment, Model};

/// The fixtures folder of the workspace.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// Every `fixtures/*.hcl`, by name, in name order.
pub fn fixtures() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(fixtures_dir())
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "hcl"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .map(|p: PathBuf| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    out.sort();
    out
}

/// A fixture's model and every declared environment, resolved.
pub fn load(path: &Path) -> (Model, Vec<Environment>) {
    let model = Model::load(path).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    let envs = model
        .environments()
        .iter()
        .map(|id| {
            model
                .resolve(id)
                .unwrap_or_else(|e| panic!("{}: {e:?}", id.name))
        })
        .collect();
    (model, envs)
}

/// Whether tierform emits Kubernetes for the environment.
pub fn is_k8s(env: &Environment) -> bool {
    env.runs_kubernetes()
}

/// The environment a kustomize base is rendered from: the first environment of the tier at the
/// root of the mirror chain of the fixture's Kubernetes environments (production).
pub fn reference<'a>(model: &Model, envs: &'a [Environment]) -> Option<&'a Environment> {
    let k8s: Vec<&Environment> = envs.iter().filter(|e| is_k8s(e)).collect();
    let first = k8s.first()?;
    let mut tier = first.tier.clone();
    for _ in 0..model.tiers().len() {
        match model.tier(&tier).and_then(|t| t.mirrors.clone()) {
            Some(up) => tier = up,
            None => break,
        }
    }
    k8s.iter().copied().find(|e| e.tier == tier).or(Some(first))
}

/// A kubectl for the kustomize round trip, found at run time: `$KUBECTL`, else `kubectl` on
/// `PATH`, else the one `tools/validate/setup.sh` installs in its cache (`$VALIDATE_CACHE_DIR`,
/// by default `${XDG_CACHE_HOME:-$HOME/.cache}/tierform-validate`).
pub fn kubectl() -> Option<PathBuf> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let path = std::env::var_os("PATH").unwrap_or_default();
    let on_path = std::env::split_paths(&path).map(|dir| dir.join("kubectl"));
    let cache = var("VALIDATE_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("tierform-validate")))
        .or_else(|| var("HOME").map(|h| h.join(".cache/tierform-validate")));
    var("KUBECTL")
        .into_iter()
        .chain(on_path)
        .chain(cache.map(|c| c.join("bin/kubectl")))
        .find(|p| p.is_file())
}

/// Writes a file set under `dir`.
pub fn write(dir: &Path, files: tierform_model::FileSet) {
    for (p, c) in files {
        let path = dir.join(p.as_str());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, c).unwrap();
    }
}

/// Objects keyed by `Kind/name`, for comparisons that do not depend on order.
pub fn by_id(
    values: impl IntoIterator<Item = serde_json::Value>,
) -> std::collections::BTreeMap<String, serde_json::Value> {
    values
        .into_iter()
        .map(|v| {
            (
                format!(
                    "{}/{}",
                    v["kind"].as_str().unwrap_or_default(),
                    v["metadata"]["name"].as_str().unwrap_or_default()
                ),
                v,
            )
        })
        .collect()
}
