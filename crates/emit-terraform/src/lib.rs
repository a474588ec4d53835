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
mod module;
mod names;
mod render;

use tierform_model::parity::EmittedObject;
use tierform_model::{Environment, FileSet, Runtime};

/// The Terraform root module of one cloud environment, files named relative to the
/// environment's folder (`versions.tf`, `network.tf`, ...). Empty for [`Runtime::Local`]
/// environments, which run on docker-compose.
pub fn emit(env: &Environment) -> FileSet {
    match env.runtime {
        Runtime::Local => FileSet::new(),
        Runtime::Cloud => lower::module(env).files(),
    }
}

/// The same resources as data, for parity: one [`EmittedObject`] per resource or data block,
/// with id `terraform:<address>` (`terraform:aws_db_instance.main`,
/// `terraform:data.aws_availability_zones.available`), the component it belongs to
/// (`network`, `database main`, `service api`, ...) and the block's arguments and nested blocks
/// as JSON (references as their expression text, `jsonencode(x)` as the JSON of `x`).
/// Empty for [`Runtime::Local`] environments.
pub fn objects(env: &Environment) -> Vec<EmittedObject> {
    match env.runtime {
        Runtime::Local => Vec::new(),
        Runtime::Cloud => lower::module(env).objects(),
    }
}
