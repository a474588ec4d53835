//! Services as workloads: ServiceAccount, ConfigMap, Deployment, with their probes, resources
//! and environment wiring.
//!
//! Environment variables reach a container four ways, each for one kind of value:
//! - knob values (log level, feature flags, external-service modes, the service's `env`) from
//!   the ConfigMap `<service>-config` through `envFrom`, so overlays change them in one place;
//! - structural wiring known from the model (database port, name and user) as literal `value`s;
//! - endpoints only the infrastructure knows (database hosts, cache URLs, names and users)
//!   through `configMapKeyRef` to the ConfigMap [`ENDPOINTS`], which the environment's Terraform
//!   creates with the kubernetes provider (it knows the values);
//! - secrets through `secretKeyRef` to the Secret `<service>-secrets`, created in the cluster by
//!   the External Secrets Operator from the `ExternalSecret` emitted beside the Deployment
//!   (through the namespace's `SecretStore`). tierform never emits a Secret object: no secret
//!   value can reach its output.
//!
//! Each service's ServiceAccount carries its IRSA role, whose ARN only Terraform knows: the
//! environment's Terraform creates it (and the namespace, and the `SecretStore`'s account).

use std::collections::BTreeMap;

use indexmap::IndexMap;
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapEnvSource, ConfigMapKeySelector, Container, ContainerPort, EnvFromSource,
    EnvVar, EnvVarSource, ExecAction, HTTPGetAction, PodTemplateSpec, Probe, ResourceRequirements,
    SecretKeySelector, ServiceAccount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use tierform_model::env_var_name;
use tierform_model::wiring;
use tierform_model::{App, Environment, HealthCheck, Service};

use crate::meta;
use crate::security;

/// The ConfigMap of infrastructure endpoints (`<NAME>_DB_HOST`, `<NAME>_CACHE_URL`,
/// `<NAME>_CACHE_NAME`, `<service>.<NAME>_CACHE_USER`), created by the environment's Terraform
/// (kubernetes provider), which knows the values.
pub const ENDPOINTS: &str = "infra-endpoints";
/// The name of the container port, used by probes, the Service and the TargetGroupBinding.
pub(crate) const PORT_NAME: &str = "http";
/// The component label of service workloads.
pub(crate) const COMPONENT: &str = "service";

/// The ConfigMap holding a service's knob-valued configuration.
pub(crate) fn config_name(service: &str) -> String {
    format!("{service}-config")
}

/// The Secret a service's secrets come from (created outside tierform).
pub(crate) fn secret_name(workload: &str) -> String {
    format!("{workload}-secrets")
}

/// A service's own ServiceAccount, without an API token: no workload tierform emits talks to
/// the Kubernetes API.
pub(crate) fn service_account(app: &str, name: &str, component: &str) -> ServiceAccount {
    ServiceAccount {
        metadata: meta::object_meta(
            name,
            meta::structural(app, name, component),
            BTreeMap::new(),
        ),
        automount_service_account_token: Some(false),
        ..Default::default()
    }
}

/// The knob-valued configuration of a service (see [`App::service_config`]).
pub(crate) fn config_data(app: &App, service: &Service) -> IndexMap<String, String> {
    app.service_config(service)
}

/// The ConfigMap `<service>-config`.
pub(crate) fn config_map(app: &App, name: &str, service: &Service) -> ConfigMap {
    ConfigMap {
        metadata: meta::object_meta(
            &config_name(name),
            meta::structural(&app.app, name, COMPONENT),
            BTreeMap::new(),
        ),
        data: Some(config_data(app, service).into_iter().collect()),
        ..Default::default()
    }
}

/// The wiring of one database as environment variables (`<NAME>_DB_*`): the application
/// user (never the master user), with IAM authentication (`<NAME>_DB_AUTH = iam`: the
/// service signs a token with its IRSA role) or, when IAM authentication is off, the user's
/// password from the workload's Secret.
pub(crate) fn database_env(app: &App, db_ref: &str, secret: &str) -> Vec<EnvVar> {
    let pre = env_var_name(db_ref);
    let Some(db) = app.databases.get(db_ref) else {
        return Vec::new();
    };
    let mut env = vec![
        from_endpoints(&format!("{pre}_DB_HOST")),
        literal(&format!("{pre}_DB_PORT"), &db.engine.port().to_string()),
        literal(&format!("{pre}_DB_NAME"), &db.name_on_instance(&app.app)),
        literal(&format!("{pre}_DB_USER"), &db.app_user(&app.app)),
    ];
    if db.iam_auth {
        env.push(literal(&format!("{pre}_DB_AUTH"), "iam"));
    } else {
        env.push(from_secret(&format!("{pre}_DB_PASSWORD"), secret));
    }
    env
}

/// The URL and connection-string forms of a database a service names in `env_names`, around
/// the host variable defined before them (`$(VAR)`: Kubernetes expands a variable the
/// container defines earlier). No password: it stays a `secretKeyRef`.
fn database_forms(app: &App, service: &Service, db_ref: &str) -> Vec<EnvVar> {
    let Some(db) = app.databases.get(db_ref) else {
        return Vec::new();
    };
    let pre = env_var_name(db_ref);
    let host = service.env_name(&format!("{pre}_DB_HOST"));
    [wiring::DB_URL, wiring::DB_CONNECTION_STRING]
        .into_iter()
        .filter(|form| service.wants_db_form(db_ref, form))
        .map(|form| {
            let (before, after) = wiring::db_form(
                db,
                form,
                &db.app_user(&app.app),
                &db.name_on_instance(&app.app),
            );
            literal(
                &format!("{pre}_DB_{form}"),
                &format!("{before}$({host}){after}"),
            )
        })
        .collect()
}

/// The key of a service's own cache user in [`ENDPOINTS`]: `<service>.<NAME>_CACHE_USER`
/// (users are per service; the ConfigMap is the namespace's).
pub fn cache_user_key(service: &str, cache: &str) -> String {
    format!("{service}.{}_CACHE_USER", env_var_name(cache))
}

/// Every explicitly wired variable of a service, in a stable order: databases, caches, secrets.
pub(crate) fn wired_env(app: &App, name: &str, service: &Service) -> Vec<EnvVar> {
    let secret = secret_name(name);
    let mut env = Vec::new();
    for db in &service.databases {
        env.extend(database_env(app, db, &secret));
    }
    for cache in &service.caches {
        let pre = env_var_name(cache);
        env.push(from_endpoints(&format!("{pre}_CACHE_URL")));
        env.push(from_endpoints(&format!("{pre}_CACHE_NAME")));
        env.push(from_endpoints_key(
            &format!("{pre}_CACHE_USER"),
            &cache_user_key(name, cache),
        ));
        env.push(literal(&format!("{pre}_CACHE_AUTH"), "iam"));
    }
    for s in &service.secrets {
        env.push(from_secret(&env_var_name(s), &secret));
    }
    // The application's own names (`env_names`): the container's variable is renamed, the
    // ConfigMap and Secret keys it reads stay tierform's.
    for e in &mut env {
        e.name = service.env_name(&e.name);
    }
    for db in &service.databases {
        for mut form in database_forms(app, service, db) {
            form.name = service.env_name(&form.name);
            env.push(form);
        }
    }
    // Buckets, queues and topics: names, URLs and ARNs the environment's Terraform knows, under
    // the application's names for them.
    let storage =
        tierform_model::storage_variables(app, &service.buckets, &service.queues, &service.topics);
    env.extend(
        storage
            .iter()
            .map(|(_, _, var)| from_endpoints_key(&service.env_name(var), var)),
    );
    // The services it calls, at their Kubernetes Service in the same namespace.
    for (var, url) in tierform_model::wiring::service_urls(app, service) {
        env.push(literal(&service.env_name(&var), &url));
    }
    env
}

/// The Secrets Manager secret behind each key of a workload's Secret, by key: its spec
/// secrets, and the application-user password of each database without IAM authentication.
pub(crate) fn secret_sources(
    app: &App,
    databases: &[String],
    secrets: &[String],
) -> Vec<(String, String)> {
    let dbs = databases
        .iter()
        .filter(|d| app.databases.get(*d).is_some_and(|db| !db.iam_auth))
        .map(|d| {
            (
                format!("{}_DB_PASSWORD", env_var_name(d)),
                tierform_model::db_app_secret(d),
            )
        });
    let own = secrets.iter().map(|s| (env_var_name(s), s.clone()));
    dbs.chain(own).collect()
}

/// The name of the namespace's External Secrets `SecretStore` (AWS Secrets Manager).
pub(crate) const SECRET_STORE: &str = "secrets-manager";
/// The ServiceAccount the `SecretStore` authenticates as (IRSA; created by Terraform).
pub const SECRET_STORE_ACCOUNT: &str = "external-secrets";

/// The namespace's `SecretStore`: AWS Secrets Manager in the app's region, authenticated as
/// [`SECRET_STORE_ACCOUNT`], whose IRSA role may read exactly this environment's secrets.
pub(crate) fn secret_store(app: &App) -> serde_json::Value {
    let meta = meta::object_meta(
        SECRET_STORE,
        meta::structural(&app.app, SECRET_STORE, "secrets"),
        BTreeMap::new(),
    );
    serde_json::json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "SecretStore",
        "metadata": meta,
        "spec": {"provider": {"aws": {
            "service": "SecretsManager",
            "region": app.region,
            "auth": {"jwt": {"serviceAccountRef": {"name": SECRET_STORE_ACCOUNT}}}
        }}}
    })
}

/// The `ExternalSecret` that creates `<workload>-secrets` from Secrets Manager
/// (`<app>/<env>/<secret>`), refreshed hourly; `None` when the workload reads no secret.
pub(crate) fn external_secret(
    env: &Environment,
    workload: &str,
    component: &str,
    sources: &[(String, String)],
) -> Option<serde_json::Value> {
    if sources.is_empty() {
        return None;
    }
    let app = &env.app;
    let meta = meta::object_meta(
        &secret_name(workload),
        meta::structural(&app.app, workload, component),
        BTreeMap::new(),
    );
    let data: Vec<serde_json::Value> = sources
        .iter()
        .map(|(key, secret)| {
            serde_json::json!({
                "secretKey": key,
                "remoteRef": {"key": remote_key(env, secret)}
            })
        })
        .collect();
    Some(serde_json::json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": meta,
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": "SecretStore", "name": SECRET_STORE},
            "target": {"name": secret_name(workload), "creationPolicy": "Owner"},
            "data": data
        }
    }))
}

/// The Secrets Manager name of a secret of `env`: `<app>/<env>/<secret>`.
pub(crate) fn remote_key(env: &Environment, secret: &str) -> String {
    format!("{}/{}/{secret}", env.app.app, env.name)
}

pub(crate) fn literal(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: Some(value.to_owned()),
        ..Default::default()
    }
}

fn from_endpoints(var: &str) -> EnvVar {
    EnvVar {
        name: var.to_owned(),
        value_from: Some(EnvVarSource {
            config_map_key_ref: Some(ConfigMapKeySelector {
                name: ENDPOINTS.to_owned(),
                key: var.to_owned(),
                optional: Some(false),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn from_endpoints_key(var: &str, key: &str) -> EnvVar {
    let mut e = from_endpoints(key);
    e.name = var.to_owned();
    e
}

fn from_secret(var: &str, secret: &str) -> EnvVar {
    EnvVar {
        name: var.to_owned(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.to_owned(),
                key: var.to_owned(),
                optional: Some(false),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Requests from `cpu` / `memory`, limits from `cpu_limit` / `memory_limit` (the requests when
/// not given): millicores and MiB, as the spec counts them.
pub(crate) fn resources(
    cpu: u32,
    memory: u32,
    cpu_limit: u32,
    memory_limit: u32,
) -> ResourceRequirements {
    let q = |cpu: u32, mem: u32| {
        BTreeMap::from([
            ("cpu".to_owned(), Quantity(format!("{cpu}m"))),
            ("memory".to_owned(), Quantity(format!("{mem}Mi"))),
        ])
    };
    ResourceRequirements {
        requests: Some(q(cpu, memory)),
        limits: Some(q(cpu_limit, memory_limit)),
        ..Default::default()
    }
}

/// The resources of a service.
pub(crate) fn service_resources(s: &Service) -> ResourceRequirements {
    resources(
        s.cpu,
        s.memory,
        s.cpu_limit.unwrap_or(s.cpu),
        s.memory_limit.unwrap_or(s.memory),
    )
}

/// The replicas a Deployment starts with: the fixed count, or the autoscaler's minimum. The
/// field is always set (not left to the autoscaler) so that the base and every overlay carry
/// the same structure and only the number changes.
pub(crate) fn replicas(s: &Service) -> u32 {
    s.autoscaling.as_ref().map_or(s.replicas, |a| a.min)
}

/// The readiness or liveness probe of a health check: HTTP GET on the named port, or the
/// command. Liveness must use a success threshold of 1 (the API server rejects others).
pub(crate) fn probe(hc: &HealthCheck, readiness: bool) -> Probe {
    let (http_get, exec) = match (&hc.path, &hc.command) {
        (Some(path), _) => (
            Some(HTTPGetAction {
                path: Some(path.clone()),
                port: IntOrString::String(PORT_NAME.to_owned()),
                ..Default::default()
            }),
            None,
        ),
        (None, command) => (
            None,
            Some(ExecAction {
                command: command.clone(),
            }),
        ),
    };
    Probe {
        http_get,
        exec,
        period_seconds: Some(to_i32(hc.interval())),
        timeout_seconds: Some(to_i32(hc.timeout)),
        success_threshold: Some(if readiness {
            to_i32(hc.healthy_threshold)
        } else {
            1
        }),
        failure_threshold: Some(to_i32(hc.unhealthy_threshold)),
        ..Default::default()
    }
}

/// The image reference: `repo:tag`, plus `@digest` when the digest is pinned.
pub(crate) fn image(repo: &str, tag: &str, digest: Option<&str>) -> String {
    match digest {
        Some(d) => format!("{repo}:{tag}@{d}"),
        None => format!("{repo}:{tag}"),
    }
}

/// Values validated to be small, clamped rather than wrapped should one ever be huge.
pub(crate) fn to_i32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// checkov annotations for checks that do not apply to a workload, with the reason. Keyed
/// `checkov.io/skip<N>` as checkov reads them.
pub(crate) fn checkov_skips(skips: &[(&str, &str)]) -> BTreeMap<String, String> {
    skips
        .iter()
        .enumerate()
        .map(|(i, (id, why))| (format!("checkov.io/skip{}", i + 1), format!("{id}={why}")))
        .collect()
}

/// Why secrets are environment variables (checkov CKV_K8S_35 prefers files).
pub(crate) const SECRETS_AS_ENV: (&str, &str) =
    ("CKV_K8S_35", "the service contract is environment variables; values come from a Secret synced by External Secrets");

/// A service's Deployment.
pub(crate) fn deployment(env: &Environment, name: &str, s: &Service) -> Deployment {
    let app = &env.app;
    let mut labels = meta::structural(&app.app, name, COMPONENT);
    labels.insert(meta::VERSION.to_owned(), meta::label_value(&s.tag));
    let wired = wired_env(app, name, s);
    let uses_secrets = wired.iter().any(|e| {
        e.value_from
            .as_ref()
            .is_some_and(|v| v.secret_key_ref.is_some())
    });
    let annotations = if uses_secrets {
        checkov_skips(&[SECRETS_AS_ENV])
    } else {
        BTreeMap::new()
    };
    let container = Container {
        name: name.to_owned(),
        image: Some(image(&s.image, &s.tag, s.digest.as_deref())),
        image_pull_policy: Some("Always".to_owned()),
        args: s.command.clone(),
        ports: Some(vec![ContainerPort {
            name: Some(PORT_NAME.to_owned()),
            container_port: i32::from(s.port),
            protocol: Some("TCP".to_owned()),
            ..Default::default()
        }]),
        env_from: Some(vec![EnvFromSource {
            config_map_ref: Some(ConfigMapEnvSource {
                name: config_name(name),
                optional: Some(false),
            }),
            ..Default::default()
        }]),
        env: (!wired.is_empty()).then_some(wired),
        resources: Some(service_resources(s)),
        readiness_probe: Some(probe(&s.health_check, true)),
        liveness_probe: Some(probe(&s.health_check, false)),
        security_context: Some(security::container()),
        volume_mounts: Some(vec![security::tmp_mount()]),
        ..Default::default()
    };
    Deployment {
        metadata: meta::object_meta(name, labels.clone(), annotations),
        spec: Some(DeploymentSpec {
            replicas: Some(to_i32(replicas(s))),
            selector: meta::selector(name),
            template: PodTemplateSpec {
                metadata: Some(meta::object_meta_labels_only(labels)),
                spec: Some(security::pod_spec(name, container)),
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tierform_model::HealthCheck;

    fn hc(path: Option<&str>, command: Option<Vec<&str>>) -> HealthCheck {
        HealthCheck {
            path: path.map(str::to_owned),
            command: command.map(|c| c.into_iter().map(str::to_owned).collect()),
            interval: Some(30),
            timeout: 5,
            healthy_threshold: 2,
            unhealthy_threshold: 3,
        }
    }

    #[test]
    fn http_probes_use_the_named_port_and_the_thresholds() {
        let r = probe(&hc(Some("/health"), None), true);
        let get = r.http_get.unwrap();
        assert_eq!(get.path.as_deref(), Some("/health"));
        assert_eq!(get.port, IntOrString::String("http".into()));
        assert_eq!(
            (
                r.period_seconds,
                r.timeout_seconds,
                r.success_threshold,
                r.failure_threshold
            ),
            (Some(30), Some(5), Some(2), Some(3))
        );
        assert_eq!(
            probe(&hc(Some("/health"), None), false).success_threshold,
            Some(1),
            "liveness needs 1"
        );
    }

    #[test]
    fn command_probes_exec_the_command() {
        let p = probe(&hc(None, Some(vec!["/bin/check", "--quick"])), true);
        assert!(p.http_get.is_none());
        assert_eq!(p.exec.unwrap().command.unwrap(), ["/bin/check", "--quick"]);
    }

    #[test]
    fn resources_are_millicores_and_mebibytes() {
        let r = resources(250, 512, 1000, 1024);
        assert_eq!(r.requests.unwrap()["cpu"], Quantity("250m".into()));
        assert_eq!(r.limits.unwrap()["memory"], Quantity("1024Mi".into()));
    }

    #[test]
    fn images_pin_the_digest_when_given() {
        assert_eq!(
            image("r/api", "1.2", Some("sha256:ab")),
            "r/api:1.2@sha256:ab"
        );
        assert_eq!(image("r/api", "1.2", None), "r/api:1.2");
    }
}
