//! A fast hasher for parity's lookup-only maps: keys are object ids and field paths tierform
//! emitted itself, looked up millions of times in a fleet's check, where SipHash's resistance
//! to chosen keys buys nothing (the worst a crafted spec can do is slow its own check) and
//! costs most of a lookup.

use std::hash::{BuildHasherDefault, Hasher};

use indexmap::IndexMap;

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

#[cfg(test)]
mod tests {
    use super::*;

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
