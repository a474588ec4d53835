//! What several engine tests share (`mod common;` in each).

// Each test binary uses its own subset.
#![allow(dead_code)]

use tierform_engine::model::{Date, Environment, FileSet, Model, Runtime};
use tierform_engine::{generate, resolve, Options};

/// A spec of `tests/data`, loaded as of 2026-12-01.
pub fn load(spec: &str) -> Model {
    load_path(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(spec),
    )
}

/// A fixture of the repository's `fixtures/`, loaded as of 2026-12-01.
pub fn fixture(name: &str) -> Model {
    load_path(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures")
            .join(name),
    )
}

/// Every fixture of the repository's `fixtures/` (its `.hcl` files), by name, in name order.
pub fn fixtures() -> Vec<(String, Model)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "hcl"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, load_path(p))
        })
        .collect()
}

/// Every cloud environment of every fixture, with the fixture's name.
pub fn cloud_environments() -> Vec<(String, Environment)> {
    let mut out = Vec::new();
    for (name, model) in fixtures() {
        for env in resolve(&model, &[]).unwrap_or_else(|ds| panic!("{name}: {ds}")) {
            if env.runtime == Runtime::Cloud {
                out.push((name.clone(), env));
            }
        }
    }
    assert!(out.len() >= 15, "{} cloud environments", out.len());
    out
}

fn load_path(path: &std::path::Path) -> Model {
    Model::load(path)
        .unwrap_or_else(|ds| panic!("{ds}"))
        .with_today(Date::parse("2026-12-01").unwrap())
}

/// Everything `tierform build` writes for a spec of `tests/data`, after asserting that the
/// spec checks without a diagnostic.
pub fn build(spec: &str) -> FileSet {
    let model = load(spec);
    let (_, ds) = model.check();
    assert!(ds.0.is_empty(), "{ds}");
    generate(&model, &Options::default()).unwrap_or_else(|ds| panic!("{ds}"))
}

/// The text of the file at `path` among `files`.
pub fn file<'a>(files: &'a FileSet, path: &str) -> &'a str {
    files
        .iter()
        .find(|(p, _)| p.to_string() == path)
        .map(|(_, t)| t)
        .unwrap_or_else(|| panic!("{path} is generated"))
}

/// The text of one block, from its header to the closing brace at the start of a line.
pub fn block<'a>(text: &'a str, header: &str) -> &'a str {
    let start = text.find(header).unwrap_or_else(|| panic!("no {header}"));
    let end = text[start..]
        .find("\n}\n")
        .map_or(text.len(), |e| start + e + 3);
    &text[start..end]
}
