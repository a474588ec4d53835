//! `check` compares a fleet's mirror pairs in groups that share resolved and emitted
//! environments (crates/engine/src/fleet.rs); these tests hold it to comparing each pair alone.

use std::path::Path;

use tierform_engine::model::{parity, Format, Model, Source};
use tierform_engine::{check, check_each, emitted_objects};

fn specs() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut out = Vec::new();
    for dir in [root.clone(), root.join("adversarial"), root.join("bench")] {
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "hcl"))
            .collect();
        names.sort();
        for p in names {
            out.push((
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            ));
        }
    }
    out
}

#[test]
fn check_reports_what_comparing_each_pair_alone_reports() {
    let mut checked = 0;
    for (name, text) in specs() {
        let Ok(model) = Model::parse(Source::new(name.clone(), text), Format::Hcl) else {
            continue;
        };
        let Ok(report) = check(&model) else {
            continue;
        };
        let alone: Vec<_> = model
            .mirror_pairs()
            .iter()
            .map(|(a, b)| parity::compare(&model, a, b, &emitted_objects).unwrap())
            .collect();
        assert_eq!(report.parity, alone, "{name}");
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} specs checked");
}

#[test]
fn check_each_keeps_the_pairs_order() {
    let text = include_str!("../../../fixtures/bench/webstack.hcl");
    let model = Model::parse(Source::new("webstack.hcl", text), Format::Hcl).unwrap();
    let names = check_each(&model, |r| (r.a, r.b)).unwrap().parity;
    let pairs: Vec<(String, String)> = model
        .mirror_pairs()
        .into_iter()
        .map(|(a, b)| (a.name, b.name))
        .collect();
    // `compare` orients each pair (the mirrored environment first), as `mirror_pairs` does.
    assert_eq!(names, pairs);
}
