//! # tierform-model
//!
//! The typed model of a tierform spec: an application's infrastructure declared once, plus the
//! tiers (local, integration, QA, staging, production, temporary bug-fix copies), tenants and
//! instances it fans out to.
//!
//! The pipeline, each step a pure function:
//!
//! ```text
//! spec text --Model::parse--> Model --Model::resolve--> Environment --emitters--> FileSet
//! ```
//!
//! ```
//! use tierform_model::{Format, Model, Source};
//!
//! let spec = r#"
//! app    = "shop"
//! region = "us-east-1"
//! network { cidr = "10.1.0.0/16" }
//! platform "ecs_fargate" {}
//! service "api" {
//!   image        = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-api"
//!   tag          = "1.0.0"
//!   port         = 8080
//!   health_check { path = "/health" }
//! }
//! tier "staging" {
//!   mirrors = "production"
//!   service "api" { replicas = 1 }
//! }
//! tier "production" {
//!   service "api" { replicas = 3 }
//! }
//! "#;
//! let model = Model::parse(Source::new("tierform.hcl", spec), Format::Hcl)?;
//! let staging = model.resolve(&model.environment("staging")?)?;
//! assert_eq!(staging.app.services["api"].replicas, 1);
//! assert_eq!(staging.app.network.private_subnets, ["10.1.2.0/24", "10.1.3.0/24"]);
//! # Ok::<(), tierform_model::Diagnostics>(())
//! ```
//!
//! ## Public surface
//!
//! Every item has one path: the model, the spec types and the diagnostics at the root; parity
//! (the comparison and what it reports, including [`parity::EmittedObject`], the currency
//! between emitters and parity) under [`parity`]; the spec's JSON Schema under [`schema`].
//! The spec tree, its decoder and the validation rules are internal.
//!
//! Types that will grow are `#[non_exhaustive]`: [`Format`], [`Layer`], [`KnobKind`],
//! [`Diagnostic`] and [`Location`] (build a diagnostic with [`Diagnostic::error`]), and the
//! read-only views [`Tier`], [`Variant`], [`Exception`] and [`Provenance`]. Diagnostic codes
//! are strings: new ones come with new checks. The spec's enums ([`Platform`], [`Engine`],
//! [`CacheEngine`], …) are deliberately exhaustive: every emitter matches on them, and a new
//! platform or engine must fail to compile there until each emitter handles it, rather than
//! fall into a wildcard arm that emits nothing.
#![warn(missing_docs)]

mod account;
mod aws;
mod aws_names;
mod date;
mod de;
mod delivery;
mod diagnostic;
pub mod edit;
pub mod engine_versions;
mod environment;
mod files;
mod first_apply;
mod internal;
mod json;
mod knob;
mod node;
pub mod parity;
pub mod raw;
mod resolve;
pub mod schema;
mod source;
mod spec;
mod storage;
mod strings;
mod validate;
pub mod wiring;

pub use account::{is_account_id, Account, AssumeRole, ACCOUNT_PLACEHOLDER};
pub use aws::{standard_support, Product, Support, CHECKED as LIFECYCLE_CHECKED, LIFECYCLE};
pub use aws_names::{fit_name, LB_NAME_MAX};
pub use date::Date;
pub use delivery::{
    github_repo, CiSystem, Delivery, DeliverySettings, DeployMode, TierDelivery, TierPlan,
};
pub use diagnostic::{did_you_mean, Diagnostic, Diagnostics, FieldPath, Location, Severity, Span};
pub use environment::{Environment, Runtime};
pub use files::{BadPath, FileSet, RelPath, GENERATED_MARKER};
pub use first_apply::{db_app_secret, first_apply, tf_label, ApplyStage, DatabaseUser};
pub use internal::Internal;
pub use knob::{Declared, Knob, KnobKind, DECLARED_KNOBS, KNOBS};
pub use node::{hcl_to_json, Layer};
pub use resolve::{
    DocsSettings, EnvironmentId, Exception, Model, Provenance, Tier, Variant, MAX_ENVIRONMENTS,
    MAX_SPEC_BYTES,
};
pub use source::{Format, Source};
pub use spec::*;
pub use storage::{
    bucket_var, queue_var, storage_variables, topic_var, Bucket, Queue, StorageKind, Topic,
};
