//! Every fixture's runbooks, as insta snapshots under `snapshots/docs/`, named
//! `<fixture>@<file>` (`globepay@prod.md`, `globepay@README.md`).

use std::path::PathBuf;

use tierform_docs::{environment_file, index_file, Options, Renderer, Templates};
use tierform_model::Model;

fn fixtures() -> Vec<(String, PathBuf)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "hcl"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    out.sort();
    out
}

#[test]
fn every_fixture_runbook() {
    let renderer = Renderer::new(&Templates::default()).unwrap();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../../snapshots/docs");
    settings.set_prepend_module_to_snapshot(false);
    for (name, path) in fixtures() {
        let model = Model::load(&path).unwrap_or_else(|ds| panic!("{name}: {ds:?}"));
        let options = Options {
            spec: format!("../fixtures/{name}.hcl"),
            ..Options::default()
        };
        let mut files: Vec<(String, String)> = index_file(&model, &options, &renderer)
            .unwrap()
            .into_iter()
            .map(|(p, c)| (p.to_string(), c))
            .collect();
        // One runbook per tier: the others of a tier differ in knob values only.
        let mut tiers = std::collections::BTreeSet::new();
        for id in model.environments() {
            if !tiers.insert(id.tier_index()) {
                continue;
            }
            let env = model.resolve(&id).unwrap();
            let f = environment_file(&model, &id, &env, &options, &renderer)
                .unwrap_or_else(|e| panic!("{name} {}: {e:?}", id.name));
            files.extend(f.into_iter().map(|(p, c)| (p.to_string(), c)));
        }
        settings.bind(|| {
            for (path, contents) in &files {
                let file = path.trim_start_matches("docs/");
                insta::assert_snapshot!(format!("{name}@{file}"), contents);
            }
        });
    }
}
