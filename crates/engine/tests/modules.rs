//! The module layout of Terraform (`TfLayout::Module`): which structures a spec has, what a
//! change touches, and snapshots of one fixture under `snapshots/terraform-module/`.

use std::collections::BTreeSet;
use std::path::Path;

use tierform_engine::model::{FileSet, Format, Model, Source};
use tierform_engine::{
    check, generate, resolve, terraform_modules, Options, TfLayout, TERRAFORM_MODULES,
};

fn fixture_text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../fixtures/{name}.hcl"));
    std::fs::read_to_string(path).unwrap()
}

fn parse(name: &str, text: &str) -> Model {
    Model::parse(Source::new(format!("{name}.hcl"), text), Format::Hcl)
        .unwrap_or_else(|ds| panic!("{name}: {ds}"))
}

fn modular() -> Options {
    Options::default().with_tf_layout(TfLayout::Module)
}

/// The Terraform files of a build.
fn terraform(model: &Model, options: &Options) -> FileSet {
    let mut tf = FileSet::new();
    for (p, t) in generate(model, options).unwrap_or_else(|ds| panic!("{ds}")) {
        if p.as_str().starts_with("terraform/") {
            tf.insert(p.to_string(), t);
        }
    }
    tf
}

/// The paths that differ between two builds, added and removed ones included.
fn differing(a: &FileSet, b: &FileSet) -> BTreeSet<String> {
    let mut paths: BTreeSet<String> = a.iter().map(|(p, _)| p.to_string()).collect();
    paths.extend(b.iter().map(|(p, _)| p.to_string()));
    paths.into_iter().filter(|p| a.get(p) != b.get(p)).collect()
}

/// `text` with `from` replaced by `to` exactly once.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from:?} once in the spec");
    text.replacen(from, to, 1)
}

#[test]
fn every_fixture_has_its_structures_named_after_the_tier_the_others_mirror() {
    // Per fixture: each structure's name and environments.
    type Structures<'a> = &'a [(&'a str, &'a [&'a str])];
    let expect: [(&str, Structures); 6] = [
        (
            "servio",
            &[("staging", &["staging"]), ("production", &["production"])],
        ),
        (
            "globepay",
            &[("dev", &["dev"]), ("prod", &["staging", "prod"])],
        ),
        (
            "ecommerce",
            &[("staging", &["staging"]), ("production", &["production"])],
        ),
        (
            "togetherhood",
            &[("staging", &["staging"]), ("production", &["production"])],
        ),
        // Each tier in its own account: dev and staging share one module (one cache node, no
        // failover: knobs that remove objects), production has its own.
        (
            "govuk-forms",
            &[
                ("dev", &["dev", "staging"]),
                ("production", &["production"]),
            ],
        ),
        (
            "webank",
            &[
                ("integration", &["integration-ledgers", "integration-mambu"]),
                (
                    "qa",
                    &["qa-vb-rheinaue", "qa-rb-alpenvorland", "qa-vr-nordheide"],
                ),
                (
                    "production",
                    &[
                        "production-vb-rheinaue",
                        "production-rb-alpenvorland",
                        "production-vr-nordheide",
                    ],
                ),
            ],
        ),
    ];
    for (name, structures) in expect {
        let model = parse(name, &fixture_text(name));
        let envs = resolve(&model, &[]).unwrap();
        let modules = terraform_modules(&model, &envs).unwrap();
        let got: Vec<(&str, Vec<&str>)> = modules
            .structures()
            .iter()
            .map(|s| {
                (
                    s.name.as_str(),
                    s.environments.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        let want: Vec<(&str, Vec<&str>)> =
            structures.iter().map(|(n, e)| (*n, e.to_vec())).collect();
        assert_eq!(got, want, "{name}");
        // Every cloud environment's folder holds its root module and nothing else; and a
        // build is the same bytes every time.
        let tf = terraform(&model, &modular());
        assert_eq!(tf, terraform(&model, &modular()), "{name}: deterministic");
        for e in envs
            .iter()
            .filter(|e| e.runtime == tierform_engine::model::Runtime::Cloud)
        {
            let mut files: Vec<&str> = tf
                .iter()
                .filter_map(|(p, _)| p.as_str().strip_prefix(&format!("terraform/{}/", e.name)))
                .collect();
            files.sort_unstable();
            assert_eq!(
                files,
                [
                    "backend.tf",
                    "main.tf",
                    "outputs.tf",
                    "providers.tf",
                    "versions.tf"
                ],
                "{name} {}",
                e.name
            );
        }
    }
}

#[test]
fn an_ephemeral_copy_shares_the_module_of_the_tier_it_mirrors() {
    let model = parse("webank", &fixture_text("webank"));
    let options =
        modular().with_environments(["bugfix-vb-rheinaue-1234", "production-vb-rheinaue"]);
    let tf = terraform(&model, &options);
    let main = tf.get("terraform/bugfix-vb-rheinaue-1234/main.tf").unwrap();
    assert!(
        main.contains("source = \"../modules/production\""),
        "{main}"
    );
    // A partial build writes the same module as the whole build, under the same name.
    let whole = terraform(&model, &modular());
    for (path, text) in tf.iter() {
        if path.as_str().starts_with(TERRAFORM_MODULES) {
            assert_eq!(whole.get(path.as_str()), Some(text), "{path}");
        }
    }
    let modules: BTreeSet<&str> = tf
        .iter()
        .filter_map(|(p, _)| p.as_str().strip_prefix("terraform/modules/"))
        .filter_map(|p| p.split_once('/').map(|(m, _)| m))
        .collect();
    assert_eq!(modules, BTreeSet::from(["production"]));
}

#[test]
fn a_structural_change_touches_the_modules_and_no_environment_file() {
    let text = fixture_text("servio");
    let before = terraform(&parse("servio", &text), &modular());
    for (from, to) in [
        (
            "engine_version        = \"15.15\"",
            "engine_version        = \"16.11\"",
        ),
        ("port   = 3000", "port   = 3001"),
    ] {
        let after = terraform(&parse("servio", &edit(&text, from, to)), &modular());
        let changed = differing(&before, &after);
        assert!(!changed.is_empty(), "{to}");
        for p in &changed {
            assert!(p.starts_with("terraform/modules/"), "{to}: {p} changed");
        }
        // Both structures changed: production's and staging's.
        let modules: BTreeSet<&str> = changed
            .iter()
            .filter_map(|p| p.strip_prefix("terraform/modules/")?.split_once('/'))
            .map(|(m, _)| m)
            .collect();
        assert_eq!(modules, BTreeSet::from(["production", "staging"]), "{to}");
    }
}

#[test]
fn a_knob_change_in_one_tier_touches_only_that_tiers_environment_files() {
    let text = fixture_text("webank");
    let before = terraform(&parse("webank", &text), &modular());
    let one_line_each = |after: &FileSet, changed: &BTreeSet<String>| {
        for p in changed {
            let lines = |t: &str| t.lines().map(str::to_owned).collect::<BTreeSet<_>>();
            let (old, new) = (lines(before.get(p).unwrap()), lines(after.get(p).unwrap()));
            let diff: Vec<&String> = old.symmetric_difference(&new).collect();
            assert_eq!(diff.len(), 2, "{p}: one line changed: {diff:?}");
        }
    };
    // Integration's node group: its two instances' root modules, one line each.
    let after = terraform(
        &parse(
            "webank",
            &edit(
                &text,
                "desired = 2\n      max     = 3",
                "desired = 2\n      max     = 5",
            ),
        ),
        &modular(),
    );
    let changed = differing(&before, &after);
    assert_eq!(
        changed,
        BTreeSet::from([
            "terraform/integration-ledgers/main.tf".to_owned(),
            "terraform/integration-mambu/main.tf".to_owned(),
        ])
    );
    one_line_each(&after, &changed);
    // QA's database size: QA's three tenants, and integration, which starts from QA and keeps
    // its size.
    let from = "instance_class        = \"db.t4g.medium\"";
    let after = terraform(
        &parse(
            "webank",
            &edit(&text, from, "instance_class        = \"db.t4g.large\""),
        ),
        &modular(),
    );
    let changed = differing(&before, &after);
    assert_eq!(
        changed,
        BTreeSet::from([
            "terraform/integration-ledgers/main.tf".to_owned(),
            "terraform/integration-mambu/main.tf".to_owned(),
            "terraform/qa-rb-alpenvorland/main.tf".to_owned(),
            "terraform/qa-vb-rheinaue/main.tf".to_owned(),
            "terraform/qa-vr-nordheide/main.tf".to_owned(),
        ])
    );
    one_line_each(&after, &changed);
}

#[test]
fn parity_verdicts_do_not_depend_on_the_layout() {
    // `check` compares `emitted_objects`, which no layout changes; the module layout's
    // modules instantiate to the same objects (tierform-emit-terraform's tests).
    for name in ["servio", "webank", "globepay"] {
        let model = parse(name, &fixture_text(name));
        let report = check(&model).unwrap();
        assert!(report.holds(), "{name}");
        assert!(generate(&model, &modular()).is_ok());
    }
}

#[test]
fn an_environment_named_modules_is_refused_in_the_module_layout() {
    let text = fixture_text("servio").replace("tier \"staging\"", "tier \"modules\"");
    let model = parse("servio", &text);
    let ds = generate(&model, &modular()).unwrap_err();
    assert!(ds.0.iter().any(|d| d.code == "reserved-name"), "{ds}");
    assert!(generate(&model, &Options::default()).is_ok());
}

/// The module layout of servio, one snapshot per file, `<fixture>@<path with / as @>`.
#[test]
fn snapshots_of_the_module_layout() {
    let model = parse("servio", &fixture_text("servio"));
    let tf = terraform(&model, &modular());
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../../snapshots/terraform-module");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for (path, text) in tf.iter() {
            let name = path
                .as_str()
                .trim_start_matches("terraform/")
                .replace('/', "@");
            insta::assert_snapshot!(format!("servio@{name}"), text);
        }
    });
}

#[test]
fn a_knob_change_of_one_environment_touches_its_environment_file_alone() {
    let text = fixture_text("webank");
    let before = terraform(&parse("webank", &text), &modular());
    // One instance's node group: only that environment's root module, by one line.
    let edited = edit(
        &text,
        "instance \"ledgers\" {}",
        "instance \"ledgers\" {\n    platform \"eks\" {\n      node_group \"general\" {\n        max = 4\n      }\n    }\n  }",
    );
    let after = terraform(&parse("webank", &edited), &modular());
    let changed = differing(&before, &after);
    assert_eq!(
        changed,
        BTreeSet::from(["terraform/integration-ledgers/main.tf".to_owned()])
    );
    let lines = |t: &str| t.lines().map(str::to_owned).collect::<BTreeSet<_>>();
    let path = "terraform/integration-ledgers/main.tf";
    let (old, new) = (
        lines(before.get(path).unwrap()),
        lines(after.get(path).unwrap()),
    );
    let diff: Vec<&String> = old.symmetric_difference(&new).collect();
    assert_eq!(diff.len(), 2, "one line changed: {diff:?}");
    assert!(diff.iter().any(|l| l.contains("= 4")), "{diff:?}");
}
