//! Service discovery (issue 17): a service that `calls` another learns its address as
//! `<CALLEE>_SERVICE_URL`, and the platform answers at that address: on ECS Fargate through
//! Service Connect (the callee published under its name and port, the caller given the proxy
//! that resolves it), on EKS at the callee's Kubernetes Service, locally at its compose
//! service. The GOV.UK Forms fixture's runner calls the admin's API under its own setting.

use tierform_engine::model::FileSet;
use tierform_engine::{generate, Options};

mod common;
use common::block;

/// Everything `tierform build` writes for a fixture.
fn fixture(name: &str) -> FileSet {
    generate(&common::fixture(name), &Options::default()).unwrap_or_else(|ds| panic!("{ds}"))
}

/// A file's text with runs of spaces collapsed, so alignment does not matter.
fn text(files: &FileSet, path: &str) -> String {
    common::file(files, path)
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn ecs_callers_reach_their_callees_through_service_connect() {
    let files = fixture("govuk-forms.hcl");
    for env in ["dev", "staging", "production"] {
        let platform = text(&files, &format!("terraform/{env}/platform.tf"));
        assert!(platform.contains("resource \"aws_service_discovery_http_namespace\" \"main\""));
        assert!(block(&platform, "resource \"aws_ecs_cluster\" \"main\"")
            .contains("namespace = aws_service_discovery_http_namespace.main.arn"));
        let services = text(&files, &format!("terraform/{env}/services.tf"));
        // The callee: its port named, published under its name and port.
        let admin = block(&services, "resource \"aws_ecs_service\" \"forms_admin\"");
        for line in [
            "port_name = \"http\"",
            "discovery_name = \"forms-admin\"",
            "dns_name = \"forms-admin\"",
            "port = 3000",
        ] {
            assert!(admin.contains(line), "{env}: {line} in {admin}");
        }
        let admin_task = block(
            &services,
            "resource \"aws_ecs_task_definition\" \"forms_admin\"",
        );
        assert!(admin_task.contains("name = \"http\""), "{admin_task}");
        // The caller: the proxy, and the address under the application's own name.
        let runner = block(&services, "resource \"aws_ecs_service\" \"forms_runner\"");
        assert!(runner.contains("service_connect_configuration"), "{runner}");
        assert!(
            !runner.contains("discovery_name"),
            "a caller only: {runner}"
        );
        let runner_task = block(
            &services,
            "resource \"aws_ecs_task_definition\" \"forms_runner\"",
        );
        assert!(
            runner_task.contains(
                "name = \"SETTINGS__FORMS_API__BASE_URL\"\n value = \"http://forms-admin:3000\""
            ),
            "{runner_task}"
        );
        // A service that neither calls nor is called stays out of Service Connect.
        let page = block(
            &services,
            "resource \"aws_ecs_service\" \"forms_product_page\"",
        );
        assert!(!page.contains("service_connect_configuration"), "{page}");
    }
}

#[test]
fn no_namespace_without_calls() {
    let files = fixture("servio.hcl");
    let platform = text(&files, "terraform/production/platform.tf");
    assert!(!platform.contains("aws_service_discovery_http_namespace"));
}

#[test]
fn kubernetes_and_compose_callers_get_the_callees_address() {
    let files = fixture("webank.hcl");
    let base = text(&files, "k8s/base/banking-web.yaml");
    assert!(
        base.contains("- name: BANKING_API_SERVICE_URL\n value: http://banking-api:8080"),
        "{base}"
    );
    let service = text(&files, "k8s/base/banking-api.yaml");
    assert!(
        service.contains("kind: Service"),
        "the callee has its Service"
    );
    let compose = text(&files, "compose/local/docker-compose.yml");
    assert!(compose.contains("BANKING_API_SERVICE_URL: http://banking-api:8080"));
}
