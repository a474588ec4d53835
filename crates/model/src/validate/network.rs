//! The network: CIDR arithmetic, the subnets tierform derives from the VPC block, and the
//! rules over the VPC, its availability zones and subnets.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use super::Rules;
use crate::spec::Network;

/// Parses an IPv4 CIDR block, `a.b.c.d/n` whose host bits are zero (`10.1.0.1/16` is not a
/// block). The address and the prefix length are read with the standard library, as tierform
/// always read them, so exactly the same texts are accepted; `ipnet` does the arithmetic.
pub(super) fn parse_cidr(s: &str) -> Option<Ipv4Net> {
    let (ip, len) = s.split_once('/')?;
    let ip: Ipv4Addr = ip.parse().ok()?;
    let prefix: u8 = len.parse().ok()?;
    Ipv4Net::new(ip, prefix).ok().filter(|n| n.network() == ip)
}

/// Whether two blocks share an address: for CIDR blocks, one contains the other.
fn overlaps(a: Ipv4Net, b: Ipv4Net) -> bool {
    a.contains(&b) || b.contains(&a)
}

/// Fills in subnets the spec leaves out: public subnets first, then private, each a /24 in a
/// /16 (seed 001's layout: 10.1.0.0/24, 10.1.1.0/24 public, 10.1.2.0/24, 10.1.3.0/24 private).
pub fn derive_subnets(net: &mut Network) {
    // An existing network's subnets are what they are: nothing to derive.
    if net.existing.is_some() {
        return;
    }
    let Some(vpc) = parse_cidr(&net.cidr) else {
        return;
    };
    let azs = net.availability_zones.min(16) as usize;
    let prefix = (vpc.prefix_len() + 8).min(28);
    let needed = 2 * azs;
    if prefix < vpc.prefix_len() || needed as u64 > (1u64 << (prefix - vpc.prefix_len())) {
        return; // validation reports the VPC as too small
    }
    let Ok(subnets) = vpc.subnets(prefix) else {
        return;
    };
    let subnets: Vec<String> = subnets.take(needed).map(|n| n.to_string()).collect();
    if net.public_subnets.is_empty() {
        net.public_subnets = subnets[..azs].to_vec();
    }
    if net.private_subnets.is_empty() {
        net.private_subnets = subnets[azs..].to_vec();
    }
}

/// The VPC block, the availability zones and the subnets.
pub(super) fn rules(r: &mut Rules<'_>, net: &Network) {
    if net.existing.is_some() {
        return; // `existing_network` checks it
    }
    match parse_cidr(&net.cidr) {
        None => r.err(
            "invalid-cidr",
            &["network", "cidr"],
            format!("`{}` is not an IPv4 CIDR block", net.cidr),
            "write it as `10.1.0.0/16`: an address with zero host bits, a slash, and a prefix length",
        ),
        Some(vpc) if !(16..=24).contains(&vpc.prefix_len()) => r.err(
            "invalid-cidr",
            &["network", "cidr"],
            format!("a VPC block must be between /16 and /24, `{}` is /{}", net.cidr, vpc.prefix_len()),
            "AWS accepts VPC CIDR blocks from /16 to /28; tierform needs room for 2 subnets per AZ",
        ),
        Some(vpc) => {
            if !(2..=6).contains(&net.availability_zones) {
                r.err(
                    "invalid-az-count",
                    &["network", "availability_zones"],
                    format!("{} availability zones: tierform needs 2 to 6", net.availability_zones),
                    "RDS subnet groups and load balancers need subnets in at least two AZs",
                );
            }
            let mut seen: Vec<(Ipv4Net, String)> = Vec::new();
            for (kind, list) in [("public_subnets", &net.public_subnets), ("private_subnets", &net.private_subnets)] {
                if list.len() != net.availability_zones as usize && (2..=6).contains(&net.availability_zones) {
                    if list.is_empty() {
                        r.err("vpc-too-small", &["network", "cidr"], format!("`{}` has no room for {} subnets", net.cidr, 2 * net.availability_zones), "use a larger VPC block or give the subnets explicitly");
                    } else {
                        r.err(
                            "subnet-count",
                            &["network", kind],
                            format!("{} {kind} for {} availability zones", list.len(), net.availability_zones),
                            "give one subnet per availability zone",
                        );
                    }
                }
                for (i, s) in list.iter().enumerate() {
                    let idx = i.to_string();
                    let path = ["network", kind, idx.as_str()];
                    match parse_cidr(s) {
                        None => r.err("invalid-cidr", &path, format!("`{s}` is not an IPv4 CIDR block"), "write it as `10.1.0.0/24`"),
                        Some(c) if !vpc.contains(&c) => r.err(
                            "subnet-outside-vpc",
                            &path,
                            format!("subnet `{s}` is outside the VPC `{}`", net.cidr),
                            format!("choose a block inside {}", net.cidr),
                        ),
                        Some(c) => {
                            if let Some((_, other)) = seen.iter().find(|(o, _)| overlaps(*o, c)) {
                                r.err("subnet-overlap", &path, format!("subnet `{s}` overlaps `{other}`"), "subnets of one VPC must not share addresses");
                            }
                            seen.push((c, s.clone()));
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        let vpc = parse_cidr("10.1.0.0/16").unwrap();
        assert!(vpc.contains(&parse_cidr("10.1.3.0/24").unwrap()));
        assert!(!vpc.contains(&parse_cidr("10.2.0.0/24").unwrap()));
        assert!(parse_cidr("10.1.0.1/16").is_none(), "host bits set");
        assert!(parse_cidr("10.1.0.0/33").is_none());
        assert!(parse_cidr("10.1.0.0/+24").is_some(), "read as u8 reads it");
        assert!(overlaps(
            parse_cidr("10.1.0.0/24").unwrap(),
            parse_cidr("10.1.0.128/25").unwrap()
        ));
        assert!(!overlaps(
            parse_cidr("10.1.0.0/25").unwrap(),
            parse_cidr("10.1.0.128/25").unwrap()
        ));
    }

    #[test]
    fn derives_seed_001_subnets() {
        let mut n = Network {
            cidr: "10.1.0.0/16".into(),
            availability_zones: 2,
            public_subnets: vec![],
            private_subnets: vec![],
            nat: Default::default(),
            existing: None,
        };
        derive_subnets(&mut n);
        assert_eq!(n.public_subnets, ["10.1.0.0/24", "10.1.1.0/24"]);
        assert_eq!(n.private_subnets, ["10.1.2.0/24", "10.1.3.0/24"]);
    }
}
