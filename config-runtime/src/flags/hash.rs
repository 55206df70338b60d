//! Unleash's bucketing: MurmurHash3 (x86, 32-bit) of `group:identifier`, reduced to
//! `1..=modulus`. The same user lands in the same bucket in every SDK, so a rollout moved from
//! another client keeps its users.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// Seed of rollout buckets (`flexibleRollout`, `gradualRollout*`).
pub(crate) const ROLLOUT_SEED: u32 = 0;
/// Seed of variant buckets, so a variant pick does not follow the rollout bucket.
pub(crate) const VARIANT_SEED: u32 = 86_028_157;

/// The bucket of `group:identifier` in `1..=modulus`, hashed without building the joined
/// string.
pub(crate) fn bucket(group: &str, identifier: &str, modulus: u32, seed: u32) -> u32 {
    let mut hash = Murmur3::new(seed);
    hash.write(group.as_bytes());
    hash.write(b":");
    hash.write(identifier.as_bytes());
    hash.finish() % modulus.max(1) + 1
}

/// A random bucket in `1..=modulus`: the stickiness `random`, or `default` without an id.
pub(crate) fn random_bucket(modulus: u32) -> u32 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(RandomState::new().build_hasher().finish() | 1);
    }
    STATE.with(|state| {
        // xorshift64*: fast, and plenty for spreading anonymous users over buckets.
        let mut x = state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        let value = x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32;
        (value % u64::from(modulus.max(1))) as u32 + 1
    })
}

/// MurmurHash3 x86 32-bit, fed in pieces.
struct Murmur3 {
    hash: u32,
    pending: u32,
    pending_len: u32,
    total_len: u32,
}

const C1: u32 = 0xcc9e_2d51;
const C2: u32 = 0x1b87_3593;

fn scramble(k: u32) -> u32 {
    k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2)
}

impl Murmur3 {
    fn new(seed: u32) -> Self {
        Murmur3 {
            hash: seed,
            pending: 0,
            pending_len: 0,
            total_len: 0,
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        self.total_len = self.total_len.wrapping_add(bytes.len() as u32);
        for &byte in bytes {
            self.pending |= u32::from(byte) << (8 * self.pending_len);
            self.pending_len += 1;
            if self.pending_len == 4 {
                self.hash ^= scramble(self.pending);
                self.hash = self
                    .hash
                    .rotate_left(13)
                    .wrapping_mul(5)
                    .wrapping_add(0xe654_6b64);
                self.pending = 0;
                self.pending_len = 0;
            }
        }
    }

    fn finish(mut self) -> u32 {
        if self.pending_len > 0 {
            self.hash ^= scramble(self.pending);
        }
        let mut h = self.hash ^ self.total_len;
        h ^= h >> 16;
        h = h.wrapping_mul(0x85eb_ca6b);
        h ^= h >> 13;
        h = h.wrapping_mul(0xc2b2_ae35);
        h ^ (h >> 16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn murmur(text: &str, seed: u32) -> u32 {
        let mut hash = Murmur3::new(seed);
        hash.write(text.as_bytes());
        hash.finish()
    }

    #[test]
    fn murmur3_matches_reference_vectors() {
        assert_eq!(murmur("", 0), 0);
        assert_eq!(murmur("", 1), 0x514e_28b7);
        assert_eq!(murmur("hello", 0), 0x248b_fa47);
        assert_eq!(murmur("Hello, world!", 1234), 0xfaf6_cdb3);
    }

    #[test]
    fn pieces_hash_like_the_joined_string() {
        assert_eq!(
            bucket("group", "user-123", 100, 0),
            murmur("group:user-123", 0) % 100 + 1
        );
    }

    #[test]
    fn random_buckets_stay_in_range() {
        for _ in 0..1000 {
            assert!((1..=7).contains(&random_bucket(7)));
        }
    }
}
