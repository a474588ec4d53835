//! What several engine tests share.

use tierform_engine::model::{Date, FileSet, Model};
use tierform_engine::{generate, Options};

/// A spec of `tests/data`, loaded as of 2026-12-01.
pub fn load(spec: &str) -> Model {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(spec);
    Model::load(&path)
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
