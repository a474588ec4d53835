//! Buckets, queues and topics, and the services that list them.

use super::Rules;
use crate::environment::Environment;
use crate::spec::{env_var_name, Service};
use crate::storage::{bucket_var, queue_var, topic_var};

/// SQS keeps a message at most 14 days.
const MAX_RETENTION_DAYS: u32 = 14;
/// SQS hides a received message at most 12 hours.
const MAX_VISIBILITY_TIMEOUT: u32 = 43_200;
/// SQS's largest `maxReceiveCount`.
const MAX_RECEIVE_COUNT: u32 = 1_000;

pub(super) fn rules(r: &mut Rules<'_>, env: &Environment) {
    let app = &env.app;
    // Bucket names carry the environment and the account id (13 characters), queue names a
    // `-dlq` suffix: short names keep them whole.
    for name in app.buckets.keys() {
        r.name(&["bucket", name], name, 24);
    }
    for (name, q) in &app.queues {
        r.name(&["queue", name], name, 40);
        if !(1..=MAX_RETENTION_DAYS).contains(&q.retention_days) {
            r.err(
                "invalid-retention",
                &["queue", name, "retention_days"],
                format!(
                    "SQS keeps messages 1 to {MAX_RETENTION_DAYS} days, not {}",
                    q.retention_days
                ),
                "such as 4 (the default) or 14",
            );
        }
        if q.visibility_timeout > MAX_VISIBILITY_TIMEOUT {
            r.err(
                "invalid-visibility-timeout",
                &["queue", name, "visibility_timeout"],
                format!("SQS hides a received message at most {MAX_VISIBILITY_TIMEOUT} seconds (12 hours), not {}", q.visibility_timeout),
                "give seconds a consumer needs to handle one message, such as 30 (the default)",
            );
        }
        if !(1..=MAX_RECEIVE_COUNT).contains(&q.max_receive_count) {
            r.err(
                "invalid-max-receive-count",
                &["queue", name, "max_receive_count"],
                format!("a message moves to the dead-letter queue after 1 to {MAX_RECEIVE_COUNT} receives, not {}", q.max_receive_count),
                "such as 5 (the default)",
            );
        }
    }
    for (name, t) in &app.topics {
        r.name(&["topic", name], name, 40);
        publishers(r, name, &t.publishers);
    }
    let buckets: Vec<&str> = app.buckets.keys().map(String::as_str).collect();
    let queues: Vec<&str> = app.queues.keys().map(String::as_str).collect();
    let topics: Vec<&str> = app.topics.keys().map(String::as_str).collect();
    for (name, q) in &app.queues {
        r.unique(&["queue", name, "subscribes"], "topic", &q.subscribes);
        for (i, topic) in q.subscribes.iter().enumerate() {
            let i = i.to_string();
            r.reference(&["queue", name, "subscribes", &i], "topic", topic, &topics);
        }
    }
    for (name, s) in &app.services {
        let lists: [Listed<'_>; 3] = [
            ("buckets", "bucket", &s.buckets, &buckets, bucket_var),
            ("queues", "queue", &s.queues, &queues, queue_var),
            ("topics", "topic", &s.topics, &topics, topic_var),
        ];
        for (field, what, listed, known, var) in lists {
            r.unique(&["service", name, field], what, listed);
            for (i, item) in listed.iter().enumerate() {
                let at = ["service", name.as_str(), field, &i.to_string()].map(str::to_owned);
                let at: Vec<&str> = at.iter().map(String::as_str).collect();
                r.reference(&at, what, item, known);
                collisions(r, name, s, &var(item));
            }
        }
    }
}

/// A topic's publishers are AWS service principals (`ses.amazonaws.com`): a topic policy
/// names services, never accounts or `*`, so nothing outside the account can publish.
fn publishers(r: &mut Rules<'_>, topic: &str, publishers: &[String]) {
    r.unique(&["topic", topic, "publishers"], "publisher", publishers);
    for (i, p) in publishers.iter().enumerate() {
        if !is_service_principal(p) {
            let i = i.to_string();
            r.err(
                "invalid-publisher",
                &["topic", topic, "publishers", &i],
                format!("`{p}` is not an AWS service principal"),
                "name the AWS service that publishes, such as `ses.amazonaws.com` or `s3.amazonaws.com`; a service of this spec publishes by listing the topic in its `topics`",
            );
        }
    }
}

/// `<service>.amazonaws.com`, the service lower case (`ses`, `events`, `s3`, `cloudwatch`).
fn is_service_principal(p: &str) -> bool {
    p.strip_suffix(".amazonaws.com").is_some_and(|service| {
        !service.is_empty()
            && service.split('.').all(|part| {
                !part.is_empty()
                    && !part.starts_with('-')
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            })
    })
}

/// One of a service's lists: its field, what it lists, the names listed, the declared names,
/// and the variable each is wired as.
type Listed<'a> = (
    &'a str,
    &'a str,
    &'a [String],
    &'a [&'a str],
    fn(&str) -> String,
);

/// A wired variable must not be a secret's variable (the service's `env` is checked against
/// every wired variable in `validate/service`).
fn collisions(r: &mut Rules<'_>, name: &str, s: &Service, var: &str) {
    if let Some(sec) = s.secrets.iter().find(|sec| env_var_name(sec) == var) {
        r.err(
            "env-collision",
            &["service", name, "secrets"],
            format!(
                "secret `{sec}` and a bucket, queue or topic of service `{name}` both set `{var}`"
            ),
            "rename the secret or the bucket, queue or topic",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::is_service_principal;

    #[test]
    fn service_principals() {
        for ok in [
            "ses.amazonaws.com",
            "s3.amazonaws.com",
            "events.amazonaws.com",
            "delivery.logs.amazonaws.com",
        ] {
            assert!(is_service_principal(ok), "{ok}");
        }
        for bad in [
            "*",
            "amazonaws.com",
            ".amazonaws.com",
            "SES.amazonaws.com",
            "arn:aws:iam::123456789012:root",
            "ses.amazonaws.com.evil.example",
            "a..b.amazonaws.com",
            "-x.amazonaws.com",
        ] {
            assert!(!is_service_principal(bad), "{bad}");
        }
    }
}
