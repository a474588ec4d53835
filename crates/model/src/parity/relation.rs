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
    let rules = Rules {
        relation: Relation::Unrelated,
        may_differ: KnobKind::ALL.to_vec(),
        exceptions: &[],
    };
    (x.clone(), y.clone(), rules)
}
