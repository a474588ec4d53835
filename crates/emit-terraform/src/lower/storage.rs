//! `storage.tf`: the spec's S3 buckets, SQS queues (each with its dead-letter queue) and SNS
//! topics, and each service's access to the ones it lists.
//!
//! Every one is encrypted with the environment's key and refuses requests without TLS in its
//! own policy; buckets are versioned, owner-enforced, public access blocked, and clean up
//! earlier versions and unfinished uploads. A service's workload role gets exactly the actions
//! it needs on exactly the resources it lists (and the key, through those services only), and
//! its variables: `<NAME>_BUCKET`, `<NAME>_QUEUE_URL`, `<NAME>_TOPIC_ARN`.

use hcl::Expression;
use tierform_model::{storage_variables, App, Service, StorageKind};

use super::iam::{inline, policy, workload_role, Stmt};
use super::{tags, Cx};
use crate::expr::{data, interp, jsonencode, lit, object, res, template};
use crate::module::{Module, TfFile, B};
use crate::names::label;

/// Earlier versions of an object are kept this many days after being replaced.
const NONCURRENT_DAYS: u32 = 30;
/// Unfinished multipart uploads are removed after this many days.
const MULTIPART_DAYS: u32 = 7;
/// A dead-letter queue keeps its messages the longest SQS allows: 14 days.
const DLQ_RETENTION_SECONDS: u32 = 14 * 86_400;
/// SQS names are at most 80 characters; `-dlq` is added to the queue's.
const QUEUE_NAME: usize = 76;
/// S3 names are at most 63 characters; `-<account id>` (13) is added.
const BUCKET_NAME: usize = 50;

/// The Terraform label of a bucket.
pub(crate) fn bucket_label(name: &str) -> String {
    format!("bucket_{}", label(name))
}
/// The Terraform label of a queue.
pub(crate) fn queue_label(name: &str) -> String {
    format!("queue_{}", label(name))
}
/// The Terraform label of a topic.
pub(crate) fn topic_label(name: &str) -> String {
    format!("topic_{}", label(name))
}

/// The variables a service finds its buckets, queues and topics with, and their values.
pub(crate) fn wiring(app: &App, svc: &Service) -> Vec<(String, Expression)> {
    variables(app, &svc.buckets, &svc.queues, &svc.topics)
}

/// The values of every bucket, queue and topic by variable, for the EKS endpoints ConfigMap.
pub(crate) fn endpoints(app: &App) -> Vec<(String, Expression)> {
    let names = |m: Vec<&String>| m.into_iter().cloned().collect::<Vec<_>>();
    variables(
        app,
        &names(app.buckets.keys().collect()),
        &names(app.queues.keys().collect()),
        &names(app.topics.keys().collect()),
    )
}

/// `<NAME>_BUCKET`, `<NAME>_QUEUE_URL`, `<NAME>_TOPIC_ARN` of the named (and declared) ones.
fn variables(
    app: &App,
    buckets: &[String],
    queues: &[String],
    topics: &[String],
) -> Vec<(String, Expression)> {
    storage_variables(app, buckets, queues, topics)
        .into_iter()
        .map(|(kind, name, var)| {
            let value = match kind {
                StorageKind::Bucket => res("aws_s3_bucket", &bucket_label(name), "bucket"),
                StorageKind::Queue => res("aws_sqs_queue", &queue_label(name), "url"),
                StorageKind::Topic => res("aws_sns_topic", &topic_label(name), "arn"),
            };
            (var, value)
        })
        .collect()
}

pub(crate) fn lower(cx: &Cx, m: &mut Module) {
    for (name, b) in &cx.app.buckets {
        bucket(cx, m, name, b.expiration_days);
    }
    for (name, q) in &cx.app.queues {
        queue(cx, m, name, q);
    }
    for (name, t) in &cx.app.topics {
        topic(cx, m, name, t);
    }
    for (name, svc) in &cx.app.services {
        if let Some(p) = access_policy(cx, svc) {
            let l = label(name);
            m.push(
                TfFile::Iam,
                format!("service {name}"),
                inline(
                    &format!("{l}_storage"),
                    &workload_role(cx, name),
                    "storage-access",
                    p,
                ),
            );
        }
    }
}

/// A statement refusing every request made without TLS.
fn tls_only(actions: &str, resources: Vec<Expression>) -> Stmt {
    Stmt::deny("DenyInsecureTransport", &[actions])
        .principal("AWS", Expression::from("*"))
        .on(resources)
        .condition(object([(
            "Bool",
            object([("aws:SecureTransport", Expression::from("false"))]),
        )]))
}

fn bucket(cx: &Cx, m: &mut Module, name: &str, expiration_days: u32) {
    let l = bucket_label(name);
    let component = format!("bucket {name}");
    let base = cx.name(name, BUCKET_NAME);
    let arn = res("aws_s3_bucket", &l, "arn");
    let id = res("aws_s3_bucket", &l, "id");
    m.push(
        TfFile::Storage,
        &component,
        B::resource("aws_s3_bucket", &l)
            .skip("CKV_AWS_18", "requests are recorded by CloudTrail data events of the account; a log bucket per bucket would need its own log bucket")
            .skip("CKV_AWS_144", "cross-region replication is a disaster-recovery choice of the account; versioning keeps every version in the region")
            .skip("CKV2_AWS_62", "no consumer of the bucket's events is declared; the application is told of objects by its own messages")
            // Bucket names are global: the account id keeps this one the account's.
            .attr(
                "bucket",
                template([
                    lit(format!("{base}-")),
                    interp(data("aws_caller_identity", "current", "account_id")),
                ]),
            )
            .attr("tags", tags(base.clone())),
    );
    for b in private_and_versioned(&l, &id) {
        m.push(TfFile::Storage, &component, b);
    }
    m.push(
        TfFile::Storage,
        &component,
        B::resource("aws_s3_bucket_server_side_encryption_configuration", &l)
            .attr("bucket", id.clone())
            .block(
                B::new("rule")
                    .block(
                        B::new("apply_server_side_encryption_by_default")
                            .attr("sse_algorithm", "aws:kms")
                            .attr("kms_master_key_id", cx.kms_arn()),
                    )
                    .attr("bucket_key_enabled", true),
            ),
    );
    let mut rule = B::new("rule")
        .attr("id", "expire")
        .attr("status", "Enabled")
        .block(B::new("filter"))
        .block(
            B::new("abort_incomplete_multipart_upload")
                .attr("days_after_initiation", MULTIPART_DAYS),
        )
        .block(B::new("noncurrent_version_expiration").attr("noncurrent_days", NONCURRENT_DAYS));
    if expiration_days > 0 {
        rule = rule.block(B::new("expiration").attr("days", expiration_days));
    }
    m.push(
        TfFile::Storage,
        &component,
        B::resource("aws_s3_bucket_lifecycle_configuration", &l)
            .attr("bucket", id.clone())
            .block(rule)
            .attr(
                "depends_on",
                Expression::Array(vec![crate::expr::var("aws_s3_bucket_versioning")
                    .attr(&l)
                    .into()]),
            ),
    );
    let objects = template([interp(arn.clone()), lit("/*")]);
    m.push(
        TfFile::Storage,
        &component,
        B::resource("aws_s3_bucket_policy", &l)
            .attr("bucket", id)
            .attr("policy", policy([tls_only("s3:*", vec![arn, objects])]))
            // The policy is refused while the public-access block is being set.
            .attr(
                "depends_on",
                Expression::Array(vec![crate::expr::var("aws_s3_bucket_public_access_block")
                    .attr(&l)
                    .into()]),
            ),
    );
}

/// What keeps a bucket private and its objects' history: public access blocked, ACLs off
/// (the bucket owner owns every object), versioning on. The spec's buckets and the state
/// bucket share them.
pub(crate) fn private_and_versioned(l: &str, id: &Expression) -> [B; 3] {
    [
        B::resource("aws_s3_bucket_public_access_block", l)
            .attr("bucket", id.clone())
            .attr("block_public_acls", true)
            .attr("block_public_policy", true)
            .attr("ignore_public_acls", true)
            .attr("restrict_public_buckets", true),
        B::resource("aws_s3_bucket_ownership_controls", l)
            .attr("bucket", id.clone())
            .block(B::new("rule").attr("object_ownership", "BucketOwnerEnforced")),
        B::resource("aws_s3_bucket_versioning", l)
            .attr("bucket", id.clone())
            .block(B::new("versioning_configuration").attr("status", "Enabled")),
    ]
}

fn queue(cx: &Cx, m: &mut Module, name: &str, q: &tierform_model::Queue) {
    let l = queue_label(name);
    let dlq = format!("{l}_dlq");
    let component = format!("queue {name}");
    let queue_name = cx.name(name, QUEUE_NAME);
    m.push(
        TfFile::Storage,
        &component,
        B::resource("aws_sqs_queue", &dlq)
            .attr("name", format!("{queue_name}-dlq"))
            .attr("message_retention_seconds", DLQ_RETENTION_SECONDS)
            .attr("kms_master_key_id", cx.kms_arn())
            .attr("tags", tags(format!("{queue_name}-dlq"))),
    );
    m.push(
        TfFile::Storage,
        &component,
        B::resource("aws_sqs_queue", &l)
            .attr("name", queue_name.clone())
            .attr("message_retention_seconds", q.retention_days * 86_400)
            .attr("visibility_timeout_seconds", q.visibility_timeout)
            .attr("kms_master_key_id", cx.kms_arn())
            .attr(
                "redrive_policy",
                jsonencode(object([
                    ("deadLetterTargetArn", res("aws_sqs_queue", &dlq, "arn")),
                    ("maxReceiveCount", Expression::from(q.max_receive_count)),
                ])),
            )
            .attr("tags", tags(queue_name)),
    );
    // Only this queue may send its failures to the dead-letter queue.
    m.push(
        TfFile::Storage,
        &component,
        B::resource("aws_sqs_queue_redrive_allow_policy", &dlq)
            .attr("queue_url", res("aws_sqs_queue", &dlq, "id"))
            .attr(
                "redrive_allow_policy",
                jsonencode(object([
                    ("redrivePermission", Expression::from("byQueue")),
                    (
                        "sourceQueueArns",
                        Expression::Array(vec![res("aws_sqs_queue", &l, "arn")]),
                    ),
                ])),
            ),
    );
    for ql in [&l, &dlq] {
        let arn = res("aws_sqs_queue", ql, "arn");
        let mut stmts = vec![tls_only("sqs:*", vec![arn.clone()])];
        let topics = subscribed(cx.app, q);
        if ql == &l && !topics.is_empty() {
            stmts.push(from_topics(arn, &topics));
        }
        m.push(
            TfFile::Storage,
            &component,
            B::resource("aws_sqs_queue_policy", ql)
                .attr("queue_url", res("aws_sqs_queue", ql, "id"))
                .attr("policy", policy(stmts)),
        );
    }
    for topic in subscribed(cx.app, q) {
        m.push(
            TfFile::Storage,
            &component,
            B::resource(
                "aws_sns_topic_subscription",
                &format!("{l}_from_{}", label(topic)),
            )
            .attr(
                "topic_arn",
                res("aws_sns_topic", &topic_label(topic), "arn"),
            )
            .attr("protocol", "sqs")
            .attr("endpoint", res("aws_sqs_queue", &l, "arn"))
            // The queue receives what was published, not SNS's JSON envelope around it.
            .attr("raw_message_delivery", true),
        );
    }
}

/// The declared topics a queue subscribes to.
fn subscribed<'a>(app: &App, q: &'a tierform_model::Queue) -> Vec<&'a str> {
    q.subscribes
        .iter()
        .filter(|t| app.topics.contains_key(*t))
        .map(String::as_str)
        .collect()
}

/// SNS may send to the queue on behalf of exactly the topics it subscribes to.
fn from_topics(queue_arn: Expression, topics: &[&str]) -> Stmt {
    Stmt::allow("SubscribedTopicsSend", &["sqs:SendMessage"])
        .principal("Service", Expression::from("sns.amazonaws.com"))
        .on([queue_arn])
        .condition(object([(
            "ArnEquals",
            object([(
                "aws:SourceArn",
                Expression::Array(
                    topics
                        .iter()
                        .map(|t| res("aws_sns_topic", &topic_label(t), "arn"))
                        .collect(),
                ),
            )]),
        )]))
}

/// The key policy's statements for messaging: SNS encrypting for the queues subscribed to
/// topics (on those topics' behalf only), and the AWS services that publish to topics
/// (for this account's resources only). Topic ARNs are built from their names: the topics
/// are encrypted with this key, so naming their resources here would be a cycle.
pub(crate) fn key_statements(cx: &Cx) -> Vec<Stmt> {
    let app = cx.app;
    let region = &app.region;
    let mut out = Vec::new();
    let mut sources: Vec<&str> = app
        .queues
        .values()
        .flat_map(|q| subscribed(app, q))
        .collect();
    sources.sort_unstable();
    sources.dedup();
    if !sources.is_empty() {
        let arns = sources
            .iter()
            .map(|t| super::arn("sns", region, &topic_name(cx, t)))
            .collect();
        out.push(
            Stmt::allow(
                "SnsToSubscribedQueues",
                &["kms:Decrypt", "kms:GenerateDataKey*"],
            )
            .principal("Service", Expression::from("sns.amazonaws.com"))
            .on([Expression::from("*")])
            .condition(object([(
                "ArnEquals",
                object([("aws:SourceArn", Expression::Array(arns))]),
            )])),
        );
    }
    let publishers = topic_publishers(app);
    if !publishers.is_empty() {
        out.push(
            Stmt::allow(
                "ServicesPublishToTopics",
                &["kms:Decrypt", "kms:GenerateDataKey*"],
            )
            .principal("Service", principals(&publishers))
            .on([Expression::from("*")])
            .condition(this_account()),
        );
    }
    out
}

/// Every topic's publishers, once each, sorted.
fn topic_publishers(app: &App) -> Vec<&str> {
    let mut all: Vec<&str> = app
        .topics
        .values()
        .flat_map(|t| t.publishers.iter().map(String::as_str))
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// One service principal as a string, several as a list.
fn principals(services: &[&str]) -> Expression {
    match services {
        [one] => Expression::from(*one),
        many => Expression::Array(many.iter().map(|s| Expression::from(*s)).collect()),
    }
}

/// `{ StringEquals = { "aws:SourceAccount" = <this account> } }`.
fn this_account() -> Expression {
    object([(
        "StringEquals",
        object([(
            "aws:SourceAccount",
            data("aws_caller_identity", "current", "account_id"),
        )]),
    )])
}

/// A topic's name in AWS.
fn topic_name(cx: &Cx, name: &str) -> String {
    cx.name(name, 256)
}

fn topic(cx: &Cx, m: &mut Module, name: &str, t: &tierform_model::Topic) {
    let l = topic_label(name);
    let component = format!("topic {name}");
    let topic_name = topic_name(cx, name);
    let arn = res("aws_sns_topic", &l, "arn");
    let mut stmts = vec![tls_only("sns:*", vec![arn.clone()])];
    if !t.publishers.is_empty() {
        let mut publishers: Vec<&str> = t.publishers.iter().map(String::as_str).collect();
        publishers.sort_unstable();
        stmts.push(
            Stmt::allow("ServicesPublish", &["sns:Publish"])
                .principal("Service", principals(&publishers))
                .on([arn])
                .condition(this_account()),
        );
    }
    m.push(
        TfFile::Storage,
        &component,
        B::resource("aws_sns_topic", &l)
            .attr("name", topic_name.clone())
            .attr("kms_master_key_id", cx.kms_arn())
            .attr("tags", tags(topic_name)),
    );
    m.push(
        TfFile::Storage,
        &component,
        B::resource("aws_sns_topic_policy", &l)
            .attr("arn", res("aws_sns_topic", &l, "arn"))
            .attr("policy", policy(stmts)),
    );
}

/// Exactly what a service needs on what it lists: objects of its buckets, messages of its
/// queues, publishing to its topics, and the environment's key through those services only.
fn access_policy(cx: &Cx, svc: &Service) -> Option<Expression> {
    let app = cx.app;
    let buckets: Vec<&String> = svc
        .buckets
        .iter()
        .filter(|b| app.buckets.contains_key(*b))
        .collect();
    let queues: Vec<&String> = svc
        .queues
        .iter()
        .filter(|q| app.queues.contains_key(*q))
        .collect();
    let topics: Vec<&String> = svc
        .topics
        .iter()
        .filter(|t| app.topics.contains_key(*t))
        .collect();
    let mut stmts = Vec::new();
    let mut via = Vec::new();
    let region = &app.region;
    if !buckets.is_empty() {
        let arns = || {
            buckets
                .iter()
                .map(|b| res("aws_s3_bucket", &bucket_label(b), "arn"))
        };
        stmts.push(Stmt::allow("ListOwnBuckets", &["s3:ListBucket"]).on(arns()));
        stmts.push(
            Stmt::allow(
                "ReadWriteOwnObjects",
                &["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            )
            .on(arns().map(|a| template([interp(a), lit("/*")]))),
        );
        via.push(format!("s3.{region}.amazonaws.com"));
    }
    if !queues.is_empty() {
        stmts.push(
            Stmt::allow(
                "UseOwnQueues",
                &[
                    "sqs:SendMessage",
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueAttributes",
                    "sqs:GetQueueUrl",
                ],
            )
            .on(queues
                .iter()
                .map(|q| res("aws_sqs_queue", &queue_label(q), "arn"))),
        );
        via.push(format!("sqs.{region}.amazonaws.com"));
    }
    if !topics.is_empty() {
        stmts.push(
            Stmt::allow("PublishToOwnTopics", &["sns:Publish"]).on(topics
                .iter()
                .map(|t| res("aws_sns_topic", &topic_label(t), "arn"))),
        );
        via.push(format!("sns.{region}.amazonaws.com"));
    }
    if stmts.is_empty() {
        return None;
    }
    stmts.push(
        Stmt::allow(
            "UseTheKeyThroughThem",
            &["kms:Decrypt", "kms:GenerateDataKey"],
        )
        .on([cx.kms_arn()])
        .condition(object([(
            "StringEquals",
            object([(
                "kms:ViaService",
                Expression::Array(via.into_iter().map(Expression::from).collect()),
            )]),
        )])),
    );
    Some(policy(stmts))
}
