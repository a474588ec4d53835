//! How two environments relate, in either order, and what that allows.

use super::Relation;
use crate::knob::KnobKind;
use crate::resolve::{EnvironmentId, Exception, Model, Tier};

/// What a comparison allows: the knob kinds and the exceptions.
pub(super) struct Rules<'m> {
    pub(super) relation: Relation,
    pub(super) may_differ: Vec<KnobKind>,
    pub(super) exceptions: &'m [Exception],
}

impl Rules<'_> {
    /// Whether the comparison lists differences without judging them.
    pub(super) fn unjudged(&self) -> bool {
        matches!(
            self.relation,
            Relation::Unrelated | Relation::Indirect { .. }
        )
    }
}

/// The relation of two environments in either order: `(mirrored, mirroring, rules)`.
pub(super) fn orient<'m>(
    model: &'m Model,
    x: &EnvironmentId,
    y: &EnvironmentId,
) -> (EnvironmentId, EnvironmentId, Rules<'m>) {
    let tiers = model.tiers();
    let (tx, ty) = (&tiers[x.tier_index()], &tiers[y.tier_index()]);
    let mirror = |mirrored: &Tier, mirroring: &'m Tier| {
        (mirroring.mirrors.as_deref() == Some(mirrored.name.as_str())).then(|| Rules {
            relation: Relation::Mirrors {
                tier: mirroring.name.clone(),
                mirrored: mirrored.name.clone(),
            },
            may_differ: mirroring.may_differ.clone(),
            exceptions: &mirroring.exceptions,
        })
    };
    if x.tier_index() == y.tier_index() {
        // Tenants may change any knob; instances the knobs their tier may change.
        let may_differ = if tx.per_tenant {
            KnobKind::ALL.to_vec()
        } else {
            tx.may_differ.clone()
        };
        let rules = Rules {
            relation: Relation::SameTier {
                tier: tx.name.clone(),
            },
            may_differ,
            exceptions: &[],
        };
        return (x.clone(), y.clone(), rules);
    }
    if let Some(rules) = mirror(tx, ty) {
        return (x.clone(), y.clone(), rules);
    }
    if let Some(rules) = mirror(ty, tx) {
        return (y.clone(), x.clone(), rules);
    }
    // A chain of mirrors (qa -> staging -> production) is judged one step at a time, as
    // `check` does: each step's knobs and exceptions are its own.
    let (a, b, relation) = match (chain(tiers, ty, tx), chain(tiers, tx, ty)) {
        (Some(chain), _) => (x, y, Relation::Indirect { chain }),
        (None, Some(chain)) => (y, x, Relation::Indirect { chain }),
        (None, None) => (x, y, Relation::Unrelated),
    };
    let rules = Rules {
        relation,
        may_differ: KnobKind::ALL.to_vec(),
        exceptions: &[],
    };
    (a.clone(), b.clone(), rules)
}

/// The tiers from `from` to `to` following `mirrors`, when `from` reaches `to` that way.
fn chain(tiers: &[Tier], from: &Tier, to: &Tier) -> Option<Vec<String>> {
    let mut out = vec![from.name.clone()];
    let mut cur = from;
    while let Some(next) = cur.mirrors.as_deref() {
        // The tier graph has no cycle (the model refuses one); the bound keeps this loop
        // finite even so.
        if out.len() > tiers.len() {
            return None;
        }
        out.push(next.to_owned());
        if next == to.name {
            return Some(out);
        }
        cur = tiers.iter().find(|t| t.name == next)?;
    }
    None
}
