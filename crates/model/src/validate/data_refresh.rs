//! The scheduled data refresh: where the data comes from, when, and anonymised.

use super::Rules;
use crate::environment::Environment;
use crate::resolve::Tier;

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
