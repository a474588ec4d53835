//! The `tierform` command: reads a spec, resolves its environments, and writes, checks or
//! compares what they compile to. The only crate that touches the disk, reads the process
//! environment or decides exit codes: 0 success, 1 a check found drift or a parity violation,
//! 2 bad input (nothing written).

mod affected;
mod build;
mod envs;
mod manifests;
mod promote;
mod render;
mod report;
mod runbook;
mod write;

use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use tierform_engine::Emitters;
use tierform_model::{Diagnostics, EnvironmentId, FieldPath, Model};

use crate::render::Style;

pub(crate) const DEFAULT_SPEC: &str = "tierform.hcl";

// Emitting builds many small strings and maps; the profile of a 3,000-environment build spent
// about 40 % of its instructions in the system allocator's malloc and free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Declare infrastructure once; generate Terraform, Kubernetes and docker-compose for every
/// environment, and prove that staging keeps production's structure.
#[derive(Debug, Parser)]
#[command(name = "tierform", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse, validate and resolve every environment, then check parity of every `mirrors`.
    Check {
        /// The spec (HCL, or JSON with a .json name).
        #[arg(default_value = DEFAULT_SPEC)]
        spec: PathBuf,
    },
    /// List the resolved environments: name, tier, instance, runtime, mirrors.
    Envs {
        /// The spec.
        #[arg(default_value = DEFAULT_SPEC)]
        spec: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        /// Only these environments (repeatable); an ephemeral copy such as
        /// `bugfix-vb-rheinaue-1234` is listed with what it copies, its expiry and its teardown.
        #[arg(long = "env")]
        only: Vec<String>,
    },
    /// Show a resolved value of an environment and where it came from.
    Explain {
        /// The environment, such as `staging` or `bugfix-1234`.
        env: String,
        /// The field, such as `database.main.instance_class`.
        path: String,
        /// The spec.
        #[arg(default_value = DEFAULT_SPEC)]
        spec: PathBuf,
    },
    /// Print the JSON Schema of the spec, for editors.
    Schema,
    /// Generate Terraform, Kubernetes and docker-compose files into an output folder.
    Build {
        /// The spec.
        #[arg(default_value = DEFAULT_SPEC)]
        spec: PathBuf,
        /// The output folder.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Only these environments (repeatable); ephemeral copies such as `bugfix-1234` too.
        #[arg(long = "env", value_name = "ENV")]
        envs: Vec<String>,
        /// Write nothing; exit 1 with a diff when the folder differs from what would be generated.
        #[arg(long)]
        check: bool,
        /// Kubernetes layout: a kustomize base plus overlays, or fully rendered folders.
        #[arg(long, value_enum, default_value_t = K8sLayout::Overlays)]
        k8s_layout: K8sLayout,
        /// Terraform layout: every resource in each environment's folder, or each structure
        /// once as a module in terraform/modules/ called by a small root module per environment.
        #[arg(long, value_enum, default_value_t = TfLayout::Env)]
        tf_layout: TfLayout,
        /// Also write the delivery the spec's `delivery` block declares, at the top of the
        /// output folder (the repository root): .github/workflows/tierform-*.yml, atlantis.yaml,
        /// argocd/*.yaml. Whole builds only.
        #[arg(long)]
        delivery: bool,
    },
    /// Compare two environments on what they compile to: violations, exceptions, knobs. The
    /// mirror relation is found in either order; unrelated environments get no verdict.
    Diff {
        /// `[SPEC] ENV_A ENV_B`, in either order.
        #[arg(num_args = 2..=3, required = true, value_name = "[SPEC] ENV_A ENV_B")]
        args: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
    },
    /// List the environments whose generated files differ between the spec at a base revision
    /// and now: which files, and the fields that caused it. A CI matrix with `--format json`.
    Affected(affected::Args),
    /// Move the release (image tag and digest) of services from a tier to the tier it mirrors,
    /// or roll a tier's release back to an earlier git revision, editing the spec in place.
    Promote(promote::Args),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DiffFormat {
    Text,
    Json,
    Markdown,
}

/// How Kubernetes output is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum K8sLayout {
    /// `k8s/base/` plus `k8s/overlays/<env>/` (kustomize).
    Overlays,
    /// `k8s/<env>/`, fully rendered.
    Flat,
}

/// How Terraform output is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TfLayout {
    /// `terraform/<env>/`: one root module per environment, every resource in it.
    Env,
    /// `terraform/modules/<structure>/` once per structure, plus `terraform/<env>/` calling it.
    Module,
}

/// How a command ends when it does not succeed.
pub enum Failure {
    /// Bad input: diagnostics to print, exit 2.
    Input(Diagnostics, Option<tierform_model::Source>),
    /// The output folder could not be read or written: exit 2.
    Io(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let err_style = Style::detect(std::io::stderr().is_terminal());
    match run(cli) {
        Ok(code) => code,
        Err(Failure::Input(ds, source)) => {
            eprint!("{}", render::diagnostics(&ds, source.as_ref(), err_style));
            ExitCode::from(2)
        }
        Err(Failure::Io(msg)) => {
            eprintln!("{}: {msg}", err_style.paint("31;1", "error"));
            ExitCode::from(2)
        }
    }
}

/// Writes to stdout; a closed pipe (`tierform envs | head`) is not an error.
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        std::process::exit(0);
    }
}

/// The date versions are judged at (end of standard support): `TIERFORM_TODAY`
/// (`YYYY-MM-DD`, for reproducible runs and tests), else the system clock's day (UTC). The
/// model and the emitters never read the clock; this is where the date comes in.
pub fn today() -> Result<tierform_model::Date, Failure> {
    match std::env::var("TIERFORM_TODAY") {
        Ok(s) => tierform_model::Date::parse(&s).ok_or_else(|| {
            Failure::Input(
                Diagnostics(vec![tierform_model::Diagnostic::error(
                    "invalid-date",
                    tierform_model::FieldPath(Vec::new()),
                    format!("TIERFORM_TODAY=`{s}` is not a date"),
                )
                .with_help("write it as YYYY-MM-DD, such as 2026-12-01")]),
                None,
            )
        }),
        Err(_) => {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            Ok(tierform_model::Date::from_days_since_epoch(
                i64::try_from(secs / 86_400).unwrap_or(0),
            ))
        }
    }
}

fn load(spec: &Path) -> Result<Model, Failure> {
    let today = today()?;
    let model = Model::load(spec)
        .map(|m| m.with_today(today))
        .map_err(|ds| {
            Failure::Input(
                ds,
                std::fs::read_to_string(spec)
                    .ok()
                    .map(|t| tierform_model::Source::new(spec.display().to_string(), t)),
            )
        })?;
    manifests::read(spec, model)
}

/// Prints warnings to stderr, located in the spec; nothing when there are none.
pub fn warn(model: &Model, ds: &Diagnostics) {
    if !ds.0.is_empty() {
        let style = Style::detect(std::io::stderr().is_terminal());
        eprint!("{}", render::diagnostics(ds, Some(model.source()), style));
    }
}

fn input_error(model: &Model, ds: Diagnostics) -> Failure {
    Failure::Input(ds, Some(model.source().clone()))
}

/// Finds an environment by name, declared or ephemeral.
pub fn find_env(model: &Model, name: &str) -> Result<EnvironmentId, Failure> {
    model.environment(name).map_err(|ds| input_error(model, ds))
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let style = Style::detect(std::io::stdout().is_terminal());
    match cli.command {
        Command::Schema => {
            out(
                &(serde_json::to_string_pretty(&tierform_model::schema::spec_schema())
                    .expect("schema serialises")
                    + "\n"),
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { spec } => {
            let model = load(&spec)?;
            // Each report becomes its text at once: a fleet's reports are not all kept.
            let checked =
                tierform_engine::check_each(&model, |r| (r.holds(), report::text(&r, style, true)))
                    .map_err(|ds| input_error(&model, ds))?;
            warn(&model, &checked.warnings);
            let mut violated = false;
            let mut text = format!(
                "{}: {} environments resolve cleanly\n",
                spec.display(),
                checked.environments
            );
            for (holds, report) in checked.parity {
                violated |= !holds;
                text.push_str(&report);
            }
            out(&text);
            Ok(if violated {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Envs { spec, format, only } => {
            let model = load(&spec)?;
            out(&envs::list(
                &model,
                &only,
                matches!(format, ListFormat::Json),
            )?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { env, path, spec } => {
            let model = load(&spec)?;
            let id = find_env(&model, &env)?;
            let p = model
                .explain(&id, &FieldPath::parse(&path))
                .map_err(|ds| input_error(&model, ds))?;
            let value = serde_json::to_string_pretty(&p.value).expect("values serialise");
            let origin = match (&p.layer, &p.location) {
                (Some(layer), Some(loc)) => format!("set by the {layer} at {loc}"),
                (Some(layer), None) => format!("set by the {layer}"),
                (None, _) => "tierform's default (the spec does not set it)".into(),
            };
            out(&format!("{env}: {path} = {value}\n  {origin}\n"));
            Ok(ExitCode::SUCCESS)
        }
        Command::Build {
            spec,
            out: dir,
            envs,
            check,
            k8s_layout,
            tf_layout,
            delivery,
        } => build::build(&spec, &dir, &envs, check, k8s_layout, tf_layout, delivery),
        Command::Promote(args) => promote::run(&args),
        Command::Affected(args) => affected::run(&args),
        Command::Diff { args, format } => {
            let (spec, a, b) = match args.as_slice() {
                [a, b] => (PathBuf::from(DEFAULT_SPEC), a, b),
                [s, a, b] => (PathBuf::from(s), a, b),
                _ => unreachable!("clap takes 2 or 3"),
            };
            let model = load(&spec)?;
            // The same gate as `check`: a spec with an invalid environment anywhere is refused,
            // so `diff` never blesses what `check` rejects.
            let ds = tierform_engine::validate(&model);
            if ds.has_errors() {
                return Err(input_error(&model, ds));
            }
            let (ia, ib) = (find_env(&model, a)?, find_env(&model, b)?);
            // Templates are read and compiled before comparing: a broken one fails fast.
            let renderer = match format {
                DiffFormat::Markdown => Some(
                    tierform_docs::Renderer::new(&runbook::templates(&spec, &model)?)
                        .map_err(|e| runbook::template_failure(&e))?,
                ),
                _ => None,
            };
            let r = tierform_model::parity::compare(&model, &ia, &ib, &Emitters)
                .map_err(|ds| input_error(&model, ds))?;
            out(&match (format, &renderer) {
                (DiffFormat::Markdown, Some(renderer)) => report::markdown(&r, renderer)?,
                (DiffFormat::Json, _) => report::json(&r),
                _ => report::text(&r, style, false),
            });
            Ok(if r.holds() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}
