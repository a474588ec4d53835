//! `versions.tf`, `backend.tf` and `providers.tf`: Terraform and provider pins, the state
//! backend (one key per environment, S3-native locking), the provider with default tags.

use hcl::Expression;

use tierform_model::{Account, AssumeRole};

use super::Cx;
use crate::expr::{object, strings};
use crate::module::{Module, TfFile, B};

pub(crate) fn lower(cx: &Cx, m: &mut Module) {
    let env = cx.env;
    m.push(
        TfFile::Versions,
        "settings",
        B::new("terraform")
            // 1.10: the S3 backend's `use_lockfile` (backend.tf) needs it.
            .attr("required_version", ">= 1.10")
            .block(
                B::new("required_providers")
                    .attr(
                        "aws",
                        object([
                            ("source", Expression::from("hashicorp/aws")),
                            ("version", Expression::from("~> 6.0")),
                        ]),
                    )
                    .when(cx.eks(), |b| {
                        // The cluster's add-ons (Helm) and the objects that carry AWS values
                        // into it (namespace, service accounts, endpoints).
                        b.attr(
                            "helm",
                            object([
                                ("source", Expression::from("hashicorp/helm")),
                                (
                                    "version",
                                    Expression::from(super::kubernetes::HELM_PROVIDER),
                                ),
                            ]),
                        )
                        .attr(
                            "kubernetes",
                            object([
                                ("source", Expression::from("hashicorp/kubernetes")),
                                (
                                    "version",
                                    Expression::from(super::kubernetes::KUBERNETES_PROVIDER),
                                ),
                            ]),
                        )
                    }),
            ),
    );
    let account = env.account.as_ref();
    let role = account.and_then(|a| a.assume_role.as_ref());
    m.push(
        TfFile::Backend,
        "settings",
        B::new("terraform").block(
            B::new("backend")
                .label("s3")
                .attr("bucket", env.state_bucket())
                .attr("key", env.state_key())
                .attr("region", env.state_region())
                .attr("encrypt", true)
                // S3-native state locking (Terraform 1.10+), no DynamoDB table to manage.
                .attr("use_lockfile", true)
                // The state of the tier's account, read and written as the tier's role only.
                .when(account.is_some(), |b| {
                    b.attr("allowed_account_ids", allowed(account))
                })
                .when(role.is_some(), |b| {
                    b.attr("assume_role", object(assume_role_args(role)))
                }),
        ),
    );
    let tags = object([
        ("Application", Expression::from(cx.app.app.as_str())),
        ("Environment", Expression::from(env.name.as_str())),
        ("Tier", Expression::from(env.tier.as_str())),
        (
            "Tenant",
            Expression::from(env.instance.as_deref().unwrap_or("none")),
        ),
        ("ManagedBy", Expression::from("tierform")),
        // The teardown date of an ephemeral copy (`never` otherwise): what a reaper and
        // `tierform envs` find expired copies by.
        ("Expires", Expression::from(env.expiry_tag())),
    ]);
    m.push(
        TfFile::Providers,
        "settings",
        B::new("provider")
            .label("aws")
            .attr("region", cx.app.region.as_str())
            // Applying one tier's Terraform with another account's credentials fails at plan.
            .when(account.is_some(), |b| {
                b.attr("allowed_account_ids", allowed(account))
            })
            .when(role.is_some(), |b| {
                b.block(
                    assume_role_args(role)
                        .into_iter()
                        .fold(B::new("assume_role"), |b, (k, v)| b.attr(k, v)),
                )
            })
            .block(B::new("default_tags").attr("tags", tags)),
    );
    if cx.eks() {
        super::kubernetes::providers(cx, m);
    }
    // Account and partition, for ARNs in policies (no hard-coded `arn:aws:` or account ids).
    m.push(
        TfFile::Providers,
        "settings",
        B::data("aws_caller_identity", "current"),
    );
    m.push(
        TfFile::Providers,
        "settings",
        B::data("aws_partition", "current"),
    );
}

/// `["<id>"]`: the one account the tier's Terraform may act in.
fn allowed(account: Option<&Account>) -> Expression {
    strings(account.map(|a| a.id.as_str()))
}

/// The role Terraform assumes in the tier's account: ARN, session name, external id.
fn assume_role_args(role: Option<&AssumeRole>) -> Vec<(&'static str, Expression)> {
    let Some(role) = role else {
        return Vec::new();
    };
    let mut args = vec![
        ("role_arn", Expression::from(role.role_arn.as_str())),
        ("session_name", Expression::from(role.session_name())),
    ];
    if let Some(e) = &role.external_id {
        args.push(("external_id", Expression::from(e.as_str())));
    }
    args
}
