//! Semantic rules over a resolved environment. Each rule reports the field path it is about;
//! the resolver turns the path into the position of whichever layer set that value.

use std::net::Ipv4Addr;

use crate::diagnostic::{did_you_mean, Diagnostic, FieldPath, Span};
use crate::environment::{Environment, Runtime};
use crate::resolve::Tier;
use crate::spec::{CacheEngine, Engine, Network, Platform};

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

/// RDS engine versions by major version: (major, lowest minor, highest minor). Versions must be
/// written in full (`15.4`, `8.0.35`), as RDS takes them.
const POSTGRES: &[(&str, u32, u32)] = &[
    ("12", 4, 22),
    ("13", 1, 21),
    ("14", 1, 18),
    ("15", 2, 13),
    ("16", 1, 9),
    ("17", 1, 5),
];
const MYSQL: &[(&str, u32, u32)] = &[("5.7", 37, 44), ("8.0", 28, 42), ("8.4", 3, 5)];
const REDIS: &[&str] = &["6.0", "6.2", "7.0", "7.1"];
const VALKEY: &[&str] = &["7.2", "8.0", "8.1"];
const EKS: &[&str] = &["1.28", "1.29", "1.30", "1.31", "1.32", "1.33"];
const LOG_RETENTION: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Whether RDS offers this engine version.
pub fn engine_version_exists(engine: Engine, version: &str) -> bool {
    let table = match engine {
        Engine::Postgres => POSTGRES,
        Engine::Mysql => MYSQL,
    };
    table.iter().any(|(major, lo, hi)| {
        version
            .strip_prefix(major)
            .and_then(|r| r.strip_prefix('.'))
            .and_then(|minor| minor.parse::<u32>().ok())
            .is_some_and(|m| (*lo..=*hi).contains(&m))
    })
}

fn known_versions(engine: Engine) -> String {
    let table = match engine {
        Engine::Postgres => POSTGRES,
        Engine::Mysql => MYSQL,
    };
    table
        .iter()
        .map(|(m, lo, hi)| format!("{m}.{lo}-{m}.{hi}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Secret-looking names and values: a literal here is almost certainly a leaked credential.
fn looks_secret(name: &str, value: &str) -> bool {
    let n = name.to_ascii_uppercase();
    let by_name = [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "PRIVATE_KEY",
        "API_KEY",
        "ACCESS_KEY",
        "CREDENTIAL",
    ]
    .iter()
    .any(|w| n.contains(w));
    (by_name && !value.is_empty()) || looks_secret_value(value)
}

/// Values shaped like well-known credentials (Stripe, AWS access keys, PEM keys, Slack, GitHub).
fn looks_secret_value(value: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "sk_live_",
        "sk_test_",
        "rk_live_",
        "whsec_",
        "AKIA",
        "-----BEGIN",
        "xoxb-",
        "ghp_",
    ];
    let token = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    // A credential is its prefix and a body (`sk_live_` alone is just a word in a description).
    let credential = |part: &str| {
        PREFIXES
            .iter()
            .any(|p| part.starts_with(p) && (part.len() >= p.len() + 8 || *p == "-----BEGIN"))
    };
    value.split(|c: char| !token(c)).any(credential) || has_url_password(value)
}

/// `scheme://user:password@host`: a credential inside a URL.
fn has_url_password(value: &str) -> bool {
    value.match_indices("://").any(|(i, _)| {
        let authority = value[i + 3..]
            .split(['/', '?', '#', ' '])
            .next()
            .unwrap_or("");
        authority
            .rsplit_once('@')
            .is_some_and(|(userinfo, _)| userinfo.contains(':'))
    })
}

/// Every string of the resolved model, with its path: the last line of defence against a
/// credential pasted anywhere (a description, a tag, a health-check path), since every string
/// of the model can reach a generated file. Findings are rare, so a path becomes text only
/// for one.
fn scan_for_credentials(app: &crate::spec::App, out: &mut Vec<Diagnostic>) {
    crate::strings::visit(app, &mut |path, s| {
        if !looks_secret_value(s) {
            return;
        }
        let path = FieldPath(path.iter().map(ToString::to_string).collect());
        if !out
            .iter()
            .any(|d| d.code == "secret-literal" && d.path == path)
        {
            out.push(
                Diagnostic::error("secret-literal", path.clone(), format!("`{path}` holds a value shaped like a credential"))
                    .with_help("secret values never go in a spec: declare a `secret` and reference it by name; its value lives in Secrets Manager"),
            );
        }
    })
    .expect("the model serialises");
}

/// Branch and environment names CI pipelines re-push on every build: a production image by one
/// of these names changes without a spec change, unless a digest pins it.
const MOVING_TAGS: &[&str] = &[
    "main",
    "master",
    "develop",
    "dev",
    "staging",
    "prod",
    "production",
    "stable",
    "edge",
    "nightly",
    "release",
];

/// The most nodes of one EKS managed node group (the AWS service quota).
const MAX_NODES_PER_GROUP: u32 = 450;

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
fn is_bucket_name(s: &str) -> bool {
    let b = s.as_bytes();
    (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && !s.contains("..")
        && s.parse::<Ipv4Addr>().is_err()
}

fn is_env_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

fn is_hostname(s: &str) -> bool {
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

/// The environment-variable form of a spec name: `main` -> `MAIN`, `stripe-key` ->
/// `STRIPE_KEY`. Databases and caches prefix their variables with it (`MAIN_HOST`), secrets,
/// feature flags and external services are named by it; every emitter wires services with it.
pub fn env_var_name(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

struct Rules<'a> {
    out: &'a mut Vec<Diagnostic>,
}

impl Rules<'_> {
    fn err(&mut self, code: &'static str, path: &[&str], message: String, help: impl Into<String>) {
        let path = FieldPath(path.iter().map(|s| (*s).to_owned()).collect());
        self.out
            .push(Diagnostic::error(code, path, message).with_help(help));
    }
    fn warn(
        &mut self,
        code: &'static str,
        path: &[&str],
        message: String,
        help: impl Into<String>,
    ) {
        let path = FieldPath(path.iter().map(|s| (*s).to_owned()).collect());
        self.out
            .push(Diagnostic::warning(code, path, message).with_help(help));
    }
    fn name(&mut self, path: &[&str], s: &str, max: usize) {
        let path = FieldPath(path.iter().map(|s| (*s).to_owned()).collect());
        check_name(&path, s, max, None, self.out);
    }
    /// Checks an image repository and tag; false when either is invalid (and reported).
    fn image(&mut self, image_path: &[&str], tag_path: &[&str], image: &str, tag: &str) -> bool {
        let image_ok = !image.is_empty()
            && !image.contains(char::is_whitespace)
            && !image.contains('@')
            && !image.rsplit('/').next().is_some_and(|l| l.contains(':'));
        if !image_ok {
            self.err(
                "invalid-image",
                image_path,
                format!("{} is not an image repository", quoted(image)),
                "give the repository without tag or digest; the tag goes in `tag`",
            );
        }
        let tag_ok = !tag.is_empty()
            && tag.len() <= 128
            && tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !tag_ok {
            self.err(
                "invalid-tag",
                tag_path,
                format!("{} is not an image tag", quoted(tag)),
                "tags are up to 128 letters, digits, `.`, `_` and `-`, such as `1.4.2`",
            );
        }
        image_ok && tag_ok
    }
    /// Reports names listed twice in a list of references.
    fn unique(&mut self, path: &[&str], what: &str, names: &[String]) {
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                let idx = i.to_string();
                let mut at = path.to_vec();
                at.push(&idx);
                self.err(
                    "duplicate-reference",
                    &at,
                    format!("{what} `{n}` is listed twice"),
                    format!("remove the second `{n}`"),
                );
            }
        }
    }
    fn reference(&mut self, path: &[&str], what: &str, name: &str, known: &[&str]) {
        if !known.contains(&name) {
            let help = match did_you_mean(name, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None if known.is_empty() => {
                    format!("declare it with a `{what} \"{name}\" {{ … }}` block")
                }
                None => format!("declared: {}", known.join(", ")),
            };
            self.err(
                "unknown-reference",
                path,
                format!("`{name}` is not a declared {what}"),
                help,
            );
        }
    }
}

/// Every semantic rule, over one resolved environment.
pub fn environment(env: &Environment, tiers: &[Tier], out: &mut Vec<Diagnostic>) {
    rules(env, tiers, out);
    scan_for_credentials(&env.app, out);
}

fn rules(env: &Environment, tiers: &[Tier], out: &mut Vec<Diagnostic>) {
    let mut r = Rules { out };
    let app = &env.app;
    let local = env.runtime == Runtime::Local;
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

    // Network.
    let net = &app.network;
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

    // Platform.
    match &app.platform {
        Platform::Eks(eks) => {
            if !EKS.contains(&eks.version.as_str()) {
                r.err(
                    "unknown-version",
                    &["platform", "eks", "version"],
                    format!("EKS does not offer Kubernetes `{}`", eks.version),
                    format!("supported: {}", EKS.join(", ")),
                );
            }
            if eks.node_groups.is_empty() && !local {
                r.err(
                    "no-node-group",
                    &["platform", "eks"],
                    "the EKS cluster has no node group".into(),
                    "add `node_group \"general\" { … }`",
                );
            }
            for (name, g) in &eks.node_groups {
                let p = |f: &'static str| ["platform", "eks", "node_group", name.as_str(), f];
                r.name(&["platform", "eks", "node_group", name], name, 24);
                if g.instance_types.is_empty() {
                    r.err(
                        "empty-list",
                        &p("instance_types"),
                        "a node group needs at least one instance type".into(),
                        "such as `[\"m5.large\"]`",
                    );
                }
                if g.max > MAX_NODES_PER_GROUP {
                    r.err(
                        "invalid-range",
                        &p("max"),
                        format!("node group `{name}` may grow to {} nodes; EKS managed node groups hold at most {MAX_NODES_PER_GROUP}", g.max),
                        "lower `max`, or add a second node group",
                    );
                } else if !(g.min <= g.desired && g.desired <= g.max) || g.max == 0 {
                    r.err(
                        "invalid-range",
                        &p("desired"),
                        format!("node group `{name}` must have min <= desired <= max and max >= 1 (found {} <= {} <= {})", g.min, g.desired, g.max),
                        "adjust min, desired and max",
                    );
                }
            }
        }
        Platform::EcsFargate(_) | Platform::AppRunner(_) => {}
    }

    // Databases.
    for (name, db) in &app.databases {
        let p = |f: &'static str| ["database", name.as_str(), f];
        r.name(&["database", name], name, 24);
        if !engine_version_exists(db.engine, &db.engine_version) {
            r.err(
                "unknown-version",
                &p("engine_version"),
                format!(
                    "RDS has no {} version `{}`",
                    db.engine.as_str(),
                    db.engine_version
                ),
                format!(
                    "known {} versions: {}",
                    db.engine.as_str(),
                    known_versions(db.engine)
                ),
            );
        }
        if !local && !db.instance_class.starts_with("db.") {
            r.err(
                "invalid-instance-class",
                &p("instance_class"),
                format!("`{}` is not an RDS instance class", db.instance_class),
                "RDS classes start with `db.`, such as `db.t3.medium`",
            );
        }
        if db.allocated_storage < 20 || db.allocated_storage > 65536 {
            r.err(
                "invalid-storage",
                &p("allocated_storage"),
                format!(
                    "{} GiB: RDS gp3 storage is 20 to 65536 GiB",
                    db.allocated_storage
                ),
                "use at least 20",
            );
        }
        if db.max_allocated_storage > 65536 {
            r.err(
                "invalid-storage",
                &p("max_allocated_storage"),
                format!(
                    "{} GiB: RDS storage autoscaling stops at 65536 GiB",
                    db.max_allocated_storage
                ),
                "use at most 65536, or 0 to turn storage autoscaling off",
            );
        } else if db.max_allocated_storage != 0 && db.max_allocated_storage < db.allocated_storage {
            r.err(
                "invalid-storage",
                &p("max_allocated_storage"),
                format!(
                    "the autoscaling ceiling ({} GiB) is below the allocated storage ({} GiB)",
                    db.max_allocated_storage, db.allocated_storage
                ),
                "raise it, or set 0 to turn storage autoscaling off",
            );
        }
        if db.backup_retention_days > 35 {
            r.err(
                "invalid-retention",
                &p("backup_retention_days"),
                format!(
                    "{} days: RDS keeps backups 0 to 35 days",
                    db.backup_retention_days
                ),
                "use at most 35",
            );
        }
        if db.read_replicas > 5 {
            r.err(
                "too-many-replicas",
                &p("read_replicas"),
                format!(
                    "{} read replicas; tierform allows up to 5",
                    db.read_replicas
                ),
                "use at most 5",
            );
        }
        if db.read_replicas > 0 && db.backup_retention_days == 0 {
            r.err(
                "replicas-need-backups",
                &p("backup_retention_days"),
                "read replicas need automated backups".into(),
                "set backup_retention_days to at least 1",
            );
        }
        if !db.storage_encrypted && !local {
            r.err(
                "encryption-off",
                &p("storage_encrypted"),
                format!("database `{name}` turns encryption at rest off"),
                "encryption is always on outside local tiers; remove `storage_encrypted = false`",
            );
        }
        if env.production {
            if db.backup_retention_days == 0 {
                r.err(
                    "production-no-backups",
                    &p("backup_retention_days"),
                    "a production database without backups".into(),
                    "set backup_retention_days to at least 7",
                );
            }
            if !db.deletion_protection {
                r.err(
                    "production-unprotected",
                    &p("deletion_protection"),
                    "a production database without deletion protection".into(),
                    "remove `deletion_protection = false` from the production tier",
                );
            }
        }
        for (f, v) in [("db_name", &db.db_name), ("username", &db.username)] {
            if let Some(v) = v {
                let ok = !v.is_empty()
                    && v.len() <= 63
                    && v.as_bytes()[0].is_ascii_alphabetic()
                    && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if !ok {
                    r.err(
                        "invalid-name",
                        &p(f),
                        format!("`{v}` is not a valid database identifier"),
                        "use letters, digits and underscores, starting with a letter",
                    );
                }
            }
        }
        if db.seed_data.is_some() && !local {
            r.warn(
                "seed-data-ignored",
                &p("seed_data"),
                "seed data is only loaded by local tiers".into(),
                "move `seed_data` into the local tier",
            );
        }
    }

    // Caches.
    for (name, c) in &app.caches {
        let p = |f: &'static str| ["cache", name.as_str(), f];
        r.name(&["cache", name], name, 24);
        let versions = match c.engine {
            CacheEngine::Redis => REDIS,
            CacheEngine::Valkey => VALKEY,
        };
        if !versions.contains(&c.engine_version.as_str()) {
            r.err(
                "unknown-version",
                &p("engine_version"),
                format!(
                    "ElastiCache has no {} version `{}`",
                    c.engine.as_str(),
                    c.engine_version
                ),
                format!("supported: {}", versions.join(", ")),
            );
        }
        if !local && !c.node_type.starts_with("cache.") {
            r.err(
                "invalid-node-type",
                &p("node_type"),
                format!("`{}` is not an ElastiCache node type", c.node_type),
                "node types start with `cache.`, such as `cache.t3.micro`",
            );
        }
        if c.nodes == 0 || c.nodes > 6 {
            r.err(
                "invalid-count",
                &p("nodes"),
                format!("{} cache nodes: use 1 to 6", c.nodes),
                "one primary plus up to five replicas",
            );
        }
        if c.automatic_failover && c.nodes < 2 {
            r.err(
                "failover-needs-replica",
                &p("nodes"),
                format!("cache `{name}` has {} node, but automatic failover (on by default) needs a replica to promote", c.nodes),
                "set `nodes = 2`, or `automatic_failover = false` where a single node is acceptable (local or test tiers)",
            );
        }
        for (field, on, what) in [
            ("at_rest_encryption", c.at_rest_encryption, "at rest"),
            ("transit_encryption", c.transit_encryption, "in transit"),
        ] {
            if !local && !on {
                r.err(
                    "encryption-off",
                    &p(field),
                    format!("cache `{name}` turns encryption {what} off"),
                    format!("encryption at rest and in transit is always on outside local tiers; remove `{field} = false`"),
                );
            }
        }
        if c.snapshot_retention_days > 35 {
            r.err(
                "invalid-retention",
                &p("snapshot_retention_days"),
                format!(
                    "{} days: ElastiCache keeps snapshots 0 to 35 days",
                    c.snapshot_retention_days
                ),
                "use at most 35",
            );
        }
    }

    // Secrets.
    for name in app.secrets.keys() {
        r.name(&["secret", name], name, 40);
    }
    let secret_names: Vec<&str> = app.secrets.keys().map(String::as_str).collect();
    let db_names: Vec<&str> = app.databases.keys().map(String::as_str).collect();
    let cache_names: Vec<&str> = app.caches.keys().map(String::as_str).collect();
    let service_names: Vec<&str> = app.services.keys().map(String::as_str).collect();

    // Services.
    if app.services.is_empty() {
        r.err(
            "no-service",
            &["service"],
            "the spec declares no service".into(),
            "add `service \"api\" { … }`",
        );
    }
    for (name, s) in &app.services {
        let p = |f: &'static str| ["service", name.as_str(), f];
        r.name(&["service", name], name, 24);
        if r.image(&p("image"), &p("tag"), &s.image, &s.tag) && env.production {
            if s.tag == "latest" {
                r.err(
                    "unpinned-image",
                    &p("tag"),
                    format!("production runs service `{name}` from the mutable tag `latest`"),
                    "pin a release tag such as `1.4.2` (and a `digest`) in the production tier",
                );
            } else if s.digest.is_none() && MOVING_TAGS.contains(&s.tag.as_str()) {
                r.err(
                    "unpinned-image",
                    &p("tag"),
                    format!("production runs service `{name}` from `{}`, a tag that moves with every push", s.tag),
                    "pin a release tag such as `1.4.2`, or pin the content with `digest = \"sha256:…\"`",
                );
            }
        }
        if let Some(d) = &s.digest {
            let ok = d
                .strip_prefix("sha256:")
                .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
            if !ok {
                r.err(
                    "invalid-digest",
                    &p("digest"),
                    format!("`{d}` is not an image digest"),
                    "write it as `sha256:` followed by 64 hex digits",
                );
            }
        }
        if s.port == 0 {
            r.err(
                "invalid-port",
                &p("port"),
                "port 0 is not a port".into(),
                "use the port the container listens on, 1-65535",
            );
        }
        if s.cpu == 0 || s.memory < 64 {
            r.err(
                "invalid-size",
                &p("cpu"),
                format!(
                    "service `{name}` asks for {} millicores and {} MiB",
                    s.cpu, s.memory
                ),
                "give real sizes, such as cpu = 250 and memory = 512",
            );
        }
        for (field, limit, request, unit) in [
            ("cpu_limit", s.cpu_limit, s.cpu, "millicores"),
            ("memory_limit", s.memory_limit, s.memory, "MiB"),
        ] {
            if let Some(limit) = limit.filter(|l| *l < request) {
                r.err(
                    "limit-below-request",
                    &p(field),
                    format!("service `{name}` has {field} {limit} {unit}, below its request of {request} {unit}"),
                    format!("raise `{field}` to at least {request}, or remove it to use the request"),
                );
            }
        }
        if !local {
            match &app.platform {
                Platform::EcsFargate(_) if !fargate_size(s.cpu, s.memory) => r.err(
                    "invalid-size",
                    &p("memory"),
                    format!("Fargate has no task size of {} millicores with {} MiB", s.cpu, s.memory),
                    "Fargate sizes: 250 with 512-2048, 500 with 1024-4096, 1000 with 2048-8192, 2000 with 4096-16384, 4000 with 8192-30720 (MiB in steps of 1024)",
                ),
                Platform::AppRunner(_) if !app_runner_size(s.cpu, s.memory) => r.err(
                    "invalid-size",
                    &p("memory"),
                    format!("App Runner has no instance of {} millicores with {} MiB", s.cpu, s.memory),
                    "App Runner sizes: 250 with 512 or 1024, 500 with 1024, 1000 with 2048-4096, 2000 with 4096 or 6144, 4000 with 8192-12288",
                ),
                _ => {}
            }
        }
        if let Some(a) = &s.autoscaling {
            if a.min == 0 || a.min > a.max || a.max > 1000 {
                r.err(
                    "invalid-range",
                    &["service", name, "autoscaling", "max"],
                    format!(
                        "autoscaling needs 1 <= min <= max <= 1000 (found {} and {})",
                        a.min, a.max
                    ),
                    "adjust min and max",
                );
            }
            if !(1..=100).contains(&a.target_cpu) {
                r.err(
                    "invalid-range",
                    &["service", name, "autoscaling", "target_cpu"],
                    format!("target CPU {}%: use 1 to 100", a.target_cpu),
                    "70 is a common choice",
                );
            }
        } else if s.replicas > 1000 {
            r.err(
                "invalid-range",
                &p("replicas"),
                format!("{} replicas; tierform allows up to 1000", s.replicas),
                "use autoscaling for large fleets",
            );
        }
        let hc = &s.health_check;
        let hp = |f: &'static str| ["service", name.as_str(), "health_check", f];
        match (&hc.path, &hc.command) {
            (Some(_), Some(_)) | (None, None) => r.err(
                "health-check",
                &["service", name, "health_check"],
                format!("the health check of `{name}` needs exactly one of `path` and `command`"),
                "an HTTP service usually sets `path = \"/health\"`",
            ),
            (Some(path), None) if !path.starts_with('/') || path.contains(char::is_whitespace) => {
                r.err(
                    "health-check",
                    &hp("path"),
                    format!("`{path}` is not an HTTP path"),
                    "start it with `/`, such as `/health`",
                );
            }
            (None, Some(c)) if c.is_empty() => r.err(
                "health-check",
                &hp("command"),
                "the health-check command is empty".into(),
                "such as `[\"/bin/healthcheck\"]`",
            ),
            (None, Some(_))
                if s.public.is_some() || matches!(app.platform, Platform::AppRunner(_)) =>
            {
                r.err(
                    "health-check",
                    &hp("command"),
                    format!(
                        "service `{name}` is behind a load balancer, which checks health over HTTP"
                    ),
                    "set `path` instead of `command`",
                )
            }
            _ => {}
        }
        if hc.timeout == 0 || hc.interval == 0 || hc.timeout >= hc.interval {
            r.err(
                "health-check",
                &hp("timeout"),
                format!(
                    "the timeout ({}s) must be shorter than the interval ({}s)",
                    hc.timeout, hc.interval
                ),
                "such as interval = 30 and timeout = 5",
            );
        }
        for (field, value, range) in [
            ("healthy_threshold", hc.healthy_threshold, 1..=10),
            ("unhealthy_threshold", hc.unhealthy_threshold, 2..=10),
        ] {
            if !range.contains(&value) {
                r.err(
                    "health-check",
                    &hp(field),
                    format!("{field} {value}: health-check thresholds must be 1-10 (healthy) and 2-10 (unhealthy)"),
                    "such as healthy_threshold = 2 and unhealthy_threshold = 3",
                );
            }
        }
        r.unique(&["service", name, "databases"], "database", &s.databases);
        r.unique(&["service", name, "caches"], "cache", &s.caches);
        r.unique(&["service", name, "secrets"], "secret", &s.secrets);
        r.unique(&["service", name, "calls"], "service", &s.calls);
        for (field, command) in [("command", &s.command), ("health_check", &hc.command)] {
            for (i, arg) in command.iter().flatten().enumerate() {
                if looks_secret_value(arg) || arg.to_ascii_uppercase().contains("PASSWORD=") {
                    let idx = i.to_string();
                    let path: Vec<&str> = match field {
                        "command" => vec!["service", name, "command", &idx],
                        _ => vec!["service", name, "health_check", "command", &idx],
                    };
                    r.err(
                        "secret-literal",
                        &path,
                        format!("an argument of the {} of service `{name}` looks like a secret given as a literal value", field.replace('_', " ")),
                        "read the secret from the environment instead: declare a `secret` block, list it in `secrets`, and refer to its variable",
                    );
                }
            }
        }
        let mut wired: Vec<String> = Vec::new();
        for (i, d) in s.databases.iter().enumerate() {
            r.reference(
                &["service", name, "databases", &i.to_string()],
                "database",
                d,
                &db_names,
            );
            let pre = env_var_name(d);
            wired.extend(
                ["HOST", "PORT", "NAME", "USER", "PASSWORD"].map(|x| format!("{pre}_DB_{x}")),
            );
        }
        for (i, c) in s.caches.iter().enumerate() {
            r.reference(
                &["service", name, "caches", &i.to_string()],
                "cache",
                c,
                &cache_names,
            );
            wired.push(format!("{}_CACHE_URL", env_var_name(c)));
        }
        for (i, sec) in s.secrets.iter().enumerate() {
            r.reference(
                &["service", name, "secrets", &i.to_string()],
                "secret",
                sec,
                &secret_names,
            );
            wired.push(env_var_name(sec));
        }
        for (i, c) in s.calls.iter().enumerate() {
            r.reference(
                &["service", name, "calls", &i.to_string()],
                "service",
                c,
                &service_names,
            );
            if c == name {
                r.err(
                    "self-call",
                    &["service", name, "calls", &i.to_string()],
                    format!("service `{name}` lists itself in `calls`"),
                    format!(
                        "remove `{name}` from `calls`: `calls` opens traffic to other services"
                    ),
                );
            }
        }
        for (k, v) in &s.env {
            if !is_env_name(k) {
                r.err(
                    "invalid-env-name",
                    &["service", name, "env", k],
                    format!("`{k}` is not an environment variable name"),
                    "use letters, digits and underscores, not starting with a digit",
                );
            } else if looks_secret(k, v) {
                r.err(
                    "secret-literal",
                    &["service", name, "env", k],
                    format!("`{k}` looks like a secret given as a literal value"),
                    format!("declare `secret \"{}\" {{}}` and list it in `secrets`; its value then lives in Secrets Manager", k.to_ascii_lowercase().replace('_', "-")),
                );
            } else if wired.contains(k) {
                r.err(
                    "env-collision",
                    &["service", name, "env", k],
                    format!("`{k}` is set by tierform's wiring of this service's dependencies"),
                    "remove it: tierform sets it from the database, cache or secret",
                );
            }
        }
        if let Some(pubc) = &s.public {
            if !is_hostname(&pubc.host) {
                r.err(
                    "invalid-host",
                    &["service", name, "public", "host"],
                    format!("`{}` is not a host name", pubc.host),
                    "such as `api.example.com` (lower case)",
                );
            } else if !(pubc.host == pubc.zone || pubc.host.ends_with(&format!(".{}", pubc.zone))) {
                r.err(
                    "host-outside-zone",
                    &["service", name, "public", "host"],
                    format!("`{}` is not inside the zone `{}`", pubc.host, pubc.zone),
                    "the host must be the zone or a name under it",
                );
            }
        }
    }
    let mut hosts: Vec<(&str, &str)> = Vec::new();
    for (name, s) in &app.services {
        let Some(host) = s.public.as_ref().map(|p| p.host.as_str()) else {
            continue;
        };
        match hosts.iter().find(|(h, _)| *h == host) {
            Some((_, first)) => r.err(
                "duplicate-host",
                &["service", name, "public", "host"],
                format!("services `{first}` and `{name}` are both published at `{host}`"),
                "give each public service its own host name, such as `api.` and `www.` under the zone",
            ),
            None => hosts.push((host, name)),
        }
    }

    // Observability.
    let o = &app.observability;
    if !LOG_RETENTION.contains(&o.log_retention_days) {
        r.err(
            "invalid-retention",
            &["observability", "log_retention_days"],
            format!("CloudWatch cannot keep logs {} days", o.log_retention_days),
            "use one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
        );
    }
    if !(1..=100).contains(&o.alarms.cpu_threshold) {
        r.err(
            "invalid-range",
            &["observability", "alarms", "cpu_threshold"],
            format!(
                "a CPU alarm threshold of {}% can never or always fire",
                o.alarms.cpu_threshold
            ),
            "use 1 to 100; 80 is a common choice",
        );
    }
    if let Some(arn) = &o.alarms.notify {
        if !arn.starts_with("arn:aws:sns:") {
            r.err(
                "invalid-arn",
                &["observability", "alarms", "notify"],
                format!("`{arn}` is not an SNS topic ARN"),
                "such as `arn:aws:sns:us-east-1:123456789012:alerts`",
            );
        }
    }
    for (name, _) in &app.external_services {
        r.name(&["external_service", name], name, 30);
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
    for (kind, list) in [("read", &app.access.read), ("write", &app.access.write)] {
        for (i, arn) in list.iter().enumerate() {
            let parts: Vec<&str> = arn.split(':').collect();
            let ok = parts.len() >= 6
                && parts[0] == "arn"
                && parts[2] == "iam"
                && parts[4].len() == 12
                && parts[4].bytes().all(|b| b.is_ascii_digit());
            if !ok {
                r.err(
                    "invalid-arn",
                    &["access", kind, &i.to_string()],
                    format!("{} is not an IAM principal ARN", quoted(arn)),
                    "such as `arn:aws:iam::123456789012:role/developers`",
                );
            } else if arn.contains('*') {
                r.err(
                    "wildcard-principal",
                    &["access", kind, &i.to_string()],
                    format!(
                        "{} grants {kind} access to every matching principal",
                        quoted(arn)
                    ),
                    "name each role or user: least privilege means no wildcard principals",
                );
            }
        }
    }
    if let Some(d) = &app.data_refresh {
        let tier_names: Vec<&str> = tiers.iter().map(|t| t.name.as_str()).collect();
        r.reference(&["data_refresh", "from"], "tier", &d.from, &tier_names);
        r.reference(
            &["data_refresh", "database"],
            "database",
            &d.database,
            &db_names,
        );
        if d.from == env.tier {
            r.err(
                "refresh-from-self",
                &["data_refresh", "from"],
                "an environment cannot refresh its data from its own tier".into(),
                "name the tier the data comes from, such as `production`",
            );
        }
        if d.schedule.split_whitespace().count() != 5 {
            r.err(
                "invalid-schedule",
                &["data_refresh", "schedule"],
                format!("`{}` is not a cron schedule", d.schedule),
                "five fields, such as `0 2 * * 6`",
            );
        }
        if env.production {
            r.err(
                "refresh-into-production",
                &["data_refresh"],
                format!("production environment `{}` would have its data overwritten from tier `{}` on a schedule", env.name, d.from),
                "data flows from production to the tiers that test with it: move `data_refresh` into the staging tier",
            );
        }
        r.image(
            &["data_refresh", "image"],
            &["data_refresh", "tag"],
            &d.image,
            &d.tag,
        );
        if !d.anonymize && tiers.iter().any(|t| t.name == d.from && t.production) {
            r.err(
                "refresh-not-anonymized",
                &["data_refresh", "anonymize"],
                "production data copied without anonymisation".into(),
                "personal data must not leave production: set `anonymize = true`",
            );
        }
    }
}

fn fargate_size(cpu: u32, mem: u32) -> bool {
    match cpu {
        250 => [512, 1024, 2048].contains(&mem),
        500 => (1024..=4096).contains(&mem) && mem % 1024 == 0,
        1000 => (2048..=8192).contains(&mem) && mem % 1024 == 0,
        2000 => (4096..=16384).contains(&mem) && mem % 1024 == 0,
        4000 => (8192..=30720).contains(&mem) && mem % 1024 == 0,
        _ => false,
    }
}

fn app_runner_size(cpu: u32, mem: u32) -> bool {
    match cpu {
        250 => [512, 1024].contains(&mem),
        500 => mem == 1024,
        1000 => [2048, 3072, 4096].contains(&mem),
        2000 => [4096, 6144].contains(&mem),
        4000 => [8192, 10240, 12288].contains(&mem),
        _ => false,
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

    #[test]
    fn engine_versions() {
        assert!(engine_version_exists(Engine::Postgres, "15.4"));
        assert!(engine_version_exists(Engine::Mysql, "8.0.35"));
        assert!(!engine_version_exists(Engine::Postgres, "15.99"));
        assert!(!engine_version_exists(Engine::Postgres, "15"));
        assert!(!engine_version_exists(Engine::Mysql, "9.9.9"));
    }

    #[test]
    fn credentials_are_found_inside_other_text() {
        assert!(looks_secret_value(
            "Bearer:sk_live_4eC39HqLyjWDarjtT1zdp7dc"
        ));
        assert!(looks_secret_value("postgres://app:hunter2@db:5432/x"));
        assert!(!looks_secret_value("https://example.com/a?b=c"));
        assert!(!looks_secret_value("user@example.com"));
    }

    #[test]
    fn secrets_by_name_or_shape() {
        assert!(looks_secret("DB_PASSWORD", "hunter2"));
        assert!(looks_secret("STRIPE", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"));
        assert!(!looks_secret("NODE_ENV", "production"));
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

    #[test]
    fn secret_shaped_arguments() {
        assert!(looks_secret_value("--key=sk_live_4eC39HqLyjWDarjtT1zdp7dc"));
        assert!(looks_secret_value("AKIAIOSFODNN7EXAMPLE"));
        assert!(!looks_secret_value("--port=8080"));
    }

    #[test]
    fn sizes() {
        assert!(fargate_size(500, 1024));
        assert!(!fargate_size(500, 512));
        assert!(app_runner_size(500, 1024) && app_runner_size(1000, 2048));
    }
}
