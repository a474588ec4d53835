//! Caches: engine versions, node types and counts, failover, encryption and snapshots.

use super::Rules;
use crate::aws::{REDIS, VALKEY};
use crate::spec::{App, CacheEngine};

/// Every cache of the environment.
pub(super) fn rules(r: &mut Rules<'_>, app: &App, local: bool) {
    for (name, c) in &app.caches {
        let p = |f: &'static str| ["cache", name.as_str(), f];
        r.name(&["cache", name], name, 24);
        let versions = match c.engine {
            CacheEngine::Redis => REDIS,
            CacheEngine::Valkey => VALKEY,
        };
        if !versions.contains(&c.engine_version.as_str()) {
            r.err(
                "unknown-version",
                &p("engine_version"),
                format!(
                    "ElastiCache has no {} version `{}`",
                    c.engine.as_str(),
                    c.engine_version
                ),
                format!("supported: {}", versions.join(", ")),
            );
        }
        if !local && !c.node_type.starts_with("cache.") {
            r.err(
                "invalid-node-type",
                &p("node_type"),
                format!("`{}` is not an ElastiCache node type", c.node_type),
                "node types start with `cache.`, such as `cache.t3.micro`",
            );
        }
        if c.nodes == 0 || c.nodes > 6 {
            r.err(
                "invalid-count",
                &p("nodes"),
                format!("{} cache nodes: use 1 to 6", c.nodes),
                "one primary plus up to five replicas",
            );
        }
        if c.automatic_failover && c.nodes < 2 {
            r.err(
                "failover-needs-replica",
                &p("nodes"),
                format!("cache `{name}` has {} node, but automatic failover (on by default) needs a replica to promote", c.nodes),
                "set `nodes = 2`, or `automatic_failover = false` where a single node is acceptable (local or test tiers)",
            );
        }
        for (field, on, what) in [
            ("at_rest_encryption", c.at_rest_encryption, "at rest"),
            ("transit_encryption", c.transit_encryption, "in transit"),
        ] {
            if !local && !on {
                r.err(
                    "encryption-off",
                    &p(field),
                    format!("cache `{name}` turns encryption {what} off"),
                    format!("encryption at rest and in transit is always on outside local tiers; remove `{field} = false`"),
                );
            }
        }
        if c.snapshot_retention_days > 35 {
            r.err(
                "invalid-retention",
                &p("snapshot_retention_days"),
                format!(
                    "{} days: ElastiCache keeps snapshots 0 to 35 days",
                    c.snapshot_retention_days
                ),
                "use at most 35",
            );
        }
    }
}
