//! From a parsed spec to environments: the tier graph, tenants and instances, overrides, and
//! the resolution of one concrete [`Environment`] per tier x instance.

use std::sync::Arc;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::de::from_node;
use crate::diagnostic::{did_you_mean, Diagnostic, Diagnostics, FieldPath, Span};
use crate::environment::{Environment, Runtime};
use crate::knob::{covers, knob_for, KnobKind};
use crate::node::{from_hcl, from_json, Field, Layer, Node, Value};
use crate::source::{Format, Source};
use crate::spec::App;
use crate::validate;

/// The largest spec tierform reads. Real specs are a few KiB; a thousand tenants fit in 100 KiB.
pub const MAX_SPEC_BYTES: usize = 4 << 20;
/// The most environments one spec may fan out to: three tiers for 3,000 tenants. Past that a
/// 16 KiB spec could ask for minutes of work.
pub const MAX_ENVIRONMENTS: usize = 10_000;

/// Keys of a `tier` block that describe the tier rather than override the base.
const TIER_KEYS: &[&str] = &[
    "description",
    "mirrors",
    "runtime",
    "production",
    "ephemeral",
    "per_tenant",
    "may_differ",
    "exception",
    "instance",
];

/// The top-level keys of a spec besides `tier` and `tenant`: what a tier may override.
pub(crate) const APP_KEYS: &[&str] = &[
    "app",
    "region",
    "state",
    "network",
    "platform",
    "database",
    "cache",
    "secret",
    "service",
    "observability",
    "external_service",
    "feature_flags",
    "access",
    "data_refresh",
];

/// Collections of named things: a tier may change an entry but not invent one.
const COLLECTIONS: &[&str] = &[
    "database",
    "cache",
    "secret",
    "service",
    "external_service",
    "platform",
    "platform.eks.node_group",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TierMeta {
    #[serde(default)]
    #[allow(dead_code)]
    // documentation for readers of the spec; kept so it is not an unknown key
    description: Option<String>,
    #[serde(default)]
    mirrors: Option<String>,
    #[serde(default)]
    runtime: Runtime,
    #[serde(default)]
    production: Option<bool>,
    #[serde(default)]
    ephemeral: bool,
    #[serde(default)]
    per_tenant: bool,
    #[serde(default)]
    may_differ: Option<Vec<KnobKind>>,
    #[serde(default)]
    exception: IndexMap<String, ExceptionMeta>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExceptionMeta {
    #[serde(default)]
    reason: Option<String>,
}

/// A structural difference a mirroring tier is allowed, with the reason the spec gives.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Exception {
    /// The one field (or object) that may differ, such as `database.main.read_replicas`.
    pub path: String,
    /// Why: shown in every parity report.
    pub reason: String,
    /// Where the exception is declared.
    pub span: Option<Span>,
}

impl Exception {
    /// Whether this exception covers a field.
    pub fn covers(&self, path: &FieldPath) -> bool {
        covers(&self.path, path)
    }
}

/// A named set of overrides: a tenant, or an instance of a tier.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Variant {
    /// Its name.
    pub name: String,
    /// Where it is declared.
    pub span: Option<Span>,
    overrides: Node,
}

/// A tier of the promotion chain.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Tier {
    /// The tier's name.
    pub name: String,
    /// Where the tier is declared.
    pub span: Option<Span>,
    /// The tier it promises to mirror (and starts from).
    pub mirrors: Option<String>,
    /// Cloud or local.
    pub runtime: Runtime,
    /// Production rules apply (pinned tags, final snapshots).
    pub production: bool,
    /// Environments of this tier are temporary copies, named `<tier>-<id>` on demand.
    pub ephemeral: bool,
    /// One environment per tenant.
    pub per_tenant: bool,
    /// The knob kinds this tier may change relative to the one it mirrors.
    pub may_differ: Vec<KnobKind>,
    /// Declared structural exceptions.
    pub exceptions: Vec<Exception>,
    /// Named instances (`instance "ledgers" { … }`).
    pub instances: Vec<Variant>,
    overrides: Node,
    mirrors_span: Option<Span>,
    per_tenant_span: Option<Span>,
}

/// Which environment: a tier and, where it fans out, one of its instances.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EnvironmentId {
    /// The environment name.
    pub name: String,
    tier: usize,
    member: Member,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Member {
    Whole,
    Instance(usize),
    Tenant(usize),
    Ephemeral(String),
}

impl EnvironmentId {
    /// The index of the tier in promotion order.
    pub fn tier_index(&self) -> usize {
        self.tier
    }
}

/// Where a resolved value came from.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Provenance {
    /// The value.
    pub value: serde_json::Value,
    /// The layer that set it; `None` when it is tierform's default.
    pub layer: Option<Layer>,
    /// Where in the spec.
    pub location: Option<crate::Location>,
}

/// A parsed and checked spec: the base, tiers and tenants. Resolve environments from it.
#[derive(Debug, Clone)]
pub struct Model {
    source: Source,
    base: Node,
    tiers: Vec<Tier>,
    tenants: Vec<Variant>,
    /// Per tier: the base with the mirrored tiers' and the tier's own overrides merged in.
    tier_trees: Vec<Node>,
    warnings: Diagnostics,
    docs: DocsSettings,
}

/// The spec's `docs { … }` block: how runbooks are rendered. Not part of any environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocsSettings {
    /// A folder of Handlebars templates overriding the built-in ones, relative to the spec.
    pub templates: Option<String>,
    /// Where `templates` is set.
    pub templates_span: Option<Span>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocsMeta {
    #[serde(default)]
    templates: Option<String>,
}

impl Model {
    /// Reads a spec file. The only I/O in this crate.
    ///
    /// # Errors
    /// The file cannot be read, is not UTF-8, is too large, or is not a valid spec.
    pub fn load(path: &std::path::Path) -> Result<Model, Diagnostics> {
        let name = path.display().to_string();
        let io = |code: &'static str, msg: String, help: &str| -> Diagnostics {
            let mut d = Diagnostic::error(code, FieldPath::default(), msg).with_help(help);
            d.location = Some(crate::Location {
                file: name.clone(),
                line: 1,
                column: 1,
            });
            d.into()
        };
        let meta = std::fs::metadata(path)
            .map_err(|e| io("io", format!("cannot read the spec: {e}"), "check the path"))?;
        if meta.is_dir() {
            return Err(io(
                "io",
                "the spec path is a directory".into(),
                "name the spec file, such as tierform.hcl",
            ));
        }
        if meta.len() > MAX_SPEC_BYTES as u64 {
            return Err(io(
                "too-large",
                format!(
                    "the spec is {} bytes; tierform reads specs up to {} bytes",
                    meta.len(),
                    MAX_SPEC_BYTES
                ),
                "a spec declares infrastructure once; split generated data out of it",
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| {
            io(
                "io",
                format!("cannot read the spec: {e}"),
                "check permissions",
            )
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let src = Source::new(name.clone(), text);
            let d = Diagnostic::error(
                "not-utf8",
                FieldPath::default(),
                "the spec is not valid UTF-8",
            )
            .with_span(Some(Span::new(offset..offset + 1)))
            .with_help("save the file as UTF-8");
            Diagnostics::from(src.locate(d))
        })?;
        Model::parse(
            Source::new(name.clone(), text),
            Format::from_file_name(&name),
        )
    }

    /// Parses and checks a spec text.
    ///
    /// # Errors
    /// Every syntax, structure and tier-graph error, located.
    pub fn parse(source: Source, format: Format) -> Result<Model, Diagnostics> {
        let located = |ds: Vec<Diagnostic>| -> Diagnostics {
            let mut out = Diagnostics(ds.into_iter().map(|d| source.locate(d)).collect());
            out.normalize();
            out
        };
        if source.text().len() > MAX_SPEC_BYTES {
            return Err(located(vec![Diagnostic::error(
                "too-large",
                FieldPath::default(),
                format!("the spec is larger than {MAX_SPEC_BYTES} bytes"),
            )]));
        }
        if source.text().trim().is_empty() {
            return Err(located(vec![Diagnostic::error(
                "empty",
                FieldPath::default(),
                "the spec is empty",
            )
            .with_span(Some(Span::new(0..0)))
            .with_help(
                "start with `app = \"name\"`, `region`, `network`, `platform` and one `service`",
            )]));
        }
        let root = match format {
            Format::Hcl => from_hcl(source.text()),
            Format::Json => from_json(source.text()),
        }
        .map_err(located)?;
        let mut errors = Vec::new();
        let model = Model::build(source.clone(), root, &mut errors);
        let (errs, warns): (Vec<_>, Vec<_>) = errors.into_iter().partition(Diagnostic::is_error);
        if !errs.is_empty() {
            return Err(located(errs));
        }
        let mut model = model.expect("no errors means a model");
        model.warnings = located(warns);
        Ok(model)
    }

    fn build(source: Source, mut root: Node, errors: &mut Vec<Diagnostic>) -> Option<Model> {
        let fields = root.as_object_mut().expect("specs are objects");
        let tier_field = fields.shift_remove("tier");
        let tenant_field = fields.shift_remove("tenant");
        let docs = match fields.shift_remove("docs") {
            Some(f) => match from_node::<DocsMeta>(&f.node) {
                Ok(m) => DocsSettings {
                    templates_span: m
                        .templates
                        .as_ref()
                        .and_then(|_| f.node.get("templates"))
                        .and_then(|t| t.node.span),
                    templates: m.templates,
                },
                Err(e) => {
                    let mut d = e.into_diagnostic();
                    d.path = FieldPath(vec!["docs".into()]).join(d.path.to_string());
                    errors.push(d);
                    DocsSettings::default()
                }
            },
            None => DocsSettings::default(),
        };
        let base = root;
        reject_secret_values(&base, &mut Vec::new(), errors);

        let tenants = match tenant_field {
            Some(f) => named_blocks(&f, "tenant", errors)
                .into_iter()
                .map(|(name, span, mut node)| {
                    node.set_layer(&Layer::Tenant(name.as_str().into()));
                    Variant {
                        name,
                        span,
                        overrides: node,
                    }
                })
                .collect(),
            None => Vec::new(),
        };

        let mut tiers = Vec::new();
        let tier_blocks = match tier_field {
            Some(f) => named_blocks(&f, "tier", errors),
            None => {
                errors.push(
                    Diagnostic::error("no-tiers", FieldPath(vec!["tier".into()]), "the spec declares no tier")
                        .with_span(Some(Span::new(0..1)))
                        .with_help("declare the promotion chain, such as `tier \"staging\" { … }` and `tier \"production\" { … }`"),
                );
                Vec::new()
            }
        };
        for (name, span, node) in tier_blocks {
            if let Some(t) = Tier::from_node(name, span, node, errors) {
                tiers.push(t);
            }
        }

        let model = Model {
            source,
            base,
            tiers,
            tenants,
            tier_trees: Vec::new(),
            warnings: Diagnostics::default(),
            docs,
        };
        model.check_names(errors);
        model.check_tier_graph(errors);
        if errors.iter().any(Diagnostic::is_error) {
            return None;
        }
        let mut model = model;
        model.tier_trees = (0..model.tiers.len()).map(|i| model.tier_tree(i)).collect();
        model.check_overrides(errors);
        let count = model.environments().len();
        if count > MAX_ENVIRONMENTS {
            let at = model
                .tiers
                .iter()
                .find(|t| t.per_tenant)
                .or(model.tiers.first());
            errors.push(
                Diagnostic::error(
                    "too-many-environments",
                    FieldPath(vec!["tier".into(), at.map(|t| t.name.clone()).unwrap_or_default()]),
                    format!("the spec fans out to {count} environments; the limit is {MAX_ENVIRONMENTS}"),
                )
                .with_span(at.and_then(|t| t.span))
                .with_help("split the tenants over several specs, or fan out fewer tiers per tenant"),
            );
        }
        Some(model)
    }

    fn check_names(&self, errors: &mut Vec<Diagnostic>) {
        let mut seen: IndexMap<String, Option<Span>> = IndexMap::new();
        for t in &self.tiers {
            validate::check_name(
                &FieldPath(vec!["tier".into(), t.name.clone()]),
                &t.name,
                24,
                t.span,
                errors,
            );
            for inst in &t.instances {
                let path = FieldPath(vec![
                    "tier".into(),
                    t.name.clone(),
                    "instance".into(),
                    inst.name.clone(),
                ]);
                validate::check_name(&path, &inst.name, 30, inst.span, errors);
            }
        }
        for tn in &self.tenants {
            validate::check_name(
                &FieldPath(vec!["tenant".into(), tn.name.clone()]),
                &tn.name,
                30,
                tn.span,
                errors,
            );
        }
        for id in self.environments() {
            let span = self.id_span(&id);
            if seen.insert(id.name.clone(), span).is_some() {
                errors.push(
                    Diagnostic::error(
                        "duplicate-environment",
                        FieldPath(vec!["tier".into(), self.tiers[id.tier].name.clone()]),
                        format!("two environments would be named `{}`", id.name),
                    )
                    .with_span(span)
                    .with_help("rename a tier, tenant or instance so that `<tier>-<instance>` names are unique"),
                );
            }
        }
        if !self.tenants.is_empty() && !self.tiers.iter().any(|t| t.per_tenant) {
            errors.push(Diagnostic::warning(
                "unused-tenants",
                FieldPath(vec!["tenant".into()]),
                "tenants are declared but no tier sets `per_tenant = true`",
            ));
        }
    }

    fn id_span(&self, id: &EnvironmentId) -> Option<Span> {
        let t = &self.tiers[id.tier];
        match &id.member {
            Member::Instance(i) => t.instances[*i].span,
            Member::Tenant(i) => self.tenants[*i].span,
            _ => t.span,
        }
    }

    fn check_tier_graph(&self, errors: &mut Vec<Diagnostic>) {
        let names: Vec<&str> = self.tiers.iter().map(|t| t.name.as_str()).collect();
        for t in &self.tiers {
            let path = FieldPath(vec!["tier".into(), t.name.clone(), "mirrors".into()]);
            let span = t.overrides_span("mirrors");
            if let Some(m) = &t.mirrors {
                if !names.contains(&m.as_str()) {
                    let mut d = Diagnostic::error(
                        "unknown-tier",
                        path.clone(),
                        format!("tier `{}` mirrors unknown tier `{m}`", t.name),
                    )
                    .with_span(span);
                    d.help = Some(match did_you_mean(m, names.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("declared tiers: {}", names.join(", ")),
                    });
                    errors.push(d);
                    continue;
                }
                // Follow the chain; coming back to this tier is a cycle.
                let mut cur = m.as_str();
                let mut steps = vec![t.name.as_str()];
                while let Some(next) = self.tiers.iter().find(|x| x.name == cur) {
                    steps.push(cur);
                    if next.name == t.name {
                        errors.push(
                            Diagnostic::error("mirror-cycle", path.clone(), format!("tiers mirror each other in a cycle: {}", steps.join(" -> ")))
                                .with_span(span)
                                .with_help("a tier mirrors one that is closer to production; remove one `mirrors`"),
                        );
                        break;
                    }
                    match &next.mirrors {
                        Some(n) if steps.len() <= self.tiers.len() => cur = n,
                        _ => break,
                    }
                }
                if let Some(target) = self.tiers.iter().find(|x| &x.name == m) {
                    if target.runtime != t.runtime {
                        errors.push(
                            Diagnostic::error(
                                "mirror-runtime",
                                path.clone(),
                                format!("tier `{}` runs {} but mirrors `{m}`, which runs {}", t.name, t.runtime.as_str(), target.runtime.as_str()),
                            )
                            .with_span(span)
                            .with_help("a local tier cannot mirror a cloud tier: their structure differs by nature"),
                        );
                    }
                }
            } else if t.ephemeral {
                errors.push(
                    Diagnostic::error("ephemeral-without-mirror", FieldPath(vec!["tier".into(), t.name.clone()]), format!("ephemeral tier `{}` mirrors no tier", t.name))
                        .with_span(t.span)
                        .with_help("a temporary environment is a copy of another tier: add `mirrors = \"production\"`"),
                );
            }
            if t.ephemeral && (t.per_tenant || !t.instances.is_empty()) {
                errors.push(
                    Diagnostic::error("ephemeral-fan-out", FieldPath(vec!["tier".into(), t.name.clone()]), format!("ephemeral tier `{}` also fans out", t.name))
                        .with_span(t.span)
                        .with_help("an ephemeral copy is named `<tier>-<id>` on demand; remove `per_tenant` and `instance` blocks"),
                );
            }
            if t.per_tenant && self.tenants.is_empty() {
                errors.push(
                    Diagnostic::error(
                        "no-tenants",
                        FieldPath(vec!["tier".into(), t.name.clone(), "per_tenant".into()]),
                        format!(
                            "tier `{}` fans out per tenant, but no tenant is declared",
                            t.name
                        ),
                    )
                    .with_span(t.overrides_span("per_tenant"))
                    .with_help("declare tenants with `tenant \"name\" { }` blocks"),
                );
            }
            if t.per_tenant && !t.instances.is_empty() {
                errors.push(
                    Diagnostic::error(
                        "tenants-and-instances",
                        FieldPath(vec!["tier".into(), t.name.clone()]),
                        format!(
                            "tier `{}` has both `per_tenant` and `instance` blocks",
                            t.name
                        ),
                    )
                    .with_span(t.span)
                    .with_help("choose one way to fan the tier out"),
                );
            }
        }
    }

    /// Overrides may change existing entries but not invent new ones, and in a mirroring tier,
    /// a tenant or an instance they may change knobs only, and only knobs the mirrored
    /// structure has (a tier cannot add internet exposure by "changing a host name").
    fn check_overrides(&self, errors: &mut Vec<Diagnostic>) {
        // An override of something the base does not declare is the root cause of whatever
        // its tree then fails to decode: report it alone.
        let before = errors.len();
        for t in &self.tiers {
            let origin = format!("tier `{}`", t.name);
            check_targets(&self.base, &t.overrides, &mut Vec::new(), &origin, errors);
            for inst in &t.instances {
                let origin = format!("instance `{}` of tier `{}`", inst.name, t.name);
                check_targets(
                    &self.base,
                    &inst.overrides,
                    &mut Vec::new(),
                    &origin,
                    errors,
                );
            }
        }
        for tn in &self.tenants {
            let origin = format!("tenant `{}`", tn.name);
            check_targets(&self.base, &tn.overrides, &mut Vec::new(), &origin, errors);
        }
        if errors.len() > before {
            return;
        }
        // Decode every tier's tree first: a value that does not decode (a misspelt attribute,
        // an unknown engine) is the root cause of anything found after it, so it is reported
        // and the checks that need decoded trees are skipped rather than misreport.
        let mut decoded = Vec::with_capacity(self.tier_trees.len());
        let mut decode_errors: Vec<Diagnostic> = Vec::new();
        for tree in &self.tier_trees {
            match from_node::<App>(tree) {
                Ok(a) => decoded.push(Some(serde_json::to_value(a).expect("the model serialises"))),
                Err(e) => {
                    let d = e.into_diagnostic();
                    if !decode_errors
                        .iter()
                        .any(|x| x.code == d.code && x.span == d.span && x.message == d.message)
                    {
                        decode_errors.push(d);
                    }
                    decoded.push(None);
                }
            }
        }
        let all_decode = decode_errors.is_empty();
        errors.extend(decode_errors);
        let base = from_node::<App>(&self.base)
            .ok()
            .map(|a| serde_json::to_value(a).expect("the model serialises"));
        for (ti, t) in self.tiers.iter().enumerate() {
            let own = decoded[ti].as_ref();
            if let Some(mi) = t
                .mirrors
                .as_ref()
                .and_then(|m| self.tiers.iter().position(|x| &x.name == m))
            {
                let why = format!("tier `{}` mirrors `{}`", t.name, self.tiers[mi].name);
                let reference = decoded[mi].as_ref();
                check_knobs_only(
                    &t.overrides,
                    &t.may_differ,
                    &t.exceptions,
                    &why,
                    reference,
                    errors,
                );
                for e in t.exceptions.iter().filter(|_| all_decode) {
                    let found = [reference, own]
                        .into_iter()
                        .flatten()
                        .any(|j| pattern_exists(j, &e.path.split('.').collect::<Vec<_>>()));
                    if !found {
                        let mut paths = Vec::new();
                        if let Some(j) = &reference {
                            json_paths(j, &mut String::new(), &mut paths);
                        }
                        let help = match did_you_mean(&e.path, paths.iter().map(String::as_str)) {
                            Some(p) => format!("did you mean `{p}`?"),
                            None => {
                                "name a field of the spec, such as `database.main.read_replicas`"
                                    .into()
                            }
                        };
                        errors.push(
                            Diagnostic::error(
                                "unknown-exception",
                                FieldPath(vec!["tier".into(), t.name.clone(), "exception".into(), e.path.clone()]),
                                format!("the exception `{}` names no field of the spec, so it excuses nothing", e.path),
                            )
                            .with_span(e.span)
                            .with_help(help),
                        );
                    }
                }
            }
            for inst in &t.instances {
                // The tier's exceptions are about the tier it mirrors; its instances share
                // the tier's own structure, so no exception applies between them.
                let why = format!("instances of tier `{}` share its structure", t.name);
                check_knobs_only(&inst.overrides, &t.may_differ, &[], &why, own, errors);
            }
        }
        for tn in &self.tenants {
            check_knobs_only(
                &tn.overrides,
                KnobKind::ALL,
                &[],
                "tenants share the structure of their tier",
                base.as_ref(),
                errors,
            );
        }
    }

    fn tier_tree(&self, i: usize) -> Node {
        let t = &self.tiers[i];
        let mut tree = match t
            .mirrors
            .as_ref()
            .and_then(|m| self.tiers.iter().position(|x| &x.name == m))
        {
            Some(m) => self.tier_tree(m),
            None => self.base.clone(),
        };
        tree.merge(&t.overrides);
        tree
    }

    /// The source the model was parsed from.
    pub fn source(&self) -> &Source {
        &self.source
    }
    /// The tiers in promotion order.
    pub fn tiers(&self) -> &[Tier] {
        &self.tiers
    }
    /// The tenants.
    pub fn tenants(&self) -> &[Variant] {
        &self.tenants
    }
    /// The spec's `docs { … }` settings.
    pub fn docs(&self) -> &DocsSettings {
        &self.docs
    }
    /// Warnings found while parsing.
    pub fn warnings(&self) -> &Diagnostics {
        &self.warnings
    }
    /// The tier with this name.
    pub fn tier(&self, name: &str) -> Option<&Tier> {
        self.tiers.iter().find(|t| t.name == name)
    }

    /// Every declared environment in promotion order: each tier, fanned out over its instances
    /// or tenants. Ephemeral tiers have none until named (see [`Model::environment`]).
    pub fn environments(&self) -> Vec<EnvironmentId> {
        let mut out = Vec::new();
        for (ti, t) in self.tiers.iter().enumerate() {
            if t.ephemeral {
                continue;
            }
            if t.per_tenant {
                for (i, tn) in self.tenants.iter().enumerate() {
                    out.push(EnvironmentId {
                        name: format!("{}-{}", t.name, tn.name),
                        tier: ti,
                        member: Member::Tenant(i),
                    });
                }
            } else if !t.instances.is_empty() {
                for (i, inst) in t.instances.iter().enumerate() {
                    out.push(EnvironmentId {
                        name: format!("{}-{}", t.name, inst.name),
                        tier: ti,
                        member: Member::Instance(i),
                    });
                }
            } else {
                out.push(EnvironmentId {
                    name: t.name.clone(),
                    tier: ti,
                    member: Member::Whole,
                });
            }
        }
        out
    }

    /// The environment with this name: a declared one, or `<ephemeral tier>-<id>`, such as
    /// `bugfix-1234`, created on demand as a copy of the tier it mirrors.
    ///
    /// # Errors
    /// One `unknown-environment` diagnostic, with the closest declared name as a hint ("did
    /// you mean").
    pub fn environment(&self, name: &str) -> Result<EnvironmentId, Diagnostics> {
        let declared = self.environments();
        if let Some(id) = declared.iter().find(|e| e.name == name) {
            return Ok(id.clone());
        }
        let ephemeral = self.tiers.iter().enumerate().find_map(|(ti, t)| {
            let id = name.strip_prefix(t.name.as_str())?.strip_prefix('-')?;
            (t.ephemeral && !id.is_empty() && validate::is_name(name) && name.len() <= 40).then(
                || EnvironmentId {
                    name: name.to_owned(),
                    tier: ti,
                    member: Member::Ephemeral(id.to_owned()),
                },
            )
        });
        ephemeral.ok_or_else(|| {
            let names = declared.iter().map(|e| e.name.as_str());
            let help = match did_you_mean(name, names) {
                Some(s) => format!("did you mean `{s}`?"),
                None => {
                    let mut help = format!(
                        "the declared environments are {}",
                        declared
                            .iter()
                            .map(|e| format!("`{}`", e.name))
                            .take(8)
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                    if declared.len() > 8 {
                        help.push_str(&format!(" and {} more", declared.len() - 8));
                    }
                    let templates: Vec<String> = self
                        .tiers
                        .iter()
                        .filter(|t| t.ephemeral)
                        .map(|t| format!("`{}-<id>`", t.name))
                        .collect();
                    if !templates.is_empty() {
                        help.push_str(&format!(
                            "; ephemeral copies are named {} (a lowercase name of at most 40 characters)",
                            templates.join(", ")
                        ));
                    }
                    help
                }
            };
            Diagnostic::error(
                "unknown-environment",
                FieldPath::default(),
                format!("no environment is named `{name}`"),
            )
            .with_help(help)
            .into()
        })
    }

    /// The merged tree of an environment: every value with the layer that set it.
    pub(crate) fn tree(&self, id: &EnvironmentId) -> std::borrow::Cow<'_, Node> {
        let t = &self.tiers[id.tier];
        let extra = match &id.member {
            Member::Instance(i) => Some(&t.instances[*i].overrides),
            Member::Tenant(i) => Some(&self.tenants[*i].overrides),
            _ => None,
        };
        match extra {
            Some(over) if over.as_object().is_some_and(|o| !o.is_empty()) => {
                let mut tree = self.tier_trees[id.tier].clone();
                tree.merge(over);
                std::borrow::Cow::Owned(tree)
            }
            _ => std::borrow::Cow::Borrowed(&self.tier_trees[id.tier]),
        }
    }

    /// Resolves one environment: merges its layers, applies defaults, derives subnets and
    /// validates every value.
    ///
    /// # Errors
    /// Every problem of the environment, located at the value that causes it.
    pub fn resolve(&self, id: &EnvironmentId) -> Result<Environment, Diagnostics> {
        self.resolve_named(id, id, true)
    }

    /// Resolves `id`'s values under `identity`'s name, tier and instance, without validating:
    /// what `id` would be, named as `identity`. Parity compares this with `identity` itself,
    /// so names tierform derives from the environment's identity agree by construction and no
    /// value the author wrote is ever rewritten to make two environments look alike.
    ///
    /// # Errors
    /// `id`'s values do not decode.
    pub fn resolve_as(
        &self,
        id: &EnvironmentId,
        identity: &EnvironmentId,
    ) -> Result<Environment, Diagnostics> {
        self.resolve_named(id, identity, false)
    }

    fn resolve_named(
        &self,
        id: &EnvironmentId,
        identity: &EnvironmentId,
        validated: bool,
    ) -> Result<Environment, Diagnostics> {
        let tree = self.tree(id);
        let t = &self.tiers[identity.tier];
        let fail = |ds: Vec<Diagnostic>| -> Diagnostics {
            let mut out = Diagnostics(
                ds.into_iter()
                    .map(|mut d| {
                        d.environments = vec![id.name.clone()];
                        self.source.locate(d)
                    })
                    .collect(),
            );
            out.normalize();
            out
        };
        let mut app: App = from_node(&tree).map_err(|e| fail(vec![e.into_diagnostic()]))?;
        let instance = match &identity.member {
            Member::Whole => None,
            Member::Instance(i) => Some(t.instances[*i].name.clone()),
            Member::Tenant(i) => Some(self.tenants[*i].name.clone()),
            Member::Ephemeral(s) => Some(s.clone()),
        };
        let mut diags = Vec::new();
        validate::derive_subnets(&mut app.network);
        // One host pattern serves a whole fan-out: `{instance}.bank.example` per tenant.
        for svc in app.services.values_mut() {
            if let Some(p) = svc.public.as_mut() {
                p.host = p
                    .host
                    .replace("{env}", &identity.name)
                    .replace("{tier}", &t.name)
                    .replace("{instance}", instance.as_deref().unwrap_or(&t.name));
            }
        }
        let env = Environment {
            name: identity.name.clone(),
            tier: t.name.clone(),
            instance,
            mirrors: t.mirrors.clone(),
            runtime: t.runtime,
            production: t.production,
            ephemeral: t.ephemeral,
            app,
        };
        if !validated {
            return Ok(env);
        }
        validate::environment(&env, &self.tiers, &mut diags);
        for d in &mut diags {
            if d.span.is_none() {
                d.span = tree.span_at(d.path.segments());
            }
        }
        let (errs, warns): (Vec<_>, Vec<_>) = diags.into_iter().partition(Diagnostic::is_error);
        if !errs.is_empty() {
            return Err(fail(errs));
        }
        let _ = warns; // warnings of one environment surface through `check`
        Ok(env)
    }

    /// Resolves every declared environment and reports every problem of every one of them,
    /// each once, with the environments it affects.
    pub fn check(&self) -> (Vec<Environment>, Diagnostics) {
        let mut envs = Vec::new();
        let mut all = self.warnings.clone();
        for id in self.environments() {
            match self.resolve(&id) {
                Ok(e) => envs.push(e),
                Err(ds) => all.0.extend(ds.0),
            }
        }
        all.normalize();
        (envs, all)
    }

    /// Every pair parity must hold for, as (mirrored, mirroring): each environment of a tier that
    /// `mirrors` another against the mirrored tier's environment of the same instance (or its
    /// first one); each further instance or tenant of a tier against the tier's first; and one
    /// sample copy `<tier>-sample` of each ephemeral tier.
    pub fn mirror_pairs(&self) -> Vec<(EnvironmentId, EnvironmentId)> {
        let envs = self.environments();
        let mut pairs = Vec::new();
        for (ti, t) in self.tiers.iter().enumerate() {
            let own: Vec<&EnvironmentId> = envs.iter().filter(|e| e.tier == ti).collect();
            if let Some(first) = own.first() {
                pairs.extend(own.iter().skip(1).map(|e| ((*first).clone(), (*e).clone())));
            }
            let Some(m) = t.mirrors.as_ref() else {
                continue;
            };
            let Some(mi) = self.tiers.iter().position(|x| &x.name == m) else {
                continue;
            };
            let theirs: Vec<&EnvironmentId> = envs.iter().filter(|e| e.tier == mi).collect();
            let partner = |inst: Option<&str>| {
                theirs
                    .iter()
                    .find(|e| inst.is_some() && self.instance_name(e).as_deref() == inst)
                    .or(theirs.first())
                    .map(|e| (*e).clone())
            };
            if t.ephemeral {
                if let (Some(p), Some(id)) = (
                    partner(None),
                    self.environment(&format!("{}-sample", t.name)).ok(),
                ) {
                    pairs.push((p, id));
                }
                continue;
            }
            for e in own {
                if let Some(p) = partner(self.instance_name(e).as_deref()) {
                    pairs.push((p, e.clone()));
                }
            }
        }
        pairs
    }

    fn instance_name(&self, id: &EnvironmentId) -> Option<String> {
        match &id.member {
            Member::Instance(i) => Some(self.tiers[id.tier].instances[*i].name.clone()),
            Member::Tenant(i) => Some(self.tenants[*i].name.clone()),
            Member::Ephemeral(s) => Some(s.clone()),
            Member::Whole => None,
        }
    }

    /// Where a value of an environment came from.
    ///
    /// # Errors
    /// The path names nothing in the environment.
    pub fn explain(&self, id: &EnvironmentId, path: &FieldPath) -> Result<Provenance, Diagnostics> {
        let tree = self.tree(id);
        if let Some(node) = tree.lookup(path.segments()) {
            return Ok(Provenance {
                value: node.to_json(),
                layer: Some(node.layer.clone()),
                location: node.span.map(|s| self.source.location(s.start as usize)),
            });
        }
        let env = self.resolve(id)?;
        let json = serde_json::to_value(&env.app).expect("the model serialises");
        let mut cur = &json;
        for seg in path.segments() {
            cur = match cur {
                serde_json::Value::Object(o) => o.get(seg),
                serde_json::Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => None,
            }
            .ok_or_else(|| {
                Diagnostics::from(
                    Diagnostic::error(
                        "unknown-path",
                        path.clone(),
                        format!("`{path}` names no value of environment `{}`", id.name),
                    )
                    .with_help(
                        "paths look like `database.main.instance_class` or `service.api.replicas`",
                    ),
                )
            })?;
        }
        Ok(Provenance {
            value: cur.clone(),
            layer: None,
            location: None,
        })
    }
}

impl Tier {
    fn from_node(
        name: String,
        span: Option<Span>,
        mut node: Node,
        errors: &mut Vec<Diagnostic>,
    ) -> Option<Tier> {
        let layer = Layer::Tier(Arc::from(name.as_str()));
        node.set_layer(&layer);
        let fields = node.as_object_mut()?;
        let mut meta_fields = IndexMap::new();
        for key in TIER_KEYS {
            if let Some(f) = fields.shift_remove(*key) {
                meta_fields.insert((*key).to_owned(), f);
            }
        }
        for (key, f) in fields.iter() {
            if !APP_KEYS.contains(&key.as_str()) {
                let known = APP_KEYS.iter().chain(TIER_KEYS).copied();
                let help = match did_you_mean(key, known) {
                    Some(k) => format!("did you mean `{k}`?"),
                    None => format!(
                        "a tier sets {} and overrides any of: {}",
                        TIER_KEYS.join(", "),
                        APP_KEYS.join(", ")
                    ),
                };
                errors.push(
                    Diagnostic::error(
                        "unknown-attribute",
                        FieldPath(vec!["tier".into(), name.clone(), key.clone()]),
                        format!("unknown attribute or block `{key}` in tier `{name}`"),
                    )
                    .with_span(f.key_span.or(f.node.span))
                    .with_help(help),
                );
            }
        }
        let instance_field = meta_fields.shift_remove("instance");
        let meta_node = Node::object(meta_fields.clone(), span, layer.clone());
        let meta: TierMeta = match from_node(&meta_node) {
            Ok(m) => m,
            Err(e) => {
                let mut d = e.into_diagnostic();
                d.path = FieldPath(vec!["tier".into(), name.clone()]).join(d.path.to_string());
                errors.push(d);
                return None;
            }
        };
        let instances = match instance_field {
            Some(f) => named_blocks(&f, "instance", errors)
                .into_iter()
                .map(|(iname, ispan, mut n)| {
                    n.set_layer(&Layer::Instance(
                        Arc::from(name.as_str()),
                        Arc::from(iname.as_str()),
                    ));
                    Variant {
                        name: iname,
                        span: ispan,
                        overrides: n,
                    }
                })
                .collect(),
            None => Vec::new(),
        };
        let mut exceptions = Vec::new();
        let exc_field = meta_fields.get("exception");
        for (path, e) in meta.exception {
            let espan = exc_field
                .and_then(|f| f.node.get(&path))
                .and_then(|f| f.key_span.or(f.node.span));
            let at = FieldPath(vec![
                "tier".into(),
                name.clone(),
                "exception".into(),
                path.clone(),
            ]);
            let mut problems = exception_path_problems(&path);
            match e.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                None => problems.push((
                    "exception-without-reason",
                    format!("the exception for `{path}` gives no reason"),
                    "say why the difference is acceptable: `reason = \"…\"`; reviewers read it in every parity report".to_owned(),
                )),
                Some(r) if !is_judgeable_reason(r) => problems.push((
                    "exception-weak-reason",
                    format!("the reason for the exception `{path}` is {r:?}, which a reviewer cannot judge"),
                    format!("write a sentence of at least {MIN_REASON_WORDS} words and {MIN_REASON_LETTERS} letters saying why the difference is acceptable, such as \"staging needs no read replica\"; placeholders such as `todo` or `n/a` are refused"),
                )),
                Some(_) => {}
            }
            if problems.is_empty() {
                exceptions.push(Exception {
                    path,
                    reason: e.reason.unwrap_or_default().trim().to_owned(),
                    span: espan,
                });
            }
            for (code, message, help) in problems {
                errors.push(
                    Diagnostic::error(code, at.clone(), message)
                        .with_span(espan)
                        .with_help(help),
                );
            }
        }
        if meta.mirrors.is_none() {
            if let Some(e) = exceptions.first() {
                errors.push(
                    Diagnostic::error(
                        "exception-without-mirror",
                        FieldPath(vec!["tier".into(), name.clone(), "exception".into(), e.path.clone()]),
                        format!("tier `{name}` declares exceptions but mirrors no tier, so they excuse nothing"),
                    )
                    .with_span(e.span)
                    .with_help("remove the exceptions, or add `mirrors = \"…\"` naming the tier whose structure this one keeps"),
                );
            }
        }
        let production = meta
            .production
            .unwrap_or(matches!(name.as_str(), "production" | "prod"));
        let mirrors_span = meta_fields.get("mirrors").and_then(|f| f.node.span);
        let per_tenant_span = meta_fields.get("per_tenant").and_then(|f| f.node.span);
        let tier = Tier {
            name,
            span,
            mirrors: meta.mirrors,
            runtime: meta.runtime,
            production,
            ephemeral: meta.ephemeral,
            per_tenant: meta.per_tenant,
            may_differ: meta.may_differ.unwrap_or_else(|| KnobKind::ALL.to_vec()),
            exceptions,
            instances,
            overrides: node,
            mirrors_span,
            per_tenant_span,
        };
        Some(tier)
    }

    fn overrides_span(&self, key: &str) -> Option<Span> {
        match key {
            "mirrors" => self.mirrors_span,
            "per_tenant" => self.per_tenant_span,
            _ => None,
        }
        .or(self.span)
    }

    /// The exception covering a field, if the tier declares one.
    pub fn exception_for(&self, path: &FieldPath) -> Option<&Exception> {
        self.exceptions.iter().find(|e| e.covers(path))
    }

    /// Whether this tier may change a field relative to the tier it mirrors.
    pub fn may_change(&self, path: &FieldPath) -> bool {
        knob_for(path).is_some_and(|k| self.may_differ.contains(&k.kind))
            || self.exception_for(path).is_some()
    }
}

/// A reason shorter than this many words is not something a reviewer can judge.
pub const MIN_REASON_WORDS: usize = 3;
/// Nor one with fewer letters than this.
pub const MIN_REASON_LETTERS: usize = 12;

/// Whether an exception's reason says something a reviewer can weigh: at least
/// [`MIN_REASON_WORDS`] words that contain letters, at least [`MIN_REASON_LETTERS`] letters, and
/// not a known placeholder.
pub fn is_judgeable_reason(reason: &str) -> bool {
    const PLACEHOLDERS: &[&str] = &[
        "todo",
        "tbd",
        "fixme",
        "n/a",
        "na",
        "none",
        "wip",
        "reason",
        "because",
        "test",
        "xxx",
        "temp",
        "temporary",
        "later",
        "ok",
        "yes",
        "no",
        "x",
        "-",
        ".",
        "?",
    ];
    let lower = reason.trim().to_lowercase();
    let words = lower
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .count();
    let letters = lower.chars().filter(|c| c.is_alphabetic()).count();
    let stripped = lower.trim_matches(|c: char| !c.is_alphanumeric() && c != '/');
    words >= MIN_REASON_WORDS
        && letters >= MIN_REASON_LETTERS
        && !PLACEHOLDERS.contains(&stripped)
        && !lower.split_whitespace().all(|w| {
            PLACEHOLDERS.contains(&w.trim_matches(|c: char| !c.is_alphanumeric() && c != '/'))
        })
}

/// What is wrong with an exception's path on its face, before looking at the spec: a
/// wildcard, a whole category or collection, or a knob. (code, message, help) each.
fn exception_path_problems(path: &str) -> Vec<(&'static str, String, String)> {
    let segments: Vec<&str> = path.split('.').collect();
    let mut out = Vec::new();
    if segments.iter().any(|s| s.contains('*') || s.is_empty()) {
        out.push((
            "exception-wildcard",
            format!("the exception `{path}` is a pattern; an exception names one field or object"),
            "name the one field that differs, such as `database.main.read_replicas`; declare one exception per field".to_owned(),
        ));
    } else if COLLECTIONS.contains(&path) {
        out.push((
            "exception-too-broad",
            format!("the exception `{path}` names a whole category, which would excuse any difference in any of its entries"),
            format!("name the one entry or field that differs, such as `{path}.<name>.<field>`"),
        ));
    } else if let Some(k) = knob_for(&FieldPath::parse(path)) {
        out.push((
            "exception-on-knob",
            format!("`{path}` is a {} knob; no exception is needed", k.kind.as_str()),
            format!("remove the exception: a mirroring tier may change knobs (if the tier restricts `may_differ`, add \"{}\" to it)", k.kind.as_str()),
        ));
    }
    out
}

fn named_blocks(
    field: &Field,
    what: &str,
    errors: &mut Vec<Diagnostic>,
) -> Vec<(String, Option<Span>, Node)> {
    match &field.node.value {
        Value::Object(o) => o
            .iter()
            .filter_map(|(name, f)| {
                if f.node.as_object().is_none() {
                    errors.push(
                        Diagnostic::error(
                            "wrong-type",
                            FieldPath(vec![what.into(), name.clone()]),
                            format!("`{what}` must be a labelled block"),
                        )
                        .with_span(f.key_span.or(f.node.span))
                        .with_help(format!("write `{what} \"name\" {{ … }}`")),
                    );
                    return None;
                }
                Some((name.clone(), f.key_span.or(f.node.span), f.node.clone()))
            })
            .collect(),
        other => {
            errors.push(
                Diagnostic::error(
                    "wrong-type",
                    FieldPath(vec![what.into()]),
                    format!(
                        "`{what}` must be labelled blocks, found {}",
                        other.type_name()
                    ),
                )
                .with_span(field.key_span.or(field.node.span))
                .with_help(format!("write `{what} \"name\" {{ … }}`")),
            );
            Vec::new()
        }
    }
}

fn reject_secret_values(node: &Node, path: &mut Vec<String>, errors: &mut Vec<Diagnostic>) {
    if let Some(secrets) = node.get("secret").and_then(|f| f.node.as_object()) {
        for (name, f) in secrets {
            for key in ["value", "secret_string", "password"] {
                if let Some(v) = f.node.get(key) {
                    path.clear();
                    errors.push(
                        Diagnostic::error(
                            "secret-value",
                            FieldPath(vec!["secret".into(), name.clone(), key.into()]),
                            format!("secret `{name}` is given a value; secret values never go in a spec"),
                        )
                        .with_span(v.key_span.or(v.node.span))
                        .with_help("remove the value: tierform creates the secret empty, and you set it in Secrets Manager (or a local .env file)"),
                    );
                }
            }
        }
    }
}

fn check_targets(
    base: &Node,
    over: &Node,
    path: &mut Vec<String>,
    origin: &str,
    errors: &mut Vec<Diagnostic>,
) {
    let Some(fields) = over.as_object() else {
        return;
    };
    for (k, f) in fields {
        let here = path.join(".");
        let in_collection = COLLECTIONS.contains(&here.as_str());
        let base_child = base.get(k);
        if in_collection && base_child.is_none() {
            let existing: Vec<&str> = base
                .as_object()
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            let mut p = path.clone();
            p.push(k.clone());
            let mut d = Diagnostic::error(
                "unknown-override",
                FieldPath(p),
                format!("{origin} overrides {here} `{k}`, which the base spec does not declare"),
            )
            .with_span(f.key_span.or(f.node.span));
            d.help = Some(match did_you_mean(k, existing.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None if existing.is_empty() => {
                    format!("declare the {here} in the base spec first; tiers only change values")
                }
                None => format!("declared: {}", existing.join(", ")),
            });
            errors.push(d);
            continue;
        }
        if let Some(b) = base_child {
            path.push(k.clone());
            check_targets(&b.node, &f.node, path, origin, errors);
            path.pop();
        }
    }
}

/// Refuses every override in `over` but the knobs `may_differ` allows and the fields an
/// exception covers.
fn check_knobs_only(
    over: &Node,
    may_differ: &[KnobKind],
    exceptions: &[Exception],
    why: &str,
    reference: Option<&serde_json::Value>,
    errors: &mut Vec<Diagnostic>,
) {
    let mut leaves = Vec::new();
    over.leaves(&mut Vec::new(), &mut leaves);
    for (path, node) in leaves {
        if path.is_empty() || exceptions.iter().any(|e| e.covers(&path)) {
            continue;
        }
        match knob_for(&path) {
            Some(k) if may_differ.contains(&k.kind) => {
                // A knob changes a value the structure has; it does not add the structure.
                let Some(reference) = reference else { continue };
                let root = &path.0[..k.pattern.split('.').count()];
                let parent = &root[..root.len() - 1];
                let keyed = k.pattern.ends_with('*') && k.kind != KnobKind::FeatureFlag;
                let missing = if keyed { root } else { parent };
                if json_at(reference, missing).is_none_or(serde_json::Value::is_null) {
                    let missing = missing.join(".");
                    errors.push(
                        Diagnostic::error("structural-override", path.clone(), format!("`{missing}` does not exist in the mirrored structure: {why}, so it cannot add it"))
                            .with_span(node.span)
                            .with_help(format!("declare `{missing}` where the mirrored tier gets it, or declare `exception \"{missing}\" {{ reason = \"…\" }}` if the difference is intended")),
                    );
                }
            }
            Some(k) => errors.push(
                Diagnostic::error(
                    "structural-override",
                    path.clone(),
                    format!("`{path}` is a {} knob, but {why} and does not allow `{}` differences", k.kind.as_str(), k.kind.as_str()),
                )
                .with_span(node.span)
                .with_help(format!("add \"{}\" to `may_differ`, or remove this override", k.kind.as_str())),
            ),
            None => errors.push(
                Diagnostic::error("structural-override", path.clone(), format!("`{path}` is structural: {why}, so it cannot change it"))
                    .with_span(node.span)
                    .with_help(format!(
                        "remove this override, or declare `exception \"{path}\" {{ reason = \"…\" }}` in the tier if the difference is intended"
                    )),
            ),
        }
    }
}

fn json_at<'a>(v: &'a serde_json::Value, path: &[String]) -> Option<&'a serde_json::Value> {
    path.iter().try_fold(v, |cur, seg| match cur {
        serde_json::Value::Object(o) => o.get(seg),
        serde_json::Value::Array(a) => a.get(seg.parse::<usize>().ok()?),
        _ => None,
    })
}

/// Whether a path pattern (`*` for one segment) names something in `v`.
fn pattern_exists(v: &serde_json::Value, pattern: &[&str]) -> bool {
    let Some((head, rest)) = pattern.split_first() else {
        return true;
    };
    match v {
        serde_json::Value::Object(o) if *head == "*" => o.values().any(|x| pattern_exists(x, rest)),
        serde_json::Value::Object(o) => o.get(*head).is_some_and(|x| pattern_exists(x, rest)),
        _ => false,
    }
}

fn json_paths(v: &serde_json::Value, prefix: &mut String, out: &mut Vec<String>) {
    if let serde_json::Value::Object(o) = v {
        for (k, x) in o {
            let len = prefix.len();
            if !prefix.is_empty() {
                prefix.push('.');
            }
            prefix.push_str(k);
            out.push(prefix.clone());
            json_paths(x, prefix, out);
            prefix.truncate(len);
        }
    }
}

#[cfg(test)]
mod tests;
