//! The emitters' promise that an environment's identity (its name, tier and instance) only
//! *names* things: the same values emitted under two identities differ in names, tags and
//! labels, never in structure.
//!
//! Parity compares B with A's values emitted under B's identity, which is sound only while
//! that promise holds; an emitter that added an alarm when `env.tier == "production"` would
//! otherwise go unseen. So A's values are emitted under both identities and compared with
//! both identities' names replaced by placeholders. Both sides carry the very same spec
//! values, so the replacement cannot hide a difference the author wrote: whatever still
//! differs came from the identity, and is a violation.

use std::collections::BTreeMap;

use serde_json::Value;

use super::emitted::{leaves_of, Emitted, Key};
use crate::environment::Environment;

/// One place where A's values emitted under A's identity and under B's differ beyond names:
/// the key on A's side and on the twin's side (`None`: absent there).
pub(super) type Drift = (Option<Key>, Option<Key>);

/// Where emitting the same values under `a`'s and `twin`'s identities differs beyond names.
/// Objects are matched by normalised id and compared whole (as JSON text, normalised) before
/// any field is walked: most objects differ only in the names they carry.
pub(super) fn drift(
    a: &Environment,
    twin: &Environment,
    objs_a: &Emitted,
    objs_i: &Emitted,
) -> Vec<Drift> {
    let tokens = identity_tokens(a, twin);
    let index = |side: &Emitted| -> BTreeMap<String, usize> {
        side.objects
            .keys()
            .enumerate()
            .map(|(i, id)| (normalise(id, &tokens), i))
            .collect()
    };
    let (in_a, in_i) = (index(objs_a), index(objs_i));
    let mut out = Vec::new();
    for (nid, &ia) in &in_a {
        let (ida, (_, da)) = objs_a.objects.get_index(ia).expect("indexed above");
        let Some(&ii) = in_i.get(nid) else {
            out.push((Some((ida.clone(), String::new())), None));
            continue;
        };
        let (idi, (_, di)) = objs_i.objects.get_index(ii).expect("indexed above");
        if da == di || same_text(objs_a.text(ia), objs_i.text(ii), &tokens) {
            continue;
        }
        out.extend(field_drift(ida, idi, da, di, &tokens));
    }
    for (nid, &ii) in &in_i {
        if !in_a.contains_key(nid) {
            let idi = objs_i.objects.get_index(ii).expect("indexed above").0;
            out.push((None, Some((idi.clone(), String::new()))));
        }
    }
    out
}

/// Whether two objects' JSON texts read the same once both identities are placeholders.
fn same_text(a: &str, b: &str, tokens: &[(String, &str)]) -> bool {
    normalise(a, tokens) == normalise(b, tokens)
}

/// The fields of one object that differ beyond names.
fn field_drift(
    ida: &str,
    idi: &str,
    da: &Value,
    di: &Value,
    tokens: &[(String, &str)],
) -> Vec<Drift> {
    let key = |id: &str, p: &str| (id.to_owned(), p.to_owned());
    let la: BTreeMap<String, (String, Value)> = leaves_of(da)
        .into_iter()
        .map(|(p, v)| (normalise(&p, tokens), (p, normalise_value(&v, tokens))))
        .collect();
    let mut li: BTreeMap<String, (String, Value)> = leaves_of(di)
        .into_iter()
        .map(|(p, v)| (normalise(&p, tokens), (p, normalise_value(&v, tokens))))
        .collect();
    let mut out = Vec::new();
    for (np, (pa, va)) in la {
        match li.remove(&np) {
            Some((_, vi)) if same(&va, &vi) => {}
            Some((pi, _)) => out.push((Some(key(ida, &pa)), Some(key(idi, &pi)))),
            None => out.push((Some(key(ida, &pa)), None)),
        }
    }
    out.extend(li.into_values().map(|(pi, _)| (None, Some(key(idi, &pi)))));
    out
}

fn normalise_value(v: &Value, tokens: &[(String, &str)]) -> Value {
    match v {
        Value::String(s) => {
            let n = normalise(s, tokens);
            if n.contains("{env}") {
                return Value::String(n);
            }
            Value::String(cut_environment(s, tokens).unwrap_or(n))
        }
        other => other.clone(),
    }
}

/// A name that a length limit cut inside the environment's name (`webank-production-vb-rhei-`
/// `ddfcc4`: 32 characters for a load balancer leave no room for `production-vb-rheinaue`
/// whole), with that cut name as `{env}`, so that [`same`] can match it by its kept prefix.
/// Only a hashed name's head ending in at least half of an environment's name, from a word
/// boundary, counts.
fn cut_environment(s: &str, tokens: &[(String, &str)]) -> Option<String> {
    let (head, hash) = s.rsplit_once('-')?;
    if hash.len() != 6
        || !hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    let starts = std::iter::once(0).chain(head.match_indices('-').map(|(i, _)| i + 1));
    for start in starts {
        let tail = &head[start..];
        let cut = tokens.iter().any(|(token, with)| {
            *with == "{env}"
                && tail.len() < token.len()
                && tail.len() * 2 >= token.len()
                && token.starts_with(tail)
        });
        if cut {
            return Some(format!(
                "{}{{env}}-{hash}",
                normalise(&head[..start], tokens)
            ));
        }
    }
    None
}

/// The identity strings of both environments and their placeholders, longest first (so
/// `production-t001` is replaced before `production`), empty ones left out.
fn identity_tokens(a: &Environment, b: &Environment) -> Vec<(String, &'static str)> {
    let mut tokens = Vec::new();
    for env in [a, b] {
        tokens.push((env.name.clone(), "{env}"));
        tokens.push((env.tier.clone(), "{tier}"));
        if let Some(i) = &env.instance {
            tokens.push((i.clone(), "{instance}"));
        }
        tokens.push((env.expiry_tag(), "{expires}"));
        // The account is identity too: its id names registries (`{account}` in images). Its
        // role and state bucket are in the provider and backend, which parity does not compare
        // (and which may contain the environment's name: no token of theirs may overlap it).
        if let Some(a) = &env.account {
            tokens.push((a.id.clone(), "{account}"));
        }
    }
    tokens.retain(|(t, _)| !t.is_empty());
    tokens.sort_by_key(|(t, _)| std::cmp::Reverse(t.len()));
    tokens
}

/// Whether two normalised values are the same. Names that AWS length limits forced an emitter
/// to shorten (`<prefix>-<6 hex digits>`) depend on the length of the environment's name, so
/// such a name matches any name that starts with its kept prefix.
fn same(x: &Value, y: &Value) -> bool {
    if x == y {
        return true;
    }
    let (Value::String(x), Value::String(y)) = (x, y) else {
        return false;
    };
    let kept = |s: &str| -> Option<String> {
        let (head, hash) = s.rsplit_once('-')?;
        (s.contains("{env}")
            && hash.len() == 6
            && hash
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        .then(|| head.to_owned())
    };
    match (kept(x), kept(y)) {
        (Some(a), Some(b)) => a.starts_with(&b) || b.starts_with(&a),
        (Some(a), None) => y.starts_with(&a),
        (None, Some(b)) => x.starts_with(&b),
        (None, None) => false,
    }
}

/// Replaces whole-word occurrences of identity tokens, in the order given (longest first, see
/// [`identity_tokens`]).
fn normalise(s: &str, tokens: &[(String, &str)]) -> String {
    let mut out = s.to_owned();
    for (token, with) in tokens {
        if !out.contains(token.as_str()) {
            continue;
        }
        let mut result = String::with_capacity(out.len());
        let mut rest = out.as_str();
        let mut prev: Option<char> = None;
        while let Some(i) = rest.find(token.as_str()) {
            let before = rest[..i].chars().last().or(prev);
            let after = rest[i + token.len()..].chars().next();
            let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_ascii_alphanumeric());
            result.push_str(&rest[..i]);
            if boundary(before) && boundary(after) {
                result.push_str(with);
            } else {
                result.push_str(token);
            }
            prev = token.chars().last();
            rest = &rest[i + token.len()..];
        }
        result.push_str(rest);
        out = result;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cut_inside_the_environment_match_their_full_form() {
        let tokens = vec![
            ("production-vb-rheinaue".to_owned(), "{env}"),
            ("qa-vb-rheinaue".to_owned(), "{env}"),
            ("production".to_owned(), "{tier}"),
        ];
        let n = |s: &str| normalise_value(&Value::String(s.into()), &tokens);
        assert_eq!(n("webank-production-vb-rhei-ddfcc4"), "webank-{env}-ddfcc4");
        assert!(same(
            &n("webank-production-vb-rhei-ddfcc4"),
            &n("webank-qa-vb-rheinaue-alb")
        ));
        // A different component is still a difference.
        assert!(!same(
            &n("webank-production-vb-rhei-ddfcc4"),
            &n("other-qa-vb-rheinaue-alb")
        ));
        // Too little of the environment's name, or no hash: not a cut name.
        assert_eq!(n("webank-produc-ddfcc4"), "webank-produc-ddfcc4");
        assert_eq!(n("webank-production-vb-rhei"), "webank-{tier}-vb-rhei");
    }

    #[test]
    fn shortened_names_match_their_full_form() {
        let s = |x: &str| Value::String(x.into());
        assert!(same(
            &s("w-{env}-ses-7751fc"),
            &s("w-{env}-sessions-default")
        ));
        assert!(same(
            &s("w-{env}-ses-7751fc"),
            &s("w-{env}-sessions-ban-f55da8")
        ));
        assert!(!same(&s("w-{env}-app"), &s("w-{env}-api")));
        assert!(!same(&s("w-{env}-abc-7751fc"), &s("w-{env}-sessions")));
    }

    #[test]
    fn identity_is_normalised_as_whole_words() {
        assert_eq!(
            normalise(
                "shop-staging-db staging.x prestaging",
                &[("staging".into(), "{env}")]
            ),
            "shop-{env}-db {env}.x prestaging"
        );
    }
}
