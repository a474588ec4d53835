//! Resource names: `<app>-<env>-<component>`, fitted into AWS length limits.
//!
//! AWS caps many names (load balancers and target groups at 32 characters, ElastiCache and App
//! Runner at 40, IAM roles at 64). A name that does not fit is cut and given a short hash of the
//! full name, so that two long names that share a beginning stay distinct and the result is the
//! same on every run.

/// Limits of the AWS names we emit.
pub(crate) mod limit {
    /// Load balancers, target groups, App Runner auto-scaling configurations.
    pub const LB: usize = tierform_model::LB_NAME_MAX;
    /// ElastiCache replication group and user ids, App Runner services and VPC connectors.
    pub const CACHE: usize = 40;
    /// IAM roles and RDS identifiers.
    pub const ROLE: usize = 64;
    /// RDS instance identifiers.
    pub const DB: usize = 63;
}

/// `name` itself when it has at most `max` characters; otherwise its beginning, a hyphen and
/// six hex digits of a hash of the whole name (the model's [`tierform_model::fit_name`], which
/// the Kubernetes emitter uses too).
pub(crate) fn fit(name: &str, max: usize) -> String {
    tierform_model::fit_name(name, max)
}

/// A Terraform block label for a tierform name: `-` becomes `_` (identifiers may hold
/// hyphens, but underscores are what Terraform users write and read).
pub(crate) fn label(name: &str) -> String {
    name.replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_kept() {
        assert_eq!(fit("servio-staging-alb", limit::LB), "servio-staging-alb");
        assert_eq!(fit(&"a".repeat(32), limit::LB), "a".repeat(32));
    }

    #[test]
    fn long_names_are_cut_with_a_stable_hash() {
        let long = "webank-production-cooperative-bank-north-api";
        let a = fit(long, limit::LB);
        assert_eq!(a.len(), limit::LB);
        assert_eq!(a, fit(long, limit::LB), "stable");
        assert!(a.starts_with("webank-production-coopera-"));
        let b = fit("webank-production-cooperative-bank-south-api", limit::LB);
        assert_ne!(a, b, "the hash keeps names that share a beginning apart");
    }

    #[test]
    fn cut_names_do_not_end_in_a_double_hyphen() {
        let n = fit("abcdefghijklmnopqrstuvwxy-bcdefghijkl", limit::LB);
        assert!(!n.contains("--"), "{n}");
        assert!(n.len() <= limit::LB);
    }

    #[test]
    fn labels_use_underscores() {
        assert_eq!(label("read-model"), "read_model");
    }
}
