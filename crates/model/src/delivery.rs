//! The spec's `delivery { … }` block: how each tier's environments go out (automatically from
//! a branch, after an approval, or by hand), which CI and GitOps systems carry it, the smoke
//! tests after each apply and where a deployment is announced. Like `docs`, it is read apart
//! from every environment: it changes no environment's infrastructure, only the delivery files
//! `tierform build --delivery` writes (`tierform-emit-delivery`).
//!
//! The rules that need the tier graph alone are checked here, when the spec is loaded; those
//! that need resolved environments (a smoke-tested service is public and has a health-check
//! path, Argo CD needs Kubernetes) are checked by the emitter's plan, located through
//! [`Model::delivery_span`].

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::de::from_node;
use crate::diagnostic::{did_you_mean, Diagnostic, FieldPath, Span};
use crate::environment::Runtime;
use crate::node::{Layer, Node};
use crate::resolve::{EnvironmentId, Model, Provenance};

/// The systems that carry a delivery.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CiSystem {
    /// GitHub Actions workflows: checks and plans on pull requests, applies on push.
    GithubActions,
    /// An `atlantis.yaml`: Atlantis plans and applies Terraform from pull requests.
    Atlantis,
    /// An Argo CD `ApplicationSet`: Argo CD syncs every environment's Kubernetes overlay.
    Argocd,
}

impl CiSystem {
    /// The name as the spec writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            CiSystem::GithubActions => "github_actions",
            CiSystem::Atlantis => "atlantis",
            CiSystem::Argocd => "argocd",
        }
    }
}

/// How a tier's environments are deployed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeployMode {
    /// On every push to the tier's branch, after the tiers before it in the promotion chain.
    Automatic,
    /// On every push to the tier's branch, once a reviewer approves (a GitHub environment with
    /// required reviewers; `apply_requirements: [approved]` in Atlantis).
    Approval,
    /// Only when someone starts it (a `workflow_dispatch` choosing the environment).
    #[default]
    Manual,
}

impl DeployMode {
    /// The name as the spec writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            DeployMode::Automatic => "automatic",
            DeployMode::Approval => "approval",
            DeployMode::Manual => "manual",
        }
    }
}

fn default_ci() -> Vec<CiSystem> {
    vec![CiSystem::GithubActions]
}

fn default_spec() -> String {
    "tierform.hcl".into()
}

/// The `delivery { … }` block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    /// The systems whose files `build --delivery` writes (default: `["github_actions"]`).
    /// GitHub Actions and Atlantis both apply Terraform: choose one.
    #[serde(default = "default_ci")]
    pub ci: Vec<CiSystem>,
    /// The spec's path from the repository root, as the workflows run tierform (default
    /// `tierform.hcl`); the output folder is the repository root.
    #[serde(default = "default_spec")]
    pub spec: String,
    /// The git repository as `https://github.com/<owner>/<repo>`: Argo CD's source.
    #[serde(default)]
    pub repository: Option<String>,
    /// The AWS account of the deploy roles (12 digits). Each environment is deployed by the
    /// role `<app>-<env>-deploy` and planned by `<app>-<env>-plan`, assumed with GitHub's OIDC
    /// token: no long-lived key.
    #[serde(default)]
    pub aws_account_id: Option<String>,
    /// The name of the repository secret holding a Slack incoming-webhook URL, to announce
    /// every deployment (never the URL itself).
    #[serde(default)]
    pub slack_webhook_secret: Option<String>,
    /// Per tier: how it deploys.
    #[serde(default)]
    pub tier: IndexMap<String, TierDelivery>,
}

/// How one tier's environments go out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
#[serde(deny_unknown_fields)]
pub struct TierDelivery {
    /// `automatic`, `approval` or `manual` (the default). A production tier is never
    /// `automatic`.
    #[serde(default)]
    pub deploy: Option<DeployMode>,
    /// The git branch whose pushes deploy the tier (required by `automatic` and `approval`).
    #[serde(default)]
    pub branch: Option<String>,
    /// The services whose health check is called after each apply; the default is every public
    /// service with a health-check path. `[]` runs none.
    #[serde(default)]
    pub smoke_tests: Option<Vec<String>>,
    /// The tier's AWS account, when not the delivery's.
    #[serde(default)]
    pub aws_account_id: Option<String>,
    /// The tier's Slack webhook secret name, when not the delivery's.
    #[serde(default)]
    pub slack_webhook_secret: Option<String>,
}

/// The `delivery` block as read: the settings and the node tree they came from (for spans).
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    pub(crate) delivery: Delivery,
    pub(crate) node: Node,
}

/// How one tier deploys, every default applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TierPlan {
    /// The tier.
    pub tier: String,
    /// How it deploys.
    pub deploy: DeployMode,
    /// The branch feeding it (`automatic` and `approval` only).
    pub branch: Option<String>,
    /// The services smoke-tested after an apply; `None`: every public service with a
    /// health-check path.
    pub smoke_tests: Option<Vec<String>>,
    /// The AWS account of its deploy roles.
    pub aws_account_id: Option<String>,
    /// The secret naming its Slack webhook.
    pub slack_webhook_secret: Option<String>,
    /// A production tier.
    pub production: bool,
    /// Its environments are temporary copies.
    pub ephemeral: bool,
    /// Its place in the rollout: tiers further from production first, production last.
    pub order: usize,
}

impl Delivery {
    /// Whether it names this system.
    pub fn uses(&self, ci: CiSystem) -> bool {
        self.ci.contains(&ci)
    }
}

impl Model {
    /// The spec's `delivery { … }` block, if it has one.
    pub fn delivery(&self) -> Option<&Delivery> {
        self.delivery.as_ref().map(|d| &d.delivery)
    }

    /// The span of a path inside the `delivery` block (the closest declared ancestor's).
    pub fn delivery_span(&self, path: &[&str]) -> Option<Span> {
        self.delivery
            .as_ref()
            .and_then(|d| d.node.span_at(path.iter().copied()))
    }

    /// Every cloud tier's delivery, in rollout order (the promotion chain: tiers further from
    /// production first; production tiers last). Local tiers are deployed by nobody.
    pub fn delivery_plan(&self) -> Vec<TierPlan> {
        let Some(d) = self.delivery() else {
            return Vec::new();
        };
        let mut plans: Vec<(usize, TierPlan)> = self
            .tiers()
            .iter()
            .enumerate()
            .filter(|(_, t)| t.runtime == Runtime::Cloud)
            .map(|(i, t)| {
                let own = d.tier.get(&t.name).cloned().unwrap_or_default();
                let plan = TierPlan {
                    tier: t.name.clone(),
                    deploy: own.deploy.unwrap_or_default(),
                    branch: own.branch,
                    smoke_tests: own.smoke_tests,
                    aws_account_id: own.aws_account_id.or_else(|| d.aws_account_id.clone()),
                    slack_webhook_secret: own
                        .slack_webhook_secret
                        .or_else(|| d.slack_webhook_secret.clone()),
                    production: t.production,
                    ephemeral: t.ephemeral,
                    order: 0,
                };
                (i, plan)
            })
            .collect();
        // Distance from the root of the mirror chain: qa -> staging -> production gives 2, 1, 0.
        let depth = |name: &str| {
            let mut n = 0;
            let mut cur = self.tier(name);
            while let Some(m) = cur.and_then(|t| t.mirrors.as_deref()) {
                n += 1;
                cur = self.tier(m);
                if n > self.tiers().len() {
                    break;
                }
            }
            n
        };
        plans.sort_by_key(|(i, p)| (p.production, std::cmp::Reverse(depth(&p.tier)), *i));
        plans
            .into_iter()
            .enumerate()
            .map(|(order, (_, mut p))| {
                p.order = order;
                p
            })
            .collect()
    }

    /// Where a delivery setting of an environment's tier came from (`delivery.deploy`,
    /// `delivery.branch`, `delivery.smoke_tests`, `delivery.aws_account_id`,
    /// `delivery.slack_webhook_secret`).
    pub(crate) fn explain_delivery(
        &self,
        id: &EnvironmentId,
        path: &FieldPath,
    ) -> Result<Provenance, crate::Diagnostics> {
        let tier = &self.tiers()[id.tier_index()];
        let key = path.segments().nth(1).unwrap_or("");
        let unknown = || {
            let keys = [
                "deploy",
                "branch",
                "smoke_tests",
                "aws_account_id",
                "slack_webhook_secret",
            ];
            let mut d = Diagnostic::error(
                "unknown-path",
                path.clone(),
                format!("`{path}` names no delivery setting"),
            );
            d.help = Some(match did_you_mean(key, keys) {
                Some(s) => format!("did you mean `delivery.{s}`?"),
                None => format!(
                    "delivery settings: {}",
                    keys.map(|k| format!("delivery.{k}")).join(", ")
                ),
            });
            crate::Diagnostics::from(d)
        };
        if path.segments().count() != 2 {
            return Err(unknown());
        }
        let plan = self
            .delivery_plan()
            .into_iter()
            .find(|p| p.tier == tier.name);
        let value = match (key, &plan) {
            ("deploy", Some(p)) => serde_json::json!(p.deploy.as_str()),
            ("branch", Some(p)) => serde_json::json!(p.branch),
            ("smoke_tests", Some(p)) => serde_json::json!(p.smoke_tests),
            ("aws_account_id", Some(p)) => serde_json::json!(p.aws_account_id),
            ("slack_webhook_secret", Some(p)) => serde_json::json!(p.slack_webhook_secret),
            (
                "deploy" | "branch" | "smoke_tests" | "aws_account_id" | "slack_webhook_secret",
                None,
            ) => serde_json::Value::Null,
            _ => return Err(unknown()),
        };
        // The tier's own setting, else the delivery's shared one, else the default.
        let own = ["tier", tier.name.as_str(), key];
        let node = self.delivery.as_ref().and_then(|d| {
            d.node
                .lookup(own)
                .map(|n| (n, Layer::Tier(tier.name.as_str().into())))
                .or_else(|| d.node.lookup([key]).map(|n| (n, Layer::Base)))
        });
        Ok(match node {
            Some((n, layer)) => Provenance {
                value,
                layer: Some(layer),
                location: n.span.map(|s| self.source().location(s.start as usize)),
            },
            None => Provenance {
                value,
                layer: None,
                location: None,
            },
        })
    }
}

/// Reads the `delivery` block; decoding errors land on their node.
pub(crate) fn read(node: &Node, errors: &mut Vec<Diagnostic>) -> Option<DeliverySettings> {
    match from_node::<Delivery>(node) {
        Ok(delivery) => Some(DeliverySettings {
            delivery,
            node: node.clone(),
        }),
        Err(e) => {
            let mut d = e.into_diagnostic();
            d.path = FieldPath(vec!["delivery".into()]).join(d.path.to_string());
            errors.push(d);
            None
        }
    }
}

/// The rules that need the tier graph only.
pub(crate) fn check(model: &Model, errors: &mut Vec<Diagnostic>) {
    let Some(settings) = &model.delivery else {
        return;
    };
    let d = &settings.delivery;
    let span = |path: &[&str]| settings.node.span_at(path.iter().copied());
    let at = |path: &[&str]| {
        FieldPath(
            std::iter::once("delivery".to_owned())
                .chain(path.iter().map(|s| (*s).to_owned()))
                .collect(),
        )
    };
    let mut push = |path: &[&str], code: &'static str, msg: String, help: String| {
        errors.push(
            Diagnostic::error(code, at(path), msg)
                .with_span(span(path))
                .with_help(help),
        );
    };
    let mut seen = Vec::new();
    for ci in &d.ci {
        if seen.contains(ci) {
            push(
                &["ci"],
                "duplicate",
                format!("`{}` is listed twice in `ci`", ci.as_str()),
                "list each system once".into(),
            );
        }
        seen.push(*ci);
    }
    if d.uses(CiSystem::GithubActions) && d.uses(CiSystem::Atlantis) {
        push(
            &["ci"],
            "two-appliers",
            "`ci` names both `github_actions` and `atlantis`: both would apply Terraform".into(),
            "choose one to apply Terraform; Argo CD (`argocd`) goes with either".into(),
        );
    }
    if d.uses(CiSystem::Argocd) && d.repository.is_none() {
        push(
            &["ci"],
            "missing-repository",
            "Argo CD needs the git repository it syncs from".into(),
            "add `repository = \"https://github.com/<owner>/<repo>\"`".into(),
        );
    }
    if d.repository.is_some() && !d.uses(CiSystem::Argocd) {
        push(
            &["repository"],
            "unused",
            "`repository` is Argo CD's source, and `ci` does not name `argocd`".into(),
            "add `argocd` to `ci`, or remove `repository`".into(),
        );
    }
    if let Some(r) = &d.repository {
        if github_repo(r).is_none() {
            push(
                &["repository"],
                "invalid-repository",
                format!("`{r}` is not a GitHub repository URL"),
                "write it as `https://github.com/<owner>/<repo>`".into(),
            );
        }
    }
    if !is_relative_spec_path(&d.spec) {
        push(
            &["spec"],
            "invalid-path",
            format!("`{}` is not a relative path inside the repository", d.spec),
            "write the spec's path from the repository root, such as `tierform.hcl`".into(),
        );
    }
    if d.uses(CiSystem::GithubActions) && d.aws_account_id.is_none() {
        let all_tiers = model
            .tiers()
            .iter()
            .filter(|t| t.runtime == Runtime::Cloud && !t.ephemeral)
            .all(|t| {
                d.tier
                    .get(&t.name)
                    .is_some_and(|x| x.aws_account_id.is_some())
            });
        if !all_tiers {
            push(&[], "missing-account", "the workflows assume a deploy role in an AWS account, and no `aws_account_id` is given".into(), "add `aws_account_id = \"123456789012\"` (or one per tier)".into());
        }
    }
    check_account(d.aws_account_id.as_deref(), &["aws_account_id"], &mut push);
    check_secret_name(
        d.slack_webhook_secret.as_deref(),
        &["slack_webhook_secret"],
        &mut push,
    );
    if d.uses(CiSystem::Atlantis) && d.slack_webhook_secret.is_some() {
        push(&["slack_webhook_secret"], "unsupported", "Atlantis posts to the pull request and has no deployment hook: `slack_webhook_secret` would not be used".into(), "remove it, or deliver with `github_actions`".into());
    }
    let names: Vec<&str> = model.tiers().iter().map(|t| t.name.as_str()).collect();
    for (name, td) in &d.tier {
        let Some(tier) = model.tier(name) else {
            let help = match did_you_mean(name, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("declared tiers: {}", names.join(", ")),
            };
            push(
                &["tier", name],
                "unknown-tier",
                format!("`delivery` names unknown tier `{name}`"),
                help,
            );
            continue;
        };
        if tier.runtime == Runtime::Local {
            push(
                &["tier", name],
                "local-tier",
                format!("tier `{name}` is local (docker-compose): no CI deploys it"),
                "remove its `delivery` entry: developers run it with `docker compose up`".into(),
            );
            continue;
        }
        if tier.ephemeral {
            push(&["tier", name], "ephemeral-tier", format!("tier `{name}` is ephemeral: its copies are deployed per pull request, not from a branch"), "remove its `delivery` entry: with `argocd` in `ci`, a pull request generator deploys `<tier>-<number>`".into());
            continue;
        }
        let mode = td.deploy.unwrap_or_default();
        let atlantis_only = d.uses(CiSystem::Atlantis) && !d.uses(CiSystem::Argocd);
        match (&td.branch, mode) {
            (None, DeployMode::Automatic | DeployMode::Approval) if !atlantis_only => push(
                &["tier", name, "deploy"],
                "missing-branch",
                format!(
                    "tier `{name}` deploys `{}` but names no branch",
                    mode.as_str()
                ),
                "add `branch = \"main\"`, the branch whose pushes deploy it".into(),
            ),
            (Some(_), DeployMode::Manual) => push(
                &["tier", name, "branch"],
                "unused-branch",
                format!("tier `{name}` deploys `manual`: `branch` would not be used"),
                "set `deploy = \"automatic\"` or `\"approval\"`, or remove `branch`".into(),
            ),
            (Some(b), _) if !is_branch_name(b) => push(
                &["tier", name, "branch"],
                "invalid-branch",
                format!("`{b}` is not a branch name"),
                "use letters, digits, `-`, `_`, `.` and `/`, such as `main` or `release/v2`".into(),
            ),
            _ => {}
        }
        if tier.production && mode == DeployMode::Automatic {
            push(
                &["tier", name, "deploy"],
                "production-automatic",
                format!("production tier `{name}` deploys automatically"),
                "production goes out after a reviewer approves: write `deploy = \"approval\"`"
                    .into(),
            );
        }
        // Without Argo CD, Atlantis is the only deployer: it applies when someone comments on
        // the pull request, whatever the branch, so neither a branch nor `automatic` would
        // have an effect.
        if atlantis_only && td.branch.is_some() {
            push(&["tier", name, "branch"], "unused-branch", format!("tier `{name}`: Atlantis applies from the pull request, so `branch` would not be used"), "remove `branch` (with `argocd` in `ci`, Argo CD syncs from it)".into());
        }
        if atlantis_only && mode == DeployMode::Automatic {
            push(&["tier", name, "deploy"], "unsupported", format!("tier `{name}`: Atlantis applies when someone comments `atlantis apply`, never automatically"), "write `deploy = \"manual\"`, or `\"approval\"` to require an approved pull request".into());
        }
        if d.uses(CiSystem::Atlantis)
            && (td.smoke_tests.is_some() || td.slack_webhook_secret.is_some())
        {
            push(
                &["tier", name],
                "unsupported",
                "Atlantis applies from the pull request and runs no smoke tests or notifications"
                    .into(),
                "remove `smoke_tests` and `slack_webhook_secret`, or deliver with `github_actions`"
                    .into(),
            );
        }
        check_account(
            td.aws_account_id.as_deref(),
            &["tier", name, "aws_account_id"],
            &mut push,
        );
        check_secret_name(
            td.slack_webhook_secret.as_deref(),
            &["tier", name, "slack_webhook_secret"],
            &mut push,
        );
    }
}

type Push<'a> = dyn FnMut(&[&str], &'static str, String, String) + 'a;

fn check_account(id: Option<&str>, path: &[&str], push: &mut Push<'_>) {
    if let Some(id) = id {
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            push(
                path,
                "invalid-account",
                format!("`{id}` is not an AWS account id"),
                "an account id is 12 digits, such as `123456789012`".into(),
            );
        }
    }
}

fn check_secret_name(name: Option<&str>, path: &[&str], push: &mut Push<'_>) {
    let Some(name) = name else { return };
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.to_ascii_uppercase().starts_with("GITHUB_");
    if !valid {
        let help = if name.starts_with("https://") {
            "never put the webhook URL in the spec: store it as a repository secret and name the secret here, such as `SLACK_WEBHOOK_URL`"
        } else {
            "a GitHub secret name: letters, digits and `_`, not starting with a digit or `GITHUB_`"
        };
        push(
            path,
            "invalid-secret-name",
            format!(
                "`{}` is not a GitHub secret name",
                if name.starts_with("https://") {
                    "<a URL>"
                } else {
                    name
                }
            ),
            help.into(),
        );
    }
}

/// `(owner, repo)` of `https://github.com/<owner>/<repo>` (an optional `.git`).
pub fn github_repo(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("https://github.com/")?;
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    let (owner, repo) = rest.split_once('/')?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && s != "."
            && s != ".."
    };
    (ok(owner) && ok(repo)).then_some((owner, repo))
}

fn is_branch_name(b: &str) -> bool {
    !b.is_empty()
        && b.len() <= 100
        && b.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && !b.starts_with(['/', '.', '-'])
        && !b.ends_with(['/', '.'])
        && !b.contains("..")
        && !b.contains("//")
}

fn is_relative_spec_path(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && p.split('/').all(|s| !s.is_empty() && s != "..")
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_names_refuse_what_git_refuses() {
        assert!(is_branch_name("main"));
        assert!(is_branch_name("release/v2.1"));
        for bad in ["", "/main", "a..b", "main/", "with space", "$(x)", "-x"] {
            assert!(!is_branch_name(bad), "{bad}");
        }
    }

    #[test]
    fn repository_urls_are_github_https() {
        assert_eq!(
            github_repo("https://github.com/servio/infra.git"),
            Some(("servio", "infra"))
        );
        assert_eq!(github_repo("git@github.com:servio/infra.git"), None);
        assert_eq!(github_repo("https://github.com/servio"), None);
        assert_eq!(github_repo("https://github.com/a/b/c"), None);
    }

    #[test]
    fn spec_paths_stay_inside_the_repository() {
        assert!(is_relative_spec_path("infra/tierform.hcl"));
        for bad in ["", "/etc/x.hcl", "../x.hcl", "a//b.hcl", "a b.hcl"] {
            assert!(!is_relative_spec_path(bad), "{bad}");
        }
    }
}
