//! Reading a spec: `Model::load` (the file), `Model::parse` (the text) and `Model::build`
//! (the base, tenants and tiers out of the node tree, then the model-wide checks).

use serde::Deserialize;

use super::tiers::{Tier, Variant};
use super::{DocsSettings, Model, MAX_ENVIRONMENTS, MAX_SPEC_BYTES};
use crate::de::from_node;
use crate::diagnostic::{Diagnostic, Diagnostics, FieldPath, Span};
use crate::node::{from_hcl, from_json, Field, Layer, Node, Value};
use crate::source::{Format, Source};

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
        let delivery = fields
            .shift_remove("delivery")
            .and_then(|f| crate::delivery::read(&f.node, errors));
        let base = root;
        reject_secret_values(&base, &mut Vec::new(), errors);

        let tenants = match tenant_field {
            Some(f) => named_blocks(&f, "tenant", errors)
                .into_iter()
                .map(|(name, span, mut node)| {
                    node.set_layer(&Layer::Tenant(name.as_str().into()));
                    // A tenant spans tiers (staging and production of one bank), so it has
                    // no account of its own: a tier's or an instance's is the account.
                    Variant {
                        name,
                        span,
                        account: None,
                        overrides: node,
                        account_span: None,
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
            delivery,
            today: crate::aws::CHECKED,
            manifest_objects: indexmap::IndexMap::new(),
        };
        model.check_names(errors);
        model.check_tier_graph(errors);
        crate::delivery::check(&model, errors);
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
}

pub(super) fn named_blocks(
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
