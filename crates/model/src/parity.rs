//! Parity: what differs between two environments, and whether the spec allows it.
//!
//! Emitters hand their output to parity as data ([`EmittedObject`]: one Terraform resource or
//! one Kubernetes object as JSON), so that parity judges what tierform actually emits, not only
//! what the spec says.

use serde::Serialize;

/// One emitted object as data, for parity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmittedObject {
    /// A stable identity within one environment, such as `terraform:aws_db_instance.main` or
    /// `k8s:Deployment/api`.
    pub id: String,
    /// The component it belongs to, for grouping reports (`network`, `database`, `service api`).
    pub component: String,
    /// Its content as JSON (Terraform arguments and blocks, or the Kubernetes object).
    pub data: serde_json::Value,
}
