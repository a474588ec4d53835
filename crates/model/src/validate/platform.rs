//! The platform: the EKS version and node groups (ECS Fargate and App Runner have no settings
//! of their own to check here; service sizes are checked per service).

use super::Rules;
use crate::aws::{EKS, MAX_NODES_PER_GROUP};
use crate::spec::Platform;

/// The platform's own settings.
pub(super) fn rules(r: &mut Rules<'_>, platform: &Platform, local: bool) {
    match platform {
        Platform::Eks(eks) => {
            if !EKS.contains(&eks.version.as_str()) {
                r.err(
                    "unknown-version",
                    &["platform", "eks", "version"],
                    format!("EKS does not offer Kubernetes `{}`", eks.version),
                    format!("supported: {}", EKS.join(", ")),
                );
            }
            if eks.node_groups.is_empty() && !local {
                r.err(
                    "no-node-group",
                    &["platform", "eks"],
                    "the EKS cluster has no node group".into(),
                    "add `node_group \"general\" { … }`",
                );
            }
            for (name, g) in &eks.node_groups {
                let p = |f: &'static str| ["platform", "eks", "node_group", name.as_str(), f];
                r.name(&["platform", "eks", "node_group", name], name, 24);
                if g.instance_types.is_empty() {
                    r.err(
                        "empty-list",
                        &p("instance_types"),
                        "a node group needs at least one instance type".into(),
                        "such as `[\"m5.large\"]`",
                    );
                }
                if g.max > MAX_NODES_PER_GROUP {
                    r.err(
                        "invalid-range",
                        &p("max"),
                        format!("node group `{name}` may grow to {} nodes; EKS managed node groups hold at most {MAX_NODES_PER_GROUP}", g.max),
                        "lower `max`, or add a second node group",
                    );
                } else if !(g.min <= g.desired && g.desired <= g.max) || g.max == 0 {
                    r.err(
                        "invalid-range",
                        &p("desired"),
                        format!("node group `{name}` must have min <= desired <= max and max >= 1 (found {} <= {} <= {})", g.min, g.desired, g.max),
                        "adjust min, desired and max",
                    );
                }
            }
        }
        Platform::EcsFargate(_) | Platform::AppRunner(_) => {}
    }
}
