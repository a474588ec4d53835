//! Traffic: the Service of each workload, the `TargetGroupBinding` of public services (their
//! pods in the target group of the load balancer Terraform owns), and a NetworkPolicy per
//! workload that allows only the traffic the model declares.
//!
//! Allowed traffic, and nothing else:
//! - into a public service from the load balancer: Terraform's ALB, in the public subnets,
//!   sends traffic from its own addresses there straight to the pods (target type `ip`), so
//!   the peer is the VPC range but the private subnets;
//! - into a service from the services that list it in `calls`;
//! - out of a workload: DNS to the cluster's resolver, the services it `calls`, the ports of its
//!   databases and caches inside the VPC, and HTTPS to the internet only when the application
//!   declares external services (the model does not say which service uses which provider).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service as KService, ServicePort, ServiceSpec};
use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use tierform_model::{App, Environment, Service};

use crate::meta::{self, Labels};
use crate::workload::{COMPONENT, PORT_NAME};

/// The ClusterIP Service of a service, on its own port.
pub(crate) fn service(app: &App, name: &str, s: &Service) -> KService {
    KService {
        metadata: meta::object_meta(
            name,
            meta::structural(&app.app, name, COMPONENT),
            BTreeMap::new(),
        ),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".to_owned()),
            selector: meta::selector(name).match_labels,
            ports: Some(vec![ServicePort {
                name: Some(PORT_NAME.to_owned()),
                port: i32::from(s.port),
                target_port: Some(IntOrString::String(PORT_NAME.to_owned())),
                protocol: Some("TCP".to_owned()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The `TargetGroupBinding` of a public service, for the AWS Load Balancer Controller
/// (`elbv2.k8s.aws/v1beta1`; `targetGroupName` needs controller v2.11 or later): it registers
/// the addresses of the pods behind the service's Service (`ip` targets) in the target group
/// Terraform made for it on the environment's load balancer (`loadbalancer.tf`, which also
/// holds the listener, certificate, host rule and health check). The target group's name is
/// the only per-environment value. No `spec.networking`: the load balancer's security group
/// rules are Terraform's, so the controller changes no security group.
pub(crate) fn target_group_binding(
    env: &Environment,
    name: &str,
    s: &Service,
) -> Option<serde_json::Value> {
    s.public.as_ref()?;
    let meta = meta::object_meta(
        name,
        meta::structural(&env.app.app, name, COMPONENT),
        BTreeMap::new(),
    );
    Some(serde_json::json!({
        "apiVersion": "elbv2.k8s.aws/v1beta1",
        "kind": TARGET_GROUP_BINDING,
        "metadata": meta,
        "spec": {
            "serviceRef": {"name": name, "port": PORT_NAME},
            "targetGroupName": env.target_group_name(name),
            "targetType": "ip"
        }
    }))
}

/// The namespace label under which the AWS Load Balancer Controller injects its readiness gate
/// into the pods of services a `TargetGroupBinding` binds.
pub(crate) const READINESS_GATE_LABEL: &str = "elbv2.k8s.aws/pod-readiness-gate-inject";

/// The kind of [`target_group_binding`]'s objects.
pub(crate) const TARGET_GROUP_BINDING: &str = "TargetGroupBinding";

/// JSON pointer of the per-environment target group name inside [`target_group_binding`]'s
/// output.
pub(crate) const TARGET_GROUP_NAME_PATH: &str = "/spec/targetGroupName";

/// The NetworkPolicy of a service.
pub(crate) fn service_policy(app: &App, name: &str, s: &Service) -> NetworkPolicy {
    let own_port = [tcp(s.port)];
    let mut ingress = Vec::new();
    if s.public.is_some() {
        // The load balancer's addresses: the VPC range but the private subnets, where the pods
        // run (pod IPs are VPC IPs: the whole range would admit every pod of the cluster).
        ingress.push(NetworkPolicyIngressRule {
            from: Some(vec![ip_block_except(
                &app.network.cidr,
                &app.network.private_subnets,
            )]),
            ports: Some(own_port.to_vec()),
        });
    }
    let callers: Vec<NetworkPolicyPeer> = app
        .services
        .iter()
        .filter(|(_, other)| other.calls.iter().any(|c| c == name))
        .map(|(caller, _)| pods(caller))
        .collect();
    if !callers.is_empty() {
        ingress.push(NetworkPolicyIngressRule {
            from: Some(callers),
            ports: Some(own_port.to_vec()),
        });
    }
    // The rules naming the VPC range (a knob) come first in each direction, so that the paths
    // overlays replace stay put whatever else the policy allows.
    let mut egress = vec![dns()];
    let mut store_ports: Vec<u16> = s
        .databases
        .iter()
        .filter_map(|d| app.databases.get(d))
        .map(|d| d.engine.port())
        .collect();
    if !s.caches.is_empty() {
        store_ports.push(REDIS_PORT);
    }
    if let Some(rule) = data_stores(app, store_ports) {
        egress.push(rule);
    }
    for callee in &s.calls {
        if let Some(target) = app.services.get(callee) {
            egress.push(NetworkPolicyEgressRule {
                to: Some(vec![pods(callee)]),
                ports: Some(vec![tcp(target.port)]),
            });
        }
    }
    // HTTPS out: the third-party APIs the service lists, and STS, where IRSA exchanges the
    // pod's token for the credentials that sign its IAM database and cache logins.
    let signs_logins = !s.caches.is_empty()
        || s.databases
            .iter()
            .any(|d| app.databases.get(d).is_some_and(|db| db.iam_auth));
    if !s.external_services.is_empty() || signs_logins {
        egress.push(https_out());
    }
    policy(&app.app, name, COMPONENT, ingress, egress)
}

/// JSON pointers of every `ipBlock.cidr` equal to `cidr` in `policy`, in the order of its JSON
/// (`spec.egress` before `spec.ingress`, as k8s-openapi serialises the spec): what a walk of
/// `serde_json::to_value(policy)` finds, without building that value. Only the peers of rules
/// hold an `ipBlock`; metadata and selectors are string maps.
pub(crate) fn cidr_pointers(policy: &NetworkPolicy, cidr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Some(spec) = &policy.spec else {
        return out;
    };
    let mut push = |direction: &str, i: usize, peers: &str, j: usize, peer: &NetworkPolicyPeer| {
        if peer.ip_block.as_ref().is_some_and(|b| b.cidr == cidr) {
            out.push(format!("/spec/{direction}/{i}/{peers}/{j}/ipBlock/cidr"));
        }
    };
    for (i, rule) in spec.egress.iter().flatten().enumerate() {
        for (j, peer) in rule.to.iter().flatten().enumerate() {
            push("egress", i, "to", j, peer);
        }
    }
    for (i, rule) in spec.ingress.iter().flatten().enumerate() {
        for (j, peer) in rule.from.iter().flatten().enumerate() {
            push("ingress", i, "from", j, peer);
        }
    }
    out
}

/// The port of Redis and Valkey.
pub(crate) const REDIS_PORT: u16 = 6379;

/// A NetworkPolicy selecting one workload's pods, restricting both directions.
pub(crate) fn policy(
    app: &str,
    name: &str,
    component: &str,
    ingress: Vec<NetworkPolicyIngressRule>,
    egress: Vec<NetworkPolicyEgressRule>,
) -> NetworkPolicy {
    NetworkPolicy {
        metadata: meta::object_meta(
            name,
            meta::structural(app, name, component),
            BTreeMap::new(),
        ),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(meta::selector(name)),
            policy_types: Some(vec!["Ingress".to_owned(), "Egress".to_owned()]),
            // An empty list would read as "no rule"; absent is the same and prints nothing.
            ingress: (!ingress.is_empty()).then_some(ingress),
            egress: Some(egress),
        }),
    }
}

/// Egress to the databases' and caches' ports in the private subnets (where RDS and
/// ElastiCache live; not the public ones), if there are any. Pods share those subnets: a pod
/// listening on such a port is still guarded by its own ingress policy.
pub(crate) fn data_stores(app: &App, mut ports: Vec<u16>) -> Option<NetworkPolicyEgressRule> {
    ports.sort_unstable();
    ports.dedup();
    (!ports.is_empty()).then(|| NetworkPolicyEgressRule {
        to: Some(vec![ip_block_except(
            &app.network.cidr,
            &app.network.public_subnets,
        )]),
        ports: Some(ports.into_iter().map(tcp).collect()),
    })
}

/// HTTPS to anywhere (third-party APIs, AWS APIs).
pub(crate) fn https_out() -> NetworkPolicyEgressRule {
    NetworkPolicyEgressRule {
        to: Some(vec![ip_block("0.0.0.0/0")]),
        ports: Some(vec![tcp(443)]),
    }
}

/// DNS to the cluster's resolver (CoreDNS in `kube-system`, labelled `k8s-app: kube-dns`).
pub(crate) fn dns() -> NetworkPolicyEgressRule {
    let peer = NetworkPolicyPeer {
        namespace_selector: Some(LabelSelector {
            match_labels: Some(Labels::from([(
                "kubernetes.io/metadata.name".to_owned(),
                "kube-system".to_owned(),
            )])),
            ..Default::default()
        }),
        pod_selector: Some(LabelSelector {
            match_labels: Some(Labels::from([(
                "k8s-app".to_owned(),
                "kube-dns".to_owned(),
            )])),
            ..Default::default()
        }),
        ..Default::default()
    };
    let port = |protocol: &str| NetworkPolicyPort {
        protocol: Some(protocol.to_owned()),
        port: Some(IntOrString::Int(53)),
        ..Default::default()
    };
    NetworkPolicyEgressRule {
        to: Some(vec![peer]),
        ports: Some(vec![port("UDP"), port("TCP")]),
    }
}

fn pods(name: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        pod_selector: Some(meta::selector(name)),
        ..Default::default()
    }
}

fn ip_block(cidr: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        ip_block: Some(IPBlock {
            cidr: cidr.to_owned(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn ip_block_except(cidr: &str, except: &[String]) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        ip_block: Some(IPBlock {
            cidr: cidr.to_owned(),
            except: (!except.is_empty()).then(|| except.to_vec()),
        }),
        ..Default::default()
    }
}

/// JSON pointers of the `except` list of every `ipBlock` whose `cidr` is `cidr`, with that
/// list: the subnets, which follow the VPC range and the availability zones (knobs).
pub(crate) fn except_pointers(policy: &NetworkPolicy, cidr: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let Some(spec) = &policy.spec else {
        return out;
    };
    let mut push = |direction: &str, i: usize, peers: &str, j: usize, peer: &NetworkPolicyPeer| {
        if let Some(b) = peer.ip_block.as_ref().filter(|b| b.cidr == cidr) {
            if let Some(except) = &b.except {
                out.push((
                    format!("/spec/{direction}/{i}/{peers}/{j}/ipBlock/except"),
                    except.clone(),
                ));
            }
        }
    };
    for (i, rule) in spec.egress.iter().flatten().enumerate() {
        for (j, peer) in rule.to.iter().flatten().enumerate() {
            push("egress", i, "to", j, peer);
        }
    }
    for (i, rule) in spec.ingress.iter().flatten().enumerate() {
        for (j, peer) in rule.from.iter().flatten().enumerate() {
            push("ingress", i, "from", j, peer);
        }
    }
    out
}

fn tcp(port: u16) -> NetworkPolicyPort {
    NetworkPolicyPort {
        protocol: Some("TCP".to_owned()),
        port: Some(IntOrString::Int(i32::from(port))),
        ..Default::default()
    }
}
