//! Databases: engine versions, instance classes, storage, backups, replicas, encryption and
//! production's protections.

use super::Rules;
use crate::engine_versions::{self as versions, Offered};
use crate::environment::Environment;
use crate::spec::Engine;

/// Every database of the environment.
pub(super) fn rules(r: &mut Rules<'_>, env: &Environment, local: bool) {
    let app = &env.app;
    for (name, db) in &app.databases {
        let p = |f: &'static str| ["database", name.as_str(), f];
        r.name(&["database", name], name, 24);
        engine_version(r, name, db.engine, &db.engine_version);
        if !local {
            instance_class(r, name, &db.instance_class);
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

/// The engine version against the shipped list: refused when malformed or older than what RDS
/// offers, a warning when newer than the list (the list is a snapshot; AWS ships monthly).
fn engine_version(r: &mut Rules<'_>, name: &str, engine: Engine, version: &str) {
    let at = ["database", name, "engine_version"];
    let list = versions::shipped();
    match versions::rds(engine, version) {
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
                "make sure RDS offers it in your region (`aws rds describe-db-engine-versions --engine {} --engine-version {version}`); refresh the list with {}",
                engine.as_str(),
                list.refresh
            ),
        ),
        Offered::NotOffered { offered } => r.err(
            "unknown-version",
            &at,
            format!("RDS has no {} version `{version}`: it offers {offered}", engine.as_str()),
            format!("use a version RDS offers (list checked {})", list.checked),
        ),
        Offered::Malformed { form } => r.err(
            "unknown-version",
            &at,
            format!("RDS has no {} version `{version}`", engine.as_str()),
            format!(
                "write the full version as {form}; known {} versions: {}",
                engine.as_str(),
                versions::rds_listed(engine)
            ),
        ),
    }
}

/// The sizes an RDS instance (`aws_db_instance`) takes: `db.<family>.<size>`, never an Aurora
/// Serverless class.
fn instance_class(r: &mut Rules<'_>, name: &str, class: &str) {
    let at = ["database", name, "instance_class"];
    if class == "db.serverless" {
        r.err(
            "unsupported-instance-class",
            &at,
            "`db.serverless` is an Aurora Serverless v2 class: an RDS instance cannot take it".into(),
            "tierform emits RDS instances (`aws_db_instance`), not Aurora clusters: use a provisioned class such as `db.t4g.medium` or `db.r6g.large`",
        );
        return;
    }
    let parts: Vec<&str> = class.split('.').collect();
    let family_ok = |f: &str| {
        f.len() >= 2
            && f.as_bytes()[0].is_ascii_lowercase()
            && f.bytes().any(|b| b.is_ascii_digit())
            && f.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let size_ok = |s: &str| {
        let xl = |s: &str| s.is_empty() || s.bytes().all(|b| b.is_ascii_digit());
        ["micro", "small", "medium", "large", "xlarge", "metal"].contains(&s)
            || s.strip_suffix("xlarge").is_some_and(xl)
            || s.strip_prefix("metal-")
                .and_then(|m| m.strip_suffix("xl"))
                .is_some_and(|n| !n.is_empty() && xl(n))
    };
    let ok = matches!(parts.as_slice(), ["db", family, size] if family_ok(family) && size_ok(size));
    if !ok {
        r.err(
            "invalid-instance-class",
            &at,
            format!("`{class}` is not an RDS instance class"),
            "RDS classes are `db.<family>.<size>`, such as `db.t3.medium` or `db.r6g.2xlarge`",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Diagnostic;

    fn codes(f: impl Fn(&mut Rules<'_>)) -> Vec<(&'static str, bool)> {
        let mut out: Vec<Diagnostic> = Vec::new();
        f(&mut Rules { out: &mut out });
        out.iter().map(|d| (d.code, d.is_error())).collect()
    }

    #[test]
    fn engine_versions() {
        let v = |e, s: &'static str| codes(move |r| engine_version(r, "main", e, s));
        assert_eq!(v(Engine::Postgres, "15.15"), []);
        assert_eq!(v(Engine::Mysql, "8.4.7"), []);
        assert_eq!(v(Engine::Postgres, "17.9"), [("newer-version", false)]);
        assert_eq!(v(Engine::Postgres, "15.1"), [("unknown-version", true)]);
        assert_eq!(v(Engine::Postgres, "15"), [("unknown-version", true)]);
        assert_eq!(v(Engine::Mysql, "9.9"), [("unknown-version", true)]);
    }

    #[test]
    fn instance_classes() {
        let c = |s: &'static str| codes(move |r| instance_class(r, "main", s));
        for ok in [
            "db.t3.medium",
            "db.r6g.2xlarge",
            "db.m5d.24xlarge",
            "db.m7i.metal-48xl",
            "db.x2iedn.metal",
        ] {
            assert_eq!(c(ok), [], "{ok}");
        }
        assert_eq!(c("db.serverless"), [("unsupported-instance-class", true)]);
        for bad in [
            "t3.medium",
            "db.t3",
            "db.t3.huge",
            "db.T3.medium",
            "db..large",
            "db.t3.medium.x",
        ] {
            assert_eq!(c(bad), [("invalid-instance-class", true)], "{bad}");
        }
    }
}
