//! `network { existing { … } }`: a VPC and subnets that already exist. Their ids must be AWS
//! ids; there must be two private subnets (RDS subnet groups and ElastiCache need two zones)
//! and, where a load balancer is emitted, two public ones; and the settings that only shape a
//! network tierform creates (zones, subnet blocks, NAT) are refused, since nothing reads them.

use super::network::parse_cidr;
use super::Rules;
use crate::spec::{App, NatStrategy, Platform};

/// `vpc-` or `subnet-` and 8 or 17 hex digits.
fn is_id(prefix: &str, id: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|h| {
        (h.len() == 8 || h.len() == 17)
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

pub(super) fn rules(r: &mut Rules<'_>, app: &App, local: bool) {
    let net = &app.network;
    let Some(ex) = &net.existing else {
        return;
    };
    let at = |f: &'static str| ["network", "existing", f];
    if parse_cidr(&net.cidr).is_none() {
        r.err(
            "invalid-cidr",
            &["network", "cidr"],
            format!("`{}` is not an IPv4 CIDR block", net.cidr),
            "give the existing VPC's block, such as `10.1.0.0/16`",
        );
    }
    if local {
        return; // a cloud setting: the local tier has no VPC (as with `cidr`)
    }
    if !is_id("vpc-", &ex.vpc_id) {
        r.err(
            "invalid-id",
            &at("vpc_id"),
            format!("`{}` is not a VPC id", ex.vpc_id),
            "such as `vpc-0a1b2c3d4e5f60718` (from `aws ec2 describe-vpcs`)",
        );
    }
    for (field, ids) in [
        ("private_subnet_ids", &ex.private_subnet_ids),
        ("public_subnet_ids", &ex.public_subnet_ids),
    ] {
        for (i, id) in ids.iter().enumerate() {
            if !is_id("subnet-", id) {
                r.err(
                    "invalid-id",
                    &["network", "existing", field, &i.to_string()],
                    format!("`{id}` is not a subnet id"),
                    "such as `subnet-0a1b2c3d4e5f60718` (from `aws ec2 describe-subnets`)",
                );
            }
        }
        r.unique(&["network", "existing", field], "subnet", ids);
    }
    if ex.private_subnet_ids.len() < 2 {
        r.err(
            "subnet-count",
            &at("private_subnet_ids"),
            format!("{} private subnet(s): databases, caches and services need two, in different availability zones", ex.private_subnet_ids.len()),
            "list at least two private subnets",
        );
    }
    let eks = matches!(app.platform, Platform::Eks(_));
    // Public services on ECS Fargate and EKS sit behind the load balancer Terraform creates in
    // the public subnets; nothing else uses them (App Runner's endpoint is AWS's).
    let load_balancer = matches!(app.platform, Platform::EcsFargate(_) | Platform::Eks(_))
        && app.services.values().any(|s| s.public.is_some());
    if load_balancer && ex.public_subnet_ids.len() < 2 {
        r.err(
            "subnet-count",
            &at("public_subnet_ids"),
            format!("{} public subnet(s): on {} the load balancer needs two, in different availability zones", ex.public_subnet_ids.len(), app.platform.display()),
            "list at least two public subnets",
        );
    }
    if !ex.public_subnet_ids.is_empty() && !load_balancer {
        r.err(
            "unsupported-on-platform",
            &at("public_subnet_ids"),
            format!("no load balancer uses public subnets on {} here (no public service on ECS Fargate or EKS; App Runner's endpoint is AWS's)", app.platform.display()),
            "remove `public_subnet_ids`",
        );
    }
    // What only shapes a network tierform creates. On EKS the subnets' blocks stay: the
    // NetworkPolicies name them, so they must be the existing subnets' blocks.
    if net.availability_zones != 2 {
        r.err(
            "unsupported-on-platform",
            &["network", "availability_zones"],
            "the existing subnets decide the availability zones".into(),
            "remove `availability_zones`",
        );
    }
    if net.nat != NatStrategy::PerAz {
        r.err(
            "unsupported-on-platform",
            &["network", "nat"],
            "the existing network's routes decide its NAT gateways".into(),
            "remove `nat`",
        );
    }
    for (field, cidrs, ids) in [
        ("public_subnets", &net.public_subnets, &ex.public_subnet_ids),
        (
            "private_subnets",
            &net.private_subnets,
            &ex.private_subnet_ids,
        ),
    ] {
        match (eks, cidrs.is_empty()) {
            (true, true) if !ids.is_empty() => r.err(
                "missing-subnet-blocks",
                &["network", field],
                format!("on EKS the NetworkPolicies name the {} subnets' CIDR blocks, which tierform cannot derive for an existing network", &field[..field.len() - 8]),
                format!("give `{field}`: the blocks of the subnets in `existing`, in the same order"),
            ),
            (true, false) if cidrs.len() != ids.len() => r.err(
                "subnet-count",
                &["network", field],
                format!("{} blocks for {} existing subnets", cidrs.len(), ids.len()),
                "give one block per existing subnet, in the same order",
            ),
            (false, false) => r.err(
                "unsupported-on-platform",
                &["network", field],
                format!("{} reads no subnet block of an existing network", app.platform.display()),
                format!("remove `{field}`: the subnets are `existing`'s ids"),
            ),
            _ => {}
        }
    }
}
