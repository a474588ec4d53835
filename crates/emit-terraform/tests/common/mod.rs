//! Environments the tests run over: every cloud environment of every fixture that loads, plus
//! three inline specs, one per platform, that exercise what the fixtures may not (calls between
//! services, several public services, read replicas, access roles, command health checks).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use tierform_model::{Environment, Format, Model, Runtime, Source};

const BASE: &str = r#"
region = "eu-central-1"
network {
  cidr = "10.20.0.0/16"
  availability_zones = 3
}
database "orders" {
  engine         = "postgres"
  engine_version = "16.11"
  instance_class = "db.m5.large"
  read_replicas  = 1
}
database "legacy-reports" {
  engine         = "mysql"
  engine_version = "8.4.7"
  instance_class = "db.t3.micro"
}
cache "sessions" {
  engine_version = "7.0"
  node_type      = "cache.t3.small"
}
secret "stripe-key" { description = "Stripe API key" }
secret "mail-token" {}
service "web" {
  image     = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/web"
  tag       = "2.1.0"
  port      = 8080
  databases = ["orders"]
  caches    = ["sessions"]
  secrets   = ["stripe-key"]
  external_services = ["stripe"]
  calls     = ["worker"]
  health_check { path = "/healthz" }
  public {
    host = "www.example-shop.com"
    zone = "example-shop.com"
  }
}
service "back-office-admin-portal" {
  image  = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/admin"
  tag    = "2.1.0"
  port   = 9000
  databases = ["legacy-reports"]
  autoscaling {
    min = 2
    max = 5
  }
  health_check { path = "/up" }
  public {
    host = "admin.example-shop.com"
    zone = "example-shop.com"
  }
}
service "worker" {
  image   = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/worker"
  tag     = "2.1.0"
  port    = 7000
  secrets = ["mail-token"]
  command = ["worker", "--queue", "default"]
  health_check { command = ["/bin/check"] }
}
external_service "stripe" { mode = "live" }
feature_flags = { new-checkout = true }
access {
  read  = ["arn:aws:iam::123456789012:role/auditors"]
  write = ["arn:aws:iam::123456789012:role/platform-team"]
}
observability {
  log_retention_days = 365
  alarms { notify = "arn:aws:sns:eu-central-1:123456789012:pager" }
}
tier "staging" {
  mirrors = "production"
  exception "database.orders.read_replicas" { reason = "no read load in staging" }
  database "orders" {
    instance_class = "db.t3.medium"
    read_replicas  = 0
  }
}
tier "production" {
  production = true
}
"#;

/// The inline specs, one per platform, named `inline-<platform>`.
pub fn inline_specs() -> Vec<(String, String)> {
    let platforms = [
        ("ecs", "platform \"ecs_fargate\" {}"),
        (
            "eks",
            "platform \"eks\" {\n  version = \"1.35\"\n  node_group \"general\" {\n    instance_types = [\"m5.large\"]\n    min = 2\n    desired = 2\n    max = 4\n  }\n}",
        ),
        ("apprunner", "platform \"app_runner\" {\n  auto_deploy = true\n}"),
    ];
    platforms
        .iter()
        .map(|(n, p)| {
            // App Runner checks health over HTTP or TCP only.
            let base = if *n == "apprunner" {
                BASE.replace(
                    r#"health_check { command = ["/bin/check"] }"#,
                    r#"health_check { path = "/ready" }"#,
                )
            } else {
                BASE.to_owned()
            };
            (
                format!("inline-{n}"),
                format!("app = \"shop{n}\"\n{p}\n{base}"),
            )
        })
        .collect()
}

/// The fixture specs, `fixtures/*.hcl`, sorted.
pub fn fixture_paths() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut found: Vec<PathBuf> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "hcl"))
        .collect();
    found.sort();
    found
}

fn cloud_envs(model: &Model, spec: &str) -> Vec<Environment> {
    model
        .environments()
        .iter()
        .filter_map(|id| match model.resolve(id) {
            Ok(env) => Some(env),
            Err(e) => {
                eprintln!("skipping {spec} / {}: does not resolve: {e:?}", id.name);
                None
            }
        })
        .filter(|e| e.runtime == Runtime::Cloud)
        .collect()
}

/// Every cloud environment of every fixture that loads, with the fixture's name. Fixtures that
/// do not load are skipped with a message (another crate owns them).
pub fn fixture_envs() -> Vec<(String, Environment)> {
    let mut out = Vec::new();
    for path in fixture_paths() {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        match Model::load(&path) {
            Ok(model) => out.extend(
                cloud_envs(&model, &name)
                    .into_iter()
                    .map(|e| (name.clone(), e)),
            ),
            Err(e) => eprintln!(
                "skipping fixture {}: it does not load: {e:?}",
                path.display()
            ),
        }
    }
    out
}

/// Every cloud environment of the inline specs.
pub fn inline_envs() -> Vec<(String, Environment)> {
    let mut out = Vec::new();
    for (name, text) in inline_specs() {
        let model = Model::parse(Source::new(format!("{name}.hcl"), text), Format::Hcl)
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        for id in model.environments() {
            let env = model
                .resolve(&id)
                .unwrap_or_else(|e| panic!("{name}/{}: {e:?}", id.name));
            out.push((name.clone(), env));
        }
    }
    out
}
