//! Every file emitted for every fixture, as insta snapshots under `snapshots/k8s/`, named
//! `<fixture>@base@<file>`, `<fixture>@overlay-<env>@<file>` and `<fixture>@flat-<env>@<file>`,
//! for one environment per tier: the others of a tier differ from its first in knobs only,
//! which parity proves and `snapshots/parity/` shows.

mod support;

use tierform_model::FileSet;

fn snapshot_all(fixture: &str, layout: &str, files: &FileSet) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../../snapshots/k8s");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for (path, contents) in files.iter() {
            insta::assert_snapshot!(format!("{fixture}@{layout}@{path}"), contents);
        }
    });
}

#[test]
fn every_fixture_every_layout() {
    for (name, path) in support::fixtures() {
        let (model, envs) = support::load(&path);
        let Some(reference) = support::reference(&model, &envs) else {
            continue;
        };
        snapshot_all(&name, "base", &tierform_emit_k8s::base(reference).unwrap());
        let mut tiers = std::collections::BTreeSet::new();
        let first_of_tier = |e: &&tierform_model::Environment| tiers.insert(e.tier.clone());
        for env in envs
            .iter()
            .filter(|e| support::is_k8s(e))
            .filter(first_of_tier)
        {
            snapshot_all(
                &name,
                &format!("overlay-{}", env.name),
                &tierform_emit_k8s::overlay(env).unwrap(),
            );
            snapshot_all(
                &name,
                &format!("flat-{}", env.name),
                &tierform_emit_k8s::flat(env).unwrap(),
            );
        }
    }
}
