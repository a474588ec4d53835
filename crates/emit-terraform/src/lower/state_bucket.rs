//! The Terraform state bucket that several environments share (`terraform/state/<bucket>/`),
//! as a small root module of its own, applied once before the environments' first `init`.
//!
//! Environments that keep their state in one bucket (tiers of one account, tenants, instances)
//! would otherwise all be readable by anyone who may read the bucket: a staging reader, whose
//! `ReadOnlyAccess` is account-wide, could read production's state and the values in it. The
//! bucket's policy fences each environment's key prefix (`<app>/<env>/`) to that environment's
//! roles: its access roles (`<app>-<env>-readers`, `-operators`) and the role its tier's
//! Terraform assumes, when no other tier in the bucket assumes it, are denied every object and
//! listing outside their own prefix. Principals are matched by ARN (`aws:PrincipalArn`), so the
//! policy does not need the roles to exist yet. The bucket itself is versioned, encrypted,
//! private and TLS-only.

use hcl::Expression;
use tierform_model::{Account, Environment};

use super::iam::{policy, Stmt};
use crate::expr::{interp, lit, object, res, strings, template};
use crate::module::{Module, TfFile, B};
use crate::names::{fit, limit};

/// Days an earlier version of a state file is kept: time to notice a bad apply and roll back.
const NONCURRENT_DAYS: u32 = 90;

/// The root module managing one shared state bucket, for the environments whose state it holds
/// (all of them: the fence of each is the others' too). Every environment has the same bucket,
/// region and app; the provider takes their account when they share one.
pub(crate) fn module(envs: &[&Environment]) -> Module {
    let first = envs[0];
    let bucket = first.state_bucket();
    let mut m = Module::default();
    m.push(
        TfFile::Versions,
        "state",
        B::new("terraform")
            .attr("required_version", ">= 1.10")
            .block(B::new("required_providers").attr(
                "aws",
                object([
                    ("source", Expression::from("hashicorp/aws")),
                    ("version", Expression::from("~> 6.0")),
                ]),
            )),
    );
    let account = shared(envs, |e| e.account.as_ref().map(|a| a.id.clone()));
    let role = shared(envs, |e| role_of(e.account.as_ref()));
    m.push(
        TfFile::Providers,
        "state",
        B::new("provider")
            .label("aws")
            .attr("region", first.state_region())
            .when(account.is_some(), |b| {
                b.attr("allowed_account_ids", strings(account.iter()))
            })
            .when(role.is_some(), |b| {
                b.block(
                    B::new("assume_role")
                        .attr("role_arn", role.clone().unwrap_or_default())
                        .attr("session_name", "tierform"),
                )
            }),
    );
    let id = res("aws_s3_bucket", "state", "id");
    let arn = res("aws_s3_bucket", "state", "arn");
    m.push(
        TfFile::Main,
        "state",
        B::resource("aws_s3_bucket", "state")
            .skip("CKV_AWS_18", "requests to the state are recorded by CloudTrail data events of the account; a log bucket would need its own")
            .skip("CKV_AWS_144", "the state is rebuilt from the spec and the cloud; versioning keeps its history in the region")
            .skip("CKV2_AWS_62", "no consumer of the state bucket's events")
            .attr("bucket", bucket.clone())
            .block(B::new("lifecycle").attr("prevent_destroy", true)),
    );
    for b in super::storage::private_and_versioned("state", &id) {
        m.push(TfFile::Main, "state", b);
    }
    m.push(
        TfFile::Main,
        "state",
        B::resource(
            "aws_s3_bucket_server_side_encryption_configuration",
            "state",
        )
        .attr("bucket", id.clone())
        .block(
            B::new("rule")
                .block(
                    B::new("apply_server_side_encryption_by_default")
                        .attr("sse_algorithm", "aws:kms"),
                )
                .attr("bucket_key_enabled", true),
        ),
    );
    m.push(
        TfFile::Main,
        "state",
        B::resource("aws_s3_bucket_lifecycle_configuration", "state")
            .attr("bucket", id.clone())
            .block(
                B::new("rule")
                    .attr("id", "earlier-versions")
                    .attr("status", "Enabled")
                    .block(B::new("filter"))
                    .block(
                        B::new("abort_incomplete_multipart_upload")
                            .attr("days_after_initiation", 7),
                    )
                    .block(
                        B::new("noncurrent_version_expiration")
                            .attr("noncurrent_days", NONCURRENT_DAYS),
                    ),
            )
            .attr(
                "depends_on",
                Expression::Array(vec![crate::expr::var("aws_s3_bucket_versioning")
                    .attr("state")
                    .into()]),
            ),
    );
    let objects = template([interp(arn.clone()), lit("/*")]);
    let mut stmts = vec![Stmt::deny("DenyInsecureTransport", &["s3:*"])
        .principal("AWS", Expression::from("*"))
        .on([arn.clone(), objects])
        .condition(object([(
            "Bool",
            object([("aws:SecureTransport", Expression::from("false"))]),
        )]))];
    stmts.extend(fences(envs, &arn));
    m.push(
        TfFile::Main,
        "state",
        B::resource("aws_s3_bucket_policy", "state")
            .attr("bucket", id)
            .attr("policy", policy(stmts))
            .attr(
                "depends_on",
                Expression::Array(vec![crate::expr::var("aws_s3_bucket_public_access_block")
                    .attr("state")
                    .into()]),
            ),
    );
    m
}

/// The value every environment has, if they all have the same one.
fn shared(envs: &[&Environment], f: impl Fn(&Environment) -> Option<String>) -> Option<String> {
    let first = f(envs[0])?;
    envs.iter()
        .all(|e| f(e).as_deref() == Some(first.as_str()))
        .then_some(first)
}

fn role_of(account: Option<&Account>) -> Option<String> {
    account?.assume_role.as_ref().map(|r| r.role_arn.clone())
}

/// One pair of statements per group of principals that must stay inside some prefixes: each
/// environment's access roles, and each tier role that not every environment of the bucket
/// assumes.
fn fences(envs: &[&Environment], bucket_arn: &Expression) -> Vec<Stmt> {
    // Principal ARN patterns -> the key prefixes they may use.
    let mut groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for e in envs {
        let mut own: Vec<String> = Vec::new();
        for (who, principals) in [
            ("readers", &e.app.access.read),
            ("operators", &e.app.access.write),
        ] {
            if !principals.is_empty() {
                let role = fit(&format!("{}-{who}", e.prefix()), limit::ROLE);
                own.push(format!("arn:*:iam::*:role/{role}"));
            }
        }
        if !own.is_empty() {
            entry(&mut groups, own).push(prefix(e));
        }
    }
    let mut by_role: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for e in envs {
        if let Some(r) = role_of(e.account.as_ref()) {
            entry(&mut by_role, vec![r]).push(prefix(e));
        }
    }
    for (role, prefixes) in by_role {
        if prefixes.len() < envs.len() {
            entry(&mut groups, role).extend(prefixes);
        }
    }
    let mut out = Vec::new();
    for (i, (principals, prefixes)) in groups.into_iter().enumerate() {
        let who = object([(
            "ArnLike",
            object([("aws:PrincipalArn", strings(&principals))]),
        )]);
        let own_objects = prefixes
            .iter()
            .map(|p| template([interp(bucket_arn.clone()), lit(format!("/{p}*"))]));
        out.push(
            Stmt::deny(
                &format!("OwnStateOnly{i}"),
                &[
                    "s3:GetObject",
                    "s3:GetObjectVersion",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:DeleteObjectVersion",
                ],
            )
            .principal("AWS", Expression::from("*"))
            .except(own_objects)
            .condition(who.clone()),
        );
        // `terraform init` lists the workspaces (`env:`): tierform uses none, so that listing
        // shows nothing of another environment.
        let listing = object([
            (
                "ArnLike",
                object([("aws:PrincipalArn", strings(&principals))]),
            ),
            (
                "StringNotLike",
                object([(
                    "s3:prefix",
                    strings(
                        prefixes
                            .iter()
                            .map(|p| format!("{p}*"))
                            .chain(["env:*".to_owned()]),
                    ),
                )]),
            ),
        ]);
        out.push(
            Stmt::deny(&format!("OwnStateListingOnly{i}"), &["s3:ListBucket"])
                .principal("AWS", Expression::from("*"))
                .on([bucket_arn.clone()])
                .condition(listing),
        );
    }
    out
}

/// The values kept under `key`, in first-seen order (a tiny ordered map).
fn entry(map: &mut Vec<(Vec<String>, Vec<String>)>, key: Vec<String>) -> &mut Vec<String> {
    let i = match map.iter().position(|(k, _)| *k == key) {
        Some(i) => i,
        None => {
            map.push((key, Vec::new()));
            map.len() - 1
        }
    };
    &mut map[i].1
}

/// `<app>/<env>/`: the key prefix of an environment's state (see `Environment::state_key`).
fn prefix(e: &Environment) -> String {
    let key = e.state_key();
    match key.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/"),
        None => key,
    }
}
