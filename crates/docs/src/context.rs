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
    /// Its public URL, when exposed.
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
    let tier = &tiers[id.tier_index()];
    let o = options;
    let cloud = env.runtime == Runtime::Cloud;
    let eks = cloud && matches!(app.platform, Platform::Eks(_));
    let tf = format!("terraform/{}", env.name);
    let k8s = if o.k8s_flat {
        format!("k8s/{}", env.name)
    } else {
        format!("k8s/overlays/{}", env.name)
    };
    let compose = format!("compose/{}", env.name);
    let prefix = env.prefix();

    let (platform, platform_details) = match (&app.platform, cloud) {
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
    };

    let services = app
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
            url: s
                .public
                .as_ref()
                .filter(|_| cloud)
                .map(|p| format!("https://{}", p.host)),
            health: match (&s.health_check.path, &s.health_check.command) {
                (Some(p), _) => format!("HTTP GET {p}"),
                (None, Some(c)) => c.join(" "),
                (None, None) => "(none)".into(),
            },
            secrets: s.secrets.clone(),
            databases: s.databases.clone(),
            caches: s.caches.clone(),
            calls: s.calls.clone(),
        })
        .collect();

    let databases = app
        .databases
        .iter()
        .map(|(name, d)| DatabaseDoc {
            name: name.clone(),
            engine: format!("{} {}", d.engine.as_str(), d.engine_version),
            size: if cloud {
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
        .collect();

    let caches = app
        .caches
        .iter()
        .map(|(name, c)| CacheDoc {
            name: name.clone(),
            engine: format!("{} {}", c.engine.as_str(), c.engine_version),
            size: if cloud {
                c.node_type.clone()
            } else {
                "container".into()
            },
            nodes: c.nodes,
            automatic_failover: c.automatic_failover,
        })
        .collect();

    let secrets: Vec<SecretDoc> = app
        .secrets
        .iter()
        .map(|(name, s)| {
            // The names the emitters give: `<app>/<env>/<secret>` in Secrets Manager (see
            // tierform-emit-terraform's secrets.tf), the upper-cased name in a local `.env`.
            let var = name.to_ascii_uppercase().replace('-', "_");
            let (store, key, set) = if cloud {
                let id = format!("{}/{}/{name}", app.app, env.name);
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
                description: s.description.clone(),
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
        .collect();

    let ob = &app.observability;
    let observability = vec![
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
            value: if matches!(app.platform, tierform_model::Platform::AppRunner(_)) {
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
    ];
    // The alarms the Terraform emitter creates on each platform.
    let mut alarms = Vec::new();
    let a = &ob.alarms;
    match (&app.platform, cloud) {
        (_, false) => {}
        (Platform::Eks(_), true) => {
            if a.cpu {
                alarms.push(format!("cluster nodes: CPU above {} %", a.cpu_threshold));
            }
        }
        (platform, true) => {
            let ecs = matches!(platform, Platform::EcsFargate(_));
            for (name, s) in &app.services {
                let balanced = ecs && s.public.is_some();
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
    let alarms_notify = ob.alarms.notify.clone().filter(|_| cloud);

    let data_refresh = app.data_refresh.as_ref().map(|r| RefreshDoc {
        from: r.from.clone(),
        database: r.database.clone(),
        schedule: r.schedule.clone(),
        anonymize: r.anonymize,
        image: format!("{}:{}", r.image, r.tag),
        run_now: eks.then(|| {
            format!("kubectl create job --from=cronjob/data-refresh data-refresh-now -n {prefix}")
        }),
    });

    // How the environment differs from the tier it mirrors: the mirrored tier's environment
    // of the same tenant or instance (else its first), as parity pairs them.
    let ids = model.environments();
    let mirror = match tier
        .mirrors
        .as_ref()
        .and_then(|m| tiers.iter().position(|t| &t.name == m))
    {
        Some(mi) => {
            let theirs: Vec<&EnvironmentId> = ids.iter().filter(|e| e.tier_index() == mi).collect();
            let same = env
                .instance
                .as_ref()
                .map(|i| format!("{}-{i}", tiers[mi].name));
            let partner = theirs
                .iter()
                .find(|e| same.as_deref() == Some(e.name.as_str()))
                .or(theirs.first());
            match partner {
                Some(p) => {
                    let (_, knobs) = parity::knobs(model, p, id)?;
                    Some(MirrorDoc {
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
                        exceptions: tier
                            .exceptions
                            .iter()
                            .map(|e| ExceptionRow {
                                path: e.path.clone(),
                                reason: e.reason.clone(),
                            })
                            .collect(),
                        diff: format!(
                            "tierform diff {} {} {}",
                            shell(&o.spec),
                            shell(&p.name),
                            shell(&env.name)
                        ),
                    })
                }
                None => None,
            }
        }
        None => None,
    };
    let mirrored_by: Vec<String> = tiers
        .iter()
        .filter(|t| t.mirrors.as_deref() == Some(tier.name.as_str()))
        .map(|t| t.name.clone())
        .collect();

    let build = {
        let mut b = format!("tierform build {} --out .", shell(&o.spec));
        if o.k8s_flat {
            b.push_str(" --k8s-layout flat");
        }
        if env.ephemeral {
            b.push_str(&format!(" --env {}", shell(&env.name)));
        }
        b
    };
    let tfc = |args: &str| format!("terraform -chdir={} {args}", shell(&tf));
    let kubeconfig = format!(
        "aws eks update-kubeconfig --region {} --name \"$({})\"",
        shell(&app.region),
        tfc("output -raw eks_cluster_name")
    );
    let kubectl_apply = if o.k8s_flat {
        format!("kubectl apply -f {}", shell(&k8s))
    } else {
        format!("kubectl apply -k {}", shell(&k8s))
    };
    let rollout_status: Vec<String> = app
        .services
        .keys()
        .map(|s| format!("kubectl rollout status deployment/{s} -n {prefix}"))
        .collect();
    let compose_file = format!("{compose}/docker-compose.yml");

    let mut folders = Vec::new();
    let mut deploy = vec![Step {
        number: 0,
        title:
            "Generate the files from the spec (commit the spec and the generated files together)"
                .into(),
        commands: vec![build.clone(), format!("{build} --check")],
    }];
    let mut first_apply = Vec::new();
    if cloud {
        folders.push(format!("{tf}/"));
        if eks {
            folders.push(format!("{k8s}/"));
        }
        deploy.push(Step {
            number: 0,
            title: "Plan and apply the infrastructure; read the plan before applying".into(),
            commands: vec![tfc("init"), tfc("plan -out=tfplan"), tfc("apply tfplan")],
        });
        if eks {
            let mut c = vec![kubeconfig.clone(), kubectl_apply.clone()];
            c.extend(rollout_status.iter().cloned());
            deploy.push(Step {
                number: 0,
                title: "Apply the Kubernetes manifests and wait for the rollout".into(),
                commands: c,
            });
        }
        first_apply.push(Step {
            number: 0,
            title: format!(
                "The Terraform state bucket {} ({}) must exist, versioned and encrypted; this environment's state is {}",
                env.state_bucket(),
                env.state_region(),
                env.state_key()
            ),
            commands: Vec::new(),
        });
        // The stages every environment's Terraform also states (output `first_apply`): from an
        // empty account, secrets hold values and databases have their application user before
        // any service starts.
        let zones: std::collections::BTreeSet<&str> = app
            .services
            .values()
            .filter_map(|s| s.public.as_ref().map(|p| p.zone.as_str()))
            .collect();
        if !zones.is_empty() {
            first_apply.push(Step {
                number: 0,
                title: format!(
                    "The Route 53 hosted zone(s) {} must exist: the certificates are validated through them during the apply",
                    zones
                        .iter()
                        .map(|z| (*z).to_owned())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                commands: Vec::new(),
            });
        }
        first_apply.push(Step {
            number: 0,
            title: "Initialise the module".into(),
            commands: vec![tfc("init")],
        });
        for stage in tierform_model::first_apply(env) {
            match stage {
                ApplyStage::Targets { title, addresses } => first_apply.push(Step {
                    number: 0,
                    title,
                    commands: vec![tfc(&format!(
                        "apply {}",
                        addresses
                            .iter()
                            .map(|a| format!("-target={a}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    ))],
                }),
                ApplyStage::SetSecrets { names } => first_apply.push(Step {
                    number: 0,
                    title: "Set every secret's value, each read from a file only the operator holds (no service has started yet: none reads an empty secret)".into(),
                    commands: names
                        .iter()
                        .map(|id| {
                            let file = id.rsplit('/').next().unwrap_or(id);
                            format!(
                                "aws secretsmanager put-secret-value --region {} --secret-id {} --secret-string file://{}.txt",
                                shell(&app.region),
                                shell(id),
                                shell(file)
                            )
                        })
                        .collect(),
                }),
                ApplyStage::CreateDatabaseUsers { users } => {
                    for u in users {
                        let l = tierform_model::tf_label(&u.database);
                        let mut commands = vec![
                            format!("# from inside the VPC: host {}", tfc(&format!("output -raw database_{l}_endpoint"))),
                            format!(
                                "# master password: aws secretsmanager get-secret-value --secret-id \"$({})\" (the key password)",
                                tfc(&format!("output -raw database_{l}_secret_arn"))
                            ),
                        ];
                        commands.extend(u.sql.iter().cloned());
                        first_apply.push(Step {
                            number: 0,
                            title: format!(
                                "Create the application user {} of database {} once, connected as the master user (services never use the master user: its managed password rotates every 7 days)",
                                u.user, u.database
                            ),
                            commands,
                        });
                    }
                }
                ApplyStage::Apply => first_apply.push(Step {
                    number: 0,
                    title: "Apply everything else: the services start with their secrets set and their database user in place".into(),
                    commands: vec![tfc("apply")],
                }),
                ApplyStage::Kubernetes => {
                    let mut c = vec![kubeconfig.clone(), kubectl_apply.clone()];
                    c.extend(rollout_status.iter().cloned());
                    first_apply.push(Step {
                        number: 0,
                        title: "Deploy the services onto the cluster (the namespace, service accounts, endpoints and add-ons exist now)".into(),
                        commands: c,
                    });
                }
                _ => {}
            }
        }
    } else {
        folders.push(format!("{compose}/"));
        deploy.push(Step {
            number: 0,
            title: "Start (or update) the containers".into(),
            commands: vec![format!("docker compose -f {} up -d", shell(&compose_file))],
        });
        first_apply.push(Step {
            number: 0,
            title: "Create the .env file beside the compose file from .env.example and fill in every value (never commit it)".into(),
            commands: vec![format!(
                "cp {} {}",
                shell(&format!("{compose}/.env.example")),
                shell(&format!("{compose}/.env"))
            )],
        });
        first_apply.push(Step {
            number: 0,
            title: "Start the databases, caches and services".into(),
            commands: vec![format!("docker compose -f {} up -d", shell(&compose_file))],
        });
    }

    for list in [&mut deploy, &mut first_apply] {
        for (i, step) in list.iter_mut().enumerate() {
            step.number = i + 1;
        }
    }
    let declared = promotable(tier);
    let promote = PromoteDoc {
        into: tiers
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
        rollout_undo: if eks {
            app.services
                .keys()
                .map(|s| format!("kubectl rollout undo deployment/{s} -n {prefix}"))
                .collect()
        } else {
            Vec::new()
        },
        release_in: if !cloud {
            "compose".into()
        } else if eks {
            "kubernetes".into()
        } else {
            "terraform".into()
        },
    };

    Ok(EnvironmentDoc {
        app: app.app.clone(),
        name: env.name.clone(),
        tier: env.tier.clone(),
        instance: env.instance.clone(),
        production: env.production,
        ephemeral: env.ephemeral,
        runtime: env.runtime.as_str().into(),
        region: app.region.clone(),
        prefix,
        spec: o.spec.clone(),
        platform,
        platform_details,
        folders,
        state: cloud.then(|| {
            format!(
                "s3://{}/{} ({})",
                env.state_bucket(),
                env.state_key(),
                env.state_region()
            )
        }),
        services,
        databases,
        caches,
        secrets,
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
        observability,
        alarms,
        alarms_notify,
        data_refresh,
        mirror,
        mirrored_by,
        deploy,
        first_apply,
        promote,
    })
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
        name: format!("{}-<id>", t.name),
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
