//! Lowering: one resolved environment to the blocks of its root module, one domain per file.

mod cache;
mod database;
mod dns;
mod iam;
mod internal;
mod kubernetes;
mod loadbalancer;
mod network;
mod observability;
mod outputs;
mod platform;
mod raw;
mod refresh;
mod secrets;
mod security;
mod services;
mod settings;
pub(crate) mod state_bucket;
mod storage;

use hcl::Expression;
use tierform_model::{App, Environment, Platform, Service};

use crate::expr::{object, res, var};
use crate::module::Module;
use crate::names;

/// Builds the whole module of an environment.
pub(crate) fn module(env: &Environment) -> Module {
    let cx = Cx::new(env);
    let mut m = infrastructure(&cx);
    outputs::lower(&cx, &mut m);
    m
}

/// The module without its outputs: every block with an address (resources, data sources,
/// locals), which is all parity reads of it; outputs only read them.
pub(crate) fn addressed(env: &Environment) -> Module {
    infrastructure(&Cx::new(env))
}

fn infrastructure(cx: &Cx) -> Module {
    let mut m = Module::default();
    settings::lower(cx, &mut m);
    network::lower(cx, &mut m);
    security::lower(cx, &mut m);
    database::lower(cx, &mut m);
    cache::lower(cx, &mut m);
    platform::lower(cx, &mut m);
    kubernetes::lower(cx, &mut m);
    services::lower(cx, &mut m);
    refresh::lower(cx, &mut m);
    loadbalancer::lower(cx, &mut m);
    secrets::lower(cx, &mut m);
    iam::lower(cx, &mut m);
    storage::lower(cx, &mut m);
    observability::lower(cx, &mut m);
    dns::lower(cx, &mut m);
    internal::lower(cx, &mut m);
    raw::lower(cx, &mut m);
    m
}

/// Raw blocks whose address tierform's own objects already have.
pub(crate) fn raw_collisions(m: &Module) -> Vec<tierform_model::Diagnostic> {
    raw::collisions(m)
}

/// What every lowering step reads: the environment and a few derived facts.
pub(crate) struct Cx<'a> {
    pub env: &'a Environment,
    pub app: &'a App,
    /// `<app>-<env>`.
    pub prefix: String,
}

impl<'a> Cx<'a> {
    fn new(env: &'a Environment) -> Cx<'a> {
        Cx {
            env,
            app: &env.app,
            prefix: env.prefix(),
        }
    }

    /// `<app>-<env>-<component>`, cut to `max` characters with a stable hash when longer.
    pub(crate) fn name(&self, component: &str, max: usize) -> String {
        names::fit(&format!("{}-{component}", self.prefix), max)
    }

    /// Whether services run on ECS Fargate (and so behind our own load balancer).
    pub(crate) fn ecs(&self) -> bool {
        matches!(self.app.platform, Platform::EcsFargate(_))
    }

    /// Whether services run on EKS (workloads come from the Kubernetes emitter).
    pub(crate) fn eks(&self) -> bool {
        matches!(self.app.platform, Platform::Eks(_))
    }

    /// Whether services run on App Runner.
    pub(crate) fn app_runner(&self) -> bool {
        matches!(self.app.platform, Platform::AppRunner(_))
    }

    /// Services exposed on the internet.
    pub(crate) fn public_services(&self) -> impl Iterator<Item = (&'a String, &'a Service)> {
        self.app.services.iter().filter(|(_, s)| s.public.is_some())
    }

    /// The customer-managed key of the environment.
    pub(crate) fn kms_arn(&self) -> Expression {
        res("aws_kms_key", "main", "arn")
    }

    /// The private subnets' ids: `aws_subnet.private[*].id`, or an existing network's ids.
    pub(crate) fn private_subnets(&self) -> Expression {
        match &self.app.network.existing {
            Some(ex) => crate::expr::strings(&ex.private_subnet_ids),
            None => var("aws_subnet").attr("private").splat().attr("id").into(),
        }
    }

    /// The public subnets' ids.
    pub(crate) fn public_subnets(&self) -> Expression {
        match &self.app.network.existing {
            Some(ex) => crate::expr::strings(&ex.public_subnet_ids),
            None => var("aws_subnet").attr("public").splat().attr("id").into(),
        }
    }

    /// The VPC's id: `aws_vpc.main.id`, or an existing network's id.
    pub(crate) fn vpc_id(&self) -> Expression {
        match &self.app.network.existing {
            Some(ex) => ex.vpc_id.as_str().into(),
            None => res("aws_vpc", "main", "id"),
        }
    }

    /// The security group that a service's traffic comes from: its own on ECS and App Runner
    /// (VPC connector), the cluster's on EKS (pods share their nodes' group; Kubernetes
    /// network policies separate them).
    pub(crate) fn workload_sg(&self, service: &str) -> Expression {
        if self.eks() {
            var("aws_eks_cluster")
                .attr("main")
                .attr("vpc_config")
                .index(0)
                .attr("cluster_security_group_id")
                .into()
        } else {
            res("aws_security_group", &service_sg(service), "id")
        }
    }
}

/// The label of a service's security group.
pub(crate) fn service_sg(service: &str) -> String {
    format!("service_{}", names::label(service))
}

/// `{ Name = "<name>" }`: the provider's default tags add the rest.
pub(crate) fn tags(name: impl Into<String>) -> Expression {
    object([("Name", Expression::String(name.into()))])
}

/// `{ Name = <template> }` for per-index names.
pub(crate) fn tags_expr(name: Expression) -> Expression {
    object([("Name", name)])
}

/// The ARN of the AWS account root, the usual principal of key and trust policies.
pub(crate) fn account_root() -> Expression {
    use crate::expr::{interp, lit, template};
    template([
        lit("arn:"),
        interp(crate::expr::data("aws_partition", "current", "partition")),
        lit(":iam::"),
        interp(crate::expr::data(
            "aws_caller_identity",
            "current",
            "account_id",
        )),
        lit(":root"),
    ])
}

/// `arn:<partition>:<service>:<region>:<account>:<rest>`, for ARNs of things that do not exist
/// yet as resources.
pub(crate) fn arn(service: &str, region: &str, rest: &str) -> Expression {
    use crate::expr::{interp, lit, template};
    template([
        lit("arn:"),
        interp(crate::expr::data("aws_partition", "current", "partition")),
        lit(format!(":{service}:{region}:")),
        interp(crate::expr::data(
            "aws_caller_identity",
            "current",
            "account_id",
        )),
        lit(format!(":{rest}")),
    ])
}
