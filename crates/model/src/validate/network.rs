//! The network: CIDR arithmetic, the subnets tierform derives from the VPC block, and the
//! rules over the VPC, its availability zones and subnets.

use std::net::Ipv4Addr;

use super::Rules;
use crate::spec::Network;

/// An IPv4 CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// The network address.
    pub addr: u32,
    /// The prefix length.
    pub prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n` whose host bits are zero.
    pub fn parse(s: &str) -> Option<Cidr> {
        let (ip, len) = s.split_once('/')?;
        let ip: Ipv4Addr = ip.parse().ok()?;
        let prefix: u8 = len.parse().ok().filter(|p| *p <= 32)?;
        let addr = u32::from(ip);
        (addr & !mask(prefix) == 0).then_some(Cidr { addr, prefix })
    }
    fn end(self) -> u64 {
        u64::from(self.addr) + (1u64 << (32 - self.prefix))
    }
    /// Whether `other` lies inside this block.
    pub fn contains(self, other: Cidr) -> bool {
        other.prefix >= self.prefix && other.addr & mask(self.prefix) == self.addr
    }
    /// Whether the two blocks share an address.
    pub fn overlaps(self, other: Cidr) -> bool {
        u64::from(self.addr) < other.end() && u64::from(other.addr) < self.end()
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.addr), self.prefix)
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    }
}

/// Fills in subnets the spec leaves out: public subnets first, then private, each a /24 in a
/// /16 (seed 001's layout: 10.1.0.0/24, 10.1.1.0/24 public, 10.1.2.0/24, 10.1.3.0/24 private).
pub fn derive_subnets(net: &mut Network) {
    let Some(vpc) = Cidr::parse(&net.cidr) else {
        return;
    };
    let azs = net.availability_zones.min(16);
    let prefix = (vpc.prefix + 8).min(28);
    let needed = 2 * azs;
    if prefix < vpc.prefix || u64::from(needed) > (1u64 << (prefix - vpc.prefix)) {
        return; // validation reports the VPC as too small
    }
    let subnet = |i: u32| {
        Cidr {
            addr: vpc.addr + (i << (32 - prefix)),
            prefix,
        }
        .to_string()
    };
    if net.public_subnets.is_empty() {
        net.public_subnets = (0..azs).map(subnet).collect();
    }
    if net.private_subnets.is_empty() {
        net.private_subnets = (azs..2 * azs).map(subnet).collect();
    }
}

/// The VPC block, the availability zones and the subnets.
pub(super) fn rules(r: &mut Rules<'_>, net: &Network) {
    match Cidr::parse(&net.cidr) {
        None => r.err(
            "invalid-cidr",
            &["network", "cidr"],
            format!("`{}` is not an IPv4 CIDR block", net.cidr),
            "write it as `10.1.0.0/16`: an address with zero host bits, a slash, and a prefix length",
        ),
        Some(vpc) if !(16..=24).contains(&vpc.prefix) => r.err(
            "invalid-cidr",
            &["network", "cidr"],
            format!("a VPC block must be between /16 and /24, `{}` is /{}", net.cidr, vpc.prefix),
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
            let mut seen: Vec<(Cidr, String)> = Vec::new();
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
                    match Cidr::parse(s) {
                        None => r.err("invalid-cidr", &path, format!("`{s}` is not an IPv4 CIDR block"), "write it as `10.1.0.0/24`"),
                        Some(c) if !vpc.contains(c) => r.err(
                            "subnet-outside-vpc",
                            &path,
                            format!("subnet `{s}` is outside the VPC `{}`", net.cidr),
                            format!("choose a block inside {}", net.cidr),
                        ),
                        Some(c) => {
                            if let Some((_, other)) = seen.iter().find(|(o, _)| o.overlaps(c)) {
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
        let vpc = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(vpc.contains(Cidr::parse("10.1.3.0/24").unwrap()));
        assert!(!vpc.contains(Cidr::parse("10.2.0.0/24").unwrap()));
        assert!(Cidr::parse("10.1.0.1/16").is_none(), "host bits set");
        assert!(Cidr::parse("10.1.0.0/33").is_none());
        assert!(Cidr::parse("10.1.0.0/24")
            .unwrap()
            .overlaps(Cidr::parse("10.1.0.128/25").unwrap()));
    }

    #[test]
    fn derives_seed_001_subnets() {
        let mut n = Network {
            cidr: "10.1.0.0/16".into(),
            availability_zones: 2,
            public_subnets: vec![],
            private_subnets: vec![],
            nat: Default::default(),
        };
        derive_subnets(&mut n);
        assert_eq!(n.public_subnets, ["10.1.0.0/24", "10.1.1.0/24"]);
        assert_eq!(n.private_subnets, ["10.1.2.0/24", "10.1.3.0/24"]);
    }
}
