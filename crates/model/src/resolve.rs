//! From a parsed spec to environments: the tier graph, tenants and instances, overrides, and
//! the resolution of one concrete [`Environment`] per tier x instance.
//!
//! `load` reads and builds a [`Model`] (`Model::load`, `Model::parse`); `tiers` holds the
//! tiers, their exceptions and the tier graph's rules; `overrides` checks what tiers, tenants
//! and instances may override; `fanout` names the environments (tiers x instances or tenants)
//! and the pairs parity compares; `explain` says where a value came from. This file merges
//! an environment's layers and resolves it.

mod explain;
mod fanout;
mod load;
mod overrides;
mod tiers;

use crate::date::Date;
use crate::de::from_node;
use crate::diagnostic::{Diagnostic, Diagnostics, Span};
use crate::environment::Environment;
use crate::node::Node;
use crate::source::Source;
use crate::spec::App;
use crate::validate;

pub use explain::Provenance;
pub use fanout::EnvironmentId;
use fanout::Member;
pub(crate) use tiers::is_judgeable_reason;
pub use tiers::{Exception, Tier, Variant};

/// The largest spec tierform reads. Real specs are a few KiB; a thousand tenants fit in 100 KiB.
pub const MAX_SPEC_BYTES: usize = 4 << 20;
/// The most environments one spec may fan out to: three tiers for 3,000 tenants. Past that a
/// 16 KiB spec could ask for minutes of work.
pub const MAX_ENVIRONMENTS: usize = 10_000;

/// A parsed and checked spec: the base, tiers and tenants. Resolve environments from it.
#[derive(Debug, Clone)]
pub struct Model {
    source: Source,
    pub(crate) base: Node,
    tiers: Vec<Tier>,
    tenants: Vec<Variant>,
    /// Per tier: the base with the mirrored tiers' and the tier's own overrides merged in.
    pub(crate) tier_trees: Vec<Node>,
    warnings: Diagnostics,
    docs: DocsSettings,
    /// The spec's `delivery { … }` block, read apart from every environment.
    pub(crate) delivery: Option<crate::delivery::DeliverySettings>,
    /// The date versions are judged at (end of standard support): an input, never the clock.
    today: Date,
    /// The objects of the manifest files the spec names, read by the caller (the CLI).
    pub(crate) manifest_objects: indexmap::IndexMap<String, serde_json::Value>,
}

/// The spec's `docs { … }` block: how runbooks are rendered. Not part of any environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocsSettings {
    /// A folder of Handlebars templates overriding the built-in ones, relative to the spec.
    pub templates: Option<String>,
    /// Where `templates` is set.
    pub templates_span: Option<Span>,
}

impl Model {
    /// The model judging versions as of `today` (the CLI passes the day's date, tests a
    /// fixed one); without it, as of the day the lifecycle table was last checked.
    pub fn with_today(mut self, today: Date) -> Model {
        self.today = today;
        self
    }
    /// The date versions are judged at.
    pub fn today(&self) -> Date {
        self.today
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

    /// The merged tree of an environment: every value with the layer that set it.
    pub(crate) fn tree(&self, id: &EnvironmentId) -> std::borrow::Cow<'_, Node> {
        let t = &self.tiers[id.tier];
        let extra = match &id.member {
            Member::Instance(i) => Some(&t.instances[*i].overrides),
            Member::Tenant(i) => Some(&self.tenants[*i].overrides),
            Member::Ephemeral(_, copied) if **copied != Member::Whole => {
                return std::borrow::Cow::Owned(self.copy_tree(t, copied));
            }
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

    /// The tree of an ephemeral copy of one tenant's or instance's environment: that
    /// environment's layers, then the copy's defaults, then the ephemeral tier's own.
    fn copy_tree(&self, t: &Tier, copied: &Member) -> Node {
        let m = t
            .mirrors
            .as_deref()
            .and_then(|m| self.tiers.iter().position(|x| x.name == m))
            .expect("a copy of a member has a mirrored tier");
        let mut tree = self.tier_trees[m].clone();
        match copied {
            Member::Instance(i) => tree.merge(&self.tiers[m].instances[*i].overrides),
            Member::Tenant(i) => tree.merge(&self.tenants[*i].overrides),
            _ => {}
        }
        t.layer_onto(&mut tree);
        tree
    }

    /// Resolves one environment: merges its layers, applies defaults, derives subnets and
    /// validates every value.
    ///
    /// # Errors
    /// Every problem of the environment, located at the value that causes it.
    pub fn resolve(&self, id: &EnvironmentId) -> Result<Environment, Diagnostics> {
        self.resolve_named(id, id, true).map(|(env, _)| env)
    }

    /// [`Model::resolve`], with the environment's warnings (versions near or past their end
    /// of support kept with a reason, …), located like its errors.
    ///
    /// # Errors
    /// As [`Model::resolve`].
    pub fn resolve_with_warnings(
        &self,
        id: &EnvironmentId,
    ) -> Result<(Environment, Diagnostics), Diagnostics> {
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
        self.resolve_named(id, identity, false).map(|(env, _)| env)
    }

    fn resolve_named(
        &self,
        id: &EnvironmentId,
        identity: &EnvironmentId,
        validated: bool,
    ) -> Result<(Environment, Diagnostics), Diagnostics> {
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
        self.fill_manifests(&mut app);
        let instance = match &identity.member {
            Member::Whole => None,
            Member::Instance(i) => Some(t.instances[*i].name.clone()),
            Member::Tenant(i) => Some(self.tenants[*i].name.clone()),
            Member::Ephemeral(..) => Some(self.copy_instance(identity)),
        };
        let mut diags = Vec::new();
        validate::derive_subnets(&mut app.network);
        // One host pattern serves a whole fan-out: `{instance}.bank.example` per tenant.
        for svc in app.services.values_mut() {
            let fill = |host: &str| {
                host.replace("{env}", &identity.name)
                    .replace("{tier}", &t.name)
                    .replace("{instance}", instance.as_deref().unwrap_or(&t.name))
            };
            if let Some(p) = svc.public.as_mut() {
                p.host = fill(&p.host);
            }
            if let Some(host) = svc.internal.as_mut().and_then(|i| i.host.as_mut()) {
                *host = fill(host);
            }
        }
        // The identity's account: its instance's own, else its tier's.
        let account = match &identity.member {
            Member::Instance(i) => t.instances[*i].account.as_ref(),
            _ => None,
        }
        .or(t.account.as_ref());
        // An image repository follows the account: `{account}.dkr.ecr.<region>.amazonaws.com/x`.
        if let Some(a) = account {
            let place = |image: &mut String| {
                if image.contains(crate::account::ACCOUNT_PLACEHOLDER) {
                    *image = image.replace(crate::account::ACCOUNT_PLACEHOLDER, &a.id);
                }
            };
            app.services.values_mut().for_each(|s| place(&mut s.image));
            if let Some(r) = app.data_refresh.as_mut() {
                place(&mut r.image);
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
            copy_of: self.copy_of(identity).map(|e| e.name),
            expires: t
                .ephemeral
                .then(|| self.today.plus_days(i64::from(t.ttl_days))),
            app,
            account: account.cloned(),
        };
        if !validated {
            return Ok((env, Diagnostics::default()));
        }
        validate::environment(&env, &self.tiers, self.today, &mut diags);
        for d in &mut diags {
            if d.span.is_none() {
                d.span = tree.span_at(d.path.segments());
            }
        }
        let (errs, warns): (Vec<_>, Vec<_>) = diags.into_iter().partition(Diagnostic::is_error);
        if !errs.is_empty() {
            return Err(fail(errs));
        }
        Ok((env, fail(warns)))
    }

    /// Resolves every declared environment and reports every problem of every one of them,
    /// each once, with the environments it affects.
    pub fn check(&self) -> (Vec<Environment>, Diagnostics) {
        let mut envs = Vec::new();
        let mut all = self.warnings.clone();
        for id in self.environments() {
            match self.resolve_with_warnings(&id) {
                Ok((e, warns)) => {
                    envs.push(e);
                    all.0.extend(warns.0);
                }
                Err(ds) => all.0.extend(ds.0),
            }
        }
        all.normalize();
        (envs, all)
    }
}

#[cfg(test)]
mod tests;
