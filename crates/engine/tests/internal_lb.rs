//! Internal exposure (issue 17): `service { internal { … } }` is reachable from inside the VPC
//! (and the declared ranges) only, over TLS, with no public name. On ECS Fargate a spec with
//! public and internal services gets two load balancers; on App Runner an internal service
//! answers only at its private endpoint. Snapshots under `snapshots/internal-lb/`.

use tierform_engine::model::FileSet;

mod common;
use common::{block, build, file};

fn snapshot(prefix: &str, files: &FileSet, names: &[&str]) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../../snapshots/internal-lb");
    settings.set_prepend_module_to_snapshot(false);
    for name in names {
        let path = format!("terraform/production/{name}");
        let text = file(files, &path);
        settings.bind(|| insta::assert_snapshot!(format!("{prefix}@{name}"), text));
    }
}

#[test]
fn ecs_builds_an_internal_load_balancer_beside_the_public_one() {
    let files = build("internal-ecs.hcl");
    let lb = file(&files, "terraform/production/loadbalancer.tf");
    let public = block(lb, "resource \"aws_lb\" \"main\"");
    let internal = block(lb, "resource \"aws_lb\" \"internal\"");
    assert!(
        public.contains("internal                   = false")
            || public.contains("internal           = false"),
        "{public}"
    );
    assert!(
        internal.contains("= true") && internal.contains("aws_subnet.private[*].id"),
        "{internal}"
    );
    assert!(!internal.contains("aws_subnet.public"), "{internal}");
    // No port 80 and no WAF on the internal one: the WAF guards the internet-facing one only.
    assert_eq!(
        lb.matches("aws_lb.internal.arn").count(),
        1,
        "one listener: HTTPS"
    );
    assert!(block(lb, "resource \"aws_wafv2_web_acl_association\"").contains("aws_lb.main.arn"));
    // The internal host rules admit only their own service's ranges.
    let api_rule = block(lb, "resource \"aws_lb_listener_rule\" \"api\"");
    assert!(
        api_rule.contains("aws_lb_listener.internal_https.arn"),
        "{api_rule}"
    );
    assert!(
        api_rule.contains("[\"10.60.0.0/16\", \"172.20.0.0/16\"]"),
        "{api_rule}"
    );
    let admin_rule = block(lb, "resource \"aws_lb_listener_rule\" \"admin\"");
    assert!(admin_rule.contains("[\"10.60.0.0/16\"]"), "{admin_rule}");
    // The declared certificate is used as is; the Private CA's is issued, never DNS-validated.
    assert!(
        block(lb, "resource \"aws_lb_listener_certificate\" \"admin\"")
            .contains("arn:aws:acm:us-east-1:123456789012:certificate/66666666")
    );
    let dns = file(&files, "terraform/production/dns.tf");
    let cert = block(dns, "resource \"aws_acm_certificate\" \"api\"");
    assert!(
        cert.contains("certificate_authority_arn") && !cert.contains("validation_method"),
        "{cert}"
    );
    assert!(!dns.contains("aws_acm_certificate_validation\" \"api\""));
    assert!(!dns.contains("aws_acm_certificate\" \"admin\""));
    // One private zone created (corp.internal), associated with the VPC; ops.internal exists.
    assert_eq!(dns.matches("resource \"aws_route53_zone\"").count(), 1);
    assert!(
        block(dns, "resource \"aws_route53_zone\" \"api_private_zone\"")
            .contains("vpc_id = aws_vpc.main.id")
    );
    assert!(block(dns, "resource \"aws_route53_record\" \"admin\"")
        .contains("\"Z0123456789ABCDEFGHIJ\""));
    assert!(
        block(dns, "resource \"aws_route53_record\" \"api\"").contains("aws_lb.internal.dns_name")
    );
    // The public zone is looked up for the public service only.
    assert_eq!(dns.matches("data \"aws_route53_zone\"").count(), 1);
    let security = file(&files, "terraform/production/security.tf");
    let ingress = block(
        security,
        "resource \"aws_vpc_security_group_ingress_rule\" \"alb_internal_https_in\"",
    );
    assert!(
        ingress.contains("toset([\"10.60.0.0/16\", \"172.20.0.0/16\"])"),
        "{ingress}"
    );
    assert!(!ingress.contains("0.0.0.0/0"));
    let services = file(&files, "terraform/production/services.tf");
    assert!(block(services, "resource \"aws_ecs_service\" \"api\"")
        .contains("aws_lb_listener.internal_https"));
    assert!(
        block(services, "resource \"aws_ecs_service\" \"web\"").contains("aws_lb_listener.https")
    );
    // Staging reads its own CA, certificate and zone.
    let staging = file(&files, "terraform/staging/dns.tf");
    assert!(staging.contains("aaaaaaaa-bbbb") && staging.contains("Z9876543210ZYXWVUTSRQ"));
    assert!(!staging.contains("11111111-2222") && !staging.contains("Z0123456789ABCDEFGHIJ"));
    snapshot("ecs", &files, &["loadbalancer.tf", "dns.tf", "security.tf"]);
}

#[test]
fn app_runner_answers_an_internal_service_at_its_private_endpoint_only() {
    let files = build("internal-app-runner.hcl");
    let services = file(&files, "terraform/production/services.tf");
    assert!(
        block(services, "resource \"aws_apprunner_service\" \"api\"")
            .contains("is_publicly_accessible = false")
    );
    assert!(
        block(services, "resource \"aws_apprunner_service\" \"web\"")
            .contains("is_publicly_accessible = true")
    );
    let endpoint = block(
        services,
        "resource \"aws_vpc_endpoint\" \"api_private_endpoint\"",
    );
    assert!(
        endpoint.contains("com.amazonaws.us-east-1.apprunner.requests"),
        "{endpoint}"
    );
    assert!(endpoint.contains("aws_subnet.private[*].id"), "{endpoint}");
    assert!(block(
        services,
        "resource \"aws_apprunner_vpc_ingress_connection\" \"api\""
    )
    .contains("aws_vpc_endpoint.api_private_endpoint.id"));
    // The caller finds the callee at its private endpoint's domain, and may reach it there.
    assert!(services.contains(
        "API_SERVICE_URL = \"https://${aws_apprunner_vpc_ingress_connection.api.domain_name}\""
    ));
    let security = file(&files, "terraform/production/security.tf");
    assert!(security.contains("resource \"aws_vpc_security_group_ingress_rule\" \"api_private_endpoint_from_service_web\""));
    assert!(block(
        security,
        "resource \"aws_vpc_security_group_ingress_rule\" \"api_private_endpoint_https_in\""
    )
    .contains("toset([\"172.20.0.0/16\"])"));
    // No custom domain, no certificate: App Runner's own TLS.
    assert!(!files.iter().any(|(p, _)| p.to_string().ends_with("dns.tf")));
    snapshot("app-runner", &files, &["services.tf", "security.tf"]);
}

/// Every internal value a tier changes (names, zone ids, CA and certificate ARNs, ranges) is a
/// module input: staging and production share one module in the module layout.
#[test]
fn internal_knobs_are_module_inputs() {
    for spec in ["internal-ecs.hcl", "internal-app-runner.hcl"] {
        let model = common::load(spec);
        let envs = tierform_engine::resolve(&model, &[]).unwrap_or_else(|ds| panic!("{ds}"));
        let modules = tierform_engine::terraform_modules(&model, &envs).unwrap();
        let structures: Vec<Vec<&str>> = modules
            .structures()
            .iter()
            .map(|s| s.environments.iter().map(String::as_str).collect())
            .collect();
        assert_eq!(structures, [["staging", "production"]], "{spec}");
    }
}
