//! The scheduled data refresh: where the data comes from, when, and anonymised.

use super::Rules;
use crate::environment::{Environment, Runtime};
use crate::resolve::Tier;
use crate::spec::Platform;

/// The `data_refresh` block, if any.
pub(super) fn rules(r: &mut Rules<'_>, env: &Environment, tiers: &[Tier]) {
    let app = &env.app;
    let db_names: Vec<&str> = app.databases.keys().map(String::as_str).collect();
    if let Some(d) = &app.data_refresh {
        let tier_names: Vec<&str> = tiers.iter().map(|t| t.name.as_str()).collect();
        r.reference(&["data_refresh", "from"], "tier", &d.from, &tier_names);
        r.reference(
            &["data_refresh", "database"],
            "database",
            &d.database,
            &db_names,
        );
        if d.from == env.tier {
            r.err(
                "refresh-from-self",
                &["data_refresh", "from"],
                "an environment cannot refresh its data from its own tier".into(),
                "name the tier the data comes from, such as `production`",
            );
        }
        if d.schedule.split_whitespace().count() != 5 {
            r.err(
                "invalid-schedule",
                &["data_refresh", "schedule"],
                format!("`{}` is not a cron schedule", d.schedule),
                "five fields, such as `0 2 * * 6`",
            );
        }
        let fields: Vec<&str> = d.schedule.split_whitespace().collect();
        let scheduler = env.runtime == Runtime::Cloud && !matches!(app.platform, Platform::Eks(_));
        if scheduler && fields.len() == 5 && fields[2] != "*" && fields[4] != "*" {
            r.err(
                "invalid-schedule",
                &["data_refresh", "schedule"],
                format!(
                    "on {} the refresh runs from EventBridge Scheduler, which cannot restrict both the day of the month and the day of the week (`{}`)",
                    app.platform.display(),
                    d.schedule
                ),
                "keep one of the two day fields `*`",
            );
        }
        if env.production {
            r.err(
                "refresh-into-production",
                &["data_refresh"],
                format!("production environment `{}` would have its data overwritten from tier `{}` on a schedule", env.name, d.from),
                "data flows from production to the tiers that test with it: move `data_refresh` into the staging tier",
            );
        }
        r.image(
            &["data_refresh", "image"],
            &["data_refresh", "tag"],
            &d.image,
            &d.tag,
        );
        if !d.anonymize && tiers.iter().any(|t| t.name == d.from && t.production) {
            r.err(
                "refresh-not-anonymized",
                &["data_refresh", "anonymize"],
                "production data copied without anonymisation".into(),
                "personal data must not leave production: set `anonymize = true`",
            );
        }
    }
}
