//! `observability.tf`: CloudWatch log groups with the tier's retention, encrypted with the
//! environment's key, and the metric alarms the tier asks for (unhealthy hosts, 5xx, CPU),
//! notifying `observability.alarms.notify` when set.

use hcl::Expression;
use tierform_model::Platform;

use super::{tags, Cx};
use crate::expr::{list, object, res, var};
use crate::module::{Module, TfFile, B};
use crate::names::label;

pub(crate) fn lower(cx: &Cx, m: &mut Module) {
    log_group(
        cx,
        m,
        "network",
        "flow_logs",
        format!("/aws/vpc/{}/flow-logs", cx.prefix),
    );
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
            if cx.public_services().next().is_some() {
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
        // EKS writes here; creating it first gives it retention and encryption.
        Platform::Eks(_) => log_group(
            cx,
            m,
            "platform",
            "eks",
            format!("/aws/eks/{}/cluster", cx.prefix),
        ),
        // App Runner creates its own log groups, named after the service's generated id.
        Platform::AppRunner(_) => {}
    }
    alarms(cx, m);
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
    let (namespace, name, statistic) = metric;
    let notify: Vec<Expression> = cx
        .app
        .observability
        .alarms
        .notify
        .iter()
        .map(|a| Expression::from(a.as_str()))
        .collect();
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
        .attr("comparison_operator", "GreaterThanThreshold")
        .attr("treat_missing_data", "notBreaching")
        .attr("actions_enabled", true)
        .attr("alarm_actions", list(notify.clone()))
        .attr("ok_actions", list(notify))
        .gap()
        .attr("dimensions", dimensions)
}

fn alarms(cx: &Cx, m: &mut Module) {
    let a = &cx.app.observability.alarms;
    let arn_suffix =
        |ty: &str, l: &str| -> Expression { var(ty).attr(l).attr("arn_suffix").into() };
    match &cx.app.platform {
        Platform::EcsFargate(_) => {
            for (name, svc) in &cx.app.services {
                let l = label(name);
                let c = format!("service {name}");
                if svc.public.is_some() {
                    let tg = object([
                        ("TargetGroup", arn_suffix("aws_lb_target_group", &l)),
                        ("LoadBalancer", arn_suffix("aws_lb", "main")),
                    ]);
                    if a.unhealthy_hosts {
                        let b = alarm(
                            cx,
                            &format!("{l}_unhealthy_hosts"),
                            &format!("{name} unhealthy hosts"),
                            ("AWS/ApplicationELB", "UnHealthyHostCount", "Maximum"),
                            0,
                            tg.clone(),
                        );
                        m.push(TfFile::Observability, &c, b);
                    }
                    if a.http_5xx {
                        let b = alarm(
                            cx,
                            &format!("{l}_5xx"),
                            &format!("{name} 5xx"),
                            ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum"),
                            5,
                            tg,
                        );
                        m.push(TfFile::Observability, &c, b);
                    }
                }
                if a.cpu {
                    let dims = object([
                        ("ClusterName", res("aws_ecs_cluster", "main", "name")),
                        ("ServiceName", res("aws_ecs_service", &l, "name")),
                    ]);
                    let b = alarm(
                        cx,
                        &format!("{l}_cpu"),
                        &format!("{name} cpu"),
                        ("AWS/ECS", "CPUUtilization", "Average"),
                        a.cpu_threshold,
                        dims,
                    );
                    m.push(TfFile::Observability, &c, b);
                }
            }
        }
        Platform::AppRunner(_) => {
            for name in cx.app.services.keys() {
                let l = label(name);
                let c = format!("service {name}");
                let dims = object([
                    (
                        "ServiceName",
                        res("aws_apprunner_service", &l, "service_name"),
                    ),
                    ("ServiceID", res("aws_apprunner_service", &l, "service_id")),
                ]);
                if a.http_5xx {
                    let b = alarm(
                        cx,
                        &format!("{l}_5xx"),
                        &format!("{name} 5xx"),
                        ("AWS/AppRunner", "5xxStatusResponses", "Sum"),
                        5,
                        dims.clone(),
                    );
                    m.push(TfFile::Observability, &c, b);
                }
                if a.cpu {
                    let b = alarm(
                        cx,
                        &format!("{l}_cpu"),
                        &format!("{name} cpu"),
                        ("AWS/AppRunner", "CPUUtilization", "Average"),
                        a.cpu_threshold,
                        dims,
                    );
                    m.push(TfFile::Observability, &c, b);
                }
            }
        }
        Platform::Eks(_) => {
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
    }
}
