//! `network.tf`: the VPC, public and private subnets in each availability zone, the internet
//! gateway, NAT gateway(s), routes and flow logs.
//!
//! Per-AZ resources use `count` rather than one label per zone, so that a tier with fewer
//! zones has the same resource addresses as production, only fewer instances.

use hcl::Expression;
use tierform_model::NatStrategy;

use super::iam::{inline, policy, role, trust, Stmt};
use super::{tags, tags_expr, Cx};
use crate::expr::{call, count_index, interp, lit, res, strings, template, var};
use crate::module::{Module, TfFile, B};
use crate::names::limit;

const C: &str = "network";

pub(crate) fn lower(cx: &Cx, m: &mut Module) {
    // An existing network is someone else's: nothing of it is created or tagged.
    if cx.app.network.existing.is_some() {
        return;
    }
    zones(cx, m);
    vpc(cx, m);
    subnets(cx, m);
    gateways(cx, m);
    routes(cx, m);
    flow_logs(cx, m);
}

/// The spec's availability zones, and its subnets as locals.
fn zones(cx: &Cx, m: &mut Module) {
    let net = &cx.app.network;
    let zones: Vec<String> = (0..net.availability_zones)
        .map(|i| format!("{}{}", cx.app.region, char::from(b'a' + (i % 26) as u8)))
        .collect();
    m.push(
        TfFile::Network,
        C,
        B::data("aws_availability_zones", "available")
            .attr("state", "available")
            // Name the zones (checkov CKV_AWS_394): the same zones on every plan.
            .block(
                B::new("filter")
                    .attr("name", "zone-name")
                    .attr("values", strings(&zones)),
            ),
    );
    m.push(
        TfFile::Network,
        C,
        B::new("locals")
            .attr("public_subnets", strings(&net.public_subnets))
            .attr("private_subnets", strings(&net.private_subnets)),
    );
}

/// The VPC, and its default security group emptied.
fn vpc(cx: &Cx, m: &mut Module) {
    let net = &cx.app.network;
    m.push(
        TfFile::Network,
        C,
        B::resource("aws_vpc", "main")
            .attr("cidr_block", net.cidr.as_str())
            .attr("enable_dns_support", true)
            .attr("enable_dns_hostnames", true)
            .attr("tags", tags(cx.name("vpc", 255))),
    );
    m.push(
        TfFile::Network,
        C,
        // Takes over the VPC's default group and leaves it without rules (CKV2_AWS_12): every
        // resource gets a group of its own.
        B::resource("aws_default_security_group", "default")
            .attr("vpc_id", vpc_id())
            .attr("tags", tags(cx.name("default-deny", 255))),
    );
}

/// The public and private subnets, one of each per zone.
fn subnets(cx: &Cx, m: &mut Module) {
    for tier in ["public", "private"] {
        let list = format!("{tier}_subnets");
        m.push(
            TfFile::Network,
            C,
            B::resource("aws_subnet", tier)
                .attr("count", call("length", [local(&list)]))
                .attr("vpc_id", vpc_id())
                .attr("cidr_block", var("local").attr(&list).index(count_index()))
                .attr(
                    "availability_zone",
                    var("data")
                        .attr("aws_availability_zones")
                        .attr("available")
                        .attr("names")
                        .index(count_index()),
                )
                // No `kubernetes.io/role/elb` tags on EKS: the load balancer is Terraform's
                // (`loadbalancer.tf`), with its subnets named; the controller places none.
                .attr(
                    "tags",
                    tags_expr(template([
                        lit(format!("{}-{tier}-", cx.prefix)),
                        interp(count_index()),
                    ])),
                ),
        );
    }
}

/// The internet gateway, and the NAT gateways (one per zone, or a single one) with their
/// addresses.
fn gateways(cx: &Cx, m: &mut Module) {
    let net = &cx.app.network;
    m.push(
        TfFile::Network,
        C,
        B::resource("aws_internet_gateway", "main")
            .attr("vpc_id", vpc_id())
            .attr("tags", tags(cx.name("igw", 255))),
    );
    let nat_count: Expression = match net.nat {
        NatStrategy::PerAz => call("length", [local("public_subnets")]),
        NatStrategy::Single => 1.into(),
    };
    m.push(
        TfFile::Network,
        C,
        B::resource("aws_eip", "nat")
            .attr("count", nat_count.clone())
            .attr("domain", "vpc")
            .attr(
                "tags",
                tags_expr(template([
                    lit(format!("{}-nat-", cx.prefix)),
                    interp(count_index()),
                ])),
            ),
    );
    m.push(
        TfFile::Network,
        C,
        B::resource("aws_nat_gateway", "main")
            .attr("count", nat_count)
            .attr(
                "allocation_id",
                var("aws_eip").attr("nat").index(count_index()).attr("id"),
            )
            .attr(
                "subnet_id",
                var("aws_subnet")
                    .attr("public")
                    .index(count_index())
                    .attr("id"),
            )
            .attr(
                "tags",
                tags_expr(template([
                    lit(format!("{}-nat-", cx.prefix)),
                    interp(count_index()),
                ])),
            )
            .attr(
                "depends_on",
                crate::expr::list([var("aws_internet_gateway").attr("main").into()]),
            ),
    );
}

/// The route tables: the public one through the internet gateway, the private ones through
/// NAT; and each subnet's association.
fn routes(cx: &Cx, m: &mut Module) {
    let net = &cx.app.network;
    m.push(
        TfFile::Network,
        C,
        B::resource("aws_route_table", "public")
            .attr("vpc_id", vpc_id())
            .block(
                B::new("route")
                    .attr("cidr_block", "0.0.0.0/0")
                    .attr("gateway_id", res("aws_internet_gateway", "main", "id")),
            )
            .attr("tags", tags(cx.name("public", 255))),
    );
    // Each private subnet routes through the NAT gateway of its zone, or the single one.
    let nat_index: Expression = match net.nat {
        NatStrategy::PerAz => count_index(),
        NatStrategy::Single => 0.into(),
    };
    m.push(
        TfFile::Network,
        C,
        B::resource("aws_route_table", "private")
            .attr("count", call("length", [local("private_subnets")]))
            .attr("vpc_id", vpc_id())
            .block(
                B::new("route").attr("cidr_block", "0.0.0.0/0").attr(
                    "nat_gateway_id",
                    var("aws_nat_gateway")
                        .attr("main")
                        .index(nat_index)
                        .attr("id"),
                ),
            )
            .attr(
                "tags",
                tags_expr(template([
                    lit(format!("{}-private-", cx.prefix)),
                    interp(count_index()),
                ])),
            ),
    );
    for tier in ["public", "private"] {
        let table: Expression = if tier == "public" {
            res("aws_route_table", "public", "id")
        } else {
            var("aws_route_table")
                .attr("private")
                .index(count_index())
                .attr("id")
                .into()
        };
        m.push(
            TfFile::Network,
            C,
            B::resource("aws_route_table_association", tier)
                .attr("count", call("length", [local(&format!("{tier}_subnets"))]))
                .attr(
                    "subnet_id",
                    var("aws_subnet").attr(tier).index(count_index()).attr("id"),
                )
                .attr("route_table_id", table),
        );
    }
}

/// VPC flow logs to CloudWatch (CKV2_AWS_11); the log group is in `observability.tf`.
fn flow_logs(cx: &Cx, m: &mut Module) {
    m.push(
        TfFile::Network,
        C,
        B::resource("aws_flow_log", "main")
            .attr("vpc_id", vpc_id())
            .attr("traffic_type", "ALL")
            .attr(
                "log_destination",
                res("aws_cloudwatch_log_group", "flow_logs", "arn"),
            )
            .attr("iam_role_arn", res("aws_iam_role", "flow_logs", "arn"))
            .attr("max_aggregation_interval", 60)
            .attr("tags", tags(cx.name("flow-logs", 255))),
    );
    m.push(
        TfFile::Network,
        C,
        role(
            "flow_logs",
            cx.name("flow-logs", limit::ROLE),
            trust("vpc-flow-logs.amazonaws.com"),
        ),
    );
    let stream_arn = template([
        interp(res("aws_cloudwatch_log_group", "flow_logs", "arn")),
        lit(":*"),
    ]);
    m.push(
        TfFile::Network,
        C,
        inline(
            "flow_logs",
            "flow_logs",
            "write-flow-logs",
            policy([Stmt::allow(
                "WriteFlowLogs",
                &[
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                ],
            )
            .on([stream_arn])]),
        ),
    );
}

fn vpc_id() -> Expression {
    res("aws_vpc", "main", "id")
}

fn local(name: &str) -> Expression {
    var("local").attr(name).into()
}
