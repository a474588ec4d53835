//! Versions near or past the end of AWS's standard support ([`crate::aws::LIFECYCLE`]), as of
//! a date the caller gives (`Model::with_today`; never the clock). Within
//! [`WARN_DAYS`] of the end: a warning. Past it: an error, unless the database or platform
//! declares `allow_retired_version { reason = "…" }` with a reason a reviewer can judge (then
//! a warning that names the reason).

use super::Rules;
use crate::aws::{standard_support, Product, Support};
use crate::date::Date;
use crate::environment::Environment;
use crate::resolve::is_judgeable_reason;
use crate::spec::{AllowRetiredVersion, Engine, Platform};

/// How many days before the end a version is reported.
pub const WARN_DAYS: i64 = 90;

pub(super) fn rules(r: &mut Rules<'_>, env: &Environment, today: Date) {
    let app = &env.app;
    for (name, db) in &app.databases {
        let product = match db.engine {
            Engine::Postgres => Product::Postgres,
            Engine::Mysql => Product::Mysql,
        };
        check(
            r,
            &["database", name, "engine_version"],
            &["database", name, "allow_retired_version", "reason"],
            product,
            &db.engine_version,
            db.allow_retired_version.as_ref(),
            today,
        );
    }
    if let Platform::Eks(eks) = &app.platform {
        check(
            r,
            &["platform", "eks", "version"],
            &["platform", "eks", "allow_retired_version", "reason"],
            Product::Eks,
            &eks.version,
            eks.allow_retired_version.as_ref(),
            today,
        );
    }
}

fn check(
    r: &mut Rules<'_>,
    at: &[&str],
    reason_at: &[&str],
    product: Product,
    version: &str,
    allow: Option<&AllowRetiredVersion>,
    today: Date,
) {
    let Some(s) = standard_support(product, version)
        .filter(|s| today.days_until(s.end) < 0 || allow.is_none())
    else {
        // Declared means emitted, or refused: an allowance for a version AWS still supports
        // (or one tierform has no date for) allows nothing.
        if allow.is_some() {
            r.err(
                "allowance-unneeded",
                reason_at,
                format!("{} `{version}` is not past its end of standard support, so there is nothing to allow", product.as_str()),
                "remove `allow_retired_version`; it is for keeping a version AWS no longer supports",
            );
        }
        return;
    };
    let left = today.days_until(s.end);
    let source = |s: &Support| format!("{} (checked {})", s.source, s.checked);
    if left < 0 {
        match allow {
            Some(a) if is_judgeable_reason(&a.reason) => r.warn(
                "retired-version-allowed",
                at,
                format!(
                    "{} `{version}` left standard support on {}; kept because: {}",
                    product.as_str(),
                    s.end,
                    a.reason
                ),
                source(s),
            ),
            Some(a) => r.err(
                "weak-reason",
                reason_at,
                format!("`{}` does not say why the retired version stays", a.reason),
                "write a sentence a reviewer can judge (at least 3 words and 12 letters, no placeholder)",
            ),
            None => r.err(
                "retired-version",
                at,
                format!(
                    "{} `{version}` left standard support on {} (as of {today}): AWS upgrades it or charges extended support",
                    product.as_str(),
                    s.end
                ),
                format!(
                    "move to a supported version, or keep it with `allow_retired_version {{ reason = \"…\" }}`; source: {}",
                    source(s)
                ),
            ),
        }
    } else if left <= WARN_DAYS {
        r.warn(
            "version-nearing-end",
            at,
            format!(
                "{} `{version}` leaves standard support on {} ({left} days after {today})",
                product.as_str(),
                s.end
            ),
            format!("plan the upgrade; source: {}", source(s)),
        );
    }
}
