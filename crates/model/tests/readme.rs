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

/// The escape hatch's examples (`resource`, `module`, `manifest`) are real blocks: each added
/// to the README's spec (the manifest with an EKS platform) loads and checks cleanly.
#[test]
fn readme_escape_hatch_examples_are_valid() {
    let readme = include_str!("../../../README.md");
    let blocks: Vec<&str> = readme
        .split("```hcl\n")
        .skip(1)
        .map(|b| &b[..b.find("```").expect("closed")])
        .collect();
    let spec = blocks[0];
    let mut checked = 0;
    for b in &blocks[1..] {
        let text = if b.starts_with("manifest ") {
            let eks = "platform \"eks\" {\n  version = \"1.35\"\n  node_group \"default\" {\n    instance_types = [\"m5.large\"]\n    min = 2\n    desired = 2\n    max = 4\n  }\n}\n";
            format!(
                "{}\n{b}",
                spec.replace("platform \"ecs_fargate\" {}\n", eks)
            )
        } else if b.starts_with("resource ") || b.starts_with("module ") {
            format!("{spec}\n{b}")
        } else {
            continue;
        };
        let model = Model::parse(Source::new("README.md", text), Format::Hcl)
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let (_, diagnostics) = model.check();
        assert!(!diagnostics.has_errors(), "{b}: {diagnostics}");
        checked += 1;
    }
    assert_eq!(
        checked, 3,
        "one example each of resource, module and manifest"
    );
}
