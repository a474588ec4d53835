//! `check` asks its shape-keeping twin only which objects exist ([`emitted_presence`]): that
//! answer must be exactly the ids and components of [`emitted_objects`], or parity would judge
//! an object on one side only against a different environment than the one it emitted.

mod common;

use common::fixtures;
use tierform_engine::model::{Date, Model};
use tierform_engine::{emitted_objects, emitted_presence};

fn ids(objects: Vec<tierform_engine::model::parity::EmittedObject>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = objects.into_iter().map(|o| (o.id, o.component)).collect();
    out.sort();
    out
}

/// How many environments it compared.
fn assert_presence_matches(name: &str, model: &Model) -> usize {
    // One by one: a spec whose parity fails still resolves each environment.
    let envs: Vec<_> = model
        .environments()
        .iter()
        .filter_map(|id| model.resolve(id).ok())
        .collect();
    let n = envs.len();
    for env in envs {
        let objects = emitted_objects(&env);
        let presence = emitted_presence(&env);
        assert!(
            presence.iter().all(|o| o.data.is_null()),
            "{name} {}",
            env.name
        );
        assert_eq!(ids(presence), ids(objects), "{name} {}", env.name);
    }
    n
}

#[test]
fn presence_is_the_ids_of_the_emitted_objects_in_every_fixture() {
    for (name, model) in fixtures() {
        assert!(assert_presence_matches(&name, &model) > 0, "{name}");
    }
}

#[test]
fn presence_is_the_ids_of_the_emitted_objects_in_every_adversarial_spec() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/adversarial");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        // Some are refused before they resolve: they have nothing to emit.
        let Ok(model) = Model::load(&path) else {
            continue;
        };
        let model = model.with_today(Date::parse("2026-12-01").unwrap());
        seen += assert_presence_matches(&path.display().to_string(), &model);
    }
    // Most adversarial specs are refused before anything is emitted; a dozen resolve.
    assert!(
        seen >= 15,
        "{seen} environments of the adversarial specs resolve"
    );
}
