//! The application's infrastructure as the spec declares it. After resolution the same types
//! hold one environment's concrete values (see [`crate::Environment`]): every default applied,
//! every tier, tenant and instance override merged in.
//!
//! Defaults are the secure choice (encryption on, Multi-AZ on, deletion protection on, hardened
//! alarms on); a tier relaxes one only by overriding it, and parity shows every relaxation.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A name usable in AWS resource names and Kubernetes object names: lower-case letters, digits
/// and single hyphens, starting with a letter (checked by validation, reported at the name).
pub type Name = String;

/// One application's infrastructure: the base of every environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct App {
    /// The application name, the first part of every resource name (`<app>-<env>-<component>`).
    pub app: Name,
    /// The AWS region, such as `us-east-1`.
    pub region: String,
    /// Where Terraform keeps its state.
    #[serde(default)]
    pub state: StateBackend,
    /// The VPC and its subnets.
    pub network: Network,
    /// Where the services run: exactly one of `eks`, `ecs_fargate` or `app_runner`.
    pub platform: Platform,
    /// Relational databases by name (`database "main" { … }`).
    #[serde(default, rename = "database")]
    pub databases: IndexMap<Name, Database>,
    /// Caches by name (`cache "sessions" { … }`).
    #[serde(default, rename = "cache")]
    pub caches: IndexMap<Name, Cache>,
    /// Secrets by name: the names and descriptions only, never values.
    #[serde(default, rename = "secret")]
    pub secrets: IndexMap<Name, Secret>,
    /// The application's services by name.
    #[serde(rename = "service")]
    pub services: IndexMap<Name, Service>,
    /// Logs, metrics, traces and alarms.
    #[serde(default)]
    pub observability: Observability,
    /// Third-party services and whether this environment talks to their sandbox or live API.
    #[serde(default, rename = "external_service")]
    pub external_services: IndexMap<Name, ExternalService>,
    /// Feature flags, name -> on/off, usually set per tier.
    #[serde(default)]
    pub feature_flags: IndexMap<String, bool>,
    /// Who may read and who may change this environment's resources.
    #[serde(default)]
    pub access: Access,
    /// A scheduled refresh of this environment's data from another tier (seed 003: weekly,
    /// anonymised production -> staging).
    #[serde(default)]
    pub data_refresh: Option<DataRefresh>,
    /// Warning codes this spec treats as errors, such as `strict = ["production-single-az"]`
    /// (`check` names each warning's code); the warnings a production tier's weak settings get
    /// are listed in the README.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub strict: Vec<String>,
    /// Raw Terraform resources by type, then name (`resource "aws_sqs_queue" "jobs" { … }`):
    /// the escape hatch for what tierform has no object for, under parity like the rest.
    #[serde(
        default,
        rename = "resource",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub raw_resources: IndexMap<String, IndexMap<Name, crate::raw::RawBlock>>,
    /// Raw Terraform data sources by type, then name (`data "aws_iam_policy_document" "x" { … }`).
    #[serde(default, rename = "data", skip_serializing_if = "IndexMap::is_empty")]
    pub raw_data: IndexMap<String, IndexMap<Name, crate::raw::RawBlock>>,
    /// Terraform modules by name (`module "queue" { source = "…" version = "…" inputs = { … } }`).
    #[serde(default, rename = "module", skip_serializing_if = "IndexMap::is_empty")]
    pub modules: IndexMap<Name, crate::raw::RawModule>,
    /// Raw Kubernetes objects by name (`manifest "reports" { object = { … } }`), added to the
    /// kustomize base of an EKS application.
    #[serde(
        default,
        rename = "manifest",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub manifests: IndexMap<Name, crate::raw::RawManifest>,
    /// S3 buckets by name (`bucket "uploads" { … }`): private, versioned, encrypted.
    #[serde(default, rename = "bucket", skip_serializing_if = "IndexMap::is_empty")]
    pub buckets: IndexMap<Name, crate::storage::Bucket>,
    /// SQS queues by name (`queue "jobs" { … }`), each with a dead-letter queue.
    #[serde(default, rename = "queue", skip_serializing_if = "IndexMap::is_empty")]
    pub queues: IndexMap<Name, crate::storage::Queue>,
    /// SNS topics by name (`topic "events" {}`).
    #[serde(default, rename = "topic", skip_serializing_if = "IndexMap::is_empty")]
    pub topics: IndexMap<Name, crate::storage::Topic>,
}

impl App {
    /// The plain configuration a service receives on every platform: `LOG_LEVEL`, one
    /// `FEATURE_<FLAG>` per feature flag, one `<NAME>_MODE` per external service the service
    /// lists in `external_services`, then the service's own `env`, which wins. Every value here is a knob; wiring to databases,
    /// caches and secrets comes on top, per platform.
    pub fn service_config(&self, service: &Service) -> IndexMap<String, String> {
        let mut env = IndexMap::new();
        env.insert(
            "LOG_LEVEL".to_owned(),
            self.observability.log_level.as_str().to_owned(),
        );
        for (flag, on) in &self.feature_flags {
            env.insert(format!("FEATURE_{}", env_var_name(flag)), on.to_string());
        }
        let used = self
            .external_services
            .iter()
            .filter(|(name, _)| service.external_services.contains(name));
        for (name, ext) in used {
            env.insert(
                format!("{}_MODE", env_var_name(name)),
                ext.mode.as_str().to_owned(),
            );
        }
        env.extend(service.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        env
    }
}

/// The environment-variable form of a spec name: `main` -> `MAIN`, `stripe-key` ->
/// `STRIPE_KEY`. Databases and caches prefix their variables with it (`MAIN_HOST`), secrets,
/// feature flags and external services are named by it; every emitter wires services with it.
pub fn env_var_name(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

/// The S3 backend of the Terraform state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateBackend {
    /// The S3 bucket; `<app>-terraform-state` when not given.
    #[serde(default)]
    pub bucket: Option<String>,
    /// The bucket's region; the app's region when not given.
    #[serde(default)]
    pub region: Option<String>,
}

/// The VPC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// The VPC's IPv4 CIDR block, such as `10.1.0.0/16`.
    pub cidr: String,
    /// How many availability zones the subnets span (at least 2: RDS and ALB need two).
    #[serde(default = "two")]
    pub availability_zones: u32,
    /// Public subnet CIDRs, one per AZ; derived from `cidr` when empty.
    #[serde(default)]
    pub public_subnets: Vec<String>,
    /// Private subnet CIDRs, one per AZ; derived from `cidr` when empty.
    #[serde(default)]
    pub private_subnets: Vec<String>,
    /// One NAT gateway per AZ (resilient) or a single one (cheaper).
    #[serde(default)]
    pub nat: NatStrategy,
    /// A VPC and subnets that already exist, by id, used instead of creating them: no VPC,
    /// subnet, gateway, route or flow log is emitted. `cidr` is then the existing VPC's block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing: Option<ExistingNetwork>,
}

/// `network { existing { … } }`: the ids of a VPC and subnets someone else manages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExistingNetwork {
    /// The VPC's id, such as `vpc-0a1b2c3d4e5f60718`.
    pub vpc_id: String,
    /// Private subnets with a route to a NAT gateway (at least two, in different availability
    /// zones): services, databases and caches run there.
    pub private_subnet_ids: Vec<String>,
    /// Public subnets (at least two) for the load balancer of public services on ECS Fargate
    /// and EKS (EKS tags them for the AWS Load Balancer Controller).
    #[serde(default)]
    pub public_subnet_ids: Vec<String>,
}

/// NAT gateway layout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NatStrategy {
    /// One NAT gateway in each availability zone.
    #[default]
    PerAz,
    /// One NAT gateway for the whole VPC.
    Single,
}

/// The compute platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// Amazon EKS: services become Kubernetes workloads (kustomize base + overlays).
    Eks(Eks),
    /// Amazon ECS on Fargate: services become task definitions and services.
    EcsFargate(EcsFargate),
    /// AWS App Runner: each service becomes an App Runner service.
    AppRunner(AppRunner),
}

impl Platform {
    /// `EKS`, `ECS Fargate` or `App Runner`: the platform's name in messages.
    pub fn display(&self) -> &'static str {
        match self {
            Platform::Eks(_) => "EKS",
            Platform::EcsFargate(_) => "ECS Fargate",
            Platform::AppRunner(_) => "App Runner",
        }
    }

    /// `eks`, `ecs_fargate` or `app_runner`.
    pub fn kind(&self) -> &'static str {
        match self {
            Platform::Eks(_) => "eks",
            Platform::EcsFargate(_) => "ecs_fargate",
            Platform::AppRunner(_) => "app_runner",
        }
    }
}

/// An EKS cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Eks {
    /// The Kubernetes version, such as `1.30`.
    pub version: String,
    /// Managed node groups by name.
    #[serde(rename = "node_group")]
    pub node_groups: IndexMap<Name, NodeGroup>,
    /// Whether the API endpoint is reachable from the internet (off: private endpoint only).
    #[serde(default)]
    pub public_endpoint: bool,
    /// Keeps a Kubernetes version past the end of EKS standard support, with the reason.
    #[serde(default)]
    pub allow_retired_version: Option<AllowRetiredVersion>,
}

/// `allow_retired_version { reason = "…" }`: a version past AWS's end of standard support,
/// kept on purpose (extended support paid, an upgrade scheduled). The reason must be one a
/// reviewer can judge, as an exception's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowRetiredVersion {
    /// Why the version stays: a sentence, not a placeholder.
    pub reason: String,
}

/// An EKS managed node group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeGroup {
    /// EC2 instance types, such as `["m5.large"]`.
    pub instance_types: Vec<String>,
    /// Fewest nodes.
    pub min: u32,
    /// Nodes at start.
    pub desired: u32,
    /// Most nodes.
    pub max: u32,
    /// On-demand or spot capacity.
    #[serde(default)]
    pub capacity: Capacity,
}

/// EC2 capacity type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Capacity {
    /// On-demand instances.
    #[default]
    OnDemand,
    /// Spot instances (seed 003: for non-critical workloads).
    Spot,
}

/// An ECS cluster on Fargate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EcsFargate {
    /// CloudWatch Container Insights on the cluster.
    #[serde(default = "yes")]
    pub container_insights: bool,
}

/// App Runner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppRunner {
    /// Deploy automatically when the image tag is pushed (seed 004: staging from `develop`).
    #[serde(default)]
    pub auto_deploy: bool,
}

/// A relational database (Amazon RDS).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// `postgres` or `mysql`.
    pub engine: Engine,
    /// The full engine version, such as `15.15` or `8.4.7`; must exist for the engine.
    pub engine_version: String,
    /// The RDS instance class, such as `db.t3.medium`.
    pub instance_class: String,
    /// Storage at creation, in GiB.
    #[serde(default = "twenty")]
    pub allocated_storage: u32,
    /// Storage autoscaling ceiling, in GiB (0: no autoscaling).
    #[serde(default = "hundred")]
    pub max_allocated_storage: u32,
    /// A standby in a second AZ.
    #[serde(default = "yes")]
    pub multi_az: bool,
    /// Read replicas.
    #[serde(default)]
    pub read_replicas: u32,
    /// Days of automated backups (0-35).
    #[serde(default = "seven")]
    pub backup_retention_days: u32,
    /// Refuse deletion until this is turned off.
    #[serde(default = "yes")]
    pub deletion_protection: bool,
    /// Encryption at rest (cannot be turned off outside local tiers).
    #[serde(default = "yes")]
    pub storage_encrypted: bool,
    /// IAM database authentication (seed 003: staging and production use IAM auth).
    #[serde(default = "yes")]
    pub iam_auth: bool,
    /// The database created on the instance; `<app>` with `-` as `_` when not given.
    #[serde(default)]
    pub db_name: Option<String>,
    /// The master user name; `<app>` with `-` as `_` when not given. Its password is managed
    /// by RDS in Secrets Manager and is never in the spec or the output.
    #[serde(default)]
    pub username: Option<String>,
    /// A folder of SQL files loaded at first start of a local container (local tiers).
    #[serde(default)]
    pub seed_data: Option<String>,
    /// Keeps an engine version past the end of RDS standard support, with the reason.
    #[serde(default)]
    pub allow_retired_version: Option<AllowRetiredVersion>,
}

impl Database {
    /// The database created on the instance: the spec's, or the app name with `_` for `-`.
    pub fn name_on_instance(&self, app: &str) -> String {
        self.db_name
            .clone()
            .unwrap_or_else(|| app.replace('-', "_"))
    }
    /// The user the services log in as (never the master user, whose managed password
    /// rotates): `<master user>_app`, created once in the first apply.
    pub fn app_user(&self, app: &str) -> String {
        format!("{}_app", self.user(app))
    }
    /// The master user: the spec's, or the app name with `_` for `-`.
    pub fn user(&self, app: &str) -> String {
        self.username
            .clone()
            .unwrap_or_else(|| app.replace('-', "_"))
    }
}

/// A database engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    /// PostgreSQL.
    Postgres,
    /// MySQL.
    Mysql,
}

impl Engine {
    /// The engine's name in RDS and in container images.
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
        }
    }
    /// The engine's default port.
    pub fn port(self) -> u16 {
        match self {
            Engine::Postgres => 5432,
            Engine::Mysql => 3306,
        }
    }
}

/// An in-memory cache (ElastiCache replication group).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cache {
    /// `redis` or `valkey`.
    #[serde(default)]
    pub engine: CacheEngine,
    /// The engine version, such as `7.0`.
    pub engine_version: String,
    /// The node type, such as `cache.t3.micro`.
    pub node_type: String,
    /// Cache nodes (primary plus replicas).
    #[serde(default = "two")]
    pub nodes: u32,
    /// Promote a replica when the primary fails (needs at least 2 nodes).
    #[serde(default = "yes")]
    pub automatic_failover: bool,
    /// Encryption at rest.
    #[serde(default = "yes")]
    pub at_rest_encryption: bool,
    /// TLS between clients and the cache.
    #[serde(default = "yes")]
    pub transit_encryption: bool,
    /// Days of daily snapshots.
    #[serde(default = "seven")]
    pub snapshot_retention_days: u32,
}

/// A cache engine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CacheEngine {
    /// Redis OSS.
    #[default]
    Redis,
    /// Valkey.
    Valkey,
}

impl CacheEngine {
    /// The engine's name in ElastiCache and in container images.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheEngine::Redis => "redis",
            CacheEngine::Valkey => "valkey",
        }
    }
}

/// A secret: its name and purpose. Values live in Secrets Manager (or a local `.env`), never
/// in the spec or in generated files.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Secret {
    /// What the secret is for.
    #[serde(default)]
    pub description: Option<String>,
}

/// A service: one container image, run with the platform's scaling, health checks and wiring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// The image repository, without tag, such as `123456789012.dkr.ecr.us-east-1.amazonaws.com/api`.
    pub image: String,
    /// The image tag; production tiers must pin one (no `latest`).
    pub tag: String,
    /// The image digest (`sha256:…`), pinning the content behind the tag.
    #[serde(default)]
    pub digest: Option<String>,
    /// The port the container listens on.
    pub port: u16,
    /// CPU request, in millicores (1000 = one vCPU).
    #[serde(default = "quarter_cpu")]
    pub cpu: u32,
    /// Memory request, in MiB.
    #[serde(default = "half_gib")]
    pub memory: u32,
    /// CPU limit, in millicores (Kubernetes only); the request when not given.
    #[serde(default)]
    pub cpu_limit: Option<u32>,
    /// Memory limit, in MiB; the request when not given.
    #[serde(default)]
    pub memory_limit: Option<u32>,
    /// Running copies when not autoscaled.
    #[serde(default = "one")]
    pub replicas: u32,
    /// A folder with a Dockerfile that local tiers build the service's image from (relative to
    /// the spec's folder), for local development; cloud tiers run `image` and refuse it.
    #[serde(default)]
    pub build: Option<String>,
    /// Scale on CPU between `min` and `max` copies.
    #[serde(default)]
    pub autoscaling: Option<Autoscaling>,
    /// How the platform checks that a copy is healthy.
    pub health_check: HealthCheck,
    /// The command to run instead of the image's default.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// Plain environment variables (never secrets: those go in `secrets`).
    #[serde(default)]
    pub env: IndexMap<String, String>,
    /// Variables of `env` whose names read as secrets (`…TOKEN…`, `…API_KEY…`) but whose values
    /// are not, each with the reason a reviewer judges:
    /// `not_secret = { TEMPORARY_TOKEN_TEMPLATE_ID = "a public e-mail template id" }`. A value
    /// shaped like a credential (a key prefix, a PEM block, a random-looking string) is still
    /// refused.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub not_secret: IndexMap<String, String>,
    /// Secrets this service reads, by `secret` name; each becomes an environment variable
    /// named after the secret in upper case.
    #[serde(default)]
    pub secrets: Vec<Name>,
    /// Databases this service connects to; their host, port, name and user are wired in as
    /// `<NAME>_DB_*` variables and the managed password as `<NAME>_DB_PASSWORD`.
    #[serde(default)]
    pub databases: Vec<Name>,
    /// Caches this service connects to, wired in as `<NAME>_CACHE_URL`.
    #[serde(default)]
    pub caches: Vec<Name>,
    /// The application's own names for the variables tierform wires from `databases`,
    /// `caches` and `secrets`, by tierform's name: `MAIN_DB_HOST = "DB_HOST"`,
    /// `SESSIONS_CACHE_URL = "REDIS_URL"`, `JWT_SECRET = "JwtSettings__Secret"`. Naming
    /// `<NAME>_DB_URL` or `<NAME>_DB_CONNECTION_STRING` asks for that form of the database's
    /// address (without the password, which stays `<NAME>_DB_PASSWORD`, a secret reference).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub env_names: IndexMap<String, String>,
    /// Other services this one calls (opens exactly that traffic).
    #[serde(default)]
    pub calls: Vec<Name>,
    /// Third-party services this one talks to, by `external_service` name: it is given
    /// `<NAME>_MODE` (sandbox or live) for each, and for no other.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_services: Vec<Name>,
    /// Exposure on the internet through the load balancer or ingress, with TLS.
    #[serde(default)]
    pub public: Option<Public>,
    /// Buckets this service reads and writes objects in, wired in as `<NAME>_BUCKET`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buckets: Vec<Name>,
    /// Queues this service sends to and receives from, wired in as `<NAME>_QUEUE_URL`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<Name>,
    /// Topics this service publishes to, wired in as `<NAME>_TOPIC_ARN`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<Name>,
    /// Exposure inside the VPC only (an internal load balancer, a private endpoint), with TLS;
    /// instead of `public`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal: Option<crate::internal::Internal>,
}

/// CPU-based autoscaling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Autoscaling {
    /// Fewest copies.
    pub min: u32,
    /// Most copies.
    pub max: u32,
    /// Average CPU utilisation to keep, in percent (70 when not given). App Runner scales on
    /// concurrent requests, not CPU, and refuses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_cpu: Option<u32>,
}

impl Autoscaling {
    /// The CPU utilisation to keep: `target_cpu`, or 70.
    pub fn target_cpu(&self) -> u32 {
        self.target_cpu.unwrap_or(70)
    }
}

/// A health check: an HTTP path or a command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    /// The HTTP path that answers 200 when healthy, such as `/health`.
    #[serde(default)]
    pub path: Option<String>,
    /// A command that exits 0 when healthy (instead of `path`).
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// Seconds between checks (30 when not given; App Runner: 10, and at most 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<u32>,
    /// Seconds before a check fails.
    #[serde(default = "five")]
    pub timeout: u32,
    /// Successes before healthy.
    #[serde(default = "two")]
    pub healthy_threshold: u32,
    /// Failures before unhealthy.
    #[serde(default = "three")]
    pub unhealthy_threshold: u32,
}

impl HealthCheck {
    /// Seconds between checks: `interval`, or 30.
    pub fn interval(&self) -> u32 {
        self.interval.unwrap_or(30)
    }

    /// Seconds between checks on a platform: App Runner accepts 1-20 and checks every 10
    /// seconds when the spec gives no `interval`; elsewhere [`HealthCheck::interval`].
    pub fn interval_on(&self, platform: &Platform) -> u32 {
        match platform {
            Platform::AppRunner(_) => self.interval.unwrap_or(10),
            _ => self.interval(),
        }
    }
}

/// Public exposure of a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Public {
    /// The host name, such as `staging.togetherhood.com`; usually set per tier. `{instance}`
    /// (the tenant or instance, or the tier when there is none), `{tier}` and `{env}` are
    /// replaced, so one pattern serves a fan-out: `{instance}.banking.example`.
    pub host: String,
    /// The Route53 hosted zone the host belongs to, such as `togetherhood.com`.
    pub zone: String,
}

/// Logs, metrics, traces and alarms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Observability {
    /// Days CloudWatch keeps logs (a value CloudWatch accepts: 1, 3, 5, 7, 14, 30, 60, 90, …).
    #[serde(default = "thirty")]
    pub log_retention_days: u32,
    /// Days metrics are kept (90 when not given): the Container Insights performance log group
    /// on ECS Fargate and EKS. App Runner's metrics are CloudWatch metrics, whose retention AWS
    /// fixes (15 months), and it refuses the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_retention_days: Option<u32>,
    /// Days traces are kept. X-Ray keeps traces 30 days, a retention AWS fixes: cloud tiers
    /// refuse any other value.
    #[serde(default = "thirty")]
    pub trace_retention_days: u32,
    /// The services' log level.
    #[serde(default)]
    pub log_level: LogLevel,
    /// Export metrics.
    #[serde(default = "yes")]
    pub metrics: bool,
    /// Export traces.
    #[serde(default = "yes")]
    pub tracing: bool,
    /// Which alarms exist.
    #[serde(default)]
    pub alarms: Alarms,
}

impl Observability {
    /// Days the Container Insights performance events are kept: `metrics_retention_days`, or 90.
    pub fn metrics_retention_days(&self) -> u32 {
        self.metrics_retention_days.unwrap_or(90)
    }
}

impl Default for Observability {
    fn default() -> Self {
        Observability {
            log_retention_days: 30,
            metrics_retention_days: None,
            trace_retention_days: 30,
            log_level: LogLevel::Info,
            metrics: true,
            tracing: true,
            alarms: Alarms::default(),
        }
    }
}

/// A log level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    /// Everything.
    Debug,
    /// Normal operation.
    #[default]
    Info,
    /// Problems only.
    Warn,
    /// Failures only.
    Error,
}

impl LogLevel {
    /// The level as services read it.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

/// CloudWatch alarms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Alarms {
    /// Unhealthy targets behind the load balancer.
    #[serde(default = "yes")]
    pub unhealthy_hosts: bool,
    /// 5xx responses from the load balancer.
    #[serde(default = "yes")]
    pub http_5xx: bool,
    /// High CPU of the services.
    #[serde(default = "yes")]
    pub cpu: bool,
    /// The CPU alarm threshold, in percent.
    #[serde(default = "eighty")]
    pub cpu_threshold: u32,
    /// An SNS topic ARN the alarms notify (Slack in staging, PagerDuty in production).
    #[serde(default)]
    pub notify: Option<String>,
}

impl Default for Alarms {
    fn default() -> Self {
        Alarms {
            unhealthy_hosts: true,
            http_5xx: true,
            cpu: true,
            cpu_threshold: 80,
            notify: None,
        }
    }
}

/// A third-party service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalService {
    /// Whether this environment uses the provider's sandbox or live API.
    pub mode: ExternalMode,
}

/// Sandbox or live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExternalMode {
    /// Test mode (Stripe test keys, SendGrid sandbox).
    Sandbox,
    /// Real money, real e-mail.
    Live,
}

impl ExternalMode {
    /// `sandbox` or `live`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExternalMode::Sandbox => "sandbox",
            ExternalMode::Live => "live",
        }
    }
}

/// Who may read and who may change an environment, as IAM principal ARNs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Access {
    /// Principals with read-only access.
    #[serde(default)]
    pub read: Vec<String>,
    /// Principals that may change the environment.
    #[serde(default)]
    pub write: Vec<String>,
}

/// A scheduled copy of another tier's data into this environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataRefresh {
    /// The tier the data comes from.
    pub from: String,
    /// Which database is refreshed.
    pub database: Name,
    /// A cron schedule, such as `0 2 * * 6` (Saturdays at 02:00).
    pub schedule: String,
    /// Remove personal data on the way (always on for production data).
    #[serde(default = "yes")]
    pub anonymize: bool,
    /// The image that runs the dump, anonymisation and restore.
    pub image: String,
    /// Its tag.
    pub tag: String,
}

fn yes() -> bool {
    true
}
fn one() -> u32 {
    1
}
fn two() -> u32 {
    2
}
fn three() -> u32 {
    3
}
fn five() -> u32 {
    5
}
fn seven() -> u32 {
    7
}
fn twenty() -> u32 {
    20
}
fn thirty() -> u32 {
    30
}
fn eighty() -> u32 {
    80
}
fn hundred() -> u32 {
    100
}
fn quarter_cpu() -> u32 {
    250
}
fn half_gib() -> u32 {
    512
}
