//! Fan-out: the environments a model declares (each tier over its instances or tenants, and
//! ephemeral copies on demand), their names, and the pairs parity must hold for.

use indexmap::IndexMap;

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
    Ephemeral(String),
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
}
