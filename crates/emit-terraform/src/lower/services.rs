//! `services.tf`: the services themselves. On ECS Fargate a task definition and a service per
//! spec service (private subnets, behind its target group when public, autoscaling on CPU); on
//! App Runner a service, its VPC connector and its auto-scaling configuration. On EKS the
//! services are Kubernetes workloads, emitted by the Kubernetes emitter.
//!
//! Connection settings are wired, not hand-typed: every service gets the host, port, name
//! and user of its databases, the URL of its caches, the log level, the feature flags and the
//! external-service modes as environment variables, and its secrets as Secrets Manager ARNs.

use hcl::Expression;
use tierform_model::env_var_name;
use tierform_model::wiring;
use tierform_model::{Autoscaling, Platform, Service};

use super::cache::user_label;
use super::iam::workload_role;
use super::secrets::db_app_secret_label;
use super::security::CACHE_PORT;
use super::{service_sg, tags, Cx};
use crate::expr::{interp, jsonencode, list, lit, object, res, strings, template, var};
use crate::module::{Module, TfFile, B};
use crate::names::{label, limit};

/// The environment of a service: plain variables and secret references, by variable name.
pub(crate) struct Wiring {
    pub env: Vec<(String, Expression)>,
    pub secrets: Vec<(String, Expression)>,
}

/// Everything a service is told about its environment.
pub(crate) fn wiring(cx: &Cx, name: &str, svc: &Service) -> Wiring {
    let app = cx.app;
    // The same configuration every platform gets, so a variable the service sets itself
    // (even LOG_LEVEL) appears once.
    let mut env: Vec<(String, Expression)> = app
        .service_config(svc)
        .into_iter()
        .map(|(k, v)| (k, Expression::from(v)))
        .collect();
    let mut secrets: Vec<(String, Expression)> = Vec::new();
    for db in &svc.databases {
        let Some(d) = app.databases.get(db) else {
            continue;
        };
        let p = env_var_name(db);
        let l = label(db);
        env.push((
            format!("{p}_DB_HOST"),
            res("aws_db_instance", &l, "address"),
        ));
        env.push((format!("{p}_DB_PORT"), d.engine.port().to_string().into()));
        env.push((format!("{p}_DB_NAME"), d.name_on_instance(&app.app).into()));
        // The application user, never the master user (whose RDS-managed password rotates
        // every 7 days while a service reads it only at start). With IAM authentication the
        // service signs a token with its role (`rds-db:connect` for exactly this user);
        // otherwise the user's password is its own secret.
        env.push((format!("{p}_DB_USER"), d.app_user(&app.app).into()));
        if d.iam_auth {
            env.push((format!("{p}_DB_AUTH"), "iam".into()));
        } else {
            secrets.push((
                format!("{p}_DB_PASSWORD"),
                res("aws_secretsmanager_secret", &db_app_secret_label(db), "arn"),
            ));
        }
        // The URL and connection-string forms, when the spec names them: host, port, name
        // and user, never the password (a secret reference, or none with IAM auth).
        for form in [wiring::DB_URL, wiring::DB_CONNECTION_STRING] {
            if svc.wants_db_form(db, form) {
                let (before, after) = wiring::db_form(
                    d,
                    form,
                    &d.app_user(&app.app),
                    &d.name_on_instance(&app.app),
                );
                env.push((
                    format!("{p}_DB_{form}"),
                    template([
                        lit(before),
                        interp(res("aws_db_instance", &l, "address")),
                        lit(after),
                    ]),
                ));
            }
        }
    }
    for cache in &svc.caches {
        let Some(c) = app.caches.get(cache) else {
            continue;
        };
        let scheme = if c.transit_encryption {
            "rediss"
        } else {
            "redis"
        };
        let host = res(
            "aws_elasticache_replication_group",
            &label(cache),
            "primary_endpoint_address",
        );
        let p = env_var_name(cache);
        env.push((
            format!("{p}_CACHE_URL"),
            template([
                lit(format!("{scheme}://")),
                interp(host),
                lit(format!(":{CACHE_PORT}")),
            ]),
        ));
        // The default user is off: the service logs in as its own IAM-authenticated user,
        // with a token signed for that user id and the replication group's id.
        env.push((
            format!("{p}_CACHE_USER"),
            res("aws_elasticache_user", &user_label(cache, name), "user_id"),
        ));
        env.push((
            format!("{p}_CACHE_NAME"),
            res(
                "aws_elasticache_replication_group",
                &label(cache),
                "replication_group_id",
            ),
        ));
        env.push((format!("{p}_CACHE_AUTH"), "iam".into()));
    }
    for s in &svc.secrets {
        secrets.push((
            env_var_name(s),
            res("aws_secretsmanager_secret", &label(s), "arn"),
        ));
    }
    env.extend(super::storage::wiring(app, svc));
    env.extend(service_urls(cx, svc));
    // The application's own names (`env_names`); validation keeps them unique.
    let rename = |(k, v): (String, Expression)| (svc.env_name(&k), v);
    Wiring {
        env: env.into_iter().map(rename).collect(),
        secrets: secrets.into_iter().map(rename).collect(),
    }
}

/// `<CALLEE>_SERVICE_URL` of each service `svc` calls. On ECS Fargate the callee's Service
/// Connect alias (`http://<name>:<port>`, resolved by the caller's Service Connect proxy); App
/// Runner names its services' HTTPS endpoints itself (validation refuses call cycles), and a
/// private callee answers at its private endpoint's domain, inside the VPC.
fn service_urls(cx: &Cx, svc: &Service) -> Vec<(String, Expression)> {
    if !matches!(cx.app.platform, Platform::AppRunner(_)) {
        return wiring::service_urls(cx.app, svc)
            .into_iter()
            .map(|(var, url)| (var, url.into()))
            .collect();
    }
    svc.calls
        .iter()
        .filter_map(|callee| Some((callee, cx.app.services.get(callee)?)))
        .map(|(callee, target)| {
            let host = super::internal::app_runner_url_host(callee, target);
            let url = template([lit("https://"), interp(host)]);
            (wiring::service_url_var(callee), url)
        })
        .collect()
}

/// The name of a called service's port in its task definition and Service Connect.
const PORT_NAME: &str = "http";

/// Whether services call each other: on ECS they then join the environment's Service Connect
/// namespace (`platform.tf`).
pub(crate) fn connects(cx: &Cx) -> bool {
    cx.app.services.values().any(|s| calls_any(cx, s))
}

/// Whether `svc` calls a declared service.
fn calls_any(cx: &Cx, svc: &Service) -> bool {
    svc.calls.iter().any(|c| cx.app.services.contains_key(c))
}

/// Whether another service calls `name`.
fn is_called(cx: &Cx, name: &str) -> bool {
    cx.app
        .services
        .values()
        .any(|s| s.calls.iter().any(|c| c == name))
}

/// ECS Service Connect of a service that calls or is called: a caller gets the proxy that
/// resolves its callees' aliases; a callee is published under its own name and port, the
/// address its callers' `<NAME>_SERVICE_URL` holds. Traffic still needs the security group
/// rules `calls` opens (the proxy listens on the container's port).
fn service_connect(cx: &Cx, name: &str, svc: &Service) -> Option<B> {
    let called = is_called(cx, name);
    if !called && !calls_any(cx, svc) {
        return None;
    }
    let mut b = B::new("service_connect_configuration")
        .attr("enabled", true)
        .attr(
            "namespace",
            res("aws_service_discovery_http_namespace", "main", "arn"),
        );
    if called {
        b = b.block(
            B::new("service")
                .attr("port_name", PORT_NAME)
                .attr("discovery_name", name)
                .block(
                    B::new("client_alias")
                        .attr("port", svc.port)
                        .attr("dns_name", name),
                ),
        );
    }
    Some(b)
}

/// The image reference: by digest when the spec pins one, else by tag.
fn image(svc: &Service) -> String {
    match &svc.digest {
        Some(d) => format!("{}@{d}", svc.image),
        None => format!("{}:{}", svc.image, svc.tag),
    }
}

pub(crate) fn lower(cx: &Cx, m: &mut Module) {
    match &cx.app.platform {
        Platform::EcsFargate(_) => {
            for (name, svc) in &cx.app.services {
                ecs_service(cx, m, name, svc);
            }
        }
        Platform::AppRunner(ar) => {
            for (name, svc) in &cx.app.services {
                app_runner_service(cx, m, name, svc, ar.auto_deploy);
            }
        }
        Platform::Eks(_) => {}
    }
}

/// Fargate's CPU units (1024 per vCPU) and memory (MiB) for a request: the smallest valid
/// combination that covers it.
pub(crate) fn fargate_size(millicores: u32, mib: u32) -> (u32, u32) {
    // (cpu units, lowest memory, highest memory, step)
    const SIZES: [(u32, u32, u32, u32); 7] = [
        (256, 512, 2048, 512),
        (512, 1024, 4096, 1024),
        (1024, 2048, 8192, 1024),
        (2048, 4096, 16384, 1024),
        (4096, 8192, 30720, 1024),
        (8192, 16384, 61440, 4096),
        (16384, 32768, 122_880, 8192),
    ];
    let units = millicores.saturating_mul(1024).div_ceil(1000);
    for (cpu, lo, hi, step) in SIZES {
        if units <= cpu && mib <= hi {
            let mem = if mib <= lo {
                lo
            } else {
                lo + (mib - lo).div_ceil(step) * step
            };
            // A size whose memory range starts at 512 allows 512, 1024, 2048 only.
            let mem = if cpu == 256 && mem == 1536 { 2048 } else { mem };
            return (cpu, mem);
        }
    }
    (16384, 122_880)
}

fn ecs_service(cx: &Cx, m: &mut Module, name: &str, svc: &Service) {
    task_definition(cx, m, name, svc);
    service(cx, m, name, svc);
    if let Some(a) = &svc.autoscaling {
        autoscaling(cx, m, name, a);
    }
}

/// The service's one container: image, port, wiring, health check and logs.
fn container(cx: &Cx, name: &str, svc: &Service) -> Expression {
    let l = label(name);
    let w = wiring(cx, name, svc);
    let name_value =
        |(k, v): (String, Expression)| object([("name", Expression::from(k)), ("value", v)]);
    let mut container = vec![
        ("name", Expression::from(name)),
        ("image", image(svc).into()),
        ("essential", true.into()),
        ("readonlyRootFilesystem", true.into()),
        ("portMappings", list([port_mapping(cx, name, svc)])),
    ];
    if let Some(cmd) = &svc.command {
        container.push(("command", strings(cmd)));
    }
    container.push(("environment", list(w.env.into_iter().map(name_value))));
    container.push((
        "secrets",
        list(
            w.secrets
                .into_iter()
                .map(|(k, v)| object([("name", Expression::from(k)), ("valueFrom", v)])),
        ),
    ));
    // A read-only root file system still needs a writable /tmp.
    container.push((
        "mountPoints",
        list([object([
            ("sourceVolume", "tmp".into()),
            ("containerPath", "/tmp".into()),
            ("readOnly", false.into()),
        ])]),
    ));
    if let Some(cmd) = &svc.health_check.command {
        let mut command = vec!["CMD".to_owned()];
        command.extend(cmd.iter().cloned());
        container.push((
            "healthCheck",
            object([
                ("command", strings(&command)),
                ("interval", svc.health_check.interval().into()),
                ("timeout", svc.health_check.timeout.into()),
                ("retries", svc.health_check.unhealthy_threshold.into()),
            ]),
        ));
    }
    container.push((
        "logConfiguration",
        object([
            ("logDriver", Expression::from("awslogs")),
            (
                "options",
                object([
                    (
                        "awslogs-group",
                        res("aws_cloudwatch_log_group", &format!("service_{l}"), "name"),
                    ),
                    ("awslogs-region", cx.app.region.as_str().into()),
                    ("awslogs-stream-prefix", name.into()),
                ]),
            ),
        ]),
    ));
    object(container)
}

/// The container's port; named for Service Connect when another service calls it.
fn port_mapping(cx: &Cx, name: &str, svc: &Service) -> Expression {
    let mut mapping = vec![
        ("containerPort", svc.port.into()),
        ("protocol", "tcp".into()),
    ];
    if is_called(cx, name) {
        mapping.push(("name", PORT_NAME.into()));
        mapping.push(("appProtocol", "http".into()));
    }
    object(mapping)
}

/// The task definition: Fargate, the service's size and roles, a writable /tmp.
fn task_definition(cx: &Cx, m: &mut Module, name: &str, svc: &Service) {
    let c = format!("service {name}");
    let l = label(name);
    let (cpu, memory) = fargate_size(svc.cpu, svc.memory);
    m.push(
        TfFile::Services,
        &c,
        B::resource("aws_ecs_task_definition", &l)
            .attr("family", cx.name(name, 255))
            .attr("network_mode", "awsvpc")
            .attr("requires_compatibilities", strings(["FARGATE"]))
            .attr("cpu", cpu.to_string())
            .attr("memory", memory.to_string())
            .attr(
                "execution_role_arn",
                res("aws_iam_role", &format!("{l}_execution"), "arn"),
            )
            .attr(
                "task_role_arn",
                res("aws_iam_role", &workload_role(cx, name), "arn"),
            )
            .block(
                B::new("runtime_platform")
                    .attr("operating_system_family", "LINUX")
                    .attr("cpu_architecture", "X86_64"),
            )
            .block(B::new("volume").attr("name", "tmp"))
            .attr(
                "container_definitions",
                jsonencode(list([container(cx, name, svc)])),
            )
            .attr("tags", tags(cx.name(name, 255))),
    );
}

/// The ECS service: private subnets, circuit breaker, behind the load balancer when public.
fn service(cx: &Cx, m: &mut Module, name: &str, svc: &Service) {
    let c = format!("service {name}");
    let l = label(name);
    let desired = svc.autoscaling.as_ref().map_or(svc.replicas, |a| a.min);
    let mut service = B::resource("aws_ecs_service", &l)
        .attr("name", cx.name(name, 255))
        .attr("cluster", res("aws_ecs_cluster", "main", "id"))
        .attr("task_definition", res("aws_ecs_task_definition", &l, "arn"))
        .attr("desired_count", desired)
        .attr("launch_type", "FARGATE")
        .attr("platform_version", "LATEST")
        .attr("propagate_tags", "SERVICE")
        .attr("enable_execute_command", false)
        .block(
            B::new("network_configuration")
                .attr("subnets", cx.private_subnets())
                .attr(
                    "security_groups",
                    list([res("aws_security_group", &service_sg(name), "id")]),
                )
                .attr("assign_public_ip", false),
        )
        .block(
            B::new("deployment_circuit_breaker")
                .attr("enable", true)
                .attr("rollback", true),
        );
    let facing = super::loadbalancer::Facing::of(svc);
    if facing.is_some() {
        service = service.block(
            B::new("load_balancer")
                .attr("target_group_arn", res("aws_lb_target_group", &l, "arn"))
                .attr("container_name", name)
                .attr("container_port", svc.port),
        );
    }
    if let Some(connect) = service_connect(cx, name, svc) {
        service = service.block(connect);
    }
    if svc.autoscaling.is_some() {
        // The autoscaler owns the count once the service exists.
        service = service
            .block(B::new("lifecycle").attr("ignore_changes", list([var("desired_count").into()])));
    }
    service = service.attr("tags", tags(cx.name(name, 255)));
    if let Some(facing) = facing {
        service = service.attr(
            "depends_on",
            list([var("aws_lb_listener").attr(facing.listener()).into()]),
        );
    }
    m.push(TfFile::Services, &c, service);
}

/// The autoscaling target and its CPU target-tracking policy.
fn autoscaling(cx: &Cx, m: &mut Module, name: &str, a: &Autoscaling) {
    let c = format!("service {name}");
    let l = label(name);
    m.push(
        TfFile::Services,
        &c,
        B::resource("aws_appautoscaling_target", &l)
            .attr("service_namespace", "ecs")
            .attr("scalable_dimension", "ecs:service:DesiredCount")
            .attr(
                "resource_id",
                template([
                    lit("service/"),
                    interp(res("aws_ecs_cluster", "main", "name")),
                    lit("/"),
                    interp(res("aws_ecs_service", &l, "name")),
                ]),
            )
            .attr("min_capacity", a.min)
            .attr("max_capacity", a.max),
    );
    m.push(
        TfFile::Services,
        &c,
        B::resource("aws_appautoscaling_policy", &format!("{l}_cpu"))
            .attr("name", cx.name(&format!("{name}-cpu"), 255))
            .attr("policy_type", "TargetTrackingScaling")
            .attr(
                "service_namespace",
                res("aws_appautoscaling_target", &l, "service_namespace"),
            )
            .attr(
                "scalable_dimension",
                res("aws_appautoscaling_target", &l, "scalable_dimension"),
            )
            .attr(
                "resource_id",
                res("aws_appautoscaling_target", &l, "resource_id"),
            )
            .block(
                B::new("target_tracking_scaling_policy_configuration")
                    .attr("target_value", a.target_cpu())
                    .block(
                        B::new("predefined_metric_specification")
                            .attr("predefined_metric_type", "ECSServiceAverageCPUUtilization"),
                    ),
            ),
    );
}

/// App Runner's CPU units and memory (MiB) for a request: the smallest offered size that
/// covers it.
pub(crate) fn app_runner_size(millicores: u32, mib: u32) -> (u32, u32) {
    const SIZES: [(u32, &[u32]); 5] = [
        (256, &[512, 1024]),
        (512, &[1024]),
        (1024, &[2048, 3072, 4096]),
        (2048, &[4096]),
        (4096, &[8192, 10240, 12288]),
    ];
    let units = millicores.saturating_mul(1024).div_ceil(1000);
    for (cpu, mems) in SIZES {
        if units <= cpu {
            if let Some(mem) = mems.iter().find(|m| **m >= mib) {
                return (cpu, *mem);
            }
        }
    }
    (4096, 12288)
}

fn app_runner_service(cx: &Cx, m: &mut Module, name: &str, svc: &Service, auto_deploy: bool) {
    let c = format!("service {name}");
    let l = label(name);
    let w = wiring(cx, name, svc);
    let (cpu, memory) = app_runner_size(svc.cpu, svc.memory);
    m.push(
        TfFile::Services,
        &c,
        B::resource("aws_apprunner_vpc_connector", &l)
            .attr("vpc_connector_name", cx.name(name, limit::CACHE))
            .attr("subnets", cx.private_subnets())
            .attr(
                "security_groups",
                list([res("aws_security_group", &service_sg(name), "id")]),
            )
            .attr("tags", tags(cx.name(name, limit::CACHE))),
    );
    let (min, max) = svc
        .autoscaling
        .as_ref()
        .map_or((svc.replicas, svc.replicas), |a| (a.min, a.max));
    m.push(
        TfFile::Services,
        &c,
        B::resource("aws_apprunner_auto_scaling_configuration_version", &l)
            .attr("auto_scaling_configuration_name", cx.name(name, limit::LB))
            .attr("min_size", min.max(1))
            .attr("max_size", max.max(1))
            .attr("max_concurrency", 100)
            .attr("tags", tags(cx.name(name, limit::LB))),
    );
    let public_ecr = svc.image.starts_with("public.ecr.aws/");
    let mut image_config = B::new("image_configuration").attr("port", svc.port.to_string());
    if let Some(cmd) = &svc.command {
        image_config = image_config.attr("start_command", cmd.join(" "));
    }
    image_config = image_config
        .attr("runtime_environment_variables", object(w.env))
        .attr("runtime_environment_secrets", object(w.secrets));
    let source = B::new("source_configuration")
        .attr("auto_deployments_enabled", auto_deploy)
        .when(!public_ecr, |b| {
            b.block(B::new("authentication_configuration").attr(
                "access_role_arn",
                res("aws_iam_role", "apprunner_ecr_access", "arn"),
            ))
        })
        .block(
            B::new("image_repository")
                .attr("image_identifier", image(svc))
                .attr(
                    "image_repository_type",
                    if public_ecr { "ECR_PUBLIC" } else { "ECR" },
                )
                .block(image_config),
        );
    let hc = &svc.health_check;
    // App Runner accepts 1-20 for each of these; validation refuses other values.
    let health = B::new("health_check_configuration")
        .attr("protocol", if hc.path.is_some() { "HTTP" } else { "TCP" })
        .attr_opt("path", hc.path.as_deref())
        .attr("interval", hc.interval_on(&cx.app.platform))
        .attr("timeout", hc.timeout)
        .attr("healthy_threshold", hc.healthy_threshold)
        .attr("unhealthy_threshold", hc.unhealthy_threshold);
    m.push(
        TfFile::Services,
        &c,
        B::resource("aws_apprunner_service", &l)
            .attr("service_name", cx.name(name, limit::CACHE))
            .attr(
                "auto_scaling_configuration_arn",
                res(
                    "aws_apprunner_auto_scaling_configuration_version",
                    &l,
                    "arn",
                ),
            )
            .block(source)
            .block(
                B::new("instance_configuration")
                    .attr("cpu", cpu.to_string())
                    .attr("memory", memory.to_string())
                    .attr(
                        "instance_role_arn",
                        res("aws_iam_role", &workload_role(cx, name), "arn"),
                    ),
            )
            .block(health)
            .block(
                B::new("network_configuration")
                    .block(
                        B::new("egress_configuration")
                            .attr("egress_type", "VPC")
                            .attr(
                                "vpc_connector_arn",
                                res("aws_apprunner_vpc_connector", &l, "arn"),
                            ),
                    )
                    // An internal service answers only at its private endpoint.
                    .block(B::new("ingress_configuration").attr(
                        "is_publicly_accessible",
                        svc.public.is_some() || svc.internal.is_none(),
                    )),
            )
            .block(B::new("encryption_configuration").attr("kms_key", cx.kms_arn()))
            .attr("tags", tags(cx.name(name, limit::CACHE))),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fargate_sizes_are_valid_combinations() {
        assert_eq!(fargate_size(250, 512), (256, 512));
        assert_eq!(
            fargate_size(256, 512),
            (512, 1024),
            "256 millicores are 262 units"
        );
        assert_eq!(fargate_size(500, 1024), (512, 1024));
        assert_eq!(fargate_size(250, 1500), (256, 2048));
        assert_eq!(fargate_size(1000, 2048), (1024, 2048));
        assert_eq!(fargate_size(1000, 3000), (1024, 3072));
        assert_eq!(
            fargate_size(250, 6000),
            (1024, 6144),
            "memory drives the size up"
        );
        assert_eq!(fargate_size(64_000, 1), (16384, 122_880));
    }

    #[test]
    fn app_runner_sizes_are_offered_combinations() {
        assert_eq!(
            app_runner_size(500, 1024),
            (512, 1024),
            "seed 004 staging: 0.5 vCPU / 1 GB"
        );
        assert_eq!(
            app_runner_size(1000, 2048),
            (1024, 2048),
            "seed 004 production: 1 vCPU / 2 GB"
        );
        assert_eq!(app_runner_size(250, 2048), (1024, 2048));
        assert_eq!(app_runner_size(250, 512), (256, 512));
    }
}
