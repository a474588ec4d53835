//! `loadbalancer.tf`, on ECS Fargate and EKS alike: per [`Facing`], an ALB with a target group
//! per service behind it (`target_type = "ip"`, the service's health check) and an HTTPS
//! listener (TLS 1.3 policy) routing by host name. The internet-facing one (public services,
//! public subnets) adds an HTTP listener that only redirects and a WAF web ACL, its
//! certificates validated in public zones (`dns.tf`); the internal one (internal services,
//! private subnets) has no port 80, and certificates from a Private CA or declared by ARN
//! (`internal.rs`). App Runner has its own load balancer.
//!
//! On ECS the services register their tasks in the target groups; on EKS the Kubernetes
//! manifests bind each public service's pods to its target group with the AWS Load Balancer
//! Controller's `TargetGroupBinding`, by the name [`Environment::target_group_name`] gives both
//! emitters. Terraform owning the load balancer on both platforms is what lets the alarms and
//! the dashboard (`observability.tf`) name its `LoadBalancer` and `TargetGroup` dimensions.
//!
//! [`Environment::target_group_name`]: tierform_model::Environment::target_group_name

use hcl::Expression;
use tierform_model::Service;

use super::{tags, Cx};
use crate::expr::{list, res, strings};
use crate::module::{Module, TfFile, B};
use crate::names::{label, limit};

const C: &str = "load balancer";
const C_INTERNAL: &str = "internal load balancer";

/// A TLS 1.3 policy that still accepts TLS 1.2 clients (CKV_AWS_103).
pub(crate) const TLS_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// Which load balancer a service is behind: the internet-facing one of `public` services, or
/// the internal one of `internal` services (an environment with both has both). The platform
/// decides who registers targets; this decides where the balancer lives and who reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Facing {
    /// Public subnets, HTTPS from anywhere (HTTP only to redirect), a WAF in front.
    Internet,
    /// Private subnets, HTTPS from the VPC or the declared ranges only, no public name.
    Internal,
}

impl Facing {
    /// Both, in the order their blocks are written.
    pub(crate) const ALL: [Facing; 2] = [Facing::Internet, Facing::Internal];

    /// The load balancer of a service, if it is exposed.
    pub(crate) fn of(svc: &Service) -> Option<Facing> {
        if svc.public.is_some() {
            Some(Facing::Internet)
        } else if svc.internal.is_some() {
            Some(Facing::Internal)
        } else {
            None
        }
    }

    /// The label of its `aws_lb` (the internet-facing one keeps `main`).
    pub(crate) fn lb(self) -> &'static str {
        match self {
            Facing::Internet => "main",
            Facing::Internal => "internal",
        }
    }

    /// The label of its security group.
    pub(crate) fn sg(self) -> &'static str {
        match self {
            Facing::Internet => "alb",
            Facing::Internal => "alb_internal",
        }
    }

    /// The label of its HTTPS listener.
    pub(crate) fn listener(self) -> &'static str {
        match self {
            Facing::Internet => "https",
            Facing::Internal => "internal_https",
        }
    }

    /// The component its shared blocks are listed under.
    fn component(self) -> &'static str {
        match self {
            Facing::Internet => C,
            Facing::Internal => C_INTERNAL,
        }
    }

    /// The part of its name after the environment's prefix.
    fn name(self) -> &'static str {
        match self {
            Facing::Internet => "alb",
            Facing::Internal => "internal",
        }
    }
}

/// The services behind one load balancer, in spec order.
pub(crate) fn behind<'a>(cx: &Cx<'a>, facing: Facing) -> Vec<(&'a String, &'a Service)> {
    cx.app
        .services
        .iter()
        .filter(|(_, s)| Facing::of(s) == Some(facing))
        .collect()
}

/// Whether the environment has this load balancer: services behind it on ECS or EKS (App
/// Runner has its own).
pub(crate) fn has(cx: &Cx, facing: Facing) -> bool {
    (cx.ecs() || cx.eks())
        && cx
            .app
            .services
            .values()
            .any(|s| Facing::of(s) == Some(facing))
}

pub(crate) fn lower(cx: &Cx, m: &mut Module) {
    for facing in Facing::ALL {
        if has(cx, facing) {
            alb(cx, m, facing, &behind(cx, facing));
        }
    }
}

/// One load balancer with a target group and a host rule per service behind it.
fn alb(cx: &Cx, m: &mut Module, facing: Facing, services: &[(&String, &Service)]) {
    balancer(cx, m, facing);
    for (name, svc) in services {
        target_group(cx, m, name, svc);
    }
    https_listener(m, facing, services);
    for (i, (name, svc)) in services.iter().enumerate() {
        host_rule(cx, m, facing, i, name, svc);
    }
    if facing == Facing::Internet {
        http_redirect(m);
        waf(cx, m);
    }
}

fn balancer(cx: &Cx, m: &mut Module, facing: Facing) {
    let alb_name = match facing {
        Facing::Internet => cx.env.load_balancer_name(),
        Facing::Internal => cx.name(facing.name(), limit::LB),
    };
    let internal = facing == Facing::Internal;
    let subnets = if internal {
        cx.private_subnets()
    } else {
        cx.public_subnets()
    };
    let logs = if internal {
        "access logs need an S3 bucket encrypted with SSE-S3 (load balancers cannot write with the environment's KMS key), outside this module's scope; this internal load balancer takes HTTPS only from the VPC or the declared ranges"
    } else {
        "access logs need an S3 bucket outside this module's scope; requests are logged by the WAF (aws_wafv2_web_acl_logging_configuration) to CloudWatch"
    };
    m.push(
        TfFile::LoadBalancer,
        facing.component(),
        B::resource("aws_lb", facing.lb())
            .attr("name", alb_name.clone())
            .attr("internal", internal)
            .attr("load_balancer_type", "application")
            .attr(
                "security_groups",
                list([res("aws_security_group", facing.sg(), "id")]),
            )
            .attr("subnets", subnets)
            .gap()
            .attr("drop_invalid_header_fields", true)
            .attr("desync_mitigation_mode", "defensive")
            // Always on, secure by default: a tier flag here would be a structural difference
            // between staging and the production it mirrors. Tearing down needs one explicit step.
            .attr("enable_deletion_protection", true)
            .attr("enable_http2", true)
            .skip("CKV_AWS_91", logs)
            .attr("tags", tags(alb_name)),
    );
}

/// `host`'s A record in a zone: an alias of the load balancer the service is behind (public
/// zones in `dns.tf`, private zones in `internal.rs`).
pub(crate) fn alias_record(label: &str, zone_id: Expression, host: &str, facing: Facing) -> B {
    B::resource("aws_route53_record", label)
        .attr("zone_id", zone_id)
        .attr("name", host)
        .attr("type", "A")
        .block(
            B::new("alias")
                .attr("name", res("aws_lb", facing.lb(), "dns_name"))
                .attr("zone_id", res("aws_lb", facing.lb(), "zone_id"))
                .attr("evaluate_target_health", true),
        )
}

/// A service's target group: pod or task IPs (`ip`), the service's health check. Its name is
/// the one the EKS manifests bind to.
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

/// The certificate a service's host is served with: the DNS-validated ACM certificate of a
/// public host, the Private CA's certificate of an internal one, or the declared existing one.
pub(crate) fn certificate_arn(name: &str, svc: &Service) -> Expression {
    let l = label(name);
    match svc.internal.as_ref() {
        Some(i) => match &i.certificate_arn {
            Some(arn) => arn.as_str().into(),
            None => res("aws_acm_certificate", &l, "arn"),
        },
        None => res("aws_acm_certificate_validation", &l, "certificate_arn"),
    }
}

/// The service's host name on its load balancer.
pub(crate) fn host(svc: &Service) -> &str {
    match (&svc.public, &svc.internal) {
        (Some(p), _) => &p.host,
        (None, Some(i)) => i.host.as_deref().unwrap_or_default(),
        (None, None) => "",
    }
}

/// HTTPS with the first service's certificate; requests for unknown hosts get a 404.
fn https_listener(m: &mut Module, facing: Facing, services: &[(&String, &Service)]) {
    let (first, svc) = services[0];
    m.push(
        TfFile::LoadBalancer,
        facing.component(),
        B::resource("aws_lb_listener", facing.listener())
            .attr("load_balancer_arn", res("aws_lb", facing.lb(), "arn"))
            .attr("port", 443)
            .attr("protocol", "HTTPS")
            .attr("ssl_policy", TLS_POLICY)
            .attr("certificate_arn", certificate_arn(first, svc))
            // Requests for unknown hosts get a 404; each service has a rule for its host.
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

/// The service's certificate on the listener (after the first) and its host's rule.
fn host_rule(cx: &Cx, m: &mut Module, facing: Facing, i: usize, name: &str, svc: &Service) {
    let l = label(name);
    let c = format!("service {name}");
    let listener = res("aws_lb_listener", facing.listener(), "arn");
    if i > 0 {
        m.push(
            TfFile::LoadBalancer,
            &c,
            B::resource("aws_lb_listener_certificate", &l)
                .attr("listener_arn", listener.clone())
                .attr("certificate_arn", certificate_arn(name, svc)),
        );
    }
    m.push(
        TfFile::LoadBalancer,
        &c,
        B::resource("aws_lb_listener_rule", &l)
            .attr("listener_arn", listener)
            .attr("priority", 100 + i as u32)
            .block(
                B::new("action")
                    .attr("type", "forward")
                    .attr("target_group_arn", res("aws_lb_target_group", &l, "arn")),
            )
            .block(
                B::new("condition")
                    .block(B::new("host_header").attr("values", strings([host(svc)]))),
            )
            // The internal balancer admits every internal service's ranges; each host only
            // its own service's.
            .when(facing == Facing::Internal, |b| {
                b.block(
                    B::new("condition").block(
                        B::new("source_ip")
                            .attr("values", strings(super::internal::source_ranges(cx, svc))),
                    ),
                )
            }),
    );
}

/// Port 80 of the internet-facing balancer: a permanent redirect to HTTPS, nothing else. The
/// internal one has no port 80 at all.
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
