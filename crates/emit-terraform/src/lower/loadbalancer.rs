//! `loadbalancer.tf`, on ECS Fargate and EKS alike: the internet-facing ALB, a target group per
//! public service (`target_type = "ip"`, the service's health check), an HTTPS listener (TLS 1.3
//! policy, ACM certificates from `dns.tf`) routing by host name, an HTTP listener that only
//! redirects, and a WAF web ACL. App Runner has its own load balancer.
//!
//! On ECS the services register their tasks in the target groups; on EKS the Kubernetes
//! manifests bind each public service's pods to its target group with the AWS Load Balancer
//! Controller's `TargetGroupBinding`, by the name [`Environment::target_group_name`] gives both
//! emitters. Terraform owning the load balancer on both platforms is what lets the alarms and
//! the dashboard (`observability.tf`) name its `LoadBalancer` and `TargetGroup` dimensions.
//!
//! [`Environment::target_group_name`]: tierform_model::Environment::target_group_name

use tierform_model::Service;

use super::{tags, Cx};
use crate::expr::{list, res, strings};
use crate::module::{Module, TfFile, B};
use crate::names::label;

const C: &str = "load balancer";

/// A TLS 1.3 policy that still accepts TLS 1.2 clients (CKV_AWS_103).
pub(crate) const TLS_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// Whether the environment has the load balancer: public services on ECS or EKS.
pub(crate) fn has_alb(cx: &Cx) -> bool {
    (cx.ecs() || cx.eks()) && cx.public_services().next().is_some()
}

pub(crate) fn lower(cx: &Cx, m: &mut Module) {
    if !has_alb(cx) {
        return;
    }
    let public: Vec<_> = cx.public_services().collect();
    load_balancer(cx, m);
    for (name, svc) in &public {
        target_group(cx, m, name, svc);
    }
    https_listener(m, public[0].0);
    for (i, (name, svc)) in public.iter().enumerate() {
        host_rule(m, i, name, svc);
    }
    http_redirect(m);
    waf(cx, m);
}

/// The internet-facing application load balancer in the public subnets.
fn load_balancer(cx: &Cx, m: &mut Module) {
    let alb_name = cx.env.load_balancer_name();
    m.push(
        TfFile::LoadBalancer,
        C,
        B::resource("aws_lb", "main")
            .attr("name", alb_name.clone())
            .attr("internal", false)
            .attr("load_balancer_type", "application")
            .attr("security_groups", list([res("aws_security_group", "alb", "id")]))
            .attr("subnets", cx.public_subnets())
            .gap()
            .attr("drop_invalid_header_fields", true)
            .attr("desync_mitigation_mode", "defensive")
            // Always on, secure by default: a tier flag here would be a structural difference
            // between staging and the production it mirrors. Tearing down needs one explicit step.
            .attr("enable_deletion_protection", true)
            .attr("enable_http2", true)
            .skip("CKV_AWS_91", "access logs need an S3 bucket outside this module's scope; requests are logged by the WAF (aws_wafv2_web_acl_logging_configuration) to CloudWatch")
            .attr("tags", tags(alb_name)),
    );
}

/// A public service's target group: pod or task IPs (`ip`), the service's health check. Its
/// name is the one the EKS manifests bind to.
fn target_group(cx: &Cx, m: &mut Module, name: &str, svc: &Service) {
    let l = label(name);
    let hc = &svc.health_check;
    let tg_name = cx.env.target_group_name(name);
    m.push(
        TfFile::LoadBalancer,
        format!("service {name}"),
        B::resource("aws_lb_target_group", &l)
            .attr("name", tg_name.clone())
            .attr("port", svc.port)
            .attr("protocol", "HTTP")
            .attr("target_type", "ip")
            .attr("vpc_id", cx.vpc_id())
            .attr("deregistration_delay", 30)
            .skip("CKV_AWS_378", "TLS ends at the load balancer; targets listen in private subnets and accept traffic from the load balancer's security group only")
            .block(
                B::new("health_check")
                    .attr("enabled", true)
                    // A command-only health check runs in the container; the balancer
                    // then checks that the port answers.
                    .attr("path", hc.path.as_deref().unwrap_or("/"))
                    .attr("port", "traffic-port")
                    .attr("protocol", "HTTP")
                    .attr("matcher", if hc.path.is_some() { "200" } else { "200-499" })
                    .attr("interval", hc.interval())
                    .attr("timeout", hc.timeout)
                    .attr("healthy_threshold", hc.healthy_threshold)
                    .attr("unhealthy_threshold", hc.unhealthy_threshold),
            )
            .attr("tags", tags(tg_name)),
    );
}

/// HTTPS on 443 with the first public service's certificate; requests for unknown hosts get
/// a 404 (each service has a rule for its host).
fn https_listener(m: &mut Module, first: &str) {
    m.push(
        TfFile::LoadBalancer,
        C,
        B::resource("aws_lb_listener", "https")
            .attr("load_balancer_arn", res("aws_lb", "main", "arn"))
            .attr("port", 443)
            .attr("protocol", "HTTPS")
            .attr("ssl_policy", TLS_POLICY)
            .attr(
                "certificate_arn",
                res(
                    "aws_acm_certificate_validation",
                    &label(first),
                    "certificate_arn",
                ),
            )
            .block(
                B::new("default_action")
                    .attr("type", "fixed-response")
                    .block(
                        B::new("fixed_response")
                            .attr("content_type", "text/plain")
                            .attr("message_body", "Not found")
                            .attr("status_code", "404"),
                    ),
            ),
    );
}

/// The `i`-th public service's certificate on the listener (the first one's is the
/// listener's own) and its rule: its host forwards to its target group.
fn host_rule(m: &mut Module, i: usize, name: &str, svc: &Service) {
    let l = label(name);
    let c = format!("service {name}");
    if i > 0 {
        m.push(
            TfFile::LoadBalancer,
            &c,
            B::resource("aws_lb_listener_certificate", &l)
                .attr("listener_arn", res("aws_lb_listener", "https", "arn"))
                .attr(
                    "certificate_arn",
                    res("aws_acm_certificate_validation", &l, "certificate_arn"),
                ),
        );
    }
    let host = svc
        .public
        .as_ref()
        .map(|p| p.host.as_str())
        .unwrap_or_default();
    m.push(
        TfFile::LoadBalancer,
        &c,
        B::resource("aws_lb_listener_rule", &l)
            .attr("listener_arn", res("aws_lb_listener", "https", "arn"))
            .attr("priority", 100 + i as u32)
            .block(
                B::new("action")
                    .attr("type", "forward")
                    .attr("target_group_arn", res("aws_lb_target_group", &l, "arn")),
            )
            .block(
                B::new("condition").block(B::new("host_header").attr("values", strings([host]))),
            ),
    );
}

/// HTTP on 80, answered only with a permanent redirect to HTTPS.
fn http_redirect(m: &mut Module) {
    m.push(
        TfFile::LoadBalancer,
        C,
        B::resource("aws_lb_listener", "http")
            .attr("load_balancer_arn", res("aws_lb", "main", "arn"))
            .attr("port", 80)
            .attr("protocol", "HTTP")
            .skip(
                "CKV_AWS_2",
                "this listener only redirects to HTTPS (CKV2_AWS_20)",
            )
            .skip(
                "CKV_AWS_103",
                "this listener only redirects to HTTPS; TLS is set on the HTTPS listener",
            )
            .block(
                B::new("default_action").attr("type", "redirect").block(
                    B::new("redirect")
                        .attr("port", "443")
                        .attr("protocol", "HTTPS")
                        .attr("status_code", "HTTP_301"),
                ),
            ),
    );
}

/// AWS managed rules in front of the load balancer (CKV2_AWS_28), including the
/// known-bad-inputs group that blocks Log4Shell probes (CKV2_AWS_76), logged to CloudWatch.
fn waf(cx: &Cx, m: &mut Module) {
    let visibility = |metric: &str| {
        B::new("visibility_config")
            .attr("cloudwatch_metrics_enabled", true)
            .attr("metric_name", metric)
            .attr("sampled_requests_enabled", true)
    };
    let managed = |priority: u32, group: &str, action: &'static str| {
        B::new("rule")
            .attr("name", group)
            .attr("priority", priority)
            .block(B::new("override_action").block(B::new(action)))
            .block(
                B::new("statement").block(
                    B::new("managed_rule_group_statement")
                        .attr("name", group)
                        .attr("vendor_name", "AWS"),
                ),
            )
            .block(visibility(group))
    };
    let acl = cx.name("web", 128);
    m.push(
        TfFile::LoadBalancer,
        C,
        B::resource("aws_wafv2_web_acl", "main")
            .attr("name", acl.clone())
            .attr("scope", "REGIONAL")
            .block(B::new("default_action").block(B::new("allow")))
            .block(managed(10, "AWSManagedRulesCommonRuleSet", "none"))
            .block(managed(20, "AWSManagedRulesKnownBadInputsRuleSet", "none"))
            // Counted, not blocked: customers behind VPNs and corporate proxies must get through;
            // the counts show up in the metrics (CKV2_AWS_76 asks for the group).
            .block(managed(30, "AWSManagedRulesAnonymousIpList", "count"))
            .block(visibility(&acl))
            .attr("tags", tags(acl.clone())),
    );
    m.push(
        TfFile::LoadBalancer,
        C,
        B::resource("aws_wafv2_web_acl_association", "main")
            .attr("resource_arn", res("aws_lb", "main", "arn"))
            .attr("web_acl_arn", res("aws_wafv2_web_acl", "main", "arn")),
    );
    m.push(
        TfFile::LoadBalancer,
        C,
        B::resource("aws_wafv2_web_acl_logging_configuration", "main")
            .attr("resource_arn", res("aws_wafv2_web_acl", "main", "arn"))
            .attr(
                "log_destination_configs",
                list([res("aws_cloudwatch_log_group", "waf", "arn")]),
            ),
    );
}
