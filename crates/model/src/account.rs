//! The AWS account a tier runs in: `tier "production" { account { id = "…" } }`.
//!
//! An account is part of an environment's *identity*, like its name: it says where the
//! environment is applied, never what it is made of. So it is declared on the tier (not in the
//! base a mirroring tier inherits), every environment of the tier carries it, and parity
//! resolves the mirrored tier's values under the mirroring tier's account
//! (`Model::resolve_as`): a staging account differing from production's is no difference at
//! all, and an exception naming it is refused as unnecessary.
//!
//! What it sets: the AWS provider's `allowed_account_ids` and `assume_role`, the state backend
//! (a bucket per account, the same guard and role), and `{account}` in image repositories, so an
//! ECR registry follows the account without an exception.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, FieldPath};
use crate::node::Node;

/// The AWS account of a tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The 12-digit account id: the provider and the state backend refuse any other account.
    pub id: String,
    /// The role Terraform assumes in the account (for the provider and the state backend).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assume_role: Option<AssumeRole>,
    /// The account's Terraform state bucket; `<state bucket>-<id>` when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_bucket: Option<String>,
}

/// `assume_role { role_arn = "…" }`: the role Terraform works as in the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssumeRole {
    /// The role's ARN, in the tier's account: `arn:aws:iam::<id>:role/<name>`.
    pub role_arn: String,
    /// The session name CloudTrail records (`tierform` when not given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    /// The external id the role's trust policy requires, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

impl AssumeRole {
    /// The session name: the spec's, or `tierform`.
    pub fn session_name(&self) -> &str {
        self.session_name.as_deref().unwrap_or("tierform")
    }
}

/// The placeholder an image repository may hold for the environment's account id.
pub const ACCOUNT_PLACEHOLDER: &str = "{account}";

/// Whether `s` is a 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The account id of an IAM role ARN (`arn:<partition>:iam::<id>:role/<path/name>`), if it is one.
fn role_arn_account(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:")?;
    let (partition, rest) = rest.split_once(':')?;
    let rest = rest.strip_prefix("iam::")?;
    let (id, resource) = rest.split_once(':')?;
    let name = resource.strip_prefix("role/")?;
    let ok_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b));
    (partition.starts_with("aws") && is_account_id(id) && ok_name).then_some(id)
}

/// The rules of a tier's (or an instance's) `account` block, located through `node` (the
/// block's own node); `owner` is where the block is, such as `["tier", "staging"]`.
pub(crate) fn check(
    owner: &[&str],
    account: &Account,
    node: Option<&Node>,
    local: bool,
    out: &mut Vec<Diagnostic>,
) {
    let tier = owner.last().copied().unwrap_or_default();
    let at = |field: &[&str]| -> FieldPath {
        let mut p: Vec<String> = owner.iter().map(|s| (*s).to_owned()).collect();
        p.push("account".to_owned());
        p.extend(field.iter().map(|s| (*s).to_owned()));
        FieldPath(p)
    };
    let span = |field: &[&str]| node.and_then(|n| n.span_at(field.iter().copied()));
    let mut err = |code: &'static str, field: &[&str], message: String, help: &str| {
        out.push(
            Diagnostic::error(code, at(field), message)
                .with_span(span(field))
                .with_help(help),
        );
    };
    // A local tier applies nothing to AWS: its account only names the registry its images
    // come from (`{account}`); a role or a state bucket would have no effect.
    if local && account.assume_role.is_some() {
        err(
            "account-role-in-local-tier",
            &["assume_role"],
            format!("tier `{tier}` runs locally (docker-compose), where no Terraform assumes a role"),
            "remove `assume_role`: a local tier's account only fills `{account}` in image repositories",
        );
    }
    if local && account.state_bucket.is_some() {
        err(
            "account-state-in-local-tier",
            &["state_bucket"],
            format!("tier `{tier}` runs locally (docker-compose) and keeps no Terraform state"),
            "remove `state_bucket`: a local tier's account only fills `{account}` in image repositories",
        );
    }
    if !is_account_id(&account.id) {
        err(
            "invalid-account-id",
            &["id"],
            format!("{:?} is not an AWS account id", account.id),
            "an account id is 12 digits, such as \"123456789012\" (quoted, so leading zeros stay)",
        );
    }
    if let Some(role) = &account.assume_role {
        match role_arn_account(&role.role_arn) {
            None => err(
                "invalid-role-arn",
                &["assume_role", "role_arn"],
                format!("{:?} is not an IAM role ARN", role.role_arn),
                "write the role's ARN, such as \"arn:aws:iam::123456789012:role/terraform\"",
            ),
            Some(id) if is_account_id(&account.id) && id != account.id => err(
                "role-in-other-account",
                &["assume_role", "role_arn"],
                format!(
                    "the role is in account {id}, but tier `{tier}` runs in account {}",
                    account.id
                ),
                "assume a role of the tier's own account: the provider refuses any other account",
            ),
            Some(_) => {}
        }
        if let Some(s) = &role.session_name {
            let ok = (2..=64).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
            if !ok {
                err(
                    "invalid-session-name",
                    &["assume_role", "session_name"],
                    format!("{s:?} is not a role session name"),
                    "2 to 64 letters, digits and `+=,.@_-`, such as \"tierform\"",
                );
            }
        }
        if let Some(e) = &role.external_id {
            let ok = (2..=1224).contains(&e.len())
                && e.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+=,.@:/_-".contains(&b));
            if !ok {
                err(
                    "invalid-external-id",
                    &["assume_role", "external_id"],
                    format!("{e:?} is not an external id"),
                    "2 to 1224 letters, digits and `+=,.@:/_-`",
                );
            }
        }
    }
    if let Some(b) = &account.state_bucket {
        if !crate::validate::is_bucket_name(b) {
            err(
                "invalid-bucket",
                &["state_bucket"],
                format!("{b:?} is not an S3 bucket name"),
                "3 to 63 lower-case letters, digits, `.` and `-`, starting and ending with a letter or digit",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_name_their_account() {
        assert_eq!(
            role_arn_account("arn:aws:iam::123456789012:role/terraform"),
            Some("123456789012")
        );
        assert_eq!(
            role_arn_account("arn:aws-us-gov:iam::123456789012:role/ops/deploy"),
            Some("123456789012")
        );
        assert_eq!(role_arn_account("arn:aws:iam::123456789012:user/bob"), None);
        assert_eq!(role_arn_account("arn:aws:iam::12345:role/x"), None);
        assert_eq!(role_arn_account("role/terraform"), None);
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(is_account_id("012345678901"));
        assert!(!is_account_id("12345678901"));
        assert!(!is_account_id("12345678901a"));
    }
}
