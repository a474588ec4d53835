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
