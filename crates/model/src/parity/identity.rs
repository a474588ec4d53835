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

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value;

use super::emitted::{leaves_of, Emitted, Key};
use super::fast::{self, FastMap};
use crate::environment::Environment;

/// One place where A's values emitted under A's identity and under B's differ beyond names:
/// the key on A's side and on the twin's side (`None`: absent there).
pub(super) type Drift = (Option<Key>, Option<Key>);

/// Where emitting the same values under `a`'s and `twin`'s identities differs beyond names.
/// Objects are matched by normalised id and compared whole (as JSON text, normalised) before
/// any field is walked: most objects differ only in the names they carry.
pub(super) fn drift<'e>(
    a: &Environment,
    twin: &Environment,
    objs_a: &'e Emitted,
    objs_i: &'e Emitted,
) -> Vec<Drift> {
    let tokens = Tokens::new(identity_tokens(a, twin));
    let plain = tokens.list.iter().all(|(t, _)| plain_token(t));
    let index = |side: &'e Emitted| -> BTreeMap<Cow<'e, str>, usize> {
        side.objects
            .keys()
            .enumerate()
            .map(|(i, id)| (normalised(id, &tokens), i))
            .collect()
    };
    let (in_a, in_i) = (index(objs_a), index(objs_i));
    let mut out = Vec::new();
    let mut seen = Seen::default();
    for (nid, &ia) in &in_a {
        let (ida, (_, da)) = objs_a.objects.get_index(ia).expect("indexed above");
        let Some(&ii) = in_i.get(nid) else {
            out.push((Some((ida.clone(), String::new())), None));
            continue;
        };
        let (idi, (_, di)) = objs_i.objects.get_index(ii).expect("indexed above");
        let alike = if plain {
            same_shape(da, di, &tokens, &mut seen)
        } else {
            fast::same(da, di)
        };
        if alike || same_text(objs_a.text(ia), objs_i.text(ii), &tokens) {
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

/// Whether an identity token is made of letters, digits, `-` and `_` only (the names the
/// spec allows): such a token never spans the separators of a field path (`.`, `[`, `]`) nor
/// a placeholder's braces, which is what [`same_shape`] relies on.
fn plain_token(t: &str) -> bool {
    t.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether two objects have one shape and the same values once both identities are
/// placeholders, compared value by value: strings and keys are normalised only where they
/// differ (most of A's and I's objects differ in a few names only), no text is written.
///
/// Sound as a shortcut for [`field_drift`] (the tokens being [`plain_token`]s): when it holds,
/// both objects have the same leaves in the same order, each leaf's path and value normalise
/// alike (a token lies inside one path segment, so a path normalises segment by segment), and
/// every list is keyed the same way (by name or by index) on both sides, so `field_drift`
/// would find nothing. When it does not hold, the object is compared as before (its text,
/// then its fields), so the outcome is the same either way.
fn same_shape<'v>(a: &'v Value, b: &'v Value, tokens: &Tokens, seen: &mut Seen<'v>) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => same_string(x, y, tokens, seen),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter().zip(y).all(|((kx, vx), (ky, vy))| {
                    same_string(kx, ky, tokens, seen) && same_shape(vx, vy, tokens, seen)
                })
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len()
                && keyed_by_name(x) == keyed_by_name(y)
                && x.iter()
                    .zip(y)
                    .all(|(vx, vy)| same_shape(vx, vy, tokens, seen))
        }
        (x, y) => x == y,
    }
}

/// Pairs of strings already normalised, with the outcome: the same names recur in most
/// objects of an environment (tags, prefixes, ARNs).
type Seen<'v> = FastMap<(&'v str, &'v str), bool>;

/// Whether two strings are equal once both identities are placeholders.
fn same_string<'v>(x: &'v str, y: &'v str, tokens: &Tokens, seen: &mut Seen<'v>) -> bool {
    if x == y {
        return true;
    }
    *seen
        .entry((x, y))
        .or_insert_with(|| normalised(x, tokens) == normalised(y, tokens))
}

/// Whether the fields of a list are keyed by its entries' names (see `emitted::walk`).
fn keyed_by_name(list: &[Value]) -> bool {
    let mut names = std::collections::BTreeSet::new();
    list.iter()
        .all(|x| fast::entry_name(x).is_some_and(|n| names.insert(n)))
}

/// Whether two objects' JSON texts read the same once both identities are placeholders.
fn same_text(a: &str, b: &str, tokens: &Tokens) -> bool {
    normalised(a, tokens) == normalised(b, tokens)
}

/// The fields of one object that differ beyond names.
fn field_drift(ida: &str, idi: &str, da: &Value, di: &Value, tokens: &Tokens) -> Vec<Drift> {
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

fn normalise_value(v: &Value, tokens: &Tokens) -> Value {
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
fn cut_environment(s: &str, tokens: &Tokens) -> Option<String> {
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
        let cut = tokens.list.iter().any(|(token, with)| {
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

/// The identity tokens of a comparison, with what finds the ones a text contains in one pass.
pub(super) struct Tokens {
    /// Longest first (see [`identity_tokens`]), with their placeholders.
    list: Vec<(String, &'static str)>,
    /// For each byte, the tokens (bits, by index in `list`) that start with it.
    first: [u64; 256],
    /// Tokens searched in every text: those an earlier replacement could create (a token
    /// inside a placeholder such as `{env}`, or one that is not [`plain_token`]), and all of
    /// them when there are more than 64.
    always: u64,
}

impl Tokens {
    fn new(list: Vec<(String, &'static str)>) -> Tokens {
        let mut first = [0u64; 256];
        let mut always = 0u64;
        for (i, (token, _)) in list.iter().enumerate() {
            if i >= 64 {
                always = u64::MAX;
                break;
            }
            let bit = 1u64 << i;
            first[usize::from(token.as_bytes()[0])] |= bit;
            if !plain_token(token) || list.iter().any(|(_, with)| with.contains(token.as_str())) {
                always |= bit;
            }
        }
        Tokens {
            list,
            first,
            always,
        }
    }

    /// The tokens (bits) that occur in `s` as it is. A pass of [`normalise`] only changes a
    /// text where its token occurs; a token absent from `s` can occur after earlier passes
    /// only inside the placeholder they wrote (a plain token cannot span its braces), and
    /// those tokens are in `always`. So passes for the other absent tokens change nothing.
    fn present(&self, s: &str) -> u64 {
        let bytes = s.as_bytes();
        let mut found = 0u64;
        for (i, &b) in bytes.iter().enumerate() {
            let mut m = self.first[usize::from(b)] & !found;
            while m != 0 {
                let t = m.trailing_zeros() as usize;
                m &= m - 1;
                if bytes[i..].starts_with(self.list[t].0.as_bytes()) {
                    found |= 1 << t;
                }
            }
        }
        found
    }
}

/// Replaces whole-word occurrences of identity tokens, in the order given (longest first, see
/// [`identity_tokens`]).
fn normalise(s: &str, tokens: &Tokens) -> String {
    normalised(s, tokens).into_owned()
}

/// [`normalise`], borrowing `s` when it contains no token.
fn normalised<'s>(s: &'s str, tokens: &Tokens) -> Cow<'s, str> {
    let run = tokens.present(s) | tokens.always;
    if run == 0 {
        return Cow::Borrowed(s);
    }
    let mut out = s.to_owned();
    for (i, (token, with)) in tokens.list.iter().enumerate() {
        // Beyond 64 tokens every one is in `always`.
        if i < 64 && run & (1 << i) == 0 {
            continue;
        }
        let Some(first) = find(&out, token) else {
            continue;
        };
        let mut at = Some(first);
        let mut result = String::with_capacity(out.len() + 8);
        let mut rest = out.as_str();
        let mut prev: Option<char> = None;
        while let Some(i) = at {
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
            at = find(rest, token);
        }
        result.push_str(rest);
        out = result;
    }
    Cow::Owned(out)
}

/// Where `needle` first occurs in `hay`: a plain scan, as texts and tokens are short (a
/// general searcher costs more to set up than this costs to run).
fn find(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let (&first, last) = (n.first()?, h.len().checked_sub(n.len())?);
    (0..=last).find(|&i| h[i] == first && h[i..i + n.len()] == *n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_cut_inside_the_environment_match_their_full_form() {
        let tokens = Tokens::new(vec![
            ("production-vb-rheinaue".to_owned(), "{env}"),
            ("qa-vb-rheinaue".to_owned(), "{env}"),
            ("production".to_owned(), "{tier}"),
        ]);
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
                &Tokens::new(vec![("staging".into(), "{env}")])
            ),
            "shop-{env}-db {env}.x prestaging"
        );
    }

    /// The normalisation as it was written first: every token searched in every text.
    fn reference(s: &str, tokens: &[(String, &str)]) -> String {
        let mut out = s.to_owned();
        for (token, with) in tokens {
            let mut result = String::new();
            let mut rest = out.as_str();
            let mut prev: Option<char> = None;
            while let Some(i) = rest.find(token.as_str()) {
                let before = rest[..i].chars().last().or(prev);
                let after = rest[i + token.len()..].chars().next();
                let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_ascii_alphanumeric());
                result.push_str(&rest[..i]);
                result.push_str(if boundary(before) && boundary(after) {
                    with
                } else {
                    token
                });
                prev = token.chars().last();
                rest = &rest[i + token.len()..];
            }
            result.push_str(rest);
            out = result;
        }
        out
    }

    #[test]
    fn skipping_absent_tokens_changes_nothing() {
        // Tokens that a placeholder contains (a tier named `env`, an instance `tier`), tokens
        // that overlap, repeat, or are not plain, against texts built from their pieces.
        let token_sets: Vec<Vec<(String, &str)>> = vec![
            vec![
                ("production-t001".into(), "{env}"),
                ("staging-t001".into(), "{env}"),
                ("production".into(), "{tier}"),
                ("staging".into(), "{tier}"),
                ("never".into(), "{expires}"),
                ("never".into(), "{expires}"),
                ("t001".into(), "{instance}"),
            ],
            vec![
                ("env-x".into(), "{env}"),
                ("tier".into(), "{tier}"),
                ("env".into(), "{tier}"),
                ("x".into(), "{instance}"),
            ],
            vec![
                ("a{b".into(), "{env}"),
                ("b".into(), "{tier}"),
                ("{".into(), "{x}"),
            ],
        ];
        let pieces = [
            "production-t001",
            "staging-t001",
            "production",
            "staging",
            "t001",
            "never",
            "env",
            "env-x",
            "tier",
            "x",
            "a{b",
            "b",
            "{",
            "}",
            "-",
            ".",
            " ",
            "\\n",
            "\"",
            "q",
            "1",
        ];
        for tokens in &token_sets {
            let fast = Tokens::new(tokens.clone());
            // Every text of up to three pieces.
            for a in pieces {
                for b in pieces {
                    for c in pieces {
                        let text = format!("{a}{b}{c}");
                        assert_eq!(
                            normalise(&text, &fast),
                            reference(&text, tokens),
                            "{text:?} {tokens:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn objects_alike_in_shape_have_no_field_drift() {
        let tokens = Tokens::new(identity_tokens_of(
            &["production-t001", "production", "t001"],
            &["staging-t001", "staging", "t001"],
        ));
        let cases = [
            (
                json!({"name": "w-production-t001-api", "tags": {"Environment": "production-t001"}, "n": [1, 2]}),
                json!({"name": "w-staging-t001-api", "tags": {"Environment": "staging-t001"}, "n": [1, 2]}),
                true,
            ),
            // Lists keyed by name on one side and by index on the other are not alike.
            (
                json!({"env": [{"name": "production"}, {"name": "staging"}]}),
                json!({"env": [{"name": "staging"}, {"name": "staging"}]}),
                false,
            ),
            (
                json!({"a": "production"}),
                json!({"a": "staging", "b": 1}),
                false,
            ),
            (json!({"production": 1}), json!({"staging": 1}), true),
            (json!({"a": 1}), json!({"a": 1.0}), false),
            (json!({"a": "xproduction"}), json!({"a": "xstaging"}), false),
        ];
        for (a, b, alike) in cases {
            assert_eq!(
                same_shape(&a, &b, &tokens, &mut Seen::default()),
                alike,
                "{a} {b}"
            );
            if alike {
                assert!(field_drift("x", "x", &a, &b, &tokens).is_empty(), "{a} {b}");
            }
        }
    }

    fn identity_tokens_of(a: &[&str; 3], b: &[&str; 3]) -> Vec<(String, &'static str)> {
        let mut t: Vec<(String, &'static str)> = Vec::new();
        for x in [a, b] {
            t.push((x[0].into(), "{env}"));
            t.push((x[1].into(), "{tier}"));
            t.push((x[2].into(), "{instance}"));
        }
        t.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
        t
    }
}
