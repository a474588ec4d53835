//! A resolved environment: one tier (times one tenant or instance) with every value concrete.
//! This is what the emitters consume.

use crate::date::Date;
use serde::Serialize;

use crate::account::Account;
use crate::spec::{App, Platform};

/// Where an environment runs.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Runtime {
    /// In AWS: Terraform (and Kubernetes on EKS).
    #[default]
    Cloud,
    /// On a developer's machine: docker-compose.
    Local,
}

impl Runtime {
    /// `cloud` or `local`.
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Cloud => "cloud",
            Runtime::Local => "local",
        }
    }
}

/// One concrete environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Environment {
    /// The environment's name: the tier's, or `<tier>-<instance>`.
    pub name: String,
    /// The tier it belongs to.
    pub tier: String,
    /// The tenant or instance within the tier, if the tier fans out.
    pub instance: Option<String>,
    /// The tier this environment promises to mirror.
    pub mirrors: Option<String>,
    /// Cloud or local.
    pub runtime: Runtime,
    /// Whether this is a production tier (stricter validation, final snapshots).
    pub production: bool,
    /// Whether the environment is a temporary copy (bug-fix environments).
    pub ephemeral: bool,
    /// The declared environment an ephemeral copy copies (`production-vb-rheinaue`).
    pub copy_of: Option<String>,
    /// When an ephemeral copy should be torn down: the day it was built plus its tier's
    /// `ttl_days` (the day is an input, like the version lifecycle's).
    pub expires: Option<Date>,
    /// Every value of the application, resolved.
    pub app: App,
    /// The AWS account the environment's tier runs in (its identity, like its name).
    pub account: Option<Account>,
}

impl Environment {
    /// Whether the services run on Kubernetes: a cloud environment on EKS, the one kind
    /// tierform emits manifests for.
    pub fn runs_kubernetes(&self) -> bool {
        self.runtime == Runtime::Cloud && matches!(self.app.platform, Platform::Eks(_))
    }
    /// The value of the `Expires` tag every resource carries: the teardown date of an
    /// ephemeral copy, `never` for a declared environment. Always present, so that a copy and
    /// the environment it copies differ in its value only, which parity reads as identity.
    pub fn expiry_tag(&self) -> String {
        self.expires
            .map_or_else(|| "never".to_owned(), |d| d.to_string())
    }
    /// `<app>-<env>`: the prefix of every resource name of this environment.
    pub fn prefix(&self) -> String {
        format!("{}-{}", self.app.app, self.name)
    }
    /// The S3 bucket of the Terraform state: the account's own when the tier declares an
    /// account (its `state_bucket`, or the spec's bucket suffixed with the account id), else the
    /// spec's `state.bucket`, or `<app>-terraform-state`.
    pub fn state_bucket(&self) -> String {
        let shared = self
            .app
            .state
            .bucket
            .clone()
            .unwrap_or_else(|| format!("{}-terraform-state", self.app.app));
        match &self.account {
            Some(a) => a
                .state_bucket
                .clone()
                .unwrap_or_else(|| format!("{shared}-{}", a.id)),
            None => shared,
        }
    }
    /// The S3 key of this environment's state: unique per environment.
    pub fn state_key(&self) -> String {
        format!("{}/{}/terraform.tfstate", self.app.app, self.name)
    }
    /// The region of the state bucket.
    pub fn state_region(&self) -> &str {
        self.app.state.region.as_deref().unwrap_or(&self.app.region)
    }
}
