//! The vocabulary of issue 17 that changes what `check` accepts: variables marked not secret,
//! sizes in the platform's own units, and the warnings a production tier's weak settings get.

use tierform_model::{Date, Format, Model, Severity, Source};

/// A small ECS Fargate spec; `service` is spliced into the `api` service's block, `top` into the
/// top level.
fn spec(service: &str, top: &str) -> String {
    format!(
        r#"
app    = "shop"
region = "us-east-1"
network {{ cidr = "10.1.0.0/16" }}
platform "ecs_fargate" {{}}
database "main" {{
  engine         = "postgres"
  engine_version = "16.11"
  instance_class = "db.t4g.medium"
}}
{top}
service "api" {{
  image     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-api"
  tag       = "1.0.0"
  port      = 8080
  databases = ["main"]
  health_check {{ path = "/health" }}
  {service}
}}
tier "staging" {{ mirrors = "production" }}
tier "production" {{}}
"#
    )
}

fn diagnose(text: &str) -> Vec<(Severity, String, String)> {
    let model = Model::parse(Source::new("t.hcl", text), Format::Hcl)
        .unwrap_or_else(|ds| panic!("{ds}"))
        .with_today(Date::parse("2026-12-01").unwrap());
    let (_, ds) = model.check();
    ds.iter()
        .map(|d| (d.severity, d.code.to_string(), d.message.clone()))
        .collect()
}

fn errors(text: &str) -> Vec<String> {
    diagnose(text)
        .into_iter()
        .filter(|d| d.0 == Severity::Error)
        .map(|d| d.1)
        .collect()
}

const TEMPLATE_ID: &str =
    r#"env = { TEMPORARY_TOKEN_TEMPLATE_ID = "d-4f2a9c1e8b7d4a6f9e3c2b1a0d9e8f7c" }"#;

#[test]
fn a_name_that_reads_secret_is_refused_unless_marked_with_a_reason() {
    assert_eq!(errors(&spec(TEMPLATE_ID, "")), ["secret-literal"]);
    let marked = format!(
        r#"{TEMPLATE_ID}
  not_secret = {{ TEMPORARY_TOKEN_TEMPLATE_ID = "a public e-mail template id" }}"#
    );
    assert_eq!(errors(&spec(&marked, "")), Vec::<String>::new());
}

#[test]
fn marking_does_not_let_a_credential_through() {
    for value in [
        "q8Zr2Lk9Xv4Tn7Bw1Hs6Jd3Pm5",
        "AKIAIOSFODNN7EXAMPLE",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    ] {
        let s = format!(
            r#"env = {{ PUBLIC_TOKEN_ID = "{value}" }}
  not_secret = {{ PUBLIC_TOKEN_ID = "a public identifier of the template" }}"#
        );
        assert!(
            errors(&spec(&s, "")).contains(&"secret-literal".to_owned()),
            "{value}"
        );
    }
}

#[test]
fn an_entry_that_allows_nothing_is_refused() {
    let s = r#"env = { NODE_ENV = "production" }
  not_secret = { NODE_ENV = "it is only the runtime mode" }"#;
    assert_eq!(errors(&spec(s, "")), ["allowance-unneeded"]);
}

/// The spec with production's database single-AZ and without IAM authentication, and the
/// cluster without Container Insights.
fn weak_production(top: &str) -> String {
    spec("", top).replace(
        r#"tier "production" {}"#,
        r#"tier "production" {
  database "main" {
    multi_az = false
    iam_auth = false
  }
  platform "ecs_fargate" { container_insights = false }
}"#,
    )
}

#[test]
fn weak_production_settings_are_warnings_with_codes() {
    let d = diagnose(&weak_production(""));
    let mut codes: Vec<(Severity, &str)> = d.iter().map(|x| (x.0, x.1.as_str())).collect();
    codes.sort();
    assert_eq!(
        codes,
        [
            (Severity::Warning, "production-no-container-insights"),
            (Severity::Warning, "production-no-iam-auth"),
            (Severity::Warning, "production-single-az"),
        ],
        "{d:?}"
    );
    // Staging starts from production's values but is not production: the diagnostics above
    // are production's, one each.
}

#[test]
fn strict_makes_the_warnings_it_names_errors() {
    let d = diagnose(&weak_production(r#"strict = ["production-single-az"]"#));
    let error: Vec<&str> = d
        .iter()
        .filter(|x| x.0 == Severity::Error)
        .map(|x| x.1.as_str())
        .collect();
    assert_eq!(error, ["production-single-az"], "{d:?}");
    assert!(d[0].2.contains("second availability zone"), "{d:?}");
}

#[test]
fn strict_names_only_warning_codes() {
    let d = diagnose(&spec("", r#"strict = ["production-singel-az"]"#));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        (d[0].0, d[0].1.as_str()),
        (Severity::Error, "unknown-reference")
    );
}
