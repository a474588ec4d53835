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

/// The `delivery` example, on the README's spec (ECS Fargate, so without Argo CD and its
/// repository), is a valid block with the plan it describes.
#[test]
fn readme_delivery_example_is_valid() {
    let readme = include_str!("../../../README.md");
    let block = |from: usize| {
        let start = readme[from..].find("```hcl\n").unwrap() + from + "```hcl\n".len();
        let end = start + readme[start..].find("```").unwrap();
        &readme[start..end]
    };
    let spec = block(0);
    let delivery = block(readme.find("### Delivery").expect("a Delivery section"))
        .replace("[\"github_actions\", \"argocd\"]", "[\"github_actions\"]")
        .lines()
        .filter(|l| !l.trim_start().starts_with("repository"))
        .collect::<Vec<_>>()
        .join("\n");
    let text = format!("{spec}\n{delivery}\n");
    let model = Model::parse(Source::new("README.md", text), Format::Hcl).unwrap();
    let plan = model.delivery_plan();
    let tiers: Vec<(&str, &str)> = plan
        .iter()
        .map(|p| (p.tier.as_str(), p.deploy.as_str()))
        .collect();
    assert_eq!(
        tiers,
        [("staging", "automatic"), ("production", "approval")]
    );
}
