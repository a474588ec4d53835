//! What AWS offers, as data: the engine versions of RDS and ElastiCache, the Kubernetes
//! versions of EKS, the retention periods of CloudWatch Logs, the task sizes of ECS Fargate and
//! the instance sizes of App Runner, and the quotas tierform checks against. Validation reads
//! these tables and nothing else; update them here when AWS adds or retires a version.
//!
//! As of 2026-12. Sources, one per table:
//! - [`POSTGRES`], [`MYSQL`]: Amazon RDS User Guide, "Supported PostgreSQL major versions" and
//!   "Supported MySQL major versions on Amazon RDS" (equivalently,
//!   `aws rds describe-db-engine-versions --engine postgres|mysql`).
//! - [`REDIS`], [`VALKEY`]: Amazon ElastiCache User Guide, "Supported engines and versions"
//!   (`aws elasticache describe-cache-engine-versions`).
//! - [`EKS`]: Amazon EKS User Guide, "Understand the Kubernetes version lifecycle on EKS"
//!   (standard and extended support).
//! - [`LOG_RETENTION`]: CloudWatch Logs API Reference, `PutRetentionPolicy`, the valid values
//!   of `retentionInDays`.
//! - [`fargate_size`]: Amazon ECS Developer Guide, "Task CPU and memory" (Fargate task sizes up
//!   to 4 vCPU; tierform does not offer the 8 and 16 vCPU sizes).
//! - [`app_runner_size`]: AWS App Runner API Reference, `InstanceConfiguration` (`Cpu`,
//!   `Memory`).
//! - [`MAX_NODES_PER_GROUP`]: Amazon EKS service quotas, "Nodes per managed node group".

/// RDS engine versions by major version: (major, lowest minor, highest minor). Versions must be
/// written in full (`15.4`, `8.0.35`), as RDS takes them.
pub const POSTGRES: &[(&str, u32, u32)] = &[
    ("12", 4, 22),
    ("13", 1, 21),
    ("14", 1, 18),
    ("15", 2, 13),
    ("16", 1, 9),
    ("17", 1, 5),
];
/// The same for MySQL.
pub const MYSQL: &[(&str, u32, u32)] = &[("5.7", 37, 44), ("8.0", 28, 42), ("8.4", 3, 5)];
/// ElastiCache Redis OSS versions, as ElastiCache takes them (`7.1`).
pub const REDIS: &[&str] = &["6.0", "6.2", "7.0", "7.1"];
/// ElastiCache Valkey versions.
pub const VALKEY: &[&str] = &["7.2", "8.0", "8.1"];
/// The Kubernetes versions EKS runs.
pub const EKS: &[&str] = &["1.28", "1.29", "1.30", "1.31", "1.32", "1.33"];
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
    fn sizes() {
        assert!(fargate_size(500, 1024));
        assert!(!fargate_size(500, 512));
        assert!(app_runner_size(500, 1024) && app_runner_size(1000, 2048));
    }
}
