//! Observability: log retention and alarms.

use super::Rules;
use crate::aws::LOG_RETENTION;
use crate::spec::App;

/// Log retention, the CPU alarm and where alarms notify.
pub(super) fn rules(r: &mut Rules<'_>, app: &App) {
    let o = &app.observability;
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
    if let Some(arn) = &o.alarms.notify {
        if !arn.starts_with("arn:aws:sns:") {
            r.err(
                "invalid-arn",
                &["observability", "alarms", "notify"],
                format!("`{arn}` is not an SNS topic ARN"),
                "such as `arn:aws:sns:us-east-1:123456789012:alerts`",
            );
        }
    }
}
