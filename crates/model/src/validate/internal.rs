//! `service.<name>.internal`: exposure inside the VPC only. What each platform can do with it
//! (ECS Fargate: an internal load balancer, a private zone, a private certificate; App Runner:
//! a private endpoint at its own domain; EKS: not yet), and the shape of every value.

use super::names::{is_hostname, quoted};
use super::network::parse_cidr;
use super::Rules;
use crate::internal::{parse_arn, Internal};
use crate::spec::{App, Name, Platform};

/// Values an ALB listener rule's condition takes at most (`source_ip`).
const MAX_RULE_RANGES: usize = 3;

pub(super) fn rules(r: &mut Rules<'_>, app: &App, local: bool) {
    for (name, s) in &app.services {
        let Some(internal) = &s.internal else {
            continue;
        };
        if s.public.is_some() {
            r.err(
                "two-exposures",
                &["service", name, "internal"],
                format!("service `{name}` is both `public` and `internal`"),
                "keep `public` (the internet, through the internet-facing load balancer) or `internal` (the VPC only); a service needed both ways is two services",
            );
        }
        shapes(r, app, name, internal);
        // A local tier runs docker-compose: every service is published on a loopback port,
        // internal or public alike.
        if !local {
            platform(r, app, name, internal);
        }
    }
    hosts(r, app);
    zones(r, app);
}

/// One private zone per name in a VPC: Route 53 refuses a second zone of a name already
/// associated with the VPC, so services naming one zone agree on whether it exists.
fn zones(r: &mut Rules<'_>, app: &App) {
    let mut seen: Vec<(&str, Option<&str>, &str)> = Vec::new();
    for (name, s) in &app.services {
        let Some((zone, id)) = s
            .internal
            .as_ref()
            .and_then(|i| Some((i.zone.as_deref()?, i.zone_id.as_deref())))
        else {
            continue;
        };
        match seen.iter().find(|(z, _, _)| *z == zone) {
            Some((_, first_id, first)) if *first_id != id => {
                let field = if id.is_some() { "zone_id" } else { "zone" };
                r.err(
                    "zone-conflict",
                    &["service", name, "internal", field],
                    format!(
                        "services `{first}` and `{name}` name the private zone `{zone}` with different `zone_id`s: a VPC takes one private zone of a name"
                    ),
                    format!("give service `{name}` the same `zone_id` as `{first}` (or none on both: tierform then creates the zone once)"),
                );
            }
            Some(_) => {}
            None => seen.push((zone, id, name)),
        }
    }
}

/// No host that two services answer at, where one of them is internal (two public ones are
/// `service`'s rule).
fn hosts(r: &mut Rules<'_>, app: &App) {
    fn host_of(s: &crate::spec::Service) -> Option<(&str, &'static str)> {
        s.public
            .as_ref()
            .map(|p| (p.host.as_str(), "public"))
            .or_else(|| Some((s.internal.as_ref()?.host.as_deref()?, "internal")))
    }
    for (k, (name, s)) in app.services.iter().enumerate() {
        let Some((host, block)) = host_of(s) else {
            continue;
        };
        let earlier = app.services.iter().take(k).find(|(_, o)| {
            host_of(o).is_some_and(|(h, b)| h == host && (b == "internal" || block == "internal"))
        });
        if let Some((first, _)) = earlier {
            r.err(
                "duplicate-host",
                &["service", name, block, "host"],
                format!("services `{first}` and `{name}` are both published at `{host}`"),
                "give each service its own host name under the zone",
            );
        }
    }
}

/// What the platform supports.
fn platform(r: &mut Rules<'_>, app: &App, name: &Name, i: &Internal) {
    let at = |field: &'static str| -> [&str; 4] { ["service", name.as_str(), "internal", field] };
    match &app.platform {
        Platform::EcsFargate(_) => {
            for (field, value) in [("host", &i.host), ("zone", &i.zone)] {
                if value.is_none() {
                    r.err(
                        "missing-field",
                        &["service", name, "internal"],
                        format!("an internal service on ECS Fargate needs `{field}`: the internal load balancer routes by host name and the private zone points it there"),
                        "such as `host = \"api.{env}.corp.internal\"` and `zone = \"corp.internal\"`",
                    );
                }
            }
            // Each host's listener rule admits only its service's ranges, and an ALB rule's
            // condition takes at most three values.
            if i.allowed_cidrs.len() > MAX_RULE_RANGES {
                let idx = MAX_RULE_RANGES.to_string();
                r.err(
                    "too-many-ranges",
                    &["service", name, "internal", "allowed_cidrs", &idx],
                    format!("{} ranges: on ECS Fargate the internal load balancer's rule for the host matches at most {MAX_RULE_RANGES} source ranges", i.allowed_cidrs.len()),
                    "join neighbouring ranges into a wider block (such as `10.0.0.0/8` for the VPC and its peers)",
                );
            }
            match (&i.certificate_authority_arn, &i.certificate_arn) {
                (None, None) => r.err(
                    "missing-certificate",
                    &["service", name, "internal"],
                    "an internal service on ECS Fargate needs a certificate source for its HTTPS listener: no public DNS can validate one".into(),
                    "give `certificate_authority_arn` (an AWS Private CA that issues it) or `certificate_arn` (an existing ACM certificate for the host)",
                ),
                (Some(_), Some(_)) => r.err(
                    "two-certificate-sources",
                    &at("certificate_arn"),
                    "`certificate_authority_arn` and `certificate_arn` are both given".into(),
                    "keep one: the Private CA issues a certificate, or the existing certificate is used",
                ),
                _ => {}
            }
        }
        Platform::AppRunner(_) => {
            let refused = [
                ("host", i.host.is_some()),
                ("zone", i.zone.is_some()),
                ("zone_id", i.zone_id.is_some()),
                ("certificate_authority_arn", i.certificate_authority_arn.is_some()),
                ("certificate_arn", i.certificate_arn.is_some()),
            ];
            for (field, set) in refused {
                if set {
                    r.err(
                        "unsupported-on-platform",
                        &at(field),
                        format!("App Runner's private endpoint answers at App Runner's own domain, with App Runner's TLS: App Runner takes no Route 53 private hosted zone, so `{field}` would do nothing"),
                        "remove it; callers in the VPC use the service's `<NAME>_SERVICE_URL` (the private endpoint's domain)",
                    );
                }
            }
        }
        Platform::Eks(_) => r.err(
            "unsupported-on-platform",
            &["service", name, "internal"],
            "EKS internal load balancers: not supported yet: an internal balancer sits in the private subnets, where the pods' own addresses are, so letting it through the service's NetworkPolicy would let every pod of the cluster in as well".into(),
            "remove `internal` (pods in the VPC reach the service at its Kubernetes Service), or run the service on ECS Fargate or App Runner",
        ),
    }
}

/// The values' own shapes, on every platform.
fn shapes(r: &mut Rules<'_>, app: &App, name: &Name, i: &Internal) {
    let at = |field: &'static str| -> [&str; 4] { ["service", name.as_str(), "internal", field] };
    if let Some(zone) = &i.zone {
        if !is_hostname(zone) {
            r.err(
                "invalid-host",
                &at("zone"),
                format!("{} is not a zone name", quoted(zone)),
                "such as `corp.internal` (lower case)",
            );
        }
    }
    if let Some(host) = &i.host {
        if !is_hostname(host) {
            r.err(
                "invalid-host",
                &at("host"),
                format!("{} is not a host name", quoted(host)),
                "such as `api.staging.corp.internal` (lower case)",
            );
        } else if let Some(zone) = &i.zone {
            if !(host == zone || host.ends_with(&format!(".{zone}"))) {
                r.err(
                    "host-outside-zone",
                    &at("host"),
                    format!("`{host}` is not inside the private zone `{zone}`"),
                    "the host must be the zone or a name under it: the zone's records are the only ones the VPC resolves for it",
                );
            }
        }
    }
    if let Some(id) = &i.zone_id {
        let ok = id.len() <= 32
            && id.starts_with('Z')
            && id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !ok {
            r.err(
                "invalid-zone-id",
                &at("zone_id"),
                format!("{} is not a Route 53 hosted zone id", quoted(id)),
                "such as `Z0123456789ABCDEFGHIJ` (`aws route53 list-hosted-zones-by-name`)",
            );
        }
        if i.zone.is_none() {
            r.err(
                "missing-field",
                &at("zone_id"),
                "`zone_id` needs `zone`, the zone's name, which the host must be under".into(),
                "add `zone = \"corp.internal\"`",
            );
        }
    }
    if let Some(arn) = &i.certificate_authority_arn {
        arn_of(
            r,
            app,
            &at("certificate_authority_arn"),
            arn,
            ("acm-pca", "certificate-authority/", "an AWS Private CA"),
        );
    }
    if let Some(arn) = &i.certificate_arn {
        arn_of(
            r,
            app,
            &at("certificate_arn"),
            arn,
            ("acm", "certificate/", "an ACM certificate"),
        );
    }
    for (k, cidr) in i.allowed_cidrs.iter().enumerate() {
        let idx = k.to_string();
        let path = ["service", name.as_str(), "internal", "allowed_cidrs", &idx];
        match parse_cidr(cidr) {
            None => r.err(
                "invalid-cidr",
                &path,
                format!("{} is not an IPv4 CIDR block", quoted(cidr)),
                "such as `10.8.0.0/16` (a VPN's or a peered VPC's range)",
            ),
            Some(net) if net.prefix_len() == 0 => r.err(
                "open-to-internet",
                &path,
                format!("`{cidr}` is every address: an internal service open to the internet is a public one"),
                "list the ranges that may connect (the VPC's, a VPN's, a peered VPC's), or use `public`",
            ),
            Some(_) => {}
        }
    }
}

/// `arn:<partition>:<service>:<the app's region>:<account>:<resource prefix><id>`.
fn arn_of(
    r: &mut Rules<'_>,
    app: &App,
    path: &[&str],
    arn: &str,
    (service, prefix, what): (&str, &str, &str),
) {
    let example = format!(
        "such as `arn:aws:{service}:{}:123456789012:{prefix}…`",
        app.region
    );
    let Some(a) = parse_arn(arn) else {
        r.err(
            "invalid-arn",
            path,
            format!("{} is not an ARN", quoted(arn)),
            example,
        );
        return;
    };
    if a.service != service || !a.resource.starts_with(prefix) || a.resource.len() == prefix.len() {
        r.err(
            "invalid-arn",
            path,
            format!(
                "{} is not the ARN of {what} (`{service}` service, `{prefix}<id>`)",
                quoted(arn)
            ),
            example,
        );
    } else if a.region != app.region {
        // A load balancer takes certificates of its own region, and ACM issues private
        // certificates only from a CA of the request's region.
        r.err(
            "invalid-arn",
            path,
            format!(
                "{what} in `{}`, but the app runs in `{}`",
                a.region, app.region
            ),
            format!("use one in `{}`", app.region),
        );
    } else if !crate::account::is_account_id(a.account) {
        r.err(
            "invalid-arn",
            path,
            format!(
                "`{}` in {} is not a 12-digit account id",
                a.account,
                quoted(arn)
            ),
            example,
        );
    }
}
