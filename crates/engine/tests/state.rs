//! Shared Terraform state buckets: each environment's roles are fenced to its own key prefix
//! (issue 17: a staging reader could read production's state), and every shared bucket's root
//! module is snapshotted (`snapshots/terraform-state/<fixture>@<bucket>@<file>`).

use std::path::Path;

use tierform_engine::model::{Model, Runtime};
use tierform_engine::{resolve, state_buckets, STATE_BUCKETS};

const FIXTURES: [&str; 6] = [
    "ecommerce",
    "globepay",
    "govuk-forms",
    "servio",
    "togetherhood",
    "webank",
];

fn fixture(name: &str) -> Model {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../fixtures/{name}.hcl"));
    Model::load(&path).unwrap_or_else(|ds| panic!("{name}: {ds}"))
}

#[test]
fn every_shared_state_bucket_fences_each_environment_with_roles_to_its_prefix() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../../snapshots/terraform-state");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for name in FIXTURES {
            let model = fixture(name);
            let envs = resolve(&model, &[]).unwrap();
            let files = state_buckets(&model, &envs).unwrap();
            for (path, text) in files.iter() {
                let rel = path
                    .as_str()
                    .strip_prefix(&format!("{STATE_BUCKETS}/"))
                    .unwrap();
                insta::assert_snapshot!(format!("{name}@{}", rel.replace('/', "@")), text);
            }
            let cloud: Vec<_> = envs
                .iter()
                .filter(|e| e.runtime == Runtime::Cloud)
                .collect();
            for e in &cloud {
                let sharing = cloud
                    .iter()
                    .filter(|o| o.state_bucket() == e.state_bucket())
                    .count();
                let main = files.get(&format!("{STATE_BUCKETS}/{}/main.tf", e.state_bucket()));
                assert_eq!(main.is_some(), sharing > 1, "{name} {}", e.name);
                let Some(main) = main else { continue };
                let prefix = format!("/{}/{}/*", e.app.app, e.name);
                let has_roles = !e.app.access.read.is_empty() || !e.app.access.write.is_empty();
                assert_eq!(
                    main.contains(&prefix),
                    has_roles,
                    "{name} {}: fenced exactly when it has access roles",
                    e.name
                );
            }
        }
    });
}

#[test]
fn a_tier_role_is_fenced_unless_every_environment_of_the_bucket_assumes_it() {
    let spec = |role_b: &str| {
        format!(
            r#"
app    = "shop"
region = "us-east-1"
network {{ cidr = "10.1.0.0/16" }}
platform "ecs_fargate" {{}}
service "api" {{
  image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-api"
  tag   = "1.4.2"
  port  = 8080
  health_check {{ path = "/health" }}
}}
tier "staging" {{
  mirrors = "production"
  account {{
    id           = "123456789012"
    state_bucket = "shop-state"
    assume_role {{ role_arn = "arn:aws:iam::123456789012:role/{role_b}" }}
  }}
}}
tier "production" {{
  account {{
    id           = "123456789012"
    state_bucket = "shop-state"
    assume_role {{ role_arn = "arn:aws:iam::123456789012:role/deploy-production" }}
  }}
}}
"#
        )
    };
    let files_of = |text: String| {
        let model = Model::parse(
            tierform_engine::model::Source::new("spec.hcl", text),
            tierform_engine::model::Format::Hcl,
        )
        .unwrap();
        let envs = resolve(&model, &[]).unwrap();
        state_buckets(&model, &envs).unwrap()
    };
    let apart = files_of(spec("deploy-staging"));
    let main = apart.get("terraform/state/shop-state/main.tf").unwrap();
    assert!(main.contains("role/deploy-staging"), "{main}");
    assert!(main.contains("/shop/staging/*"), "{main}");
    assert!(main.contains("role/deploy-production"), "{main}");
    let shared = files_of(spec("deploy-production"));
    let main = shared.get("terraform/state/shop-state/main.tf").unwrap();
    assert!(
        !main.contains("OwnStateOnly"),
        "one role for both: nothing to fence\n{main}"
    );
    let providers = shared
        .get("terraform/state/shop-state/providers.tf")
        .unwrap();
    assert!(
        providers.contains("allowed_account_ids = [\"123456789012\"]"),
        "{providers}"
    );
}

#[test]
fn an_environment_named_state_is_refused_when_a_shared_bucket_is_written() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/servio.hcl"),
    )
    .unwrap()
    .replace("tier \"staging\"", "tier \"state\"");
    let model = Model::parse(
        tierform_engine::model::Source::new("servio.hcl", text),
        tierform_engine::model::Format::Hcl,
    )
    .unwrap();
    let envs = resolve(&model, &[]).unwrap();
    let ds = state_buckets(&model, &envs).unwrap_err();
    assert!(ds.0.iter().any(|d| d.code == "reserved-name"), "{ds}");
}
