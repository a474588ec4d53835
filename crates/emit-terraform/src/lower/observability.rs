//! `observability.tf`: CloudWatch log groups with the tier's retention, encrypted with the
//! environment's key; the Container Insights performance log group (where ECS and EKS keep
//! their metrics) with `metrics_retention_days` when `metrics` is on; an X-Ray group of the
//! environment's traces when `tracing` is on; the metric alarms the tier asks for (unhealthy
//! hosts, 5xx, CPU) on every platform, notifying `observability.alarms.notify` (an SNS topic
//! ARN, or a channel name for which an encrypted topic is created here); and one dashboard with
//! the services' golden signals.
//!
//! A public service on ECS Fargate or EKS is watched on its target group of the load balancer
//! `loadbalancer.tf` creates (`UnHealthyHostCount`, `HTTPCode_Target_5XX_Count`; dimensions
//! `TargetGroup` and `LoadBalancer` of those very resources), by one builder for both
//! platforms; App Runner by its service's metrics; an EKS service without a public host by
//! Container Insights (no running pod).

use hcl::Expression;
use tierform_model::Platform;

use super::loadbalancer::Facing;
use super::{tags, Cx};
use crate::expr::{call, jsonencode, list, object, res, var};
use crate::module::{Module, TfFile, B};
use crate::names::label;

pub(crate) fn lower(cx: &Cx, m: &mut Module) {
    // The flow logs of a VPC tierform creates (an existing one's are its owner's).
    if cx.app.network.existing.is_none() {
        log_group(
            cx,
            m,
            "network",
            "flow_logs",
            format!("/aws/vpc/{}/flow-logs", cx.prefix),
        );
    }
    // The data refresh's task, on ECS Fargate and App Runner (EKS: the CronJob's pods).
    if super::refresh::refresh(cx).is_some() {
        log_group(
            cx,
            m,
            super::refresh::C,
            super::refresh::L,
            format!("/ecs/{}/data-refresh", cx.prefix),
        );
    }
    match &cx.app.platform {
        Platform::EcsFargate(_) => {
            for name in cx.app.services.keys() {
                log_group(
                    cx,
                    m,
                    &format!("service {name}"),
                    &format!("service_{}", label(name)),
                    format!("/ecs/{}/{name}", cx.prefix),
                );
            }
            waf_log_group(cx, m);
        }
        Platform::Eks(_) => {
            // EKS writes here; creating it first gives it retention and encryption.
            log_group(
                cx,
                m,
                "platform",
                "eks",
                format!("/aws/eks/{}/cluster", cx.prefix),
            );
            waf_log_group(cx, m);
        }
        // App Runner creates its own log groups, named after the service's generated id.
        Platform::AppRunner(_) => {}
    }
    metrics(cx, m);
    tracing(cx, m);
    topic(cx, m);
    alarms(cx, m);
    dashboard(cx, m);
}

/// The WAF's request log, where the internet-facing load balancer has one (ECS and EKS with
/// public services).
fn waf_log_group(cx: &Cx, m: &mut Module) {
    if super::loadbalancer::has(cx, Facing::Internet) {
        // WAF only logs to groups whose names start with `aws-waf-logs-`.
        log_group(
            cx,
            m,
            "load balancer",
            "waf",
            format!("aws-waf-logs-{}", cx.prefix),
        );
    }
}

/// Container Insights writes its performance events (the metrics' source) to a log group per
/// cluster; created here, it keeps them `metrics_retention_days`. App Runner's metrics are
/// CloudWatch metrics, whose retention AWS fixes.
fn metrics(cx: &Cx, m: &mut Module) {
    let o = &cx.app.observability;
    if !o.metrics {
        return;
    }
    let name = match &cx.app.platform {
        Platform::EcsFargate(f) if f.container_insights => {
            format!("/aws/ecs/containerinsights/{}/performance", cx.prefix)
        }
        Platform::Eks(_) => format!("/aws/containerinsights/{}/performance", cx.prefix),
        _ => return,
    };
    retained_group(
        cx,
        m,
        "metrics",
        name,
        o.metrics_retention_days(),
        "metrics_retention_days",
    );
}

/// An X-Ray group selecting this environment's traces (services annotate `environment`), with
/// X-Ray Insights on. X-Ray keeps traces 30 days, a retention AWS fixes.
fn tracing(cx: &Cx, m: &mut Module) {
    let o = &cx.app.observability;
    if !o.tracing {
        return;
    }
    m.push(
        TfFile::Observability,
        "tracing",
        B::resource("aws_xray_group", "main")
            // X-Ray takes 32 characters; cut by Terraform so the written name stays whole
            // (parity reads the environment's name in it).
            .attr(
                "group_name",
                call(
                    "substr",
                    [
                        Expression::from(format!("{}-traces", cx.prefix)),
                        Expression::from(0u64),
                        Expression::from(32u64),
                    ],
                ),
            )
            .attr(
                "filter_expression",
                format!("annotation.environment = \"{}\"", cx.prefix),
            )
            .block(
                B::new("insights_configuration")
                    .attr("insights_enabled", true)
                    .attr("notifications_enabled", false),
            )
            .attr("tags", tags(cx.name("traces", 255))),
    );
}

fn retained_group(cx: &Cx, m: &mut Module, l: &str, name: String, days: u32, field: &str) {
    m.push(
        TfFile::Observability,
        l,
        B::resource("aws_cloudwatch_log_group", l)
            .attr("name", name.clone())
            .attr("retention_in_days", days)
            .attr("kms_key_id", cx.kms_arn())
            .when(days != 0 && days < 365, |b| {
                b.skip(
                    "CKV_AWS_338",
                    format!("retention is the tier's choice (observability.{field} = {days})"),
                )
            })
            .attr("tags", tags(name)),
    );
}

/// Whether `notify` names a channel (a topic created here) rather than an existing topic ARN.
pub(crate) fn notify_channel<'a>(cx: &Cx<'a>) -> Option<&'a str> {
    cx.app
        .observability
        .alarms
        .notify
        .as_deref()
        .filter(|n| !n.starts_with("arn:"))
}

/// The SNS topic of a channel, encrypted with the environment's key.
fn topic(cx: &Cx, m: &mut Module) {
    if let Some(channel) = notify_channel(cx) {
        m.push(
            TfFile::Observability,
            "alarms",
            B::resource("aws_sns_topic", "alarms")
                .attr("name", cx.name(channel, 256))
                .attr("kms_master_key_id", cx.kms_arn())
                .attr("tags", tags(cx.name(channel, 256))),
        );
    }
}

/// One dashboard per environment: traffic, errors, latency and saturation of every service.
fn dashboard(cx: &Cx, m: &mut Module) {
    let region = cx.app.region.as_str();
    let mut widgets = Vec::new();
    let widget = |title: String, stat: &str, metrics: Vec<Expression>, y: usize, x: usize| {
        object([
            ("type", Expression::from("metric")),
            ("x", Expression::from(x as u64 * 6)),
            ("y", Expression::from(y as u64 * 6)),
            ("width", Expression::from(6u64)),
            ("height", Expression::from(6u64)),
            (
                "properties",
                object([
                    ("title", Expression::from(title)),
                    ("region", Expression::from(region)),
                    ("stat", Expression::from(stat)),
                    ("period", Expression::from(60u64)),
                    ("metrics", list(metrics)),
                ]),
            ),
        ])
    };
    let metric = |parts: Vec<Expression>| list(parts);
    for (row, (name, svc)) in cx.app.services.iter().enumerate() {
        let l = label(name);
        let signals: Vec<(&str, Vec<Expression>)> = match &cx.app.platform {
            Platform::EcsFargate(_) => {
                let ecs = |metric_name: &str| {
                    metric(vec![
                        "AWS/ECS".into(),
                        metric_name.into(),
                        "ClusterName".into(),
                        cx.prefix.as_str().into(),
                        "ServiceName".into(),
                        res("aws_ecs_service", &l, "name"),
                    ])
                };
                let mut s = vec![(
                    "saturation",
                    vec![ecs("CPUUtilization"), ecs("MemoryUtilization")],
                )];
                if let Some(facing) = Facing::of(svc) {
                    s.splice(0..0, alb_signals(&l, facing));
                }
                s
            }
            Platform::AppRunner(_) => {
                let ar = |metric_name: &str| {
                    metric(vec![
                        "AWS/AppRunner".into(),
                        metric_name.into(),
                        "ServiceName".into(),
                        res("aws_apprunner_service", &l, "service_name"),
                        "ServiceID".into(),
                        res("aws_apprunner_service", &l, "service_id"),
                    ])
                };
                vec![
                    ("traffic", vec![ar("Requests")]),
                    ("errors", vec![ar("5xxStatusResponses")]),
                    ("latency", vec![ar("RequestLatency")]),
                    (
                        "saturation",
                        vec![ar("CPUUtilization"), ar("MemoryUtilization")],
                    ),
                ]
            }
            Platform::Eks(_) => {
                let ci = |metric_name: &str| {
                    metric(vec![
                        "ContainerInsights".into(),
                        metric_name.into(),
                        "ClusterName".into(),
                        cx.prefix.as_str().into(),
                        "Namespace".into(),
                        cx.prefix.as_str().into(),
                        "Service".into(),
                        name.as_str().into(),
                    ])
                };
                let saturation = (
                    "saturation",
                    vec![ci("pod_cpu_utilization"), ci("pod_memory_utilization")],
                );
                if let Some(facing) = Facing::of(svc) {
                    // The golden signals of a load-balanced service are its target group's, on
                    // the load balancer Terraform owns.
                    let mut s = alb_signals(&l, facing);
                    s.push(saturation);
                    s
                } else {
                    vec![
                        ("traffic", vec![ci("pod_network_rx_bytes")]),
                        ("errors", vec![ci("pod_number_of_container_restarts")]),
                        ("availability", vec![ci("service_number_of_running_pods")]),
                        saturation,
                    ]
                }
            }
        };
        for (col, (signal, metrics)) in signals.into_iter().enumerate() {
            let stat = match signal {
                "traffic" | "errors" => "Sum",
                "latency" => "p99",
                _ => "Average",
            };
            widgets.push(widget(format!("{name}: {signal}"), stat, metrics, row, col));
        }
    }
    m.push(
        TfFile::Observability,
        "dashboard",
        B::resource("aws_cloudwatch_dashboard", "main")
            .attr("dashboard_name", cx.prefix.as_str())
            .attr(
                "dashboard_body",
                jsonencode(object([("widgets", list(widgets))])),
            ),
    );
}

/// A load-balanced service's target group metric on its load balancer: `(namespace, metric,
/// dimensions...)` as a dashboard widget lists it.
fn alb_metric(l: &str, facing: Facing, metric_name: &str) -> Expression {
    list(vec![
        Expression::from("AWS/ApplicationELB"),
        metric_name.into(),
        "TargetGroup".into(),
        arn_suffix("aws_lb_target_group", l),
        "LoadBalancer".into(),
        arn_suffix("aws_lb", facing.lb()),
    ])
}

/// Traffic, errors and latency of a load-balanced service, from its target group (ECS and
/// EKS).
fn alb_signals(l: &str, facing: Facing) -> Vec<(&'static str, Vec<Expression>)> {
    vec![
        ("traffic", vec![alb_metric(l, facing, "RequestCount")]),
        (
            "errors",
            vec![alb_metric(l, facing, "HTTPCode_Target_5XX_Count")],
        ),
        ("latency", vec![alb_metric(l, facing, "TargetResponseTime")]),
    ]
}

/// `<type>.<label>.arn_suffix`: what CloudWatch's `LoadBalancer` and `TargetGroup` dimensions
/// take.
fn arn_suffix(ty: &str, l: &str) -> Expression {
    var(ty).attr(l).attr("arn_suffix").into()
}

fn log_group(cx: &Cx, m: &mut Module, component: &str, l: &str, name: String) {
    let days = cx.app.observability.log_retention_days;
    m.push(
        TfFile::Observability,
        component,
        B::resource("aws_cloudwatch_log_group", l)
            .attr("name", name.clone())
            .attr("retention_in_days", days)
            .attr("kms_key_id", cx.kms_arn())
            .when(days != 0 && days < 365, |b| {
                b.skip("CKV_AWS_338", format!("retention is the tier's choice (observability.log_retention_days = {days})"))
            })
            .attr("tags", tags(name)),
    );
}

/// One alarm; `dimensions` name what it watches.
fn alarm(
    cx: &Cx,
    l: &str,
    what: &str,
    metric: (&str, &str, &str),
    threshold: u32,
    dimensions: Expression,
) -> B {
    alarm_below(cx, l, what, metric, threshold, dimensions, false)
}

/// One alarm, raised above the threshold or, with `below`, under it.
fn alarm_below(
    cx: &Cx,
    l: &str,
    what: &str,
    metric: (&str, &str, &str),
    threshold: u32,
    dimensions: Expression,
    below: bool,
) -> B {
    let (namespace, name, statistic) = metric;
    let notify: Vec<Expression> = match (&cx.app.observability.alarms.notify, notify_channel(cx)) {
        (_, Some(_)) => vec![res("aws_sns_topic", "alarms", "arn")],
        (Some(arn), None) => vec![Expression::from(arn.as_str())],
        (None, None) => vec![],
    };
    B::resource("aws_cloudwatch_metric_alarm", l)
        .attr("alarm_name", cx.name(&what.replace(' ', "-"), 255))
        .attr("alarm_description", format!("{}: {what}", cx.prefix))
        .attr("namespace", namespace)
        .attr("metric_name", name)
        .attr("statistic", statistic)
        .attr("period", 60)
        .attr("evaluation_periods", 5)
        .attr("datapoints_to_alarm", 3)
        .attr("threshold", threshold)
        .attr(
            "comparison_operator",
            if below {
                "LessThanThreshold"
            } else {
                "GreaterThanThreshold"
            },
        )
        .attr(
            "treat_missing_data",
            if below { "breaching" } else { "notBreaching" },
        )
        .attr("actions_enabled", true)
        .attr("alarm_actions", list(notify.clone()))
        .attr("ok_actions", list(notify))
        .gap()
        .attr("dimensions", dimensions)
}

fn alarms(cx: &Cx, m: &mut Module) {
    match &cx.app.platform {
        Platform::EcsFargate(_) => ecs_alarms(cx, m),
        Platform::AppRunner(_) => app_runner_alarms(cx, m),
        Platform::Eks(_) => eks_alarms(cx, m),
    }
}

/// One alarm of service `name`: resource `<label>_<suffix>`, titled `<name> <what>`, in the
/// service's component; raised above `threshold` or, with `below`, under it.
#[allow(clippy::too_many_arguments)]
fn service_alarm(
    cx: &Cx,
    m: &mut Module,
    name: &str,
    (suffix, what): (&str, &str),
    metric: (&str, &str, &str),
    threshold: u32,
    dimensions: Expression,
    below: bool,
) {
    let l = label(name);
    let b = alarm_below(
        cx,
        &format!("{l}_{suffix}"),
        &format!("{name} {what}"),
        metric,
        threshold,
        dimensions,
        below,
    );
    m.push(TfFile::Observability, format!("service {name}"), b);
}

/// A load-balanced service's alarms on its target group (ECS and EKS): unhealthy hosts
/// (`UnHealthyHostCount`) and 5xx (`HTTPCode_Target_5XX_Count`), with the `TargetGroup` and
/// `LoadBalancer` dimensions of the resources `loadbalancer.tf` creates.
fn target_group_alarms(cx: &Cx, m: &mut Module, name: &str, facing: Facing) {
    let a = &cx.app.observability.alarms;
    let l = label(name);
    let tg = object([
        ("TargetGroup", arn_suffix("aws_lb_target_group", &l)),
        ("LoadBalancer", arn_suffix("aws_lb", facing.lb())),
    ]);
    if a.unhealthy_hosts {
        let metric = ("AWS/ApplicationELB", "UnHealthyHostCount", "Maximum");
        let signal = ("unhealthy_hosts", "unhealthy hosts");
        service_alarm(cx, m, name, signal, metric, 0, tg.clone(), false);
    }
    if a.http_5xx {
        let metric = ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum");
        service_alarm(cx, m, name, ("5xx", "5xx"), metric, 5, tg, false);
    }
}

/// Per ECS service: the target group's unhealthy hosts and 5xx when behind a load balancer
/// (public or internal), and CPU.
fn ecs_alarms(cx: &Cx, m: &mut Module) {
    let a = &cx.app.observability.alarms;
    for (name, svc) in &cx.app.services {
        let l = label(name);
        if let Some(facing) = Facing::of(svc) {
            target_group_alarms(cx, m, name, facing);
        }
        if a.cpu {
            let dims = object([
                ("ClusterName", res("aws_ecs_cluster", "main", "name")),
                ("ServiceName", res("aws_ecs_service", &l, "name")),
            ]);
            let metric = ("AWS/ECS", "CPUUtilization", "Average");
            service_alarm(
                cx,
                m,
                name,
                ("cpu", "cpu"),
                metric,
                a.cpu_threshold,
                dims,
                false,
            );
        }
    }
}

/// Per App Runner service: no active instance, 5xx and CPU.
fn app_runner_alarms(cx: &Cx, m: &mut Module) {
    let a = &cx.app.observability.alarms;
    for name in cx.app.services.keys() {
        let l = label(name);
        let dims = object([
            (
                "ServiceName",
                res("aws_apprunner_service", &l, "service_name"),
            ),
            ("ServiceID", res("aws_apprunner_service", &l, "service_id")),
        ]);
        // App Runner replaces unhealthy instances itself; none active is the outage.
        if a.unhealthy_hosts {
            let metric = ("AWS/AppRunner", "ActiveInstances", "Minimum");
            let signal = ("unhealthy_hosts", "unhealthy hosts");
            service_alarm(cx, m, name, signal, metric, 1, dims.clone(), true);
        }
        if a.http_5xx {
            let metric = ("AWS/AppRunner", "5xxStatusResponses", "Sum");
            service_alarm(cx, m, name, ("5xx", "5xx"), metric, 5, dims.clone(), false);
        }
        if a.cpu {
            let metric = ("AWS/AppRunner", "CPUUtilization", "Average");
            service_alarm(
                cx,
                m,
                name,
                ("cpu", "cpu"),
                metric,
                a.cpu_threshold,
                dims,
                false,
            );
        }
    }
}

/// On EKS: a public service's unhealthy hosts and 5xx on its target group, as on ECS (the
/// load balancer is Terraform's on both). A service without a target group has no hosts a
/// balancer checks and answers no HTTP the platform counts: its unhealthy-hosts alarm is no
/// running pod (Container Insights), and it has no 5xx alarm, as on ECS. CPU: the nodes'.
fn eks_alarms(cx: &Cx, m: &mut Module) {
    let a = &cx.app.observability.alarms;
    for (name, svc) in &cx.app.services {
        if let Some(facing) = Facing::of(svc) {
            target_group_alarms(cx, m, name, facing);
        } else if a.unhealthy_hosts {
            let dims = object([
                ("ClusterName", res("aws_eks_cluster", "main", "name")),
                ("Namespace", Expression::from(cx.prefix.as_str())),
                ("Service", Expression::from(name.as_str())),
            ]);
            let metric = (
                "ContainerInsights",
                "service_number_of_running_pods",
                "Minimum",
            );
            let signal = ("unhealthy_hosts", "unhealthy hosts");
            service_alarm(cx, m, name, signal, metric, 1, dims, true);
        }
    }
    if a.cpu {
        let dims = object([("ClusterName", res("aws_eks_cluster", "main", "name"))]);
        let b = alarm(
            cx,
            "nodes_cpu",
            "nodes cpu",
            ("ContainerInsights", "node_cpu_utilization", "Average"),
            a.cpu_threshold,
            dims,
        );
        m.push(TfFile::Observability, "platform", b);
    }
}
