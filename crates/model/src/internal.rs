//! Internal exposure of a service (`service "x" { internal { … } }`): reachable from inside
//! the VPC (and networks routed to it: peerings, VPNs, Transit Gateway), never from the
//! internet, still over TLS.
//!
//! On ECS Fargate the service sits behind an internal Application Load Balancer in the private
//! subnets, its HTTPS listener holding a certificate that needs no public DNS: one issued by the
//! declared AWS Private CA, or an existing certificate by ARN; its host is an alias record in a
//! Route 53 private hosted zone associated with the VPC (created, or an existing one by id).
//! On App Runner the service gets a private endpoint (a VPC ingress connection through an
//! interface endpoint) at App Runner's own domain and TLS: App Runner takes no private hosted
//! zone, so a host, a zone and a certificate are refused there.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `internal { … }`: exposure inside the VPC only, with TLS.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Internal {
    /// The private host name, such as `api.{env}.corp.internal` (`{env}`, `{tier}` and
    /// `{instance}` are replaced as in `public.host`). Required on ECS Fargate; refused on App
    /// Runner, whose private services answer at App Runner's own domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The private hosted zone the host belongs to, such as `corp.internal`: created and
    /// associated with the VPC, unless `zone_id` names an existing one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// An existing Route 53 private hosted zone (`Z…`) for `zone`, already associated with the
    /// VPC, used instead of creating one (needed when several environments share one VPC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_id: Option<String>,
    /// The AWS Private CA (`arn:aws:acm-pca:<region>:<account>:certificate-authority/<id>`)
    /// that issues the load balancer's certificate through ACM; exactly one of this and
    /// `certificate_arn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_authority_arn: Option<String>,
    /// An existing ACM certificate for the host (`arn:aws:acm:<region>:<account>:certificate/<id>`),
    /// in the app's region; exactly one of this and `certificate_authority_arn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<String>,
    /// The address ranges that may connect (HTTPS only), such as a VPN's or a peered VPC's;
    /// the VPC's own block (`network.cidr`) when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_cidrs: Vec<String>,
}

impl Internal {
    /// The ranges the load balancer or endpoint accepts HTTPS from: `allowed_cidrs`, or the
    /// VPC's block.
    pub fn sources<'a>(&'a self, vpc_cidr: &'a str) -> Vec<&'a str> {
        if self.allowed_cidrs.is_empty() {
            vec![vpc_cidr]
        } else {
            self.allowed_cidrs.iter().map(String::as_str).collect()
        }
    }
}

/// The parts of an ARN `arn:<partition>:<service>:<region>:<account>:<resource>`, or `None`
/// when it is not of that form.
pub(crate) struct Arn<'a> {
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

pub(crate) fn parse_arn(arn: &str) -> Option<Arn<'_>> {
    let mut parts = arn.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    let partition = parts.next()?;
    if !matches!(partition, "aws" | "aws-cn" | "aws-us-gov") {
        return None;
    }
    Some(Arn {
        service: parts.next()?,
        region: parts.next()?,
        account: parts.next()?,
        resource: parts.next()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_split_into_their_parts() {
        let a =
            parse_arn("arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/abc").unwrap();
        assert_eq!(
            (a.service, a.region, a.account, a.resource),
            (
                "acm-pca",
                "eu-west-1",
                "123456789012",
                "certificate-authority/abc"
            )
        );
        assert!(parse_arn("arn:gcp:acm:eu-west-1:1:certificate/x").is_none());
        assert!(parse_arn("acm:eu-west-1:1:certificate/x").is_none());
        assert!(parse_arn("arn:aws:acm").is_none());
    }

    #[test]
    fn the_vpc_block_is_the_default_source() {
        let mut i = Internal::default();
        assert_eq!(i.sources("10.0.0.0/16"), ["10.0.0.0/16"]);
        i.allowed_cidrs = vec!["10.8.0.0/16".into(), "192.168.0.0/24".into()];
        assert_eq!(i.sources("10.0.0.0/16"), ["10.8.0.0/16", "192.168.0.0/24"]);
    }
}
