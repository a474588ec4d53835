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
#![warn(missing_docs)]

pub mod de;
pub mod diagnostic;
pub mod environment;
pub mod files;
mod json;
pub mod knob;
pub mod node;
pub mod parity;
pub mod resolve;
pub mod schema;
pub mod source;
pub mod spec;
mod strings;
pub mod validate;

#[doc(inline)]
pub use diagnostic::{
    did_you_mean_env, Diagnostic, Diagnostics, FieldPath, Location, Severity, Span,
};
#[doc(inline)]
pub use environment::{Environment, Runtime};
#[doc(inline)]
pub use files::{FileSet, RelPath, GENERATED_MARKER};
#[doc(inline)]
pub use knob::{Knob, KnobKind, KNOBS};
#[doc(inline)]
pub use parity::EmittedObject;
#[doc(inline)]
pub use resolve::{EnvironmentId, Exception, Model, Provenance, Tier, Variant};
#[doc(inline)]
pub use source::{Format, Source};
#[doc(inline)]
pub use spec::*;
