//! Snapshots of every local environment of every fixture (`snapshots/compose/`), determinism,
//! and no secret value in the output.

use std::path::{Path, PathBuf};

use tierform_model::{Environment, Format, Model, Runtime, Source};

fn fixtures() -> Vec<(String, PathBuf)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "hcl"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    out.sort();
    out
}

fn local_envs(model: &Model) -> Vec<Environment> {
    model
        .environments()
        .iter()
        .map(|id| model.resolve(id).unwrap())
        .filter(|e| e.runtime == Runtime::Local)
        .collect()
}

#[test]
fn every_local_environment_of_every_fixture() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../../snapshots/compose");
    settings.set_prepend_module_to_snapshot(false);
    let _guard = settings.bind_to_scope();
    let mut seen = 0;
    for (name, path) in fixtures() {
        let model = Model::load(&path).unwrap();
        for env in local_envs(&model) {
            for (file, contents) in tierform_emit_compose::emit(&env).unwrap().iter() {
                insta::assert_snapshot!(format!("{name}@{}@{file}", env.name), contents);
            }
            seen += 1;
        }
    }
    assert!(seen > 0, "no local environment in the fixtures");
}

#[test]
fn output_is_deterministic() {
    for (_, path) in fixtures() {
        let (a, b) = (Model::load(&path).unwrap(), Model::load(&path).unwrap());
        for (x, y) in local_envs(&a).iter().zip(local_envs(&b).iter()) {
            assert_eq!(
                tierform_emit_compose::emit(x).unwrap(),
                tierform_emit_compose::emit(y).unwrap()
            );
        }
    }
}

const SPEC: &str = r#"
app    = "shop"
region = "us-east-1"
network { cidr = "10.1.0.0/16" }
platform "ecs_fargate" {}
database "main" {
  engine         = "mysql"
  engine_version = "8.4.7"
  instance_class = "db.t3.micro"
}
cache "sessions" {
  engine         = "valkey"
  engine_version = "8.0"
  node_type      = "cache.t3.micro"
}
secret "stripe-key" {
  description = "CANARY_DESCRIPTION_7f3a"
}
service "api" {
  image     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-api"
  tag       = "1.0.0"
  port      = 8080
  databases = ["main"]
  caches    = ["sessions"]
  secrets   = ["stripe-key"]
  env = {
    GREETING = "CANARY_ENV_VALUE_91c2"
  }
  health_check { path = "/health" }
}
tier "local" {
  runtime = "local"
  database "main" {
    seed_data = "./db/seed"
  }
}
tier "production" {}
"#;

fn local() -> Environment {
    let model = Model::parse(Source::new("tierform.hcl", SPEC), Format::Hcl).unwrap();
    local_envs(&model).remove(0)
}

#[test]
fn secrets_are_names_only() {
    let files = tierform_emit_compose::emit(&local()).unwrap();
    let example = files.get(".env.example").unwrap();
    assert!(
        example.contains("# CANARY_DESCRIPTION_7f3a\nSTRIPE_KEY=\n"),
        "the secret's description says what to fill in"
    );
    let vars: Vec<&str> = example.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        vars,
        ["MAIN_DB_PASSWORD=", "STRIPE_KEY="],
        "names only, no values"
    );
    let compose = files.get("docker-compose.yml").unwrap();
    assert!(
        compose.contains("MYSQL_PASSWORD: ${MAIN_DB_PASSWORD}"),
        "the database password is interpolated from .env"
    );
    assert!(
        !compose.contains("CANARY_DESCRIPTION"),
        "the compose file does not carry descriptions"
    );
    assert_eq!(
        compose.matches("STRIPE_KEY").count(),
        2,
        "the secret reaches the one service that lists it, interpolated from .env: {compose}"
    );
    assert!(compose.contains("STRIPE_KEY: ${STRIPE_KEY}"));
    assert!(
        !compose.contains("env_file"),
        "no service reads all of .env"
    );
    // The harmless-looking env value is configuration and stays where it was declared.
    assert_eq!(compose.matches("CANARY_ENV_VALUE").count(), 1);
}

#[test]
fn data_stores_match_the_environment_engines() {
    let files = tierform_emit_compose::emit(&local()).unwrap();
    let compose = files.get("docker-compose.yml").unwrap();
    assert!(compose.contains("image: mysql:8.4.7"));
    assert!(compose.contains("image: valkey/valkey:8.0"));
    assert!(compose.contains("../../db/seed:/docker-entrypoint-initdb.d:ro"));
    assert!(compose.contains("MAIN_DB_HOST: db-main"));
    assert!(compose.contains("SESSIONS_CACHE_URL: redis://cache-sessions:6379"));
    assert!(
        !compose.contains("\nversion:"),
        "the obsolete version key is not written"
    );
}

/// A cloud environment gets an error, not an empty compose project.
#[test]
fn a_cloud_environment_is_refused() {
    let mut env = local();
    env.runtime = Runtime::Cloud;
    let d = tierform_emit_compose::emit(&env).unwrap_err().0.remove(0);
    assert_eq!(d.code, "unsupported-environment");
    assert!(d.message.contains("runs in the cloud"), "{d}");
}

/// A local tier with a bucket, a queue subscribed to a topic and a service that uses them.
const STORAGE_SPEC: &str = r#"
app    = "shop"
region = "eu-west-1"
network { cidr = "10.1.0.0/16" }
platform "ecs_fargate" {}

bucket "uploads" {
  expiration_days = 30
}
topic "orders" {}
queue "fulfilment" {
  retention_days     = 2
  visibility_timeout = 120
  max_receive_count  = 3
  subscribes         = ["orders"]
}

service "api" {
  image     = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api"
  tag       = "1.4.2"
  port      = 8080
  buckets   = ["uploads"]
  queues    = ["fulfilment"]
  topics    = ["orders"]
  env_names = { UPLOADS_BUCKET = "Storage__Bucket" }
  health_check { path = "/health" }
}

service "web" {
  image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-web"
  tag   = "1.4.2"
  port  = 3000
  health_check { path = "/" }
}

tier "local" { runtime = "local" }
tier "production" {}
"#;

/// Buckets, queues and topics run in the local stand-in: created (with the cloud's settings,
/// dead-letter queue and subscription) before the services that list them start, which get
/// the cloud's variables pointing at it, under the application's names.
#[test]
fn storage_runs_in_the_local_stand_in() {
    let model = Model::parse(Source::new("tierform.hcl", STORAGE_SPEC), Format::Hcl).unwrap();
    let env = local_envs(&model).remove(0);
    let files = tierform_emit_compose::emit(&env).unwrap();
    let script = files.get("aws-local/init.py").expect("the creation script");
    assert!(script.starts_with(tierform_model::GENERATED_MARKER));
    let compose: serde_json::Value =
        serde_norway::from_str(files.get("docker-compose.yml").unwrap()).unwrap();
    let services = &compose["services"];
    let api = &services["api"];
    assert_eq!(
        api["depends_on"]["aws-local-init"]["condition"],
        "service_completed_successfully"
    );
    let env_of = |k: &str| {
        api["environment"][k]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(
        env_of("Storage__Bucket"),
        "shop-local-uploads",
        "renamed by env_names"
    );
    assert!(api["environment"].get("UPLOADS_BUCKET").is_none());
    assert_eq!(
        env_of("FULFILMENT_QUEUE_URL"),
        "http://aws-local:5000/123456789012/shop-local-fulfilment"
    );
    assert_eq!(
        env_of("ORDERS_TOPIC_ARN"),
        "arn:aws:sns:eu-west-1:123456789012:shop-local-orders"
    );
    assert_eq!(env_of("AWS_ENDPOINT_URL"), "http://aws-local:5000");
    // A service that lists none gets no AWS variables and does not wait for the stand-in.
    let web = &services["web"];
    assert!(web["environment"].get("AWS_ENDPOINT_URL").is_none());
    assert!(web["depends_on"].get("aws-local-init").is_none());
    // What the init container creates, as it reads it.
    let init = &services["aws-local-init"];
    assert_eq!(
        init["depends_on"]["aws-local"]["condition"],
        "service_healthy"
    );
    assert_eq!(init["volumes"][0], "./aws-local:/tierform:ro");
    let plan: serde_json::Value =
        serde_json::from_str(init["environment"]["TIERFORM_PLAN"].as_str().unwrap()).unwrap();
    assert_eq!(
        plan,
        serde_json::json!({
            "endpoint": "http://aws-local:5000",
            "region": "eu-west-1",
            "buckets": [{"name": "shop-local-uploads", "expiration_days": 30}],
            "topics": ["shop-local-orders"],
            "queues": [{
                "name": "shop-local-fulfilment",
                "retention_seconds": 172_800,
                "visibility_timeout": 120,
                "max_receive_count": 3,
                "dlq_retention_seconds": 1_209_600,
                "subscribes": ["shop-local-orders"]
            }]
        })
    );
    for s in ["aws-local", "aws-local-init"] {
        assert_eq!(services[s]["cap_drop"][0], "ALL", "{s} is hardened");
        assert_eq!(services[s]["read_only"], true, "{s} is hardened");
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../../snapshots/compose");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::assert_snapshot!(
            "storage-stand-in@local@docker-compose.yml",
            files.get("docker-compose.yml").unwrap()
        );
    });
}

/// Without buckets, queues or topics there is no stand-in.
#[test]
fn no_stand_in_without_storage() {
    let files = tierform_emit_compose::emit(&local()).unwrap();
    assert!(files.get("aws-local/init.py").is_none());
    assert!(!files
        .get("docker-compose.yml")
        .unwrap()
        .contains("aws-local"));
}
