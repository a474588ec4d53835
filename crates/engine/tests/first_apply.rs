//! Issue 15, "Environments that come up when applied": one test per item of
//! docs/FIRST-APPLY.md, over every environment of every fixture, and a test that keeps the
//! checklist itself true (every test it names exists, every version it quotes is emitted).

mod common;

use std::path::{Path, PathBuf};

use common::cloud_environments;
use serde_json::Value;
use tierform_engine::model::{first_apply, ApplyStage, Environment, Platform};
use tierform_engine::terraform;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tf(env: &Environment, file: &str) -> String {
    let files = terraform::emit(env).unwrap();
    let text = files
        .iter()
        .find(|(p, _)| p.to_string() == file)
        .map(|(_, t)| t.to_owned())
        .unwrap_or_default();
    text
}

fn objects(env: &Environment) -> Vec<(String, Value)> {
    terraform::objects(env)
        .unwrap()
        .into_iter()
        .map(|o| (o.id.trim_start_matches("terraform:").to_owned(), o.data))
        .collect()
}

#[test]
fn backend_locking_and_required_version_agree() {
    for (f, env) in cloud_environments() {
        if tf(&env, "backend.tf").contains("use_lockfile") {
            assert!(
                tf(&env, "versions.tf").contains("required_version = \">= 1.10\""),
                "{f} {}: use_lockfile needs Terraform 1.10",
                env.name
            );
        }
    }
}

#[test]
fn secrets_are_set_before_anything_reads_them() {
    for (f, env) in cloud_environments() {
        let stages = first_apply(&env);
        let set = stages
            .iter()
            .position(|s| matches!(s, ApplyStage::SetSecrets { .. }));
        let apply = stages
            .iter()
            .position(|s| matches!(s, ApplyStage::Apply))
            .expect("a whole apply");
        if !env.app.secrets.is_empty() {
            assert!(set.is_some_and(|s| s < apply), "{f} {}", env.name);
        }
        // No earlier stage targets a service.
        for s in &stages[..apply] {
            if let ApplyStage::Targets { addresses, .. } = s {
                for a in addresses {
                    assert!(
                        !a.starts_with("aws_ecs_service.") && !a.starts_with("helm_release."),
                        "{f} {}: {a} starts before the whole apply",
                        env.name
                    );
                }
            }
        }
        assert!(
            tf(&env, "outputs.tf").contains("output \"first_apply\""),
            "{f} {}: the order is in the outputs",
            env.name
        );
    }
}

#[test]
fn services_log_in_as_application_users_never_the_master_secret() {
    for (f, env) in cloud_environments() {
        // The applications never hold the master password; the data refresh (an operator's
        // job that restores and anonymises the tier's own database) is the one task that
        // does, for its own target only (issue 14; its IAM is checked in security.rs).
        for (id, data) in objects(&env) {
            let runs_the_app = (id.starts_with("aws_ecs_task_definition.")
                || id.starts_with("aws_apprunner_service."))
                && !id.contains("data_refresh");
            if runs_the_app {
                let text = data.to_string();
                assert!(
                    !text.contains("master_user_secret"),
                    "{f} {} {id}",
                    env.name
                );
            }
        }
        for (_, data) in objects(&env) {
            let text = data.to_string();
            if text.contains("rds-db:connect") {
                assert!(text.contains("_app"), "{f} {}: {text}", env.name);
            }
        }
        if !env.app.databases.is_empty() {
            assert!(
                first_apply(&env)
                    .iter()
                    .any(|s| matches!(s, ApplyStage::CreateDatabaseUsers { .. })),
                "{f} {}: the one-time CREATE USER",
                env.name
            );
        }
    }
}

#[test]
fn cache_clients_get_user_and_cluster_for_iam_tokens() {
    for (f, env) in cloud_environments() {
        if env.app.caches.is_empty() || matches!(env.app.platform, Platform::Eks(_)) {
            continue;
        }
        let services = tf(&env, "services.tf");
        for var in ["_CACHE_USER", "_CACHE_NAME", "_CACHE_AUTH"] {
            assert!(services.contains(var), "{f} {}: {var}", env.name);
        }
    }
}

#[test]
fn eks_gets_its_add_ons_tags_access_entries_and_enforced_policies() {
    for (f, env) in cloud_environments() {
        if !matches!(env.app.platform, Platform::Eks(_)) {
            continue;
        }
        let k = tf(&env, "kubernetes.tf");
        for needle in [
            "aws-load-balancer-controller",
            "metrics-server",
            "external-secrets",
            "enableNetworkPolicy",
            "kubernetes_config_map_v1",
            "eks.amazonaws.com/role-arn",
        ] {
            assert!(k.contains(needle), "{f} {}: {needle}", env.name);
        }
        // The load balancer is Terraform's: no subnet is tagged for the controller to place one.
        let net = tf(&env, "network.tf");
        assert!(
            !net.contains("kubernetes.io/role/elb") && !net.contains("internal-elb"),
            "{f} {}",
            env.name
        );
        assert!(tf(&env, "platform.tf").contains("service_account_role_arn"));
        if !env.app.access.read.is_empty() || !env.app.access.write.is_empty() {
            assert!(
                tf(&env, "iam.tf").contains("aws_eks_access_entry"),
                "{f} {}",
                env.name
            );
        }
        // Public hosts' records are Terraform's aliases of its own load balancer: nothing in
        // the cluster writes Route 53.
        assert!(!k.contains("external-dns"), "{f} {}", env.name);
        if env.app.services.values().any(|s| s.public.is_some()) {
            let dns = tf(&env, "dns.tf");
            assert!(dns.contains("aws_lb.main.dns_name"), "{f} {}", env.name);
        }
        let versions = tf(&env, "versions.tf");
        assert!(versions.contains("hashicorp/helm") && versions.contains("hashicorp/kubernetes"));
    }
}

#[test]
fn people_fences_spare_untagged_resources() {
    for (f, env) in cloud_environments() {
        for (id, data) in objects(&env) {
            if !id.ends_with("_secrets_fence") {
                continue;
            }
            for st in data["policy"]["Statement"].as_array().unwrap() {
                if st["Sid"] == "NoOtherEnvironmentsResources" {
                    assert_eq!(
                        st["Condition"]["Null"]["aws:ResourceTag/Environment"], "false",
                        "{f} {}",
                        env.name
                    );
                }
            }
        }
    }
}

#[test]
fn app_runner_domains_get_their_validation_records() {
    for (f, env) in cloud_environments() {
        if !matches!(env.app.platform, Platform::AppRunner(_)) {
            continue;
        }
        let dns = tf(&env, "dns.tf");
        if dns.contains("aws_apprunner_custom_domain_association") {
            assert!(
                dns.contains("certificate_validation_records"),
                "{f} {}",
                env.name
            );
            assert!(dns.contains("_domain_validation"), "{f} {}", env.name);
        }
    }
}

/// docs/FIRST-APPLY.md names a test for every item: each exists, and every pinned version it
/// quotes is what the module emits.
#[test]
fn the_checklist_names_tests_that_exist_and_versions_that_are_emitted() {
    let doc = std::fs::read_to_string(root().join("docs/FIRST-APPLY.md")).unwrap();
    let mut sources = String::new();
    for dir in ["crates"] {
        for entry in walk(&root().join(dir)) {
            if entry.extension().is_some_and(|e| e == "rs") {
                sources.push_str(&std::fs::read_to_string(&entry).unwrap());
            }
        }
    }
    let mut named = 0;
    for line in doc.lines().filter(|l| l.starts_with('|')) {
        for part in line.split('`').skip(1).step_by(2) {
            if let Some(test) = part.strip_prefix("test:") {
                named += 1;
                assert!(
                    sources.contains(&format!("fn {test}(")),
                    "docs/FIRST-APPLY.md names test `{test}`, which does not exist"
                );
            }
            if let Some(pin) = part.strip_prefix("pin:") {
                let (chart, version) = pin.split_once('@').expect("pin:chart@version");
                let env = cloud_environments()
                    .into_iter()
                    .find(|(_, e)| matches!(e.app.platform, Platform::Eks(_)))
                    .unwrap()
                    .1;
                let text = tf(&env, "kubernetes.tf") + &tf(&env, "versions.tf");
                assert!(
                    text.contains(&format!("\"{chart}\""))
                        && text.contains(&format!("\"{version}\"")),
                    "docs/FIRST-APPLY.md pins {chart} at {version}; the module does not"
                );
            }
        }
    }
    assert!(named >= 12, "the checklist names {named} tests");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "target") {
                out.extend(walk(&p));
            }
        } else {
            out.push(p);
        }
    }
    out
}
