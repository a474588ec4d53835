//! Declared means emitted, or refused (issue 14).
//!
//! Every leaf field of the spec's JSON Schema, on every platform (ECS Fargate, App Runner, EKS,
//! and the local docker-compose runtime), either changes the emitted files or is refused by
//! `check` with a located error that names the platform. [`FIELDS`] is the reviewed table of
//! how each field is exercised; the test walks the schema and fails on a field the table lacks,
//! so a new field cannot be added without saying what it does on every platform.
//!
//! `TIERFORM_DECLARED_PRINT=1 cargo test -p tierform-engine --test declared` prints what each
//! field actually does, as table rows, to review a change.

use serde_json::{json, Value};
use tierform_engine::model::{schema::spec_schema, Format, Model, Source};
use tierform_engine::{generate, K8sLayout, Options};

/// What setting a field does on one platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Does {
    /// The emitted files differ.
    E,
    /// `check` refuses it with a located error naming the platform.
    R,
    /// The field cannot be written for this platform: it is inside another platform's block
    /// (`platform` holds exactly one of `eks`, `ecs_fargate`, `app_runner`).
    Other,
    /// A located refusal on every platform alike: the only non-default value of the field is
    /// invalid outside local tiers (encryption off, production data not anonymised).
    Invalid,
    /// Dropped today: no effect and no refusal. Issue 14 is open on it; the test fails as soon
    /// as the field gets an effect or a refusal, so the row is updated with the fix.
    Gap,
    /// A cloud resource's setting in a local tier: the local tier runs docker-compose and has
    /// no such resource (README, "Local tiers"); the cloud tiers of the same spec emit it.
    Cloud,
}
use Does::*;

/// The platforms, in the order of a row's columns.
const PLATFORMS: [&str; 4] = ["ecs_fargate", "app_runner", "eks", "local"];

/// One reviewed row: the schema's leaf path, where the test writes it in the baseline spec, the
/// value it writes (different from the baseline's), and what that does on each platform.
struct Row {
    field: &'static str,
    at: &'static str,
    value: fn() -> Value,
    does: [Does; 4],
    /// The value written on App Runner instead, where a field takes effect only without the
    /// others its value carries elsewhere (`internal.allowed_cidrs`: ECS Fargate needs a host,
    /// App Runner refuses one).
    app_runner: Option<fn() -> Value>,
}

impl Row {
    fn value_on(&self, platform: &str) -> Value {
        match (platform, self.app_runner) {
            ("app_runner", Some(v)) => v(),
            _ => (self.value)(),
        }
    }
}

macro_rules! row {
    ($field:literal, $at:literal, $value:tt, [$a:ident, $b:ident, $c:ident, $d:ident]) => {
        Row {
            field: $field,
            at: $at,
            value: || json!($value),
            does: [$a, $b, $c, $d],
            app_runner: None,
        }
    };
    ($field:literal, $at:literal, $value:tt, [$a:ident, $b:ident, $c:ident, $d:ident], app_runner: $ar:tt) => {
        Row {
            field: $field,
            at: $at,
            value: || json!($value),
            does: [$a, $b, $c, $d],
            app_runner: Some(|| json!($ar)),
        }
    };
}

/// Fields that are not settings of an environment's resources but of the spec's structure
/// (tiers, tenants, runbook templates), each with the test that proves what it does.
const STRUCTURE: &[(&str, &str)] = &[
    ("tier.*.description", "crates/cli/tests/runbooks.rs: shown in the runbook"),
    ("tier.*.mirrors", "crates/cli/tests/parity.rs: the parity gate"),
    ("tier.*.runtime", "this test: the `local` column is a tier with runtime = \"local\""),
    ("tier.*.production", "crates/model/tests/invalid.rs: production rules (pinned images, …)"),
    ("tier.*.ephemeral", "crates/model/tests/fixtures.rs: `bugfix-vb-rheinaue-1234` copies a bank's production"),
    ("tier.*.ttl_days", "crates/model/src/resolve/tests.rs: the `Expires` date of a copy"),
    ("tier.*.per_tenant", "crates/model/tests/fixtures.rs: one environment per tenant"),
    ("tier.*.may_differ", "crates/cli/tests/parity.rs: restricted knob kinds"),
    ("tier.*.exception", "crates/cli/tests/adversarial.rs: exception rules"),
    ("tier.*.instance", "crates/model/tests/fixtures.rs: one environment per instance"),
    ("tenant", "crates/model/tests/fixtures.rs: a tenant overrides the base's fields, each proven by its row"),
    ("docs.templates", "crates/cli/tests/runbooks.rs: template overrides"),
    ("strict", "crates/model/tests/vocabulary.rs: the warnings it names become errors"),
    ("module.*.knobs", "crates/cli/tests/parity.rs: declared knobs of raw blocks may differ, nothing else"),
    ("manifest.*.knobs", "crates/emit-k8s/tests/manifests.rs: overlays patch a manifest's declared knobs"),
    ("manifest.*.file", "crates/cli/tests/manifests.rs: the CLI reads the file; it builds as the same object inline"),
];

#[rustfmt::skip]
const FIELDS: &[Row] = &[
    row!("app", "app", "other", [E, E, E, E]),
    row!("region", "region", "eu-west-1", [E, E, E, Cloud]),
    row!("state.bucket", "state.bucket", "other-state", [E, E, E, Cloud]),
    row!("state.region", "state.region", "eu-west-1", [E, E, E, Cloud]),
    row!("network.cidr", "network.cidr", "10.9.0.0/16", [E, E, E, Cloud]),
    row!("network.availability_zones", "network.availability_zones", 3, [E, E, E, Cloud]),
    row!("network.public_subnets", "network.public_subnets", ["10.0.100.0/24", "10.0.101.0/24"], [E, E, E, Cloud]),
    row!("network.private_subnets", "network.private_subnets", ["10.0.110.0/24", "10.0.111.0/24"], [E, E, E, Cloud]),
    row!("network.nat", "network.nat", "single", [E, E, E, Cloud]),
    // An existing network: the subnets' blocks stay on EKS (its NetworkPolicies name them), which
    // ECS Fargate and App Runner refuse; App Runner has no load balancer for public subnets.
    row!("network.existing.vpc_id", "network", {"public_subnets": ["10.0.0.0/24", "10.0.1.0/24"], "private_subnets": ["10.0.2.0/24", "10.0.3.0/24"], "existing": {"vpc_id": "vpc-0a1b2c3d4e5f60718", "private_subnet_ids": ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712"], "public_subnet_ids": ["subnet-0a1b2c3d4e5f60713", "subnet-0a1b2c3d4e5f60714"]}}, [R, R, E, Cloud]),
    row!("network.existing.private_subnet_ids", "network", {"existing": {"vpc_id": "vpc-0a1b2c3d4e5f60718", "private_subnet_ids": ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712"]}}, [R, E, R, Cloud]),
    row!("network.existing.public_subnet_ids", "network", {"existing": {"vpc_id": "vpc-0a1b2c3d4e5f60718", "private_subnet_ids": ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712"], "public_subnet_ids": ["subnet-0a1b2c3d4e5f60713", "subnet-0a1b2c3d4e5f60714"]}}, [E, R, R, Cloud]),
    row!("platform.eks.version", "platform.eks.version", "1.34", [Other, Other, E, Other]),
    row!("platform.eks.allow_retired_version.reason", "platform.eks.allow_retired_version", {"reason": "the operators upgrade it next quarter"}, [Other, Other, R, Other]),
    row!("platform.eks.node_group.*.instance_types", "platform.eks.node_group.default.instance_types", ["m5.xlarge"], [Other, Other, E, Other]),
    row!("platform.eks.node_group.*.min", "platform.eks.node_group.default.min", 1, [Other, Other, E, Other]),
    row!("platform.eks.node_group.*.desired", "platform.eks.node_group.default.desired", 3, [Other, Other, E, Other]),
    row!("platform.eks.node_group.*.max", "platform.eks.node_group.default.max", 6, [Other, Other, E, Other]),
    row!("platform.eks.node_group.*.capacity", "platform.eks.node_group.default.capacity", "spot", [Other, Other, E, Other]),
    row!("platform.eks.public_endpoint", "platform.eks.public_endpoint", true, [Other, Other, E, Other]),
    row!("platform.ecs_fargate.container_insights", "platform.ecs_fargate.container_insights", false, [E, Other, Other, Cloud]),
    row!("platform.app_runner.auto_deploy", "platform.app_runner.auto_deploy", true, [Other, E, Other, Other]),
    row!("database.*.engine", "database.main", {"engine": "mysql", "engine_version": "8.4.7", "instance_class": "db.t3.medium"}, [E, E, E, E]),
    row!("database.*.engine_version", "database.main.engine_version", "15.14", [E, E, E, E]),
    row!("database.*.allow_retired_version.reason", "database.main.allow_retired_version", {"reason": "the operators upgrade it next quarter"}, [Invalid, Invalid, Invalid, Invalid]),
    row!("database.*.instance_class", "database.main.instance_class", "db.m5.large", [E, E, E, Cloud]),
    row!("database.*.allocated_storage", "database.main.allocated_storage", 50, [E, E, E, Cloud]),
    row!("database.*.max_allocated_storage", "database.main.max_allocated_storage", 200, [E, E, E, Cloud]),
    row!("database.*.multi_az", "database.main.multi_az", false, [E, E, E, Cloud]),
    row!("database.*.read_replicas", "database.main.read_replicas", 1, [E, E, E, Cloud]),
    row!("database.*.backup_retention_days", "database.main.backup_retention_days", 14, [E, E, E, Cloud]),
    row!("database.*.deletion_protection", "database.main.deletion_protection", false, [Invalid, Invalid, Invalid, Cloud]),
    row!("database.*.storage_encrypted", "database.main.storage_encrypted", false, [Invalid, Invalid, Invalid, Cloud]),
    row!("database.*.iam_auth", "database.main.iam_auth", false, [E, E, E, Cloud]),
    row!("database.*.db_name", "database.main.db_name", "orders", [E, E, E, E]),
    row!("database.*.username", "database.main.username", "orders", [E, E, E, E]),
    row!("database.*.seed_data", "database.main.seed_data", "seed/", [R, R, R, E]),
    row!("cache.*.engine", "cache.sessions", {"engine": "valkey", "engine_version": "7.2"}, [E, E, E, E]),
    row!("cache.*.engine_version", "cache.sessions.engine_version", "7.1", [E, E, E, E]),
    row!("cache.*.node_type", "cache.sessions.node_type", "cache.m5.large", [E, E, E, Cloud]),
    row!("cache.*.nodes", "cache.sessions.nodes", 3, [E, E, E, Cloud]),
    row!("cache.*.automatic_failover", "cache.sessions.automatic_failover", false, [E, E, E, Cloud]),
    row!("cache.*.at_rest_encryption", "cache.sessions.at_rest_encryption", false, [Invalid, Invalid, Invalid, Cloud]),
    row!("cache.*.transit_encryption", "cache.sessions.transit_encryption", false, [Invalid, Invalid, Invalid, Cloud]),
    row!("cache.*.snapshot_retention_days", "cache.sessions.snapshot_retention_days", 3, [E, E, E, Cloud]),
    row!("secret.*.description", "secret.api-key.description", "another purpose", [E, E, E, E]),
    row!("service.*.image", "service.api.image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/other", [E, E, E, E]),
    row!("service.*.tag", "service.api.tag", "1.0.1", [E, E, E, E]),
    row!("service.*.digest", "service.api.digest", "sha256:1111111111111111111111111111111111111111111111111111111111111111", [E, E, E, E]),
    row!("service.*.port", "service.api.port", 9090, [E, E, E, E]),
    row!("service.*.cpu", "service.api", {"cpu": 1000, "memory": 2048}, [E, E, E, E]),
    row!("service.*.memory", "service.api.memory", 1024, [E, E, E, E]),
    row!("service.*.cpu_limit", "service.api.cpu_limit", 500, [R, R, E, E]),
    row!("service.*.memory_limit", "service.api.memory_limit", 1024, [R, R, E, E]),
    row!("service.*.build", "service.api.build", "./api", [R, R, R, E]),
    row!("service.*.replicas", "service.worker.replicas", 2, [E, E, E, E]),
    row!("service.*.autoscaling.min", "service.api.autoscaling.min", 3, [E, E, E, Cloud]),
    row!("service.*.autoscaling.max", "service.api.autoscaling.max", 8, [E, E, E, Cloud]),
    row!("service.*.autoscaling.target_cpu", "service.api.autoscaling.target_cpu", 50, [E, R, E, Cloud]),
    row!("service.*.health_check.path", "service.api.health_check.path", "/ready", [E, E, E, E]),
    row!("service.*.health_check.command", "service.worker.health_check", {"path": null, "command": ["/bin/alive", "--quick"]}, [E, Invalid, E, E]),
    row!("service.*.health_check.interval", "service.api.health_check.interval", 20, [E, E, E, E]),
    row!("service.*.health_check.timeout", "service.api.health_check.timeout", 4, [E, E, E, E]),
    row!("service.*.health_check.healthy_threshold", "service.api.health_check.healthy_threshold", 3, [E, E, E, E]),
    row!("service.*.health_check.unhealthy_threshold", "service.api.health_check.unhealthy_threshold", 4, [E, E, E, E]),
    row!("service.*.command", "service.api.command", ["/app/serve", "--fast"], [E, E, E, E]),
    row!("service.*.env", "service.api.env", {"EXTRA": "1"}, [E, E, E, E]),
    // Marking a variable not secret lets it be emitted (unmarked, its name is refused).
    row!("service.*.not_secret", "service.api", {"env": {"PUBLIC_TOKEN_ID": "d-4f2a9c1e8b7d4a6f"}, "not_secret": {"PUBLIC_TOKEN_ID": "a public identifier of the template"}}, [E, E, E, E]),
    row!("service.*.secrets", "service.worker.secrets", ["api-key"], [E, E, E, E]),
    row!("service.*.databases", "service.worker.databases", ["main"], [E, E, E, E]),
    row!("service.*.caches", "service.worker.caches", ["sessions"], [E, E, E, E]),
    row!("service.*.env_names", "service.api.env_names", {"MAIN_DB_HOST": "DB_HOST", "MAIN_DB_URL": "DATABASE_URL"}, [E, E, E, E]),
    row!("service.*.calls", "service.worker.calls", ["api"], [E, E, E, E]),
    row!("service.*.external_services", "service.worker.external_services", ["stripe"], [E, E, E, E]),
    row!("service.*.public.host", "service.api.public.host", "www.demo.example", [E, E, E, Cloud]),
    row!("service.*.public.zone", "service.api.public", {"host": "api.other.example", "zone": "other.example"}, [E, E, E, Cloud]),
    // Internal exposure (issue 17): ECS Fargate builds an internal load balancer, a private
    // zone and a certificate; App Runner's private endpoint takes no host, zone or certificate
    // (it answers at its own domain); EKS refuses the block for now; compose publishes every
    // service on a loopback port either way.
    row!("service.*.internal.host", "service.worker.internal", {"host": "worker.demo.internal", "zone": "demo.internal", "certificate_authority_arn": "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555"}, [E, R, R, Cloud]),
    row!("service.*.internal.zone", "service.worker.internal", {"host": "worker.other.internal", "zone": "other.internal", "certificate_authority_arn": "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555"}, [E, R, R, Cloud]),
    row!("service.*.internal.zone_id", "service.worker.internal", {"host": "worker.demo.internal", "zone": "demo.internal", "zone_id": "Z0123456789ABCDEFGHIJ", "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/66666666-7777-8888-9999-000000000000"}, [E, R, R, Cloud]),
    row!("service.*.internal.certificate_authority_arn", "service.worker.internal", {"host": "worker.demo.internal", "zone": "demo.internal", "certificate_authority_arn": "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}, [E, R, R, Cloud]),
    row!("service.*.internal.certificate_arn", "service.worker.internal", {"host": "worker.demo.internal", "zone": "demo.internal", "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/66666666-7777-8888-9999-000000000000"}, [E, R, R, Cloud]),
    row!("service.*.internal.allowed_cidrs", "service.worker.internal", {"host": "worker.demo.internal", "zone": "demo.internal", "certificate_authority_arn": "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555", "allowed_cidrs": ["10.0.0.0/16", "172.20.0.0/16"]}, [E, E, R, Cloud], app_runner: {"allowed_cidrs": ["172.20.0.0/16"]}),
    row!("observability.log_retention_days", "observability.log_retention_days", 90, [E, E, E, Cloud]),
    row!("observability.metrics_retention_days", "observability.metrics_retention_days", 30, [E, R, E, Cloud]),
    row!("observability.trace_retention_days", "observability.trace_retention_days", 14, [R, R, R, Cloud]),
    row!("observability.log_level", "observability.log_level", "debug", [E, E, E, E]),
    row!("observability.metrics", "observability.metrics", false, [E, R, E, Cloud]),
    row!("observability.tracing", "observability.tracing", false, [E, E, E, Cloud]),
    row!("observability.alarms.unhealthy_hosts", "observability.alarms.unhealthy_hosts", false, [E, E, E, Cloud]),
    row!("observability.alarms.http_5xx", "observability.alarms.http_5xx", false, [E, E, E, Cloud]),
    row!("observability.alarms.cpu", "observability.alarms.cpu", false, [E, E, E, Cloud]),
    row!("observability.alarms.cpu_threshold", "observability.alarms.cpu_threshold", 90, [E, E, E, Cloud]),
    // The channel form (a name: an encrypted SNS topic is created); the fixtures use the ARN form.
    row!("observability.alarms.notify", "observability.alarms.notify", "oncall", [E, E, E, Cloud]),
    row!("external_service.*.mode", "external_service.stripe.mode", "live", [E, E, E, E]),
    row!("feature_flags", "feature_flags", {"beta": true}, [E, E, E, E]),
    row!("access.read", "access.read", ["arn:aws:iam::123456789012:role/auditor"], [E, E, E, Cloud]),
    row!("access.write", "access.write", ["arn:aws:iam::123456789012:role/deployer"], [E, E, E, Cloud]),
    row!("data_refresh.from", "tier.staging.data_refresh.from", "qa", [E, E, E, Cloud]),
    row!("data_refresh.database", "tier.staging.data_refresh.database", "other", [E, E, E, Cloud]),
    row!("data_refresh.schedule", "tier.staging.data_refresh.schedule", "0 3 * * 0", [E, E, E, Cloud]),
    row!("data_refresh.anonymize", "tier.staging.data_refresh.anonymize", false, [Invalid, Invalid, Invalid, Cloud]),
    row!("data_refresh.image", "tier.staging.data_refresh.image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/refresh2", [E, E, E, Cloud]),
    row!("data_refresh.tag", "tier.staging.data_refresh.tag", "2.0.0", [E, E, E, Cloud]),
    // The escape hatch (issue 16): raw Terraform, written into every cloud environment.
    row!("resource", "resource", {"aws_sqs_queue": {"extra": {"name": "demo-extra", "sqs_managed_sse_enabled": true}}}, [E, E, E, Cloud]),
    row!("data", "data", {"aws_iam_policy_document": {"extra": {"statement": {"actions": ["sqs:SendMessage"], "resources": ["*"]}}}}, [E, E, E, Cloud]),
    row!("module.*.source", "module.queue.source", "terraform-aws-modules/sns/aws", [E, E, E, Cloud]),
    row!("module.*.version", "module.queue.version", "4.2.0", [E, E, E, Cloud]),
    row!("module.*.checkov_skip", "module.queue.checkov_skip", {"CKV_TF_1": "the registry version is pinned exactly here"}, [E, E, E, Cloud]),
    row!("module.*.inputs", "module.queue.inputs", {"name": "demo-other"}, [E, E, E, Cloud]),
    row!("manifest.*.object", "manifest.extra.object", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "extra"}, "data": {"MODE": "strict"}}, [R, R, E, Cloud]),
    // The tier's account (identity): allowed_account_ids and assume_role of the provider and
    // the state backend, the account's state bucket; a local tier's only fills `{account}`.
    // Buckets, queues and topics: cloud resources; a local tier runs them in its stand-in (moto),
    // with their settings; a topic's AWS publishers exist only in the cloud.
    row!("bucket.*.expiration_days", "bucket.files.expiration_days", 30, [E, E, E, E]),
    row!("queue.*.retention_days", "queue.jobs.retention_days", 14, [E, E, E, E]),
    row!("queue.*.visibility_timeout", "queue.jobs.visibility_timeout", 120, [E, E, E, E]),
    row!("queue.*.max_receive_count", "queue.jobs.max_receive_count", 10, [E, E, E, E]),
    row!("queue.*.subscribes", "queue.jobs.subscribes", ["events"], [E, E, E, E]),
    row!("topic.*.publishers", "topic.events.publishers", ["ses.amazonaws.com"], [E, E, E, Cloud]),
    row!("service.*.buckets", "service.worker.buckets", ["files"], [E, E, E, E]),
    row!("service.*.queues", "service.worker.queues", ["jobs"], [E, E, E, E]),
    row!("service.*.topics", "service.worker.topics", ["events"], [E, E, E, E]),
    row!("tier.*.account", "tier.qa.account", {"id": "123456789012", "assume_role": {"role_arn": "arn:aws:iam::123456789012:role/deploy"}}, [E, E, E, Cloud]),
];

/// Fields the local baseline's cloud tier (ECS Fargate) refuses: local development settings
/// (`seed_data`, `build`) and the Kubernetes-style limits. The `local` column writes them in
/// the local tier, as a spec does.
const LOCAL_TIER: &[&str] = &[
    "database.*.seed_data",
    "service.*.build",
    "service.*.cpu_limit",
    "service.*.memory_limit",
];

/// The baseline spec of one platform: every optional object present, so that each row changes
/// one value of it.
fn baseline(platform: &str) -> Value {
    let platform_block = match platform {
        "eks" => json!({"eks": {"version": "1.35", "node_group": {"default": {
            "instance_types": ["m5.large"], "min": 2, "desired": 2, "max": 4}}}}),
        "app_runner" => json!({"app_runner": {}}),
        _ => json!({"ecs_fargate": {}}),
    };
    let mut tiers = json!({
        "qa": {},
        "staging": {
            "data_refresh": {
                "from": "production", "database": "main", "schedule": "0 2 * * 6",
                "anonymize": true,
                "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/refresh", "tag": "1.0.0"
            }
        },
        "production": {}
    });
    if platform == "local" {
        tiers = json!({"local": {"runtime": "local"}, "production": {}});
    }
    json!({
        "app": "demo",
        "region": "us-east-1",
        "network": {"cidr": "10.0.0.0/16"},
        "platform": platform_block,
        "database": {
            "main": {"engine": "postgres", "engine_version": "15.15", "instance_class": "db.t3.medium"},
            "other": {"engine": "postgres", "engine_version": "15.15", "instance_class": "db.t3.medium"}
        },
        "cache": {"sessions": {"engine_version": "7.0", "node_type": "cache.t3.micro"}},
        "secret": {"api-key": {"description": "the API's key"}},
        "service": {
            "api": {
                "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/api",
                "tag": "1.0.0",
                "port": 8080,
                "autoscaling": {"min": 2, "max": 4},
                "health_check": {"path": "/health"},
                "databases": ["main"],
                "caches": ["sessions"],
                "secrets": ["api-key"],
                "external_services": ["stripe"],
                "public": {"host": "api.demo.example", "zone": "demo.example"}
            },
            "worker": {
                "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/worker",
                "tag": "1.0.0",
                "port": 9000,
                "health_check": {"path": "/health"}
            }
        },
        "external_service": {"stripe": {"mode": "sandbox"}},
        "module": {"queue": {"source": "terraform-aws-modules/sqs/aws", "version": "4.2.1", "inputs": {"name": "demo-queue"}}},
        "bucket": {"files": {}},
        "queue": {"jobs": {}},
        "topic": {"events": {}},
        "tier": tiers
    })
}

fn set(spec: &mut Value, at: &str, value: Value) {
    let mut node = spec;
    let segments: Vec<&str> = at.split('.').collect();
    for s in &segments[..segments.len() - 1] {
        node = node
            .as_object_mut()
            .expect("an object on the way")
            .entry(s.to_string())
            .or_insert_with(|| json!({}));
    }
    let last = segments[segments.len() - 1];
    match (node.get_mut(last), value) {
        (Some(Value::Object(old)), Value::Object(new)) => old.extend(new),
        (_, value) => {
            node[last] = value;
        }
    }
}

/// What the platform's column compares: the local tier's compose files, or everything else.
fn emitted(spec: &Value, platform: &str) -> Result<Vec<(String, String)>, String> {
    let text = serde_json::to_string_pretty(spec).unwrap();
    let model =
        Model::parse(Source::new("spec.json", text), Format::Json).map_err(|d| render(&d))?;
    tierform_engine::check(&model).map_err(|d| render(&d))?;
    let files = generate(&model, &Options::default().with_k8s_layout(K8sLayout::Flat))
        .map_err(|d| render(&d))?;
    Ok(files
        .iter()
        .filter(|(p, _)| p.as_str().starts_with("compose/") == (platform == "local"))
        .map(|(p, c)| (p.as_str().to_owned(), c.to_owned()))
        .collect())
}

fn render(d: &tierform_engine::model::Diagnostics) -> String {
    d.iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let at = d
                .location
                .as_ref()
                .map(|l| format!("{}:{}:{}", l.file, l.line, l.column))
                .unwrap_or_else(|| "<no location>".into());
            format!(
                "{at}: {} ({})",
                d.message,
                d.help.clone().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The platform's names an error may use.
fn names_platform(message: &str, platform: &str) -> bool {
    let names: &[&str] = match platform {
        "ecs_fargate" => &["ecs_fargate", "ECS", "Fargate"],
        "app_runner" => &["app_runner", "App Runner"],
        "eks" => &["eks", "EKS", "Kubernetes"],
        _ => &["local", "docker-compose", "compose"],
    };
    names.iter().any(|n| message.contains(n))
}

/// What setting the row's field does on the platform, observed.
fn observe(row: &Row, platform: &str) -> Result<Does, String> {
    let base = baseline(platform);
    let before = emitted(&base, platform)
        .map_err(|e| format!("the {platform} baseline is refused:\n{e}"))?;
    let mut spec = base;
    if platform == "local" && LOCAL_TIER.contains(&row.field) {
        set(
            &mut spec,
            &format!("tier.local.{}", row.at),
            row.value_on(platform),
        );
    } else {
        set(&mut spec, row.at, row.value_on(platform));
    }
    match emitted(&spec, platform) {
        Ok(after) if after != before => Ok(E),
        Ok(_) => Ok(Gap),
        Err(e)
            if e.lines()
                .any(|l| !l.starts_with("<no location>") && names_platform(l, platform)) =>
        {
            Ok(R)
        }
        Err(e) if e.lines().all(|l| !l.starts_with("<no location>")) => Ok(Invalid),
        Err(e) => Err(format!(
            "`{}` on {platform} is refused without a location:\n{e}",
            row.field
        )),
    }
}

/// The schema's leaf fields, `*` for a map's keys.
fn leaves() -> Vec<String> {
    let schema = spec_schema();
    let defs = schema["$defs"].clone();
    let resolve = move |n: &Value| -> Value {
        let mut n = n.clone();
        loop {
            if let Some(r) = n.get("$ref").and_then(Value::as_str).map(str::to_owned) {
                n = defs[r.rsplit('/').next().unwrap()].clone();
                continue;
            }
            if let Some(any) = n.get("anyOf").and_then(Value::as_array).cloned() {
                let xs: Vec<&Value> = any.iter().filter(|x| x["type"] != "null").collect();
                if xs.len() == 1 {
                    n = xs[0].clone();
                    continue;
                }
            }
            return n;
        }
    };
    fn walk(n: &Value, path: String, out: &mut Vec<String>, resolve: &dyn Fn(&Value) -> Value) {
        let n = resolve(n);
        let join = |k: &str| {
            if path.is_empty() {
                k.to_owned()
            } else {
                format!("{path}.{k}")
            }
        };
        let variants = n
            .get("oneOf")
            .and_then(Value::as_array)
            .filter(|vs| vs.iter().all(|v| v.get("properties").is_some()));
        if let Some(variants) = variants {
            for v in variants {
                for (k, p) in v["properties"].as_object().unwrap() {
                    walk(p, join(k), out, resolve);
                }
            }
        } else if let Some(props) = n.get("properties").and_then(Value::as_object) {
            for (k, p) in props {
                walk(p, join(k), out, resolve);
            }
        } else if let Some(ap) = n.get("additionalProperties").filter(|a| a.is_object()) {
            let r = resolve(ap);
            if r.get("properties").is_some() {
                walk(&r, join("*"), out, resolve);
            } else {
                out.push(path);
            }
        } else {
            out.push(path);
        }
    }
    let mut out = Vec::new();
    for (k, p) in schema["properties"].as_object().unwrap() {
        match k.as_str() {
            // A tier's own keys; its overrides are the base's fields.
            "tier" => {
                for t in p["additionalProperties"]["properties"]
                    .as_object()
                    .unwrap()
                    .keys()
                {
                    out.push(format!("tier.*.{t}"));
                }
            }
            // A tenant overrides the base's fields.
            "tenant" => out.push("tenant".into()),
            _ => walk(p, k.clone(), &mut out, &resolve),
        }
    }
    out
}

#[test]
fn the_table_covers_every_field_of_the_schema_once() {
    let leaves = leaves();
    let mut listed: Vec<&str> = FIELDS.iter().map(|r| r.field).collect();
    listed.extend(STRUCTURE.iter().map(|(f, _)| *f));
    listed.extend(DELIVERY.iter().map(|r| r.field));
    let missing: Vec<&String> = leaves
        .iter()
        .filter(|l| !listed.contains(&l.as_str()))
        .collect();
    let stray: Vec<&&str> = listed
        .iter()
        .filter(|l| !leaves.iter().any(|x| x == *l))
        .collect();
    assert!(
        missing.is_empty(),
        "fields of the schema without a row in FIELDS (say what each does on every platform): {missing:?}"
    );
    assert!(
        stray.is_empty(),
        "rows for fields the schema lacks: {stray:?}"
    );
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), listed.len(), "a field listed twice");
}

#[test]
fn every_field_is_emitted_or_refused_on_every_platform() {
    let print = std::env::var_os("TIERFORM_DECLARED_PRINT").is_some();
    let mut failures = Vec::new();
    for row in FIELDS {
        let mut seen = row.does;
        for (i, platform) in PLATFORMS.iter().enumerate() {
            // Another platform's block cannot be written; a local tier has no cloud resources.
            if matches!(row.does[i], Other | Cloud) {
                continue;
            }
            match observe(row, platform) {
                Ok(d) => {
                    seen[i] = d;
                    if d != row.does[i] {
                        failures.push(format!(
                            "`{}` on {platform}: the table says {:?}, observed {d:?}",
                            row.field, row.does[i]
                        ));
                    }
                }
                Err(e) => failures.push(e),
            }
        }
        if print {
            println!("{:<45} {:?}", row.field, seen);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The `delivery` block's fields (issue 19): each changes the delivery files
/// (`build --delivery`) or is refused with a location, on every platform; the local column
/// sets the tier field for a local tier, which no CI deploys (refused), and `Cloud` marks the
/// block-wide fields there.
#[rustfmt::skip]
const DELIVERY: &[Row] = &[
    row!("delivery.ci", "delivery.ci", ["argocd"], [R, R, E, Cloud]),
    row!("delivery.spec", "delivery.spec", "infra/tierform.hcl", [E, E, E, Cloud]),
    row!("delivery.repository", "delivery.repository", "https://github.com/demo/other", [R, R, E, Cloud]),
    row!("delivery.aws_account_id", "delivery.aws_account_id", "210987654321", [E, E, E, Cloud]),
    row!("delivery.slack_webhook_secret", "delivery.slack_webhook_secret", "SLACK_WEBHOOK_URL", [E, E, E, Cloud]),
    row!("delivery.tier.*.deploy", "delivery.tier.staging.deploy", "approval", [E, E, E, R]),
    row!("delivery.tier.*.branch", "delivery.tier.staging.branch", "develop", [E, E, E, R]),
    row!("delivery.tier.*.smoke_tests", "delivery.tier.staging.smoke_tests", [], [E, E, E, R]),
    row!("delivery.tier.*.aws_account_id", "delivery.tier.staging.aws_account_id", "210987654321", [E, E, E, R]),
    row!("delivery.tier.*.slack_webhook_secret", "delivery.tier.staging.slack_webhook_secret", "STAGING_SLACK", [E, E, E, R]),
];

/// The baseline spec of a platform with a delivery: staging automatic and production after an
/// approval, both from `main`; on EKS, Argo CD too.
fn delivery_baseline(platform: &str) -> Value {
    let mut spec = baseline(platform);
    let mut delivery = json!({
        "ci": ["github_actions"],
        "aws_account_id": "123456789012",
        "tier": {"production": {"deploy": "approval", "branch": "main"}}
    });
    if platform != "local" {
        delivery["tier"]["staging"] = json!({"deploy": "automatic", "branch": "main"});
    }
    if platform == "eks" {
        delivery["ci"] = json!(["github_actions", "argocd"]);
        delivery["repository"] = json!("https://github.com/demo/app");
    }
    spec["delivery"] = delivery;
    spec
}

fn delivery_emitted(spec: &Value) -> Result<Vec<(String, String)>, String> {
    let text = serde_json::to_string_pretty(spec).unwrap();
    let model =
        Model::parse(Source::new("spec.json", text), Format::Json).map_err(|d| render(&d))?;
    tierform_engine::check(&model).map_err(|d| render(&d))?;
    let files =
        generate(&model, &Options::default().with_delivery(true)).map_err(|d| render(&d))?;
    Ok(files
        .iter()
        .filter(|(p, _)| {
            let p = p.as_str();
            p.starts_with(".github/") || p == "atlantis.yaml" || p.starts_with("argocd/")
        })
        .map(|(p, c)| (p.as_str().to_owned(), c.to_owned()))
        .collect())
}

#[test]
fn every_delivery_field_is_emitted_or_refused_on_every_platform() {
    let leaves = leaves();
    let delivery_leaves: Vec<&String> = leaves
        .iter()
        .filter(|l| l.starts_with("delivery."))
        .collect();
    let rows: Vec<&str> = DELIVERY.iter().map(|r| r.field).collect();
    assert_eq!(
        delivery_leaves, rows,
        "the DELIVERY table lists every field of the block, in the schema's order"
    );
    let mut failures = Vec::new();
    for row in DELIVERY {
        for (i, platform) in PLATFORMS.iter().enumerate() {
            if row.does[i] == Cloud {
                continue;
            }
            let base = delivery_baseline(platform);
            let before = match delivery_emitted(&base) {
                Ok(b) => b,
                Err(e) => {
                    failures.push(format!("the {platform} delivery baseline is refused:\n{e}"));
                    continue;
                }
            };
            let mut spec = base;
            let at = if *platform == "local" {
                row.at.replace("tier.staging", "tier.local")
            } else {
                row.at.to_owned()
            };
            set(&mut spec, &at, (row.value)());
            let seen = match delivery_emitted(&spec) {
                Ok(after) if after != before => E,
                Ok(_) => Gap,
                Err(e) if e.lines().all(|l| !l.starts_with("<no location>")) => R,
                Err(e) => {
                    failures.push(format!(
                        "`{}` on {platform} is refused without a location:\n{e}",
                        row.field
                    ));
                    continue;
                }
            };
            if seen != row.does[i] {
                failures.push(format!(
                    "`{}` on {platform}: the table says {:?}, observed {seen:?}",
                    row.field, row.does[i]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
