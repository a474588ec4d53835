//! Names: tierform names (tiers, services, databases, …), AWS regions, S3 buckets,
//! environment-variable names and host names, and the rules over the app's own names.

use std::net::Ipv4Addr;

use super::Rules;
use crate::diagnostic::{Diagnostic, FieldPath, Span};
use crate::spec::App;

/// Whether `s` is a valid tierform name: lower-case letters, digits and single hyphens,
/// starting with a letter and not ending with a hyphen (usable in AWS and Kubernetes names).
pub fn is_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_lowercase()
        && b[b.len() - 1] != b'-'
        && !s.contains("--")
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// A value as messages quote it: long values (hostile or generated specs) are cut, so that one
/// diagnostic stays one readable line.
pub fn quoted(s: &str) -> String {
    const MAX: usize = 48;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("`{}…` ({} characters)", &s[..cut], s.chars().count()),
        None => format!("`{s}`"),
    }
}

/// Reports an invalid name.
pub fn check_name(
    path: &FieldPath,
    s: &str,
    max: usize,
    span: Option<Span>,
    errors: &mut Vec<Diagnostic>,
) {
    if !is_name(s) {
        errors.push(
            Diagnostic::error("invalid-name", path.clone(), format!("{} is not a valid name", quoted(s)))
                .with_span(span)
                .with_help("use lower-case letters, digits and single hyphens, starting with a letter (names end up in AWS and Kubernetes names)"),
        );
    } else if s.len() > max {
        errors.push(
            Diagnostic::error(
                "name-too-long",
                path.clone(),
                format!(
                    "{} is {} characters long; the limit here is {max}",
                    quoted(s),
                    s.len()
                ),
            )
            .with_span(span)
            .with_help(
                "AWS limits resource names (32 characters for load balancers); shorten the name",
            ),
        );
    }
}

/// An AWS region code such as `us-east-1` or `ap-southeast-2`: letters, a hyphen, a direction
/// and a digit (`us-gov-west-1` too).
fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    (3..=4).contains(&parts.len())
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].parse::<u8>().is_ok()
}

/// An S3 bucket name (the rules for new general-purpose buckets).
pub(crate) fn is_bucket_name(s: &str) -> bool {
    let b = s.as_bytes();
    (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && !s.contains("..")
        && s.parse::<Ipv4Addr>().is_err()
}

pub(super) fn is_env_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

pub(super) fn is_hostname(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').count() >= 2
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// The app's name, its region and its Terraform state backend.
pub(super) fn app(r: &mut Rules<'_>, app: &App, local: bool) {
    r.name(&["app"], &app.app, 20);
    if !local && !is_region(&app.region) {
        r.err(
            "invalid-region",
            &["region"],
            format!("{} is not an AWS region", quoted(&app.region)),
            "use a region code such as `us-east-1` or `eu-central-1`",
        );
    }
    if let Some(region) = app.state.region.as_deref().filter(|r| !is_region(r)) {
        r.err(
            "invalid-region",
            &["state", "region"],
            format!("{} is not an AWS region", quoted(region)),
            "use the region code of the state bucket, such as `us-east-1`",
        );
    }
    if let Some(bucket) = app.state.bucket.as_deref().filter(|b| !is_bucket_name(b)) {
        r.err(
            "invalid-bucket",
            &["state", "bucket"],
            format!("{} is not an S3 bucket name", quoted(bucket)),
            "bucket names are 3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit, such as `shop-terraform-state`",
        );
    }
}

/// The names of secrets.
pub(super) fn secrets(r: &mut Rules<'_>, app: &App) {
    for name in app.secrets.keys() {
        r.name(&["secret", name], name, 40);
    }
}

/// The names of external services and feature flags (both become environment variables).
pub(super) fn external_services_and_flags(r: &mut Rules<'_>, app: &App) {
    for (name, _) in &app.external_services {
        r.name(&["external_service", name], name, 30);
        // Declared means emitted: a mode no service is given would change nothing.
        if !app
            .services
            .values()
            .any(|s| s.external_services.contains(name))
        {
            r.err(
                "unused-external-service",
                &["external_service", name],
                format!("no service lists the external service `{name}`, so its mode reaches no service"),
                format!("add `external_services = [\"{name}\"]` to the services that call it, or remove the block"),
            );
        }
    }
    for flag in app.feature_flags.keys() {
        if !is_env_name(&flag.replace('-', "_")) {
            r.err(
                "invalid-name",
                &["feature_flags", flag],
                format!("`{flag}` is not a valid feature-flag name"),
                "use letters, digits, `-` and `_`",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["api", "a1", "core-banking"] {
            assert!(is_name(ok), "{ok}");
        }
        for bad in ["", "Api", "1a", "a_b", "a-", "a--b", "a.b"] {
            assert!(!is_name(bad), "{bad}");
        }
    }

    #[test]
    fn regions_and_buckets() {
        for ok in [
            "us-east-1",
            "eu-central-1",
            "ap-southeast-2",
            "us-gov-west-1",
        ] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in ["virginia", "us-east", "US-EAST-1", "us-east-x", "u-east-1"] {
            assert!(!is_region(bad), "{bad}");
        }
        assert!(is_bucket_name("servio-terraform-state") && is_bucket_name("a.b.c"));
        for bad in [
            "ab",
            "Servio-State",
            "-state",
            "state-",
            "a..b",
            "192.168.1.1",
            "my_bucket",
        ] {
            assert!(!is_bucket_name(bad), "{bad}");
        }
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        assert_eq!(quoted("api"), "`api`");
        let long = "x".repeat(1000);
        assert_eq!(
            quoted(&long),
            format!("`{}…` (1000 characters)", "x".repeat(48))
        );
    }
}
