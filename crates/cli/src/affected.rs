//! `tierform affected`: the environments a change touches, with their files and causes. The
//! spec at the base revision is read with `git show` (or from a file), both revisions are
//! emitted in memory and compared (tierform-engine's `affected`); nothing is written, no state
//! or credential is read. `--format json` is a GitHub Actions matrix, split into chunks of at
//! most 256 entries (GitHub's limit for one matrix).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;
use serde_json::json;
use tierform_engine::{AffectedEnvironment, Change};
use tierform_model::{Format, Model, Source};

use crate::{input_error, out, Failure, DEFAULT_SPEC};

/// GitHub runs at most 256 jobs from one matrix.
const MATRIX_LIMIT: usize = 256;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The spec, as it is now.
    #[arg(default_value = DEFAULT_SPEC)]
    spec: PathBuf,
    /// The git revision to compare with (`origin/main`, `HEAD~1`): the spec there is read with
    /// `git show`.
    #[arg(
        long,
        conflicts_with = "base_file",
        required_unless_present = "base_file"
    )]
    base: Option<String>,
    /// A file holding the spec to compare with, instead of a git revision.
    #[arg(long, value_name = "PATH")]
    base_file: Option<PathBuf>,
    /// The output folder as generated at the base revision (a checkout of it, such as
    /// `../base/out`): head's files are also compared with these, so that a change of tierform
    /// itself (a new version) is caught where the spec did not change.
    #[arg(long, value_name = "DIR")]
    base_out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AffectedFormat::Text)]
    format: AffectedFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum AffectedFormat {
    Text,
    Json,
}

/// `tierform affected`.
pub fn run(args: &Args) -> Result<ExitCode, Failure> {
    let head = crate::load(&args.spec)?;
    let (label, base) = match (&args.base, &args.base_file) {
        (Some(rev), _) => {
            let (name, text) = crate::promote::spec_at(&args.spec, rev)?;
            let format = Format::from_file_name(&args.spec.display().to_string());
            let model = Model::parse(Source::new(name, text.clone()), format)
                .map(|m| m.with_today(head.today()))
                .map_err(|ds| {
                    Failure::Input(
                        ds,
                        Some(Source::new(format!("{}@{rev}", args.spec.display()), text)),
                    )
                })?;
            (rev.clone(), model)
        }
        (None, Some(file)) => (file.display().to_string(), load_base(file, &head)?),
        (None, None) => unreachable!("clap requires one"),
    };
    if let Some(dir) = args.base_out.as_ref().filter(|d| !d.is_dir()) {
        return Err(Failure::Io(format!(
            "--base-out {}: no such folder (the output folder generated at the base revision)",
            dir.display()
        )));
    }
    // Files are read as the base revision wrote them; one that is missing or unreadable
    // differs. Only paths tierform emits are read: nothing else in the folder counts.
    let read = |path: &str| {
        let dir = args.base_out.as_ref()?;
        std::fs::read_to_string(dir.join(path)).ok()
    };
    let committed: Option<&tierform_engine::Committed<'_>> =
        args.base_out.as_ref().map(|_| &read as _);
    let envs = tierform_engine::affected(
        &base,
        &head,
        tierform_engine::K8sLayout::Overlays,
        committed,
    )
    .map_err(|ds| input_error(&head, ds))?;
    let roles = plan_roles(&head);
    out(&match args.format {
        AffectedFormat::Json => json_report(&label, &envs, &roles),
        AffectedFormat::Text => text_report(&label, &envs),
    });
    Ok(ExitCode::SUCCESS)
}

fn load_base(file: &Path, head: &Model) -> Result<Model, Failure> {
    crate::load(file).map(|m| m.with_today(head.today()))
}

/// Each cloud environment's plan role, from the head's `delivery` block (none without one).
fn plan_roles(head: &Model) -> Vec<(String, String)> {
    let Ok(envs) = tierform_engine::resolve(head, &[]) else {
        return Vec::new();
    };
    match tierform_engine::delivery_plan(head, &envs, &tierform_engine::Options::default()) {
        Ok(Some(plan)) => plan
            .targets()
            .filter_map(|t| Some((t.name.clone(), t.plan_role.clone()?)))
            .collect(),
        _ => Vec::new(),
    }
}

fn json_report(label: &str, envs: &[AffectedEnvironment], roles: &[(String, String)]) -> String {
    let entries: Vec<serde_json::Value> = envs
        .iter()
        .map(|e| {
            json!({
                "environment": e.name,
                "tier": e.tier,
                "change": e.change.as_str(),
                "files": e.files,
                "causes": e.causes,
            })
        })
        .collect();
    // What can be planned: cloud environments that still exist.
    let include: Vec<serde_json::Value> = envs
        .iter()
        .filter(|e| e.cloud && e.change != Change::Removed)
        .map(|e| {
            let mut m = json!({
                "environment": e.name,
                "tier": e.tier,
                "region": e.region,
                "directory": format!("terraform/{}", e.name),
            });
            if let Some((_, role)) = roles.iter().find(|(n, _)| n == &e.name) {
                m["plan_role"] = json!(role);
            }
            m
        })
        .collect();
    let chunks: Vec<serde_json::Value> = include
        .chunks(MATRIX_LIMIT)
        .map(|c| json!({"include": c}))
        .collect();
    let report = json!({
        "base": label,
        "count": envs.len(),
        "environments": entries,
        "chunks": chunks,
    });
    serde_json::to_string_pretty(&report).expect("serialises") + "\n"
}

fn text_report(label: &str, envs: &[AffectedEnvironment]) -> String {
    if envs.is_empty() {
        return format!("no environment is affected (compared with {label})\n");
    }
    let mut s = format!(
        "{} environment(s) affected (compared with {label}):\n",
        envs.len()
    );
    for e in envs {
        s.push_str(&format!(
            "{} ({}, tier {}): {} file(s)\n",
            e.name,
            e.change.as_str(),
            e.tier,
            e.files.len()
        ));
        for f in &e.files {
            s.push_str(&format!("  {f}\n"));
        }
        if !e.causes.is_empty() {
            s.push_str(&format!("  because of: {}\n", e.causes.join(", ")));
        }
    }
    s
}
