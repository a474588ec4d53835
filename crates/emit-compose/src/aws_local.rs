//! The local tier's stand-in for the environment's buckets, queues and topics: moto's server
//! (S3, SQS and SNS in memory, one container), and a one-shot container that creates them
//! (the same names and settings as the cloud's, the dead-letter queues and the subscriptions)
//! before the services that use them start. Services get the variables they get in the cloud,
//! pointing at the stand-in, and `AWS_ENDPOINT_URL`, which the AWS SDKs read for every service.
//!
//! What the stand-in does not model: encryption, IAM and resource policies. A local tier is
//! for developing against the same interfaces, not for proving access rules; the cloud tiers
//! prove those (parity, checkov).

use indexmap::IndexMap;
use serde::Serialize;
use tierform_model::{storage_variables, App, Environment, Service, StorageKind};

use crate::model::{ComposeService, Dependency, Healthcheck};

/// The stand-in's compose service.
pub(crate) const HOST: &str = "aws-local";
/// The one-shot service that creates the buckets, queues and topics.
pub(crate) const INIT: &str = "aws-local-init";
/// The folder, beside the compose file, that holds the creation script.
pub(crate) const FOLDER: &str = "aws-local";
/// The script, as `<FOLDER>/init.py`.
pub(crate) const SCRIPT: &str = include_str!("aws_local/init.py");
/// moto's server, pinned to a release (its images are tagged per release on Docker Hub).
const IMAGE: &str = "motoserver/moto:5.1.22";
/// The port moto's server listens on.
const PORT: u16 = 5000;
/// The account moto answers as (its default): queue URLs and topic ARNs carry it.
const ACCOUNT: &str = "123456789012";
/// A dead-letter queue keeps its messages 14 days, as in the cloud.
const DLQ_RETENTION_SECONDS: u32 = 14 * 86_400;

/// Whether the environment declares anything the stand-in serves.
pub(crate) fn needed(app: &App) -> bool {
    !(app.buckets.is_empty() && app.queues.is_empty() && app.topics.is_empty())
}

/// The name of a bucket, queue or topic in the stand-in: `<app>-<env>-<name>`.
fn aws_name(env: &Environment, name: &str) -> String {
    format!("{}-{name}", env.prefix())
}

/// The stand-in's endpoint, for every AWS SDK.
fn endpoint() -> String {
    format!("http://{HOST}:{PORT}")
}

/// The variables of a service that lists buckets, queues or topics: the cloud's names
/// (`<NAME>_BUCKET`, `_QUEUE_URL`, `_TOPIC_ARN`) with the stand-in's values, and how an AWS SDK
/// reaches it. Empty when the service lists none.
pub(crate) fn variables(env: &Environment, s: &Service) -> Vec<(String, String)> {
    let app = &env.app;
    let listed = storage_variables(app, &s.buckets, &s.queues, &s.topics);
    if listed.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<(String, String)> = listed
        .into_iter()
        .map(|(kind, name, var)| {
            let aws = aws_name(env, name);
            let value = match kind {
                StorageKind::Bucket => aws,
                StorageKind::Queue => format!("{}/{ACCOUNT}/{aws}", endpoint()),
                StorageKind::Topic => format!("arn:aws:sns:{}:{ACCOUNT}:{aws}", app.region),
            };
            (var, value)
        })
        .collect();
    out.extend([
        ("AWS_ENDPOINT_URL".to_owned(), endpoint()),
        ("AWS_REGION".to_owned(), app.region.clone()),
        // The stand-in accepts any credentials: placeholders, not secrets.
        ("AWS_ACCESS_KEY_ID".to_owned(), "local".to_owned()),
        ("AWS_SECRET_ACCESS_KEY".to_owned(), "local".to_owned()),
    ]);
    out
}

/// What the init container creates, as it reads it (`TIERFORM_PLAN`).
#[derive(Serialize)]
struct Plan {
    endpoint: String,
    region: String,
    buckets: Vec<PlannedBucket>,
    topics: Vec<String>,
    queues: Vec<PlannedQueue>,
}

#[derive(Serialize)]
struct PlannedBucket {
    name: String,
    /// 0: objects never expire.
    expiration_days: u32,
}

#[derive(Serialize)]
struct PlannedQueue {
    name: String,
    retention_seconds: u32,
    visibility_timeout: u32,
    max_receive_count: u32,
    dlq_retention_seconds: u32,
    subscribes: Vec<String>,
}

fn plan(env: &Environment) -> Plan {
    let app = &env.app;
    Plan {
        endpoint: endpoint(),
        region: app.region.clone(),
        buckets: app
            .buckets
            .iter()
            .map(|(name, b)| PlannedBucket {
                name: aws_name(env, name),
                expiration_days: b.expiration_days,
            })
            .collect(),
        topics: app.topics.keys().map(|t| aws_name(env, t)).collect(),
        queues: app
            .queues
            .iter()
            .map(|(name, q)| PlannedQueue {
                name: aws_name(env, name),
                retention_seconds: q.retention_days * 86_400,
                visibility_timeout: q.visibility_timeout,
                max_receive_count: q.max_receive_count,
                dlq_retention_seconds: DLQ_RETENTION_SECONDS,
                subscribes: q
                    .subscribes
                    .iter()
                    .filter(|t| app.topics.contains_key(*t))
                    .map(|t| aws_name(env, t))
                    .collect(),
            })
            .collect(),
    }
}

/// Hardening both containers share: no capabilities, no privilege escalation, a read-only
/// root file system with a scratch `/tmp`.
fn hardened(mut s: ComposeService) -> ComposeService {
    s.read_only = Some(true);
    s.tmpfs = vec!["/tmp".to_owned()];
    s.cap_drop = vec!["ALL".to_owned()];
    s.security_opt = vec!["no-new-privileges:true".to_owned()];
    s
}

/// The stand-in and its init container, by compose service name.
pub(crate) fn services(env: &Environment) -> [(String, ComposeService); 2] {
    let server = hardened(ComposeService {
        image: IMAGE.to_owned(),
        // The image has Python (moto is a Python server) and no curl or wget.
        healthcheck: Some(Healthcheck {
            test: vec![
                "CMD".to_owned(),
                "python".to_owned(),
                "-c".to_owned(),
                format!("import urllib.request; urllib.request.urlopen('http://127.0.0.1:{PORT}/moto-api/')"),
            ],
            interval: "5s".to_owned(),
            timeout: "3s".to_owned(),
            retries: 10,
            start_period: Some("5s".to_owned()),
        }),
        restart: "unless-stopped".to_owned(),
        labels: IndexMap::from([(
            "tierform.stand-in".to_owned(),
            "S3, SQS and SNS of this environment, in memory (moto); no encryption, IAM or resource policies".to_owned(),
        )]),
        ..Default::default()
    });
    let plan = serde_json::to_string(&plan(env)).expect("the plan serialises");
    let init = hardened(ComposeService {
        image: IMAGE.to_owned(),
        entrypoint: Some(vec!["python".to_owned(), "/tierform/init.py".to_owned()]),
        environment: IndexMap::from([("TIERFORM_PLAN".to_owned(), plan)]),
        volumes: vec![format!("./{FOLDER}:/tierform:ro")],
        depends_on: IndexMap::from([(HOST.to_owned(), Dependency::healthy())]),
        // One shot: compose's default restart policy ("no"), not written (an unquoted `no`
        // is a boolean to a YAML 1.1 reader).
        ..Default::default()
    });
    [(HOST.to_owned(), server), (INIT.to_owned(), init)]
}
