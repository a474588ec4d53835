//! `platform.tf`: where the services run. An ECS cluster with Container Insights; or an EKS
//! cluster (encrypted secrets, private endpoint unless the spec opens it, control-plane logs,
//! node groups on IMDSv2-only launch templates, the OIDC provider for IRSA and the AWS Load
//! Balancer Controller's role); or, for App Runner, the role App Runner pulls images with.

use hcl::Expression;
use tierform_model::{Capacity, Eks, NodeGroup, Platform};

use super::iam::{attach_managed, policy, role, trust, Stmt};
use super::{tags, Cx};
use crate::expr::{list, res, strings, var};
use crate::module::{Module, TfFile, B};
use crate::names::{label, limit};

const C: &str = "platform";

pub(crate) fn lower(cx: &Cx, m: &mut Module) {
    match &cx.app.platform {
        Platform::EcsFargate(ecs) => {
            let connects = super::services::connects(cx);
            if connects {
                // Services that call each other find each other by name through ECS Service
                // Connect, in a namespace of this environment only.
                m.push(
                    TfFile::Platform,
                    C,
                    B::resource("aws_service_discovery_http_namespace", "main")
                        .attr("name", cx.prefix.as_str())
                        .attr(
                            "description",
                            format!("{}: the services' names for each other", cx.prefix),
                        )
                        .attr("tags", tags(cx.prefix.as_str())),
                );
            }
            m.push(
                TfFile::Platform,
                C,
                B::resource("aws_ecs_cluster", "main")
                    .attr("name", cx.prefix.as_str())
                    .block(B::new("setting").attr("name", "containerInsights").attr(
                        "value",
                        if ecs.container_insights {
                            "enabled"
                        } else {
                            "disabled"
                        },
                    ))
                    .when(connects, |b| {
                        b.block(B::new("service_connect_defaults").attr(
                            "namespace",
                            res("aws_service_discovery_http_namespace", "main", "arn"),
                        ))
                    })
                    .attr("tags", tags(cx.prefix.as_str())),
            );
        }
        Platform::Eks(eks) => lower_eks(cx, eks, m),
        Platform::AppRunner(_) => {
            m.push(
                TfFile::Platform,
                C,
                role(
                    "apprunner_ecr_access",
                    cx.name("apprunner-ecr", limit::ROLE),
                    trust("build.apprunner.amazonaws.com"),
                ),
            );
            m.push(
                TfFile::Platform,
                C,
                attach_managed(
                    "apprunner_ecr_access",
                    "apprunner_ecr_access",
                    "service-role/AWSAppRunnerServicePolicyForECRAccess",
                ),
            );
        }
    }
}

/// The log types of the EKS control plane, all on (CKV_AWS_37).
pub(crate) const EKS_LOG_TYPES: [&str; 5] = [
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];

/// The managed policies of the nodes' role, each attached under its own label.
const NODE_POLICIES: [(&str, &str); 3] = [
    ("eks_nodes_worker", "AmazonEKSWorkerNodePolicy"),
    ("eks_nodes_cni", "AmazonEKS_CNI_Policy"),
    ("eks_nodes_ecr", "AmazonEC2ContainerRegistryReadOnly"),
];

fn lower_eks(cx: &Cx, eks: &Eks, m: &mut Module) {
    cluster(cx, eks, m);
    oidc_provider(cx, m);
    node_role(cx, m);
    for (name, ng) in &eks.node_groups {
        launch_template(cx, name, m);
        node_group(cx, name, ng, m);
    }
    cloudwatch_agent(cx, eks, m);
    load_balancer_controller(cx, m);
}

/// The cluster's role and the cluster itself: secrets encrypted, every control-plane log on.
fn cluster(cx: &Cx, eks: &Eks, m: &mut Module) {
    m.push(
        TfFile::Platform,
        C,
        role(
            "eks_cluster",
            cx.name("eks-cluster", limit::ROLE),
            trust("eks.amazonaws.com"),
        ),
    );
    m.push(
        TfFile::Platform,
        C,
        attach_managed("eks_cluster", "eks_cluster", "AmazonEKSClusterPolicy"),
    );
    let cluster = B::resource("aws_eks_cluster", "main")
        .attr("name", cx.prefix.as_str())
        .attr("version", eks.version.as_str())
        .attr("role_arn", res("aws_iam_role", "eks_cluster", "arn"))
        .attr("enabled_cluster_log_types", strings(EKS_LOG_TYPES))
        .block(
            B::new("vpc_config")
                .attr("subnet_ids", cx.private_subnets())
                .attr("endpoint_private_access", true)
                .attr("endpoint_public_access", eks.public_endpoint),
        )
        .block(
            B::new("encryption_config")
                .attr("resources", strings(["secrets"]))
                .block(B::new("provider").attr("key_arn", cx.kms_arn())),
        )
        .block(B::new("access_config").attr("authentication_mode", "API"))
        .attr("tags", tags(cx.prefix.as_str()))
        // The log group must exist first, or EKS creates it without retention or encryption.
        .attr(
            "depends_on",
            list([
                var("aws_iam_role_policy_attachment")
                    .attr("eks_cluster")
                    .into(),
                var("aws_cloudwatch_log_group").attr("eks").into(),
            ]),
        )
        .when(eks.public_endpoint, |b| {
            b.skip(
                "CKV_AWS_39",
                "the spec opens the API endpoint (platform.eks.public_endpoint = true)",
            )
            .skip(
                "CKV_AWS_38",
                "the spec opens the API endpoint (platform.eks.public_endpoint = true)",
            )
        });
    m.push(TfFile::Platform, C, cluster);
}

/// IRSA: pods assume IAM roles through the cluster's OIDC issuer (AWS provider 6 needs no
/// thumbprint for it).
fn oidc_provider(cx: &Cx, m: &mut Module) {
    m.push(
        TfFile::Platform,
        C,
        B::resource("aws_iam_openid_connect_provider", "eks")
            .attr(
                "url",
                var("aws_eks_cluster")
                    .attr("main")
                    .attr("identity")
                    .index(0)
                    .attr("oidc")
                    .index(0)
                    .attr("issuer"),
            )
            .attr("client_id_list", strings(["sts.amazonaws.com"]))
            .attr("tags", tags(cx.name("eks-oidc", 255))),
    );
}

/// The nodes' role, with the worker, CNI and registry-read policies.
fn node_role(cx: &Cx, m: &mut Module) {
    m.push(
        TfFile::Platform,
        C,
        role(
            "eks_nodes",
            cx.name("eks-nodes", limit::ROLE),
            trust("ec2.amazonaws.com"),
        ),
    );
    for (l, p) in NODE_POLICIES {
        m.push(TfFile::Platform, C, attach_managed(l, "eks_nodes", p));
    }
}

/// The launch template of one node group.
fn launch_template(cx: &Cx, name: &str, m: &mut Module) {
    let l = label(name);
    m.push(
        TfFile::Platform,
        C,
        B::resource("aws_launch_template", &format!("nodes_{l}"))
            .attr("name", cx.name(&format!("nodes-{name}"), 128))
            .attr("update_default_version", true)
            // IMDSv2 only, one hop: pods cannot borrow the node's role (they use IRSA).
            .block(
                B::new("metadata_options")
                    .attr("http_endpoint", "enabled")
                    .attr("http_tokens", "required")
                    .attr("http_put_response_hop_limit", 1),
            )
            .block(
                B::new("block_device_mappings")
                    .attr("device_name", "/dev/xvda")
                    .block(
                        B::new("ebs")
                            .attr("volume_size", 50)
                            .attr("volume_type", "gp3")
                            .attr("encrypted", true)
                            .attr("delete_on_termination", true),
                    ),
            )
            .attr("tags", tags(cx.name(&format!("nodes-{name}"), 255))),
    );
}

/// One node group, on its launch template, after the nodes' role has its policies.
fn node_group(cx: &Cx, name: &str, ng: &NodeGroup, m: &mut Module) {
    let l = label(name);
    let capacity = match ng.capacity {
        Capacity::OnDemand => "ON_DEMAND",
        Capacity::Spot => "SPOT",
    };
    m.push(
        TfFile::Platform,
        C,
        B::resource("aws_eks_node_group", &l)
            .attr("cluster_name", res("aws_eks_cluster", "main", "name"))
            .attr("node_group_name", cx.name(name, 63))
            .attr("node_role_arn", res("aws_iam_role", "eks_nodes", "arn"))
            .attr("subnet_ids", cx.private_subnets())
            .attr("instance_types", strings(&ng.instance_types))
            .attr("capacity_type", capacity)
            .block(
                B::new("scaling_config")
                    .attr("desired_size", ng.desired)
                    .attr("min_size", ng.min)
                    .attr("max_size", ng.max),
            )
            .block(B::new("update_config").attr("max_unavailable", 1))
            .block(
                B::new("launch_template")
                    .attr(
                        "id",
                        res("aws_launch_template", &format!("nodes_{l}"), "id"),
                    )
                    .attr(
                        "version",
                        res(
                            "aws_launch_template",
                            &format!("nodes_{l}"),
                            "latest_version",
                        ),
                    ),
            )
            .attr("tags", tags(cx.name(name, 255)))
            .attr(
                "depends_on",
                list(
                    NODE_POLICIES
                        .iter()
                        .map(|(p, _)| var("aws_iam_role_policy_attachment").attr(p).into()),
                ),
            ),
    );
}

/// Container Insights on EKS: node and pod metrics for the CPU alarms. The agent runs as
/// `amazon-cloudwatch:cloudwatch-agent` with a role of its own (IRSA; the nodes' role has
/// no CloudWatch rights).
fn cloudwatch_agent(cx: &Cx, eks: &Eks, m: &mut Module) {
    m.push(
        TfFile::Platform,
        C,
        role(
            "cloudwatch_agent",
            cx.name("cloudwatch-agent", limit::ROLE),
            super::iam::service_account_trust("amazon-cloudwatch:cloudwatch-agent"),
        ),
    );
    m.push(
        TfFile::Platform,
        C,
        attach_managed(
            "cloudwatch_agent",
            "cloudwatch_agent",
            "CloudWatchAgentServerPolicy",
        ),
    );
    m.push(
        TfFile::Platform,
        C,
        B::resource("aws_eks_addon", "cloudwatch")
            .attr("cluster_name", res("aws_eks_cluster", "main", "name"))
            .attr("addon_name", "amazon-cloudwatch-observability")
            .attr(
                "service_account_role_arn",
                res("aws_iam_role", "cloudwatch_agent", "arn"),
            )
            .attr(
                "depends_on",
                list(
                    eks.node_groups
                        .keys()
                        .map(|n| var("aws_eks_node_group").attr(&label(n)).into()),
                ),
            ),
    );
}

/// The AWS Load Balancer Controller registers the public services' pods in the target groups
/// Terraform made (`loadbalancer.tf`), as the manifests' `TargetGroupBinding`s say; it runs as
/// the service account `kube-system/aws-load-balancer-controller` with this role.
fn load_balancer_controller(cx: &Cx, m: &mut Module) {
    let trust = super::iam::service_account_trust("kube-system:aws-load-balancer-controller");
    m.push(
        TfFile::Platform,
        C,
        role(
            "lb_controller",
            cx.name("lb-controller", limit::ROLE),
            trust,
        ),
    );
    m.push(
        TfFile::Platform,
        C,
        B::resource("aws_iam_policy", "lb_controller")
            .attr("name", cx.name("lb-controller", 128))
            .attr(
                "description",
                "AWS Load Balancer Controller: registers pods in this environment's target groups only",
            )
            .gap()
            .attr("policy", lb_controller_policy(cx)),
    );
    m.push(
        TfFile::Platform,
        C,
        B::resource("aws_iam_role_policy_attachment", "lb_controller")
            .attr("role", res("aws_iam_role", "lb_controller", "name"))
            .attr("policy_arn", res("aws_iam_policy", "lb_controller", "arn")),
    );
}

/// The controller's policy, for `TargetGroupBinding`s alone (v2.17.0's binding reconciler and
/// webhooks): resolve a target group by name, read its targets' health, register and
/// deregister pod addresses in this environment's target groups, and read the VPC, subnets,
/// network interfaces and security groups it checks pod addresses and endpoint groups
/// against. Nothing that creates, changes or deletes a load balancer, listener, rule, target
/// group or security group rule: upstream's policy (for Ingresses) grants all of that, and the
/// load balancer is Terraform's. No `spec.networking` in the bindings, so the controller opens
/// no security group (the rules are in `security.tf`).
fn lb_controller_policy(cx: &Cx) -> Expression {
    let target_groups: Vec<Expression> = cx
        .public_services()
        .map(|(name, _)| res("aws_lb_target_group", &label(name), "arn"))
        .collect();
    let read = Stmt::allow("Describe", LB_CONTROLLER_DESCRIBE).on([Expression::from("*")]);
    if target_groups.is_empty() {
        return policy([read]);
    }
    policy([
        read,
        Stmt::allow(
            "RegisterPodsInOwnTargetGroups",
            &[
                "elasticloadbalancing:RegisterTargets",
                "elasticloadbalancing:DeregisterTargets",
            ],
        )
        .on(target_groups),
    ])
}

/// What the controller reads, on `*` (these actions take no resource).
const LB_CONTROLLER_DESCRIBE: &[&str] = &[
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
];
