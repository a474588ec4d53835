//! `iam.tf`: the roles the workloads run as, each allowed to read exactly the secrets its
//! service uses in this environment (seed 004: staging can never read production's secrets),
//! and the access roles of `access { read, write }`. Also the policy helpers the other files
//! use for their service roles.

use hcl::Expression;
use tierform_model::{App, Service};

use super::secrets::db_app_secret_label;
use super::{arn, Cx};
use crate::expr::{interp, jsonencode, list, lit, object, res, strings, template, var};
use crate::module::{Module, TfFile, B};
use crate::names::{label, limit};

/// One statement of an IAM policy document.
pub(crate) struct Stmt {
    sid: String,
    effect: &'static str,
    actions: Vec<String>,
    resources: Vec<Expression>,
    not_resources: bool,
    principal: Option<(&'static str, Expression)>,
    condition: Option<Expression>,
}

impl Stmt {
    /// Allows `actions`.
    pub(crate) fn allow(sid: &str, actions: &[&str]) -> Stmt {
        Stmt {
            sid: sid.to_owned(),
            effect: "Allow",
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
            resources: Vec::new(),
            not_resources: false,
            principal: None,
            condition: None,
        }
    }
    /// Denies `actions`.
    pub(crate) fn deny(sid: &str, actions: &[&str]) -> Stmt {
        Stmt {
            effect: "Deny",
            ..Stmt::allow(sid, actions)
        }
    }
    /// On these resources.
    pub(crate) fn on(mut self, resources: impl IntoIterator<Item = Expression>) -> Stmt {
        self.resources.extend(resources);
        self
    }
    /// On everything but these resources.
    pub(crate) fn except(mut self, resources: impl IntoIterator<Item = Expression>) -> Stmt {
        self.not_resources = true;
        self.on(resources)
    }
    /// For this principal (`Service`, `AWS`, `Federated`).
    pub(crate) fn principal(mut self, kind: &'static str, who: Expression) -> Stmt {
        self.principal = Some((kind, who));
        self
    }
    /// Under this condition block (`{ StringEquals = { ... } }`).
    pub(crate) fn condition(mut self, condition: Expression) -> Stmt {
        self.condition = Some(condition);
        self
    }
    fn into_expr(self) -> Expression {
        // At most six entries: one allocation.
        let mut items: Vec<(&str, Expression)> = Vec::with_capacity(6);
        items.push(("Sid", self.sid.into()));
        items.push(("Effect", self.effect.into()));
        if let Some((kind, who)) = self.principal {
            items.push(("Principal", object([(kind, who)])));
        }
        // The action strings move into the list (`strings` would copy them).
        items.push((
            "Action",
            Expression::Array(self.actions.into_iter().map(Expression::String).collect()),
        ));
        if !self.resources.is_empty() {
            items.push((
                if self.not_resources {
                    "NotResource"
                } else {
                    "Resource"
                },
                list(self.resources),
            ));
        }
        if let Some(c) = self.condition {
            items.push(("Condition", c));
        }
        object(items)
    }
}

/// `jsonencode({ Version = "2012-10-17", Statement = [...] })`.
pub(crate) fn policy(statements: impl IntoIterator<Item = Stmt>) -> Expression {
    jsonencode(object([
        ("Version", Expression::from("2012-10-17")),
        (
            "Statement",
            list(statements.into_iter().map(Stmt::into_expr)),
        ),
    ]))
}

/// A trust policy letting an AWS service assume the role.
pub(crate) fn trust(service: &str) -> Expression {
    policy([Stmt::allow("AssumeRole", &["sts:AssumeRole"])
        .principal("Service", Expression::from(service))])
}

/// `aws_iam_role.<label>`.
pub(crate) fn role(label: &str, name: String, trust: Expression) -> B {
    B::resource("aws_iam_role", label)
        .attr("name", name)
        .gap()
        .attr("assume_role_policy", trust)
}

/// `aws_iam_role_policy_attachment.<label>` of an AWS managed policy, by path
/// (`service-role/AmazonECSTaskExecutionRolePolicy`).
pub(crate) fn attach_managed(label: &str, role_label: &str, managed: &str) -> B {
    B::resource("aws_iam_role_policy_attachment", label)
        .attr("role", res("aws_iam_role", role_label, "name"))
        .attr(
            "policy_arn",
            template([
                lit("arn:"),
                interp(crate::expr::data("aws_partition", "current", "partition")),
                lit(format!(":iam::aws:policy/{managed}")),
            ]),
        )
}

/// `aws_iam_role_policy.<label>`: an inline policy of a role.
pub(crate) fn inline(label: &str, role_label: &str, name: &str, policy: Expression) -> B {
    B::resource("aws_iam_role_policy", label)
        .attr("name", name)
        .attr("role", res("aws_iam_role", role_label, "id"))
        .gap()
        .attr("policy", policy)
}

/// The secrets a service reads: its own spec secrets and, for its databases without IAM
/// authentication, their application user's password (never the master secret). Exactly
/// these ARNs, never a wildcard.
pub(crate) fn secret_arns(app: &App, service: &Service) -> Vec<Expression> {
    let own = service
        .secrets
        .iter()
        .map(|s| res("aws_secretsmanager_secret", &label(s), "arn"));
    let dbs = service
        .databases
        .iter()
        .filter(|d| app.databases.get(*d).is_some_and(|db| !db.iam_auth))
        .map(|d| res("aws_secretsmanager_secret", &db_app_secret_label(d), "arn"));
    own.chain(dbs).collect()
}

/// The ARN of a database's RDS-managed master secret.
pub(crate) fn db_secret_arn(db: &str) -> Expression {
    var("aws_db_instance")
        .attr(&label(db))
        .attr("master_user_secret")
        .index(0)
        .attr("secret_arn")
        .into()
}

/// The role label a service's workload runs as, per platform.
pub(crate) fn workload_role(cx: &Cx, service: &str) -> String {
    let l = label(service);
    if cx.ecs() {
        format!("{l}_task")
    } else if cx.app_runner() {
        format!("{l}_instance")
    } else {
        format!("{l}_workload")
    }
}

pub(crate) fn lower(cx: &Cx, m: &mut Module) {
    for (name, svc) in &cx.app.services {
        let component = format!("service {name}");
        let l = label(name);
        if cx.ecs() {
            // Distinct execution and task roles (CKV_AWS_249): ECS pulls the image and
            // injects the secrets with the first; the application only ever holds the second.
            let exec = format!("{l}_execution");
            m.push(
                TfFile::Iam,
                &component,
                role(
                    &exec,
                    cx.name(&format!("{name}-execution"), limit::ROLE),
                    trust("ecs-tasks.amazonaws.com"),
                ),
            );
            m.push(
                TfFile::Iam,
                &component,
                attach_managed(
                    &exec,
                    &exec,
                    "service-role/AmazonECSTaskExecutionRolePolicy",
                ),
            );
            if let Some(p) = secrets_policy(cx, svc) {
                m.push(
                    TfFile::Iam,
                    &component,
                    inline(&format!("{l}_secrets"), &exec, "read-secrets", p),
                );
            }
            let task = workload_role(cx, name);
            m.push(
                TfFile::Iam,
                &component,
                role(
                    &task,
                    cx.name(&format!("{name}-task"), limit::ROLE),
                    trust("ecs-tasks.amazonaws.com"),
                ),
            );
            if let Some(p) = data_access_policy(cx, name, svc) {
                m.push(
                    TfFile::Iam,
                    &component,
                    inline(&format!("{l}_data_access"), &task, "data-access", p),
                );
            }
        } else {
            let role_label = workload_role(cx, name);
            let trust = if cx.app_runner() {
                trust("tasks.apprunner.amazonaws.com")
            } else {
                irsa_trust(cx, name)
            };
            let suffix = if cx.app_runner() {
                "instance"
            } else {
                "workload"
            };
            m.push(
                TfFile::Iam,
                &component,
                role(
                    &role_label,
                    cx.name(&format!("{name}-{suffix}"), limit::ROLE),
                    trust,
                ),
            );
            // On EKS the pods read their secrets from the Secret the External Secrets
            // Operator keeps (its own role reads Secrets Manager): their role needs no secret.
            if let Some(p) = secrets_policy(cx, svc).filter(|_| !cx.eks()) {
                m.push(
                    TfFile::Iam,
                    &component,
                    inline(&format!("{l}_secrets"), &role_label, "read-secrets", p),
                );
            }
            if let Some(p) = data_access_policy(cx, name, svc) {
                m.push(
                    TfFile::Iam,
                    &component,
                    inline(&format!("{l}_data_access"), &role_label, "data-access", p),
                );
            }
        }
    }
    access_roles(cx, m);
}

/// `secretsmanager:GetSecretValue` on the service's secrets, and decryption with the
/// environment's key; `None` when the service reads no secret.
fn secrets_policy(cx: &Cx, svc: &Service) -> Option<Expression> {
    let arns = secret_arns(cx.app, svc);
    (!arns.is_empty()).then(|| {
        policy([
            Stmt::allow("ReadOwnSecrets", &["secretsmanager:GetSecretValue"]).on(arns),
            Stmt::allow("DecryptOwnSecrets", &["kms:Decrypt"])
                .on([cx.kms_arn()])
                .condition(object([(
                    "StringEquals",
                    object([(
                        "kms:ViaService",
                        Expression::from(format!("secretsmanager.{}.amazonaws.com", cx.app.region)),
                    )]),
                )])),
        ])
    })
}

/// IAM database authentication and cache connections for the databases and caches the
/// service uses; `None` when there are none.
fn data_access_policy(cx: &Cx, name: &str, svc: &Service) -> Option<Expression> {
    let mut stmts = Vec::new();
    let iam_dbs: Vec<Expression> = svc
        .databases
        .iter()
        .filter(|d| cx.app.databases.get(*d).is_some_and(|db| db.iam_auth))
        .map(|d| {
            let db = &cx.app.databases[d];
            let user = db.app_user(&cx.app.app);
            template([
                lit("arn:"),
                interp(crate::expr::data("aws_partition", "current", "partition")),
                lit(format!(":rds-db:{}:", cx.app.region)),
                interp(crate::expr::data(
                    "aws_caller_identity",
                    "current",
                    "account_id",
                )),
                lit(":dbuser:"),
                interp(res("aws_db_instance", &label(d), "resource_id")),
                lit(format!("/{user}")),
            ])
        })
        .collect();
    if !iam_dbs.is_empty() {
        stmts.push(Stmt::allow("ConnectWithIamAuth", &["rds-db:connect"]).on(iam_dbs));
    }
    let caches: Vec<Expression> = svc
        .caches
        .iter()
        .flat_map(|c| {
            let l = label(c);
            [
                res("aws_elasticache_replication_group", &l, "arn"),
                res(
                    "aws_elasticache_user",
                    &crate::lower::cache::user_label(c, name),
                    "arn",
                ),
            ]
        })
        .collect();
    if !caches.is_empty() {
        stmts.push(Stmt::allow("ConnectToCaches", &["elasticache:Connect"]).on(caches));
    }
    (!stmts.is_empty()).then(|| policy(stmts))
}

/// Trust for an EKS workload through IRSA: only the service's own service account may assume
/// the role. The namespace is `<app>-<env>`, as the Kubernetes emitter names it.
fn irsa_trust(cx: &Cx, service: &str) -> Expression {
    service_account_trust(&format!("{}:{service}", cx.prefix))
}

/// Trust through IRSA for exactly one Kubernetes service account (`namespace:name`).
pub(crate) fn service_account_trust(account: &str) -> Expression {
    let issuer = |claim: &str| {
        template([
            interp(crate::expr::call(
                "replace",
                [
                    res("aws_iam_openid_connect_provider", "eks", "url"),
                    Expression::from("https://"),
                    Expression::from(""),
                ],
            )),
            lit(format!(":{claim}")),
        ])
    };
    let mut cond = hcl::Object::new();
    cond.insert(
        hcl::ObjectKey::Expression(issuer("sub")),
        Expression::from(format!("system:serviceaccount:{account}")),
    );
    cond.insert(
        hcl::ObjectKey::Expression(issuer("aud")),
        Expression::from("sts.amazonaws.com"),
    );
    policy([Stmt::allow(
        "AssumeWithServiceAccountToken",
        &["sts:AssumeRoleWithWebIdentity"],
    )
    .principal(
        "Federated",
        res("aws_iam_openid_connect_provider", "eks", "arn"),
    )
    .condition(object([("StringEquals", Expression::Object(cond))]))])
}

/// Roles for the people and systems of `access { read, write }`. Their AWS managed policies
/// are account-wide, so a fence denies two things: reading a secret outside `<app>/<env>/`,
/// and any action on a resource tagged as another environment's (every resource tierform
/// creates carries the `Environment` default tag), so a staging operator cannot touch
/// production.
fn access_roles(cx: &Cx, m: &mut Module) {
    let access = &cx.app.access;
    let own_secrets = arn(
        "secretsmanager",
        &cx.app.region,
        &format!("secret:{}/{}/*", cx.app.app, cx.env.name),
    );
    for (who, principals, managed) in [
        ("readers", &access.read, "ReadOnlyAccess"),
        ("operators", &access.write, "PowerUserAccess"),
    ] {
        if principals.is_empty() {
            continue;
        }
        let trust =
            policy([Stmt::allow("AssumeRole", &["sts:AssumeRole"])
                .principal("AWS", strings(principals))]);
        m.push(
            TfFile::Iam,
            "access",
            role(who, cx.name(who, limit::ROLE), trust),
        );
        m.push(TfFile::Iam, "access", attach_managed(who, who, managed));
        let fence = policy([
            Stmt::deny(
                "NoOtherEnvironmentsSecrets",
                &["secretsmanager:GetSecretValue"],
            )
            .except([own_secrets.clone()]),
            // StringNotEquals alone is also true when the key is absent (untagged resources,
            // Describe and List calls, which carry no resource tag), which would deny them all:
            // the Null test limits the deny to resources that carry an Environment tag, and
            // another environment's value in it.
            Stmt::deny("NoOtherEnvironmentsResources", &["*"])
                .on([Expression::from("*")])
                .condition(object([
                    (
                        "Null",
                        object([("aws:ResourceTag/Environment", Expression::from("false"))]),
                    ),
                    (
                        "StringNotEquals",
                        object([(
                            "aws:ResourceTag/Environment",
                            Expression::from(cx.env.name.as_str()),
                        )]),
                    ),
                ])),
        ]);
        m.push(
            TfFile::Iam,
            "access",
            inline(&format!("{who}_secrets_fence"), who, "secrets-fence", fence),
        );
        if cx.eks() {
            // The cluster authenticates by access entries only (`authentication_mode = API`):
            // the role gets one, with view or edit rights in the environment's namespace.
            let k8s_policy = if who == "readers" {
                "AmazonEKSViewPolicy"
            } else {
                "AmazonEKSEditPolicy"
            };
            m.push(
                TfFile::Iam,
                "access",
                B::resource("aws_eks_access_entry", who)
                    .attr("cluster_name", res("aws_eks_cluster", "main", "name"))
                    .attr("principal_arn", res("aws_iam_role", who, "arn"))
                    .attr("type", "STANDARD"),
            );
            m.push(
                TfFile::Iam,
                "access",
                B::resource("aws_eks_access_policy_association", who)
                    .attr("cluster_name", res("aws_eks_cluster", "main", "name"))
                    .attr(
                        "principal_arn",
                        res("aws_eks_access_entry", who, "principal_arn"),
                    )
                    .attr(
                        "policy_arn",
                        template([
                            lit("arn:"),
                            interp(crate::expr::data("aws_partition", "current", "partition")),
                            lit(format!(":eks::aws:cluster-access-policy/{k8s_policy}")),
                        ]),
                    )
                    .block(
                        B::new("access_scope")
                            .attr("type", "namespace")
                            .attr("namespaces", strings([cx.prefix.as_str()])),
                    ),
            );
        }
    }
}
