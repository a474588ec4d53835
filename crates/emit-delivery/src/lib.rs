//! # tierform-emit-delivery
//!
//! The delivery of a spec's environments, from the spec's `delivery { … }` block and the
//! promotion chain: GitHub Actions workflows (`.github/workflows/tierform-*.yml`), an
//! `atlantis.yaml`, and Argo CD `ApplicationSet`s (`argocd/*.yaml`), every path relative to the
//! output folder (the repository root). Pure: environments and the promotion chain in, an
//! in-memory [`FileSet`] out.
//!
//! [`plan`] derives everything the files need (each environment's deploy role, smoke-test URLs,
//! cluster and namespace, in rollout order) and refuses, located, what cannot be delivered (a
//! smoke-tested service without a public host or health-check path, Argo CD without
//! Kubernetes). [`emit`] writes the files from the plan.

mod argocd;
mod atlantis;
mod github;
mod yaml;

use tierform_model::{
    did_you_mean, CiSystem, Delivery, DeployMode, Diagnostic, Diagnostics, Environment, FieldPath,
    FileSet, Model, TierPlan,
};

/// How the build lays its files out: the workflows repeat the build's flags, and Atlantis and
/// Argo CD point at the folders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Layout {
    /// `--k8s-layout flat`: `k8s/<env>/` instead of `k8s/overlays/<env>/`.
    pub k8s_flat: bool,
    /// `--tf-layout module`: root modules call `terraform/modules/<structure>/`.
    pub tf_module: bool,
}

impl Layout {
    /// The build flags that reproduce this layout, after `--delivery`.
    fn flags(self) -> String {
        let mut f = String::new();
        if self.k8s_flat {
            f.push_str(" --k8s-layout flat");
        }
        if self.tf_module {
            f.push_str(" --tf-layout module");
        }
        f
    }
    /// The folder of an environment's Kubernetes manifests.
    pub fn k8s_dir(self, env: &str) -> String {
        if self.k8s_flat {
            format!("k8s/{env}")
        } else {
            format!("k8s/overlays/{env}")
        }
    }
}

/// One environment as its delivery sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Target {
    /// The environment.
    pub name: String,
    /// Its tier.
    pub tier: String,
    /// Its region.
    pub region: String,
    /// The role that applies it (`<app>-<env>-deploy`), if an account is declared.
    pub deploy_role: Option<String>,
    /// The read-only role that plans it on pull requests (`<app>-<env>-plan`).
    pub plan_role: Option<String>,
    /// The URLs the smoke tests call after an apply: each smoke-tested service's public host
    /// and health-check path.
    pub smoke_urls: Vec<String>,
    /// Its EKS cluster and Kubernetes namespace (both `<app>-<env>`), when it runs on EKS.
    pub kubernetes: Option<String>,
}

/// One tier's delivery with its environments.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stage {
    /// How the tier deploys, every default applied.
    pub tier: TierPlan,
    /// Its declared environments, in the spec's order.
    pub targets: Vec<Target>,
    /// For an ephemeral tier whose mirrored tier fans out: the tenants or instances a copy
    /// names (`bugfix-<tenant>-<id>`); empty when a copy is of the whole mirrored environment.
    pub copy_members: Vec<String>,
}

/// Everything the delivery files are written from.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Plan {
    /// The application's name.
    pub app: String,
    /// The `delivery` block.
    pub delivery: Delivery,
    /// Cloud tiers in rollout order (ephemeral ones included, with no targets).
    pub stages: Vec<Stage>,
    /// For the parity summary: one `(mirroring, mirrored)` environment pair per tier relation.
    pub parity_pairs: Vec<(String, String)>,
    /// The build's layouts.
    pub layout: Layout,
    /// The tierform version the workflows install (the one that generated them).
    pub version: String,
}

impl Plan {
    /// Every declared cloud environment, in rollout order.
    pub fn targets(&self) -> impl Iterator<Item = &Target> {
        self.stages.iter().flat_map(|s| &s.targets)
    }
    /// Whether the environments run on Kubernetes (EKS).
    fn kubernetes(&self) -> bool {
        self.targets().any(|t| t.kubernetes.is_some())
    }
}

/// The deploy role of an environment: `arn:aws:iam::<account>:role/<app>-<env>-<what>`.
pub fn role(account: &str, prefix: &str, what: &str) -> String {
    format!("arn:aws:iam::{account}:role/{prefix}-{what}")
}

/// Derives the delivery of `envs` (every declared environment of `model`, resolved) and checks
/// what needs resolved environments. `None` when the spec has no `delivery` block.
///
/// # Errors
/// A smoke-tested service that is unknown, not public or without a health-check path, or
/// Argo CD on a platform without Kubernetes: located in the `delivery` block.
pub fn plan(
    model: &Model,
    envs: &[Environment],
    layout: Layout,
    version: &str,
) -> Result<Option<Plan>, Diagnostics> {
    let Some(delivery) = model.delivery() else {
        return Ok(None);
    };
    let mut errors = Vec::new();
    let locate = |path: &[&str]| model.delivery_span(path);
    let at = |path: &[&str]| {
        FieldPath(
            std::iter::once("delivery".to_owned())
                .chain(path.iter().map(|s| (*s).to_owned()))
                .collect(),
        )
    };
    let cloud: Vec<&Environment> = envs
        .iter()
        .filter(|e| !e.ephemeral && e.runtime == tierform_model::Runtime::Cloud)
        .collect();
    if delivery.uses(CiSystem::Argocd) && !cloud.iter().any(|e| e.runs_kubernetes()) {
        let platform = cloud
            .first()
            .map_or("this platform", |e| e.app.platform.display());
        errors.push(
            Diagnostic::error("argocd-without-kubernetes", at(&["ci"]), format!("Argo CD syncs Kubernetes manifests, and {platform} runs none"))
                .with_span(locate(&["ci"]))
                .with_help("remove `argocd` from `ci`: on ECS Fargate and App Runner, the Terraform apply deploys the services"),
        );
    }
    let mut stages = Vec::new();
    for tier in model.delivery_plan() {
        let mut targets = Vec::new();
        for env in cloud.iter().filter(|e| e.tier == tier.tier) {
            let smoke_urls = smoke_urls(env, &tier, &mut |path, msg, help| {
                let full: Vec<&str> = ["tier", tier.tier.as_str(), "smoke_tests"]
                    .into_iter()
                    .chain(path.iter().copied())
                    .collect();
                let span =
                    locate(&full).or_else(|| locate(&["tier", tier.tier.as_str(), "smoke_tests"]));
                let mut d = Diagnostic::error("smoke-test", at(&full), msg)
                    .with_span(span)
                    .with_help(help);
                d.environments.push(env.name.clone());
                errors.push(d);
            });
            let prefix = env.prefix();
            targets.push(Target {
                name: env.name.clone(),
                tier: env.tier.clone(),
                region: env.app.region.clone(),
                deploy_role: tier
                    .aws_account_id
                    .as_deref()
                    .map(|a| role(a, &prefix, "deploy")),
                plan_role: tier
                    .aws_account_id
                    .as_deref()
                    .map(|a| role(a, &prefix, "plan")),
                smoke_urls,
                kubernetes: env.runs_kubernetes().then_some(prefix),
            });
        }
        let copy_members = model
            .tier(&tier.tier)
            .filter(|t| t.ephemeral)
            .map(|t| model.copy_members(t))
            .unwrap_or_default();
        stages.push(Stage {
            tier,
            targets,
            copy_members,
        });
    }
    if !errors.is_empty() {
        let mut ds = Diagnostics(
            errors
                .into_iter()
                .map(|d| model.source().locate(d))
                .collect(),
        );
        ds.normalize();
        return Err(ds);
    }
    let mut parity_pairs: Vec<(String, String)> = Vec::new();
    let mut seen: Vec<(String, String)> = Vec::new();
    for (a, b) in model.mirror_pairs() {
        let ta = model.tiers()[a.tier_index()].name.clone();
        let tb = model.tiers()[b.tier_index()].name.clone();
        if ta != tb && !seen.contains(&(ta.clone(), tb.clone())) {
            seen.push((ta, tb));
            parity_pairs.push((b.name.clone(), a.name.clone()));
        }
    }
    Ok(Some(Plan {
        app: model
            .tiers()
            .first()
            .and_then(|_| envs.first())
            .map(|e| e.app.app.clone())
            .unwrap_or_default(),
        delivery: delivery.clone(),
        stages,
        parity_pairs,
        layout,
        version: version.to_owned(),
    }))
}

/// The URLs a tier's smoke tests call in one environment, reporting what cannot be called.
fn smoke_urls(
    env: &Environment,
    tier: &TierPlan,
    refuse: &mut dyn FnMut(&[&str], String, String),
) -> Vec<String> {
    // `Ok(None)`: the service has nothing to call (not public, or a command health check).
    let url = |name: &str| -> Result<Option<String>, String> {
        let s = &env.app.services[name];
        let (Some(p), Some(path)) = (&s.public, &s.health_check.path) else {
            return Ok(None);
        };
        let url = format!("https://{}{}", p.host, path);
        // The URL is written into a workflow, where `${{ … }}` would be evaluated (and could
        // send a secret to the service) and a shell would glob `*`: plain URL characters only.
        if url
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._~/:?&=%+-".contains(c))
        {
            Ok(Some(url))
        } else {
            Err(format!("the smoke test URL of service `{name}` (`{url}`) has characters a workflow would interpret"))
        }
    };
    let not_callable = |name: &str| {
        let s = &env.app.services[name];
        if s.public.is_none() && s.internal.is_some() {
            format!("service `{name}` is internal: the CI runner, outside its VPC, cannot call its health check")
        } else if s.public.is_none() {
            format!("service `{name}` is not public: nothing outside can call its health check")
        } else {
            format!("service `{name}` has no health-check path (its check is a command)")
        }
    };
    match &tier.smoke_tests {
        None => {
            let mut out = Vec::new();
            for n in env.app.services.keys() {
                match url(n) {
                    Ok(Some(u)) => out.push(u),
                    Ok(None) => {}
                    Err(msg) => refuse(&[], msg, "use letters, digits and `._~/:?&=%+-` in the health-check path, or list the services to smoke-test in `smoke_tests`".into()),
                }
            }
            out
        }
        Some(names) => {
            let mut out = Vec::new();
            for (i, n) in names.iter().enumerate() {
                let index = i.to_string();
                if !env.app.services.contains_key(n) {
                    let help = match did_you_mean(n, env.app.services.keys().map(String::as_str)) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!(
                            "declared services: {}",
                            env.app
                                .services
                                .keys()
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    refuse(
                        &[index.as_str()],
                        format!("smoke tests name unknown service `{n}`"),
                        help,
                    );
                    continue;
                }
                match url(n) {
                    Ok(Some(u)) => out.push(u),
                    Ok(None) => refuse(&[index.as_str()], not_callable(n), "smoke tests call a public service's health-check path over HTTPS; remove it from `smoke_tests`".into()),
                    Err(msg) => refuse(&[index.as_str()], msg, "use letters, digits and `._~/:?&=%+-` in the health-check path".into()),
                }
            }
            out
        }
    }
}

/// The delivery files of a plan, relative to the output folder (the repository root).
pub fn emit(plan: &Plan) -> FileSet {
    let mut files = FileSet::new();
    let d = &plan.delivery;
    if d.uses(CiSystem::GithubActions) {
        github::files(plan, &mut files);
    }
    if d.uses(CiSystem::Atlantis) {
        files.insert("atlantis.yaml", atlantis::file(plan));
    }
    if d.uses(CiSystem::Argocd) {
        argocd::files(plan, &mut files);
    }
    files
}

/// Whether the tier goes out on pushes to a branch.
fn from_branch(t: &TierPlan) -> Option<&str> {
    match t.deploy {
        DeployMode::Automatic | DeployMode::Approval => t.branch.as_deref(),
        DeployMode::Manual => None,
    }
}
