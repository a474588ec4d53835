//! Declared alarms watch what they say, on the platforms whose load balancer Terraform owns
//! (ECS Fargate and EKS), over every cloud environment of every fixture:
//!
//! - every reference in an alarm's `dimensions` names a resource the same root module
//!   creates (no alarm on a metric of something nothing makes, or that another tool makes);
//! - a public service's declared `unhealthy_hosts` and `http_5xx` alarms watch its target
//!   group on the load balancer (`UnHealthyHostCount`, `HTTPCode_Target_5XX_Count`, with the
//!   `TargetGroup` and `LoadBalancer` dimensions of `aws_lb_target_group.<service>` and
//!   `aws_lb.main`), so a regression to "watches something else" fails here;
//! - the dashboard's error widget of a public service reads the same target group metric.

mod common;

use std::collections::BTreeMap;

use common::cloud_environments;
use serde_json::Value;
use tierform_engine::model::{Environment, Platform};
use tierform_engine::terraform;

/// The root module's objects by address (`aws_lb.main`).
fn objects(env: &Environment) -> BTreeMap<String, Value> {
    terraform::objects(env)
        .unwrap()
        .into_iter()
        .map(|o| (o.id.trim_start_matches("terraform:").to_owned(), o.data))
        .collect()
}

/// The resource a reference such as `aws_lb_target_group.api.arn_suffix` names, if the
/// value is a reference to a managed resource.
fn referenced(value: &str) -> Option<String> {
    let mut parts = value.split('.');
    let (ty, label) = (parts.next()?, parts.next()?);
    (ty.starts_with("aws_") && parts.next().is_some()).then(|| format!("{ty}.{label}"))
}

fn label(name: &str) -> String {
    name.replace('-', "_")
}

#[test]
fn every_alarm_dimension_names_a_resource_of_the_same_module() {
    let mut checked = 0;
    for (f, env) in cloud_environments() {
        let objects = objects(&env);
        for (address, alarm) in objects
            .iter()
            .filter(|(a, _)| a.starts_with("aws_cloudwatch_metric_alarm."))
        {
            let dims = alarm["dimensions"]
                .as_object()
                .expect("alarms have dimensions");
            for (key, value) in dims {
                let v = value.as_str().unwrap_or_default();
                if let Some(target) = referenced(v) {
                    assert!(
                        objects.contains_key(&target),
                        "{f} {}: {address} dimension {key} = {v}: nothing in the module creates {target}",
                        env.name
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 50, "{checked} dimension references checked");
}

#[test]
fn public_services_alarms_watch_their_target_group_on_ecs_and_eks() {
    let mut checked = 0;
    for (f, env) in cloud_environments() {
        if !matches!(env.app.platform, Platform::EcsFargate(_) | Platform::Eks(_)) {
            continue;
        }
        let objects = objects(&env);
        let declared = &env.app.observability.alarms;
        for (name, svc) in &env.app.services {
            if svc.public.is_none() {
                continue;
            }
            let l = label(name);
            let tg = format!("aws_lb_target_group.{l}.arn_suffix");
            assert_eq!(
                objects[&format!("aws_lb_target_group.{l}")]["name"],
                env.target_group_name(name),
                "{f} {}: the target group's name is the one the manifests bind to",
                env.name
            );
            for (on, suffix, metric) in [
                (
                    declared.unhealthy_hosts,
                    "unhealthy_hosts",
                    "UnHealthyHostCount",
                ),
                (declared.http_5xx, "5xx", "HTTPCode_Target_5XX_Count"),
            ] {
                let address = format!("aws_cloudwatch_metric_alarm.{l}_{suffix}");
                let Some(alarm) = objects.get(&address) else {
                    assert!(
                        !on,
                        "{f} {}: declared {suffix} alarm of {name} missing",
                        env.name
                    );
                    continue;
                };
                assert!(on, "{f} {}: {address} emitted but not declared", env.name);
                let what = format!("{f} {}: {address}", env.name);
                assert_eq!(alarm["namespace"], "AWS/ApplicationELB", "{what}");
                assert_eq!(alarm["metric_name"], metric, "{what}");
                assert_eq!(alarm["dimensions"]["TargetGroup"], tg.as_str(), "{what}");
                assert_eq!(
                    alarm["dimensions"]["LoadBalancer"], "aws_lb.main.arn_suffix",
                    "{what}"
                );
                checked += 1;
            }
        }
        // The dashboard reads the same target group metrics.
        if env.app.services.values().any(|s| s.public.is_some()) {
            let body = objects["aws_cloudwatch_dashboard.main"]["dashboard_body"].to_string();
            assert!(
                body.contains("HTTPCode_Target_5XX_Count")
                    && body.contains("aws_lb.main.arn_suffix"),
                "{f} {}: the dashboard's errors are the target groups'",
                env.name
            );
            assert!(
                !body.contains("pod_number_of_container_restarts")
                    || env.app.services.values().any(|s| s.public.is_none()),
                "{f} {}: restarts stand in for errors only where no target group exists",
                env.name
            );
        }
    }
    assert!(checked > 10, "{checked} alarms checked");
}
