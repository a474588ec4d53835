//! Snapshots of every file of one cloud environment per tier of every fixture
//! (`fixtures/*.hcl`), named `<fixture>@<env>@<file>`, under `snapshots/terraform/`. The other
//! tenants and instances of a tier differ from its first in knobs only, which parity proves
//! and `snapshots/parity/` shows field by field; snapshotting each again would bury a change
//! in copies. Review with `cargo insta review`.

mod common;

#[test]
fn terraform_of_every_fixture_environment() {
    let envs = common::fixture_envs();
    if envs.is_empty() {
        eprintln!("no fixture loads: nothing to snapshot");
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../../snapshots/terraform");
    settings.set_prepend_module_to_snapshot(false);
    let mut seen = std::collections::BTreeSet::new();
    settings.bind(|| {
        for (fixture, env) in &envs {
            if !seen.insert((fixture.clone(), env.tier.clone())) {
                continue;
            }
            let files = tierform_emit_terraform::emit(env).expect("a cloud environment");
            for (path, text) in files.iter() {
                insta::assert_snapshot!(format!("{fixture}@{}@{path}", env.name), text);
            }
        }
    });
}
