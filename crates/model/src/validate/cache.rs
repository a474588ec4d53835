//! Caches: engine versions, node types and counts, failover, encryption and snapshots.

use super::Rules;
use crate::engine_versions::{self as versions, Offered};
use crate::spec::{App, CacheEngine};

/// Every cache of the environment.
pub(super) fn rules(r: &mut Rules<'_>, app: &App, local: bool) {
    for (name, c) in &app.caches {
        let p = |f: &'static str| ["cache", name.as_str(), f];
        r.name(&["cache", name], name, 24);
        engine_version(r, name, c.engine, &c.engine_version, local);
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

/// The engine version against the shipped list (as a database's), and what the emitted
/// authentication needs: each service logs in as an IAM-authenticated ElastiCache user, which
/// Redis OSS offers from 7.0 (Valkey from its first version, 7.2).
fn engine_version(r: &mut Rules<'_>, name: &str, engine: CacheEngine, version: &str, local: bool) {
    let at = ["cache", name, "engine_version"];
    let list = versions::shipped();
    match versions::elasticache(engine, version) {
        Offered::Listed => {}
        Offered::Newer { newest } => r.warn(
            "newer-version",
            &at,
            format!(
                "{} `{version}` is newer than the versions tierform knows (up to `{newest}`, list checked {})",
                engine.as_str(),
                list.checked
            ),
            format!(
                "make sure ElastiCache offers it (`aws elasticache describe-cache-engine-versions --engine {}`); refresh the list with {}",
                engine.as_str(),
                list.refresh
            ),
        ),
        Offered::NotOffered { .. } | Offered::Malformed { .. } => r.err(
            "unknown-version",
            &at,
            format!("ElastiCache has no {} version `{version}`", engine.as_str()),
            format!(
                "supported: {} (list checked {})",
                versions::elasticache_listed(engine).join(", "),
                list.checked
            ),
        ),
    }
    let too_old_for_iam =
        engine == CacheEngine::Redis && versions::elasticache_major(version).is_some_and(|m| m < 7);
    if too_old_for_iam && !local {
        r.err(
            "version-too-old-for-feature",
            &at,
            format!("cache `{name}` runs Redis OSS {version}, but each service logs in as its own IAM-authenticated ElastiCache user, which needs Redis OSS 7.0 or later"),
            "use `engine_version = \"7.1\"` (or Valkey): tierform never wires a shared cache password",
        );
    }
}
