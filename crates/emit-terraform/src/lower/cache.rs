//! `cache.tf`: per cache a subnet group, RBAC users (IAM authentication, no password anywhere)
//! and a replication group encrypted at rest (KMS) and in transit.

use super::security::{cache_sg, CACHE_PORT};
use super::{tags, Cx};
use crate::expr::{list, res};
use crate::module::{Module, TfFile, B};
use crate::names::{label, limit};

/// The label of the ElastiCache user a service connects as.
pub(crate) fn user_label(cache: &str, service: &str) -> String {
    format!("{}_{}", label(cache), label(service))
}

pub(crate) fn lower(cx: &Cx, m: &mut Module) {
    for (name, cache) in &cx.app.caches {
        let c = format!("cache {name}");
        let l = label(name);
        m.push(
            TfFile::Cache,
            &c,
            B::resource("aws_elasticache_subnet_group", &l)
                .attr("name", cx.name(&format!("cache-{name}"), 255))
                .attr("subnet_ids", cx.private_subnets())
                .attr("tags", tags(cx.name(&format!("cache-{name}"), 255))),
        );
        // Authentication without a shared password: the mandatory `default` user is switched
        // off, and each service that uses the cache gets an IAM-authenticated user of its own.
        let default = format!("{l}_default");
        m.push(
            TfFile::Cache,
            &c,
            B::resource("aws_elasticache_user", &default)
                .attr("user_id", cx.name(&format!("{name}-default"), limit::CACHE))
                .attr("user_name", "default")
                .attr("engine", cache.engine.as_str())
                .attr("access_string", "off -@all")
                .block(B::new("authentication_mode").attr("type", "no-password-required"))
                .attr(
                    "tags",
                    tags(cx.name(&format!("{name}-default"), limit::CACHE)),
                ),
        );
        let users: Vec<&String> = cx
            .app
            .services
            .iter()
            .filter(|(_, s)| s.caches.contains(name))
            .map(|(n, _)| n)
            .collect();
        for svc in &users {
            // IAM users must have the same id and name.
            let id = cx.name(&format!("{name}-{svc}"), limit::CACHE);
            m.push(
                TfFile::Cache,
                &c,
                B::resource("aws_elasticache_user", &user_label(name, svc))
                    .attr("user_id", id.clone())
                    .attr("user_name", id.clone())
                    .attr("engine", cache.engine.as_str())
                    .attr("access_string", "on ~* +@all -@dangerous")
                    .block(B::new("authentication_mode").attr("type", "iam"))
                    .attr("tags", tags(id)),
            );
        }
        let mut members = vec![res("aws_elasticache_user", &default, "user_id")];
        members.extend(
            users
                .iter()
                .map(|s| res("aws_elasticache_user", &user_label(name, s), "user_id")),
        );
        m.push(
            TfFile::Cache,
            &c,
            B::resource("aws_elasticache_user_group", &l)
                .attr("user_group_id", cx.name(name, limit::CACHE))
                .attr("engine", cache.engine.as_str())
                .attr("user_ids", list(members))
                .attr("tags", tags(cx.name(name, limit::CACHE))),
        );
        let failover = cache.automatic_failover && cache.nodes >= 2;
        let id = cx.name(name, limit::CACHE);
        m.push(
            TfFile::Cache,
            &c,
            B::resource("aws_elasticache_replication_group", &l)
                .attr("replication_group_id", id.clone())
                .attr("description", format!("{}: cache {name}", cx.prefix))
                .attr("engine", cache.engine.as_str())
                .attr("engine_version", cache.engine_version.as_str())
                .attr("node_type", cache.node_type.as_str())
                .attr("num_cache_clusters", cache.nodes)
                .attr("port", CACHE_PORT)
                .gap()
                .attr("automatic_failover_enabled", failover)
                .attr("multi_az_enabled", failover)
                .gap()
                .attr(
                    "subnet_group_name",
                    res("aws_elasticache_subnet_group", &l, "name"),
                )
                .attr(
                    "security_group_ids",
                    list([res("aws_security_group", &cache_sg(name), "id")]),
                )
                .attr(
                    "user_group_ids",
                    list([res("aws_elasticache_user_group", &l, "user_group_id")]),
                )
                .gap()
                .attr("at_rest_encryption_enabled", cache.at_rest_encryption)
                .attr("kms_key_id", cx.kms_arn())
                .attr("transit_encryption_enabled", cache.transit_encryption)
                .gap()
                .attr("snapshot_retention_limit", cache.snapshot_retention_days)
                .attr("snapshot_window", "02:00-03:00")
                .attr("maintenance_window", "sun:05:30-sun:06:30")
                .attr("auto_minor_version_upgrade", true)
                .attr("tags", tags(id)),
        );
    }
}
