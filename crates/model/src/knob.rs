//! The one table of what may differ between environments of the same structure.
//!
//! A *knob* is a field whose value may change from tier to tier, tenant to tenant, or instance
//! to instance without changing the shape of the infrastructure: sizes, counts, retention,
//! availability, hostnames, external-service modes, log levels, feature flags, image tags.
//! Everything else is *structure* and must be identical in a tier and the tier it `mirrors`.
//! Validation (overrides in mirroring tiers and instances), parity and the Kubernetes overlays
//! all read this table and nothing else.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnostic::FieldPath;

/// What kind of difference a knob is; a mirroring tier may restrict itself to some kinds
/// (`may_differ = ["size", "count"]`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum KnobKind {
    /// Instance classes, node types, CPU and memory, storage.
    Size,
    /// Replicas, autoscaling bounds, node counts.
    Count,
    /// Multi-AZ, automatic failover, number of AZs, NAT layout.
    Availability,
    /// How long logs, metrics, traces, backups and snapshots are kept.
    Retention,
    /// Public host names and their zones.
    Hostname,
    /// Sandbox or live external services.
    ExternalMode,
    /// The services' log level.
    LogLevel,
    /// Feature flags.
    FeatureFlag,
    /// Image tags and digests, and automatic deployment.
    Release,
    /// Values of plain environment variables.
    Config,
    /// Who may read or change the environment, and where alarms notify.
    Access,
    /// The VPC's address range.
    Addressing,
    /// Deletion protection: a relaxation of production hardening, shown by every diff.
    Protection,
    /// Arguments a raw Terraform block declares as its knobs (`knobs = ["memory_size"]`).
    Declared,
}

impl KnobKind {
    /// Every kind, in table order.
    pub const ALL: &'static [KnobKind] = &[
        KnobKind::Size,
        KnobKind::Count,
        KnobKind::Availability,
        KnobKind::Retention,
        KnobKind::Hostname,
        KnobKind::ExternalMode,
        KnobKind::LogLevel,
        KnobKind::FeatureFlag,
        KnobKind::Release,
        KnobKind::Config,
        KnobKind::Access,
        KnobKind::Addressing,
        KnobKind::Protection,
        KnobKind::Declared,
    ];
    /// The name used in specs and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            KnobKind::Size => "size",
            KnobKind::Count => "count",
            KnobKind::Availability => "availability",
            KnobKind::Retention => "retention",
            KnobKind::Hostname => "hostname",
            KnobKind::ExternalMode => "external_mode",
            KnobKind::LogLevel => "log_level",
            KnobKind::FeatureFlag => "feature_flag",
            KnobKind::Release => "release",
            KnobKind::Config => "config",
            KnobKind::Access => "access",
            KnobKind::Addressing => "addressing",
            KnobKind::Protection => "protection",
            KnobKind::Declared => "declared",
        }
    }
}

/// One declared knob: a path pattern (`*` matches one segment) that covers the field and
/// everything below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Knob {
    /// The pattern, such as `database.*.instance_class`.
    pub pattern: &'static str,
    /// What kind of difference it is.
    pub kind: KnobKind,
    /// Whether changing it may add or remove whole emitted objects (an autoscaling policy, a
    /// NAT gateway per zone, the IAM role of a write grant), not only change values. Parity
    /// allows an object on one side only when such a knob causes it, and reports mark it.
    pub adds_objects: bool,
}

/// A knob that changes values only.
const fn knob(pattern: &'static str, kind: KnobKind) -> Knob {
    Knob {
        pattern,
        kind,
        adds_objects: false,
    }
}

/// A knob that may add or remove whole objects.
const fn shaping(pattern: &'static str, kind: KnobKind) -> Knob {
    Knob {
        pattern,
        kind,
        adds_objects: true,
    }
}

/// The table. Read by validation, parity and the overlay emitter. `shaping` marks the knobs
/// that may add or remove whole objects: a replica count or autoscaling range adds a
/// PodDisruptionBudget, a HorizontalPodAutoscaler or an Application Auto Scaling policy; an
/// access grant adds the IAM role that carries it.
pub const KNOBS: &[Knob] = &[
    knob("network.cidr", KnobKind::Addressing),
    knob("network.public_subnets", KnobKind::Addressing),
    knob("network.private_subnets", KnobKind::Addressing),
    knob("network.availability_zones", KnobKind::Availability),
    knob("network.nat", KnobKind::Availability),
    knob("network.existing.vpc_id", KnobKind::Addressing),
    knob("network.existing.private_subnet_ids", KnobKind::Addressing),
    knob("network.existing.public_subnet_ids", KnobKind::Addressing),
    knob("platform.eks.node_group.*.instance_types", KnobKind::Size),
    knob("platform.eks.node_group.*.min", KnobKind::Count),
    knob("platform.eks.node_group.*.desired", KnobKind::Count),
    knob("platform.eks.node_group.*.max", KnobKind::Count),
    knob("platform.eks.node_group.*.capacity", KnobKind::Size),
    knob("platform.app_runner.auto_deploy", KnobKind::Release),
    knob("database.*.instance_class", KnobKind::Size),
    knob("database.*.allocated_storage", KnobKind::Size),
    knob("database.*.max_allocated_storage", KnobKind::Size),
    knob("database.*.multi_az", KnobKind::Availability),
    knob("database.*.backup_retention_days", KnobKind::Retention),
    knob("database.*.deletion_protection", KnobKind::Protection),
    knob("database.*.seed_data", KnobKind::Config),
    knob("cache.*.node_type", KnobKind::Size),
    knob("cache.*.nodes", KnobKind::Count),
    knob("cache.*.automatic_failover", KnobKind::Availability),
    knob("cache.*.snapshot_retention_days", KnobKind::Retention),
    knob("service.*.tag", KnobKind::Release),
    knob("service.*.digest", KnobKind::Release),
    knob("service.*.cpu", KnobKind::Size),
    knob("service.*.memory", KnobKind::Size),
    knob("service.*.cpu_limit", KnobKind::Size),
    knob("service.*.memory_limit", KnobKind::Size),
    shaping("service.*.replicas", KnobKind::Count),
    shaping("service.*.autoscaling", KnobKind::Count),
    knob("service.*.env.*", KnobKind::Config),
    knob("service.*.not_secret", KnobKind::Config),
    knob("service.*.public.host", KnobKind::Hostname),
    knob("service.*.public.zone", KnobKind::Hostname),
    // The internal exposure's names and certificate source are per tier (each tier its own
    // zone, CA or account); which of the sources is used is structure (parity sees a created
    // zone or certificate on one side only).
    knob("service.*.internal.host", KnobKind::Hostname),
    knob("service.*.internal.zone", KnobKind::Hostname),
    knob("service.*.internal.zone_id", KnobKind::Hostname),
    knob(
        "service.*.internal.certificate_authority_arn",
        KnobKind::Hostname,
    ),
    knob("service.*.internal.certificate_arn", KnobKind::Hostname),
    knob("service.*.internal.allowed_cidrs", KnobKind::Addressing),
    knob("observability.log_retention_days", KnobKind::Retention),
    knob("observability.metrics_retention_days", KnobKind::Retention),
    knob("observability.trace_retention_days", KnobKind::Retention),
    knob("observability.log_level", KnobKind::LogLevel),
    knob("observability.alarms.cpu_threshold", KnobKind::Size),
    knob("observability.alarms.notify", KnobKind::Access),
    knob("external_service.*.mode", KnobKind::ExternalMode),
    knob("feature_flags.*", KnobKind::FeatureFlag),
    shaping("access.read", KnobKind::Access),
    shaping("access.write", KnobKind::Access),
    knob("data_refresh.schedule", KnobKind::Config),
    knob("data_refresh.tag", KnobKind::Release),
    knob("bucket.*.expiration_days", KnobKind::Retention),
    knob("queue.*.retention_days", KnobKind::Retention),
    knob("queue.*.visibility_timeout", KnobKind::Config),
    knob("queue.*.max_receive_count", KnobKind::Config),
];

/// The knob covering a field, if any: the first entry whose pattern matches the path or one of
/// its ancestors.
pub fn knob_for(path: &FieldPath) -> Option<&'static Knob> {
    KNOBS.iter().find(|k| covers(k.pattern, path))
}

/// Whether `pattern` matches `path` or an ancestor of it.
pub fn covers(pattern: &str, path: &FieldPath) -> bool {
    // Parity asks this for every field of every twin it builds, against every knob: compare
    // in place, stopping at the first byte that differs, without splitting the pattern.
    let mut rest = pattern;
    for segment in &path.0 {
        let after = rest
            .strip_prefix('*')
            .filter(|a| a.is_empty() || a.starts_with('.'))
            .or_else(|| rest.strip_prefix(segment.as_str()));
        match after {
            Some("") => return true,
            Some(a) if a.starts_with('.') => rest = &a[1..],
            _ => return false,
        }
    }
    false
}

/// The table's declared entries: arguments of raw Terraform blocks (`resource`, `data`) and
/// inputs of modules. Such an argument is a knob only when its own block lists it in `knobs`
/// (the spec declares the rest of the table for it); every other argument is structure.
/// `knob_for` alone never returns these: ask [`Declared::knob_for`], which knows the blocks.
pub const DECLARED_KNOBS: &[Knob] = &[
    knob("resource.*.*.*", KnobKind::Declared),
    knob("data.*.*.*", KnobKind::Declared),
    knob("module.*.inputs.*", KnobKind::Declared),
    knob("manifest.*.object.*", KnobKind::Declared),
];

/// The arguments an application's raw blocks declare as knobs, as concrete field paths
/// (`resource.aws_sqs_queue.jobs.visibility_timeout_seconds`): the table as it applies to that
/// application. Always read from the *mirrored* side (the structure), so a tier cannot make an
/// argument a knob by changing `knobs` itself (`knobs` is structure).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declared(Vec<FieldPath>);

impl Declared {
    /// The declared knobs of an application given as its JSON values (a resolved `App`, or a
    /// decoded tier tree).
    pub fn of(app: &serde_json::Value) -> Declared {
        let mut out = Vec::new();
        for collection in ["resource", "data"] {
            let Some(types) = app.get(collection).and_then(serde_json::Value::as_object) else {
                continue;
            };
            for (ty, blocks) in types {
                for (name, block) in blocks.as_object().into_iter().flatten() {
                    for k in knob_names(block) {
                        let mut p = vec![collection.to_owned(), ty.clone(), name.clone()];
                        p.extend(k.split('.').map(str::to_owned));
                        out.push(FieldPath(p));
                    }
                }
            }
        }
        if let Some(modules) = app.get("module").and_then(serde_json::Value::as_object) {
            for (name, m) in modules {
                for k in knob_names(m) {
                    let mut p = vec!["module".to_owned(), name.clone(), "inputs".to_owned()];
                    p.extend(k.split('.').map(str::to_owned));
                    out.push(FieldPath(p));
                }
            }
        }
        if let Some(manifests) = app.get("manifest").and_then(serde_json::Value::as_object) {
            for (name, m) in manifests {
                for k in knob_names(m) {
                    let mut p = vec!["manifest".to_owned(), name.clone(), "object".to_owned()];
                    p.extend(k.split('.').map(str::to_owned));
                    out.push(FieldPath(p));
                }
            }
        }
        Declared(out)
    }

    /// The knob covering a field: the static table's, else a declared argument's entry when
    /// the field is (or is inside) an argument its block lists in `knobs`.
    pub fn knob_for(&self, path: &FieldPath) -> Option<&'static Knob> {
        knob_for(path).or_else(|| {
            self.0
                .iter()
                .any(|d| path.0.starts_with(&d.0))
                .then(|| DECLARED_KNOBS.iter().find(|k| covers(k.pattern, path)))
                .flatten()
        })
    }

    /// The declared arguments, as concrete paths.
    pub fn paths(&self) -> &[FieldPath] {
        &self.0
    }

    /// Whether the application declares no knob of its own.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn knob_names(block: &serde_json::Value) -> impl Iterator<Item = &str> {
    block
        .get("knobs")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(p: &str) -> Option<KnobKind> {
        knob_for(&FieldPath::parse(p)).map(|k| k.kind)
    }

    #[test]
    fn a_pattern_covers_its_path_and_descendants_only() {
        let p = |s: &str| FieldPath::parse(s);
        assert!(covers(
            "database.*.instance_class",
            &p("database.main.instance_class")
        ));
        assert!(covers("database.*", &p("database.main.instance_class")));
        assert!(!covers("database.*.instance_class", &p("database.main")));
        assert!(!covers(
            "database.*.instance_class",
            &p("database.main.engine")
        ));
        assert!(!covers("cache.*", &p("database.main")));
        assert!(
            !covers("database.main", &p("database.mainx.y")),
            "whole segments"
        );
        assert!(covers("feature_flags.*", &p("feature_flags.beta")));
        assert!(!covers("feature_flags.*", &p("feature_flags")));
        assert!(!covers("database.*", &FieldPath::default()));
    }

    #[test]
    fn sizes_are_knobs_and_engines_are_structure() {
        assert_eq!(kind("database.main.instance_class"), Some(KnobKind::Size));
        assert_eq!(kind("service.api.autoscaling.max"), Some(KnobKind::Count));
        assert_eq!(kind("service.api.env.LOG_FORMAT"), Some(KnobKind::Config));
        assert_eq!(kind("database.main.engine_version"), None);
        assert_eq!(kind("service.api.port"), None);
        assert_eq!(
            kind("service.api.env"),
            None,
            "the set of variables is structure"
        );
        assert_eq!(kind("database.main.storage_encrypted"), None);
    }

    #[test]
    fn a_raw_argument_is_a_knob_only_when_its_block_declares_it() {
        let app = serde_json::json!({"resource": {"aws_sqs_queue": {"jobs": {
            "knobs": ["visibility_timeout_seconds"], "name": "x", "visibility_timeout_seconds": 30
        }}}, "module": {"q": {"knobs": ["memory"], "inputs": {"memory": 1, "name": "y"}}}});
        let d = Declared::of(&app);
        let p = |s: &str| FieldPath::parse(s);
        let kind = |s: &str| d.knob_for(&p(s)).map(|k| k.kind);
        assert_eq!(
            kind("resource.aws_sqs_queue.jobs.visibility_timeout_seconds"),
            Some(KnobKind::Declared)
        );
        assert_eq!(kind("resource.aws_sqs_queue.jobs.name"), None);
        assert_eq!(kind("resource.aws_sqs_queue.jobs.knobs"), None);
        assert_eq!(kind("module.q.inputs.memory"), Some(KnobKind::Declared));
        assert_eq!(kind("module.q.inputs.name"), None);
        assert_eq!(kind("module.q.source"), None);
        assert_eq!(
            knob_for(&p("resource.aws_sqs_queue.jobs.visibility_timeout_seconds")),
            None,
            "the static table alone never makes a raw argument a knob"
        );
        assert_eq!(kind("database.main.instance_class"), Some(KnobKind::Size));
    }
}
