//! Raw Kubernetes manifests kept as YAML files next to the spec (`manifest "x" { file = "…" }`):
//! read here, in the CLI, and handed to the model as data, so the model stays pure. A file is
//! one YAML document holding one object; a path may not leave the spec's folder.

use std::path::{Component, Path};

use indexmap::IndexMap;
use tierform_model::{Diagnostic, Diagnostics, FieldPath, Model, Span};

use crate::Failure;

/// The most a manifest file may hold: a Kubernetes object is a few KiB.
const MAX_BYTES: u64 = 1 << 20;

/// `model` with the objects of every manifest file its spec names.
pub(crate) fn read(spec: &Path, model: Model) -> Result<Model, Failure> {
    let files = model.manifest_files();
    if files.is_empty() {
        return Ok(model);
    }
    let dir = spec.parent().unwrap_or(Path::new("."));
    let mut objects = IndexMap::new();
    let mut errors = Vec::new();
    for (name, span) in files {
        match object(dir, &name) {
            Ok(v) => {
                objects.insert(name, v);
            }
            Err((message, help)) => errors.push(error(span, &name, message, help)),
        }
    }
    if errors.is_empty() {
        Ok(model.with_manifest_objects(objects))
    } else {
        Err(Failure::Input(
            Diagnostics(
                errors
                    .into_iter()
                    .map(|d| model.source().locate(d))
                    .collect(),
            ),
            Some(model.source().clone()),
        ))
    }
}

fn error(span: Option<Span>, name: &str, message: String, help: &str) -> Diagnostic {
    Diagnostic::error(
        "manifest-file",
        FieldPath(vec!["manifest".into(), "file".into(), name.to_owned()]),
        message,
    )
    .with_span(span)
    .with_help(help)
}

/// The one object of a manifest file.
fn object(dir: &Path, name: &str) -> Result<serde_json::Value, (String, &'static str)> {
    let relative = Path::new(name);
    let inside = relative
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if name.is_empty() || !inside {
        return Err((
            format!("`{name}` is not a path inside the spec's folder"),
            "give a relative path without `..`, such as `k8s/warmer.yaml`",
        ));
    }
    let path = dir.join(relative);
    let too_big = std::fs::metadata(&path).is_ok_and(|m| m.len() > MAX_BYTES);
    if too_big {
        return Err((
            format!("`{name}` is larger than 1 MiB"),
            "a manifest file holds one Kubernetes object",
        ));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| {
        (
            format!("`{name}` cannot be read: {e}"),
            "the path is relative to the spec's folder",
        )
    })?;
    let mut docs = serde_norway::Deserializer::from_str(&text);
    let first = docs.next().ok_or((
        format!("`{name}` holds no YAML document"),
        "write one Kubernetes object in the file",
    ))?;
    let value: serde_json::Value = serde::Deserialize::deserialize(first).map_err(|e| {
        (
            format!("`{name}` is not valid YAML: {e}"),
            "fix the file; it holds one Kubernetes object",
        )
    })?;
    if docs.next().is_some() {
        return Err((
            format!("`{name}` holds more than one YAML document"),
            "give each object its own file and `manifest` block",
        ));
    }
    if !value.is_object() {
        return Err((
            format!("`{name}` does not hold an object"),
            "write one Kubernetes object (apiVersion, kind, metadata, …)",
        ));
    }
    Ok(value)
}
