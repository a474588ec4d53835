//! The typed context a runbook is rendered from: everything a template may name, derived from
//! the resolved environment and the model, and nothing else. Secrets are names, descriptions
//! and where their value is kept: no field can carry a value.

use serde::Serialize;
use serde_json::Value;
use tierform_model::{
    parity, ApplyStage, Diagnostics, Environment, EnvironmentId, FieldPath, Model, Platform,
    Runtime, Tier,
};

/// How the runbook's commands name the spec. Every command runs from the output folder (the
/// one holding `docs/`), so runbooks do not depend on where that folder is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The spec relative to the output folder, such as `../tierform.hcl`.
    pub spec: String,
    /// Kubernetes manifests are fully rendered (`k8s/<env>/`) instead of kustomize overlays.
    pub k8s_flat: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            spec: "../tierform.hcl".into(),
            k8s_flat: false,
        }
    }
}

/// A name and a value shown as text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NameValue {
    /// The name.
    pub name: String,
    /// The value.
    pub value: String,
}

/// A service as it runs in the environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceDoc {
    /// Its name.
    pub name: String,
    /// The image repository.
    pub image: String,
    /// The release: tag, and digest when pinned.
    pub tag: String,
    /// The digest, when pinned.
    pub digest: Option<String>,
    /// The container port.
    pub port: u16,
    /// CPU request, millicores.
    pub cpu: u32,
    /// Memory request, MiB.
    pub memory: u32,
    /// How many copies: `2` or `3-10 (CPU 70 %)`.
    pub copies: String,
    /// Where to reach it, when it is exposed: its public URL, its internal one (marked as
    /// reachable inside the VPC only), or, locally, the loopback interface.
    pub url: Option<String>,
    /// The health check: an HTTP path or a command.
    pub health: String,
    /// Secrets it reads, by name.
    pub secrets: Vec<String>,
    /// Databases it connects to.
    pub databases: Vec<String>,
    /// Caches it connects to.
    pub caches: Vec<String>,
    /// Services it calls.
    pub calls: Vec<String>,
    /// Buckets it reads and writes.
    pub buckets: Vec<String>,
    /// Queues it sends to and receives from.
    pub queues: Vec<String>,
    /// Topics it publishes to.
    pub topics: Vec<String>,
}

/// A database.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatabaseDoc {
    /// Its name in the spec.
    pub name: String,
    /// `postgres 16.11`.
    pub engine: String,
    /// The instance class (a container locally).
    pub size: String,
    /// `20-100 GiB`.
    pub storage: String,
    /// A standby in a second zone.
    pub multi_az: bool,
    /// Read replicas.
    pub read_replicas: u32,
    /// Days of backups.
    pub backup_retention_days: u32,
    /// Whether deletion is refused.
    pub deletion_protection: bool,
}

/// A cache.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CacheDoc {
    /// Its name in the spec.
    pub name: String,
    /// `redis 7.1`.
    pub engine: String,
    /// The node type.
    pub size: String,
    /// Nodes.
    pub nodes: u32,
    /// Automatic failover.
    pub automatic_failover: bool,
}

/// A secret: never its value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecretDoc {
    /// Its name in the spec.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// Where its value is kept: `AWS Secrets Manager` or `the local .env file`.
    pub store: String,
    /// Its name there: the Secrets Manager secret id, or the `.env` variable.
    pub key: String,
    /// The command that sets it (the value read from a file the operator holds).
    pub set: String,
    /// Services that read it.
    pub used_by: Vec<String>,
}

/// The scheduled data refresh.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RefreshDoc {
    /// The tier the data comes from.
    pub from: String,
    /// The database refreshed.
    pub database: String,
    /// The cron schedule.
    pub schedule: String,
    /// Whether personal data is removed on the way.
    pub anonymize: bool,
    /// The job's image and tag.
    pub image: String,
    /// How to run it now, where tierform knows.
    pub run_now: Option<String>,
}

/// One knob that differs from the mirrored environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KnobRow {
    /// The field, such as `database.payments.instance_class`.
    pub path: String,
    /// Its kind (`size`, `release`, …).
    pub kind: String,
    /// The value in the mirrored environment.
    pub mirrored: String,
    /// The value here.
    pub here: String,
}

/// A declared structural exception.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExceptionRow {
    /// The field or object it names.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// How the environment differs from the one it mirrors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MirrorDoc {
    /// The mirrored tier.
    pub tier: String,
    /// The mirrored environment compared with.
    pub environment: String,
    /// Knobs whose values differ.
    pub knobs: Vec<KnobRow>,
    /// Structural differences declared by the tier, with reasons.
    pub exceptions: Vec<ExceptionRow>,
    /// The command that proves the rest is identical.
    pub diff: String,
}

/// A titled list of commands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// Its 1-based number in its list.
    pub number: usize,
    /// What the step does.
    pub title: String,
    /// The commands, in order (may be empty: the title says what to do).
    pub commands: Vec<String>,
}

/// Promotion and rollback commands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromoteDoc {
    /// `tierform promote` commands that bring a release into this tier.
    pub into: Vec<String>,
    /// The command that takes this tier's release to the tier it mirrors.
    pub onward: Option<String>,
    /// The rollback command (`--release <git-rev>`), for tiers in the spec.
    pub rollback: Option<String>,
    /// `kubectl rollout undo` per service (EKS).
    pub rollout_undo: Vec<String>,
    /// Where the release is applied: `kubernetes` or `terraform` or `compose`.
    pub release_in: String,
}

/// Everything a runbook template may name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvironmentDoc {
    /// The application.
    pub app: String,
    /// The environment's name.
    pub name: String,
    /// Its tier.
    pub tier: String,
    /// Its tenant or instance.
    pub instance: Option<String>,
    /// Production rules apply.
    pub production: bool,
    /// A temporary copy, created by name.
    pub ephemeral: bool,
    /// `cloud` or `local`.
    pub runtime: String,
    /// The AWS region.
    pub region: String,
    /// The prefix of every resource name (and the Kubernetes namespace).
    pub prefix: String,
    /// The spec as commands name it (from the output folder).
    pub spec: String,
    /// `Amazon EKS 1.30`, `Amazon ECS on Fargate`, `AWS App Runner` or `docker compose`.
    pub platform: String,
    /// Platform details: node groups and their sizes.
    pub platform_details: Vec<String>,
    /// The generated folders of this environment.
    pub folders: Vec<String>,
    /// Where the Terraform state is kept (cloud only).
    pub state: Option<String>,
    /// The services.
    pub services: Vec<ServiceDoc>,
    /// The databases.
    pub databases: Vec<DatabaseDoc>,
    /// The caches.
    pub caches: Vec<CacheDoc>,
    /// The secrets, by name.
    pub secrets: Vec<SecretDoc>,
    /// External services and their mode.
    pub external_services: Vec<NameValue>,
    /// Feature flags.
    pub feature_flags: Vec<NameValue>,
    /// Log level and retention.
    pub observability: Vec<NameValue>,
    /// The alarms that exist.
    pub alarms: Vec<String>,
    /// Where alarms notify (an SNS topic), if anywhere.
    pub alarms_notify: Option<String>,
    /// The scheduled data refresh.
    pub data_refresh: Option<RefreshDoc>,
    /// How it differs from the tier it mirrors.
    pub mirror: Option<MirrorDoc>,
    /// Tiers that mirror this one.
    pub mirrored_by: Vec<String>,
    /// How to deploy a change.
    pub deploy: Vec<Step>,
    /// The order of the very first apply.
    pub first_apply: Vec<Step>,
    /// Promotion and rollback.
    pub promote: PromoteDoc,
}

/// One environment in the index.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexRow {
    /// Its name (or `<tier>-<id>` for an ephemeral tier).
    pub name: String,
    /// Its tier.
    pub tier: String,
    /// `cloud` or `local`.
    pub runtime: String,
    /// Production rules apply.
    pub production: bool,
    /// The tier it mirrors.
    pub mirrors: Option<String>,
    /// Its runbook, relative to the index (none for ephemeral tiers).
    pub runbook: Option<String>,
}

/// Everything the index template may name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexDoc {
    /// The application.
    pub app: String,
    /// The spec as commands name it (from the output folder).
    pub spec: String,
    /// Every environment, in promotion order.
    pub environments: Vec<IndexRow>,
    /// The promotion steps: one `tierform promote` command per mirror relation.
    pub promotions: Vec<String>,
}

/// A word or path as a shell argument: quoted only when it needs to be.
fn shell(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_./-:=@+,".contains(&b))
    {
        s.to_owned()
    } else {
        let s: String = s
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) if s.is_empty() => "(empty)".into(),
        Value::String(s) => s.clone(),
        Value::Null => "(none)".into(),
        other => other.to_string(),
    }
}

fn promote_cmd(o: &Options, from: &str, to: &str) -> String {
    format!(
        "tierform promote {} --from {} --to {}",
        shell(&o.spec),
        shell(from),
        shell(to)
    )
}

/// Whether a tier takes part in promotion: it is declared (not a temporary copy).
fn promotable(t: &Tier) -> bool {
    !t.ephemeral
}

/// What every section of one environment's runbook is derived from: the environment, where
/// it sits in the model, and the folders its generated files are in.
struct Setting<'a> {
    model: &'a Model,
    id: &'a EnvironmentId,
    env: &'a Environment,
    o: &'a Options,
    tiers: &'a [Tier],
    tier: &'a Tier,
    /// It runs in the cloud (Terraform), not on docker compose.
    cloud: bool,
    /// It runs on EKS: Kubernetes manifests are applied after Terraform.
    eks: bool,
    /// `terraform/<env>`.
    tf: String,
    /// `k8s/<env>` or `k8s/overlays/<env>`.
    k8s: String,
    /// `compose/<env>`.
    compose: String,
    prefix: String,
}

/// The commands several steps of a runbook share.
struct Commands {
    build: String,
    kubeconfig: String,
    kubectl_apply: String,
    rollout_status: Vec<String>,
    compose_file: String,
}

/// The context of one environment's runbook. `id` is the environment's id in `model`.
///
/// # Errors
/// The mirrored environment does not resolve.
pub fn environment_doc(
    model: &Model,
    id: &EnvironmentId,
    env: &Environment,
    options: &Options,
) -> Result<EnvironmentDoc, Diagnostics> {
    let app = &env.app;
    let tiers = model.tiers();
    let cloud = env.runtime == Runtime::Cloud;
    let s = Setting {
        model,
        id,
        env,
        o: options,
        tiers,
        tier: &tiers[id.tier_index()],
        cloud,
        eks: cloud && matches!(app.platform, Platform::Eks(_)),
        tf: format!("terraform/{}", env.name),
        k8s: if options.k8s_flat {
            format!("k8s/{}", env.name)
        } else {
            format!("k8s/overlays/{}", env.name)
        },
        compose: format!("compose/{}", env.name),
        prefix: env.prefix(),
    };
    let (platform, platform_details) = platform(&s);
    let commands = commands(&s);
    let mut deploy = deploy_steps(&s, &commands);
    let mut first_apply = if cloud {
        cloud_first_apply(&s, &commands)
    } else {
        compose_first_apply(&s, &commands)
    };
    number(&mut deploy);
    number(&mut first_apply);

    Ok(EnvironmentDoc {
        app: app.app.clone(),
        name: env.name.clone(),
        tier: env.tier.clone(),
        instance: env.instance.clone(),
        production: env.production,
        ephemeral: env.ephemeral,
        runtime: env.runtime.as_str().into(),
        region: app.region.clone(),
        prefix: s.prefix.clone(),
        spec: s.o.spec.clone(),
        platform,
        platform_details,
        folders: folders(&s),
        state: cloud.then(|| {
            format!(
                "s3://{}/{} ({})",
                env.state_bucket(),
                env.state_key(),
                env.state_region()
            )
        }),
        services: services(&s),
        databases: databases(&s),
        caches: caches(&s),
        secrets: secrets(&s),
        external_services: app
            .external_services
            .iter()
            .map(|(n, e)| NameValue {
                name: n.clone(),
                value: e.mode.as_str().into(),
            })
            .collect(),
        feature_flags: app
            .feature_flags
            .iter()
            .map(|(n, on)| NameValue {
                name: n.clone(),
                value: if *on { "on" } else { "off" }.into(),
            })
            .collect(),
        observability: observability(&s),
        alarms: alarms(&s),
        alarms_notify: app.observability.alarms.notify.clone().filter(|_| cloud),
        data_refresh: data_refresh(&s),
        mirror: mirror(&s)?,
        mirrored_by: s
            .tiers
            .iter()
            .filter(|t| t.mirrors.as_deref() == Some(s.tier.name.as_str()))
            .map(|t| t.name.clone())
            .collect(),
        deploy,
        first_apply,
        promote: promote_doc(&s),
    })
}

/// What the services run on, and the details an operator needs of it (node groups, …).
fn platform(s: &Setting) -> (String, Vec<String>) {
    match (&s.env.app.platform, s.cloud) {
        (_, false) => ("docker compose".to_owned(), Vec::new()),
        (Platform::Eks(e), true) => (
            format!("Amazon EKS {}", e.version),
            e.node_groups
                .iter()
                .map(|(n, g)| {
                    format!(
                        "node group {n}: {} x {}-{} (desired {}, {})",
                        g.instance_types.join(", "),
                        g.min,
                        g.max,
                        g.desired,
                        match g.capacity {
                            tierform_model::Capacity::OnDemand => "on demand",
                            tierform_model::Capacity::Spot => "spot",
                        }
                    )
                })
                .collect(),
        ),
        (Platform::EcsFargate(_), true) => ("Amazon ECS on Fargate".to_owned(), Vec::new()),
        (Platform::AppRunner(a), true) => (
            "AWS App Runner".to_owned(),
            vec![format!(
                "automatic deployment on image push: {}",
                if a.auto_deploy { "on" } else { "off" }
            )],
        ),
    }
}

/// Where a service is reached, for the runbook: locally the loopback interface (every
/// service is published there; its host port moves up when another service took it), in the
/// cloud its public URL or its internal one; `None` when nothing exposes it.
fn service_url(s: &tierform_model::Service, cloud: bool) -> Option<String> {
    if !cloud {
        return Some("127.0.0.1, published by docker-compose.yml".to_owned());
    }
    if let Some(p) = &s.public {
        return Some(format!("https://{}", p.host));
    }
    Some(match &s.internal.as_ref()?.host {
        Some(host) => format!("https://{host} (inside the VPC only)"),
        // App Runner's private endpoint: its own domain, reached from the VPC.
        None => "(private endpoint, inside the VPC only)".to_owned(),
    })
}

/// The services as they run here: release, size, copies, public URL (in the cloud only).
fn services(st: &Setting) -> Vec<ServiceDoc> {
    st.env
        .app
        .services
        .iter()
        .map(|(name, s)| ServiceDoc {
            name: name.clone(),
            image: s.image.clone(),
            tag: s.tag.clone(),
            digest: s.digest.clone(),
            port: s.port,
            cpu: s.cpu,
            memory: s.memory,
            copies: match &s.autoscaling {
                Some(a) => format!("{}-{} (CPU {} %)", a.min, a.max, a.target_cpu()),
                None => s.replicas.to_string(),
            },
            url: service_url(s, st.cloud),
            health: match (&s.health_check.path, &s.health_check.command) {
                (Some(p), _) => format!("HTTP GET {p}"),
                (None, Some(c)) => c.join(" "),
                (None, None) => "(none)".into(),
            },
            secrets: s.secrets.clone(),
            databases: s.databases.clone(),
            caches: s.caches.clone(),
            calls: s.calls.clone(),
            buckets: s.buckets.clone(),
            queues: s.queues.clone(),
            topics: s.topics.clone(),
        })
        .collect()
}

/// The databases: an instance class in the cloud, a container locally.
fn databases(s: &Setting) -> Vec<DatabaseDoc> {
    s.env
        .app
        .databases
        .iter()
        .map(|(name, d)| DatabaseDoc {
            name: name.clone(),
            engine: format!("{} {}", d.engine.as_str(), d.engine_version),
            size: if s.cloud {
                d.instance_class.clone()
            } else {
                "container".into()
            },
            storage: format!("{}-{} GiB", d.allocated_storage, d.max_allocated_storage),
            multi_az: d.multi_az,
            read_replicas: d.read_replicas,
            backup_retention_days: d.backup_retention_days,
            deletion_protection: d.deletion_protection,
        })
        .collect()
}

/// The caches: a node type in the cloud, a container locally.
fn caches(s: &Setting) -> Vec<CacheDoc> {
    s.env
        .app
        .caches
        .iter()
        .map(|(name, c)| CacheDoc {
            name: name.clone(),
            engine: format!("{} {}", c.engine.as_str(), c.engine_version),
            size: if s.cloud {
                c.node_type.clone()
            } else {
                "container".into()
            },
            nodes: c.nodes,
            automatic_failover: c.automatic_failover,
        })
        .collect()
}

/// The secrets: where each one's value is kept and how to set it, never the value.
fn secrets(s: &Setting) -> Vec<SecretDoc> {
    let app = &s.env.app;
    let compose = &s.compose;
    app.secrets
        .iter()
        .map(|(name, secret)| {
            // The names the emitters give: `<app>/<env>/<secret>` in Secrets Manager (see
            // tierform-emit-terraform's secrets.tf), the upper-cased name in a local `.env`.
            let var = name.to_ascii_uppercase().replace('-', "_");
            let (store, key, set) = if s.cloud {
                let id = format!("{}/{}/{name}", app.app, s.env.name);
                (
                    "AWS Secrets Manager".to_owned(),
                    id.clone(),
                    format!(
                        "aws secretsmanager put-secret-value --region {} --secret-id {} --secret-string file://{}.txt",
                        shell(&app.region),
                        shell(&id),
                        shell(name)
                    ),
                )
            } else {
                (
                    format!("{compose}/.env"),
                    var.clone(),
                    format!("echo '{var}=…' >> {}", shell(&format!("{compose}/.env"))),
                )
            };
            SecretDoc {
                name: name.clone(),
                description: secret.description.clone(),
                store,
                key,
                set,
                used_by: app
                    .services
                    .iter()
                    .filter(|(_, svc)| svc.secrets.contains(name))
                    .map(|(n, _)| n.clone())
                    .collect(),
            }
        })
        .collect()
}

/// Logs, metrics and traces: what is kept, and for how long.
fn observability(s: &Setting) -> Vec<NameValue> {
    let ob = &s.env.app.observability;
    vec![
        NameValue {
            name: "log level".into(),
            value: ob.log_level.as_str().into(),
        },
        NameValue {
            name: "log retention".into(),
            value: format!("{} days", ob.log_retention_days),
        },
        NameValue {
            name: "metrics".into(),
            value: if matches!(s.env.app.platform, tierform_model::Platform::AppRunner(_)) {
                "CloudWatch metrics, kept 15 months (fixed by AWS)".into()
            } else if ob.metrics {
                format!("kept {} days", ob.metrics_retention_days())
            } else {
                "off".into()
            },
        },
        NameValue {
            name: "traces".into(),
            value: if ob.tracing {
                format!("X-Ray, kept {} days", ob.trace_retention_days)
            } else {
                "off".into()
            },
        },
    ]
}

/// The alarms the Terraform emitter creates on each platform.
fn alarms(s: &Setting) -> Vec<String> {
    let app = &s.env.app;
    let a = &app.observability.alarms;
    let mut alarms = Vec::new();
    match (&app.platform, s.cloud) {
        (_, false) => {}
        (Platform::Eks(_), true) => {
            if a.cpu {
                alarms.push(format!("cluster nodes: CPU above {} %", a.cpu_threshold));
            }
        }
        (platform, true) => {
            let ecs = matches!(platform, Platform::EcsFargate(_));
            for (name, svc) in &app.services {
                let balanced = ecs && (svc.public.is_some() || svc.internal.is_some());
                if balanced && a.unhealthy_hosts {
                    alarms.push(format!(
                        "{name}: unhealthy targets behind the load balancer"
                    ));
                }
                if a.http_5xx && (balanced || !ecs) {
                    alarms.push(format!("{name}: HTTP 5xx responses"));
                }
                if a.cpu {
                    alarms.push(format!("{name}: CPU above {} %", a.cpu_threshold));
                }
            }
        }
    }
    alarms
}

/// The data refresh from another environment, and (on EKS) how to run it now.
fn data_refresh(s: &Setting) -> Option<RefreshDoc> {
    let prefix = &s.prefix;
    s.env.app.data_refresh.as_ref().map(|r| RefreshDoc {
        from: r.from.clone(),
        database: r.database.clone(),
        schedule: r.schedule.clone(),
        anonymize: r.anonymize,
        image: format!("{}:{}", r.image, r.tag),
        run_now: s.eks.then(|| {
            format!("kubectl create job --from=cronjob/data-refresh data-refresh-now -n {prefix}")
        }),
    })
}

/// How the environment differs from the tier it mirrors: the mirrored tier's environment
/// of the same tenant or instance (else its first), as parity pairs them.
fn mirror(s: &Setting) -> Result<Option<MirrorDoc>, Diagnostics> {
    let tiers = s.tiers;
    let Some(mi) = s
        .tier
        .mirrors
        .as_ref()
        .and_then(|m| tiers.iter().position(|t| &t.name == m))
    else {
        return Ok(None);
    };
    let ids = s.model.environments();
    let theirs: Vec<&EnvironmentId> = ids.iter().filter(|e| e.tier_index() == mi).collect();
    let same = s
        .env
        .instance
        .as_ref()
        .map(|i| format!("{}-{i}", tiers[mi].name));
    let partner = theirs
        .iter()
        .find(|e| same.as_deref() == Some(e.name.as_str()))
        .or(theirs.first());
    let Some(p) = partner else {
        return Ok(None);
    };
    let (_, knobs) = parity::knobs(s.model, p, s.id)?;
    Ok(Some(MirrorDoc {
        tier: tiers[mi].name.clone(),
        environment: p.name.clone(),
        knobs: knobs
            .iter()
            .map(|k| KnobRow {
                path: k.path.clone(),
                kind: k.kind.as_str().into(),
                mirrored: show(&k.a),
                here: show(&k.b),
            })
            .collect(),
        exceptions: s
            .tier
            .exceptions
            .iter()
            .map(|e| ExceptionRow {
                path: e.path.clone(),
                reason: e.reason.clone(),
            })
            .collect(),
        diff: format!(
            "tierform diff {} {} {}",
            shell(&s.o.spec),
            shell(&p.name),
            shell(&s.env.name)
        ),
    }))
}

/// `terraform -chdir=<the environment's folder> <args>`.
fn tfc(s: &Setting, args: &str) -> String {
    format!("terraform -chdir={} {args}", shell(&s.tf))
}

/// The commands the deploy and first-apply steps share.
fn commands(s: &Setting) -> Commands {
    let o = s.o;
    let build = {
        let mut b = format!("tierform build {} --out .", shell(&o.spec));
        if o.k8s_flat {
            b.push_str(" --k8s-layout flat");
        }
        if s.env.ephemeral {
            b.push_str(&format!(" --env {}", shell(&s.env.name)));
        }
        b
    };
    let kubeconfig = format!(
        "aws eks update-kubeconfig --region {} --name \"$({})\"",
        shell(&s.env.app.region),
        tfc(s, "output -raw eks_cluster_name")
    );
    let kubectl_apply = if o.k8s_flat {
        format!("kubectl apply -f {}", shell(&s.k8s))
    } else {
        format!("kubectl apply -k {}", shell(&s.k8s))
    };
    let prefix = &s.prefix;
    Commands {
        build,
        kubeconfig,
        kubectl_apply,
        rollout_status: s
            .env
            .app
            .services
            .keys()
            .map(|svc| format!("kubectl rollout status deployment/{svc} -n {prefix}"))
            .collect(),
        compose_file: format!("{}/docker-compose.yml", s.compose),
    }
}

/// The folders of generated files the environment is applied from.
fn folders(s: &Setting) -> Vec<String> {
    if !s.cloud {
        return vec![format!("{}/", s.compose)];
    }
    let mut folders = vec![format!("{}/", s.tf)];
    if s.eks {
        folders.push(format!("{}/", s.k8s));
    }
    folders
}

/// Kubeconfig, apply the manifests, then wait for every service's rollout.
fn kubernetes_commands(c: &Commands) -> Vec<String> {
    let mut commands = vec![c.kubeconfig.clone(), c.kubectl_apply.clone()];
    commands.extend(c.rollout_status.iter().cloned());
    commands
}

/// A step whose number is set once its list is complete.
fn step(title: impl Into<String>, commands: Vec<String>) -> Step {
    Step {
        number: 0,
        title: title.into(),
        commands,
    }
}

/// Numbers a list of steps from 1.
fn number(steps: &mut [Step]) {
    for (i, step) in steps.iter_mut().enumerate() {
        step.number = i + 1;
    }
}

/// Deploying a change: generate, then apply with Terraform (and kubectl) or docker compose.
fn deploy_steps(s: &Setting, c: &Commands) -> Vec<Step> {
    let mut deploy = vec![step(
        "Generate the files from the spec (commit the spec and the generated files together)",
        vec![c.build.clone(), format!("{} --check", c.build)],
    )];
    if s.cloud {
        deploy.push(step(
            "Plan and apply the infrastructure; read the plan before applying",
            vec![
                tfc(s, "init"),
                tfc(s, "plan -out=tfplan"),
                tfc(s, "apply tfplan"),
            ],
        ));
        if s.eks {
            deploy.push(step(
                "Apply the Kubernetes manifests and wait for the rollout",
                kubernetes_commands(c),
            ));
        }
    } else {
        deploy.push(step(
            "Start (or update) the containers",
            vec![format!(
                "docker compose -f {} up -d",
                shell(&c.compose_file)
            )],
        ));
    }
    deploy
}

/// The first apply in the cloud: what must exist beforehand, then the stages every
/// environment's Terraform also states (output `first_apply`), so that from an empty account
/// secrets hold values and databases have their application user before any service starts.
fn cloud_first_apply(s: &Setting, c: &Commands) -> Vec<Step> {
    let env = s.env;
    let mut first_apply = vec![step(
        format!(
            "The Terraform state bucket {} ({}) must exist, versioned and encrypted; this environment's state is {}",
            env.state_bucket(),
            env.state_region(),
            env.state_key()
        ),
        Vec::new(),
    )];
    let zones: std::collections::BTreeSet<&str> = env
        .app
        .services
        .values()
        .filter_map(|svc| svc.public.as_ref().map(|p| p.zone.as_str()))
        .collect();
    if !zones.is_empty() {
        first_apply.push(step(
            format!(
                "The Route 53 hosted zone(s) {} must exist: the certificates are validated through them during the apply",
                zones
                    .iter()
                    .map(|z| (*z).to_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Vec::new(),
        ));
    }
    first_apply.extend(internal_prerequisites(env));
    first_apply.push(step("Initialise the module", vec![tfc(s, "init")]));
    for stage in tierform_model::first_apply(env) {
        first_apply.extend(first_apply_stage(s, c, stage));
    }
    first_apply
}

/// What internal services need before the apply: the Private CAs issuing their certificates
/// (ACM must be allowed to renew from them), the existing private zones (associated with the
/// VPC) and the existing certificates they name.
fn internal_prerequisites(env: &Environment) -> Vec<Step> {
    let mut cas = std::collections::BTreeSet::new();
    let mut zones = std::collections::BTreeSet::new();
    let mut certificates = std::collections::BTreeSet::new();
    for i in env
        .app
        .services
        .values()
        .filter_map(|s| s.internal.as_ref())
    {
        cas.extend(i.certificate_authority_arn.as_deref());
        zones.extend(i.zone_id.as_deref());
        certificates.extend(i.certificate_arn.as_deref());
    }
    let list =
        |set: &std::collections::BTreeSet<&str>| set.iter().copied().collect::<Vec<_>>().join(", ");
    let mut steps = Vec::new();
    if !cas.is_empty() {
        steps.push(step(
            format!("The AWS Private CA(s) {} must be active, shared with this account if another owns them, and allow ACM to renew (`aws acm-pca create-permission --certificate-authority-arn <CA> --principal acm.amazonaws.com --actions IssueCertificate GetCertificate ListPermissions`)", list(&cas)),
            Vec::new(),
        ));
    }
    if !zones.is_empty() {
        steps.push(step(
            format!("The private hosted zone(s) {} must exist and be associated with this environment's VPC", list(&zones)),
            Vec::new(),
        ));
    }
    if !certificates.is_empty() {
        steps.push(step(
            format!(
                "The ACM certificate(s) {} must be issued for the internal hosts, in this region",
                list(&certificates)
            ),
            Vec::new(),
        ));
    }
    steps
}

/// The steps of one stage of the first apply.
fn first_apply_stage(s: &Setting, c: &Commands, stage: ApplyStage) -> Vec<Step> {
    match stage {
        ApplyStage::Targets { title, addresses } => vec![step(
            title,
            vec![tfc(
                s,
                &format!(
                    "apply {}",
                    addresses
                        .iter()
                        .map(|a| format!("-target={a}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            )],
        )],
        ApplyStage::SetSecrets { names } => vec![step(
            "Set every secret's value, each read from a file only the operator holds (no service has started yet: none reads an empty secret)",
            names
                .iter()
                .map(|id| {
                    let file = id.rsplit('/').next().unwrap_or(id);
                    format!(
                        "aws secretsmanager put-secret-value --region {} --secret-id {} --secret-string file://{}.txt",
                        shell(&s.env.app.region),
                        shell(id),
                        shell(file)
                    )
                })
                .collect(),
        )],
        ApplyStage::CreateDatabaseUsers { users } => users
            .into_iter()
            .map(|u| {
                let l = tierform_model::tf_label(&u.database);
                let mut commands = vec![
                    format!(
                        "# from inside the VPC: host {}",
                        tfc(s, &format!("output -raw database_{l}_endpoint"))
                    ),
                    format!(
                        "# master password: aws secretsmanager get-secret-value --secret-id \"$({})\" (the key password)",
                        tfc(s, &format!("output -raw database_{l}_secret_arn"))
                    ),
                ];
                commands.extend(u.sql.iter().cloned());
                step(
                    format!(
                        "Create the application user {} of database {} once, connected as the master user (services never use the master user: its managed password rotates every 7 days)",
                        u.user, u.database
                    ),
                    commands,
                )
            })
            .collect(),
        ApplyStage::Apply => vec![step(
            "Apply everything else: the services start with their secrets set and their database user in place",
            vec![tfc(s, "apply")],
        )],
        ApplyStage::Kubernetes => vec![step(
            "Deploy the services onto the cluster (the namespace, service accounts, endpoints and add-ons exist now)",
            kubernetes_commands(c),
        )],
        _ => Vec::new(),
    }
}

/// The first start on docker compose: the `.env` file, then the containers.
fn compose_first_apply(s: &Setting, c: &Commands) -> Vec<Step> {
    let compose = &s.compose;
    vec![
        step(
            "Create the .env file beside the compose file from .env.example and fill in every value (never commit it)",
            vec![format!(
                "cp {} {}",
                shell(&format!("{compose}/.env.example")),
                shell(&format!("{compose}/.env"))
            )],
        ),
        step(
            "Start the databases, caches and services",
            vec![format!(
                "docker compose -f {} up -d",
                shell(&c.compose_file)
            )],
        ),
    ]
}

/// Promotion into this tier, onward from it, and rolling it back.
fn promote_doc(s: &Setting) -> PromoteDoc {
    let (o, tier) = (s.o, s.tier);
    let declared = promotable(tier);
    let prefix = &s.prefix;
    PromoteDoc {
        into: s
            .tiers
            .iter()
            .filter(|t| promotable(t) && t.mirrors.as_deref() == Some(tier.name.as_str()))
            .map(|t| promote_cmd(o, &t.name, &tier.name))
            .collect(),
        onward: tier
            .mirrors
            .as_ref()
            .filter(|_| declared)
            .map(|m| promote_cmd(o, &tier.name, m)),
        rollback: declared.then(|| {
            format!(
                "tierform promote {} --to {} --release <git-rev>",
                shell(&o.spec),
                shell(&tier.name)
            )
        }),
        rollout_undo: if s.eks {
            s.env
                .app
                .services
                .keys()
                .map(|svc| format!("kubectl rollout undo deployment/{svc} -n {prefix}"))
                .collect()
        } else {
            Vec::new()
        },
        release_in: if !s.cloud {
            "compose".into()
        } else if s.eks {
            "kubernetes".into()
        } else {
            "terraform".into()
        },
    }
}

/// The context of the index across environments (no environment is resolved for it).
pub fn index_doc(model: &Model, options: &Options) -> IndexDoc {
    let tiers = model.tiers();
    let mut environments: Vec<IndexRow> = model
        .environments()
        .iter()
        .map(|id| {
            let t = &tiers[id.tier_index()];
            IndexRow {
                name: id.name.clone(),
                tier: t.name.clone(),
                runtime: t.runtime.as_str().into(),
                production: t.production,
                mirrors: t.mirrors.clone(),
                runbook: Some(format!("{}.md", id.name)),
            }
        })
        .collect();
    environments.extend(tiers.iter().filter(|t| t.ephemeral).map(|t| IndexRow {
        name: model.copy_template(t),
        tier: t.name.clone(),
        runtime: t.runtime.as_str().into(),
        production: t.production,
        mirrors: t.mirrors.clone(),
        runbook: None,
    }));
    let promotions = tiers
        .iter()
        .filter(|t| promotable(t))
        .filter_map(|t| t.mirrors.as_ref().map(|m| promote_cmd(options, &t.name, m)))
        .collect();
    IndexDoc {
        app: model
            .environments()
            .first()
            .and_then(|id| model.explain(id, &FieldPath::parse("app")).ok())
            .and_then(|p| p.value.as_str().map(str::to_owned))
            .unwrap_or_default(),
        spec: options.spec.clone(),
        environments,
        promotions,
    }
}
