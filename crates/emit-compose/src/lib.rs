//! # tierform-emit-compose
//!
//! docker-compose for local tiers (seeds 000, 001 and 003 develop on a laptop): the
//! application's services with the databases and caches they use as containers of the same
//! engine and version as the environment, wired with the same variables the services get in
//! the cloud, pointed at the local containers.
//!
//! [`emit`] writes `docker-compose.yml` and `.env.example`. Secrets and database passwords come
//! from a `.env` file beside the compose file that tierform never writes: `.env.example` lists
//! the names to fill in, and the compose file only refers to them. Buckets, queues and topics
//! run in a local stand-in (moto), created before the services that use them start.
#![warn(missing_docs)]

mod aws_local;
mod model;
mod services;

use tierform_model::{
    Diagnostic, Diagnostics, Environment, FieldPath, FileSet, Runtime, GENERATED_MARKER,
};

/// The compose output of a local environment, relative to `compose/<env.name>/`:
/// `docker-compose.yml`, `.env.example`, and `aws-local/init.py` when the environment has
/// buckets, queues or topics (their local stand-in's creation script).
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
    if aws_local::needed(&env.app) {
        files.insert(
            format!("{}/init.py", aws_local::FOLDER),
            format!("{GENERATED_MARKER}\n{}", aws_local::SCRIPT),
        );
    }
    Ok(files)
}
