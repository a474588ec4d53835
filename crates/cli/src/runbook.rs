//! The runbooks a build writes under `docs/`: the CLI's side of tierform-docs. Reads the
//! template folder a spec names (`docs { templates = "runbooks/" }`, relative to the spec),
//! compiles the templates once, and renders each environment's runbook in the worker that
//! emits that environment. Also the whole output of a build in memory, for `promote`'s report.

use std::path::{Component, Path, PathBuf};

use tierform_docs::{
    Options, Renderer, Template, TemplateError, Templates, ENVIRONMENT_TEMPLATE, INDEX_TEMPLATE,
    PARITY_TEMPLATE,
};
use tierform_model::{Diagnostic, Environment, EnvironmentId, FieldPath, FileSet, Location, Model};

use tierform_engine::{environment_files, kustomize_base, K8sLayout};

use crate::{input_error, Failure};

/// `path` made absolute without requiring it to exist: the longest existing ancestor is
/// canonicalised (symbolic links resolved) and the rest appended.
fn absolute(path: &Path) -> PathBuf {
    let p = if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut rest = Vec::new();
    let mut cur = p.as_path();
    loop {
        if let Ok(c) = std::fs::canonicalize(cur) {
            return rest.iter().rev().fold(c, |acc, part| acc.join(part));
        }
        match (cur.parent(), cur.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                cur = parent;
            }
            _ => return p,
        }
    }
}

/// The spec as seen from the output folder, such as `../tierform.hcl`: how runbooks name it,
/// so that they read the same wherever the folder is (as long as it keeps its place beside
/// the spec). Falls back to the spec's absolute path when there is no relative one.
pub fn spec_from(out: &Path, spec: &Path) -> String {
    let (from, to) = (absolute(out), absolute(spec));
    let (f, t): (Vec<Component>, Vec<Component>) =
        (from.components().collect(), to.components().collect());
    if f.first() != t.first() {
        return command_path(&to);
    }
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut rel = PathBuf::new();
    for _ in common..f.len() {
        rel.push("..");
    }
    for c in &t[common..] {
        rel.push(c.as_os_str());
    }
    command_path(&rel)
}

/// A path as a runbook's commands should name it: `/`-separated, without `./`.
pub fn command_path(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let joined = if path.has_root() && parts.first().is_some_and(|p| p == "/") {
        format!("/{}", parts[1..].join("/"))
    } else {
        parts.join("/")
    };
    if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

/// The templates a spec's `docs { templates = "…" }` folder overrides (relative to the spec),
/// the built-in ones for the rest.
///
/// # Errors
/// The folder does not exist (located at the spec's `templates`) or a file cannot be read.
pub fn templates(spec: &Path, model: &Model) -> Result<Templates, Failure> {
    let mut templates = Templates::default();
    if let Some(folder) = &model.docs().templates {
        let base = spec.parent().unwrap_or(Path::new(""));
        let dir = base.join(folder);
        if !dir.is_dir() {
            let d = Diagnostic::error(
                "templates-missing",
                FieldPath(vec!["docs".into(), "templates".into()]),
                format!("the runbook template folder `{}` does not exist", dir.display()),
            )
            .with_span(model.docs().templates_span)
            .with_help(format!(
                "create it with {ENVIRONMENT_TEMPLATE}, {INDEX_TEMPLATE} and/or {PARITY_TEMPLATE}, or remove `templates` (the path is relative to the spec)"
            ));
            return Err(input_error(model, model.source().locate(d).into()));
        }
        for (name, slot) in [
            (ENVIRONMENT_TEMPLATE, &mut templates.environment),
            (INDEX_TEMPLATE, &mut templates.index),
            (PARITY_TEMPLATE, &mut templates.parity),
        ] {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    *slot = Template {
                        name: command_path(&path),
                        text,
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Failure::Io(format!("{}: {e}", path.display()))),
            }
        }
    }
    Ok(templates)
}

/// A template that failed, as a diagnostic located in the template file.
pub fn template_failure(e: &TemplateError) -> Failure {
    let mut d = Diagnostic::error(
        "template",
        FieldPath(vec!["docs".into(), "templates".into()]),
        format!("the runbook template `{}` fails: {}", e.template, e.message),
    )
    .with_help(
        "fix the template; the values a runbook template may name are the fields of tierform-docs' EnvironmentDoc and IndexDoc (README, Runbooks)",
    );
    if let Some(line) = e.line {
        d.location = Some(Location::new(
            e.template.clone(),
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(e.column.unwrap_or(1)).unwrap_or(u32::MAX),
        ));
    }
    Failure::Input(d.into(), None)
}

/// The runbooks of one build: the compiled templates and how commands name paths.
pub struct Runbooks {
    renderer: Renderer,
    options: Options,
}

impl Runbooks {
    /// Reads the templates the spec names (the built-in ones otherwise) and compiles them.
    ///
    /// # Errors
    /// The folder cannot be read (located at the spec's `templates`), or a template does not
    /// compile (located in the template).
    pub fn prepare(
        spec: &Path,
        out: &Path,
        model: &Model,
        layout: K8sLayout,
    ) -> Result<Runbooks, Failure> {
        let templates = templates(spec, model)?;
        let renderer = Renderer::new(&templates).map_err(|e| template_failure(&e))?;
        Ok(Runbooks {
            renderer,
            options: Options {
                spec: spec_from(out, spec),
                k8s_flat: layout == K8sLayout::Flat,
            },
        })
    }

    /// `docs/<env>.md` of one environment.
    pub fn environment(
        &self,
        model: &Model,
        id: &EnvironmentId,
        env: &Environment,
    ) -> Result<FileSet, Failure> {
        tierform_docs::environment_file(model, id, env, &self.options, &self.renderer).map_err(
            |e| match e {
                tierform_docs::DocsError::Model(ds) => input_error(model, ds),
                tierform_docs::DocsError::Template(e) => template_failure(&e),
            },
        )
    }

    /// `docs/README.md`.
    pub fn index(&self, model: &Model) -> Result<FileSet, Failure> {
        tierform_docs::index_file(model, &self.options, &self.renderer)
            .map_err(|e| template_failure(&e))
    }

    /// The paths of the runbooks of these environments, and the index.
    pub fn paths<'a>(envs: impl IntoIterator<Item = &'a Environment>) -> Vec<String> {
        let mut p: Vec<String> = envs
            .into_iter()
            .map(|e| format!("docs/{}.md", e.name))
            .collect();
        p.push("docs/README.md".into());
        p
    }
}

/// Everything `tierform build SPEC --out OUT` writes for every declared environment, in
/// memory: the Kubernetes base, each environment's files and runbook, and the index.
pub fn whole_build(
    model: &Model,
    runbooks: &Runbooks,
    layout: K8sLayout,
) -> Result<FileSet, Failure> {
    let ids = model.environments();
    let mut files = FileSet::new();
    let mut envs = Vec::with_capacity(ids.len());
    for id in &ids {
        envs.push(model.resolve(id).map_err(|ds| input_error(model, ds))?);
    }
    let add = |files: &mut FileSet, more: FileSet| {
        for (p, c) in more {
            files.insert(p.to_string(), c);
        }
    };
    if let Some(base) = kustomize_base(model, &envs, layout).map_err(|ds| input_error(model, ds))? {
        add(&mut files, base);
    }
    for (id, env) in ids.iter().zip(&envs) {
        add(&mut files, environment_files(env, layout));
        add(&mut files, runbooks.environment(model, id, env)?);
    }
    add(&mut files, runbooks.index(model)?);
    Ok(files)
}
