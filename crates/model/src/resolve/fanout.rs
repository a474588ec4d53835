//! Fan-out: the environments a model declares (each tier over its instances or tenants, and
//! ephemeral copies on demand), their names, and the pairs parity must hold for.

use indexmap::IndexMap;

use super::tiers::Tier;
use super::Model;
use crate::diagnostic::{did_you_mean, Diagnostic, Diagnostics, FieldPath, Span};
use crate::validate;

/// Which environment: a tier and, where it fans out, one of its instances.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EnvironmentId {
    /// The environment name.
    pub name: String,
    pub(super) tier: usize,
    pub(super) member: Member,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Member {
    Whole,
    Instance(usize),
    Tenant(usize),
    /// A copy named on demand: its id (`1234`) and which environment of the mirrored tier it
    /// copies (`Whole`, or one of that tier's instances or tenants).
    Ephemeral(String, Box<Member>),
}

impl EnvironmentId {
    /// The index of the tier in promotion order.
    pub fn tier_index(&self) -> usize {
        self.tier
    }
}

impl Model {
    pub(super) fn check_names(&self, errors: &mut Vec<Diagnostic>) {
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
        let mut refused = None;
        for (ti, t) in self.tiers.iter().enumerate() {
            let Some(rest) = name
                .strip_prefix(t.name.as_str())
                .and_then(|r| r.strip_prefix('-'))
            else {
                continue;
            };
            if !t.ephemeral || rest.is_empty() || !validate::is_name(name) || name.len() > 40 {
                continue;
            }
            match self.copied_member(t, rest) {
                Ok((id, of)) => {
                    return Ok(EnvironmentId {
                        name: name.to_owned(),
                        tier: ti,
                        member: Member::Ephemeral(id, Box::new(of)),
                    })
                }
                Err(d) => refused = Some(d),
            }
        }
        if let Some(d) = refused {
            return Err(self.source.locate(*d).into());
        }
        Err({
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
                        .map(|t| format!("`{}`", self.copy_template(t)))
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

    /// What an ephemeral copy named `<tier>-<rest>` copies: the whole mirrored environment
    /// (`rest` is the id), or, where the mirrored tier fans out, the instance or tenant that
    /// `rest` starts with (`vb-rheinaue-1234`: tenant `vb-rheinaue`, id `1234`; the longest
    /// matching name wins, so `a-b-1` copies `a-b` even when `a` exists too).
    fn copied_member(&self, t: &Tier, rest: &str) -> Result<(String, Member), Box<Diagnostic>> {
        let Some(m) = t.mirrors.as_deref().and_then(|m| self.tier(m)) else {
            return Ok((rest.to_owned(), Member::Whole));
        };
        let members = self.members(m);
        if members.is_empty() {
            return Ok((rest.to_owned(), Member::Whole));
        }
        let copied = members
            .into_iter()
            .filter_map(|(name, member)| {
                let id = rest.strip_prefix(name)?.strip_prefix('-')?;
                (!id.is_empty()).then(|| (name.len(), id.to_owned(), member))
            })
            .max_by_key(|(len, _, _)| *len);
        copied.map(|(_, id, member)| (id, member)).ok_or_else(|| {
            Box::new(
                Diagnostic::error(
                    "ephemeral-copy-of-what",
                    FieldPath(vec!["tier".into(), t.name.clone()]),
                    format!(
                        "`{}-{rest}` does not say which environment of `{}` it copies",
                        t.name, m.name
                    ),
                )
                .with_span(t.span)
                .with_help(format!(
                    "`{}` has one environment per {}; name the copy `{}`, such as `{}-{}-{rest}`",
                    m.name,
                    if m.per_tenant { "tenant" } else { "instance" },
                    self.copy_template(t),
                    t.name,
                    self.first_member_name(m).unwrap_or_default()
                )),
            )
        })
    }

    /// The copy `id` of the first environment an ephemeral tier can copy: `bugfix-<id>`, or
    /// `bugfix-<first tenant>-<id>` where the mirrored tier fans out. What parity and tests
    /// stand a tier's copies by.
    pub fn sample_copy(&self, t: &Tier, id: &str) -> Option<EnvironmentId> {
        let m = t.mirrors.as_deref().and_then(|m| self.tier(m));
        let name = match m.and_then(|m| self.first_member_name(m)) {
            Some(member) => format!("{}-{member}-{id}", t.name),
            None => format!("{}-{id}", t.name),
        };
        self.environment(&name).ok()
    }

    /// The tenants or instances a copy of an ephemeral tier names (`vb-rheinaue`, …): those of
    /// the tier it mirrors; empty when that tier does not fan out and a copy is of the whole.
    pub fn copy_members(&self, t: &Tier) -> Vec<String> {
        let m = t.mirrors.as_deref().and_then(|m| self.tier(m));
        let members = m.map(|m| self.members(m)).unwrap_or_default();
        members.into_iter().map(|(n, _)| n.to_owned()).collect()
    }

    /// How copies of an ephemeral tier are named: `bugfix-<id>`, or `bugfix-<tenant>-<id>`
    /// (`<instance>`) where the tier it mirrors fans out.
    pub fn copy_template(&self, t: &Tier) -> String {
        match t.mirrors.as_deref().and_then(|m| self.tier(m)) {
            Some(m) if !self.members(m).is_empty() => {
                let kind = if m.per_tenant { "tenant" } else { "instance" };
                format!("{}-<{kind}>-<id>", t.name)
            }
            _ => format!("{}-<id>", t.name),
        }
    }

    /// The environments a tier fans out to, by name: its tenants or its instances (none when
    /// it is one environment).
    fn members<'a>(&'a self, m: &'a Tier) -> Vec<(&'a str, Member)> {
        if m.per_tenant {
            let tenants = self.tenants.iter().enumerate();
            tenants
                .map(|(i, tn)| (tn.name.as_str(), Member::Tenant(i)))
                .collect()
        } else {
            let instances = m.instances.iter().enumerate();
            instances
                .map(|(i, x)| (x.name.as_str(), Member::Instance(i)))
                .collect()
        }
    }

    fn first_member_name<'a>(&'a self, m: &'a Tier) -> Option<&'a str> {
        self.members(m).first().map(|(name, _)| *name)
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
                if let Some(id) = self.sample_copy(t, "sample") {
                    if let Some(p) = theirs.iter().find(|e| self.copies(&id, e)) {
                        pairs.push(((*p).clone(), id));
                    }
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
            Member::Ephemeral(..) => Some(self.copy_instance(id)),
            Member::Whole => None,
        }
    }

    /// The instance of an ephemeral copy: what its name adds to its tier's (`1234`, or
    /// `vb-rheinaue-1234`), unique per copy, for `{instance}` in host patterns and tags.
    pub(super) fn copy_instance(&self, id: &EnvironmentId) -> String {
        let tier = &self.tiers[id.tier].name;
        id.name
            .strip_prefix(tier.as_str())
            .and_then(|r| r.strip_prefix('-'))
            .unwrap_or(&id.name)
            .to_owned()
    }

    /// Whether `copy` (an ephemeral copy) copies the declared environment `of`.
    pub fn copies(&self, copy: &EnvironmentId, of: &EnvironmentId) -> bool {
        let Member::Ephemeral(_, member) = &copy.member else {
            return false;
        };
        let mirrored = self.tiers[copy.tier].mirrors.as_deref();
        mirrored == Some(self.tiers[of.tier].name.as_str())
            && match (member.as_ref(), &of.member) {
                (Member::Whole, _) => true,
                (a, b) => a == b,
            }
    }

    /// The declared environment an ephemeral copy copies (`production-vb-rheinaue` for
    /// `bugfix-vb-rheinaue-1234`); `None` for any other environment.
    pub fn copy_of(&self, copy: &EnvironmentId) -> Option<EnvironmentId> {
        if !matches!(copy.member, Member::Ephemeral(..)) {
            return None;
        }
        self.environments()
            .into_iter()
            .find(|e| self.copies(copy, e))
    }
}
