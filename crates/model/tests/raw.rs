//! Raw blocks (the escape hatch) read the same from HCL and JSON, and their errors are located
//! in JSON specs as in HCL ones.

use tierform_model::{hcl_to_json, Format, Model, Source};

fn fixture() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/thumbnails.hcl"
    ))
    .unwrap()
}

#[test]
fn the_json_form_of_a_spec_with_raw_blocks_resolves_to_the_same_environments() {
    let hcl = Model::parse(Source::new("thumbnails.hcl", fixture()), Format::Hcl).unwrap();
    let json_text = serde_json::to_string_pretty(&hcl_to_json(&fixture()).unwrap()).unwrap();
    let json = Model::parse(Source::new("thumbnails.json", json_text), Format::Json).unwrap();
    let (a, da) = hcl.check();
    let (b, db) = json.check();
    assert!(!da.has_errors() && !db.has_errors(), "{da}\n{db}");
    assert_eq!(a, b);
    assert!(!a[0].app.raw_resources.is_empty() && !a[0].app.modules.is_empty());
}

#[test]
fn a_raw_error_in_a_json_spec_is_located_at_its_value() {
    let text = fixture().replace(
        "subnet_ids         = { ref = \"network.private_subnet_ids\" }",
        "subnet_ids         = { ref = \"network.private_subnets\" }",
    );
    let json_text = serde_json::to_string_pretty(&hcl_to_json(&text).unwrap()).unwrap();
    let model = Model::parse(
        Source::new("thumbnails.json", json_text.clone()),
        Format::Json,
    )
    .unwrap();
    let (_, ds) = model.check();
    let d = ds
        .iter()
        .find(|d| d.code == "unknown-reference")
        .expect("the unknown reference is reported");
    assert_eq!(
        d.help.as_deref(),
        Some("did you mean `network.private_subnet_ids`?")
    );
    let at = d.location.as_ref().expect("located");
    let line = json_text.lines().nth(at.line as usize - 1).unwrap();
    assert!(
        line.contains("network.private_subnets") || line.contains("subnet_ids"),
        "{line}"
    );
}
