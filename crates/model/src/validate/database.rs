//! Databases: engine versions, instance classes, storage, backups, replicas, encryption and
//! production's protections.

use super::Rules;
use crate::aws::{MYSQL, POSTGRES};
use crate::environment::Environment;
use crate::spec::Engine;

/// Whether RDS offers this engine version.
pub fn engine_version_exists(engine: Engine, version: &str) -> bool {
    let table = match engine {
        Engine::Postgres => POSTGRES,
        Engine::Mysql => MYSQL,
    };
    table.iter().any(|(major, lo, hi)| {
        version
            .strip_prefix(major)
            .and_then(|r| r.strip_prefix('.'))
            .and_then(|minor| minor.parse::<u32>().ok())
            .is_some_and(|m| (*lo..=*hi).contains(&m))
    })
}

fn known_versions(engine: Engine) -> String {
    let table = match engine {
        Engine::Postgres => POSTGRES,
        Engine::Mysql => MYSQL,
    };
    table
        .iter()
        .map(|(m, lo, hi)| format!("{m}.{lo}-{m}.{hi}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every database of the environment.
pub(super) fn rules(r: &mut Rules<'_>, env: &Environment, local: bool) {
    let app = &env.app;
    for (name, db) in &app.databases {
        let p = |f: &'static str| ["database", name.as_str(), f];
        r.name(&["database", name], name, 24);
        if !engine_version_exists(db.engine, &db.engine_version) {
            r.err(
                "unknown-version",
                &p("engine_version"),
                format!(
                    "RDS has no {} version `{}`",
                    db.engine.as_str(),
                    db.engine_version
                ),
                format!(
                    "known {} versions: {}",
                    db.engine.as_str(),
                    known_versions(db.engine)
                ),
            );
        }
        if !local && !db.instance_class.starts_with("db.") {
            r.err(
                "invalid-instance-class",
                &p("instance_class"),
                format!("`{}` is not an RDS instance class", db.instance_class),
                "RDS classes start with `db.`, such as `db.t3.medium`",
            );
        }
        if db.allocated_storage < 20 || db.allocated_storage > 65536 {
            r.err(
                "invalid-storage",
                &p("allocated_storage"),
                format!(
                    "{} GiB: RDS gp3 storage is 20 to 65536 GiB",
                    db.allocated_storage
                ),
                "use at least 20",
            );
        }
        if db.max_allocated_storage > 65536 {
            r.err(
                "invalid-storage",
                &p("max_allocated_storage"),
                format!(
                    "{} GiB: RDS storage autoscaling stops at 65536 GiB",
                    db.max_allocated_storage
                ),
                "use at most 65536, or 0 to turn storage autoscaling off",
            );
        } else if db.max_allocated_storage != 0 && db.max_allocated_storage < db.allocated_storage {
            r.err(
                "invalid-storage",
                &p("max_allocated_storage"),
                format!(
                    "the autoscaling ceiling ({} GiB) is below the allocated storage ({} GiB)",
                    db.max_allocated_storage, db.allocated_storage
                ),
                "raise it, or set 0 to turn storage autoscaling off",
            );
        }
        if db.backup_retention_days > 35 {
            r.err(
                "invalid-retention",
                &p("backup_retention_days"),
                format!(
                    "{} days: RDS keeps backups 0 to 35 days",
                    db.backup_retention_days
                ),
                "use at most 35",
            );
        }
        if db.read_replicas > 5 {
            r.err(
                "too-many-replicas",
                &p("read_replicas"),
                format!(
                    "{} read replicas; tierform allows up to 5",
                    db.read_replicas
                ),
                "use at most 5",
            );
        }
        if db.read_replicas > 0 && db.backup_retention_days == 0 {
            r.err(
                "replicas-need-backups",
                &p("backup_retention_days"),
                "read replicas need automated backups".into(),
                "set backup_retention_days to at least 1",
            );
        }
        if !db.storage_encrypted && !local {
            r.err(
                "encryption-off",
                &p("storage_encrypted"),
                format!("database `{name}` turns encryption at rest off"),
                "encryption is always on outside local tiers; remove `storage_encrypted = false`",
            );
        }
        if env.production {
            if db.backup_retention_days == 0 {
                r.err(
                    "production-no-backups",
                    &p("backup_retention_days"),
                    "a production database without backups".into(),
                    "set backup_retention_days to at least 7",
                );
            }
            if !db.deletion_protection {
                r.err(
                    "production-unprotected",
                    &p("deletion_protection"),
                    "a production database without deletion protection".into(),
                    "remove `deletion_protection = false` from the production tier",
                );
            }
        }
        for (f, v) in [("db_name", &db.db_name), ("username", &db.username)] {
            if let Some(v) = v {
                let ok = !v.is_empty()
                    && v.len() <= 63
                    && v.as_bytes()[0].is_ascii_alphabetic()
                    && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if !ok {
                    r.err(
                        "invalid-name",
                        &p(f),
                        format!("`{v}` is not a valid database identifier"),
                        "use letters, digits and underscores, starting with a letter",
                    );
                }
            }
        }
        if db.seed_data.is_some() && !local {
            r.err(
                "unsupported-on-platform",
                &p("seed_data"),
                format!(
                    "seed data is loaded into local (docker-compose) containers only: the {} database `{name}` is not seeded",
                    env.app.platform.display()
                ),
                "move `seed_data` into the local tier; a cloud tier copies data with `data_refresh`",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_versions() {
        assert!(engine_version_exists(Engine::Postgres, "15.15"));
        assert!(engine_version_exists(Engine::Mysql, "8.4.7"));
        assert!(!engine_version_exists(Engine::Postgres, "15.99"));
        assert!(!engine_version_exists(Engine::Postgres, "15"));
        assert!(!engine_version_exists(Engine::Mysql, "9.9.9"));
    }
}
