//! The scheduled data refresh (seed 003: every Saturday at 02:00, production's database is
//! copied into staging with personal data removed) as a CronJob with its own ServiceAccount and
//! NetworkPolicy.
//!
//! The job's image does the work (dump, anonymise, restore); tierform gives it the source tier,
//! whether to anonymise, and the target database's wiring, exactly as a service gets it. It is
//! a per-environment object: overlays carry it as a resource of their own, and parity reports
//! it as the structural difference the spec declares.

use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use tierform_model::{App, DataRefresh};

use crate::meta;
use crate::network;
use crate::security;
use crate::workload::{self, literal};

/// The name of the job's objects.
pub(crate) const NAME: &str = "data-refresh";

/// The job's ServiceAccount.
pub(crate) fn service_account(app: &App) -> ServiceAccount {
    workload::service_account(&app.app, NAME, NAME)
}

/// The job's NetworkPolicy: no traffic in; out only DNS, the target database's port inside the
/// VPC and HTTPS (the AWS APIs holding the source snapshot).
pub(crate) fn policy(app: &App, refresh: &DataRefresh) -> NetworkPolicy {
    let mut egress = vec![network::dns()];
    if let Some(rule) = network::data_stores(
        app,
        app.databases
            .get(&refresh.database)
            .map(|d| d.engine.port())
            .into_iter()
            .collect(),
    ) {
        egress.push(rule);
    }
    egress.push(network::https_out());
    network::policy(&app.app, NAME, NAME, Vec::new(), egress)
}

/// The CronJob. Runs are never concurrent (a restore must not overlap the next dump).
pub(crate) fn cron_job(app: &App, refresh: &DataRefresh) -> CronJob {
    let labels = meta::structural(&app.app, NAME, NAME);
    let mut env = vec![
        literal("SOURCE_TIER", &refresh.from),
        literal("TARGET_DATABASE", &refresh.database),
        literal("ANONYMIZE", &refresh.anonymize.to_string()),
    ];
    env.extend(workload::database_env(
        app,
        &refresh.database,
        &workload::secret_name(NAME),
    ));
    let container = Container {
        name: NAME.to_owned(),
        image: Some(workload::image(&refresh.image, &refresh.tag, None)),
        image_pull_policy: Some("Always".to_owned()),
        env: Some(env),
        // A dump of a production database needs room; the limits keep a runaway job in check.
        resources: Some(workload::resources(500, 1024, 2000, 4096)),
        security_context: Some(security::container()),
        volume_mounts: Some(vec![security::tmp_mount()]),
        ..Default::default()
    };
    CronJob {
        metadata: meta::object_meta(
            NAME,
            labels.clone(),
            workload::checkov_skips(&[workload::SECRETS_AS_ENV]),
        ),
        spec: Some(CronJobSpec {
            schedule: refresh.schedule.clone(),
            concurrency_policy: Some("Forbid".to_owned()),
            successful_jobs_history_limit: Some(3),
            failed_jobs_history_limit: Some(3),
            job_template: JobTemplateSpec {
                metadata: None,
                spec: Some(JobSpec {
                    backoff_limit: Some(1),
                    template: PodTemplateSpec {
                        metadata: Some(meta::object_meta_labels_only(labels)),
                        spec: Some(PodSpec {
                            restart_policy: Some("Never".to_owned()),
                            ..security::pod_spec(NAME, container)
                        }),
                    },
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}
