//! # tierform-emit-terraform
//!
//! Compiles one resolved [`Environment`] into the Terraform root module (AWS provider 6) of
//! that environment: a pure function from the environment to in-memory files.
//!
//! ```text
//! Environment --lower--> Module (hcl-rs blocks + file, component, layout) --render--> FileSet
//!                                                                      \--objects--> EmittedObject
//! ```
//!
//! The module is built once; the `.tf` text ([`emit`]) and the parity data ([`objects`]) are
//! two views of it, so they cannot disagree.
#![warn(missing_docs)]

mod expr;
mod lower;
mod modular;
mod module;
mod names;
mod render;

pub use modular::{ModuleFiles, ModuleLayout, RenderedRoot, Root, Split};
use tierform_model::parity::EmittedObject;
use tierform_model::{Diagnostic, Diagnostics, Environment, FieldPath, FileSet, Runtime};

/// The Terraform root module of one cloud environment, files named relative to the
/// environment's folder (`versions.tf`, `network.tf`, ...).
///
/// # Errors
/// `unsupported-environment` for a [`Runtime::Local`] environment, which runs on
/// docker-compose.
pub fn emit(env: &Environment) -> Result<FileSet, Diagnostics> {
    cloud(env)?;
    let m = lower::module(env);
    let taken = lower::raw_collisions(&m);
    if !taken.is_empty() {
        return Err(Diagnostics(taken));
    }
    Ok(m.files())
}

/// The root module of a Terraform state bucket that several environments share: the bucket,
/// versioned, encrypted, private and TLS-only, and a policy that keeps each environment's roles
/// to its own key prefix. Files named relative to its folder (`terraform/state/<bucket>/`).
/// `envs` are every environment whose state the bucket holds (at least one, cloud, each with
/// that bucket).
pub fn state_bucket(envs: &[&Environment]) -> FileSet {
    lower::state_bucket::module(envs).files()
}

/// The same resources as data, for parity: one [`EmittedObject`] per resource or data block,
/// with id `terraform:<address>` (`terraform:aws_db_instance.main`,
/// `terraform:data.aws_availability_zones.available`), the component it belongs to
/// (`network`, `database main`, `service api`, ...) and the block's arguments and nested blocks
/// as JSON (references as their expression text, `jsonencode(x)` as the JSON of `x`).
///
/// # Errors
/// `unsupported-environment` for a [`Runtime::Local`] environment.
pub fn objects(env: &Environment) -> Result<Vec<EmittedObject>, Diagnostics> {
    cloud(env)?;
    Ok(lower::addressed(env).into_objects())
}

/// The ids and components of [`objects`], data left `null`: which objects an environment
/// has, without converting their bodies to JSON (parity asks only this of one twin).
///
/// # Errors
/// `unsupported-environment` for a local environment.
pub fn presence(env: &Environment) -> Result<Vec<EmittedObject>, Diagnostics> {
    cloud(env)?;
    Ok(lower::addressed(env).into_presence())
}

/// Terraform is emitted for cloud environments only.
/// Raw blocks of `env` whose Terraform address tierform already gives one of its own objects
/// (empty when the spec has none): `check` reports them before anything is emitted.
pub fn raw_conflicts(env: &Environment) -> Vec<Diagnostic> {
    if env.runtime != Runtime::Cloud
        || (env.app.raw_resources.is_empty()
            && env.app.raw_data.is_empty()
            && env.app.modules.is_empty())
    {
        return Vec::new();
    }
    lower::raw_collisions(&lower::module(env))
}

fn cloud(env: &Environment) -> Result<(), Diagnostics> {
    match env.runtime {
        Runtime::Cloud => Ok(()),
        Runtime::Local => Err(Diagnostic::error(
            "unsupported-environment",
            FieldPath(vec!["tier".into(), env.tier.clone(), "runtime".into()]),
            format!(
                "environment `{}` is local: Terraform is emitted for cloud environments only",
                env.name
            ),
        )
        .with_help("a local environment compiles to docker-compose (tierform-emit-compose)")
        .into()),
    }
}
