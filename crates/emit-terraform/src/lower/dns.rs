//! `dns.tf`, where services are public: the hosted zones (looked up, not created), an ACM
//! certificate per public host validated through DNS, and the records that point each host at
//! its service: an alias of the ALB on ECS and EKS (`loadbalancer.tf`; Terraform owns it on
//! both), App Runner's custom domain. Nothing in the cluster writes records.

use hcl::expr::ForExpr;
use hcl::{Expression, Identifier};
use tierform_model::Platform;

use super::{tags, Cx};
use crate::expr::{list, res, var};
use crate::module::{Module, TfFile, B};
use crate::names::label;

pub(crate) fn lower(cx: &Cx, m: &mut Module) {
    for (name, svc) in cx.public_services() {
        let Some(public) = &svc.public else { continue };
        let l = label(name);
        let c = format!("service {name}");
        let zone_id = crate::expr::data("aws_route53_zone", &l, "zone_id");
        m.push(
            TfFile::Dns,
            &c,
            B::data("aws_route53_zone", &l)
                .attr("name", public.zone.as_str())
                .attr("private_zone", false),
        );
        match &cx.app.platform {
            Platform::EcsFargate(_) | Platform::Eks(_) => {
                certificate(cx, m, name, &public.host, zone_id.clone());
                let facing = super::loadbalancer::Facing::Internet;
                let record = super::loadbalancer::alias_record(&l, zone_id, &public.host, facing);
                m.push(TfFile::Dns, &c, record);
            }
            Platform::AppRunner(_) => {
                m.push(
                    TfFile::Dns,
                    &c,
                    B::resource("aws_apprunner_custom_domain_association", &l)
                        .attr("domain_name", public.host.as_str())
                        .attr("service_arn", res("aws_apprunner_service", &l, "arn"))
                        .attr("enable_www_subdomain", false),
                );
                m.push(
                    TfFile::Dns,
                    &c,
                    B::resource("aws_route53_record", &l)
                        .attr("zone_id", zone_id)
                        .attr("name", public.host.as_str())
                        .attr("type", "CNAME")
                        .attr("ttl", 300)
                        .attr(
                            "records",
                            list([res(
                                "aws_apprunner_custom_domain_association",
                                &l,
                                "dns_target",
                            )]),
                        ),
                );
                // The records that prove the domain to App Runner's certificate authority, in
                // the zone. Known only once the association exists: the first apply targets
                // the association before the whole apply (see the `first_apply` output).
                let r = || var("r");
                let by_name = ForExpr::new(
                    Identifier::unchecked("r"),
                    res(
                        "aws_apprunner_custom_domain_association",
                        &l,
                        "certificate_validation_records",
                    ),
                    Expression::from(r()),
                )
                .with_key_expr(Expression::from(r().attr("name")));
                let each = |a: &str| -> Expression { var("each").attr("value").attr(a).into() };
                m.push(
                    TfFile::Dns,
                    &c,
                    B::resource("aws_route53_record", &format!("{l}_domain_validation"))
                        .attr("for_each", Expression::ForExpr(Box::new(by_name)))
                        .attr(
                            "zone_id",
                            crate::expr::data("aws_route53_zone", &l, "zone_id"),
                        )
                        .attr("name", each("name"))
                        .attr("type", each("type"))
                        .attr("records", list([each("value")]))
                        .attr("ttl", 300)
                        .attr("allow_overwrite", true),
                );
            }
        }
    }
}

/// An ACM certificate for `host`, validated by DNS records in its zone.
fn certificate(cx: &Cx, m: &mut Module, service: &str, host: &str, zone_id: Expression) {
    let l = label(service);
    let c = format!("service {service}");
    m.push(
        TfFile::Dns,
        &c,
        B::resource("aws_acm_certificate", &l)
            .attr("domain_name", host)
            .attr("validation_method", "DNS")
            .attr("key_algorithm", "RSA_2048")
            .block(B::new("lifecycle").attr("create_before_destroy", true))
            .attr("tags", tags(cx.name(service, 255))),
    );
    let dvo = || var("dvo");
    let by_domain = ForExpr::new(
        Identifier::unchecked("dvo"),
        res("aws_acm_certificate", &l, "domain_validation_options"),
        Expression::from(dvo()),
    )
    .with_key_expr(Expression::from(dvo().attr("domain_name")));
    let each = |a: &str| -> Expression { var("each").attr("value").attr(a).into() };
    let validation = format!("{l}_validation");
    m.push(
        TfFile::Dns,
        &c,
        B::resource("aws_route53_record", &validation)
            .attr("for_each", Expression::ForExpr(Box::new(by_domain)))
            .attr("zone_id", zone_id)
            .attr("name", each("resource_record_name"))
            .attr("type", each("resource_record_type"))
            .attr("records", list([each("resource_record_value")]))
            .attr("ttl", 60)
            .attr("allow_overwrite", true),
    );
    let fqdns = ForExpr::new(
        Identifier::unchecked("record"),
        var("aws_route53_record").attr(&validation),
        Expression::from(var("record").attr("fqdn")),
    );
    m.push(
        TfFile::Dns,
        &c,
        B::resource("aws_acm_certificate_validation", &l)
            .attr("certificate_arn", res("aws_acm_certificate", &l, "arn"))
            .attr(
                "validation_record_fqdns",
                Expression::ForExpr(Box::new(fqdns)),
            ),
    );
}
