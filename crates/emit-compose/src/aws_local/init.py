"""Creates a local environment's buckets, queues and topics in its AWS stand-in (moto).

Written by tierform beside the compose file; compose runs it once per `up`, before the
services that use them start. It reads what to create from TIERFORM_PLAN (set in the compose
file, where a review sees it) and may run again against a stand-in that already has them.
"""
import json
import os

import boto3

plan = json.loads(os.environ["TIERFORM_PLAN"])

region = plan["region"]
clients = {
    name: boto3.client(
        name,
        endpoint_url=plan["endpoint"],
        region_name=region,
        # The stand-in accepts any credentials; these are placeholders, not secrets.
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    for name in ("s3", "sqs", "sns")
}
s3, sqs, sns = clients["s3"], clients["sqs"], clients["sns"]

for bucket in plan["buckets"]:
    name = bucket["name"]
    args = {"Bucket": name}
    if region != "us-east-1":
        args["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**args)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if bucket["expiration_days"] > 0:
        rule = {
            "ID": "expire",
            "Status": "Enabled",
            "Filter": {},
            "Expiration": {"Days": bucket["expiration_days"]},
        }
        s3.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration={"Rules": [rule]}
        )

topics = {name: sns.create_topic(Name=name)["TopicArn"] for name in plan["topics"]}


def queue_arn(url):
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]


for q in plan["queues"]:
    dlq = sqs.create_queue(
        QueueName=q["name"] + "-dlq",
        Attributes={"MessageRetentionPeriod": str(q["dlq_retention_seconds"])},
    )["QueueUrl"]
    redrive = {"deadLetterTargetArn": queue_arn(dlq), "maxReceiveCount": q["max_receive_count"]}
    url = sqs.create_queue(
        QueueName=q["name"],
        Attributes={
            "MessageRetentionPeriod": str(q["retention_seconds"]),
            "VisibilityTimeout": str(q["visibility_timeout"]),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    for topic in q["subscribes"]:
        sns.subscribe(
            TopicArn=topics[topic],
            Protocol="sqs",
            Endpoint=queue_arn(url),
            Attributes={"RawMessageDelivery": "true"},
        )

print(
    f"{len(plan['buckets'])} bucket(s), {len(plan['queues'])} queue(s), "
    f"{len(plan['topics'])} topic(s) ready"
)
