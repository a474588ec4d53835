//! The spec shown in README.md is a real, valid spec.

use tierform_model::{Format, Model, Source};

#[test]
fn readme_example_resolves_and_staging_only_changes_knobs() {
    let readme = include_str!("../../../README.md");
    let start = readme.find("```hcl\n").expect("README has an hcl example") + "```hcl\n".len();
    let end = start + readme[start..].find("```").expect("closed");
    let model = Model::parse(Source::new("README.md", &readme[start..end]), Format::Hcl).unwrap();
    let (envs, diagnostics) = model.check();
    assert!(!diagnostics.has_errors(), "{diagnostics}");
    let names: Vec<&str> = envs.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["staging", "production"]);
    let staging = &envs[0].app;
    assert_eq!(
        staging.services["api"].public.as_ref().unwrap().host,
        "staging-api.shop.example"
    );
    assert_eq!(
        staging.services["api"].autoscaling.as_ref().unwrap().max,
        10,
        "inherited from production"
    );
}
