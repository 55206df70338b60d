//! A fast, unkeyed hash for tables whose keys an attacker cannot pick: the schema's names
//! (fixed when the schema is built; a lookup of any name, hostile ones included, probes a
//! table whose contents it cannot change) and the TOML reader's index (whose keys are already
//! keyed hashes). std's default hasher is keyed and several times slower on these short keys.

use std::hash::{BuildHasherDefault, Hasher};

/// Builds [`WordHasher`]s: the hasher of such tables.
pub(crate) type WordHash = BuildHasherDefault<WordHasher>;

/// A multiply-rotate hash over 8-byte words (the scheme rustc uses for its own tables).
#[derive(Default, Clone, Copy)]
pub(crate) struct WordHasher(u64);

impl WordHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // The rest zero-padded, built in a register: copied into a stack buffer and read
            // back as one word, the load waits on the narrower stores before it (that stall
            // was a fifth of a load's lookup time).
            let word = rest
                .iter()
                .rev()
                .fold(0u64, |word, &byte| (word << 8) | u64::from(byte));
            self.add(word);
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use std::hash::Hasher;

    use super::WordHasher;

    fn hash(bytes: &[u8]) -> u64 {
        let mut hasher = WordHasher::default();
        hasher.write(bytes);
        hasher.finish()
    }

    /// The hash of a name's last, short word is that of the word zero-padded, whatever its
    /// length: names that differ only there hash apart, and equal names alike.
    #[test]
    fn a_short_last_word_hashes_as_the_word_zero_padded() {
        for name in [
            "A",
            "APP_PORT",
            "APP_PORT_",
            "APP_DATABASE_URL",
            "ÉTÉ_1234567",
        ] {
            let bytes = name.as_bytes();
            let mut expected = WordHasher::default();
            for chunk in bytes.chunks(8) {
                let mut word = [0u8; 8];
                word[..chunk.len()].copy_from_slice(chunk);
                expected.add(u64::from_le_bytes(word));
            }
            assert_eq!(hash(bytes), expected.finish(), "{name}");
        }
        assert_ne!(hash(b"APP_PORTS"), hash(b"APP_PORTX"));
    }

    /// Integers hash as one word each, whatever their width.
    #[test]
    fn integers_hash_as_one_word() {
        let mut wide = WordHasher::default();
        wide.write_u64(7);
        let mut narrow = WordHasher::default();
        narrow.write_usize(7);
        assert_eq!(wide.finish(), narrow.finish());
        narrow.write_u32(1);
        assert_ne!(wide.finish(), narrow.finish());
    }
}
