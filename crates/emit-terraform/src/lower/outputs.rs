//! `outputs.tf`: what operators and pipelines need to find the environment's resources. No
//! sensitive value: database passwords stay in Secrets Manager.

use hcl::Expression;
use tierform_model::{ApplyStage, Platform};

use crate::expr::{res, var};
use crate::module::{Module, TfFile, B};
use crate::names::label;

use super::Cx;

fn output(m: &mut Module, name: &str, description: &str, value: impl Into<Expression>) {
    m.push(
        TfFile::Outputs,
        "outputs",
        B::new("output")
            .label(name)
            .attr("description", description)
            .attr("value", value),
    );
}

pub(crate) fn lower(cx: &Cx, m: &mut Module) {
    output(m, "vpc_id", "The VPC", cx.vpc_id());
    output(
        m,
        "private_subnet_ids",
        "Private subnets, one per availability zone",
        cx.private_subnets(),
    );
    output(
        m,
        "kms_key_arn",
        "The environment's key for data at rest",
        cx.kms_arn(),
    );
    for (name, db) in &cx.app.databases {
        let l = label(name);
        output(
            m,
            &format!("database_{l}_endpoint"),
            &format!("Database {name}: host and port"),
            res("aws_db_instance", &l, "endpoint"),
        );
        output(
            m,
            &format!("database_{l}_secret_arn"),
            &format!("Database {name}: the secret RDS keeps the master password in (for the one-time creation of the application user only)"),
            super::iam::db_secret_arn(name),
        );
        output(
            m,
            &format!("database_{l}_app_user"),
            &format!("Database {name}: the user the services log in as"),
            db.app_user(&cx.app.app),
        );
        if db.read_replicas > 0 {
            output(
                m,
                &format!("database_{l}_replica_endpoints"),
                &format!("Database {name}: read replicas"),
                var("aws_db_instance")
                    .attr(&format!("{l}_replica"))
                    .splat()
                    .attr("endpoint"),
            );
        }
    }
    for name in cx.app.caches.keys() {
        let l = label(name);
        output(
            m,
            &format!("cache_{l}_endpoint"),
            &format!("Cache {name}: primary endpoint"),
            res(
                "aws_elasticache_replication_group",
                &l,
                "primary_endpoint_address",
            ),
        );
    }
    output(
        m,
        "first_apply",
        "The order of the very first apply from an empty account, run in this folder (the runbook has the same steps)",
        crate::expr::strings(first_apply_commands(cx)),
    );
    match &cx.app.platform {
        Platform::EcsFargate(_) => {
            output(
                m,
                "ecs_cluster_name",
                "The ECS cluster",
                res("aws_ecs_cluster", "main", "name"),
            );
            alb_dns_name(cx, m);
        }
        Platform::Eks(_) => {
            output(
                m,
                "eks_cluster_name",
                "The EKS cluster",
                res("aws_eks_cluster", "main", "name"),
            );
            output(
                m,
                "eks_cluster_endpoint",
                "The Kubernetes API endpoint",
                res("aws_eks_cluster", "main", "endpoint"),
            );
            output(
                m,
                "lb_controller_role_arn",
                "Role of the AWS Load Balancer Controller's service account",
                res("aws_iam_role", "lb_controller", "arn"),
            );
            alb_dns_name(cx, m);
            for (name, _) in cx.public_services() {
                let l = label(name);
                output(
                    m,
                    &format!("service_{l}_certificate_arn"),
                    &format!("Service {name}: certificate on the load balancer's HTTPS listener"),
                    res("aws_acm_certificate_validation", &l, "certificate_arn"),
                );
            }
            for name in cx.app.services.keys() {
                let l = label(name);
                output(
                    m,
                    &format!("service_{l}_role_arn"),
                    &format!("Service {name}: role for its service account (IRSA)"),
                    res("aws_iam_role", &format!("{l}_workload"), "arn"),
                );
            }
        }
        Platform::AppRunner(_) => {
            for (name, svc) in &cx.app.services {
                let l = label(name);
                let private = svc.internal.is_some() && svc.public.is_none();
                output(
                    m,
                    &format!("service_{l}_url"),
                    &if private {
                        format!(
                            "Service {name}: its private endpoint's domain (inside the VPC only)"
                        )
                    } else {
                        format!("Service {name}: App Runner URL")
                    },
                    super::internal::app_runner_url_host(name, svc),
                );
            }
        }
    }
}

/// The stages of [`tierform_model::first_apply`] as commands run in the module's folder.
pub(crate) fn first_apply_commands(cx: &Cx) -> Vec<String> {
    let mut out = Vec::new();
    for (i, stage) in tierform_model::first_apply(cx.env).iter().enumerate() {
        let n = i + 1;
        match stage {
            ApplyStage::Targets { title, addresses } => {
                let targets: Vec<String> = addresses.iter().map(|a| format!("-target={a}")).collect();
                out.push(format!("{n}. {title}: terraform apply {}", targets.join(" ")));
            }
            ApplyStage::SetSecrets { names } => {
                for name in names {
                    out.push(format!(
                        "{n}. Set the secret's value: aws secretsmanager put-secret-value --secret-id {name} --secret-string file://<a file only you hold>"
                    ));
                }
            }
            ApplyStage::CreateDatabaseUsers { users } => {
                for u in users {
                    out.push(format!(
                        "{n}. Connect to database {} as the master user (password in the secret of output database_{}_secret_arn) and run once: {}",
                        u.database,
                        label(&u.database),
                        u.sql.join(" ")
                    ));
                }
            }
            ApplyStage::Apply => out.push(format!("{n}. Everything else: terraform apply")),
            ApplyStage::Kubernetes => out.push(format!(
                "{n}. Deploy the workloads: kubectl apply -k <the environment's kustomize overlay> (see the runbook)"
            )),
            _ => {}
        }
    }
    out
}

/// The load balancer's DNS name, on ECS and EKS when services are public.
fn alb_dns_name(cx: &Cx, m: &mut Module) {
    use super::loadbalancer::{has, Facing};
    if has(cx, Facing::Internet) {
        output(
            m,
            "alb_dns_name",
            "The load balancer's DNS name",
            res("aws_lb", "main", "dns_name"),
        );
    }
    if has(cx, Facing::Internal) {
        output(
            m,
            "internal_alb_dns_name",
            "The internal load balancer's DNS name (private addresses: reachable from the VPC and the declared ranges only)",
            res("aws_lb", Facing::Internal.lb(), "dns_name"),
        );
    }
}
