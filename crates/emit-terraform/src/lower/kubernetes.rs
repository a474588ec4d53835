//! `kubernetes.tf`, on EKS: what the cluster needs before the Kubernetes manifests can start
//! (`kubectl apply -k` comes after this module, see the `first_apply` output).
//!
//! - Add-ons, versions pinned: the VPC CNI with network policy enforcement (the manifests emit
//!   a NetworkPolicy per workload), and through Helm the AWS Load Balancer Controller (it
//!   registers the public services' pods in the target groups of `loadbalancer.tf`, which the
//!   manifests' `TargetGroupBinding`s name; it creates no load balancer), metrics-server (the
//!   autoscalers' metrics) and the External Secrets Operator (the workloads' Secrets from
//!   Secrets Manager). The public hosts' records are Terraform's (`dns.tf`), so no external-dns.
//! - The objects that carry values only Terraform knows into the namespace, with the
//!   kubernetes provider: the namespace itself, each service's ServiceAccount with the IRSA
//!   annotation of its role, the `SecretStore`'s ServiceAccount, and the ConfigMap
//!   `infra-endpoints` (database hosts, cache URLs, names and users). The manifests reference
//!   them and never create them.
//!
//! Chosen over rendering `infra-endpoints` from `terraform output` into the overlay: the
//! overlay would then hold a file tierform did not generate (and `build --check` rightly
//! refuses strangers), and the values would drift from the state they came from.

use hcl::Expression;
use tierform_model::{env_var_name, Eks};

use super::cache::user_label;
use super::iam::{inline, policy, role, secret_arns, service_account_trust, Stmt};
use super::security::CACHE_PORT;
use super::Cx;
use crate::expr::{call, interp, jsonencode, list, lit, object, res, template, var};
use crate::module::{Module, TfFile, B};
use crate::names::{label, limit};

/// The helm provider's version constraint.
pub(crate) const HELM_PROVIDER: &str = "~> 2.17";
/// The kubernetes provider's version constraint.
pub(crate) const KUBERNETES_PROVIDER: &str = "~> 2.38";

/// A Helm chart pinned to one version.
pub(crate) struct Chart {
    pub release: &'static str,
    pub repository: &'static str,
    pub chart: &'static str,
    pub version: &'static str,
    pub namespace: &'static str,
}

/// The AWS Load Balancer Controller (chart 1.17.0: controller v2.17.0). `TargetGroupBinding`'s
/// `spec.targetGroupName`, which the manifests use, needs v2.11 or later.
pub(crate) const LB_CONTROLLER: Chart = Chart {
    release: "aws-load-balancer-controller",
    repository: "https://aws.github.io/eks-charts",
    chart: "aws-load-balancer-controller",
    version: "1.17.0",
    namespace: "kube-system",
};
/// metrics-server (chart 3.12.2: metrics-server v0.7.2), for the HorizontalPodAutoscalers.
pub(crate) const METRICS_SERVER: Chart = Chart {
    release: "metrics-server",
    repository: "https://kubernetes-sigs.github.io/metrics-server/",
    chart: "metrics-server",
    version: "3.12.2",
    namespace: "kube-system",
};
/// The External Secrets Operator (chart 1.3.2; serves `external-secrets.io/v1`).
pub(crate) const EXTERNAL_SECRETS: Chart = Chart {
    release: "external-secrets",
    repository: "https://charts.external-secrets.io",
    chart: "external-secrets",
    version: "1.3.2",
    namespace: "external-secrets",
};
/// The ServiceAccount of the namespace's `SecretStore`, as the Kubernetes emitter names it.
const SECRET_STORE_ACCOUNT: &str = "external-secrets";
/// The ConfigMap of endpoints, as the Kubernetes emitter names it.
const ENDPOINTS: &str = "infra-endpoints";

const C: &str = "kubernetes";

fn cluster(attr: &str) -> Expression {
    res("aws_eks_cluster", "main", attr)
}

/// How the kubernetes and helm providers reach the cluster: its endpoint and CA, with a
/// short-lived token from `aws eks get-token` (the caller's credentials, an access entry of
/// the cluster; with a private endpoint, from inside the VPC). With a tier's account role, the
/// token is the role's, as the AWS provider's is (the role created the cluster).
fn connection(b: B, region: &str, role: Option<&str>) -> B {
    let mut args: Vec<Expression> = vec![
        "eks".into(),
        "get-token".into(),
        "--cluster-name".into(),
        cluster("name"),
        "--region".into(),
        region.into(),
    ];
    if let Some(role) = role {
        args.extend(["--role-arn".into(), role.into()]);
    }
    b.attr("host", cluster("endpoint"))
        .attr(
            "cluster_ca_certificate",
            call(
                "base64decode",
                [var("aws_eks_cluster")
                    .attr("main")
                    .attr("certificate_authority")
                    .index(0)
                    .attr("data")
                    .into()],
            ),
        )
        .block(
            B::new("exec")
                .attr("api_version", "client.authentication.k8s.io/v1beta1")
                .attr("command", "aws")
                .attr("args", list(args)),
        )
}

/// `provider "kubernetes"` and `provider "helm"`.
pub(crate) fn providers(cx: &Cx, m: &mut Module) {
    let region = cx.app.region.as_str();
    let role = cx
        .env
        .account
        .as_ref()
        .and_then(|a| a.assume_role.as_ref())
        .map(|r| r.role_arn.as_str());
    m.push(
        TfFile::Providers,
        "settings",
        connection(B::new("provider").label("kubernetes"), region, role),
    );
    m.push(
        TfFile::Providers,
        "settings",
        B::new("provider")
            .label("helm")
            .block(connection(B::new("kubernetes"), region, role)),
    );
}

/// The node groups, which every in-cluster workload needs first.
fn after_nodes(eks: &Eks, extra: impl IntoIterator<Item = Expression>) -> Expression {
    list(
        eks.node_groups
            .keys()
            .map(|n| var("aws_eks_node_group").attr(&label(n)).into())
            .chain(extra),
    )
}

fn helm(chart: &Chart, label_: &str, values: Option<Expression>, depends_on: Expression) -> B {
    B::resource("helm_release", label_)
        .attr("name", chart.release)
        .attr("repository", chart.repository)
        .attr("chart", chart.chart)
        .attr("version", chart.version)
        .attr("namespace", chart.namespace)
        .when(chart.namespace != "kube-system", |b| {
            b.attr("create_namespace", true)
        })
        .attr_opt("values", values.map(|v| list([v])))
        .attr("depends_on", depends_on)
}

pub(crate) fn lower(cx: &Cx, m: &mut Module) {
    let tierform_model::Platform::Eks(eks) = &cx.app.platform else {
        return;
    };
    vpc_cni(m);
    charts(cx, eks, m);
    // The namespace and what carries AWS values into it.
    namespace(cx, eks, m);
    let namespace = app_namespace();
    service_accounts(cx, m, &namespace);
    secret_store_account(cx, m, &namespace);
    m.push(
        TfFile::Kubernetes,
        C,
        B::resource("kubernetes_config_map_v1", "infra_endpoints")
            .block(
                B::new("metadata")
                    .attr("name", ENDPOINTS)
                    .attr("namespace", namespace),
            )
            .attr("data", endpoints(cx)),
    );
}

/// Network policy enforcement by the VPC CNI (off by default: policies would be ignored).
fn vpc_cni(m: &mut Module) {
    m.push(
        TfFile::Kubernetes,
        C,
        B::resource("aws_eks_addon", "vpc_cni")
            .attr("cluster_name", cluster("name"))
            .attr("addon_name", "vpc-cni")
            .attr(
                "configuration_values",
                jsonencode(object([("enableNetworkPolicy", Expression::from("true"))])),
            )
            .attr("resolve_conflicts_on_create", "OVERWRITE")
            .attr("resolve_conflicts_on_update", "OVERWRITE"),
    );
}

/// A service account's IRSA annotation: the IAM role it assumes.
fn sa_annotations(role_label: &str) -> Expression {
    object([(
        "eks.amazonaws.com/role-arn",
        res("aws_iam_role", role_label, "arn"),
    )])
}

/// The cluster's charts: the AWS Load Balancer Controller, metrics-server and External
/// Secrets.
fn charts(cx: &Cx, eks: &Eks, m: &mut Module) {
    m.push(
        TfFile::Kubernetes,
        C,
        helm(
            &LB_CONTROLLER,
            "lb_controller",
            Some(jsonencode(object([
                ("clusterName", cluster("name")),
                ("region", Expression::from(cx.app.region.as_str())),
                ("vpcId", cx.vpc_id()),
                (
                    "serviceAccount",
                    object([
                        ("name", Expression::from("aws-load-balancer-controller")),
                        ("annotations", sa_annotations("lb_controller")),
                    ]),
                ),
            ]))),
            after_nodes(
                eks,
                [var("aws_iam_role_policy_attachment")
                    .attr("lb_controller")
                    .into()],
            ),
        ),
    );
    m.push(
        TfFile::Kubernetes,
        C,
        helm(
            &METRICS_SERVER,
            "metrics_server",
            None,
            after_nodes(eks, []),
        ),
    );
    m.push(
        TfFile::Kubernetes,
        C,
        helm(
            &EXTERNAL_SECRETS,
            "external_secrets",
            Some(jsonencode(object([(
                "installCRDs",
                Expression::from(true),
            )]))),
            after_nodes(eks, []),
        ),
    );
}

/// The application's namespace, under the restricted pod security standard.
fn namespace(cx: &Cx, eks: &Eks, m: &mut Module) {
    m.push(
        TfFile::Kubernetes,
        C,
        B::resource("kubernetes_namespace_v1", "app")
            .block(
                B::new("metadata").attr("name", cx.prefix.as_str()).attr(
                    "labels",
                    object(
                        [
                            (
                                "app.kubernetes.io/part-of",
                                Expression::from(cx.app.app.as_str()),
                            ),
                            ("app.kubernetes.io/managed-by", Expression::from("tierform")),
                            (
                                "pod-security.kubernetes.io/enforce",
                                Expression::from("restricted"),
                            ),
                            (
                                "pod-security.kubernetes.io/audit",
                                Expression::from("restricted"),
                            ),
                            (
                                "pod-security.kubernetes.io/warn",
                                Expression::from("restricted"),
                            ),
                        ]
                        .into_iter()
                        .chain(
                            // As the manifests' Namespace: the controller's readiness gate for the
                            // pods of public services.
                            cx.public_services().next().map(|_| {
                                (
                                    "elbv2.k8s.aws/pod-readiness-gate-inject",
                                    Expression::from("enabled"),
                                )
                            }),
                        ),
                    ),
                ),
            )
            // The manifests apply the same Namespace with their own labels on top.
            .block(B::new("lifecycle").attr(
                "ignore_changes",
                list([
                    var("metadata").index(0).attr("labels").into(),
                    var("metadata").index(0).attr("annotations").into(),
                ]),
            ))
            .attr("depends_on", after_nodes(eks, [])),
    );
}

/// The namespace's name, through the resource (so that what is in it waits for it).
fn app_namespace() -> Expression {
    var("kubernetes_namespace_v1")
        .attr("app")
        .attr("metadata")
        .index(0)
        .attr("name")
        .into()
}

/// Each service's account, annotated with its workload role and without a mounted token.
fn service_accounts(cx: &Cx, m: &mut Module, namespace: &Expression) {
    for name in cx.app.services.keys() {
        let l = label(name);
        m.push(
            TfFile::Kubernetes,
            format!("service {name}"),
            B::resource("kubernetes_service_account_v1", &l)
                .block(
                    B::new("metadata")
                        .attr("name", name.as_str())
                        .attr("namespace", namespace.clone())
                        .attr(
                            "labels",
                            object([
                                ("app.kubernetes.io/name", Expression::from(name.as_str())),
                                (
                                    "app.kubernetes.io/part-of",
                                    Expression::from(cx.app.app.as_str()),
                                ),
                                ("app.kubernetes.io/component", Expression::from("service")),
                                ("app.kubernetes.io/managed-by", Expression::from("tierform")),
                            ]),
                        )
                        .attr(
                            "annotations",
                            sa_annotations(&super::iam::workload_role(cx, name)),
                        ),
                )
                .attr("automount_service_account_token", false),
        );
    }
}

/// The values of `infra-endpoints`: every database's host; every cache's URL and replication
/// group id; each service's own cache user (`<service>.<NAME>_CACHE_USER`).
fn endpoints(cx: &Cx) -> Expression {
    let mut items: Vec<(String, Expression)> = Vec::new();
    for name in cx.app.databases.keys() {
        items.push((
            format!("{}_DB_HOST", env_var_name(name)),
            res("aws_db_instance", &label(name), "address"),
        ));
    }
    for (name, cache) in &cx.app.caches {
        let p = env_var_name(name);
        let l = label(name);
        let scheme = if cache.transit_encryption {
            "rediss"
        } else {
            "redis"
        };
        items.push((
            format!("{p}_CACHE_URL"),
            template([
                lit(format!("{scheme}://")),
                interp(res(
                    "aws_elasticache_replication_group",
                    &l,
                    "primary_endpoint_address",
                )),
                lit(format!(":{CACHE_PORT}")),
            ]),
        ));
        items.push((
            format!("{p}_CACHE_NAME"),
            res(
                "aws_elasticache_replication_group",
                &l,
                "replication_group_id",
            ),
        ));
        for (svc, s) in &cx.app.services {
            if s.caches.contains(name) {
                items.push((
                    format!("{svc}.{p}_CACHE_USER"),
                    res("aws_elasticache_user", &user_label(name, svc), "user_id"),
                ));
            }
        }
    }
    items.extend(super::storage::endpoints(cx.app));
    object(items)
}

/// The role and ServiceAccount the namespace's `SecretStore` reads Secrets Manager with:
/// exactly the secrets the environment's workloads read, and nothing when none reads any.
fn secret_store_account(cx: &Cx, m: &mut Module, namespace: &Expression) {
    let mut arns: Vec<Expression> = Vec::new();
    for svc in cx.app.services.values() {
        for a in secret_arns(cx.app, svc) {
            if !arns.contains(&a) {
                arns.push(a);
            }
        }
    }
    if arns.is_empty() {
        return;
    }
    m.push(
        TfFile::Kubernetes,
        C,
        role(
            "external_secrets",
            cx.name("external-secrets", limit::ROLE),
            service_account_trust(&format!("{}:{SECRET_STORE_ACCOUNT}", cx.prefix)),
        ),
    );
    let doc = policy([
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
    ]);
    m.push(
        TfFile::Kubernetes,
        C,
        inline("external_secrets", "external_secrets", "read-secrets", doc),
    );
    m.push(
        TfFile::Kubernetes,
        C,
        B::resource("kubernetes_service_account_v1", "external_secrets")
            .block(
                B::new("metadata")
                    .attr("name", SECRET_STORE_ACCOUNT)
                    .attr("namespace", namespace.clone())
                    .attr(
                        "annotations",
                        object([(
                            "eks.amazonaws.com/role-arn",
                            res("aws_iam_role", "external_secrets", "arn"),
                        )]),
                    ),
            )
            .attr("automount_service_account_token", false),
    );
}
