//! The library entry points over the fixtures: what a build holds, where, and what it refuses.

use std::path::Path;

use tierform_engine::model::{Model, Runtime, GENERATED_MARKER};
use tierform_engine::{check, emitted_objects, generate, resolve, K8sLayout, Options};

fn fixture(name: &str) -> Model {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../fixtures/{name}.hcl"));
    Model::load(&path).unwrap_or_else(|ds| panic!("{name}: {ds}"))
}

fn paths(model: &Model, options: &Options) -> Vec<String> {
    let files = generate(model, options).unwrap_or_else(|ds| panic!("{ds}"));
    for (path, text) in files.iter() {
        assert!(text.starts_with(GENERATED_MARKER), "{path}: no marker");
    }
    files.iter().map(|(p, _)| p.to_string()).collect()
}

fn folders(paths: &[String]) -> Vec<String> {
    let mut f: Vec<String> = paths
        .iter()
        .map(|p| p.rsplit_once('/').map_or("", |(d, _)| d).to_owned())
        .collect();
    f.dedup();
    f
}

#[test]
fn a_whole_build_lays_out_every_environment() {
    let model = fixture("ecommerce");
    let all = paths(&model, &Options::default());
    assert_eq!(
        folders(&all),
        [
            "compose/dev",
            "k8s/base",
            "k8s/overlays/production",
            "k8s/overlays/staging",
            "terraform/production",
            "terraform/staging",
            // Both keep their state in one bucket: its module fences each to its prefix.
            "terraform/state/ecommerce-terraform-state",
        ]
    );
    let flat = paths(&model, &Options::default().with_k8s_layout(K8sLayout::Flat));
    assert_eq!(
        folders(&flat),
        [
            "compose/dev",
            "k8s/production",
            "k8s/staging",
            "terraform/production",
            "terraform/staging",
            "terraform/state/ecommerce-terraform-state",
        ]
    );
}

#[test]
fn a_partial_build_holds_the_selected_environments_and_the_base_they_need() {
    let model = fixture("ecommerce");
    let staging = paths(&model, &Options::default().with_environments(["staging"]));
    assert_eq!(
        folders(&staging),
        [
            "k8s/base",
            "k8s/overlays/staging",
            "terraform/staging",
            "terraform/state/ecommerce-terraform-state"
        ]
    );
    // A local environment needs no base; an ephemeral copy is built on demand.
    let dev = paths(&model, &Options::default().with_environments(["dev"]));
    assert_eq!(folders(&dev), ["compose/dev"]);
    let webank = fixture("webank");
    let bugfix = paths(
        &webank,
        &Options::default().with_environments(["bugfix-vb-rheinaue-42"]),
    );
    assert_eq!(
        folders(&bugfix),
        [
            "k8s/base",
            "k8s/overlays/bugfix-vb-rheinaue-42",
            "terraform/bugfix-vb-rheinaue-42",
            // The same module a whole build writes (the copy shares the declared bucket).
            "terraform/state/webank-terraform-state"
        ]
    );
}

#[test]
fn unknown_environments_are_all_reported_with_a_hint() {
    let model = fixture("ecommerce");
    let names = ["stagin".to_owned(), "prod".to_owned(), "staging".to_owned()];
    let ds = resolve(&model, &names).unwrap_err();
    let found: Vec<(&str, Option<&str>)> = ds.iter().map(|d| (d.code, d.help.as_deref())).collect();
    assert_eq!(found.len(), 2, "{ds}");
    assert_eq!(
        found[0],
        ("unknown-environment", Some("did you mean `staging`?"))
    );
    assert_eq!(found[1].0, "unknown-environment");
}

#[test]
fn parity_holds_for_every_fixture_and_local_environments_emit_no_objects() {
    for name in [
        "ecommerce",
        "globepay",
        "govuk-forms",
        "servio",
        "togetherhood",
        "webank",
    ] {
        let model = fixture(name);
        let checked = check(&model).unwrap_or_else(|ds| panic!("{name}: {ds}"));
        assert!(checked.holds(), "{name}");
        assert_eq!(checked.parity.len(), model.mirror_pairs().len(), "{name}");
        assert_eq!(checked.environments, model.environments().len(), "{name}");
        for env in resolve(&model, &[]).unwrap() {
            let objects = emitted_objects(&env);
            assert_eq!(
                objects.is_empty(),
                env.runtime == Runtime::Local,
                "{name} {}",
                env.name
            );
        }
    }
}
