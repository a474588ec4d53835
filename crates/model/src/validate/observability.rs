//! Observability: log retention and alarms.

use super::Rules;
use crate::aws::LOG_RETENTION;
use crate::spec::{App, Platform};

/// Log retention, the CPU alarm and where alarms notify.
pub(super) fn rules(r: &mut Rules<'_>, app: &App, local: bool) {
    let o = &app.observability;
    if !local {
        platform_retention(r, app);
    }
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
    // An ARN names an existing topic; anything else is a channel, an encrypted topic
    // created for the environment under `<app>-<env>-<channel>`.
    if let Some(notify) = &o.alarms.notify {
        if notify.starts_with("arn:") {
            if !notify.starts_with("arn:aws:sns:") || notify.split(':').count() != 6 {
                r.err(
                    "invalid-arn",
                    &["observability", "alarms", "notify"],
                    format!("`{notify}` is not an SNS topic ARN"),
                    "such as `arn:aws:sns:us-east-1:123456789012:alerts`, or a channel name such as `oncall`",
                );
            }
        } else {
            r.name(&["observability", "alarms", "notify"], notify, 64);
        }
    }
}

/// Retentions the platform fixes: X-Ray keeps traces 30 days on every platform; App Runner's
/// metrics are CloudWatch metrics (kept 15 months) and cannot be switched off.
fn platform_retention(r: &mut Rules<'_>, app: &App) {
    let o = &app.observability;
    let platform = app.platform.display();
    if o.trace_retention_days != 30 {
        r.err(
            "unsupported-on-platform",
            &["observability", "trace_retention_days"],
            format!(
                "{platform} sends traces to X-Ray, which keeps them 30 days: it cannot keep them {}",
                o.trace_retention_days
            ),
            "remove `trace_retention_days` (or set it to 30); `tracing = false` keeps no traces",
        );
    }
    if let Platform::AppRunner(_) = app.platform {
        if o.metrics_retention_days.is_some() {
            r.err(
                "unsupported-on-platform",
                &["observability", "metrics_retention_days"],
                "App Runner publishes its metrics to CloudWatch, which keeps them 15 months: their retention cannot be set".into(),
                "remove `metrics_retention_days` (it sets the Container Insights retention on ECS Fargate and EKS)",
            );
        }
        if !o.metrics {
            r.err(
                "unsupported-on-platform",
                &["observability", "metrics"],
                "App Runner always publishes its services' metrics to CloudWatch: they cannot be switched off".into(),
                "remove `metrics = false` (on ECS Fargate and EKS it turns off the Container Insights log group)",
            );
        }
    }
}
