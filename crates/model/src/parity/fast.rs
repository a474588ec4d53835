//! A fast hasher for parity's lookup-only maps: keys are object ids and field paths tierform
//! emitted itself, looked up millions of times in a fleet's check, where SipHash's resistance
//! to chosen keys buys nothing (the worst a crafted spec can do is slow its own check) and
//! costs most of a lookup.

use std::hash::{BuildHasherDefault, Hasher};

use indexmap::IndexMap;
use serde_json::Value;

/// An insertion-ordered map with [`FxHasher`].
pub(super) type FastMap<K, V> = IndexMap<K, V, BuildHasherDefault<FxHasher>>;

/// The Firefox / rustc hash: a multiply and a rotate per word.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// `a == b`, without hashing: serde_json's maps compare by looking every key of one up in
/// the other (SipHash each time), while the maps parity compares were built by the same code
/// and almost always hold their keys in the same order. So two objects whose keys line up are
/// compared pairwise (equal exactly when every value is: the key sets are then equal), and
/// only objects whose keys are in different orders fall back to the map's own equality.
pub(super) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            if x.len() != y.len() {
                return false;
            }
            if x.keys().zip(y.keys()).all(|(kx, ky)| kx == ky) {
                x.values().zip(y.values()).all(|(vx, vy)| same(vx, vy))
            } else {
                x == y
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(vx, vy)| same(vx, vy))
        }
        (x, y) => x == y,
    }
}

/// The `name` of a list entry (`x.get("name")` as a string) found by reading the entry's keys
/// rather than hashing one: entries (ports, environment variables) have a few keys, and parity
/// asks this of every entry of every list it walks.
pub(super) fn entry_name(x: &Value) -> Option<&str> {
    match x {
        Value::Object(o) => o
            .iter()
            .find(|(k, _)| k.as_str() == "name")
            .and_then(|(_, v)| v.as_str()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entry_name_is_the_name_field() {
        for v in [
            json!({"name": "A", "value": 1}),
            json!({"value": 1, "name": "B"}),
            json!({"name": 1}),
            json!({"value": 1}),
            json!(["name"]),
            json!("name"),
        ] {
            assert_eq!(entry_name(&v), v.get("name").and_then(Value::as_str), "{v}");
        }
    }

    #[test]
    fn same_is_json_equality() {
        let cases = [
            (
                json!({"a": 1, "b": [1, {"c": 2}]}),
                json!({"a": 1, "b": [1, {"c": 2}]}),
            ),
            (json!({"a": 1, "b": 2}), json!({"b": 2, "a": 1})),
            (json!({"a": 1, "b": 2}), json!({"b": 1, "a": 2})),
            (json!({"a": 1, "b": 2}), json!({"a": 1, "c": 2})),
            (json!({"a": 1}), json!({"a": 1, "b": 2})),
            (json!({"a": {"x": [1]}}), json!({"a": {"x": [2]}})),
            (json!([1, 2]), json!([2, 1])),
            (json!("s"), json!("s")),
            (json!(1), json!(1.0)),
            (json!(null), json!(false)),
        ];
        for (a, b) in &cases {
            assert_eq!(same(a, b), a == b, "{a} vs {b}");
            assert_eq!(same(b, a), b == a, "{b} vs {a}");
        }
    }

    #[test]
    fn distinct_keys_hash_apart_and_equal_keys_alike() {
        let h = |s: &str| {
            let mut x = FxHasher::default();
            x.write(s.as_bytes());
            x.finish()
        };
        assert_eq!(h("terraform:aws_vpc.main"), h("terraform:aws_vpc.main"));
        assert_ne!(h("spec.replicas"), h("spec.replicaz"));
        let mut m: FastMap<String, usize> = FastMap::default();
        for i in 0..1000 {
            m.insert(format!("k{i}"), i);
        }
        assert!((0..1000).all(|i| m[&format!("k{i}")] == i));
    }
}
