//! What AWS offers, as data: the Kubernetes versions of EKS, the retention periods of CloudWatch Logs, the task sizes of ECS Fargate and
//! the instance sizes of App Runner, and the quotas tierform checks against. Validation reads
//! these tables and nothing else; update them here when AWS adds or retires a version.
//!
//! As of 2026-12. Sources, one per table:
//! - RDS and ElastiCache engine versions: `crate::engine_versions`, a data file with its own
//!   date and refresh script (they change monthly; a newer version than the list is a warning).
//! - [`EKS`]: Amazon EKS User Guide, "Understand the Kubernetes version lifecycle on EKS"
//!   (standard and extended support).
//! - [`LOG_RETENTION`]: CloudWatch Logs API Reference, `PutRetentionPolicy`, the valid values
//!   of `retentionInDays`.
//! - [`fargate_size`]: Amazon ECS Developer Guide, "Task CPU and memory" (Fargate task sizes up
//!   to 4 vCPU; tierform does not offer the 8 and 16 vCPU sizes).
//! - [`app_runner_size`]: AWS App Runner API Reference, `InstanceConfiguration` (`Cpu`,
//!   `Memory`).
//! - [`MAX_NODES_PER_GROUP`]: Amazon EKS service quotas, "Nodes per managed node group".
//! - [`LIFECYCLE`]: the end of standard support of each version, each row with its own source
//!   and the date it was checked.

use crate::date::Date;

/// The Kubernetes versions EKS runs.
pub const EKS: &[&str] = &[
    "1.28", "1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35",
];
/// What a lifecycle row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    /// Amazon RDS for PostgreSQL.
    Postgres,
    /// Amazon RDS for MySQL.
    Mysql,
    /// Amazon EKS (Kubernetes versions).
    Eks,
}

impl Product {
    /// The product's name, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Product::Postgres => "RDS for PostgreSQL",
            Product::Mysql => "RDS for MySQL",
            Product::Eks => "Amazon EKS",
        }
    }
}

/// The end of AWS's standard support for a major version (`minors_up_to: None`) or for its
/// minor versions up to one (`Some(n)`: `16.0` to `16.n`). After it, RDS upgrades the instance
/// in a maintenance window or charges Extended Support, EKS charges extended support and later
/// upgrades the control plane: an environment would not stay on the version it declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Support {
    /// The product.
    pub product: Product,
    /// The major version (`16`, `8.0`, `1.31`).
    pub major: &'static str,
    /// Minor versions up to this one, or the whole major version.
    pub minors_up_to: Option<u32>,
    /// The last day of standard support.
    pub end: Date,
    /// The AWS documentation page the date comes from, by name.
    pub source: &'static str,
    /// When the row was checked against it.
    pub checked: Date,
}

const PG_CALENDAR: &str =
    "Amazon RDS for PostgreSQL Release Notes, \"Release calendars for Amazon RDS for PostgreSQL\"";
const PG_MINORS: &str = "AWS Health notice \"RDS for PostgreSQL minor versions 14.14-14.17, 15.9-15.12, 16.5-16.8, 17.1-17.4 reach end of standard support on May 31, 2026\" (same release calendar)";
const MYSQL_CALENDAR: &str =
    "Amazon RDS for MySQL Release Notes, \"Release calendars for Amazon RDS for MySQL\"";
const EKS_CALENDAR: &str = "Amazon EKS User Guide, \"Understand the Kubernetes version lifecycle on EKS\" (release calendar)";
/// The day the lifecycle rows were last checked, and the date validation assumes when the
/// caller gives none (`Model::with_today`).
pub const CHECKED: Date = Date::ymd(2026, 12, 1);

const fn row(
    product: Product,
    major: &'static str,
    minors_up_to: Option<u32>,
    end: Date,
    source: &'static str,
) -> Support {
    Support {
        product,
        major,
        minors_up_to,
        end,
        source,
        checked: CHECKED,
    }
}

/// End of standard support, per engine major (and range of minors) and per EKS version.
/// Minor versions of RDS have dates of their own, earlier than their major's; a version is
/// past its end when any row that covers it is.
pub const LIFECYCLE: &[Support] = &[
    row(
        Product::Postgres,
        "12",
        None,
        Date::ymd(2025, 2, 28),
        PG_CALENDAR,
    ),
    row(
        Product::Postgres,
        "13",
        None,
        Date::ymd(2026, 2, 28),
        PG_CALENDAR,
    ),
    row(
        Product::Postgres,
        "14",
        None,
        Date::ymd(2027, 2, 28),
        PG_CALENDAR,
    ),
    row(
        Product::Postgres,
        "15",
        None,
        Date::ymd(2028, 2, 29),
        PG_CALENDAR,
    ),
    row(
        Product::Postgres,
        "16",
        None,
        Date::ymd(2029, 2, 28),
        PG_CALENDAR,
    ),
    row(
        Product::Postgres,
        "17",
        None,
        Date::ymd(2030, 2, 28),
        PG_CALENDAR,
    ),
    row(
        Product::Postgres,
        "14",
        Some(17),
        Date::ymd(2026, 5, 31),
        PG_MINORS,
    ),
    row(
        Product::Postgres,
        "15",
        Some(12),
        Date::ymd(2026, 5, 31),
        PG_MINORS,
    ),
    row(
        Product::Postgres,
        "16",
        Some(8),
        Date::ymd(2026, 5, 31),
        PG_MINORS,
    ),
    row(
        Product::Postgres,
        "17",
        Some(4),
        Date::ymd(2026, 5, 31),
        PG_MINORS,
    ),
    row(
        Product::Mysql,
        "5.7",
        None,
        Date::ymd(2024, 2, 29),
        MYSQL_CALENDAR,
    ),
    row(
        Product::Mysql,
        "8.0",
        None,
        Date::ymd(2026, 7, 31),
        MYSQL_CALENDAR,
    ),
    row(
        Product::Mysql,
        "8.4",
        None,
        Date::ymd(2029, 7, 31),
        MYSQL_CALENDAR,
    ),
    row(
        Product::Eks,
        "1.28",
        None,
        Date::ymd(2024, 11, 26),
        EKS_CALENDAR,
    ),
    row(
        Product::Eks,
        "1.29",
        None,
        Date::ymd(2025, 3, 23),
        EKS_CALENDAR,
    ),
    row(
        Product::Eks,
        "1.30",
        None,
        Date::ymd(2025, 7, 23),
        EKS_CALENDAR,
    ),
    row(
        Product::Eks,
        "1.31",
        None,
        Date::ymd(2025, 11, 26),
        EKS_CALENDAR,
    ),
    row(
        Product::Eks,
        "1.32",
        None,
        Date::ymd(2026, 3, 23),
        EKS_CALENDAR,
    ),
    row(
        Product::Eks,
        "1.33",
        None,
        Date::ymd(2026, 7, 29),
        EKS_CALENDAR,
    ),
    row(
        Product::Eks,
        "1.34",
        None,
        Date::ymd(2026, 12, 2),
        EKS_CALENDAR,
    ),
    row(
        Product::Eks,
        "1.35",
        None,
        Date::ymd(2027, 3, 27),
        EKS_CALENDAR,
    ),
];

/// The row that ends `version`'s standard support first, if any covers it. EKS versions are
/// `major` itself; RDS versions are `major.minor`.
pub fn standard_support(product: Product, version: &str) -> Option<&'static Support> {
    LIFECYCLE
        .iter()
        .filter(|r| r.product == product)
        .filter(|r| match r.minors_up_to {
            None if product == Product::Eks => version == r.major,
            None => version
                .strip_prefix(r.major)
                .is_some_and(|rest| rest.starts_with('.')),
            Some(up_to) => version
                .strip_prefix(r.major)
                .and_then(|rest| rest.strip_prefix('.'))
                .and_then(|m| m.parse::<u32>().ok())
                .is_some_and(|m| m <= up_to),
        })
        .min_by_key(|r| r.end)
}

/// The retention periods CloudWatch Logs accepts, in days.
pub const LOG_RETENTION: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The most nodes of one EKS managed node group (the AWS service quota).
pub const MAX_NODES_PER_GROUP: u32 = 450;

/// Whether ECS Fargate offers a task of `cpu` millicores with `mem` MiB.
pub fn fargate_size(cpu: u32, mem: u32) -> bool {
    match cpu {
        250 => [512, 1024, 2048].contains(&mem),
        500 => (1024..=4096).contains(&mem) && mem % 1024 == 0,
        1000 => (2048..=8192).contains(&mem) && mem % 1024 == 0,
        2000 => (4096..=16384).contains(&mem) && mem % 1024 == 0,
        4000 => (8192..=30720).contains(&mem) && mem % 1024 == 0,
        _ => false,
    }
}

/// Whether App Runner offers an instance of `cpu` millicores with `mem` MiB.
pub fn app_runner_size(cpu: u32, mem: u32) -> bool {
    match cpu {
        250 => [512, 1024].contains(&mem),
        500 => mem == 1024,
        1000 => [2048, 3072, 4096].contains(&mem),
        2000 => [4096, 6144].contains(&mem),
        4000 => [8192, 10240, 12288].contains(&mem),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_rows_cover_the_seeds_versions() {
        let end = |p, v| standard_support(p, v).map(|r| r.end.to_string());
        // The seeds' versions are past their end as of December 2026.
        assert_eq!(
            end(Product::Postgres, "15.4").as_deref(),
            Some("2026-05-31")
        );
        assert_eq!(
            end(Product::Postgres, "16.4").as_deref(),
            Some("2026-05-31")
        );
        assert_eq!(end(Product::Mysql, "8.0.35").as_deref(), Some("2026-07-31"));
        assert_eq!(end(Product::Eks, "1.30").as_deref(), Some("2025-07-23"));
        // A later minor has its major's date; `16` never matches `1.6` or `160.1`.
        assert_eq!(
            end(Product::Postgres, "16.11").as_deref(),
            Some("2029-02-28")
        );
        assert_eq!(end(Product::Postgres, "160.1"), None);
        assert_eq!(end(Product::Eks, "1.3"), None);
        for r in LIFECYCLE {
            assert!(!r.source.is_empty() && r.checked <= CHECKED);
        }
    }

    #[test]
    fn sizes() {
        assert!(fargate_size(500, 1024));
        assert!(!fargate_size(500, 512));
        assert!(app_runner_size(500, 1024) && app_runner_size(1000, 2048));
    }
}
