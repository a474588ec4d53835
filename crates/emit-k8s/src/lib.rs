//! # tierform-emit-k8s
//!
//! Kubernetes manifests for environments whose platform is EKS, in two layouts:
//!
//! - **kustomize**: one [`base`] rendered from the reference environment (the root of the mirror
//!   chain, usually production) and one [`overlay`] per environment. An overlay is built from the
//!   environment's *knob values only* (namespace, identity labels and names, image tags and
//!   digests, replicas, resources, network ranges, ConfigMap values) plus the objects knobs
//!   switch on (autoscaler, disruption budget) and the data refresh job. It has no way to say
//!   anything structural, so a structural difference between overlays cannot be emitted.
//! - **flat**: [`flat`] renders every object of one environment, fully resolved. It is what
//!   `kubectl kustomize overlays/<env>` prints for a mirroring environment, object for object.
//!
//! The pipeline, each step a pure function:
//!
//! ```text
//! Environment --render--> typed k8s-openapi objects --to JSON--> Object { component, file, value }
//!   --> base files | overlay files (knobs) | flat files (identity stamped) | EmittedObject (parity)
//! ```
//!
//! Rendering can also keep only each object's kind and name ([`presence`]: which objects an
//! environment has, for parity's questions about objects on one side only) without serialising
//! anything.
//!
//! What is deliberately *not* emitted: Secret objects (External Secrets or the platform's
//! operator creates `<workload>-secrets` from Secrets Manager; values never pass through
//! tierform) and the ConfigMap [`ENDPOINTS`] of database hosts and cache URLs, which only the
//! infrastructure knows once Terraform has run.
//!
//! The objects are k8s-openapi types, and k8s-openapi needs exactly one Kubernetes API version
//! feature in a build. Like every library on k8s-openapi this crate enables none: the binary
//! does, with `k8s-openapi = { version = "0.29", features = ["v1_33"] }` (any version the crate
//! offers works; only fields stable since 1.30 are used).
#![warn(missing_docs)]

mod meta;
mod network;
mod overlay;
mod refresh;
mod scaling;
mod security;
mod workload;
mod yaml;

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;
use tierform_model::parity::EmittedObject;
use tierform_model::{Diagnostic, Diagnostics, Environment, FieldPath, FileSet, Runtime};

use meta::Identity;
pub use workload::ENDPOINTS;

/// One emitted object with where it belongs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Object {
    /// The component, for parity reports: `namespace`, `service <name>`, `data refresh`.
    pub component: String,
    /// The file (without `.yaml`) it is written to in the base and flat layouts.
    pub file: String,
    /// The object as JSON.
    pub value: Value,
}

impl Object {
    fn new(component: &str, file: &str, object: impl Manifest, content: Content) -> Object {
        let value = match content {
            Content::Whole => {
                serde_json::to_value(object).expect("Kubernetes objects serialise to JSON")
            }
            Content::KindAndName => {
                serde_json::json!({ "kind": object.kind(), "metadata": { "name": object.name() } })
            }
        };
        Object {
            component: component.to_owned(),
            file: file.to_owned(),
            value,
        }
    }
    pub(crate) fn kind(&self) -> &str {
        self.value["kind"].as_str().unwrap_or_default()
    }
    pub(crate) fn name(&self) -> &str {
        self.value["metadata"]["name"].as_str().unwrap_or_default()
    }
}

/// How much of each object rendering writes down: all of it, or its kind and name only (which
/// objects an environment has: parity's presence questions, without serialising any object).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Content {
    Whole,
    KindAndName,
}

/// An object tierform renders: serialisable, with a kind and a name known without
/// serialising it.
pub(crate) trait Manifest: Serialize {
    fn kind(&self) -> &str;
    fn name(&self) -> &str;
}

macro_rules! typed_manifests {
    ($($t:ty),* $(,)?) => {$(
        impl Manifest for $t {
            fn kind(&self) -> &str {
                <$t as k8s_openapi::Resource>::KIND
            }
            fn name(&self) -> &str {
                k8s_openapi::Metadata::metadata(self)
                    .name
                    .as_deref()
                    .unwrap_or_default()
            }
        }
    )*};
}

typed_manifests!(
    k8s_openapi::api::core::v1::Namespace,
    k8s_openapi::api::core::v1::ConfigMap,
    k8s_openapi::api::core::v1::Service,
    k8s_openapi::api::core::v1::ServiceAccount,
    k8s_openapi::api::apps::v1::Deployment,
    k8s_openapi::api::batch::v1::CronJob,
    k8s_openapi::api::networking::v1::NetworkPolicy,
    k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler,
    k8s_openapi::api::policy::v1::PodDisruptionBudget,
);

/// Custom resources (External Secrets, the load balancer controller's bindings) are built as
/// JSON.
impl Manifest for Value {
    fn kind(&self) -> &str {
        self["kind"].as_str().unwrap_or_default()
    }
    fn name(&self) -> &str {
        self["metadata"]["name"].as_str().unwrap_or_default()
    }
}

/// An environment's objects before identity (namespace, identity labels) is applied.
pub(crate) struct Rendered {
    /// The structure every environment of a mirror chain shares: the base's objects.
    pub shared: Vec<Object>,
    /// Objects switched on per environment (autoscaler, disruption budget, data refresh):
    /// resources of the overlay.
    pub switched: Vec<Object>,
}

pub(crate) fn render(env: &Environment, content: Content) -> Rendered {
    let app = &env.app;
    let mut shared = vec![Object::new(
        "namespace",
        "namespace",
        namespace(env),
        content,
    )];
    if app
        .services
        .values()
        .any(|s| !workload::secret_sources(app, &s.databases, &s.secrets).is_empty())
    {
        shared.push(Object::new(
            "namespace",
            "namespace",
            workload::secret_store(app),
            content,
        ));
    }
    // Each service's ServiceAccount is created by the environment's Terraform, with the IRSA
    // annotation of its role (see `workload`).
    for (name, s) in &app.services {
        let component = format!("service {name}");
        let file = name.as_str();
        shared.push(Object::new(
            &component,
            file,
            workload::config_map(app, name, s),
            content,
        ));
        let sources = workload::secret_sources(app, &s.databases, &s.secrets);
        if let Some(x) = workload::external_secret(env, name, workload::COMPONENT, &sources) {
            shared.push(Object::new(&component, file, x, content));
        }
        shared.push(Object::new(
            &component,
            file,
            workload::deployment(env, name, s),
            content,
        ));
        shared.push(Object::new(
            &component,
            file,
            network::service(app, name, s),
            content,
        ));
        shared.push(Object::new(
            &component,
            file,
            network::service_policy(app, name, s),
            content,
        ));
        if let Some(b) = network::target_group_binding(env, name, s) {
            shared.push(Object::new(&component, file, b, content));
        }
    }
    // Raw manifests (the escape hatch), as the spec gives them: structure of the base.
    for (name, m) in &app.manifests {
        shared.push(Object {
            component: format!("manifest {name}"),
            file: format!("manifest-{name}"),
            value: m.object.clone(),
        });
    }
    Rendered {
        shared,
        switched: switched(env, content),
    }
}

/// Raw manifests whose kind and name another object of the environment already has (one of
/// tierform's, or another manifest): kustomize refuses two objects with one identity, so
/// `check` reports it at the manifest first. Empty when the environment runs no Kubernetes.
pub fn raw_conflicts(env: &Environment) -> Vec<Diagnostic> {
    if !env.runs_kubernetes() || env.app.manifests.is_empty() {
        return Vec::new();
    }
    let r = render(env, Content::Whole);
    let all: Vec<&Object> = r.shared.iter().chain(&r.switched).collect();
    let mut out = Vec::new();
    for (i, o) in all.iter().enumerate() {
        let Some(name) = o.component.strip_prefix("manifest ") else {
            continue;
        };
        let taken = all
            .iter()
            .enumerate()
            .any(|(j, x)| j < i && x.kind() == o.kind() && x.name() == o.name());
        if taken {
            out.push(
                Diagnostic::error(
                    "raw-address-taken",
                    FieldPath(vec!["manifest".into(), name.to_owned(), "object".into()]),
                    format!(
                        "the {} `{}` is an object the environment already has",
                        o.kind(),
                        o.name()
                    ),
                )
                .with_help("rename the manifest's object (`metadata.name`)"),
            );
        }
    }
    out
}

/// The objects knobs switch on, alone: overlays need only these, and rendering the shared
/// objects too would double the cost of every overlay.
pub(crate) fn switched(env: &Environment, content: Content) -> Vec<Object> {
    let app = &env.app;
    let mut switched = Vec::new();
    for (name, s) in &app.services {
        let component = format!("service {name}");
        let file = name.as_str();
        if let Some(h) = scaling::autoscaler(app, name, s) {
            switched.push(Object::new(&component, file, h, content));
        }
        if let Some(p) = scaling::disruption_budget(app, name, s) {
            switched.push(Object::new(&component, file, p, content));
        }
    }
    if let Some(r) = &app.data_refresh {
        let (component, file) = ("data refresh", refresh::NAME);
        switched.push(Object::new(
            component,
            file,
            refresh::service_account(app),
            content,
        ));
        let sources = workload::secret_sources(app, std::slice::from_ref(&r.database), &[]);
        if let Some(x) = workload::external_secret(env, refresh::NAME, refresh::NAME, &sources) {
            switched.push(Object::new(component, file, x, content));
        }
        switched.push(Object::new(
            component,
            file,
            refresh::policy(app, r),
            content,
        ));
        switched.push(Object::new(
            component,
            file,
            refresh::cron_job(app, r),
            content,
        ));
    }
    switched
}

/// The environment's Namespace, enforcing the `restricted` Pod Security Standard.
fn namespace(env: &Environment) -> k8s_openapi::api::core::v1::Namespace {
    let mut labels = meta::Labels::from([
        ("app.kubernetes.io/part-of".to_owned(), env.app.app.clone()),
        (
            "app.kubernetes.io/managed-by".to_owned(),
            "tierform".to_owned(),
        ),
    ]);
    for mode in ["enforce", "audit", "warn"] {
        labels.insert(
            format!("pod-security.kubernetes.io/{mode}"),
            "restricted".to_owned(),
        );
    }
    // Public services' pods carry the AWS Load Balancer Controller's readiness gate: a new pod
    // counts as ready, and a rollout goes on, only once its target group finds it healthy.
    if env.app.services.values().any(|s| s.public.is_some()) {
        labels.insert(
            network::READINESS_GATE_LABEL.to_owned(),
            "enabled".to_owned(),
        );
    }
    k8s_openapi::api::core::v1::Namespace {
        metadata: meta::object_meta(&meta::namespace(env), labels, Default::default()),
        ..Default::default()
    }
}

/// Groups objects by file, in first-seen order, as `<file>.yaml`.
pub(crate) fn files_of<'a>(objects: impl IntoIterator<Item = &'a Object>) -> FileSet {
    let mut by_file: IndexMap<&str, Vec<&Value>> = IndexMap::new();
    for o in objects {
        by_file.entry(o.file.as_str()).or_default().push(&o.value);
    }
    let mut files = FileSet::new();
    for (file, values) in by_file {
        files.insert(format!("{file}.yaml"), yaml::file(values));
    }
    files
}

/// The kustomize base, relative to `k8s/base/`: `namespace.yaml`, one `<service>.yaml` per
/// service (ConfigMap, ExternalSecret, Deployment, Service, NetworkPolicy, TargetGroupBinding) and
/// `kustomization.yaml`. Rendered from `reference`, the root of the mirror chain, whose
/// namespace the base keeps so that it is deployable (and scannable) on its own.
///
/// # Errors
/// `unsupported-environment` unless `reference` runs on Kubernetes (a cloud environment on
/// EKS); so do every function of this crate.
pub fn base(reference: &Environment) -> Result<FileSet, Diagnostics> {
    kubernetes(reference)?;
    let rendered = render(reference, Content::Whole);
    let mut files = files_of(&rendered.shared);
    let resources: IndexMap<String, ()> = rendered
        .shared
        .iter()
        .map(|o| (format!("{}.yaml", o.file), ()))
        .collect();
    let resources = resources.into_keys().collect();
    files.insert(
        "kustomization.yaml",
        overlay::base_kustomization(&meta::namespace(reference), resources),
    );
    Ok(files)
}

/// The overlay of one environment, relative to `k8s/overlays/<env.name>/`; it references the
/// base as `../../base`. It carries the environment's knob values only (see the crate docs).
///
/// # Errors
/// `unsupported-environment` unless `env` runs on Kubernetes.
pub fn overlay(env: &Environment) -> Result<FileSet, Diagnostics> {
    kubernetes(env)?;
    Ok(overlay::Overlay::of(env).files())
}

/// Every object of one environment, fully rendered, relative to `k8s/<env.name>/`.
///
/// # Errors
/// `unsupported-environment` unless `env` runs on Kubernetes.
pub fn flat(env: &Environment) -> Result<FileSet, Diagnostics> {
    kubernetes(env)?;
    Ok(files_of(&flat_objects(env, Content::Whole)))
}

fn flat_objects(env: &Environment, content: Content) -> Vec<Object> {
    let rendered = render(env, content);
    let identity = Identity::of(env);
    let mut objects: Vec<Object> = rendered
        .shared
        .into_iter()
        .chain(rendered.switched)
        .collect();
    for o in &mut objects {
        identity.stamp(&mut o.value);
    }
    // Group each file's objects together (an autoscaler belongs beside its Deployment).
    let order: IndexMap<String, ()> = objects.iter().map(|o| (o.file.clone(), ())).collect();
    objects.sort_by_key(|o| order.get_index_of(&o.file));
    objects
}

/// The flat objects of one environment as data for parity: id `k8s:<Kind>/<name>`, component
/// `namespace`, `service <name>` or `data refresh`.
///
/// # Errors
/// `unsupported-environment` unless `env` runs on Kubernetes.
pub fn objects(env: &Environment) -> Result<Vec<EmittedObject>, Diagnostics> {
    emitted(env, Content::Whole)
}

/// The ids and components of [`objects`], data left `null`: which objects an environment has,
/// without serialising them (parity asks only this of one twin).
///
/// # Errors
/// `unsupported-environment` unless `env` runs on Kubernetes.
pub fn presence(env: &Environment) -> Result<Vec<EmittedObject>, Diagnostics> {
    emitted(env, Content::KindAndName)
}

/// The flat objects as parity's data (their ids stamped like the objects'); with
/// `Content::KindAndName` the data is left `null`.
fn emitted(env: &Environment, content: Content) -> Result<Vec<EmittedObject>, Diagnostics> {
    kubernetes(env)?;
    Ok(flat_objects(env, content)
        .into_iter()
        .map(|o| EmittedObject {
            id: format!("k8s:{}/{}", o.kind(), o.name()),
            component: o.component,
            data: match content {
                Content::Whole => o.value,
                Content::KindAndName => Value::Null,
            },
        })
        .collect())
}

/// What `kubectl kustomize overlays/<env>` renders when the base comes from `reference`,
/// computed in memory by applying the overlay's knob values to the base's objects with
/// kustomize's semantics. Equal to the values of [`flat`]`(env)` whenever `env` has the
/// reference's structure, which is what tests and parity use it to prove.
///
/// # Errors
/// `unsupported-environment` unless both run on Kubernetes.
pub fn rendered_overlay(
    reference: &Environment,
    env: &Environment,
) -> Result<Vec<Value>, Diagnostics> {
    kubernetes(reference)?;
    kubernetes(env)?;
    let base: Vec<Value> = render(reference, Content::Whole)
        .shared
        .into_iter()
        .map(|o| o.value)
        .collect();
    Ok(overlay::Overlay::of(env).apply(base))
}

/// The flat objects of `env` as plain values, in file order (for comparisons).
///
/// # Errors
/// `unsupported-environment` unless `env` runs on Kubernetes.
pub fn flat_values(env: &Environment) -> Result<Vec<Value>, Diagnostics> {
    kubernetes(env)?;
    Ok(flat_objects(env, Content::Whole)
        .into_iter()
        .map(|o| o.value)
        .collect())
}

/// Manifests are emitted for environments that run on Kubernetes only.
fn kubernetes(env: &Environment) -> Result<(), Diagnostics> {
    if env.runs_kubernetes() {
        return Ok(());
    }
    let (path, why, help) = match env.runtime {
        Runtime::Local => (
            FieldPath(vec!["tier".into(), env.tier.clone(), "runtime".into()]),
            "is local",
            "a local environment compiles to docker-compose (tierform-emit-compose)",
        ),
        Runtime::Cloud => (
            FieldPath(vec!["platform".into(), env.app.platform.kind().into()]),
            "does not run on EKS",
            "its platform is deployed by Terraform alone (tierform-emit-terraform)",
        ),
    };
    Err(Diagnostic::error(
        "unsupported-environment",
        path,
        format!(
            "environment `{}` {why}: Kubernetes manifests are emitted for EKS environments only",
            env.name
        ),
    )
    .with_help(help)
    .into())
}
