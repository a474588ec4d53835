//! Object storage and messaging: S3 buckets, SQS queues (each with its dead-letter queue) and
//! SNS topics, declared once like databases and caches and listed by the services that use
//! them (`buckets = ["uploads"]`, `queues = [...]`, `topics = [...]`).
//!
//! Every one is private and encrypted with the environment's KMS key, and its policy refuses
//! requests without TLS; buckets are versioned, public access blocked and owner-enforced. A
//! service that lists one gets exactly the actions it needs on that one resource, and the
//! variables to find it: `<NAME>_BUCKET`, `<NAME>_QUEUE_URL`, `<NAME>_TOPIC_ARN`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::spec::{env_var_name, App};

/// An S3 bucket (`bucket "uploads" { … }`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    /// Days after which objects expire (0: never). Earlier versions expire 30 days after they
    /// are replaced either way, and unfinished multipart uploads after 7.
    #[serde(default)]
    pub expiration_days: u32,
}

/// An SQS queue and its dead-letter queue (`queue "jobs" { … }`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    /// Days a message is kept (1-14; 4 when not given). The dead-letter queue keeps its
    /// messages 14 days, the most SQS allows, to leave time to look at them.
    #[serde(default = "four")]
    pub retention_days: u32,
    /// Seconds a received message stays hidden from other consumers (0-43200; 30 when not
    /// given): longer than the consumer takes to handle one.
    #[serde(default = "thirty")]
    pub visibility_timeout: u32,
    /// Receives after which a message moves to the dead-letter queue (1-1000; 5 when not given).
    #[serde(default = "five")]
    pub max_receive_count: u32,
    /// Topics this queue receives every message of: an SNS subscription with raw message
    /// delivery, the queue's policy letting exactly those topics send, and the key letting SNS
    /// encrypt for this queue on those topics' behalf only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subscribes: Vec<String>,
}

impl Default for Queue {
    fn default() -> Self {
        Queue {
            retention_days: 4,
            visibility_timeout: 30,
            max_receive_count: 5,
            subscribes: Vec::new(),
        }
    }
}

/// An SNS topic (`topic "events" {}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// AWS services allowed to publish to this topic, by service principal, such as
    /// `ses.amazonaws.com` (email notifications) or `s3.amazonaws.com` (bucket events): the
    /// topic's policy lets them publish and the key lets them encrypt, for this account's
    /// resources only (`aws:SourceAccount`). The services of this spec publish through their
    /// `topics` list instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub publishers: Vec<String>,
}

/// The variable holding a bucket's name: `<NAME>_BUCKET`.
pub fn bucket_var(name: &str) -> String {
    format!("{}_BUCKET", env_var_name(name))
}

/// The variable holding a queue's URL: `<NAME>_QUEUE_URL`.
pub fn queue_var(name: &str) -> String {
    format!("{}_QUEUE_URL", env_var_name(name))
}

/// The variable holding a topic's ARN: `<NAME>_TOPIC_ARN`.
pub fn topic_var(name: &str) -> String {
    format!("{}_TOPIC_ARN", env_var_name(name))
}

/// A kind of storage a service lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageKind {
    /// A `bucket`.
    Bucket,
    /// A `queue`.
    Queue,
    /// A `topic`.
    Topic,
}

/// The buckets, queues and topics among those named that `app` declares, in that order, each
/// with its kind and the variable a service finds it by (`<NAME>_BUCKET`, `_QUEUE_URL`,
/// `_TOPIC_ARN`): what every emitter wires, from the same list.
pub fn storage_variables<'a>(
    app: &App,
    buckets: &'a [String],
    queues: &'a [String],
    topics: &'a [String],
) -> Vec<(StorageKind, &'a str, String)> {
    let declared = buckets
        .iter()
        .filter(|b| app.buckets.contains_key(*b))
        .map(|b| (StorageKind::Bucket, b.as_str(), bucket_var(b)));
    let queues = queues
        .iter()
        .filter(|q| app.queues.contains_key(*q))
        .map(|q| (StorageKind::Queue, q.as_str(), queue_var(q)));
    let topics = topics
        .iter()
        .filter(|t| app.topics.contains_key(*t))
        .map(|t| (StorageKind::Topic, t.as_str(), topic_var(t)));
    declared.chain(queues).chain(topics).collect()
}

fn four() -> u32 {
    4
}
fn five() -> u32 {
    5
}
fn thirty() -> u32 {
    30
}
