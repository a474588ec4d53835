//! The order of an environment's very first apply, from an empty account: one definition that
//! the Terraform emitter writes into the module's outputs and the runbook writes as commands.
//!
//! Secrets are created empty by Terraform (tierform never holds a value), databases need their
//! application user created once by hand, App Runner's custom-domain validation records are
//! only known once the association exists, and the Kubernetes and Helm providers need a
//! cluster with nodes. A single `terraform apply` would start services that cannot read their
//! secrets or log in, so the first apply runs in stages, each with `-target`ed addresses of the
//! environment's root module (the Terraform emitter's tests resolve every one of them).

use serde::Serialize;

use crate::environment::{Environment, Runtime};
use crate::spec::{Engine, Platform};

/// One stage of the first apply ([`first_apply`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum ApplyStage {
    /// `terraform apply` limited to these addresses (and what they depend on).
    Targets {
        /// Why this stage comes first.
        title: String,
        /// Resource addresses of the root module.
        addresses: Vec<String>,
    },
    /// Put a value into each of these Secrets Manager secrets (full names).
    SetSecrets {
        /// Secret names, `<app>/<env>/<name>`.
        names: Vec<String>,
    },
    /// Create each database's application user once, connected as the master user.
    CreateDatabaseUsers {
        /// One per database.
        users: Vec<DatabaseUser>,
    },
    /// The whole `terraform apply`.
    Apply,
    /// `kubectl apply -k` of the environment's overlay.
    Kubernetes,
}

/// The one-time SQL of a database's application user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseUser {
    /// The spec's database name.
    pub database: String,
    /// The user the services log in as.
    pub user: String,
    /// The statements, run as the master user (its password is in the RDS-managed secret).
    pub sql: Vec<String>,
}

/// The Terraform label of a spec name (`-` becomes `_`), as every emitter writes it.
pub fn tf_label(name: &str) -> String {
    name.replace('-', "_")
}

/// The stages of a cloud environment's first apply; empty for a local one.
pub fn first_apply(env: &Environment) -> Vec<ApplyStage> {
    if env.runtime == Runtime::Local {
        return Vec::new();
    }
    let app = &env.app;
    let mut out = Vec::new();
    // The spec's secrets, and the password of each database's application user where IAM
    // authentication is off.
    let secrets: Vec<String> = app
        .secrets
        .keys()
        .cloned()
        .chain(
            app.databases
                .iter()
                .filter(|(_, db)| !db.iam_auth)
                .map(|(name, _)| db_app_secret(name)),
        )
        .collect();
    if !secrets.is_empty() {
        let mut addresses = vec!["aws_kms_key.main".to_owned()];
        addresses.extend(
            secrets
                .iter()
                .map(|s| format!("aws_secretsmanager_secret.{}", tf_label(s))),
        );
        out.push(ApplyStage::Targets {
            title: "Create the encryption key and the secrets (empty)".into(),
            addresses,
        });
        out.push(ApplyStage::SetSecrets {
            names: secrets
                .iter()
                .map(|s| format!("{}/{}/{s}", app.app, env.name))
                .collect(),
        });
    }
    if !app.databases.is_empty() {
        out.push(ApplyStage::Targets {
            title: "Create the databases (and the network they need)".into(),
            addresses: app
                .databases
                .keys()
                .map(|d| format!("aws_db_instance.{}", tf_label(d)))
                .collect(),
        });
        out.push(ApplyStage::CreateDatabaseUsers {
            users: app
                .databases
                .iter()
                .map(|(name, db)| {
                    let user = db.app_user(&app.app);
                    let database = db.name_on_instance(&app.app);
                    let sql = match (db.engine, db.iam_auth) {
                        (Engine::Postgres, true) => vec![
                            format!("CREATE USER {user};"),
                            format!("GRANT rds_iam TO {user};"),
                            format!("GRANT ALL PRIVILEGES ON DATABASE {database} TO {user};"),
                            format!("GRANT ALL ON SCHEMA public TO {user};"),
                        ],
                        (Engine::Postgres, false) => vec![
                            format!("CREATE USER {user} PASSWORD '<the value of the secret {}/{}/{}>';", app.app, env.name, db_app_secret(name)),
                            format!("GRANT ALL PRIVILEGES ON DATABASE {database} TO {user};"),
                            format!("GRANT ALL ON SCHEMA public TO {user};"),
                        ],
                        (Engine::Mysql, true) => vec![
                            format!("CREATE USER '{user}'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL;"),
                            format!("GRANT ALL PRIVILEGES ON `{database}`.* TO '{user}'@'%';"),
                        ],
                        (Engine::Mysql, false) => vec![
                            format!("CREATE USER '{user}'@'%' IDENTIFIED BY '<the value of the secret {}/{}/{}>' REQUIRE SSL;", app.app, env.name, db_app_secret(name)),
                            format!("GRANT ALL PRIVILEGES ON `{database}`.* TO '{user}'@'%';"),
                        ],
                    };
                    DatabaseUser {
                        database: name.clone(),
                        user,
                        sql,
                    }
                })
                .collect(),
        });
    }
    match &app.platform {
        Platform::Eks(eks) => {
            let mut addresses = vec!["aws_eks_cluster.main".to_owned()];
            addresses.extend(
                eks.node_groups
                    .keys()
                    .map(|n| format!("aws_eks_node_group.{}", tf_label(n))),
            );
            out.push(ApplyStage::Targets {
                title: "Create the cluster and its nodes: the Kubernetes and Helm providers connect to it".into(),
                addresses,
            });
        }
        Platform::AppRunner(_) => {
            let domains: Vec<String> = app
                .services
                .iter()
                .filter(|(_, s)| s.public.is_some())
                .map(|(n, _)| format!("aws_apprunner_custom_domain_association.{}", tf_label(n)))
                .collect();
            if !domains.is_empty() {
                out.push(ApplyStage::Targets {
                    title: "Create the services and their custom domains: the domains' validation records are known only then".into(),
                    addresses: domains,
                });
            }
        }
        Platform::EcsFargate(_) => {}
    }
    out.push(ApplyStage::Apply);
    if env.runs_kubernetes() {
        out.push(ApplyStage::Kubernetes);
    }
    out
}

/// The secret of a database's application user when IAM authentication is off:
/// `<database>-app-user` under the environment's path.
pub fn db_app_secret(database: &str) -> String {
    format!("{database}-app-user")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_replace_dashes() {
        assert_eq!(tf_label("legacy-reports"), "legacy_reports");
    }
}
