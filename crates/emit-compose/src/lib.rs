//! # tierform-emit-compose
//!
//! docker-compose for local tiers (seeds 000, 001 and 003 develop on a laptop): the
//! application's services with the databases and caches they use as containers of the same
//! engine and version as the environment, wired with the same variables the services get in
//! the cloud, pointed at the local containers.
//!
//! [`emit`] writes `docker-compose.yml` and `.env.example`. Secrets and database passwords come
//! from a `.env` file beside the compose file that tierform never writes: `.env.example` lists
//! the names to fill in, and the compose file only refers to them.
#![warn(missing_docs)]

mod model;
mod services;

use tierform_model::{
    Diagnostic, Diagnostics, Environment, FieldPath, FileSet, Runtime, GENERATED_MARKER,
};

/// The compose output of a local environment, relative to `compose/<env.name>/`:
/// `docker-compose.yml` and `.env.example`.
///
/// # Errors
/// `unsupported-environment` for a [`Runtime::Cloud`] environment, which compiles to
/// Terraform (and Kubernetes on EKS).
pub fn emit(env: &Environment) -> Result<FileSet, Diagnostics> {
    if env.runtime != Runtime::Local {
        return Err(Diagnostic::error(
            "unsupported-environment",
            FieldPath(vec!["tier".into(), env.tier.clone(), "runtime".into()]),
            format!(
                "environment `{}` runs in the cloud: docker-compose is emitted for local environments only",
                env.name
            ),
        )
        .with_help("a cloud environment compiles to Terraform (tierform-emit-terraform)")
        .into());
    }
    let project = services::project(env);
    let mut files = FileSet::new();
    // Serialising plain data cannot fail.
    let yaml = serde_norway::to_string(&project).expect("compose data serialises to YAML");
    files.insert("docker-compose.yml", format!("{GENERATED_MARKER}\n{yaml}"));
    files.insert(".env.example", services::env_example(env));
    Ok(files)
}
