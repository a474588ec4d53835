//! Services exposed inside the VPC only (`internal { … }`).
//!
//! ECS Fargate: the internal load balancer's security group (HTTPS in from the declared ranges,
//! or the VPC's block; out to the services behind it), and in `dns.tf` per service a
//! certificate that needs no public DNS (issued by the declared AWS Private CA through ACM, or
//! the declared existing one, used as is) and an alias record in a Route 53 private hosted zone
//! associated with the VPC (one created per zone name, or the declared existing zone). The
//! balancer itself is `loadbalancer.rs`'s, with [`Facing::Internal`].
//!
//! App Runner: per internal service, an interface endpoint for App Runner's requests in the
//! private subnets with a security group of its own (HTTPS in from the declared ranges and
//! from the App Runner services that call it), and the VPC ingress connection that makes the
//! service answer there; the service itself turns its public endpoint off (`services.rs`).

use hcl::Expression;
use tierform_model::{Internal, Service};

use super::loadbalancer::Facing;
use super::security::{group, Rule};
use super::{service_sg, tags, Cx};
use crate::expr::{call, res, strings, var};
use crate::module::{Module, TfFile, B};
use crate::names::{label, limit};

/// The services exposed inside the VPC only, in spec order.
fn internal_services<'a>(cx: &Cx<'a>) -> Vec<(&'a String, &'a Service, &'a Internal)> {
    cx.app
        .services
        .iter()
        .filter(|(_, s)| s.public.is_none())
        .filter_map(|(n, s)| s.internal.as_ref().map(|i| (n, s, i)))
        .collect()
}

/// The ranges that reach an internal service: its `allowed_cidrs`, or the VPC's block.
fn sources<'a>(cx: &Cx<'a>, internal: &'a Internal) -> Vec<&'a str> {
    internal.sources(&cx.app.network.cidr)
}

/// `security.tf`: the groups and rules of internal exposure.
pub(crate) fn security(cx: &Cx, m: &mut Module) {
    if cx.ecs() {
        load_balancer_group(cx, m);
    } else if cx.app_runner() {
        for (name, _, internal) in internal_services(cx) {
            endpoint_group(cx, m, name, internal);
        }
    }
}

/// The internal load balancer's group: HTTPS in from every range of the services behind it
/// (each host's listener rule then admits only its own service's ranges).
fn load_balancer_group(cx: &Cx, m: &mut Module) {
    let services = internal_services(cx);
    if services.is_empty() {
        return;
    }
    let c = "internal load balancer";
    let sg = Facing::Internal.sg();
    group(
        cx,
        m,
        c,
        sg,
        "alb-internal",
        "The internal load balancer: HTTPS in from the VPC or the declared ranges, the internal services out",
    );
    let mut ranges: Vec<&str> = Vec::new();
    for (_, _, internal) in &services {
        for r in sources(cx, internal) {
            if !ranges.contains(&r) {
                ranges.push(r);
            }
        }
    }
    Rule::ingress_from_ranges(
        &format!("{sg}_https_in"),
        sg,
        443,
        "HTTPS from the VPC or the declared ranges",
        &ranges,
    )
    .push(m, c);
}

/// The label of an App Runner service's interface endpoint and its security group.
fn endpoint_label(service: &str) -> String {
    format!("{}_private_endpoint", label(service))
}

/// An App Runner service's private endpoint group: HTTPS in from its ranges and its callers.
fn endpoint_group(cx: &Cx, m: &mut Module, name: &str, internal: &Internal) {
    let c = format!("service {name}");
    let sg = endpoint_label(name);
    group(
        cx,
        m,
        &c,
        &sg,
        &format!("svc-{name}-endpoint"),
        &format!("Service {name}'s private endpoint: HTTPS in from the VPC or the declared ranges"),
    );
    Rule::ingress_from_ranges(
        &format!("{sg}_https_in"),
        &sg,
        443,
        "HTTPS from the VPC or the declared ranges",
        &sources(cx, internal),
    )
    .push(m, &c);
    // Callers reach the endpoint from their VPC connectors whatever the ranges say.
    for (caller, s) in &cx.app.services {
        if !s.calls.iter().any(|callee| callee == name) {
            continue;
        }
        Rule::ingress(
            &format!("{sg}_from_{}", service_sg(caller)),
            &sg,
            443,
            &format!("Called by service {caller}"),
        )
        .peer(res("aws_security_group", &service_sg(caller), "id"))
        .push(m, &c);
    }
}

/// `dns.tf` (ECS) and `services.tf` (App Runner): what makes each internal service answer.
pub(crate) fn lower(cx: &Cx, m: &mut Module) {
    if cx.ecs() {
        for (name, _, internal) in internal_services(cx) {
            if zone_owner(cx, internal) == Some(name.as_str()) {
                private_zone(cx, m, name, internal);
            }
            certificate(cx, m, name, internal);
            alias(cx, m, name, internal);
        }
    } else if cx.app_runner() {
        for (name, _, _) in internal_services(cx) {
            private_endpoint(cx, m, name);
        }
    }
}

/// The service a created private zone is listed under and labelled after: the first one
/// naming the zone without a `zone_id` (one zone per name: a VPC takes one of a name). The
/// label does not carry the zone's name, a knob, so that tiers with other zone names keep
/// the same addresses.
fn zone_owner<'a>(cx: &Cx<'a>, internal: &Internal) -> Option<&'a str> {
    if internal.zone_id.is_some() {
        return None;
    }
    let zone = internal.zone.as_deref()?;
    internal_services(cx)
        .into_iter()
        .find(|(_, _, i)| i.zone_id.is_none() && i.zone.as_deref() == Some(zone))
        .map(|(n, _, _)| n.as_str())
}

/// The label of the private zone a service created.
fn zone_label(owner: &str) -> String {
    format!("{}_private_zone", label(owner))
}

/// The private hosted zone's id: the declared existing zone's, or the created one's.
fn zone_id(cx: &Cx, internal: &Internal) -> Expression {
    match (&internal.zone_id, zone_owner(cx, internal)) {
        (Some(id), _) => id.as_str().into(),
        (None, owner) => res(
            "aws_route53_zone",
            &zone_label(owner.unwrap_or_default()),
            "zone_id",
        ),
    }
}

/// A private hosted zone that only the VPC resolves.
fn private_zone(cx: &Cx, m: &mut Module, service: &str, internal: &Internal) {
    let Some(zone) = &internal.zone else { return };
    m.push(
        TfFile::Dns,
        format!("service {service}"),
        B::resource("aws_route53_zone", &zone_label(service))
            .attr("name", zone.as_str())
            .attr(
                "comment",
                format!("{}: private names of the internal services", cx.prefix),
            )
            .block(B::new("vpc").attr("vpc_id", cx.vpc_id()))
            .attr(
                "tags",
                tags(cx.name(&format!("{service}-private-zone"), 255)),
            ),
    );
}

/// The certificate of the host, when the Private CA issues it (a declared ARN is used as is).
fn certificate(cx: &Cx, m: &mut Module, name: &str, internal: &Internal) {
    let (Some(ca), Some(host)) = (&internal.certificate_authority_arn, &internal.host) else {
        return;
    };
    let l = label(name);
    m.push(
        TfFile::Dns,
        format!("service {name}"),
        B::resource("aws_acm_certificate", &l)
            .attr("domain_name", host.as_str())
            .attr("certificate_authority_arn", ca.as_str())
            .attr("key_algorithm", "RSA_2048")
            .block(B::new("lifecycle").attr("create_before_destroy", true))
            .attr("tags", tags(cx.name(name, 255))),
    );
}

/// The host, an alias of the internal load balancer in the private zone.
fn alias(cx: &Cx, m: &mut Module, name: &str, internal: &Internal) {
    let Some(host) = &internal.host else { return };
    let zone = zone_id(cx, internal);
    m.push(
        TfFile::Dns,
        format!("service {name}"),
        super::loadbalancer::alias_record(&label(name), zone, host, Facing::Internal),
    );
}

/// An App Runner service's interface endpoint and the ingress connection that binds them.
fn private_endpoint(cx: &Cx, m: &mut Module, name: &str) {
    let c = format!("service {name}");
    let l = label(name);
    let endpoint = endpoint_label(name);
    m.push(
        TfFile::Services,
        &c,
        B::resource("aws_vpc_endpoint", &endpoint)
            .attr("vpc_id", cx.vpc_id())
            .attr(
                "service_name",
                format!("com.amazonaws.{}.apprunner.requests", cx.app.region),
            )
            .attr("vpc_endpoint_type", "Interface")
            .attr("subnet_ids", cx.private_subnets())
            .attr(
                "security_group_ids",
                crate::expr::list([res("aws_security_group", &endpoint, "id")]),
            )
            // App Runner answers at the ingress connection's own domain name.
            .attr("private_dns_enabled", false)
            .attr("tags", tags(cx.name(&format!("{name}-endpoint"), 255))),
    );
    m.push(
        TfFile::Services,
        &c,
        B::resource("aws_apprunner_vpc_ingress_connection", &l)
            .attr("name", cx.name(name, limit::CACHE))
            .attr("service_arn", res("aws_apprunner_service", &l, "arn"))
            .block(
                B::new("ingress_vpc_configuration")
                    .attr("vpc_id", cx.vpc_id())
                    .attr("vpc_endpoint_id", res("aws_vpc_endpoint", &endpoint, "id")),
            )
            .attr("tags", tags(cx.name(name, limit::CACHE))),
    );
}

/// Where callers reach an App Runner service: its private endpoint's domain when internal,
/// else its public service URL.
pub(crate) fn app_runner_url_host(name: &str, svc: &Service) -> Expression {
    let l = label(name);
    if svc.internal.is_some() && svc.public.is_none() {
        res("aws_apprunner_vpc_ingress_connection", &l, "domain_name")
    } else {
        res("aws_apprunner_service", &l, "service_url")
    }
}

/// The ranges that reach an internal service, as the load balancer's rule for its host
/// admits them.
pub(crate) fn source_ranges<'a>(cx: &Cx<'a>, svc: &'a Service) -> Vec<&'a str> {
    svc.internal
        .as_ref()
        .map(|i| sources(cx, i))
        .unwrap_or_default()
}

/// `for_each` over a set of ranges and the range of each: one rule resource whatever their
/// number (a knob), so a tier with another VPN range changes values, not objects.
pub(super) fn cidr_set(cidrs: &[&str]) -> (Expression, Expression) {
    (
        call("toset", [strings(cidrs)]),
        var("each").attr("value").into(),
    )
}
