//! GitHub Actions: `tierform-pull-request.yml` (check, `build --check`, the parity report as the
//! job summary, `terraform plan` of the affected environments), one
//! `tierform-deploy-<branch>.yml` per branch feeding a tier (apply in promotion order, smoke
//! tests, notification) and `tierform-deploy-manual.yml` for tiers deployed by hand.
//!
//! Every job has the least permissions it needs (`id-token: write` only where it assumes a
//! role), every action is pinned to a commit, and values from outside (refs, inputs, matrix
//! entries) reach scripts through environment variables, never spliced into the script.

use serde_json::{json, Map, Value};
use tierform_model::{DeployMode, FileSet};

use crate::{from_branch, yaml, Plan, Stage, Target};

/// Actions, pinned to the commit of a release (written with the release's tag in a comment).
const CHECKOUT: &str = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1";
const AWS_CREDENTIALS: &str =
    "aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c";
const SETUP_TERRAFORM: &str = "hashicorp/setup-terraform@dfe3c3f87815947d99a8997f908cb6525fc44e9e";
/// The Terraform the jobs run: within the generated `required_version` (`>= 1.10`).
const TERRAFORM_VERSION: &str = "1.10.5";
const RUNNER: &str = "ubuntu-24.04";
/// GitHub runs at most 256 jobs from one matrix: larger tiers are split over several jobs.
pub(crate) const MATRIX_LIMIT: usize = 256;

/// A workflow file, each pinned action followed by the release it is.
fn workflow(note: &[&str], doc: &Value) -> String {
    let mut text = yaml::file(note, doc);
    for (action, tag) in [
        (CHECKOUT, "v7.0.1"),
        (AWS_CREDENTIALS, "v6.2.3"),
        (SETUP_TERRAFORM, "v4.0.1"),
    ] {
        text = text.replace(
            &format!("uses: {action}\n"),
            &format!("uses: {action} # {tag}\n"),
        );
    }
    text
}

pub(crate) fn files(plan: &Plan, files: &mut FileSet) {
    files.insert(
        ".github/workflows/tierform-pull-request.yml",
        workflow(
            &["On pull requests: check the spec, the generated files and parity; plan the affected environments."],
            &pull_request(plan),
        ),
    );
    let mut branches: Vec<&str> = Vec::new();
    for s in &plan.stages {
        if let Some(b) = from_branch(&s.tier) {
            if !branches.contains(&b) && !s.targets.is_empty() {
                branches.push(b);
            }
        }
    }
    for b in branches {
        files.insert(
            format!(".github/workflows/tierform-deploy-{}.yml", slug(b)),
            workflow(&refs(&deploy_note(plan, Some(b))), &deploy(plan, b)),
        );
    }
    if plan
        .stages
        .iter()
        .any(|s| s.tier.deploy == DeployMode::Manual && !s.targets.is_empty() && !s.tier.ephemeral)
    {
        files.insert(
            ".github/workflows/tierform-deploy-manual.yml",
            workflow(&refs(&deploy_note(plan, None)), &manual(plan)),
        );
    }
}

fn refs(lines: &[String]) -> Vec<&str> {
    lines.iter().map(String::as_str).collect()
}

/// A branch name as a file-name part: `release/v2` -> `release-v2`.
fn slug(branch: &str) -> String {
    branch.replace('/', "-")
}

/// The comment at the top of a deploy workflow: what GitHub must be told that a workflow
/// cannot say (which environments need required reviewers) and the roles it assumes.
fn deploy_note(plan: &Plan, branch: Option<&str>) -> Vec<String> {
    let approval: Vec<&str> = plan
        .stages
        .iter()
        .filter(|s| {
            s.tier.deploy == DeployMode::Approval
                && branch.is_some()
                && from_branch(&s.tier) == branch
        })
        .map(|s| s.tier.tier.as_str())
        .collect();
    let mut note = vec![
        "Each job assumes its environment's deploy role (<app>-<env>-deploy) with GitHub's OIDC token;".to_owned(),
        "trust it for this repository's `environment:<env>` subject only.".to_owned(),
    ];
    if !approval.is_empty() {
        note.push(format!(
            "Tiers deployed after an approval: {}. Give their environments' GitHub environments required reviewers.",
            approval.join(", ")
        ));
    }
    note
}

fn step(name: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    m
}

fn checkout(fetch_all: bool) -> Value {
    let mut with = json!({"persist-credentials": false});
    if fetch_all {
        with["fetch-depth"] = json!(0);
    }
    json!({"name": "Check out", "uses": CHECKOUT, "with": with})
}

fn install(plan: &Plan) -> Value {
    json!({
        "name": "Install tierform",
        "run": format!("cargo install --locked tierform --version \"={}\"", plan.version),
    })
}

fn aws(role: &str, region: &str) -> Value {
    json!({
        "name": "Assume the role (OIDC)",
        "uses": AWS_CREDENTIALS,
        "with": {"role-to-assume": role, "aws-region": region},
    })
}

fn terraform() -> Value {
    json!({
        "name": "Set up Terraform",
        "uses": SETUP_TERRAFORM,
        "with": {"terraform_version": TERRAFORM_VERSION, "terraform_wrapper": false},
    })
}

fn pull_request(plan: &Plan) -> Value {
    let spec = &plan.delivery.spec;
    let mut steps = vec![
        checkout(true),
        install(plan),
        json!({"name": "Check the spec and parity", "run": format!("tierform check {spec}")}),
        json!({
            "name": "Generated files are up to date",
            "run": format!("tierform build {spec} --out . --delivery{} --check", plan.layout.flags()),
        }),
    ];
    if !plan.parity_pairs.is_empty() {
        let mut script = String::new();
        for (a, b) in &plan.parity_pairs {
            script.push_str(&format!(
                "tierform diff {spec} {a} {b} --format markdown >> \"$GITHUB_STEP_SUMMARY\"\n"
            ));
        }
        steps.push(json!({"name": "Parity report", "run": script}));
    }
    let chunks = plan.targets().count().div_ceil(MATRIX_LIMIT).max(1);
    let mut script = format!(
        "tierform affected {spec} --base \"origin/$BASE_REF\" --format json > \"$RUNNER_TEMP/affected.json\"\n"
    );
    for i in 0..chunks {
        script.push_str(&format!(
            "echo \"chunk_{i}=$(jq -c '.chunks[{i}] // empty' \"$RUNNER_TEMP/affected.json\")\" >> \"$GITHUB_OUTPUT\"\n"
        ));
    }
    steps.push(json!({
        "name": "Affected environments",
        "id": "affected",
        "env": {"BASE_REF": "${{ github.base_ref }}"},
        "run": script,
    }));
    let mut outputs = Map::new();
    for i in 0..chunks {
        outputs.insert(
            format!("chunk_{i}"),
            json!(format!("${{{{ steps.affected.outputs.chunk_{i} }}}}")),
        );
    }
    let mut jobs = Map::new();
    jobs.insert(
        "check".into(),
        json!({
            "name": "tierform check",
            "runs-on": RUNNER,
            "outputs": outputs,
            "steps": steps,
        }),
    );
    for i in 0..chunks {
        let chunk = format!("needs.check.outputs.chunk_{i}");
        jobs.insert(
            format!("plan_{i}"),
            json!({
                "name": "plan ${{ matrix.environment }}",
                "needs": "check",
                "if": format!("{chunk} != ''"),
                "runs-on": RUNNER,
                "permissions": {"contents": "read", "id-token": "write"},
                "strategy": {"fail-fast": false, "matrix": format!("${{{{ fromJSON({chunk}) }}}}")},
                "steps": [
                    checkout(false),
                    aws("${{ matrix.plan_role }}", "${{ matrix.region }}"),
                    terraform(),
                    json!({
                        "name": "Plan",
                        "env": {"DIRECTORY": "${{ matrix.directory }}"},
                        "run": "terraform -chdir=\"$DIRECTORY\" init -input=false\nterraform -chdir=\"$DIRECTORY\" plan -input=false -lock=false\n",
                    }),
                ],
            }),
        );
    }
    json!({
        "name": "tierform pull request",
        "on": {"pull_request": null},
        "permissions": {"contents": "read"},
        "concurrency": {
            "group": "tierform-pr-${{ github.event.pull_request.number }}",
            "cancel-in-progress": true,
        },
        "jobs": jobs,
    })
}

/// The matrix entry of one environment.
fn entry(plan: &Plan, t: &Target) -> Value {
    let mut e = json!({
        "environment": t.name,
        "region": t.region,
        "role": t.deploy_role,
        "smoke": t.smoke_urls.join(" "),
    });
    if plan.kubernetes() {
        e["cluster"] = json!(t.kubernetes);
    }
    e
}

/// The steps that deploy the environment described by `target.<field>` (a matrix entry, or
/// the manual workflow's chosen one).
fn deploy_steps(plan: &Plan, stage: &Stage, field: &dyn Fn(&str) -> String) -> Vec<Value> {
    let mut steps = vec![
        checkout(false),
        aws(&field("role"), &field("region")),
        terraform(),
        json!({
            "name": "Apply Terraform",
            "env": {"ENVIRONMENT": field("environment")},
            "run": "terraform -chdir=\"terraform/$ENVIRONMENT\" init -input=false\nterraform -chdir=\"terraform/$ENVIRONMENT\" apply -input=false -auto-approve\n",
        }),
    ];
    // Without Argo CD, the workflow applies the manifests itself.
    if plan.kubernetes() && !plan.delivery.uses(tierform_model::CiSystem::Argocd) {
        let dir = plan.layout.k8s_dir("$ENVIRONMENT");
        steps.push(json!({
            "name": "Apply Kubernetes manifests",
            "env": {"ENVIRONMENT": field("environment"), "CLUSTER": field("cluster"), "REGION": field("region")},
            "run": format!("aws eks update-kubeconfig --name \"$CLUSTER\" --region \"$REGION\"\nkubectl apply -k \"{dir}\"\n"),
        }));
    }
    if stage.targets.iter().any(|t| !t.smoke_urls.is_empty()) {
        steps.push(json!({
            "name": "Smoke tests",
            "env": {"SMOKE_URLS": field("smoke")},
            "run": SMOKE,
        }));
    }
    if let Some(secret) = &stage.tier.slack_webhook_secret {
        let mut s = step("Notify");
        s.insert("if".into(), json!("always()"));
        s.insert(
            "env".into(),
            json!({
                "SLACK_WEBHOOK_URL": format!("${{{{ secrets.{secret} }}}}"),
                "ENVIRONMENT": field("environment"),
                "STATUS": "${{ job.status }}",
            }),
        );
        s.insert("run".into(), json!(NOTIFY));
        steps.push(Value::Object(s));
    }
    steps
}

/// Calls every URL until it answers 2xx, for up to five minutes (a new task or pod needs
/// time to pass its load balancer's checks); fails the job on anything else.
const SMOKE: &str = r#"set -f
for url in $SMOKE_URLS; do
  for attempt in $(seq 1 20); do
    code=$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time 10 "$url" || true)
    case "$code" in
      2??) echo "ok $code $url"; continue 2 ;;
    esac
    echo "attempt $attempt: $url answered $code"
    sleep 15
  done
  echo "::error::smoke test failed: $url answered $code"
  exit 1
done
"#;

/// Posts the outcome to the Slack webhook kept in the named secret.
const NOTIFY: &str = r#"text="tierform deploy of $ENVIRONMENT: $STATUS ($GITHUB_REPOSITORY@$GITHUB_SHA)"
jq -n --arg text "$text" '{text: $text}' > "$RUNNER_TEMP/slack.json"
curl --fail --silent --show-error --request POST --header 'Content-Type: application/json' --data "@$RUNNER_TEMP/slack.json" "$SLACK_WEBHOOK_URL"
"#;

fn deploy(plan: &Plan, branch: &str) -> Value {
    let mut jobs = Map::new();
    let mut before: Vec<String> = Vec::new();
    for stage in plan
        .stages
        .iter()
        .filter(|s| from_branch(&s.tier) == Some(branch) && !s.targets.is_empty())
    {
        let mut ids = Vec::new();
        let chunks: Vec<&[Target]> = stage.targets.chunks(MATRIX_LIMIT).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            let id = if i == 0 {
                format!("deploy-{}", stage.tier.tier)
            } else {
                format!("deploy-{}-{}", stage.tier.tier, i + 1)
            };
            let include: Vec<Value> = chunk.iter().map(|t| entry(plan, t)).collect();
            let mut job = Map::new();
            job.insert("name".into(), json!("deploy ${{ matrix.environment }}"));
            if !before.is_empty() {
                job.insert("needs".into(), json!(before));
            }
            job.insert("runs-on".into(), json!(RUNNER));
            job.insert("environment".into(), json!("${{ matrix.environment }}"));
            job.insert(
                "permissions".into(),
                json!({"contents": "read", "id-token": "write"}),
            );
            job.insert(
                "strategy".into(),
                json!({"fail-fast": false, "matrix": {"include": include}}),
            );
            job.insert(
                "steps".into(),
                json!(deploy_steps(plan, stage, &|f| format!(
                    "${{{{ matrix.{f} }}}}"
                ))),
            );
            jobs.insert(id.clone(), Value::Object(job));
            ids.push(id);
        }
        before = ids;
    }
    json!({
        "name": format!("tierform deploy ({branch})"),
        "on": {"push": {"branches": [branch]}},
        "permissions": {"contents": "read"},
        "concurrency": {"group": format!("tierform-deploy-{}", slug(branch)), "cancel-in-progress": false},
        "jobs": jobs,
    })
}

fn manual(plan: &Plan) -> Value {
    let stages: Vec<&Stage> = plan
        .stages
        .iter()
        .filter(|s| s.tier.deploy == DeployMode::Manual && !s.targets.is_empty())
        .collect();
    let options: Vec<&str> = stages
        .iter()
        .flat_map(|s| s.targets.iter().map(|t| t.name.as_str()))
        .collect();
    let mut targets = Map::new();
    for s in &stages {
        for t in &s.targets {
            targets.insert(t.name.clone(), entry(plan, t));
        }
    }
    // One job for whichever environment is chosen: its settings looked up by name. The smoke
    // and notification steps are those of any manual tier (they agree when both are declared).
    let mut jobs = Map::new();
    for s in &stages {
        let names: Vec<String> = s.targets.iter().map(|t| format!("'{}'", t.name)).collect();
        let lookup = |f: &str| format!("${{{{ fromJSON(env.TARGETS)[inputs.environment].{f} }}}}");
        jobs.insert(
            format!("deploy-{}", s.tier.tier),
            json!({
                "name": "deploy ${{ inputs.environment }}",
                "if": format!("contains(fromJSON('[{}]'), inputs.environment)", names.join(", ")),
                "runs-on": RUNNER,
                "environment": "${{ inputs.environment }}",
                "permissions": {"contents": "read", "id-token": "write"},
                "env": {"TARGETS": serde_json::to_string(&targets).expect("serialises")},
                "steps": deploy_steps(plan, s, &lookup),
            }),
        );
    }
    json!({
        "name": "tierform deploy (manual)",
        "on": {"workflow_dispatch": {"inputs": {"environment": {
            "description": "The environment to deploy",
            "type": "choice",
            "required": true,
            "options": options,
        }}}},
        "permissions": {"contents": "read"},
        "concurrency": {"group": "tierform-deploy-${{ inputs.environment }}", "cancel-in-progress": false},
        "jobs": jobs,
    })
}
