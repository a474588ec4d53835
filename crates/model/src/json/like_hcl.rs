//! A spec written in JSON gets the diagnostics it gets in HCL: the same codes, messages, paths
//! and helps, each located at the corresponding place of its own file. The JSON twin of an
//! HCL spec is generated from its node tree, so the two files cannot drift apart. (A unit
//! test of the crate because the node tree, which makes the twin, is internal.)

use std::path::Path;

use crate::node::from_hcl;
use crate::{Diagnostic, Diagnostics, Format, Model, Source};

const BASE: &str = r#"app    = "shop"
region = "us-east-1"

network {
  cidr = "10.1.0.0/16"
}

platform "ecs_fargate" {}

service "api" {
  image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-api"
  tag   = "1.0.0"
  port  = 8080

  health_check {
    path = "/health"
  }
}

tier "staging" {
  mirrors = "production"
}

tier "production" {}
"#;

/// The same spec as pretty-printed JSON.
fn json_twin(hcl: &str) -> String {
    let node = from_hcl(hcl).expect("the HCL spec parses");
    serde_json::to_string_pretty(&node.to_json()).expect("JSON prints")
}

/// The diagnostics of loading and checking a spec.
fn diagnose(name: &str, text: &str, format: Format) -> Diagnostics {
    match Model::parse(Source::new(name, text), format) {
        Err(ds) => ds,
        Ok(model) => model.check().1,
    }
}

/// Everything of a diagnostic but its position, which differs between the two files.
fn meaning(d: &Diagnostic) -> String {
    format!(
        "{:?} {} `{}` {} (help: {:?}) {:?}",
        d.severity, d.code, d.path, d.message, d.help, d.environments
    )
}

fn meanings(ds: &Diagnostics) -> Vec<String> {
    let mut all: Vec<String> = ds.iter().map(meaning).collect();
    all.sort();
    all
}

/// `line:column` of the place marked `‸` in `marked` (the mark is not in `text`).
fn marked_at(text: &str, marked: &str) -> String {
    let (before, after) = marked.split_once('‸').expect("a ‸ mark");
    let needle = format!("{before}{after}");
    let mut hits = text.match_indices(&needle);
    let (at, _) = hits
        .next()
        .unwrap_or_else(|| panic!("{needle:?} not in\n{text}"));
    assert!(hits.next().is_none(), "{needle:?} is not unique in\n{text}");
    let loc = Source::new("t", text).location(at + before.len());
    format!("{}:{}", loc.line, loc.column)
}

fn position(d: &Diagnostic) -> String {
    let loc = d.location.as_ref().expect("a located diagnostic");
    format!("{}:{}", loc.line, loc.column)
}

/// Checks that the HCL spec and its JSON twin get the same diagnostics, that one of them has
/// `code`, and that it points at `hcl_mark` in the HCL file and at `json_mark` in the JSON one.
fn same_diagnostics(hcl: &str, code: &str, hcl_mark: &str, json_mark: &str) {
    let json = json_twin(hcl);
    let from_hcl = diagnose("tierform.hcl", hcl, Format::Hcl);
    let from_json = diagnose("tierform.json", &json, Format::Json);
    assert_eq!(meanings(&from_hcl), meanings(&from_json), "\n{json}");
    let find = |ds: &Diagnostics| -> Diagnostic {
        let mut hits = ds.iter().filter(|d| d.code == code);
        let d = hits.next().unwrap_or_else(|| panic!("no `{code}` in {ds}"));
        assert!(hits.next().is_none(), "more than one `{code}` in {ds}");
        d.clone()
    };
    let (h, j) = (find(&from_hcl), find(&from_json));
    assert_eq!(position(&h), marked_at(hcl, hcl_mark), "in HCL: {h}");
    assert_eq!(
        position(&j),
        marked_at(&json, json_mark),
        "in JSON: {j}\n{json}"
    );
}

fn with(old: &str, new: &str) -> String {
    assert!(BASE.contains(old), "{old:?}");
    BASE.replacen(old, new, 1)
}

#[test]
fn unknown_attribute_points_at_its_key() {
    let hcl = with("  port  = 8080\n", "  port  = 8080\n  prot  = 80\n");
    same_diagnostics(&hcl, "unknown-attribute", "‸prot  =", "‸\"prot\":");
}

#[test]
fn wrong_type_points_at_the_value() {
    let hcl = with("port  = 8080", "port  = \"8080\"");
    same_diagnostics(
        &hcl,
        "wrong-type",
        "port  = ‸\"8080\"",
        "\"port\": ‸\"8080\"",
    );
}

#[test]
fn missing_attribute_points_at_its_block() {
    let hcl = with("  port  = 8080\n", "");
    same_diagnostics(
        &hcl,
        "missing-attribute",
        "‸service \"api\"",
        "\"api\": ‸{\n      \"image\"",
    );
}

#[test]
fn structural_override_in_a_mirroring_tier_points_at_the_override() {
    let hcl = with(
        "  mirrors = \"production\"\n",
        "  mirrors = \"production\"\n  service \"api\" {\n    port = 9090\n  }\n",
    );
    same_diagnostics(
        &hcl,
        "structural-override",
        "port = ‸9090",
        "\"port\": ‸9090",
    );
}

#[test]
fn unknown_override_points_at_the_invented_label() {
    let hcl = with(
        "  mirrors = \"production\"\n",
        "  mirrors = \"production\"\n  service \"apl\" {\n    replicas = 2\n  }\n",
    );
    same_diagnostics(&hcl, "unknown-override", "‸\"apl\"", "‸\"apl\":");
}

#[test]
fn unknown_reference_points_at_the_reference() {
    let hcl = with(
        "  port  = 8080\n",
        "  port  = 8080\n  databases = [\"main\"]\n",
    );
    same_diagnostics(&hcl, "unknown-reference", "‸\"main\"", "‸\"main\"");
}

/// Every HCL case of the invalid corpus that parses, written as JSON, gets the same
/// diagnostics, located in the JSON file whenever they are in the HCL one, and at the file's
/// start only when they are there in HCL too.
#[test]
fn every_invalid_hcl_case_reads_the_same_as_json() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/invalid");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/invalid exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "hcl"))
        .collect();
    paths.sort();
    let mut compared = 0;
    let mut failures = Vec::new();
    for path in &paths {
        let Ok(hcl) = std::fs::read_to_string(path) else {
            continue; // a non-UTF-8 case
        };
        if hcl.trim().is_empty() || from_hcl(&hcl).is_err() {
            continue; // HCL syntax has no JSON twin
        }
        compared += 1;
        let json = json_twin(&hcl);
        let from_hcl = diagnose("tierform.hcl", &hcl, Format::Hcl);
        let from_json = diagnose("tierform.json", &json, Format::Json);
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if meanings(&from_hcl) != meanings(&from_json) {
            failures.push(format!("{name}:\n  HCL:  {from_hcl}  JSON: {from_json}"));
            continue;
        }
        let located = |ds: &Diagnostics| -> Vec<(String, Option<bool>)> {
            let mut v: Vec<_> = ds
                .iter()
                .map(|d| {
                    let at_start = d.location.as_ref().map(|l| (l.line, l.column) == (1, 1));
                    (meaning(d), at_start)
                })
                .collect();
            v.sort();
            v
        };
        if located(&from_hcl) != located(&from_json) {
            failures.push(format!(
                "{name}: located differently\n  HCL:  {from_hcl}  JSON: {from_json}"
            ));
        }
    }
    assert!(compared >= 100, "only {compared} cases compared");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
