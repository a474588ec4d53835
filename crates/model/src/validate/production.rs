//! Weak settings of a production tier: accepted (a team may choose them), but named, each with
//! a code of its own so that a spec can make it an error (`strict`). These are the settings
//! checkov's production scan fails: a single-AZ database, a database without IAM
//! authentication, a cluster without Container Insights.

use super::Rules;
use crate::diagnostic::{did_you_mean, Diagnostic, Severity};
use crate::environment::Environment;
use crate::spec::{App, Platform};

/// Every warning code `check` can report, which `strict` may name.
pub const WARNING_CODES: &[&str] = &[
    "production-single-az",
    "production-no-iam-auth",
    "production-no-container-insights",
    "newer-version",
    "version-nearing-end",
    "retired-version-allowed",
];

pub(super) fn rules(r: &mut Rules<'_>, env: &Environment) {
    let app = &env.app;
    if !env.production {
        return;
    }
    for (name, db) in &app.databases {
        if !db.multi_az {
            r.warn(
                "production-single-az",
                &["database", name, "multi_az"],
                format!("production database `{name}` has no standby in a second availability zone"),
                "remove `multi_az = false` from the production tier (`strict = [\"production-single-az\"]` makes this an error)",
            );
        }
        if !db.iam_auth {
            r.warn(
                "production-no-iam-auth",
                &["database", name, "iam_auth"],
                format!("production database `{name}` has IAM authentication off: services log in with a password"),
                "remove `iam_auth = false`: services then sign a token with their role (`strict = [\"production-no-iam-auth\"]` makes this an error)",
            );
        }
    }
    match &app.platform {
        Platform::EcsFargate(ecs) if !ecs.container_insights => r.warn(
            "production-no-container-insights",
            &["platform", "ecs_fargate", "container_insights"],
            "the production cluster runs without Container Insights".into(),
            "remove `container_insights = false` (`strict = [\"production-no-container-insights\"]` makes this an error)",
        ),
        Platform::EcsFargate(_) | Platform::Eks(_) if !app.observability.metrics => r.warn(
            "production-no-container-insights",
            &["observability", "metrics"],
            "production exports no container metrics (Container Insights)".into(),
            "remove `metrics = false` (`strict = [\"production-no-container-insights\"]` makes this an error)",
        ),
        _ => {}
    }
}

/// `strict`: each code must be one `check` reports (did you mean); the warnings it names become
/// errors, saying so.
pub(super) fn strict(app: &App, out: &mut [Diagnostic], r: &mut Vec<Diagnostic>) {
    for d in out.iter_mut() {
        if d.severity == Severity::Warning && app.strict.iter().any(|c| c == d.code) {
            d.severity = Severity::Error;
            let help = d.help.take().unwrap_or_default();
            d.help = Some(format!(
                "{help} (an error because `strict` lists `{}`)",
                d.code
            ));
        }
    }
    let mut rules = Rules { out: r };
    for (i, code) in app.strict.iter().enumerate() {
        if !WARNING_CODES.contains(&code.as_str()) {
            let help = match did_you_mean(code, WARNING_CODES.iter().copied()) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("warning codes: {}", WARNING_CODES.join(", ")),
            };
            rules.err(
                "unknown-reference",
                &["strict", &i.to_string()],
                format!("`{code}` is not a warning code"),
                help,
            );
        }
    }
}
