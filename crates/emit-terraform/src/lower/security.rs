//! `security.tf`: the environment's KMS key and the security groups, least privilege: one
//! group per load balancer, service, database and cache, and one rule resource per allowed
//! flow, each flow declared by the spec (public exposure, `databases`, `caches`, `calls`).

use hcl::Expression;

use super::iam::{policy, Stmt};
use super::loadbalancer::Facing;
use super::{account_root, service_sg, tags, Cx};
use crate::expr::{object, res};
use crate::module::{Module, TfFile, B};
use crate::names::label;

/// Port of Redis and Valkey.
pub(crate) const CACHE_PORT: u16 = 6379;

pub(crate) fn lower(cx: &Cx, m: &mut Module) {
    kms(cx, m);
    if super::loadbalancer::has(cx, super::loadbalancer::Facing::Internet) {
        load_balancer(cx, m);
        if cx.eks() {
            alb_to_pods(cx, m);
        }
    }
    super::internal::security(cx, m);
    if !cx.eks() {
        for (name, svc) in &cx.app.services {
            service(cx, m, name, svc);
        }
    }
    if let Some(r) = super::refresh::refresh(cx) {
        refresh_rules(cx, m, r);
    }
    databases(cx, m);
    caches(cx, m);
}

/// The internet-facing load balancer's group: HTTPS in, and HTTP only to redirect.
fn load_balancer(cx: &Cx, m: &mut Module) {
    group(
        cx,
        m,
        "load balancer",
        "alb",
        "alb",
        "The internet-facing load balancer: HTTPS in, the public services out",
    );
    let any = |r: Rule| r.cidr("0.0.0.0/0");
    any(Rule::ingress(
        "alb_https_from_internet",
        "alb",
        443,
        "HTTPS from the internet",
    ))
    .push(m, "load balancer");
    any(Rule::ingress("alb_http_from_internet", "alb", 80, "HTTP from the internet, answered only with a redirect to HTTPS"))
        .skip("CKV_AWS_260", "port 80 only answers with a permanent redirect to HTTPS (the HTTP listener forwards nothing)")
        .push(m, "load balancer");
}

/// On EKS, the load balancer reaches the pods of the public services (target type `ip`: pod
/// addresses on the nodes' ENIs, whose group is the cluster's, as `Cx::workload_sg` says): one
/// pair of rules per service port, since two services on one port share the same flow.
fn alb_to_pods(cx: &Cx, m: &mut Module) {
    let mut ports: Vec<u16> = cx.public_services().map(|(_, s)| s.port).collect();
    ports.sort_unstable();
    ports.dedup();
    for port in ports {
        Rule::egress(
            &format!("alb_to_cluster_{port}"),
            "alb",
            port,
            &format!("To the public services' pods on port {port}"),
        )
        .peer(cx.workload_sg(""))
        .push(m, "load balancer");
        Rule::new(
            "aws_vpc_security_group_ingress_rule",
            &format!("cluster_from_alb_{port}"),
            cx.workload_sg(""),
            port,
            "From the load balancer to the public services' pods",
        )
        .peer(res("aws_security_group", "alb", "id"))
        .push(m, "load balancer");
    }
}

/// One service's group (ECS tasks or App Runner VPC connector) and its rules.
fn service(cx: &Cx, m: &mut Module, name: &str, svc: &tierform_model::Service) {
    let c = format!("service {name}");
    let sg = service_sg(name);
    let what = if cx.ecs() {
        "tasks"
    } else {
        "App Runner VPC connector"
    };
    group(
        cx,
        m,
        &c,
        &sg,
        &format!("svc-{name}"),
        &format!("Service {name} ({what})"),
    );
    // A service is behind one load balancer at most; the rules keep their labels either way.
    if let Some(facing) = Facing::of(svc).filter(|_| cx.ecs()) {
        Rule::egress(
            &format!("alb_to_{}", label(name)),
            facing.sg(),
            svc.port,
            &format!("To service {name}"),
        )
        .peer(res("aws_security_group", &sg, "id"))
        .push(m, &c);
        Rule::ingress(
            &format!("{sg}_from_alb"),
            &sg,
            svc.port,
            "From the load balancer",
        )
        .peer(res("aws_security_group", facing.sg(), "id"))
        .push(m, &c);
    }
    // Calls between services: App Runner services call each other through their public
    // HTTPS endpoints (covered by the HTTPS egress below), so only ECS needs rules.
    if cx.ecs() {
        service_calls(cx, m, name, svc);
    }
    data_stores(cx, m, name, svc);
    // AWS APIs (ECR, Secrets Manager, CloudWatch) and the external services.
    Rule::egress(
        &format!("{sg}_https_out"),
        &sg,
        443,
        "HTTPS to AWS APIs and external services",
    )
    .cidr("0.0.0.0/0")
    .push(m, &c);
}

/// The rules of one ECS service's calls: out of the caller, into the callee.
fn service_calls(cx: &Cx, m: &mut Module, name: &str, svc: &tierform_model::Service) {
    let c = format!("service {name}");
    let sg = service_sg(name);
    for callee in &svc.calls {
        let Some(target) = cx.app.services.get(callee) else {
            continue;
        };
        let to = service_sg(callee);
        Rule::egress(
            &format!("{sg}_to_{to}"),
            &sg,
            target.port,
            &format!("Calls service {callee}"),
        )
        .peer(res("aws_security_group", &to, "id"))
        .push(m, &c);
        Rule::ingress(
            &format!("{to}_from_{sg}"),
            &to,
            target.port,
            &format!("Called by service {name}"),
        )
        .peer(res("aws_security_group", &sg, "id"))
        .push(m, &format!("service {callee}"));
    }
}

/// One service's way out to its databases and caches.
fn data_stores(cx: &Cx, m: &mut Module, name: &str, svc: &tierform_model::Service) {
    let c = format!("service {name}");
    let sg = service_sg(name);
    for db in &svc.databases {
        let Some(d) = cx.app.databases.get(db) else {
            continue;
        };
        let to = db_sg(db);
        Rule::egress(
            &format!("{sg}_to_{to}"),
            &sg,
            d.engine.port(),
            &format!("To database {db}"),
        )
        .peer(res("aws_security_group", &to, "id"))
        .push(m, &c);
    }
    for cache in &svc.caches {
        let to = cache_sg(cache);
        Rule::egress(
            &format!("{sg}_to_{to}"),
            &sg,
            CACHE_PORT,
            &format!("To cache {cache}"),
        )
        .peer(res("aws_security_group", &to, "id"))
        .push(m, &c);
    }
}

/// Each database's group, reachable from its services only.
fn databases(cx: &Cx, m: &mut Module) {
    for (name, db) in &cx.app.databases {
        let c = format!("database {name}");
        let sg = db_sg(name);
        group(
            cx,
            m,
            &c,
            &sg,
            &format!("db-{name}"),
            &format!("Database {name}: reachable from its services only"),
        );
        for (src, rule) in sources(cx, |s| s.databases.contains(name)) {
            Rule::ingress(
                &format!("{sg}_from_{rule}"),
                &sg,
                db.engine.port(),
                &format!("From {src}"),
            )
            .peer(cx.workload_sg(&src))
            .push(m, &c);
        }
    }
}

/// Each cache's group, reachable from its services only.
fn caches(cx: &Cx, m: &mut Module) {
    for name in cx.app.caches.keys() {
        let c = format!("cache {name}");
        let sg = cache_sg(name);
        group(
            cx,
            m,
            &c,
            &sg,
            &format!("cache-{name}"),
            &format!("Cache {name}: reachable from its services only"),
        );
        for (src, rule) in sources(cx, |s| s.caches.contains(name)) {
            Rule::ingress(
                &format!("{sg}_from_{rule}"),
                &sg,
                CACHE_PORT,
                &format!("From {src}"),
            )
            .peer(cx.workload_sg(&src))
            .push(m, &c);
        }
    }
}

/// The data refresh's task: the target database's port (its instance, and the temporary copy
/// restored into the same group) and HTTPS to the AWS APIs; nothing in.
fn refresh_rules(cx: &Cx, m: &mut Module, r: &tierform_model::DataRefresh) {
    use super::refresh::{C, L};
    let Some(db) = cx.app.databases.get(&r.database) else {
        return;
    };
    m.push(
        TfFile::Security,
        C,
        B::resource("aws_security_group", L)
            .attr("name", cx.name("data-refresh", 255))
            .attr(
                "description",
                "Data refresh task: the target database and AWS APIs only",
            )
            .attr("vpc_id", cx.vpc_id())
            .skip(
                "CKV2_AWS_5",
                "attached to the refresh task at each run by aws_scheduler_schedule.data_refresh (ecs_parameters.network_configuration), which checkov does not follow",
            )
            .attr("tags", tags(cx.name("data-refresh", 255))),
    );
    let to = db_sg(&r.database);
    Rule::egress(
        &format!("{L}_to_{to}"),
        L,
        db.engine.port(),
        &format!("To database {}", r.database),
    )
    .peer(res("aws_security_group", &to, "id"))
    .push(m, C);
    Rule::ingress(
        &format!("{to}_from_{L}"),
        &to,
        db.engine.port(),
        "From the data refresh task",
    )
    .peer(res("aws_security_group", L, "id"))
    .push(m, C);
    Rule::egress(
        &format!("{L}_https_out"),
        L,
        443,
        "HTTPS to AWS APIs (RDS, ECR, Secrets Manager, CloudWatch Logs)",
    )
    .cidr("0.0.0.0/0")
    .push(m, C);
}

/// The workloads that may reach a database or cache: each service using it, or on EKS the
/// cluster once (all pods share the cluster's group). Pairs of (service name, rule suffix).
fn sources(cx: &Cx, uses: impl Fn(&tierform_model::Service) -> bool) -> Vec<(String, String)> {
    let users: Vec<&String> = cx
        .app
        .services
        .iter()
        .filter(|(_, s)| uses(s))
        .map(|(n, _)| n)
        .collect();
    if cx.eks() {
        users
            .first()
            .map(|n| vec![((*n).clone(), "cluster".to_owned())])
            .unwrap_or_default()
    } else {
        users
            .into_iter()
            .map(|n| (n.clone(), service_sg(n)))
            .collect()
    }
}

/// The label of a database's security group.
pub(crate) fn db_sg(db: &str) -> String {
    format!("db_{}", label(db))
}

/// The label of a cache's security group.
pub(crate) fn cache_sg(cache: &str) -> String {
    format!("cache_{}", label(cache))
}

pub(super) fn group(
    cx: &Cx,
    m: &mut Module,
    component: &str,
    l: &str,
    suffix: &str,
    description: &str,
) {
    m.push(
        TfFile::Security,
        component,
        B::resource("aws_security_group", l)
            .attr("name", cx.name(suffix, 255))
            .attr("description", description)
            .attr("vpc_id", cx.vpc_id())
            .attr("tags", tags(cx.name(suffix, 255))),
    );
}

/// One security group rule resource.
pub(super) struct Rule {
    b: B,
}

impl Rule {
    pub(super) fn ingress(l: &str, group: &str, port: u16, description: &str) -> Rule {
        Rule::new(
            "aws_vpc_security_group_ingress_rule",
            l,
            res("aws_security_group", group, "id"),
            port,
            description,
        )
    }
    pub(super) fn egress(l: &str, group: &str, port: u16, description: &str) -> Rule {
        Rule::new(
            "aws_vpc_security_group_egress_rule",
            l,
            res("aws_security_group", group, "id"),
            port,
            description,
        )
    }
    /// A rule of `group` (a security group's id).
    fn new(ty: &str, l: &str, group: Expression, port: u16, description: &str) -> Rule {
        Rule::with(B::resource(ty, l), group, port, description)
    }
    fn with(b: B, group: Expression, port: u16, description: &str) -> Rule {
        Rule {
            b: b.attr("security_group_id", group)
                .attr("description", description)
                .attr("ip_protocol", "tcp")
                .attr("from_port", port)
                .attr("to_port", port),
        }
    }
    /// The peer is another security group.
    pub(super) fn peer(self, sg: Expression) -> Rule {
        Rule {
            b: self.b.attr("referenced_security_group_id", sg),
        }
    }
    /// The peer is an address range.
    pub(super) fn cidr(self, cidr: &str) -> Rule {
        Rule {
            b: self.b.attr("cidr_ipv4", cidr),
        }
    }
    /// Ingress from address ranges, one rule each (`for_each` over the set, so their number
    /// is a value, not structure).
    pub(super) fn ingress_from_ranges(
        l: &str,
        group: &str,
        port: u16,
        description: &str,
        cidrs: &[&str],
    ) -> Rule {
        let (set, each) = super::internal::cidr_set(cidrs);
        let b = B::resource("aws_vpc_security_group_ingress_rule", l).attr("for_each", set);
        Rule::with(b, res("aws_security_group", group, "id"), port, description)
            .attr("cidr_ipv4", each)
    }
    fn attr(self, key: &str, value: Expression) -> Rule {
        Rule {
            b: self.b.attr(key, value),
        }
    }
    pub(super) fn skip(self, id: &'static str, reason: &str) -> Rule {
        Rule {
            b: self.b.skip(id, reason),
        }
    }
    pub(super) fn push(self, m: &mut Module, component: &str) {
        m.push(TfFile::Security, component, self.b);
    }
}

/// One customer-managed key per environment, for everything encrypted at rest: databases,
/// caches, secrets, logs, the EKS secrets. Rotated yearly; its policy lets the account's IAM
/// policies grant its use and CloudWatch Logs encrypt this environment's log groups.
fn kms(cx: &Cx, m: &mut Module) {
    let region = &cx.app.region;
    let key_policy = policy(
        [
            Stmt::allow("AccountAdministration", &["kms:*"])
                .principal("AWS", account_root())
                .on([Expression::from("*")]),
            Stmt::allow(
                "CloudWatchLogs",
                &[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
            )
            .principal(
                "Service",
                Expression::from(format!("logs.{region}.amazonaws.com")),
            )
            .on([Expression::from("*")])
            .condition(object([(
                "ArnLike",
                object([(
                    "kms:EncryptionContext:aws:logs:arn",
                    super::arn("logs", region, "log-group:*"),
                )]),
            )])),
        ]
        .into_iter()
        .chain(
            // Alarms publish to the channel's topic, which this key encrypts.
            super::observability::notify_channel(cx).map(|_| {
                Stmt::allow("CloudWatchAlarms", &["kms:Decrypt", "kms:GenerateDataKey*"])
                    .principal("Service", Expression::from("cloudwatch.amazonaws.com"))
                    .on([Expression::from("*")])
            }),
        )
        .chain(super::storage::key_statements(cx)),
    );
    m.push(
        TfFile::Security,
        "security",
        B::resource("aws_kms_key", "main")
            .attr("description", format!("{}: data at rest", cx.prefix))
            .attr("deletion_window_in_days", 30)
            .attr("enable_key_rotation", true)
            .gap()
            .attr("policy", key_policy),
    );
    m.push(
        TfFile::Security,
        "security",
        B::resource("aws_kms_alias", "main")
            .attr("name", format!("alias/{}", cx.prefix))
            .attr("target_key_id", res("aws_kms_key", "main", "key_id")),
    );
}
