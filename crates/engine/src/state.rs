//! Shared Terraform state buckets: where several declared environments keep their state in one
//! bucket (tiers of one account, tenants, instances), the bucket gets a root module of its own,
//! `terraform/state/<bucket>/`, whose policy fences each environment's key prefix to that
//! environment's roles (tierform-emit-terraform's `state_bucket`).

use tierform_model::{Diagnostic, Diagnostics, Environment, FieldPath, FileSet, Model, Runtime};

/// Where the root module of a shared state bucket goes.
pub const STATE_BUCKETS: &str = "terraform/state";

/// The root modules of the shared state buckets that hold the state of any of `envs`, each
/// fencing every declared environment of the bucket (resolved here, so that a partial build
/// writes the same files as a whole one). A bucket that holds one environment needs no fence
/// and gets no module.
///
/// # Errors
/// A declared environment does not resolve; `reserved-name` when a shared bucket's module
/// would share its folder with a cloud environment called `state`.
pub fn state_buckets(model: &Model, envs: &[Environment]) -> Result<FileSet, Diagnostics> {
    let declared = crate::resolve(model, &[])?;
    let cloud: Vec<&Environment> = declared
        .iter()
        .filter(|e| e.runtime == Runtime::Cloud)
        .collect();
    let mut buckets: Vec<String> = cloud.iter().map(|e| e.state_bucket()).collect();
    buckets.dedup();
    buckets.sort();
    buckets.dedup();
    let mut files = FileSet::new();
    for bucket in buckets {
        let sharing: Vec<&Environment> = cloud
            .iter()
            .copied()
            .filter(|e| e.state_bucket() == bucket)
            .collect();
        let built = envs
            .iter()
            .any(|e| e.runtime == Runtime::Cloud && e.state_bucket() == bucket);
        if sharing.len() > 1 && built {
            files.extend_under(
                &format!("{STATE_BUCKETS}/{bucket}"),
                tierform_emit_terraform::state_bucket(&sharing),
            );
        }
    }
    if !files.is_empty() {
        if let Some(e) = cloud.iter().find(|e| e.name == "state") {
            return Err(Diagnostic::error(
                "reserved-name",
                FieldPath(vec!["tier".into(), e.tier.clone()]),
                "an environment named `state` would share its folder with the shared state bucket's module (terraform/state/)",
            )
            .with_help("rename the tier")
            .into());
        }
    }
    Ok(files)
}
