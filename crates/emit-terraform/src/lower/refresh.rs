//! The scheduled data refresh on ECS Fargate and App Runner (the EKS CronJob's twin, in
//! `tierform-emit-k8s`): an ECS task that EventBridge Scheduler runs on the tier's schedule,
//! on the environment's cluster (ECS Fargate) or a small cluster of its own (App Runner has no
//! tasks).
//!
//! As the CronJob, the task's image does the work and is given the source tier, whether to
//! anonymise and the target database's wiring. On AWS it reads the source tier's automated
//! snapshots, copies one under this environment's key, restores it to a temporary instance of
//! this environment (`<app>-<env>-refresh-*`), dumps, anonymises and loads the target, and
//! deletes what it made. Its role can read the source's snapshots and decrypt with the source
//! tier's key, and write only `<app>-<env>-refresh-*`: nothing of the source tier's instances
//! (an explicit deny says so too). The scheduler's role may run that one task definition on
//! that one cluster and pass its two roles to ECS, nothing else.

use hcl::Expression;
use tierform_model::{DataRefresh, Database};

use super::iam::{attach_managed, db_secret_arn, inline, policy, role, trust, Stmt};
use super::{arn, tags, Cx};
use crate::expr::{data, interp, jsonencode, list, lit, object, res, strings, template};
use crate::module::{Module, TfFile, B};
use crate::names::{label, limit};

/// The component of every object of the refresh.
pub(crate) const C: &str = "data refresh";
/// The labels of the refresh's objects.
pub(crate) const L: &str = "data_refresh";

/// The refresh this environment's Terraform runs: on ECS Fargate and App Runner (EKS runs a
/// CronJob).
pub(crate) fn refresh<'a>(cx: &Cx<'a>) -> Option<&'a DataRefresh> {
    cx.app.data_refresh.as_ref().filter(|_| !cx.eks())
}

/// The cluster the task runs on.
pub(crate) fn cluster(cx: &Cx, attr: &str) -> Expression {
    if cx.ecs() {
        res("aws_ecs_cluster", "main", attr)
    } else {
        res("aws_ecs_cluster", L, attr)
    }
}

/// A five-field cron schedule as EventBridge Scheduler's `cron(...)`: six fields, one of the
/// day fields `?`, and days of the week counted from 1 (Sunday) instead of 0. `None` when both
/// day fields are restricted (cron's "either" has no EventBridge form; validation refuses it).
pub fn eventbridge_cron(schedule: &str) -> Option<String> {
    let f: Vec<&str> = schedule.split_whitespace().collect();
    let [minute, hour, dom, month, dow] = f.as_slice() else {
        return None;
    };
    let shift = |d: &str| -> String {
        d.parse::<u32>()
            .map_or_else(|_| d.to_owned(), |n| ((n % 7) + 1).to_string())
    };
    let dow = if *dow == "*" {
        "?".to_owned()
    } else {
        dow.split(',')
            .map(|part| {
                let (range, step) = part
                    .split_once('/')
                    .map_or((part, None), |(r, s)| (r, Some(s)));
                let range = match range.split_once('-') {
                    Some((a, b)) => format!("{}-{}", shift(a), shift(b)),
                    None if range == "*" => "*".to_owned(),
                    None => shift(range),
                };
                match step {
                    Some(s) => format!("{range}/{s}"),
                    None => range,
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let dom = match (*dom, dow.as_str()) {
        ("*", "?") => "*",
        ("*", _) => "?",
        (d, "?") => d,
        _ => return None,
    };
    Some(format!("cron({minute} {hour} {dom} {month} {dow} *)"))
}

pub(crate) fn lower(cx: &Cx, m: &mut Module) {
    let Some(r) = refresh(cx) else {
        return;
    };
    let Some(db) = cx.app.databases.get(&r.database) else {
        return;
    };
    if cx.app_runner() {
        own_cluster(cx, m);
    }
    roles(cx, m, r);
    task_definition(cx, m, container(cx, r, db));
    schedule(cx, m, r);
}

/// App Runner has no tasks: the refresh runs on a small cluster of its own.
fn own_cluster(cx: &Cx, m: &mut Module) {
    m.push(
        TfFile::Services,
        C,
        B::resource("aws_ecs_cluster", L)
            .attr("name", cx.name("refresh", 255))
            .block(
                B::new("setting")
                    .attr("name", "containerInsights")
                    .attr("value", "enabled"),
            )
            .attr("tags", tags(cx.name("refresh", 255))),
    );
}

/// The refresh's one container: the image, its wiring, the password and its logs.
fn container(cx: &Cx, r: &DataRefresh, db: &Database) -> Expression {
    let pre = tierform_model::env_var_name(&r.database);
    object([
        ("name", Expression::from("data-refresh")),
        ("image", format!("{}:{}", r.image, r.tag).into()),
        ("essential", true.into()),
        ("readonlyRootFilesystem", true.into()),
        ("environment", environment(cx, r, db)),
        (
            "secrets",
            list([object([
                ("name", Expression::from(format!("{pre}_DB_PASSWORD"))),
                (
                    "valueFrom",
                    template([interp(db_secret_arn(&r.database)), lit(":password::")]),
                ),
            ])]),
        ),
        (
            "mountPoints",
            list([object([
                ("sourceVolume", "tmp".into()),
                ("containerPath", "/tmp".into()),
                ("readOnly", false.into()),
            ])]),
        ),
        (
            "logConfiguration",
            object([
                ("logDriver", Expression::from("awslogs")),
                (
                    "options",
                    object([
                        ("awslogs-group", res("aws_cloudwatch_log_group", L, "name")),
                        ("awslogs-region", cx.app.region.as_str().into()),
                        ("awslogs-stream-prefix", "data-refresh".into()),
                    ]),
                ),
            ]),
        ),
    ])
}

/// The container's environment: the source tier, the target database and where the
/// temporary copy goes.
fn environment(cx: &Cx, r: &DataRefresh, db: &Database) -> Expression {
    let dl = label(&r.database);
    let pre = tierform_model::env_var_name(&r.database);
    let env = |k: &str, v: Expression| object([("name", Expression::from(k)), ("value", v)]);
    list([
        env("SOURCE_TIER", r.from.as_str().into()),
        env("TARGET_DATABASE", r.database.as_str().into()),
        env("ANONYMIZE", r.anonymize.to_string().into()),
        env(
            &format!("{pre}_DB_HOST"),
            res("aws_db_instance", &dl, "address"),
        ),
        env(
            &format!("{pre}_DB_PORT"),
            db.engine.port().to_string().into(),
        ),
        env(
            &format!("{pre}_DB_NAME"),
            db.name_on_instance(&cx.app.app).into(),
        ),
        env(&format!("{pre}_DB_USER"), db.user(&cx.app.app).into()),
        // Where the temporary copy is restored: this environment's subnets, group and
        // key, under the only names the task may write.
        env("REFRESH_PREFIX", format!("{}-refresh-", cx.prefix).into()),
        env(
            "REFRESH_DB_SUBNET_GROUP",
            res("aws_db_subnet_group", &dl, "name"),
        ),
        env(
            "REFRESH_DB_SECURITY_GROUP",
            res(
                "aws_security_group",
                &super::security::db_sg(&r.database),
                "id",
            ),
        ),
        env("REFRESH_KMS_KEY", cx.kms_arn()),
    ])
}

/// The CronJob's limits (2 vCPU, 4 GiB): a dump of a production database needs room.
fn task_definition(cx: &Cx, m: &mut Module, container: Expression) {
    m.push(
        TfFile::Services,
        C,
        B::resource("aws_ecs_task_definition", L)
            .attr("family", cx.name("data-refresh", 255))
            .attr("network_mode", "awsvpc")
            .attr("requires_compatibilities", strings(["FARGATE"]))
            .attr("cpu", "2048")
            .attr("memory", "4096")
            .attr(
                "execution_role_arn",
                res("aws_iam_role", &format!("{L}_execution"), "arn"),
            )
            .attr(
                "task_role_arn",
                res("aws_iam_role", &format!("{L}_task"), "arn"),
            )
            .block(
                B::new("runtime_platform")
                    .attr("operating_system_family", "LINUX")
                    .attr("cpu_architecture", "X86_64"),
            )
            .block(B::new("volume").attr("name", "tmp"))
            .attr("container_definitions", jsonencode(list([container])))
            .attr("tags", tags(cx.name("data-refresh", 255))),
    );
}

/// The EventBridge Scheduler schedule that runs the task on the tier's schedule.
fn schedule(cx: &Cx, m: &mut Module, r: &DataRefresh) {
    let cron = eventbridge_cron(&r.schedule).unwrap_or_else(|| r.schedule.clone());
    m.push(
        TfFile::Services,
        C,
        B::resource("aws_scheduler_schedule", L)
            .attr("name", cx.name("data-refresh", 64))
            .attr(
                "description",
                format!("Data refresh from tier {} ({})", r.from, r.schedule),
            )
            .attr("schedule_expression", cron)
            .attr("schedule_expression_timezone", "UTC")
            .attr("kms_key_arn", cx.kms_arn())
            .block(B::new("flexible_time_window").attr("mode", "OFF"))
            .block(
                B::new("target")
                    .attr("arn", cluster(cx, "arn"))
                    .attr(
                        "role_arn",
                        res("aws_iam_role", &format!("{L}_scheduler"), "arn"),
                    )
                    .block(
                        B::new("ecs_parameters")
                            .attr(
                                "task_definition_arn",
                                res("aws_ecs_task_definition", L, "arn"),
                            )
                            .attr("launch_type", "FARGATE")
                            .attr("platform_version", "LATEST")
                            .attr("task_count", 1)
                            .block(
                                B::new("network_configuration")
                                    .attr("subnets", cx.private_subnets())
                                    .attr(
                                        "security_groups",
                                        list([res("aws_security_group", L, "id")]),
                                    )
                                    .attr("assign_public_ip", false),
                            ),
                    )
                    // One retry, as the CronJob's backoff limit.
                    .block(B::new("retry_policy").attr("maximum_retry_attempts", 1)),
            ),
    );
}

/// The task's execution and task roles, and the scheduler's.
fn roles(cx: &Cx, m: &mut Module, r: &DataRefresh) {
    execution_role(cx, m, r);
    task_role(cx, m, r);
    scheduler_role(cx, m);
}

/// `kms:ViaService` is the given service in this region.
fn via(region: &str, service: &str) -> Expression {
    object([(
        "StringEquals",
        object([(
            "kms:ViaService",
            Expression::from(format!("{service}.{region}.amazonaws.com")),
        )]),
    )])
}

/// The execution role: pull, log, and read the target database's password.
fn execution_role(cx: &Cx, m: &mut Module, r: &DataRefresh) {
    let region = cx.app.region.as_str();
    let exec = format!("{L}_execution");
    m.push(
        TfFile::Iam,
        C,
        role(
            &exec,
            cx.name("refresh-execution", limit::ROLE),
            trust("ecs-tasks.amazonaws.com"),
        ),
    );
    m.push(
        TfFile::Iam,
        C,
        attach_managed(
            &exec,
            &exec,
            "service-role/AmazonECSTaskExecutionRolePolicy",
        ),
    );
    m.push(
        TfFile::Iam,
        C,
        inline(
            &format!("{L}_secrets"),
            &exec,
            "read-target-password",
            policy([
                Stmt::allow("ReadTargetPassword", &["secretsmanager:GetSecretValue"])
                    .on([db_secret_arn(&r.database)]),
                Stmt::allow("DecryptTargetPassword", &["kms:Decrypt"])
                    .on([cx.kms_arn()])
                    .condition(via(region, "secretsmanager")),
            ]),
        ),
    );
}

/// The task role: copy the source's snapshot, restore, dump and clean up its own copies.
fn task_role(cx: &Cx, m: &mut Module, r: &DataRefresh) {
    let task = format!("{L}_task");
    m.push(
        TfFile::Iam,
        C,
        role(
            &task,
            cx.name("refresh-task", limit::ROLE),
            trust("ecs-tasks.amazonaws.com"),
        ),
    );
    let mut statements = snapshot_statements(cx, r);
    statements.extend(key_statements(cx, r));
    statements.push(never_write_the_source(cx, r));
    m.push(
        TfFile::Iam,
        C,
        inline(
            &format!("{L}_snapshots"),
            &task,
            "copy-source-snapshot",
            policy(statements),
        ),
    );
}

/// Find and copy the source's snapshots; restore, and later delete, the temporary copy.
fn snapshot_statements(cx: &Cx, r: &DataRefresh) -> Vec<Stmt> {
    let region = cx.app.region.as_str();
    let app = cx.app.app.as_str();
    let from = r.from.as_str();
    // The source tier's instances of the database and their automated snapshots
    // (`rds:<identifier>-<date>`), whatever its tenants and instances are called.
    let source_snapshots = arn(
        "rds",
        region,
        &format!("snapshot:rds:{app}-{from}-*{}-*", r.database),
    );
    let own_snapshots = arn("rds", region, &format!("snapshot:{}-refresh-*", cx.prefix));
    let own_dbs = arn("rds", region, &format!("db:{}-refresh-*", cx.prefix));
    let subnet_group = arn(
        "rds",
        region,
        &format!("subgrp:{}", cx.name(&format!("db-{}", r.database), 255)),
    );
    vec![
        Stmt::allow("FindSourceSnapshots", &["rds:DescribeDBSnapshots"])
            .on([source_snapshots.clone(), own_snapshots.clone()]),
        Stmt::allow("CopySourceSnapshot", &["rds:CopyDBSnapshot"])
            .on([source_snapshots, own_snapshots.clone()]),
        Stmt::allow(
            "RestoreTemporaryCopy",
            &[
                "rds:RestoreDBInstanceFromDBSnapshot",
                "rds:AddTagsToResource",
            ],
        )
        .on([own_snapshots.clone(), own_dbs.clone(), subnet_group]),
        Stmt::allow(
            "CleanUpTemporaryCopy",
            &[
                "rds:DescribeDBInstances",
                "rds:DeleteDBInstance",
                "rds:DeleteDBSnapshot",
            ],
        )
        .on([own_dbs, own_snapshots]),
    ]
}

/// The source tier's key to read its snapshot, this environment's to write the copy.
fn key_statements(cx: &Cx, r: &DataRefresh) -> Vec<Stmt> {
    let region = cx.app.region.as_str();
    let app = cx.app.app.as_str();
    let from = r.from.as_str();
    vec![
        // The source tier's key, found by its alias (`alias/<app>-<env>`), through RDS only.
        Stmt::allow(
            "UseSourceKey",
            &["kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant"],
        )
        .on([arn("kms", region, "key/*")])
        .condition(object([
            (
                "StringEquals",
                object([(
                    "kms:ViaService",
                    Expression::from(format!("rds.{region}.amazonaws.com")),
                )]),
            ),
            (
                "ForAnyValue:StringLike",
                object([(
                    "kms:ResourceAliases",
                    Expression::from(format!("alias/{app}-{from}*")),
                )]),
            ),
        ])),
        Stmt::allow(
            "UseOwnKey",
            &[
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:DescribeKey",
                "kms:CreateGrant",
            ],
        )
        .on([cx.kms_arn()])
        .condition(via(region, "rds")),
    ]
}

/// Belt and braces: nothing of the source tier's instances is writable.
fn never_write_the_source(cx: &Cx, r: &DataRefresh) -> Stmt {
    let region = cx.app.region.as_str();
    let app = cx.app.app.as_str();
    let from = r.from.as_str();
    let source_dbs = arn("rds", region, &format!("db:{app}-{from}-*{}", r.database));
    Stmt::deny(
        "NeverWriteTheSource",
        &[
            "rds:Modify*",
            "rds:Delete*",
            "rds:Reboot*",
            "rds:Restore*",
            "rds:Start*",
            "rds:Stop*",
            "rds:Promote*",
            "rds:Failover*",
        ],
    )
    .on([source_dbs])
}

/// The scheduler may run this task definition on this cluster, and pass its two roles.
fn scheduler_role(cx: &Cx, m: &mut Module) {
    let exec = format!("{L}_execution");
    let task = format!("{L}_task");
    let scheduler = format!("{L}_scheduler");
    let scheduler_trust = policy([Stmt::allow("AssumeRole", &["sts:AssumeRole"])
        .principal("Service", Expression::from("scheduler.amazonaws.com"))
        .condition(object([(
            "StringEquals",
            object([(
                "aws:SourceAccount",
                data("aws_caller_identity", "current", "account_id"),
            )]),
        )]))]);
    m.push(
        TfFile::Iam,
        C,
        role(
            &scheduler,
            cx.name("refresh-scheduler", limit::ROLE),
            scheduler_trust,
        ),
    );
    m.push(
        TfFile::Iam,
        C,
        inline(
            &format!("{L}_run_task"),
            &scheduler,
            "run-refresh-task",
            policy([
                Stmt::allow("RunRefreshTask", &["ecs:RunTask"])
                    .on([res("aws_ecs_task_definition", L, "arn")])
                    .condition(object([(
                        "ArnEquals",
                        object([("ecs:cluster", cluster(cx, "arn"))]),
                    )])),
                Stmt::allow("PassRefreshRoles", &["iam:PassRole"])
                    .on([
                        res("aws_iam_role", &exec, "arn"),
                        res("aws_iam_role", &task, "arn"),
                    ])
                    .condition(object([(
                        "StringEquals",
                        object([(
                            "iam:PassedToService",
                            Expression::from("ecs-tasks.amazonaws.com"),
                        )]),
                    )])),
            ]),
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::eventbridge_cron;

    #[test]
    fn cron_schedules_become_eventbridge_ones() {
        assert_eq!(
            eventbridge_cron("0 2 * * 6").as_deref(),
            Some("cron(0 2 ? * 7 *)")
        );
        assert_eq!(
            eventbridge_cron("0 3 * * 0").as_deref(),
            Some("cron(0 3 ? * 1 *)")
        );
        assert_eq!(
            eventbridge_cron("30 1 * * 1-5").as_deref(),
            Some("cron(30 1 ? * 2-6 *)")
        );
        assert_eq!(
            eventbridge_cron("0 4 1 * *").as_deref(),
            Some("cron(0 4 1 * ? *)")
        );
        assert_eq!(
            eventbridge_cron("0 4 * * *").as_deref(),
            Some("cron(0 4 * * ? *)")
        );
        assert_eq!(eventbridge_cron("0 4 1 * 1"), None);
    }
}
