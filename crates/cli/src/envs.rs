//! `tierform envs`: the environments a spec declares, each ephemeral tier's naming template,
//! and, for ephemeral copies named with `--env`, when they expire and what a teardown must
//! destroy, in the order it must go.

use serde_json::{json, Value};
use tierform_model::{Date, Environment, EnvironmentId, Model, Platform, Runtime, Tier};

use crate::{find_env, input_error, Failure};

/// One row of the listing.
struct Row {
    name: String,
    tier: String,
    instance: Option<String>,
    runtime: &'static str,
    mirrors: Option<String>,
    ephemeral: bool,
    /// For a named copy: the environment it copies, when it expires, its teardown.
    copy: Option<Copy>,
}

struct Copy {
    of: Option<String>,
    expires: Option<Date>,
    teardown: Value,
}

/// The listing: every declared environment and each ephemeral tier's template, or only the
/// environments named in `only` (declared ones or copies such as `bugfix-vb-rheinaue-1234`).
///
/// # Errors
/// A name in `only` that is neither declared nor a valid copy, or a copy that does not resolve.
pub fn list(model: &Model, only: &[String], json: bool) -> Result<String, Failure> {
    let rows = if only.is_empty() {
        let mut rows: Vec<Row> = model
            .environments()
            .iter()
            .map(|id| declared(model, id))
            .collect();
        rows.extend(
            model
                .tiers()
                .iter()
                .filter(|t| t.ephemeral)
                .map(|t| template(model, t)),
        );
        rows
    } else {
        only.iter()
            .map(|name| named(model, name))
            .collect::<Result<_, _>>()?
    };
    Ok(if json { as_json(&rows) } else { as_text(&rows) })
}

fn declared(model: &Model, id: &EnvironmentId) -> Row {
    row(&model.tiers()[id.tier_index()], id.name.clone())
}

fn template(model: &Model, t: &Tier) -> Row {
    row(t, model.copy_template(t))
}

/// The row of an environment (or a naming template) of tier `t`: its instance is what its
/// name adds to the tier's.
fn row(t: &Tier, name: String) -> Row {
    let instance = name
        .strip_prefix(&t.name)
        .and_then(|r| r.strip_prefix('-'))
        .map(str::to_owned);
    Row {
        name,
        tier: t.name.clone(),
        instance,
        runtime: t.runtime.as_str(),
        mirrors: t.mirrors.clone(),
        ephemeral: t.ephemeral,
        copy: None,
    }
}

fn named(model: &Model, name: &str) -> Result<Row, Failure> {
    let id = find_env(model, name)?;
    let mut row = declared(model, &id);
    if row.ephemeral {
        let env = model.resolve(&id).map_err(|ds| input_error(model, ds))?;
        row.copy = Some(Copy {
            of: env.copy_of.clone(),
            expires: env.expires,
            teardown: teardown(&env),
        });
    }
    Ok(row)
}

/// What tearing an environment down must destroy, in order: its Kubernetes objects (before
/// the cluster that runs them), its Terraform resources, its state object, and the folders
/// tierform generated for it; and what AWS keeps for a while after.
fn teardown(env: &Environment) -> Value {
    let name = &env.name;
    let mut steps = Vec::new();
    if env.runs_kubernetes() {
        steps.push(json!({
            "what": "kubernetes",
            "namespace": env.prefix(),
            "command": format!("kubectl delete -k k8s/overlays/{name} --wait"),
        }));
    }
    if env.runtime == Runtime::Cloud {
        steps.push(json!({
            "what": "terraform",
            "dir": format!("terraform/{name}"),
            "command": format!("terraform -chdir=terraform/{name} init && terraform -chdir=terraform/{name} destroy"),
        }));
        steps.push(json!({
            "what": "state",
            "bucket": env.state_bucket(),
            "key": env.state_key(),
            "region": env.state_region(),
            "command": format!("aws s3 rm s3://{}/{} --region {}", env.state_bucket(), env.state_key(), env.state_region()),
        }));
    }
    let folders: Vec<String> = tierform_engine::environment_folders(name).into();
    steps.push(json!({ "what": "generated files", "folders": folders, "files": [format!("docs/{name}.md")] }));
    let blocked_by: Vec<String> = env
        .app
        .databases
        .iter()
        .filter(|(_, d)| d.deletion_protection)
        .map(|(name, _)| format!("database `{name}`: deletion_protection is on in this tier"))
        .chain(load_balancer(env))
        .collect();
    let after = [
        format!("the KMS key `alias/{}` stays pending deletion for 30 days", env.prefix()),
        "its secrets stay recoverable for 30 days, their names reserved (a copy with another id never collides)".to_owned(),
    ];
    json!({
        "blocked_by": blocked_by,
        "steps": steps,
        "after_destroy": after,
    })
}

/// The Application Load Balancer tierform creates on ECS Fargate refuses deletion in every
/// environment (a tier flag would be a structural difference from production): a teardown
/// turns that off first.
fn load_balancer(env: &Environment) -> Option<String> {
    // Either load balancer, the internet-facing or the internal one.
    let alb = matches!(env.app.platform, Platform::EcsFargate(_))
        && env
            .app
            .services
            .values()
            .any(|s| s.public.is_some() || s.internal.is_some());
    alb.then(|| {
        "the load balancer: deletion protection is always on; turn it off first (`aws elbv2 modify-load-balancer-attributes --attributes Key=deletion_protection.enabled,Value=false`)".to_owned()
    })
}

fn as_json(rows: &[Row]) -> String {
    let list: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut v = json!({
                "name": r.name, "tier": r.tier, "instance": r.instance,
                "runtime": r.runtime, "mirrors": r.mirrors, "ephemeral": r.ephemeral,
            });
            if let Some(c) = &r.copy {
                v["copy_of"] = json!(c.of);
                v["expires"] = json!(c.expires.map(|d| d.to_string()));
                v["teardown"] = c.teardown.clone();
            }
            v
        })
        .collect();
    serde_json::to_string_pretty(&list).expect("serialises") + "\n"
}

fn as_text(rows: &[Row]) -> String {
    let copies = rows.iter().any(|r| r.copy.is_some());
    let mut header = vec!["NAME", "TIER", "INSTANCE", "RUNTIME", "MIRRORS"];
    if copies {
        header.extend(["COPY OF", "EXPIRES"]);
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut c = vec![
                r.name.clone(),
                r.tier.clone(),
                match (&r.instance, r.ephemeral && r.copy.is_none()) {
                    (Some(i), true) => format!("{i} (ephemeral)"),
                    (i, _) => i.clone().unwrap_or_default(),
                },
                r.runtime.to_owned(),
                r.mirrors.clone().unwrap_or_default(),
            ];
            if copies {
                let copy = r.copy.as_ref();
                c.push(copy.and_then(|c| c.of.clone()).unwrap_or_default());
                c.push(
                    copy.and_then(|c| c.expires)
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                );
            }
            c
        })
        .collect();
    let header: Vec<String> = header.into_iter().map(str::to_owned).collect();
    let mut width = vec![0usize; header.len()];
    for r in std::iter::once(&header).chain(&cells) {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.len());
        }
    }
    let mut text = String::new();
    for r in std::iter::once(&header).chain(&cells) {
        let line: Vec<String> = r
            .iter()
            .zip(&width)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        text.push_str(line.join("  ").trim_end());
        text.push('\n');
    }
    text
}
