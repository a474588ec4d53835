//! Raw manifests (issue 16): a Kubernetes object given in the spec is written once into the
//! kustomize base, and each overlay patches only the knobs the manifest declares, so base +
//! overlay is still exactly the flat rendering of every environment.

mod support;

use tierform_model::{Format, Model, Source};

/// ecommerce with a CronJob manifest whose schedule is a knob that staging changes.
fn spec() -> Model {
    let text = std::fs::read_to_string(support::fixtures_dir().join("ecommerce.hcl")).unwrap();
    let manifest = r#"
manifest "cache-warmer" {
  knobs = ["spec.schedule"]
  object = {
    apiVersion = "batch/v1"
    kind       = "CronJob"
    metadata   = { name = "cache-warmer" }
    spec = {
      schedule          = "*/15 * * * *"
      concurrencyPolicy = "Forbid"
      jobTemplate = { spec = { template = { spec = {
        restartPolicy = "Never"
        containers    = [{ name = "warmer", image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/warmer:1.0.0" }]
      } } } }
    }
  }
}

"#;
    let anchor = "tier \"staging\" {\n  mirrors = \"production\"\n";
    assert!(text.contains(anchor));
    let staging = format!(
        "{manifest}{anchor}  manifest \"cache-warmer\" {{\n    object = {{ spec = {{ schedule = \"0 * * * *\" }} }}\n  }}\n"
    );
    Model::parse(
        Source::new("ecommerce.hcl", text.replacen(anchor, &staging, 1)),
        Format::Hcl,
    )
    .unwrap_or_else(|e| panic!("the manifest variant loads: {e:?}"))
}

#[test]
fn the_base_holds_the_manifest_and_overlays_patch_its_knobs_only() {
    let model = spec();
    let production = model
        .resolve(&model.environment("production").unwrap())
        .unwrap();
    let staging = model
        .resolve(&model.environment("staging").unwrap())
        .unwrap();
    let base = tierform_emit_k8s::base(&production).unwrap();
    let file = base
        .iter()
        .find(|(p, _)| p.as_str() == "manifest-cache-warmer.yaml")
        .map(|(_, c)| c.to_owned())
        .expect("the base has the manifest");
    assert!(file.contains("schedule: '*/15 * * * *'"), "{file}");
    let kustomization = base
        .iter()
        .find(|(p, _)| p.as_str() == "kustomization.yaml")
        .map(|(_, c)| c.to_owned())
        .unwrap();
    assert!(kustomization.contains("manifest-cache-warmer.yaml"));
    let overlay = tierform_emit_k8s::overlay(&staging).unwrap();
    let k = overlay
        .iter()
        .find(|(p, _)| p.as_str() == "kustomization.yaml")
        .map(|(_, c)| c.to_owned())
        .unwrap();
    assert!(
        k.contains(r#"{"op":"replace","path":"/spec/schedule","value":"0 * * * *"}"#),
        "{k}"
    );
    assert!(
        !k.contains("concurrencyPolicy"),
        "structure stays in the base"
    );
    for env in [&production, &staging] {
        let rendered =
            support::by_id(tierform_emit_k8s::rendered_overlay(&production, env).unwrap());
        let flat = support::by_id(tierform_emit_k8s::flat_values(env).unwrap());
        assert_eq!(rendered, flat, "{}", env.name);
    }
}

#[test]
fn parity_sees_the_manifest_and_allows_its_knob() {
    let model = spec();
    let r = tierform_model::parity::compare(
        &model,
        &model.environment("production").unwrap(),
        &model.environment("staging").unwrap(),
        &|e: &tierform_model::Environment| tierform_emit_k8s::objects(e).unwrap(),
    )
    .unwrap();
    let d = r
        .differences
        .iter()
        .find(|d| d.object == "k8s:CronJob/cache-warmer")
        .expect("the schedule differs");
    assert_eq!(d.path, "spec.schedule");
    assert_eq!(d.class, tierform_model::parity::Class::Allowed);
}

#[test]
fn a_manifest_on_a_platform_without_kubernetes_is_refused_at_the_block() {
    let text = std::fs::read_to_string(support::fixtures_dir().join("servio.hcl")).unwrap();
    let text = format!(
        "{text}\nmanifest \"extra\" {{\n  object = {{ apiVersion = \"v1\", kind = \"ConfigMap\", metadata = {{ name = \"extra\" }} }}\n}}\n"
    );
    let model = Model::parse(Source::new("servio.hcl", text), Format::Hcl).unwrap();
    let (_, err) = model.check();
    let d = err
        .iter()
        .find(|d| d.code == "manifest-without-kubernetes")
        .expect("manifest-without-kubernetes");
    assert!(d.message.contains("ECS Fargate"), "{}", d.message);
    assert!(d.location.is_some(), "located");
}

#[test]
fn a_manifest_named_like_one_of_tierforms_objects_is_refused() {
    let text = std::fs::read_to_string(support::fixtures_dir().join("ecommerce.hcl")).unwrap();
    let text = format!(
        "{text}\nmanifest \"shadow\" {{\n  object = {{ apiVersion = \"v1\", kind = \"Service\", metadata = {{ name = \"api\" }} }}\n}}\n"
    );
    let model = Model::parse(Source::new("ecommerce.hcl", text), Format::Hcl).unwrap();
    let production = model
        .resolve(&model.environment("production").unwrap())
        .unwrap();
    let taken = tierform_emit_k8s::raw_conflicts(&production);
    assert_eq!(taken.len(), 1, "{taken:?}");
    assert_eq!(taken[0].path.to_string(), "manifest.shadow.object");
    assert!(tierform_emit_k8s::raw_conflicts(&spec_production()).is_empty());
}

fn spec_production() -> tierform_model::Environment {
    let model = spec();
    model
        .resolve(&model.environment("production").unwrap())
        .unwrap()
}
