//! Kustomize overlays: one environment's knob values, and nothing else, applied to the base.
//!
//! [`Overlay::of`] reads only knob fields of the environment (see `tierform_model::KNOBS`):
//! image tags and digests, replicas and autoscaling, CPU and memory, the VPC range, the log level, feature flags, external-service modes and `env` values. Names of
//! services and their image repositories are read to *address* the base's objects, never
//! emitted as new structure. The only objects an overlay adds are those knobs switch on
//! (autoscaler, disruption budget) and the data refresh job.
//!
//! [`Overlay::apply`] is the same overlay applied in memory with kustomize's semantics, so that
//! tests can prove, without kubectl, that base + overlay equals the flat rendering.

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{json, Value};
use tierform_model::{Environment, FileSet};

use crate::meta::{Identity, Labels, VERSION};
use crate::network::{TARGET_GROUP_BINDING, TARGET_GROUP_NAME_PATH};
use crate::workload::{self, config_name};
use crate::{meta, network, refresh, switched, yaml, Object};

/// A `kustomization.yaml`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Kustomization {
    api_version: &'static str,
    kind: &'static str,
    namespace: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    labels: Vec<LabelTransform>,
    resources: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    images: Vec<ImageOverride>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    replicas: Vec<ReplicaCount>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    patches: Vec<Patch>,
}

impl Kustomization {
    fn new(namespace: String, resources: Vec<String>) -> Kustomization {
        Kustomization {
            api_version: "kustomize.config.k8s.io/v1beta1",
            kind: "Kustomization",
            namespace,
            labels: Vec::new(),
            resources,
            images: Vec::new(),
            replicas: Vec::new(),
            patches: Vec::new(),
        }
    }
}

/// Labels added to every object and pod template, never to selectors (immutable on
/// Deployments, and the environment must not be part of a workload's identity).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct LabelTransform {
    pairs: Labels,
    include_selectors: bool,
    include_templates: bool,
}

/// A new tag (and digest) for every container of one image repository. Kustomize drops the
/// base's digest when only `newTag` is given, which is right for an unpinned environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageOverride {
    name: String,
    new_tag: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
struct ReplicaCount {
    name: String,
    count: u32,
}

/// A patch: a strategic-merge file (`path`) or inline JSON 6902 operations on a `target`.
#[derive(Debug, Clone, Serialize)]
struct Patch {
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    patch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<Target>,
}

#[derive(Debug, Clone, Serialize)]
struct Target {
    kind: String,
    name: String,
}

/// One JSON 6902 `replace` of a knob value inside one object.
#[derive(Debug, Clone, PartialEq)]
struct Replace {
    kind: String,
    name: String,
    path: String,
    value: Value,
}

/// One JSON 6902 operation as written inline in a patch: serialised straight to JSON text,
/// with the fields in the order a `json!` object of them keeps (serde_json `preserve_order`).
#[derive(Debug, Serialize)]
struct Operation<'a> {
    op: &'static str,
    path: &'a str,
    value: &'a Value,
}

/// The base's `kustomization.yaml`.
pub(crate) fn base_kustomization(namespace: &str, resources: Vec<String>) -> String {
    yaml::single(&Kustomization::new(namespace.to_owned(), resources))
}

/// One environment's overlay.
pub(crate) struct Overlay {
    identity: Identity,
    images: Vec<ImageOverride>,
    replicas: Vec<ReplicaCount>,
    /// Strategic-merge patches by file, one file per service.
    merges: IndexMap<String, Vec<Value>>,
    replaces: Vec<Replace>,
    /// Objects the environment's knobs switch on, by file.
    resources: Vec<Object>,
}

impl Overlay {
    /// The overlay of `env`, from its knob values.
    pub(crate) fn of(env: &Environment) -> Overlay {
        let app = &env.app;
        let mut overlay = Overlay {
            identity: Identity::of(env),
            images: Vec::new(),
            replicas: Vec::new(),
            merges: IndexMap::new(),
            replaces: Vec::new(),
            resources: switched(env, crate::Content::Whole),
        };
        // Images by repository: one `images` entry when every service of a repository runs the
        // same release, otherwise a replace of each Deployment's image.
        let mut by_repo: IndexMap<&str, Vec<(&str, ImageOverride)>> = IndexMap::new();
        for (name, s) in &app.services {
            let o = ImageOverride {
                name: s.image.clone(),
                new_tag: s.tag.clone(),
                digest: s.digest.clone(),
            };
            by_repo.entry(s.image.as_str()).or_default().push((name, o));
        }
        // A repository in the environment's own account (`{account}` in the spec) is named
        // differently in the base, which kustomize's `images` matches by name: it is replaced
        // whole, per Deployment.
        let own_registry = |repo: &str| {
            env.account
                .as_ref()
                .is_some_and(|a| repo.split('/').next().is_some_and(|r| r.contains(&a.id)))
        };
        for (repo, uses) in by_repo {
            if !own_registry(repo) && uses.iter().all(|(_, o)| *o == uses[0].1) {
                overlay.images.push(uses[0].1.clone());
            } else {
                for (name, o) in uses {
                    overlay.replaces.push(Replace {
                        kind: "Deployment".to_owned(),
                        name: name.to_owned(),
                        path: "/spec/template/spec/containers/0/image".to_owned(),
                        value: Value::String(workload::image(
                            repo,
                            &o.new_tag,
                            o.digest.as_deref(),
                        )),
                    });
                }
            }
        }
        for (name, s) in &app.services {
            overlay.replicas.push(ReplicaCount {
                name: name.clone(),
                count: workload::replicas(s),
            });
            let version = meta::label_value(&s.tag);
            let resources =
                serde_json::to_value(workload::service_resources(s)).expect("resources serialise");
            let mut data = serde_json::Map::new();
            // Replace the whole map: a flag or variable the reference has and this environment
            // does not must not survive from the base.
            data.insert("$patch".to_owned(), json!("replace"));
            data.extend(
                workload::config_data(app, s)
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v))),
            );
            overlay.merges.insert(
                format!("{name}-patch"),
                vec![
                    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": config_name(name)}, "data": data}),
                    json!({
                        "apiVersion": "apps/v1", "kind": "Deployment",
                        "metadata": {"name": name, "labels": {VERSION: version}},
                        "spec": {"template": {
                            "metadata": {"labels": {VERSION: version}},
                            "spec": {"containers": [{"name": name, "resources": resources}]}
                        }}
                    }),
                ],
            );
            // The environment's own target group (its name is identity, like the namespace).
            if s.public.is_some() {
                overlay.replaces.push(Replace {
                    kind: TARGET_GROUP_BINDING.to_owned(),
                    name: name.clone(),
                    path: TARGET_GROUP_NAME_PATH.to_owned(),
                    value: Value::String(env.target_group_name(name)),
                });
            }
            // The VPC range wherever the service's policy names it.
            let policy = network::service_policy(app, name, s);
            for path in network::cidr_pointers(&policy, &app.network.cidr) {
                overlay.replaces.push(Replace {
                    kind: "NetworkPolicy".to_owned(),
                    name: name.clone(),
                    path,
                    value: Value::String(app.network.cidr.clone()),
                });
            }
            for (path, except) in network::except_pointers(&policy, &app.network.cidr) {
                overlay.replaces.push(Replace {
                    kind: "NetworkPolicy".to_owned(),
                    name: name.clone(),
                    path,
                    value: json!(except),
                });
            }
            // The environment's own secrets: `<app>/<env>/<secret>` in every remote key.
            let sources = workload::secret_sources(app, &s.databases, &s.secrets);
            for (i, (_, secret)) in sources.iter().enumerate() {
                overlay.replaces.push(Replace {
                    kind: "ExternalSecret".to_owned(),
                    name: workload::secret_name(name),
                    path: format!("/spec/data/{i}/remoteRef/key"),
                    value: Value::String(workload::remote_key(env, secret)),
                });
            }
        }
        // The knobs raw manifests declare: each value replaced where the object holds it.
        for m in app.manifests.values() {
            for k in &m.knobs {
                let Some(value) = manifest_value(&m.object, k) else {
                    continue;
                };
                overlay.replaces.push(Replace {
                    kind: m.object["kind"].as_str().unwrap_or_default().to_owned(),
                    name: m.object["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    path: pointer(k),
                    value: value.clone(),
                });
            }
        }
        overlay
    }

    /// The overlay's files: `kustomization.yaml`, one `<service>-patch.yaml` per service, and
    /// `scaling.yaml` / `data-refresh.yaml` for the objects knobs switch on.
    pub(crate) fn files(&self) -> FileSet {
        let mut files = FileSet::new();
        let mut k = Kustomization::new(
            self.identity.namespace.clone(),
            vec!["../../base".to_owned()],
        );
        let mut resource_files: IndexMap<String, Vec<&Value>> = IndexMap::new();
        for o in &self.resources {
            let file = if o.file == refresh::NAME {
                refresh::NAME
            } else {
                "scaling"
            };
            resource_files
                .entry(format!("{file}.yaml"))
                .or_default()
                .push(&o.value);
        }
        for (file, values) in resource_files {
            k.resources.push(file.clone());
            files.insert(file, yaml::file(values));
        }
        k.labels.push(LabelTransform {
            pairs: self.identity.labels.clone(),
            include_selectors: false,
            include_templates: true,
        });
        k.images = self.images.clone();
        k.replicas = self.replicas.clone();
        for (file, docs) in &self.merges {
            let path = format!("{file}.yaml");
            k.patches.push(Patch {
                path: Some(path.clone()),
                patch: None,
                target: None,
            });
            files.insert(path, yaml::file(docs));
        }
        let mut by_target: IndexMap<(&str, &str), Vec<Operation>> = IndexMap::new();
        for r in &self.replaces {
            by_target
                .entry((r.kind.as_str(), r.name.as_str()))
                .or_default()
                .push(Operation {
                    op: "replace",
                    path: &r.path,
                    value: &r.value,
                });
        }
        for ((kind, name), ops) in by_target {
            k.patches.push(Patch {
                path: None,
                patch: Some(serde_json::to_string(&ops).expect("operations serialise")),
                target: Some(Target {
                    kind: kind.to_owned(),
                    name: name.to_owned(),
                }),
            });
        }
        files.insert("kustomization.yaml", yaml::single(&k));
        files
    }

    /// Applies the overlay to the base's objects in memory, as kustomize does: patches, images,
    /// replicas, then the overlay's own resources, then namespace and labels on everything.
    pub(crate) fn apply(&self, base: Vec<Value>) -> Vec<Value> {
        let mut objects = base;
        for o in &mut objects {
            let (kind, name) = (
                o["kind"].as_str().unwrap_or_default().to_owned(),
                o["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            );
            for patch in self.merges.values().flatten() {
                if patch["kind"] == kind.as_str() && patch["metadata"]["name"] == name.as_str() {
                    strategic_merge(o, patch);
                }
            }
            for r in self
                .replaces
                .iter()
                .filter(|r| r.kind == kind && r.name == name)
            {
                if let Some(slot) = o.pointer_mut(&r.path) {
                    *slot = r.value.clone();
                }
            }
            if let Some(containers) = o
                .pointer_mut("/spec/template/spec/containers")
                .and_then(Value::as_array_mut)
            {
                for c in containers {
                    let image = c["image"].as_str().unwrap_or_default().to_owned();
                    if let Some(i) = self.images.iter().find(|i| i.name == image_name(&image)) {
                        c["image"] = Value::String(workload::image(
                            &i.name,
                            &i.new_tag,
                            i.digest.as_deref(),
                        ));
                    }
                }
            }
            if kind == "Deployment" {
                if let Some(r) = self.replicas.iter().find(|r| r.name == name) {
                    o["spec"]["replicas"] = json!(r.count);
                }
            }
        }
        objects.extend(self.resources.iter().map(|o| o.value.clone()));
        for o in &mut objects {
            self.identity.stamp(o);
        }
        objects
    }
}

/// The repository of an image reference (`repo:tag@digest` -> `repo`).
fn image_name(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    match no_digest.rfind(':') {
        Some(i) if !no_digest[i..].contains('/') => &no_digest[..i],
        _ => no_digest,
    }
}

/// JSON pointers of every `ipBlock.cidr` equal to `cidr`, by walking the JSON: the definition
/// [`network::cidr_pointers`] is tested against.
/// The value at a manifest knob's dotted path (list indexes as numbers).
fn manifest_value<'v>(object: &'v Value, knob: &str) -> Option<&'v Value> {
    object.pointer(&pointer(knob))
}

/// A dotted knob path as a JSON pointer (`spec.schedule` -> `/spec/schedule`), escaped.
fn pointer(knob: &str) -> String {
    knob.split('.')
        .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
        .collect()
}

#[cfg(test)]
fn pointers_to_cidr(v: &Value, cidr: &str) -> Vec<String> {
    fn walk(v: &Value, at: &str, cidr: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                for (k, x) in o {
                    let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                    if k == "cidr" && x.as_str() == Some(cidr) && at.ends_with("/ipBlock") {
                        out.push(here);
                    } else {
                        walk(x, &here, cidr, out);
                    }
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(x, &format!("{at}/{i}"), cidr, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, "", cidr, &mut out);
    out
}

/// Kustomize's strategic merge, for the shapes overlays use: maps merge key by key, a map
/// with `$patch: replace` replaces its target, and `containers` merge by `name`.
fn strategic_merge(dst: &mut Value, patch: &Value) {
    match (dst, patch) {
        (Value::Object(d), Value::Object(p)) => {
            if p.get("$patch").and_then(Value::as_str) == Some("replace") {
                *d = p
                    .iter()
                    .filter(|(k, _)| *k != "$patch")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                return;
            }
            for (k, pv) in p {
                match (k.as_str(), d.get_mut(k)) {
                    ("containers", Some(Value::Array(dc))) => {
                        for pc in pv.as_array().into_iter().flatten() {
                            match dc.iter_mut().find(|c| c["name"] == pc["name"]) {
                                Some(c) => strategic_merge(c, pc),
                                None => dc.push(pc.clone()),
                            }
                        }
                    }
                    (_, Some(dv)) => strategic_merge(dv, pv),
                    (_, None) => {
                        d.insert(k.clone(), pv.clone());
                    }
                }
            }
        }
        (d, p) => *d = p.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_drop_tag_and_digest() {
        assert_eq!(
            image_name("r.io:5000/a/api:1.2@sha256:ab"),
            "r.io:5000/a/api"
        );
        assert_eq!(image_name("r.io:5000/a/api"), "r.io:5000/a/api");
        assert_eq!(image_name("api:1"), "api");
    }

    #[test]
    fn strategic_merge_replaces_marked_maps_and_merges_containers_by_name() {
        let mut d = json!({"data": {"A": "1", "B": "2"}, "spec": {"containers": [{"name": "a", "image": "x", "resources": {"limits": {"cpu": "1"}}}]}});
        strategic_merge(
            &mut d,
            &json!({"data": {"$patch": "replace", "A": "9"}, "spec": {"containers": [{"name": "a", "resources": {"limits": {"cpu": "2"}}}]}}),
        );
        assert_eq!(
            d,
            json!({"data": {"A": "9"}, "spec": {"containers": [{"name": "a", "image": "x", "resources": {"limits": {"cpu": "2"}}}]}})
        );
    }

    /// The typed walk of [`network::cidr_pointers`] finds what the JSON walk finds, for every
    /// service of every environment of every fixture, with the environment's own range and with
    /// ranges that also match other peers (`0.0.0.0/0` of HTTPS out) or none.
    #[test]
    fn typed_cidr_pointers_equal_the_json_walk() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let mut specs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "hcl"))
            .collect();
        specs.push(dir.join("bench/webstack.hcl"));
        let mut checked = 0;
        for spec in specs {
            let model = tierform_model::Model::load(&spec).unwrap();
            for id in model.environments() {
                let env = model.resolve(&id).unwrap();
                let app = &env.app;
                for (name, s) in &app.services {
                    let policy = network::service_policy(app, name, s);
                    let value = serde_json::to_value(&policy).unwrap();
                    for cidr in [app.network.cidr.as_str(), "0.0.0.0/0", "192.0.2.0/24"] {
                        assert_eq!(
                            network::cidr_pointers(&policy, cidr),
                            pointers_to_cidr(&value, cidr),
                            "{} {} {name} {cidr}",
                            spec.display(),
                            env.name
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }

    /// Several rules and peers each way, ranges in both directions, and rules without peers.
    #[test]
    fn typed_cidr_pointers_on_a_crowded_policy() {
        use k8s_openapi::api::networking::v1::{
            IPBlock, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
        };
        let block = |cidr: &str| NetworkPolicyPeer {
            ip_block: Some(IPBlock {
                cidr: cidr.to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let peers = || {
            Some(vec![
                block("10.0.0.0/16"),
                NetworkPolicyPeer::default(),
                block("10.1.0.0/16"),
                block("10.0.0.0/16"),
            ])
        };
        let ingress = vec![
            NetworkPolicyIngressRule {
                from: None,
                ports: None,
            },
            NetworkPolicyIngressRule {
                from: peers(),
                ports: None,
            },
        ];
        let egress = vec![
            NetworkPolicyEgressRule {
                to: peers(),
                ports: None,
            },
            NetworkPolicyEgressRule {
                to: Some(Vec::new()),
                ports: None,
            },
            network::https_out(),
            NetworkPolicyEgressRule {
                to: peers(),
                ports: None,
            },
        ];
        for (ingress, egress) in [
            (ingress.clone(), egress.clone()),
            (Vec::new(), egress),
            (ingress, Vec::new()),
        ] {
            let policy = network::policy("a", "b", "c", ingress, egress);
            let value = serde_json::to_value(&policy).unwrap();
            for cidr in ["10.0.0.0/16", "10.1.0.0/16", "0.0.0.0/0", "x"] {
                assert_eq!(
                    network::cidr_pointers(&policy, cidr),
                    pointers_to_cidr(&value, cidr)
                );
            }
        }
    }

    /// Operations serialise to the text the `json!` values they replaced did.
    #[test]
    fn operations_serialise_as_their_json_values() {
        let tricky = [
            "/spec/rules/0/host",
            "a\"b\\c\u{1}\n\t\u{7f}é\u{2028}<>&'",
            "",
            "~0~1/",
        ];
        for path in tricky {
            for value in tricky {
                let (v, p) = (Value::from(value), Value::from(path));
                let ops = [
                    Operation {
                        op: "replace",
                        path,
                        value: &v,
                    },
                    Operation {
                        op: "replace",
                        path: value,
                        value: &p,
                    },
                ];
                let values: Vec<Value> = ops
                    .iter()
                    .map(|o| json!({"op": o.op, "path": o.path, "value": o.value}))
                    .collect();
                assert_eq!(
                    serde_json::to_string(&ops).unwrap(),
                    serde_json::to_string(&values).unwrap()
                );
            }
        }
    }

    #[test]
    fn cidr_pointers_find_ip_blocks_only() {
        let v = json!({"spec": {"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/16"}}]}], "x": {"cidr": "10.0.0.0/16"}}});
        assert_eq!(
            pointers_to_cidr(&v, "10.0.0.0/16"),
            ["/spec/ingress/0/from/0/ipBlock/cidr"]
        );
    }
}
