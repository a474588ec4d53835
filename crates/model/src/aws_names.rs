//! AWS names both emitters must agree on.
//!
//! Terraform names a public service's target group; on EKS the Kubernetes manifests bind the
//! service's pods to it *by that name* (`TargetGroupBinding.spec.targetGroupName`), so the
//! name is computed here, once, for both.

use crate::Environment;

/// Load balancers and target groups: at most 32 characters.
pub const LB_NAME_MAX: usize = 32;

/// `name` itself when it has at most `max` characters; otherwise its beginning, a hyphen and
/// six hex digits of a hash of the whole name, `max` characters in all. Two long names that
/// share a beginning stay distinct, and the result is the same on every run.
pub fn fit_name(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let hash = format!("{:06x}", fnv1a(name.as_bytes()) & 0x00ff_ffff);
    let keep = max.saturating_sub(hash.len() + 1);
    // Names are ASCII (validated), so byte slicing is character slicing.
    let head = name[..keep].trim_end_matches('-');
    format!("{head}-{hash}")
}

/// FNV-1a, 32 bits: tiny, stable across platforms and Rust versions (unlike std's hasher).
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

impl Environment {
    /// The name of public service `service`'s target group on the environment's load
    /// balancer: `<app>-<env>-<service>`, fitted into 32 characters by [`fit_name`].
    /// Per-environment identity, like the load balancer's own name; on EKS the manifests
    /// bind to the target group by this name.
    pub fn target_group_name(&self, service: &str) -> String {
        fit_name(&format!("{}-{service}", self.prefix()), LB_NAME_MAX)
    }

    /// The name of the environment's load balancer: `<app>-<env>-alb`, fitted likewise.
    pub fn load_balancer_name(&self) -> String {
        fit_name(&format!("{}-alb", self.prefix()), LB_NAME_MAX)
    }
}
