//! Tiers, tenants and instances as the spec declares them: `Tier` and `TierMeta`, declared
//! exceptions and the rules they obey, and the tier graph (`mirrors`, cycles, ephemeral tiers).

use std::sync::Arc;

use indexmap::IndexMap;
use serde::Deserialize;

use super::load::named_blocks;
use super::overrides::is_collection;
use super::Model;
use crate::account::{self, Account};
use crate::de::from_node;
use crate::diagnostic::{did_you_mean, Diagnostic, FieldPath, Span};
use crate::environment::Runtime;
use crate::knob::{covers, knob_for, KnobKind};
use crate::node::{Field, Layer, Node, Value};

/// Keys of a `tier` block that describe the tier rather than override the base.
const TIER_KEYS: &[&str] = &[
    "description",
    "mirrors",
    "runtime",
    "production",
    "ephemeral",
    "ttl_days",
    "per_tenant",
    "may_differ",
    "exception",
    "instance",
    "account",
];

/// How long an ephemeral copy lives when its tier does not say: a working week and a weekend.
pub const DEFAULT_TTL_DAYS: u16 = 7;
/// The longest an ephemeral copy may live.
pub const MAX_TTL_DAYS: u16 = 90;

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
    "resource",
    "data",
    "module",
    "manifest",
    "bucket",
    "queue",
    "topic",
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
    ttl_days: Option<u16>,
    #[serde(default)]
    per_tenant: bool,
    #[serde(default)]
    may_differ: Option<Vec<KnobKind>>,
    #[serde(default)]
    exception: IndexMap<String, ExceptionMeta>,
    #[serde(default)]
    account: Option<Account>,
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
    /// An instance's own AWS account (`instance "x" { account { … } }`), instead of its tier's.
    pub account: Option<Account>,
    pub(super) overrides: Node,
    pub(super) account_span: Option<Span>,
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
    /// How long an ephemeral copy lives after it was built: its resources carry the date
    /// (`Expires` tag) that `tierform envs` lists copies for teardown by.
    pub ttl_days: u16,
    /// One environment per tenant.
    pub per_tenant: bool,
    /// The knob kinds this tier may change relative to the one it mirrors.
    pub may_differ: Vec<KnobKind>,
    /// Declared structural exceptions.
    pub exceptions: Vec<Exception>,
    /// Named instances (`instance "ledgers" { … }`).
    pub instances: Vec<Variant>,
    /// The AWS account every environment of the tier runs in: identity, not structure.
    pub account: Option<Account>,
    pub(super) overrides: Node,
    mirrors_span: Option<Span>,
    per_tenant_span: Option<Span>,
    pub(super) account_span: Option<Span>,
}

impl Model {
    pub(super) fn check_tier_graph(&self, errors: &mut Vec<Diagnostic>) {
        self.check_state_buckets_per_account(errors);
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

    /// Bucket names are global: a state bucket is one account's. A tier naming the state
    /// bucket of a tier in another account would keep its state where its role cannot write.
    fn check_state_buckets_per_account(&self, errors: &mut Vec<Diagnostic>) {
        for (j, t) in self.tiers.iter().enumerate() {
            let Some((a, bucket)) = t
                .account
                .as_ref()
                .and_then(|a| a.state_bucket.as_deref().map(|b| (a, b)))
            else {
                continue;
            };
            let earlier = self.tiers[..j].iter().find(|o| {
                o.account
                    .as_ref()
                    .is_some_and(|oa| oa.id != a.id && oa.state_bucket.as_deref() == Some(bucket))
            });
            if let Some(o) = earlier {
                errors.push(
                    Diagnostic::error(
                        "state-bucket-of-another-account",
                        FieldPath(vec!["tier".into(), t.name.clone(), "account".into(), "state_bucket".into()]),
                        format!("tier `{}` keeps its state in `{bucket}`, the state bucket of tier `{}`, which runs in another account", t.name, o.name),
                    )
                    .with_span(t.account_span)
                    .with_help("give each account its own state bucket (bucket names are global: one account owns a bucket)"),
                );
            }
        }
    }

    pub(super) fn tier_tree(&self, i: usize) -> Node {
        let t = &self.tiers[i];
        let mut tree = match t
            .mirrors
            .as_ref()
            .and_then(|m| self.tiers.iter().position(|x| &x.name == m))
        {
            Some(m) => self.tier_tree(m),
            None => self.base.clone(),
        };
        t.layer_onto(&mut tree);
        tree
    }
}

/// What an ephemeral copy changes before its tier's own overrides: every database's deletion
/// protection off (and with it the final snapshot), so that a copy tears down without a manual
/// step. It is a knob (`protection`), so parity reports it like any other; a tier that sets
/// it itself wins.
fn ephemeral_defaults(tree: &Node, tier: &str) -> Node {
    let layer = Layer::Tier(Arc::from(tier));
    let field = |node: Node| Field {
        key_span: None,
        node,
    };
    let off = || {
        field(Node {
            value: Value::Bool(false),
            span: None,
            layer: layer.clone(),
        })
    };
    let databases: IndexMap<String, Field> = tree
        .get("database")
        .and_then(|f| f.node.as_object())
        .into_iter()
        .flat_map(|o| o.keys())
        .map(|name| {
            let fields = IndexMap::from([("deletion_protection".to_owned(), off())]);
            (
                name.clone(),
                field(Node::object(fields, None, layer.clone())),
            )
        })
        .collect();
    let mut fields = IndexMap::new();
    if !databases.is_empty() {
        fields.insert(
            "database".to_owned(),
            field(Node::object(databases, None, layer.clone())),
        );
    }
    Node::object(fields, None, layer)
}

impl Tier {
    /// Merges this tier's layers onto the tree of what it starts from (the tier it mirrors,
    /// or, for an ephemeral copy, the environment it copies): an ephemeral tier's defaults
    /// ([`ephemeral_defaults`]), then the tier's own overrides, which win.
    pub(super) fn layer_onto(&self, tree: &mut Node) {
        if self.ephemeral && self.may_differ.contains(&KnobKind::Protection) {
            let defaults = ephemeral_defaults(tree, &self.name);
            tree.merge(&defaults);
        }
        tree.merge(&self.overrides);
    }

    pub(super) fn from_node(
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
        if let Some(ttl) = meta.ttl_days {
            let at = FieldPath(vec!["tier".into(), name.clone(), "ttl_days".into()]);
            let span = meta_fields.get("ttl_days").and_then(|f| f.node.span);
            if !meta.ephemeral {
                errors.push(
                    Diagnostic::error(
                        "ttl-without-ephemeral",
                        at,
                        format!("tier `{name}` sets `ttl_days` but its environments do not expire"),
                    )
                    .with_span(span)
                    .with_help(
                        "`ttl_days` belongs to an ephemeral tier (`ephemeral = true`); remove it",
                    ),
                );
            } else if !(1..=MAX_TTL_DAYS).contains(&ttl) {
                errors.push(
                    Diagnostic::error("ttl-out-of-range", at, format!("`ttl_days = {ttl}` is outside 1..={MAX_TTL_DAYS}"))
                        .with_span(span)
                        .with_help("an ephemeral copy lives for days, not months: a copy needed longer is a tier of its own"),
                );
            }
        }
        let instances = match instance_field {
            Some(f) => named_blocks(&f, "instance", errors)
                .into_iter()
                .map(|(iname, ispan, mut n)| {
                    n.set_layer(&Layer::Instance(
                        Arc::from(name.as_str()),
                        Arc::from(iname.as_str()),
                    ));
                    // An instance may run in an account of its own: identity, like the tier's.
                    let field = n.as_object_mut().and_then(|o| o.shift_remove("account"));
                    let account =
                        field
                            .as_ref()
                            .and_then(|f| match from_node::<Account>(&f.node) {
                                Ok(a) => {
                                    account::check(
                                        &["tier", &name, "instance", &iname],
                                        &a,
                                        Some(&f.node),
                                        meta.runtime == Runtime::Local,
                                        errors,
                                    );
                                    Some(a)
                                }
                                Err(e) => {
                                    let mut d = e.into_diagnostic();
                                    d.path = FieldPath(vec![
                                        "tier".into(),
                                        name.clone(),
                                        "instance".into(),
                                        iname.clone(),
                                        "account".into(),
                                    ])
                                    .join(d.path.to_string());
                                    errors.push(d);
                                    None
                                }
                            });
                    Variant {
                        name: iname,
                        span: ispan,
                        account,
                        overrides: n,
                        account_span: field.and_then(|f| f.key_span.or(f.node.span)),
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
        if let Some(a) = &meta.account {
            let node = meta_fields.get("account").map(|f| &f.node);
            account::check(
                &["tier", &name],
                a,
                node,
                meta.runtime == Runtime::Local,
                errors,
            );
        }
        let production = meta
            .production
            .unwrap_or(matches!(name.as_str(), "production" | "prod"));
        let mirrors_span = meta_fields.get("mirrors").and_then(|f| f.node.span);
        let per_tenant_span = meta_fields.get("per_tenant").and_then(|f| f.node.span);
        let account_span = meta_fields
            .get("account")
            .and_then(|f| f.key_span.or(f.node.span));
        let tier = Tier {
            name,
            span,
            mirrors: meta.mirrors,
            runtime: meta.runtime,
            production,
            ephemeral: meta.ephemeral,
            ttl_days: meta.ttl_days.unwrap_or(DEFAULT_TTL_DAYS),
            per_tenant: meta.per_tenant,
            may_differ: meta.may_differ.unwrap_or_else(|| KnobKind::ALL.to_vec()),
            exceptions,
            instances,
            account: meta.account,
            overrides: node,
            mirrors_span,
            per_tenant_span,
            account_span,
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
/// Whether an exception path names a whole top-level block that every environment has
/// (`network`, `observability`, a block a later version adds) or the whole platform
/// (`platform.eks`): everything in it would be excused. A top-level scalar (`region`) is one
/// field, and an optional block one tier alone declares (`data_refresh`: staging's weekly
/// copy of production) is one object.
fn whole_block(segments: &[&str]) -> bool {
    const ONE_FIELD_OR_OBJECT: &[&str] = &["app", "region", "data_refresh"];
    match segments {
        [one] => !ONE_FIELD_OR_OBJECT.contains(one),
        ["platform", _] => true,
        _ => false,
    }
}

fn exception_path_problems(path: &str) -> Vec<(&'static str, String, String)> {
    let segments: Vec<&str> = path.split('.').collect();
    let mut out = Vec::new();
    if segments[0] == "account" {
        out.push((
            "exception-on-identity",
            format!("`{path}` is the tier's account, part of its identity; no exception is needed"),
            "remove the exception: parity compares each tier under its own account, as under its own name".to_owned(),
        ));
    } else if segments.iter().any(|s| s.contains('*') || s.is_empty()) {
        out.push((
            "exception-wildcard",
            format!("the exception `{path}` is a pattern; an exception names one field or object"),
            "name the one field that differs, such as `database.main.read_replicas`; declare one exception per field".to_owned(),
        ));
    } else if is_collection(path) {
        out.push((
            "exception-too-broad",
            format!("the exception `{path}` names a whole category, which would excuse any difference in any of its entries"),
            format!("name the one entry or field that differs, such as `{path}.<name>.<field>`"),
        ));
    } else if whole_block(&segments) {
        out.push((
            "exception-too-broad",
            format!("the exception `{path}` names a whole block, which would excuse any difference inside it"),
            format!("name the one field that differs, such as `{path}.<field>`"),
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
