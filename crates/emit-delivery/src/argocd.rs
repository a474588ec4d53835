//! Argo CD: `argocd/<app>.yaml`, an `ApplicationSet` with one Application per cloud
//! environment (its overlay, its own EKS cluster and namespace, the branch feeding its tier),
//! rolled out progressively in promotion order (`RollingSync`, one step per tier; tiers
//! deployed after an approval or by hand are a step with `maxUpdate: 0`: Argo CD leaves them
//! for someone to sync). Each ephemeral tier gets `argocd/<app>-<tier>-previews.yaml`: a pull
//! request generator deploying `<tier>-<number>` from the pull request's head.

use serde_json::{json, Value};
use tierform_model::{github_repo, DeployMode, FileSet};

use crate::{yaml, Plan};

/// The namespace Argo CD runs in, where ApplicationSets live.
const ARGOCD_NAMESPACE: &str = "argocd";
/// The label carrying an Application's tier, which the rollout steps select on.
const TIER_LABEL: &str = "tierform.dev/tier";

pub(crate) fn files(plan: &Plan, files: &mut FileSet) {
    let repo = plan.delivery.repository.clone().unwrap_or_default();
    files.insert(
        format!("argocd/{}.yaml", plan.app),
        yaml::file(
            &[
                "Progressive syncs must be enabled in the ApplicationSet controller (--enable-progressive-syncs).",
                "Each destination is the environment's EKS cluster, registered in Argo CD under its name.",
            ],
            &environments(plan, &repo),
        ),
    );
    for stage in plan.stages.iter().filter(|s| s.tier.ephemeral) {
        let tier = stage.tier.tier.as_str();
        if stage.copy_members.is_empty() {
            files.insert(
                format!("argocd/{}-{tier}-previews.yaml", plan.app),
                yaml::file(
                    &["A pull request labelled with the tier's name that commits `tierform build --env <tier>-<number>` gets its environment."],
                    &previews(plan, &repo, tier, None),
                ),
            );
            continue;
        }
        // A copy names the tenant or instance it copies: one generator per member, for pull
        // requests labelled with both the tier's and the member's name.
        for member in &stage.copy_members {
            files.insert(
                format!("argocd/{}-{tier}-{member}-previews.yaml", plan.app),
                yaml::file(
                    &["A pull request labelled with the tier's and the tenant's (or instance's) names that commits `tierform build --env <tier>-<tenant>-<number>` gets its environment."],
                    &previews(plan, &repo, tier, Some(member)),
                ),
            );
        }
    }
}

fn environments(plan: &Plan, repo: &str) -> Value {
    let mut elements = Vec::new();
    let mut steps = Vec::new();
    for stage in plan
        .stages
        .iter()
        .filter(|s| !s.tier.ephemeral && !s.targets.is_empty())
    {
        let revision = stage.tier.branch.clone().unwrap_or_else(|| "HEAD".into());
        for t in &stage.targets {
            let name = t.kubernetes.clone().unwrap_or_default();
            elements.push(json!({
                "environment": t.name,
                "tier": t.tier,
                "path": plan.layout.k8s_dir(&t.name),
                "revision": revision,
                "cluster": name,
                "namespace": name,
            }));
        }
        let mut step = json!({"matchExpressions": [{"key": TIER_LABEL, "operator": "In", "values": [stage.tier.tier]}]});
        if stage.tier.deploy != DeployMode::Automatic {
            step["maxUpdate"] = json!(0);
        }
        steps.push(step);
    }
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": plan.app, "namespace": ARGOCD_NAMESPACE},
        "spec": {
            "goTemplate": true,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"list": {"elements": elements}}],
            "strategy": {"type": "RollingSync", "rollingSync": {"steps": steps}},
            "template": {
                "metadata": {
                    "name": format!("{}-{{{{.environment}}}}", plan.app),
                    "labels": {TIER_LABEL: "{{.tier}}", "tierform.dev/environment": "{{.environment}}"},
                },
                "spec": {
                    "project": "default",
                    "source": {"repoURL": repo, "targetRevision": "{{.revision}}", "path": "{{.path}}"},
                    "destination": {"name": "{{.cluster}}", "namespace": "{{.namespace}}"},
                    "syncPolicy": {"syncOptions": ["ServerSideApply=true"]},
                },
            },
        },
    })
}

fn previews(plan: &Plan, repo: &str, tier: &str, member: Option<&str>) -> Value {
    let (owner, name) = github_repo(repo).unwrap_or_default();
    let (env, labels, set) = match member {
        Some(m) => (
            format!("{tier}-{m}-{{{{.number}}}}"),
            vec![tier, m],
            format!("{}-{tier}-{m}-previews", plan.app),
        ),
        None => (
            format!("{tier}-{{{{.number}}}}"),
            vec![tier],
            format!("{}-{tier}-previews", plan.app),
        ),
    };
    let prefix = format!("{}-{env}", plan.app);
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": set, "namespace": ARGOCD_NAMESPACE},
        "spec": {
            "goTemplate": true,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"pullRequest": {
                "github": {"owner": owner, "repo": name, "labels": labels},
                "requeueAfterSeconds": 300,
            }}],
            "template": {
                "metadata": {
                    "name": prefix,
                    "labels": {TIER_LABEL: tier, "tierform.dev/environment": env},
                },
                "spec": {
                    "project": "default",
                    "source": {"repoURL": repo, "targetRevision": "{{.head_sha}}", "path": plan.layout.k8s_dir(&env)},
                    "destination": {"name": prefix, "namespace": prefix},
                    "syncPolicy": {
                        "automated": {"prune": true, "selfHeal": true},
                        "syncOptions": ["ServerSideApply=true"],
                    },
                },
            },
        },
    })
}
