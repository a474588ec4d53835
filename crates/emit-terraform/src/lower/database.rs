//! `database.tf`: per database a subnet group, a parameter group enforcing TLS and logging,
//! the RDS instance and its read replicas; one enhanced-monitoring role per environment.
//!
//! The master password is managed by RDS in Secrets Manager (`manage_master_user_password`):
//! it never appears in the spec, the output or the state.

use tierform_model::{Database, Engine};

use super::iam::{attach_managed, role, trust};
use super::security::db_sg;
use super::{tags, Cx};
use crate::expr::{count_index, interp, list, lit, res, strings, template};
use crate::module::{Module, TfFile, B};
use crate::names::{label, limit};

pub(crate) fn lower(cx: &Cx, m: &mut Module) {
    if cx.app.databases.is_empty() {
        return;
    }
    m.push(
        TfFile::Database,
        "database",
        role(
            "rds_monitoring",
            cx.name("rds-monitoring", limit::ROLE),
            trust("monitoring.rds.amazonaws.com"),
        ),
    );
    m.push(
        TfFile::Database,
        "database",
        attach_managed(
            "rds_monitoring",
            "rds_monitoring",
            "service-role/AmazonRDSEnhancedMonitoringRole",
        ),
    );
    for (name, db) in &cx.app.databases {
        let c = format!("database {name}");
        let l = label(name);
        m.push(
            TfFile::Database,
            &c,
            B::resource("aws_db_subnet_group", &l)
                .attr("name", cx.name(&format!("db-{name}"), 255))
                .attr("subnet_ids", cx.private_subnets())
                .attr("tags", tags(cx.name(&format!("db-{name}"), 255))),
        );
        m.push(TfFile::Database, &c, parameter_group(cx, name, db));
        m.push(TfFile::Database, &c, instance(cx, name, db));
        if db.read_replicas > 0 {
            m.push(TfFile::Database, &c, replica(cx, name, db));
        }
    }
}

/// The parameter group family of an engine version: `postgres15`, `mysql8.0`.
pub(crate) fn family(db: &Database) -> String {
    match db.engine {
        Engine::Postgres => format!(
            "postgres{}",
            db.engine_version.split('.').next().unwrap_or_default()
        ),
        Engine::Mysql => format!(
            "mysql{}",
            db.engine_version
                .split('.')
                .take(2)
                .collect::<Vec<_>>()
                .join(".")
        ),
    }
}

/// TLS only (CKV2_AWS_69) and statement logging (CKV2_AWS_30).
fn parameter_group(cx: &Cx, name: &str, db: &Database) -> B {
    let params: &[(&str, &str)] = match db.engine {
        Engine::Postgres => &[
            ("rds.force_ssl", "1"),
            ("log_statement", "ddl"),
            ("log_min_duration_statement", "1000"),
            ("log_connections", "1"),
        ],
        Engine::Mysql => &[
            ("require_secure_transport", "1"),
            ("slow_query_log", "1"),
            ("long_query_time", "1"),
        ],
    };
    B::resource("aws_db_parameter_group", &label(name))
        .attr("name", cx.name(&format!("db-{name}"), 255))
        .attr("family", family(db))
        .attr(
            "description",
            format!(
                "{}: TLS only, statement logging",
                cx.name(&format!("db-{name}"), 255)
            ),
        )
        .blocks(
            params
                .iter()
                .map(|(k, v)| B::new("parameter").attr("name", *k).attr("value", *v)),
        )
        .attr("tags", tags(cx.name(&format!("db-{name}"), 255)))
}

/// What RDS exports to CloudWatch Logs, per engine (CKV_AWS_129).
fn log_exports(engine: Engine) -> Vec<&'static str> {
    match engine {
        Engine::Postgres => vec!["postgresql", "upgrade"],
        Engine::Mysql => vec!["error", "general", "slowquery"],
    }
}

/// Performance Insights is not offered for MySQL on the smallest burstable classes; asking
/// for it there makes the apply fail.
fn performance_insights(db: &Database) -> bool {
    let small = ["micro", "small"]
        .iter()
        .any(|s| db.instance_class.ends_with(&format!(".{s}")));
    !(db.engine == Engine::Mysql && small && db.instance_class.starts_with("db.t"))
}

fn instance(cx: &Cx, name: &str, db: &Database) -> B {
    let l = label(name);
    let identifier = cx.name(name, limit::DB);
    // A final snapshot follows the deletion-protection knob (which validation keeps on in
    // production): only unprotected copies may vanish without one. Deriving it from the tier
    // instead would make staging differ structurally from the production it mirrors.
    let final_snapshot = db.deletion_protection;
    B::resource("aws_db_instance", &l)
        .attr("identifier", identifier.clone())
        .attr("engine", db.engine.as_str())
        .attr("engine_version", db.engine_version.as_str())
        .attr("instance_class", db.instance_class.as_str())
        .gap()
        .attr("allocated_storage", db.allocated_storage)
        .attr("max_allocated_storage", db.max_allocated_storage)
        .attr("storage_type", "gp3")
        .attr("storage_encrypted", db.storage_encrypted)
        .attr("kms_key_id", cx.kms_arn())
        .gap()
        .attr("db_name", db.name_on_instance(&cx.app.app))
        .attr("username", db.user(&cx.app.app))
        .attr("manage_master_user_password", true)
        .attr("master_user_secret_kms_key_id", cx.kms_arn())
        .attr("iam_database_authentication_enabled", db.iam_auth)
        .gap()
        .attr(
            "db_subnet_group_name",
            res("aws_db_subnet_group", &l, "name"),
        )
        .attr(
            "vpc_security_group_ids",
            list([res("aws_security_group", &db_sg(name), "id")]),
        )
        .attr(
            "parameter_group_name",
            res("aws_db_parameter_group", &l, "name"),
        )
        .attr("port", db.engine.port())
        .attr("publicly_accessible", false)
        .attr("multi_az", db.multi_az)
        .attr("ca_cert_identifier", "rds-ca-rsa2048-g1")
        .gap()
        .attr("backup_retention_period", db.backup_retention_days)
        .attr("backup_window", "03:00-04:00")
        .attr("maintenance_window", "sun:04:30-sun:05:30")
        .attr("copy_tags_to_snapshot", true)
        .attr("auto_minor_version_upgrade", true)
        .attr("deletion_protection", db.deletion_protection)
        .attr("skip_final_snapshot", !final_snapshot)
        // Named whatever the knob (AWS ignores it when the snapshot is skipped): one set of
        // attributes for every value, so an ephemeral copy shares its production's module.
        .attr("final_snapshot_identifier", format!("{identifier}-final"))
        .gap()
        .with(|b| observed(b, cx, db))
        .attr("tags", tags(identifier))
}

/// Logs, enhanced monitoring and Performance Insights: the same on the primary and replicas.
fn observed(b: B, cx: &Cx, db: &Database) -> B {
    b.attr(
        "enabled_cloudwatch_logs_exports",
        strings(log_exports(db.engine)),
    )
    .attr("monitoring_interval", 60)
    .attr(
        "monitoring_role_arn",
        res("aws_iam_role", "rds_monitoring", "arn"),
    )
    .attr("performance_insights_enabled", performance_insights(db))
    .when(performance_insights(db), |b| {
        b.attr("performance_insights_kms_key_id", cx.kms_arn())
            .attr("performance_insights_retention_period", 7)
    })
}

/// Read replicas: same engine, class, encryption and hardening as the primary.
fn replica(cx: &Cx, name: &str, db: &Database) -> B {
    let l = label(name);
    let identifier = template([
        lit(format!("{}-replica-", cx.name(name, limit::DB - 11))),
        interp(count_index()),
    ]);
    B::resource("aws_db_instance", &format!("{l}_replica"))
        .attr("count", db.read_replicas)
        .attr("identifier", identifier.clone())
        .attr(
            "replicate_source_db",
            res("aws_db_instance", &l, "identifier"),
        )
        .attr("instance_class", db.instance_class.as_str())
        .gap()
        .attr("storage_type", "gp3")
        .attr("storage_encrypted", db.storage_encrypted)
        .attr("kms_key_id", cx.kms_arn())
        .attr("iam_database_authentication_enabled", db.iam_auth)
        .gap()
        .attr(
            "vpc_security_group_ids",
            list([res("aws_security_group", &db_sg(name), "id")]),
        )
        .attr(
            "parameter_group_name",
            res("aws_db_parameter_group", &l, "name"),
        )
        .attr("publicly_accessible", false)
        .attr("multi_az", db.multi_az)
        .attr("ca_cert_identifier", "rds-ca-rsa2048-g1")
        .gap()
        .attr("copy_tags_to_snapshot", true)
        .attr("auto_minor_version_upgrade", true)
        .attr("deletion_protection", db.deletion_protection)
        // Replicas hold no data of their own: the primary's backups and final snapshot cover them.
        .attr("skip_final_snapshot", true)
        .gap()
        .with(|b| observed(b, cx, db))
        .attr("tags", super::tags_expr(identifier))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_group_families() {
        let mut db: Database = serde_json::from_value(serde_json::json!({
            "engine": "postgres", "engine_version": "15.15", "instance_class": "db.t3.micro"
        }))
        .unwrap();
        assert_eq!(family(&db), "postgres15");
        db.engine = Engine::Mysql;
        db.engine_version = "8.4.7".into();
        assert_eq!(family(&db), "mysql8.4");
        assert!(!performance_insights(&db));
        db.instance_class = "db.t3.large".into();
        assert!(performance_insights(&db));
    }
}
