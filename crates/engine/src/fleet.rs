//! The order `check` compares mirror pairs in, so each environment is resolved and emitted
//! about once instead of once per pair it belongs to, with few environments in memory at a
//! time.
//!
//! A fleet's pairs form a star per tier (the tier's first environment against every other)
//! and a chain per tenant or instance (dev-t007 against staging-t007 against production-t007).
//! The centres of the stars, *hubs*, are emitted once and shared by every thread; the other
//! environments fall into small groups (one per tenant, in a fleet) that a thread compares
//! one after the other, keeping only the group's own environments while it works on it.

use std::collections::{BTreeMap, BTreeSet};

use tierform_model::parity::{self, Emit, ParityReport, Sides};
use tierform_model::{Diagnostics, Environment, EnvironmentId, Model};

/// The pairs of `pairs` grouped: every pair's index once, each group in the pairs' order.
/// Hubs are the environments that are the first (mirrored) side of [`HUB_PAIRS`] pairs or
/// more; pairs that share an environment other than a hub are in one group.
pub(crate) fn groups(
    pairs: &[(EnvironmentId, EnvironmentId)],
) -> (Vec<EnvironmentId>, Vec<Vec<usize>>) {
    let hubs = hubs(pairs);
    let is_hub: BTreeSet<&str> = hubs.iter().map(|h| h.name.as_str()).collect();
    // Union-find over the non-hub environments; a pair of two hubs is a node of its own.
    let mut nodes = Nodes::default();
    let owner: Vec<usize> = pairs
        .iter()
        .map(|(a, b)| {
            match (
                is_hub.contains(a.name.as_str()),
                is_hub.contains(b.name.as_str()),
            ) {
                (true, true) => nodes.fresh(),
                (true, false) => nodes.of(b),
                (false, true) => nodes.of(a),
                (false, false) => {
                    let (x, y) = (nodes.of(a), nodes.of(b));
                    nodes.join(x, y)
                }
            }
        })
        .collect();
    let mut group_of: BTreeMap<usize, usize> = BTreeMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, n) in owner.into_iter().enumerate() {
        let r = nodes.root(n);
        let g = *group_of.entry(r).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }
    (hubs, groups)
}

/// Environments as the nodes of a union-find.
#[derive(Default)]
struct Nodes<'p> {
    /// By environment name (names are unique).
    index: BTreeMap<&'p str, usize>,
    parent: Vec<usize>,
}

impl<'p> Nodes<'p> {
    fn fresh(&mut self) -> usize {
        self.parent.push(self.parent.len());
        self.parent.len() - 1
    }

    fn of(&mut self, id: &'p EnvironmentId) -> usize {
        if let Some(&n) = self.index.get(id.name.as_str()) {
            return n;
        }
        let n = self.fresh();
        self.index.insert(id.name.as_str(), n);
        n
    }

    fn root(&mut self, mut n: usize) -> usize {
        while self.parent[n] != n {
            self.parent[n] = self.parent[self.parent[n]];
            n = self.parent[n];
        }
        n
    }

    /// Puts `x` and `y` in one set: its root.
    fn join(&mut self, x: usize, y: usize) -> usize {
        let (rx, ry) = (self.root(x), self.root(y));
        self.parent[ry] = rx;
        rx
    }
}

/// How many pairs an environment must be the mirrored side of to be a hub: the centre of a
/// star of tenants or instances. Fewer (an environment two tiers mirror, say) and it belongs to
/// its group instead, so the hubs, which stay in memory until the end, are few.
const HUB_PAIRS: usize = 8;

/// The environments that are the mirrored side of [`HUB_PAIRS`] pairs or more, in the pairs'
/// order.
fn hubs(pairs: &[(EnvironmentId, EnvironmentId)]) -> Vec<EnvironmentId> {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for (a, _) in pairs {
        *count.entry(a.name.as_str()).or_default() += 1;
    }
    let mut out: Vec<EnvironmentId> = Vec::new();
    for (a, _) in pairs {
        if count[a.name.as_str()] >= HUB_PAIRS && !out.contains(a) {
            out.push(a.clone());
        }
    }
    out
}

/// The hubs resolved and emitted, once [`validate`] found no error in the model (so they are
/// not validated again). One that does not resolve is left out: the pairs that need it report
/// the error as they would alone.
pub(crate) fn shared(model: &Model, hubs: &[EnvironmentId], emit: &(dyn Emit + Sync)) -> Sides {
    let mut sides = Sides::of_validated_model();
    for h in hubs {
        let _ = sides.add(model, h, emit);
    }
    sides
}

/// One group's pairs, compared in order with one cache of environments, once [`validate`] found
/// no error in the model.
pub(crate) fn compare_group(
    model: &Model,
    pairs: &[(EnvironmentId, EnvironmentId)],
    group: &[usize],
    emit: &(dyn Emit + Sync),
    shared: &Sides,
) -> Vec<(usize, Result<ParityReport, Diagnostics>)> {
    let mut local = Sides::of_validated_model();
    group
        .iter()
        .map(|&i| {
            let (a, b) = &pairs[i];
            (
                i,
                parity::compare_with(model, a, b, emit, shared, &mut local),
            )
        })
        .collect()
}

/// What [`Model::check`] finds, plus raw blocks taking tierform's own addresses: how many
/// environments resolve, and the spec's warnings with every environment's warnings and
/// errors, in the same order. Each is resolved on any core and, unless `keep`, dropped at once,
/// so a fleet is never in memory whole; with `keep`, the environments that resolved, in order.
pub(crate) fn validate(model: &Model, keep: bool) -> (usize, Diagnostics, Vec<Environment>) {
    use rayon::prelude::*;
    let found: Vec<Result<(Diagnostics, Option<Environment>), Diagnostics>> = model
        .environments()
        .par_iter()
        .map(|id| {
            let (env, warnings) = model.resolve_with_warnings(id)?;
            let env = crate::raw_addresses_free(model, id, env)?;
            Ok((warnings, keep.then_some(env)))
        })
        .collect();
    let mut all = model.warnings().clone();
    let mut kept = Vec::new();
    let mut resolved = 0;
    for f in found {
        match f {
            Ok((warnings, env)) => {
                resolved += 1;
                all.0.extend(warnings.0);
                kept.extend(env);
            }
            Err(errors) => all.0.extend(errors.0),
        }
    }
    all.normalize();
    (resolved, all, kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tierform_model::{Format, Source};

    const WEBSTACK: &str = include_str!("../../../fixtures/bench/webstack.hcl");

    fn webstack() -> Model {
        Model::parse(Source::new("webstack.hcl", WEBSTACK), Format::Hcl).unwrap()
    }

    /// The webstack with `n` tenants, as bench/gen-webstack.py writes it.
    fn fleet(n: usize) -> Model {
        let marker = "# --- tenants";
        let mut text = WEBSTACK[..WEBSTACK.find(marker).unwrap()].to_owned();
        for i in 1..=n {
            let o = 1 + (i - 1) % 250;
            text.push_str(&format!(
                "tenant \"t{i:03}\" {{\n  network {{\n    cidr            = \"10.{o}.0.0/16\"\n    public_subnets  = [\"10.{o}.0.0/20\", \"10.{o}.16.0/20\"]\n    private_subnets = [\"10.{o}.128.0/20\", \"10.{o}.144.0/20\"]\n  }}\n}}\n"
            ));
        }
        Model::parse(Source::new("webstack.hcl", text), Format::Hcl).unwrap()
    }

    #[test]
    fn every_pair_is_in_one_group_and_a_tenant_is_one_group() {
        let model = fleet(12);
        let pairs = model.mirror_pairs();
        let (hubs, groups) = groups(&pairs);
        let hubs: Vec<&str> = hubs.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(hubs, ["dev-t001", "staging-t001", "production-t001"]);
        let mut seen: Vec<usize> = groups.iter().flatten().copied().collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..pairs.len()).collect::<Vec<_>>());
        // Each group in the pairs' order; the environments of one tenant (other than the hubs)
        // in one group and in no other.
        for g in &groups {
            assert!(g.windows(2).all(|w| w[0] < w[1]), "{g:?}");
        }
        for t in 2..=12 {
            let tenant = format!("-t{t:03}");
            let owning: Vec<&Vec<usize>> = groups
                .iter()
                .filter(|g| {
                    g.iter().any(|&i| {
                        let (a, b) = &pairs[i];
                        a.name.ends_with(&tenant) || b.name.ends_with(&tenant)
                    })
                })
                .collect();
            assert_eq!(owning.len(), 1, "{tenant}: {groups:?}");
            assert_eq!(
                owning[0].len(),
                5,
                "{tenant}: two tiers mirrored, three stars"
            );
        }
        // The pairs between hubs (staging-t001 / dev-t001, production-t001 / staging-t001)
        // stand alone.
        let mut sizes: Vec<usize> = groups.iter().map(Vec::len).collect();
        sizes.sort_unstable();
        assert_eq!(sizes, [[1, 1].as_slice(), &[5; 11]].concat());
    }

    #[test]
    fn a_small_spec_has_no_hub_and_is_one_group() {
        let pairs = webstack().mirror_pairs();
        let (hubs, groups) = groups(&pairs);
        assert!(hubs.is_empty());
        assert_eq!(groups, [(0..pairs.len()).collect::<Vec<_>>()]);
    }

    #[test]
    fn validate_finds_what_model_check_finds() {
        let model = webstack();
        let (envs, warnings) = model.check();
        assert_eq!(validate(&model, true), (envs.len(), warnings, envs));
        // An environment error, in every dev environment: the same diagnostics, merged alike.
        let broken = include_str!("../../../fixtures/bench/webstack.hcl").replacen(
            "replicas     = 1\n",
            "replicas     = 100000\n",
            1,
        );
        let model = Model::parse(Source::new("webstack.hcl", broken), Format::Hcl).unwrap();
        let (envs, errors) = model.check();
        assert!(errors.has_errors());
        assert_eq!(validate(&model, false), (envs.len(), errors, Vec::new()));
    }
}
