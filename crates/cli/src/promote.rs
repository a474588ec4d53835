//! `tierform promote`: moves the release knobs (`service.<name>.tag` and `.digest`) of
//! services from one tier to the next one in the promotion chain, or back to what a tier ran
//! at an earlier git revision, by editing the spec in place (comments and layout kept).
//!
//! The chain follows `mirrors`: a tier that mirrors another is the one closer to production
//! (`staging` mirrors `prod`), so a release moves from `--from` to the tier it mirrors:
//! `--from staging --to prod`. The edited spec is parsed and checked in memory with every rule
//! of the target tier before anything is written, and the report shows what changes in the
//! spec and in every file `tierform build` would write.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;
use indexmap::IndexMap;
use serde_json::Value;
use tierform_model::edit::{set_in_tier, Assignment};
use tierform_model::{
    did_you_mean, Diagnostic, Diagnostics, FieldPath, FileSet, Format, Model, Source, Tier,
};

use crate::runbook::{whole_build, Runbooks};
use crate::{input_error, out, Failure, DEFAULT_SPEC};

/// `tierform promote`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The spec (HCL, or JSON with a .json name); edited in place.
    #[arg(default_value = DEFAULT_SPEC)]
    spec: PathBuf,
    /// The tier the release comes from; it must mirror `--to` (the next tier of the chain).
    #[arg(long, required_unless_present = "release", conflicts_with = "release")]
    from: Option<String>,
    /// The tier that receives the release.
    #[arg(long)]
    to: String,
    /// Only these services (repeatable); default: every service whose release differs.
    #[arg(long = "service", value_name = "NAME")]
    services: Vec<String>,
    /// Roll back: take `--to`'s release from the spec at this git revision (a commit, a tag,
    /// `HEAD~1`) instead of from another tier.
    #[arg(long, value_name = "GIT_REV")]
    release: Option<String>,
    /// Show what would change and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Report format: text, or Markdown for a pull request.
    #[arg(long, value_enum, default_value_t = PromoteFormat::Text)]
    format: PromoteFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PromoteFormat {
    Text,
    Markdown,
}

/// A service's release: the knobs `promote` moves.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Release {
    tag: String,
    digest: Option<String>,
}

fn error(code: &'static str, path: FieldPath, message: String, help: String) -> Diagnostics {
    Diagnostic::error(code, path, message)
        .with_help(help)
        .into()
}

fn find_tier<'m>(model: &'m Model, name: &str, flag: &str) -> Result<&'m Tier, Failure> {
    model.tier(name).ok_or_else(|| {
        let names: Vec<String> = model.tiers().iter().map(|t| t.name.clone()).collect();
        let help = match did_you_mean(name, names.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("the tiers are: {}", names.join(", ")),
        };
        input_error(
            model,
            error(
                "unknown-tier",
                FieldPath(vec!["tier".into(), name.into()]),
                format!("{flag} names no tier: `{name}`"),
                help,
            ),
        )
    })
}

/// The release of every service in the environments of one tier, which must agree.
fn releases(model: &Model, tier: &str) -> Result<IndexMap<String, Release>, Diagnostics> {
    let ti = model
        .tiers()
        .iter()
        .position(|t| t.name == tier)
        .expect("a declared tier");
    let mut out: IndexMap<String, (String, Release)> = IndexMap::new();
    let ids: Vec<_> = model
        .environments()
        .into_iter()
        .filter(|id| id.tier_index() == ti)
        .collect();
    if ids.is_empty() {
        return Err(error(
            "no-environment",
            FieldPath(vec!["tier".into(), tier.into()]),
            format!("tier `{tier}` has no declared environment (an ephemeral tier is a copy created by name)"),
            "promote between declared tiers; rebuild an ephemeral copy from the tier it copies".into(),
        ));
    }
    for id in ids {
        let env = model.resolve(&id)?;
        for (name, s) in &env.app.services {
            let r = Release {
                tag: s.tag.clone(),
                digest: s.digest.clone(),
            };
            match out.get(name) {
                Some((other, seen)) if *seen != r => {
                    return Err(error(
                        "release-differs",
                        FieldPath(vec!["service".into(), name.clone(), "tag".into()]),
                        format!(
                            "the environments of tier `{tier}` run different releases of `{name}`: `{other}` runs {}, `{}` runs {}",
                            show(seen),
                            id.name,
                            show(&r)
                        ),
                        "promote moves one release per tier: set the release in the tier, not per tenant or instance".into(),
                    ));
                }
                Some(_) => {}
                None => {
                    out.insert(name.clone(), (id.name.clone(), r));
                }
            }
        }
    }
    Ok(out.into_iter().map(|(k, (_, r))| (k, r)).collect())
}

fn show(r: &Release) -> String {
    match &r.digest {
        Some(d) => format!("{}@{d}", r.tag),
        None => r.tag.clone(),
    }
}

fn value(v: &Option<String>) -> Value {
    v.clone().map_or(Value::Null, Value::String)
}

/// Runs `git` in `dir`, returning its standard output.
fn git(dir: &Path, args: &[&str]) -> Result<String, Failure> {
    let shown = args.join(" ");
    let o = std::process::Command::new("git")
        .arg("-C")
        .arg(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        })
        .args(args)
        .output()
        .map_err(|e| {
            Failure::Io(format!(
                "cannot run `git {shown}` (git is needed to read the spec at a revision): {e}"
            ))
        })?;
    if !o.status.success() {
        return Err(Failure::Io(format!(
            "`git {shown}` failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )));
    }
    String::from_utf8(o.stdout)
        .map_err(|_| Failure::Io(format!("`git {shown}` printed something that is not UTF-8")))
}

/// The spec as it was at a git revision: `git show <rev>:<path from the repository root>`.
pub(crate) fn spec_at(spec: &Path, rev: &str) -> Result<(String, String), Failure> {
    if rev.is_empty()
        || rev.starts_with('-')
        || rev.contains(':')
        || rev.chars().any(char::is_control)
    {
        return Err(Failure::Io(format!(
            "`{rev}` is not a git revision tierform accepts: name a commit, a tag or `HEAD~1` (no leading `-`, no `:`)"
        )));
    }
    let dir = spec.parent().unwrap_or(Path::new(""));
    let name = spec
        .file_name()
        .ok_or_else(|| Failure::Io(format!("{}: not a file", spec.display())))?
        .to_string_lossy();
    let prefix = git(dir, &["rev-parse", "--show-prefix"])?;
    let in_repo = format!("{}{name}", prefix.trim_end_matches(['\n', '\r']));
    let text = git(dir, &["show", &format!("{rev}:{in_repo}")])?;
    Ok((format!("{}@{rev}", spec.display()), text))
}

/// A service whose release changes: its name, the release the target runs now, the next one.
type Change<'a> = (&'a String, &'a Release, &'a Release);

/// `tierform promote`.
pub fn run(args: &Args) -> Result<ExitCode, Failure> {
    let spec = &args.spec;
    let model = crate::load(spec)?;
    // The spec must be valid before it is edited: promote never blesses what `check` rejects.
    let (_, ds) = model.check();
    if ds.has_errors() {
        return Err(input_error(&model, ds));
    }
    let to = target_tier(&model, &args.to)?;

    // Where the release comes from: the tier that mirrors `--to`, or `--to` at a revision.
    let (old, source_tier, title) = release_source(args, &model, to)?;
    let source = old.as_ref().unwrap_or(&model);
    let from_releases = releases(source, &source_tier)
        .map_err(|ds| Failure::Input(ds, Some(source.source().clone())))?;
    let to_releases = releases(&model, &to.name).map_err(|ds| input_error(&model, ds))?;

    let names = chosen_services(args, &model, &from_releases, &to_releases)?;
    let changes: Vec<Change> = names
        .iter()
        .map(|n| (n, &to_releases[n], &from_releases[n]))
        .filter(|(_, now, next)| now != next)
        .collect();
    if changes.is_empty() {
        out(&format!(
            "{title}: nothing to do, {} already runs that release of {}\n",
            to.name,
            if names.is_empty() {
                "every service".to_owned()
            } else {
                names.join(", ")
            }
        ));
        return Ok(ExitCode::SUCCESS);
    }
    if to.production {
        require_pinned(to, source, &source_tier, &changes)?;
    }

    let text = model.source().text();
    let (new_text, new_model) = edit_and_check(&model, to, &title, &changes)?;

    // What changes in the spec and in every generated file (as `build` writes them).
    let layout = tierform_engine::K8sLayout::Overlays;
    let runbooks = Runbooks::prepare(spec, Path::new("out"), &model, layout)?;
    let before = whole_build(&model, &runbooks, layout)?;
    let after = whole_build(&new_model, &runbooks, layout)?;
    let spec_name = model.source().name().to_owned();
    let report = Report {
        title: &title,
        to: &to.name,
        changes: &changes,
        spec: &spec_name,
        old: text,
        new: &new_text,
        before: &before,
        after: &after,
    };
    let report = match args.format {
        PromoteFormat::Text => report.text(),
        PromoteFormat::Markdown => report.markdown(),
    };
    if args.dry_run {
        out(&report);
        eprintln!("dry run: {spec_name} not written");
        return Ok(ExitCode::SUCCESS);
    }
    crate::write::replace_file(spec, text.as_bytes(), new_text.as_bytes())
        .map_err(|e| Failure::Io(format!("{}: {e}", spec.display())))?;
    out(&report);
    eprintln!(
        "wrote {spec_name}: run `tierform build` and commit the spec with the generated files"
    );
    Ok(ExitCode::SUCCESS)
}

/// The tier `--to` names, which must be declared: an ephemeral tier's copies run the
/// release of the tier they copy.
fn target_tier<'m>(model: &'m Model, name: &str) -> Result<&'m Tier, Failure> {
    let to = find_tier(model, name, "--to")?;
    if to.ephemeral {
        return Err(input_error(
            model,
            error(
                "ephemeral-target",
                FieldPath(vec!["tier".into(), to.name.clone()]),
                format!(
                    "tier `{}` is ephemeral: its copies run the release of the tier they copy",
                    to.name
                ),
                "promote into the tier it mirrors instead".into(),
            ),
        ));
    }
    Ok(to)
}

/// Where the release comes from: the model at `--release` when rolling back (else the spec
/// itself, returned as `None`), the tier whose release is taken, and the report's title.
fn release_source(
    args: &Args,
    model: &Model,
    to: &Tier,
) -> Result<(Option<Model>, String, String), Failure> {
    match (&args.from, &args.release) {
        (Some(from), None) => {
            let f = find_tier(model, from, "--from")?;
            if f.mirrors.as_deref() != Some(to.name.as_str()) || f.ephemeral {
                return Err(not_next_tier(model, from, f, to));
            }
            Ok((
                None,
                f.name.clone(),
                format!("promote {} -> {}", f.name, to.name),
            ))
        }
        (None, Some(rev)) => {
            let spec = &args.spec;
            let (name, text) = spec_at(spec, rev)?;
            let format = Format::from_file_name(&spec.display().to_string());
            let source = Source::new(name, text);
            let old = Model::parse(source.clone(), format)
                .map(|m| m.with_today(model.today()))
                .map_err(|ds| Failure::Input(ds, Some(source)))?;
            if old.tier(&to.name).is_none() {
                return Err(Failure::Io(format!(
                    "the spec at {rev} declares no tier `{}`: nothing to roll back to",
                    to.name
                )));
            }
            Ok((
                Some(old),
                to.name.clone(),
                format!("roll back {} to its release at {rev}", to.name),
            ))
        }
        _ => unreachable!("clap requires exactly one of --from and --release"),
    }
}

/// `--from` is not the tier that mirrors `--to`: a release moves one step of the chain at a
/// time, and the help lists the steps.
fn not_next_tier(model: &Model, from: &str, f: &Tier, to: &Tier) -> Failure {
    let next: Vec<String> = model
        .tiers()
        .iter()
        .filter(|t| !t.ephemeral && t.mirrors.is_some())
        .map(|t| {
            format!(
                "--from {} --to {}",
                t.name,
                t.mirrors.as_deref().unwrap_or("")
            )
        })
        .collect();
    let here = match &f.mirrors {
        Some(m) => format!("`{from}` mirrors `{m}`"),
        None => format!("`{from}` mirrors no tier"),
    };
    input_error(
        model,
        error(
            "not-next-tier",
            FieldPath(vec!["tier".into(), from.into(), "mirrors".into()]),
            format!("a release moves from a tier to the tier it mirrors, one step at a time; {here}, not `{}`", to.name),
            if next.is_empty() {
                "no tier mirrors another in this spec".into()
            } else {
                format!("the steps of this spec's chain: {}", next.join("; "))
            },
        ),
    )
}

/// Which services: the named ones (each known on both sides), or every one whose release
/// differs.
fn chosen_services(
    args: &Args,
    model: &Model,
    from_releases: &IndexMap<String, Release>,
    to_releases: &IndexMap<String, Release>,
) -> Result<Vec<String>, Failure> {
    if args.services.is_empty() {
        return Ok(from_releases
            .iter()
            .filter(|(n, r)| to_releases.get(*n).is_some_and(|t| t != *r))
            .map(|(n, _)| n.clone())
            .collect());
    }
    for n in &args.services {
        if !to_releases.contains_key(n) || !from_releases.contains_key(n) {
            let known: Vec<String> = to_releases.keys().cloned().collect();
            let help = match did_you_mean(n, known.iter().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("the services are: {}", known.join(", ")),
            };
            return Err(input_error(
                model,
                error(
                    "unknown-service",
                    FieldPath(vec!["service".into(), n.clone()]),
                    format!("--service names no service of both sides: `{n}`"),
                    help,
                ),
            ));
        }
    }
    Ok(args.services.clone())
}

/// Production takes a release only with its content pinned: a digest, the image that was
/// tested where it comes from. A tag alone can be pushed again in between.
fn require_pinned(
    to: &Tier,
    source: &Model,
    source_tier: &str,
    changes: &[Change],
) -> Result<(), Failure> {
    let mut ds = Diagnostics::default();
    for (name, _, next) in changes {
        if next.digest.is_none() {
            let mut d = Diagnostic::error(
                "unpinned-release",
                FieldPath(vec!["service".into(), (*name).clone(), "digest".into()]),
                format!(
                    "production tier `{}` takes a release only with its digest, and `{source_tier}` runs `{name}` {} without one",
                    to.name, next.tag
                ),
            )
            .with_help(format!(
                "pin the image that was tested in `{source_tier}`: set `digest = \"sha256:…\"` for `{name}` there, then promote"
            ));
            d.location = release_location(source, source_tier, name);
            ds.0.push(d);
        }
    }
    if ds.has_errors() {
        return Err(Failure::Input(ds, Some(source.source().clone())));
    }
    Ok(())
}

/// Where the source tier's first environment sets a service's release (its digest, else
/// its tag), for the diagnostic to point at.
fn release_location(
    source: &Model,
    source_tier: &str,
    name: &str,
) -> Option<tierform_model::Location> {
    source
        .environments()
        .into_iter()
        .find(|id| source.tiers()[id.tier_index()].name == source_tier)
        .and_then(|id| {
            ["digest", "tag"].iter().find_map(|f| {
                source
                    .explain(
                        &id,
                        &FieldPath(vec!["service".into(), name.to_owned(), (*f).into()]),
                    )
                    .ok()
                    .and_then(|p| p.location)
            })
        })
}

/// The assignments that move each changed release into the target tier: the tag and the
/// digest, each only when it differs.
fn assignments(changes: &[Change]) -> Vec<Assignment> {
    let mut assignments = Vec::new();
    for (name, now, next) in changes {
        let path = |f: &str| FieldPath(vec!["service".into(), (*name).clone(), f.into()]);
        if now.tag != next.tag {
            assignments.push(Assignment {
                path: path("tag"),
                value: Value::String(next.tag.clone()),
            });
        }
        if now.digest != next.digest {
            assignments.push(Assignment {
                path: path("digest"),
                value: value(&next.digest),
            });
        }
    }
    assignments
}

/// Edits the spec text, then parses and checks it as `check` would, before anything is
/// written: the edited text and its model.
fn edit_and_check(
    model: &Model,
    to: &Tier,
    title: &str,
    changes: &[Change],
) -> Result<(String, Model), Failure> {
    let text = model.source().text();
    let format = Format::from_file_name(model.source().name());
    let new_text = set_in_tier(text, format, &to.name, &assignments(changes)).map_err(|ds| {
        let ds = Diagnostics(ds.0.into_iter().map(|d| model.source().locate(d)).collect());
        input_error(model, ds)
    })?;
    let new_source = Source::new(model.source().name(), new_text.clone());
    let refused = |mut ds: Diagnostics| {
        ds.0.push(
            Diagnostic::error(
                "promote-refused",
                FieldPath::default(),
                format!("the spec as `{title}` would write it is refused; nothing was written"),
            )
            .with_help("the errors above point into the edited spec; fix the release where it comes from, or promote fewer services with --service"),
        );
        Failure::Input(ds, Some(new_source.clone()))
    };
    let new_model = Model::parse(new_source.clone(), format)
        .map(|m| m.with_today(model.today()))
        .map_err(refused)?;
    let new_model = crate::manifests::read(std::path::Path::new(model.source().name()), new_model)?;
    let (_, ds) = new_model.check();
    if ds.has_errors() {
        return Err(refused(ds));
    }
    // The release must land in every environment of the tier: a tenant or instance that sets
    // its own tag would keep it.
    let landed = releases(&new_model, &to.name).map_err(refused)?;
    for (name, _, next) in changes {
        if landed.get(*name) != Some(next) {
            return Err(refused(error(
                "release-shadowed",
                FieldPath(vec!["service".into(), (*name).clone(), "tag".into()]),
                format!("after the edit, tier `{}` still does not run {} of `{name}`: a tenant or instance sets its own release", to.name, show(next)),
                "remove the release from the tenant or instance, so that the tier's release applies".into(),
            )));
        }
    }
    Ok((new_text, new_model))
}

/// Unified diffs of the files that differ between two builds, in path order.
fn file_diffs(before: &FileSet, after: &FileSet) -> Vec<(String, String)> {
    let mut paths: Vec<String> = before
        .iter()
        .chain(after.iter())
        .map(|(p, _)| p.to_string())
        .collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|p| {
            let (a, b) = (before.get(&p), after.get(&p));
            (a != b).then(|| {
                let d = similar::TextDiff::from_lines(a.unwrap_or(""), b.unwrap_or(""))
                    .unified_diff()
                    .context_radius(2)
                    .header(
                        if a.is_some() { &p } else { "/dev/null" },
                        if b.is_some() { &p } else { "/dev/null" },
                    )
                    .to_string();
                (p, d)
            })
        })
        .collect()
}

fn spec_diff(name: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(2)
        .header(name, name)
        .to_string()
}

fn digest_text(d: &Option<String>) -> String {
    d.clone().unwrap_or_else(|| "(none)".into())
}

/// A fence longer than any run of backticks in `text`.
fn fence(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// What `promote` shows before it writes: the release changes, the spec's diff and the diff
/// of every generated file.
struct Report<'a> {
    title: &'a str,
    to: &'a str,
    changes: &'a [Change<'a>],
    spec: &'a str,
    old: &'a str,
    new: &'a str,
    before: &'a FileSet,
    after: &'a FileSet,
}

impl Report<'_> {
    /// For a terminal.
    fn text(&self) -> String {
        let mut s = format!("{} ({})\n", self.title, self.spec);
        let width = self
            .changes
            .iter()
            .map(|(n, _, _)| n.len())
            .max()
            .unwrap_or(0);
        for (n, now, next) in self.changes {
            let _ = writeln!(s, "  {n:<width$}  tag {} -> {}", now.tag, next.tag);
            if now.digest != next.digest {
                let _ = writeln!(
                    s,
                    "  {:<width$}  digest {} -> {}",
                    "",
                    digest_text(&now.digest),
                    digest_text(&next.digest)
                );
            }
        }
        let _ = write!(
            s,
            "\nthe spec ({}'s release):\n{}",
            self.to,
            spec_diff(self.spec, self.old, self.new)
        );
        let diffs = file_diffs(self.before, self.after);
        let _ = writeln!(
            s,
            "\n{} generated file(s) change (as `tierform build` writes them):",
            diffs.len()
        );
        for (_, d) in diffs {
            s.push_str(&d);
        }
        s
    }

    /// For a pull request.
    fn markdown(&self) -> String {
        use tierform_docs::escape as md;
        let mut s = format!("### {}\n\n", md(self.title));
        let _ = writeln!(
            s,
            "| Service | Field | {} now | after |\n|---|---|---|---|",
            md(self.to)
        );
        for (n, now, next) in self.changes {
            let _ = writeln!(
                s,
                "| {} | tag | {} | {} |",
                md(n),
                md(&now.tag),
                md(&next.tag)
            );
            if now.digest != next.digest {
                let _ = writeln!(
                    s,
                    "| {} | digest | {} | {} |",
                    md(n),
                    md(&digest_text(&now.digest)),
                    md(&digest_text(&next.digest))
                );
            }
        }
        let d = spec_diff(self.spec, self.old, self.new);
        let f = fence(&d);
        let _ = write!(
            s,
            "\n<details><summary>The spec: {}</summary>\n\n{f}diff\n{d}{f}\n\n</details>\n",
            md(self.spec)
        );
        let diffs = file_diffs(self.before, self.after);
        let all: String = diffs.iter().map(|(_, d)| d.as_str()).collect();
        let f = fence(&all);
        let _ = writeln!(
            s,
            "\n<details><summary>{} generated file(s) change</summary>\n\n{f}diff\n{all}{f}\n\n</details>",
            diffs.len()
        );
        s
    }
}
