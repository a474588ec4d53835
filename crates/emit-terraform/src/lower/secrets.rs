//! `secrets.tf`: one Secrets Manager secret per spec secret, named `<app>/<env>/<secret>`
//! and encrypted with the environment's key. Names and descriptions only: values are put
//! in by people or pipelines, never by tierform (no `aws_secretsmanager_secret_version`).

use tierform_model::{db_app_secret, tf_label};

use super::{tags, Cx};
use crate::module::{Module, TfFile, B};
use crate::names::label;

/// The label of the secret holding a database's application-user password (IAM
/// authentication off).
pub(crate) fn db_app_secret_label(database: &str) -> String {
    tf_label(&db_app_secret(database))
}

pub(crate) fn lower(cx: &Cx, m: &mut Module) {
    let app_users = cx
        .app
        .databases
        .iter()
        .filter(|(_, d)| !d.iam_auth)
        .map(|(n, _)| {
            (
                db_app_secret(n),
                Some(format!("Password of the application user of database {n}")),
            )
        });
    let declared = cx
        .app
        .secrets
        .iter()
        .map(|(n, s)| (n.clone(), s.description.clone()));
    for (name, description) in declared.chain(app_users) {
        let full = format!("{}/{}/{name}", cx.app.app, cx.env.name);
        let description = description.unwrap_or_else(|| format!("{name} of {}", cx.prefix));
        m.push(
            TfFile::Secrets,
            "secrets",
            B::resource("aws_secretsmanager_secret", &label(&name))
                .attr("name", full.clone())
                .attr("description", description)
                .attr("kms_key_id", cx.kms_arn())
                // A deleted secret stays recoverable for 30 days in every environment; bug-fix
                // copies have their own names (`<app>/bugfix-<id>/…`), so rebuilding one never
                // collides with a secret pending deletion.
                .attr("recovery_window_in_days", 30)
                .skip("CKV2_AWS_57", "the value is issued by a third party (API keys, tokens) and rotated at its issuer; database passwords are rotated by RDS")
                .attr("tags", tags(full)),
        );
    }
}
