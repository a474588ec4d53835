//! Properties of the output: deterministic, knob-only overlays, no secret values, parity data.

mod support;

use tierform_model::{Environment, Format, Model, Source};

/// A small EKS application with a local tier, secrets, a database, a cache and a public
/// service; `CANARY_*` strings are planted where a careless emitter could leak them.
const SPEC: &str = r#"
app    = "shop"
region = "us-east-1"
network { cidr = "10.1.0.0/16" }
platform "eks" {
  version = "1.35"
  node_group "general" {
    instance_types = ["m5.large"]
    min            = 2
    desired        = 2
    max            = 4
  }
}
database "main" {
  engine         = "postgres"
  engine_version = "15.15"
  instance_class = "db.m5.large"
}
cache "sessions" {
  engine_version = "7.0"
  node_type      = "cache.t3.micro"
}
secret "stripe-key" {
  description = "CANARY_DESCRIPTION_7f3a"
}
service "api" {
  image     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-api"
  tag       = "1.0.0"
  digest    = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
  port      = 8080
  databases = ["main"]
  caches    = ["sessions"]
  secrets   = ["stripe-key"]
  calls     = ["worker"]
  env = {
    GREETING = "CANARY_ENV_VALUE_91c2"
  }
  public {
    host = "api.shop.example.com"
    zone = "shop.example.com"
  }
  health_check { path = "/health" }
}
service "worker" {
  image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-worker"
  tag   = "1.0.0"
  port  = 9090
  health_check { command = ["/bin/healthcheck"] }
}
tier "local" {
  runtime = "local"
}
tier "staging" {
  mirrors = "production"
  service "api" {
    tag         = "1.1.0-rc1"
    digest      = null
    replicas    = 1
    autoscaling = null
    public {
      host = "staging.shop.example.com"
      zone = "shop.example.com"
    }
  }
}
tier "production" {
  service "api" {
    autoscaling {
      min = 3
      max = 10
    }
  }
}
"#;

fn envs() -> (Model, Vec<Environment>) {
    let model = Model::parse(Source::new("tierform.hcl", SPEC), Format::Hcl).unwrap();
    let envs = model
        .environments()
        .iter()
        .map(|id| model.resolve(id).unwrap())
        .collect();
    (model, envs)
}

fn env<'a>(envs: &'a [Environment], name: &str) -> &'a Environment {
    envs.iter().find(|e| e.name == name).unwrap()
}

fn all_output(envs: &[Environment]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in envs.iter().filter(|e| support::is_k8s(e)) {
        for (layout, files) in [
            ("base", tierform_emit_k8s::base(e).unwrap()),
            ("overlay", tierform_emit_k8s::overlay(e).unwrap()),
            ("flat", tierform_emit_k8s::flat(e).unwrap()),
        ] {
            out.extend(
                files
                    .iter()
                    .map(|(p, c)| (format!("{}/{layout}/{p}", e.name), c.to_owned())),
            );
        }
    }
    out
}

#[test]
fn output_is_deterministic() {
    let (_, a) = envs();
    let (_, b) = envs();
    assert_eq!(all_output(&a), all_output(&b));
    for (model_envs, path) in support::fixtures()
        .into_iter()
        .map(|(_, p)| (support::load(&p).1, p))
    {
        assert_eq!(
            all_output(&model_envs),
            all_output(&support::load(&path).1),
            "{}",
            path.display()
        );
    }
}

#[test]
fn no_secret_reaches_the_output() {
    let (_, envs) = envs();
    let output = all_output(&envs);
    assert!(!output.is_empty());
    for (path, text) in &output {
        assert!(
            !text.contains("CANARY_DESCRIPTION"),
            "{path} carries a secret's description"
        );
        assert!(
            !text.contains("kind: Secret\n"),
            "{path} emits a Secret object"
        );
    }
    for e in envs.iter().filter(|e| support::is_k8s(e)) {
        for o in tierform_emit_k8s::objects(e).unwrap() {
            assert_ne!(o.data["kind"], "Secret", "{}", o.id);
            assert!(
                o.data.get("data").is_none() || o.data["kind"] == "ConfigMap",
                "{} carries data",
                o.id
            );
            assert!(
                !o.data.to_string().contains("CANARY_DESCRIPTION"),
                "{}",
                o.id
            );
        }
    }
    // The harmless-looking env value is configuration: it is in the ConfigMap, never elsewhere.
    let staging = env(&envs, "staging");
    for o in tierform_emit_k8s::objects(staging).unwrap() {
        if o.data.to_string().contains("CANARY_ENV_VALUE") {
            assert_eq!(o.id, "k8s:ConfigMap/api-config");
        }
    }
}

#[test]
fn secrets_are_references_to_a_secret_never_values() {
    let (_, envs) = envs();
    let d = tierform_emit_k8s::objects(env(&envs, "production"))
        .unwrap()
        .into_iter()
        .find(|o| o.id == "k8s:Deployment/api")
        .unwrap();
    let env_vars = &d.data["spec"]["template"]["spec"]["containers"][0]["env"];
    let stripe = env_vars
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "STRIPE_KEY")
        .unwrap();
    assert_eq!(stripe["valueFrom"]["secretKeyRef"]["name"], "api-secrets");
    assert!(stripe.get("value").is_none());
    // The database: IAM authentication as the application user, no password at all.
    let var = |name: &str| {
        env_vars
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .cloned()
    };
    assert!(var("MAIN_DB_PASSWORD").is_none());
    assert_eq!(var("MAIN_DB_AUTH").unwrap()["value"], "iam");
    assert!(var("MAIN_DB_USER").unwrap()["value"]
        .as_str()
        .unwrap()
        .ends_with("_app"));
}

#[test]
fn overlays_carry_no_structure() {
    let (_, envs) = envs();
    let staging = env(&envs, "staging");
    let mut changed = staging.clone();
    let api = changed.app.services.get_mut("api").unwrap();
    api.port = 9999;
    api.health_check.path = Some("/other".into());
    api.calls.clear();
    changed
        .app
        .databases
        .get_mut("main")
        .unwrap()
        .engine_version = "16.1".into();
    assert_ne!(
        tierform_emit_k8s::flat(staging).unwrap(),
        tierform_emit_k8s::flat(&changed).unwrap()
    );
    assert_eq!(
        tierform_emit_k8s::overlay(staging).unwrap(),
        tierform_emit_k8s::overlay(&changed).unwrap(),
        "a structural change reached the overlay"
    );

    let mut knob = staging.clone();
    knob.app.services.get_mut("api").unwrap().cpu = 1000;
    assert_ne!(
        tierform_emit_k8s::overlay(staging).unwrap(),
        tierform_emit_k8s::overlay(&knob).unwrap(),
        "a knob change must reach the overlay"
    );
}

#[test]
fn objects_are_identified_for_parity() {
    let (_, envs) = envs();
    let ids: Vec<String> = tierform_emit_k8s::objects(env(&envs, "production"))
        .unwrap()
        .into_iter()
        .map(|o| format!("{} {}", o.component, o.id))
        .collect();
    assert!(
        ids.contains(&"namespace k8s:Namespace/shop-production".to_owned()),
        "{ids:?}"
    );
    assert!(ids.contains(&"service api k8s:HorizontalPodAutoscaler/api".to_owned()));
    assert!(ids.contains(&"service api k8s:PodDisruptionBudget/api".to_owned()));
    assert!(ids.contains(&"service api k8s:TargetGroupBinding/api".to_owned()));
    let staging: Vec<String> = tierform_emit_k8s::objects(env(&envs, "staging"))
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert!(
        !staging.contains(&"k8s:HorizontalPodAutoscaler/api".to_owned()),
        "staging runs a fixed count"
    );
}

#[test]
fn base_and_overlay_render_staging_in_memory() {
    let (_, envs) = envs();
    let (production, staging) = (env(&envs, "production"), env(&envs, "staging"));
    let rendered =
        support::by_id(tierform_emit_k8s::rendered_overlay(production, staging).unwrap());
    let flat = support::by_id(tierform_emit_k8s::flat_values(staging).unwrap());
    assert_eq!(rendered, flat);
    let d = &flat["Deployment/api"];
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-api:1.1.0-rc1"
    );
    // The overlay binds staging's pods to staging's own target group, the name Terraform
    // gives it, not to the base's (production's).
    let binding = &flat["TargetGroupBinding/api"]["spec"];
    assert_eq!(binding["targetGroupName"], "shop-staging-api");
    assert_eq!(binding["targetGroupName"], staging.target_group_name("api"));
    assert_eq!(binding["serviceRef"]["name"], "api");
}

/// An environment that does not run on Kubernetes gets an error, not an empty set of
/// manifests: a local one, and a cloud one on another platform.
#[test]
fn environments_off_kubernetes_are_refused() {
    let (_, envs) = envs();
    let local = env(&envs, "local");
    let production = env(&envs, "production");
    let mut fargate = production.clone();
    fargate.app.platform = serde_json::from_value(serde_json::json!({"ecs_fargate": {}}))
        .expect("an ECS Fargate platform");
    for e in [local, &fargate] {
        let errors = [
            tierform_emit_k8s::base(e).unwrap_err().0.remove(0),
            tierform_emit_k8s::overlay(e).unwrap_err().0.remove(0),
            tierform_emit_k8s::flat(e).unwrap_err().0.remove(0),
            tierform_emit_k8s::objects(e).unwrap_err().0.remove(0),
            tierform_emit_k8s::flat_values(e).unwrap_err().0.remove(0),
            tierform_emit_k8s::rendered_overlay(production, e)
                .unwrap_err()
                .0
                .remove(0),
            tierform_emit_k8s::rendered_overlay(e, production)
                .unwrap_err()
                .0
                .remove(0),
        ];
        for d in errors {
            assert_eq!(d.code, "unsupported-environment", "{d}");
            assert!(d.message.contains("EKS environments only"), "{d}");
        }
    }
    let d = tierform_emit_k8s::flat(local).unwrap_err().0.remove(0);
    assert!(d.message.contains("`local` is local"), "{d}");
    let d = tierform_emit_k8s::flat(&fargate).unwrap_err().0.remove(0);
    assert!(d.message.contains("does not run on EKS"), "{d}");
}

/// A registry that follows the account (`{account}`) is named differently in the base
/// (production's account) and in a staging overlay: kustomize's `images` matches by name, so
/// the overlay must replace the image whole, or staging would run production's image.
#[test]
fn an_image_in_the_tiers_own_account_is_replaced_in_its_overlay() {
    let spec = SPEC
        .replace(
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-api",
            "{account}.dkr.ecr.us-east-1.amazonaws.com/shop-api",
        )
        .replace(
            "tier \"local\" {\n  runtime = \"local\"\n}",
            "tier \"local\" {\n  runtime = \"local\"\n  account { id = \"333333333333\" }\n}",
        )
        .replace(
            "tier \"staging\" {\n  mirrors = \"production\"",
            "tier \"staging\" {\n  mirrors = \"production\"\n  account { id = \"111111111111\" }",
        )
        .replace(
            "tier \"production\" {",
            "tier \"production\" {\n  account { id = \"222222222222\" }",
        );
    let model = Model::parse(Source::new("tierform.hcl", spec), Format::Hcl).unwrap();
    let envs: Vec<Environment> = model
        .environments()
        .iter()
        .map(|id| model.resolve(id).unwrap())
        .collect();
    let (production, staging) = (env(&envs, "production"), env(&envs, "staging"));
    let rendered =
        support::by_id(tierform_emit_k8s::rendered_overlay(production, staging).unwrap());
    let flat = support::by_id(tierform_emit_k8s::flat_values(staging).unwrap());
    assert_eq!(rendered, flat);
    assert_eq!(
        flat["Deployment/api"]["spec"]["template"]["spec"]["containers"][0]["image"],
        "111111111111.dkr.ecr.us-east-1.amazonaws.com/shop-api:1.1.0-rc1"
    );
}
