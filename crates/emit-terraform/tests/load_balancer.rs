//! The load balancer on EKS is Terraform's, as on ECS: one lowering for both, the pods reached
//! through the cluster's security group, the controller only registering targets.

mod common;

use serde_json::Value;
use tierform_model::{Environment, Platform};

fn objects(env: &Environment) -> Vec<(String, Value)> {
    tierform_emit_terraform::objects(env)
        .unwrap()
        .into_iter()
        .map(|o| (o.id.trim_start_matches("terraform:").to_owned(), o.data))
        .collect()
}

fn inline(platform: &str) -> Vec<Environment> {
    common::inline_envs()
        .into_iter()
        .filter(|(n, _)| n == &format!("inline-{platform}"))
        .map(|(_, e)| e)
        .collect()
}

fn addresses(env: &Environment) -> Vec<String> {
    objects(env).into_iter().map(|(a, _)| a).collect()
}

#[test]
fn eks_gets_the_same_load_balancer_as_ecs() {
    let (eks, ecs) = (inline("eks"), inline("ecs"));
    assert!(!eks.is_empty() && !ecs.is_empty());
    for (e, c) in eks.iter().zip(&ecs) {
        let lb = |a: &[String]| -> Vec<String> {
            a.iter()
                .filter(|a| a.starts_with("aws_lb") || a.starts_with("aws_wafv2"))
                .cloned()
                .collect()
        };
        assert_eq!(lb(&addresses(e)), lb(&addresses(c)), "{}", e.name);
        for (address, data) in objects(e) {
            if let Some(l) = address.strip_prefix("aws_lb_target_group.") {
                let service = e
                    .app
                    .services
                    .keys()
                    .find(|n| n.replace('-', "_") == l)
                    .expect("a target group per public service");
                assert_eq!(data["name"], e.target_group_name(service));
                assert_eq!(data["target_type"], "ip");
            }
        }
    }
}

#[test]
fn the_load_balancer_reaches_the_pods_once_per_port() {
    for env in inline("eks") {
        let all = addresses(&env);
        for port in [8080, 9000] {
            for rule in [
                format!("aws_vpc_security_group_egress_rule.alb_to_cluster_{port}"),
                format!("aws_vpc_security_group_ingress_rule.cluster_from_alb_{port}"),
            ] {
                assert!(all.contains(&rule), "{}: {rule}", env.name);
            }
        }
        // Two public services on one port share the flow: one pair of rules, not two.
        let mut same_port = env.clone();
        for s in same_port.app.services.values_mut() {
            if s.public.is_some() {
                s.port = 8080;
            }
        }
        let rules: Vec<String> = addresses(&same_port)
            .into_iter()
            .filter(|a| a.contains("cluster_from_alb") || a.contains("alb_to_cluster"))
            .collect();
        assert_eq!(
            rules,
            [
                "aws_vpc_security_group_egress_rule.alb_to_cluster_8080",
                "aws_vpc_security_group_ingress_rule.cluster_from_alb_8080"
            ]
        );
    }
}

#[test]
fn the_controller_only_registers_targets_in_its_own_target_groups() {
    for env in inline("eks") {
        let policy = objects(&env)
            .into_iter()
            .find(|(a, _)| a == "aws_iam_policy.lb_controller")
            .expect("the controller's policy")
            .1["policy"]
            .to_string();
        for absent in [
            "CreateLoadBalancer",
            "CreateTargetGroup",
            "CreateSecurityGroup",
            "AuthorizeSecurityGroupIngress",
            "DeleteLoadBalancer",
            "wafv2:",
        ] {
            assert!(!policy.contains(absent), "{}: {absent}", env.name);
        }
        assert!(policy.contains("aws_lb_target_group.web.arn"), "{policy}");
        assert!(policy.contains("aws_lb_target_group.back_office_admin_portal.arn"));
        let all = addresses(&env);
        assert!(
            !all.iter().any(|a| a.contains("external_dns")),
            "{}",
            env.name
        );
        assert!(all.contains(&"aws_route53_record.web".to_owned()));
    }
}

#[test]
fn without_public_services_there_is_no_load_balancer() {
    for mut env in inline("eks") {
        assert!(matches!(env.app.platform, Platform::Eks(_)));
        for s in env.app.services.values_mut() {
            s.public = None;
        }
        let all = addresses(&env);
        assert!(!all.iter().any(|a| a.starts_with("aws_lb")), "{all:?}");
        assert!(!all.iter().any(|a| a.contains("alb")), "{all:?}");
    }
}
