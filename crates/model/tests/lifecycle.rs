//! The version lifecycle: warned within 90 days of the end of standard support, refused past
//! it unless the spec keeps the version with a judgeable reason; judged as of the date the
//! caller gives.

use tierform_model::{Date, Format, Model, Severity, Source};

fn spec(eks: &str, pg: &str, allow: &str) -> String {
    format!(
        r#"
app    = "shop"
region = "us-east-1"
network {{ cidr = "10.1.0.0/16" }}
platform "eks" {{
  version = "{eks}"
  node_group "general" {{
    instance_types = ["m5.large"]
    min            = 2
    desired        = 2
    max            = 4
  }}
}}
database "main" {{
  engine         = "postgres"
  engine_version = "{pg}"
  instance_class = "db.t3.medium"
  {allow}
}}
service "api" {{
  image     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-api"
  tag       = "1.0.0"
  port      = 8080
  databases = ["main"]
  health_check {{ path = "/health" }}
}}
tier "production" {{}}
"#
    )
}

fn diagnose(text: &str, today: &str) -> Vec<(Severity, String, String)> {
    let model = Model::parse(Source::new("t.hcl", text), Format::Hcl)
        .unwrap()
        .with_today(Date::parse(today).unwrap());
    let (_, ds) = model.check();
    ds.iter()
        .map(|d| (d.severity, d.code.to_string(), d.message.clone()))
        .collect()
}

#[test]
fn supported_versions_are_quiet() {
    assert_eq!(diagnose(&spec("1.35", "16.11", ""), "2026-12-01"), []);
}

#[test]
fn a_version_within_90_days_of_its_end_warns() {
    let d = diagnose(&spec("1.34", "16.11", ""), "2026-12-01");
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].0, Severity::Warning);
    assert_eq!(d[0].1, "version-nearing-end");
    assert!(d[0].2.contains("2026-12-02"), "{}", d[0].2);
}

#[test]
fn past_the_end_is_refused_and_the_date_is_an_input() {
    // The same spec: fine on one day, refused once the end has passed.
    assert_eq!(diagnose(&spec("1.35", "16.11", ""), "2026-12-01"), []);
    let d = diagnose(&spec("1.35", "16.11", ""), "2027-04-01");
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        (d[0].0, d[0].1.as_str()),
        (Severity::Error, "retired-version")
    );
    let d = diagnose(&spec("1.35", "16.4", ""), "2026-12-01");
    assert_eq!(d[0].1, "retired-version");
    assert!(
        d[0].2.contains("`16.4`") && d[0].2.contains("2026-05-31"),
        "{}",
        d[0].2
    );
}

#[test]
fn a_reasoned_override_keeps_a_retired_version_as_a_warning() {
    let allow = r#"allow_retired_version { reason = "extended support is paid until the upgrade in January" }"#;
    let d = diagnose(&spec("1.35", "16.4", allow), "2026-12-01");
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        (d[0].0, d[0].1.as_str()),
        (Severity::Warning, "retired-version-allowed")
    );
    assert!(d[0].2.contains("extended support is paid"));
    let weak = r#"allow_retired_version { reason = "tbd" }"#;
    let d = diagnose(&spec("1.35", "16.4", weak), "2026-12-01");
    assert_eq!(
        (d[0].0, d[0].1.as_str()),
        (Severity::Error, "weak-reason"),
        "{d:?}"
    );
}

#[test]
fn a_version_newer_than_the_shipped_list_warns_and_builds() {
    // The shipped list (crates/model/data/engine-versions.json) stops at 17.7: a later minor
    // is accepted, with a warning that names the list's date and how to refresh it.
    let d = diagnose(&spec("1.35", "17.9", ""), "2026-12-01");
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].0, Severity::Warning);
    assert_eq!(d[0].1, "newer-version");
    assert!(d[0].2.contains("up to `17.7`"), "{}", d[0].2);
    // A newer major is accepted the same way; one older than RDS offers is refused.
    let d = diagnose(&spec("1.35", "18.1", ""), "2026-12-01");
    assert_eq!(
        d.iter().map(|x| x.1.as_str()).collect::<Vec<_>>(),
        ["newer-version"]
    );
    let d = diagnose(&spec("1.35", "16.0", ""), "2026-12-01");
    assert!(
        d.iter()
            .any(|x| x.0 == Severity::Error && x.1 == "unknown-version"),
        "{d:?}"
    );
}
