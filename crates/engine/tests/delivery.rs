//! The delivery files of the fixtures that declare one (`build --delivery`): GitHub Actions
//! workflows, atlantis.yaml and Argo CD ApplicationSets, as snapshots; and the rules of the
//! `delivery` block that need resolved environments.

use tierform_engine::model::{Format, Model, Source};
use tierform_engine::{generate, Options};

fn model(name: &str) -> Model {
    let path = format!("{}/../../fixtures/{name}.hcl", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    Model::parse(Source::new(format!("{name}.hcl"), text), Format::Hcl).unwrap()
}

fn delivery_files(m: &Model, options: Options) -> Vec<(String, String)> {
    generate(m, &options.with_delivery(true))
        .unwrap()
        .iter()
        .filter(|(p, _)| {
            let p = p.as_str();
            p.starts_with(".github/") || p == "atlantis.yaml" || p.starts_with("argocd/")
        })
        .map(|(p, c)| (p.as_str().to_owned(), c.to_owned()))
        .collect()
}

#[test]
fn fixtures_deliver_as_their_documents_describe() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../../snapshots/delivery");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for name in ["servio", "globepay", "ecommerce", "togetherhood"] {
            let files = delivery_files(&model(name), Options::default());
            assert!(!files.is_empty(), "{name} declares a delivery");
            for (path, text) in files {
                insta::assert_snapshot!(format!("{name}@{}", path.replace('/', "@")), text);
            }
        }
    });
}

#[test]
fn no_delivery_files_without_the_flag_or_the_block() {
    let m = model("servio");
    let plain = generate(&m, &Options::default()).unwrap();
    assert!(plain
        .iter()
        .all(|(p, _)| !p.as_str().starts_with(".github/")));
    let webank = model("webank");
    assert!(delivery_files(&webank, Options::default()).is_empty());
}

#[test]
fn a_partial_build_writes_no_delivery() {
    let m = model("servio");
    let files = generate(
        &m,
        &Options::default()
            .with_environments(["staging"])
            .with_delivery(true),
    )
    .unwrap();
    assert!(files
        .iter()
        .all(|(p, _)| !p.as_str().starts_with(".github/")));
}

#[test]
fn the_workflows_repeat_the_build_layouts() {
    let m = model("ecommerce");
    let files = delivery_files(
        &m,
        Options::default()
            .with_k8s_layout(tierform_engine::K8sLayout::Flat)
            .with_tf_layout(tierform_engine::TfLayout::Module),
    );
    let pr = &files
        .iter()
        .find(|(p, _)| p.ends_with("tierform-pull-request.yml"))
        .unwrap()
        .1;
    assert!(
        pr.contains("--delivery --k8s-layout flat --tf-layout module --check"),
        "{pr}"
    );
    let argo = &files
        .iter()
        .find(|(p, _)| p == "argocd/ecommerce.yaml")
        .unwrap()
        .1;
    assert!(argo.contains("path: k8s/staging\n"), "{argo}");
}

/// The servio fixture with its staging delivery smoke-testing `services`.
fn servio_smoke(services: &str) -> Result<(), tierform_engine::model::Diagnostics> {
    let path = format!("{}/../../fixtures/servio.hcl", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap().replace(
        "    deploy = \"automatic\"\n    branch = \"main\"\n",
        &format!(
            "    deploy = \"automatic\"\n    branch = \"main\"\n    smoke_tests = {services}\n"
        ),
    );
    let m = Model::parse(Source::new("servio.hcl", text), Format::Hcl)?;
    tierform_engine::check(&m).map(|_| ())
}

#[test]
fn smoke_tests_name_public_services_with_a_health_check_path() {
    assert!(servio_smoke("[\"app\"]").is_ok());
    let unknown = servio_smoke("[\"ap\"]").unwrap_err();
    let d = &unknown.0[0];
    assert_eq!(d.code, "smoke-test");
    assert!(d.message.contains("unknown service `ap`"), "{}", d.message);
    assert_eq!(d.help.as_deref(), Some("did you mean `app`?"));
    assert!(d.location.is_some(), "located in the delivery block");
    assert_eq!(d.path.to_string(), "delivery.tier.staging.smoke_tests.0");
}

#[test]
fn argocd_is_refused_without_kubernetes() {
    let path = format!("{}/../../fixtures/servio.hcl", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap().replace(
        "  ci                   = [\"github_actions\"]\n",
        "  ci                   = [\"github_actions\", \"argocd\"]\n  repository           = \"https://github.com/servio/infra\"\n",
    );
    let m = Model::parse(Source::new("servio.hcl", text), Format::Hcl).unwrap();
    let err = tierform_engine::check(&m).unwrap_err();
    assert_eq!(err.0[0].code, "argocd-without-kubernetes");
    assert!(
        err.0[0].message.contains("ECS Fargate"),
        "{}",
        err.0[0].message
    );
    assert!(err.0[0].location.is_some());
}

#[test]
fn a_health_path_that_a_workflow_would_interpret_is_refused() {
    // `${{ … }}` in a matrix value is evaluated by GitHub: it could send a secret to the host.
    let path = format!("{}/../../fixtures/servio.hcl", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap().replacen(
        "path                = \"/health\"",
        "path                = \"/health$${{secrets.SLACK_WEBHOOK_URL}}\"",
        1,
    );
    assert!(
        text.contains("$${{"),
        "the fixture's health path was replaced"
    );
    let m = Model::parse(Source::new("servio.hcl", text), Format::Hcl).unwrap();
    let err = tierform_engine::check(&m).unwrap_err();
    assert!(
        err.0
            .iter()
            .any(|d| d.code == "smoke-test" && d.message.contains("would interpret")),
        "{err:?}"
    );
}

/// A preview of an ephemeral tier whose mirrored tier fans out per tenant names the tenant it
/// copies, as every copy of it must (`bugfix-<tenant>-<number>`): one generator per tenant,
/// for pull requests labelled with the tier's and the tenant's names.
#[test]
fn previews_of_a_per_tenant_tier_name_the_tenant() {
    let path = format!("{}/../../fixtures/webank.hcl", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap()
        + r#"
delivery {
  ci         = ["github_actions", "argocd"]
  repository     = "https://github.com/webank/infra"
  aws_account_id = "418295730112"
  tier "production" {
    deploy = "approval"
    branch = "main"
  }
}
"#;
    let m = Model::parse(Source::new("webank.hcl", text), Format::Hcl)
        .unwrap_or_else(|e| panic!("{e}"));
    let files = delivery_files(&m, Options::default());
    let previews: Vec<&(String, String)> = files
        .iter()
        .filter(|(p, _)| p.ends_with("-previews.yaml"))
        .collect();
    let names: Vec<&str> = previews.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        names,
        [
            "argocd/webank-bugfix-rb-alpenvorland-previews.yaml",
            "argocd/webank-bugfix-vb-rheinaue-previews.yaml",
            "argocd/webank-bugfix-vr-nordheide-previews.yaml",
        ]
    );
    let (_, first) = previews[1];
    assert!(first.contains("bugfix-vb-rheinaue-{{.number}}"), "{first}");
    assert!(
        first.contains("- bugfix\n") && first.contains("- vb-rheinaue\n"),
        "{first}"
    );
    // Every name a preview deploys is one the model builds.
    assert!(m.environment("bugfix-vb-rheinaue-17").is_ok());
}

/// A smoke test of an internal service (issue 17) is refused, located, saying why: the CI
/// runner is outside the VPC the service answers in.
#[test]
fn an_internal_service_is_not_smoke_tested() {
    let path = format!(
        "{}/../../fixtures/thumbnails.hcl",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap().replace(
        "tier \"staging\" {",
        "delivery {\n  aws_account_id = \"123456789012\"\n  tier \"staging\" {\n    deploy      = \"automatic\"\n    branch      = \"main\"\n    smoke_tests = [\"upload-api\"]\n  }\n}\n\ntier \"staging\" {",
    );
    let m = Model::parse(Source::new("thumbnails.hcl", text), Format::Hcl).unwrap();
    let ds = tierform_engine::check(&m).map(|_| ()).unwrap_err();
    let d = &ds.0[0];
    assert_eq!(d.code, "smoke-test");
    assert!(d.message.contains("is internal"), "{}", d.message);
    assert!(d.location.is_some());
    assert_eq!(d.path.to_string(), "delivery.tier.staging.smoke_tests.0");
}
