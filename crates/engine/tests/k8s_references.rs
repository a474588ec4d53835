//! Referential integrity of the Kubernetes output, over every EKS environment of every
//! fixture: every ConfigMap, Secret, ServiceAccount and volume a pod references (and every
//! key it reads from them), every SecretStore an ExternalSecret uses, the account that store
//! authenticates as, every Service a TargetGroupBinding binds and every workload an autoscaler
//! scales exists in the same rendered overlay (and in the flat rendering) or is created by
//! the environment's own Terraform (the kubernetes provider's namespace, ServiceAccounts and
//! `infra-endpoints`); and every target group a TargetGroupBinding names, by name, is one the
//! environment's Terraform creates (`aws_lb_target_group`, `target_type = "ip"`). A Secret exists when an ExternalSecret targets it: tierform emits no
//! Secret.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;
use tierform_engine::k8s as tierform_emit_k8s;
use tierform_engine::model::{Environment, Model};
use tierform_engine::resolve;
use tierform_engine::terraform as tierform_emit_terraform;

/// What exists in one namespace: names by kind, and the keys each ConfigMap / Secret holds.
#[derive(Default, Debug)]
struct Existing {
    names: BTreeMap<String, BTreeSet<String>>,
    keys: BTreeMap<(String, String), BTreeSet<String>>,
}

impl Existing {
    fn add(&mut self, kind: &str, name: &str, keys: impl IntoIterator<Item = String>) {
        self.names
            .entry(kind.to_owned())
            .or_default()
            .insert(name.to_owned());
        self.keys
            .entry((kind.to_owned(), name.to_owned()))
            .or_default()
            .extend(keys);
    }
    fn has(&self, kind: &str, name: &str) -> bool {
        self.names.get(kind).is_some_and(|n| n.contains(name))
    }
    fn has_key(&self, kind: &str, name: &str, key: &str) -> bool {
        self.keys
            .get(&(kind.to_owned(), name.to_owned()))
            .is_some_and(|k| k.contains(key))
    }
}

fn object_keys(v: &Value) -> Vec<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// What the environment's Terraform creates inside the cluster, for its namespace.
fn from_terraform(env: &Environment, into: &mut Existing) {
    let namespace = env.prefix();
    let objects = tierform_emit_terraform::objects(env).expect("a cloud environment");
    let mut namespaced = false;
    for o in objects {
        let address = o.id.trim_start_matches("terraform:");
        let meta = &o.data["metadata"][0];
        let name = meta["name"].as_str().unwrap_or_default();
        // Objects go into the namespace resource's name, which must be the environment's.
        let ns_ok = meta["namespace"] == "kubernetes_namespace_v1.app.metadata[0].name";
        if address == "kubernetes_namespace_v1.app" {
            assert_eq!(
                name, namespace,
                "{}: the namespace Terraform creates",
                env.name
            );
            namespaced = true;
        } else if address.starts_with("kubernetes_config_map_v1.") {
            assert!(ns_ok, "{}: {address} outside the namespace", env.name);
            into.add("ConfigMap", name, object_keys(&o.data["data"]));
        } else if address.starts_with("kubernetes_service_account_v1.") {
            assert!(ns_ok, "{}: {address} outside the namespace", env.name);
            let role = &meta["annotations"]["eks.amazonaws.com/role-arn"];
            assert!(
                role.as_str()
                    .is_some_and(|r| r.starts_with("aws_iam_role.")),
                "{}: {address} has no IRSA role annotation",
                env.name
            );
            into.add("ServiceAccount", name, []);
        } else if address.starts_with("aws_lb_target_group.") && o.data["target_type"] == "ip" {
            // Outside the cluster, but what a TargetGroupBinding names.
            into.add(
                "TargetGroup",
                o.data["name"].as_str().unwrap_or_default(),
                [],
            );
        }
    }
    assert!(namespaced, "{}: Terraform creates no namespace", env.name);
}

fn from_manifests(objects: &[Value], into: &mut Existing) {
    for o in objects {
        let kind = o["kind"].as_str().unwrap_or_default();
        let name = o["metadata"]["name"].as_str().unwrap_or_default();
        match kind {
            "ConfigMap" => into.add(kind, name, object_keys(&o["data"])),
            "ExternalSecret" => {
                let target = o["spec"]["target"]["name"].as_str().unwrap_or(name);
                let keys = o["spec"]["data"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|d| d["secretKey"].as_str().map(str::to_owned));
                into.add("Secret", target, keys);
                into.add(kind, name, []);
            }
            _ => into.add(kind, name, []),
        }
    }
}

/// The dangling references of one rendered namespace.
fn dangling(objects: &[Value], existing: &Existing) -> Vec<String> {
    let mut out = Vec::new();
    let mut need = |kind: &str, name: &str, key: Option<&str>, from: &str| {
        if !existing.has(kind, name) {
            out.push(format!("{from}: {kind} {name} does not exist"));
        } else if let Some(key) = key {
            if !existing.has_key(kind, name, key) {
                out.push(format!("{from}: {kind} {name} has no key {key}"));
            }
        }
    };
    for o in objects {
        let kind = o["kind"].as_str().unwrap_or_default();
        let name = o["metadata"]["name"].as_str().unwrap_or_default();
        let from = format!("{kind}/{name}");
        let pod = match kind {
            "Deployment" | "StatefulSet" | "DaemonSet" | "Job" => &o["spec"]["template"]["spec"],
            "CronJob" => &o["spec"]["jobTemplate"]["spec"]["template"]["spec"],
            _ => &Value::Null,
        };
        if !pod.is_null() {
            need(
                "ServiceAccount",
                pod["serviceAccountName"].as_str().unwrap_or("default"),
                None,
                &from,
            );
            let containers = pod["containers"]
                .as_array()
                .into_iter()
                .chain(pod["initContainers"].as_array())
                .flatten();
            for c in containers {
                for e in c["env"].as_array().into_iter().flatten() {
                    let r = &e["valueFrom"];
                    for (field, kind) in
                        [("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")]
                    {
                        if let Some(n) = r[field]["name"].as_str() {
                            if r[field]["optional"] != Value::Bool(true) {
                                need(kind, n, r[field]["key"].as_str(), &from);
                            }
                        }
                    }
                }
                for e in c["envFrom"].as_array().into_iter().flatten() {
                    for (field, kind) in [("configMapRef", "ConfigMap"), ("secretRef", "Secret")] {
                        if let Some(n) = e[field]["name"].as_str() {
                            if e[field]["optional"] != Value::Bool(true) {
                                need(kind, n, None, &from);
                            }
                        }
                    }
                }
            }
            for v in pod["volumes"].as_array().into_iter().flatten() {
                if let Some(n) = v["configMap"]["name"].as_str() {
                    need("ConfigMap", n, None, &from);
                }
                if let Some(n) = v["secret"]["secretName"].as_str() {
                    need("Secret", n, None, &from);
                }
                if let Some(n) = v["persistentVolumeClaim"]["claimName"].as_str() {
                    need("PersistentVolumeClaim", n, None, &from);
                }
            }
        }
        match kind {
            "ExternalSecret" => {
                let store = &o["spec"]["secretStoreRef"];
                need(
                    store["kind"].as_str().unwrap_or("SecretStore"),
                    store["name"].as_str().unwrap_or_default(),
                    None,
                    &from,
                );
            }
            "SecretStore" => {
                if let Some(sa) = o["spec"]["provider"]["aws"]["auth"]["jwt"]["serviceAccountRef"]
                    ["name"]
                    .as_str()
                {
                    need("ServiceAccount", sa, None, &from);
                }
            }
            "TargetGroupBinding" => {
                let spec = &o["spec"];
                need(
                    "Service",
                    spec["serviceRef"]["name"].as_str().unwrap_or_default(),
                    None,
                    &from,
                );
                need(
                    "TargetGroup",
                    spec["targetGroupName"].as_str().unwrap_or_default(),
                    None,
                    &from,
                );
            }
            "HorizontalPodAutoscaler" => {
                let t = &o["spec"]["scaleTargetRef"];
                need(
                    t["kind"].as_str().unwrap_or_default(),
                    t["name"].as_str().unwrap_or_default(),
                    None,
                    &from,
                );
            }
            _ => {}
        }
    }
    out
}

fn check(env: &Environment, objects: &[Value], what: &str, problems: &mut Vec<String>) {
    let mut existing = Existing::default();
    existing.add("ServiceAccount", "default", []);
    from_terraform(env, &mut existing);
    from_manifests(objects, &mut existing);
    for d in dangling(objects, &existing) {
        problems.push(format!("{} ({what}): {d}", env.name));
    }
}

#[test]
fn every_pod_reference_exists_in_the_overlay_or_is_created_by_terraform() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut problems = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "hcl") {
            continue;
        }
        let model = Model::load(&path).unwrap_or_else(|ds| panic!("{}: {ds}", path.display()));
        let envs = resolve(&model, &[]).unwrap_or_else(|ds| panic!("{ds}"));
        let eks: Vec<&Environment> = envs.iter().filter(|e| e.runs_kubernetes()).collect();
        if eks.is_empty() {
            continue;
        }
        // The base is the reference environment's: the one whose namespace it keeps.
        let files = tierform_engine::kustomize_base(&model, &envs, Default::default())
            .unwrap()
            .expect("a base");
        let kustomization = files
            .iter()
            .find(|(p, _)| p.to_string().ends_with("kustomization.yaml"))
            .map(|(_, t)| t.to_owned())
            .expect("the base's kustomization");
        let reference = eks
            .iter()
            .find(|e| kustomization.contains(&format!("namespace: {}\n", e.prefix())))
            .expect("the reference environment");
        for env in &eks {
            let overlay = tierform_emit_k8s::rendered_overlay(reference, env).unwrap();
            check(env, &overlay, "rendered overlay", &mut problems);
            let flat = tierform_emit_k8s::flat_values(env).unwrap();
            check(env, &flat, "flat", &mut problems);
            checked += 1;
        }
    }
    assert!(checked >= 8, "checked {checked} environments");
    assert!(
        problems.is_empty(),
        "{} dangling references:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_checker_finds_what_nothing_creates() {
    let pod = serde_json::json!({
        "kind": "Deployment", "metadata": {"name": "api"},
        "spec": {"template": {"spec": {
            "serviceAccountName": "api",
            "containers": [{"name": "api", "env": [
                {"name": "A", "valueFrom": {"configMapKeyRef": {"name": "infra-endpoints", "key": "A"}}},
                {"name": "B", "valueFrom": {"secretKeyRef": {"name": "api-secrets", "key": "B"}}}
            ]}]
        }}}
    });
    let d = dangling(&[pod], &Existing::default());
    assert_eq!(d.len(), 3, "{d:?}");
}
