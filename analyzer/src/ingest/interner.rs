//! Interns (component, operation, phase) per chunk, so a row costs one hash lookup and no
//! allocation; strings are only built for keys seen for the first time.

use std::hash::Hasher;

/// The identity of an operation: where it was logged, its name and its phase.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpKey {
    pub component: String,
    pub operation: String,
    pub phase: String,
}

/// A fast non-cryptographic hash (rustc's Fx recipe, 8 bytes at a time): keys are a few dozen
/// bytes read from a trusted-enough local file, so SipHash's DoS resistance buys nothing.
#[derive(Default)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("chunks of 8")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
        self.add(bytes.len() as u64);
    }

    #[inline]
    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

const EMPTY: u32 = u32::MAX;

/// An open-addressing table from (component, operation, phase) bytes to ids: the lookup
/// hashes the three fields where they lie in the log and compares them in place, so a row
/// costs no copy and no allocation (`HashMap` would need an owned or borrowed key of one
/// type). Part of the row parser whose speed `cargo bench -p analyzer`
/// (benches/report_vs_anchors.rs) measures.
pub struct Interner {
    slots: Vec<u32>,
    hashes: Vec<u64>,
    raw: Vec<[Box<[u8]>; 3]>,
    keys: Vec<OpKey>,
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            slots: vec![EMPTY; 64],
            hashes: Vec::new(),
            raw: Vec::new(),
            keys: Vec::new(),
        }
    }
}

/// Up to the first eight bytes of a field, as a number (zero-padded). No variable-length
/// copy: that would be a call into memcpy per field per row.
#[inline]
fn head_word(bytes: &[u8]) -> u64 {
    if let Some(eight) = bytes.first_chunk::<8>() {
        return u64::from_le_bytes(*eight);
    }
    bytes.iter().enumerate().fold(0, |word, (index, &byte)| {
        word | u64::from(byte) << (8 * index)
    })
}

/// Last eight bytes of a field (zero-padded when shorter).
#[inline]
fn tail_word(bytes: &[u8]) -> u64 {
    head_word(&bytes[bytes.len().saturating_sub(8)..])
}

/// A cheap hash of the key: the operation's first and last eight bytes and every length.
/// Names that share those still land in different slots after probing; equality is always
/// checked on the full bytes.
#[inline]
fn hash_key(component: &[u8], operation: &[u8], phase: &[u8]) -> u64 {
    let mut hasher = FxHasher::default();
    hasher.write_u64(head_word(operation));
    hasher.write_u64(tail_word(operation));
    hasher.write_u64(
        (operation.len() as u64) << 32 | (phase.len() as u64) << 16 | component.len() as u64,
    );
    hasher.write_u64(head_word(phase) ^ tail_word(component).rotate_left(17));
    // A multiply only carries bits upwards and the table indexes with the low ones: finish
    // with SplitMix64's mixer so every input bit reaches them.
    let mut hash = hasher.finish();
    hash = (hash ^ (hash >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash = (hash ^ (hash >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^ (hash >> 31)
}

/// Byte equality without a call into libc's memcmp for these short fields.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut left = a.chunks_exact(8);
    let mut right = b.chunks_exact(8);
    for (x, y) in (&mut left).zip(&mut right) {
        if head_word(x) != head_word(y) {
            return false;
        }
    }
    // Equal lengths, so zero-padded remainders compare like the bytes.
    head_word(left.remainder()) == head_word(right.remainder())
}

impl Interner {
    /// The id of the key, and whether it is new.
    #[inline]
    pub fn intern(&mut self, component: &[u8], operation: &[u8], phase: &[u8]) -> (u32, bool) {
        let hash = hash_key(component, operation, phase);
        let mask = self.slots.len() - 1;
        let mut slot = hash as usize & mask;
        loop {
            let id = self.slots[slot];
            if id == EMPTY {
                break;
            }
            let [known_component, known_operation, known_phase] = &self.raw[id as usize];
            if self.hashes[id as usize] == hash
                && same(known_operation, operation)
                && same(known_phase, phase)
                && same(known_component, component)
            {
                return (id, false);
            }
            slot = (slot + 1) & mask;
        }
        let id = self.keys.len() as u32;
        self.slots[slot] = id;
        self.hashes.push(hash);
        self.raw
            .push([component.into(), operation.into(), phase.into()]);
        self.keys.push(OpKey {
            component: String::from_utf8_lossy(component).into_owned(),
            operation: String::from_utf8_lossy(operation).into_owned(),
            phase: String::from_utf8_lossy(phase).into_owned(),
        });
        if self.keys.len() * 2 > self.slots.len() {
            self.grow();
        }
        (id, true)
    }

    fn grow(&mut self) {
        let mut slots = vec![EMPTY; self.slots.len() * 2];
        let mask = slots.len() - 1;
        for (id, &hash) in self.hashes.iter().enumerate() {
            let mut slot = hash as usize & mask;
            while slots[slot] != EMPTY {
                slot = (slot + 1) & mask;
            }
            slots[slot] = id as u32;
        }
        self.slots = slots;
    }

    pub fn keys(&self) -> &[OpKey] {
        &self.keys
    }

    pub fn into_keys(self) -> Vec<OpKey> {
        self.keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_same_id() {
        let mut interner = Interner::default();
        assert_eq!(interner.intern(b"ppo", b"update", b"training"), (0, true));
        assert_eq!(interner.intern(b"ppo", b"forward", b"inference"), (1, true));
        assert_eq!(interner.intern(b"ppo", b"update", b"training"), (0, false));
        // The separator keeps ("ab", "c") apart from ("a", "bc").
        assert_eq!(interner.intern(b"ppo", b"ab", b"c"), (2, true));
        assert_eq!(interner.intern(b"ppo", b"a", b"bc"), (3, true));
        assert_eq!(interner.keys()[1].operation, "forward");
        assert_eq!(interner.keys()[3].phase, "bc");
    }

    #[test]
    fn keys_that_share_the_hashed_bytes_stay_apart() {
        let mut interner = Interner::default();
        // Same first and last eight bytes and lengths: same hash, different keys.
        assert_eq!(interner.intern(b"c", b"prefix_a_suffix1", b"p"), (0, true));
        assert_eq!(interner.intern(b"c", b"prefix_b_suffix1", b"p"), (1, true));
        assert_eq!(interner.intern(b"c", b"prefix_a_suffix1", b"p"), (0, false));
        assert_eq!(interner.intern(b"c", b"prefix_b_suffix1", b"p"), (1, false));
        assert!(same(b"abcdefghij", b"abcdefghij"));
        assert!(!same(b"abcdefghij", b"abcdefghik"));
        assert!(!same(b"abcdefgh", b"abcdefgh1"));
    }

    #[test]
    fn similar_names_spread_over_the_table() {
        let names = [
            "training_iteration",
            "parallel_training",
            "collect_rollout",
            "env_step",
            "select_action",
            "batch_forward",
            "buffer_add",
            "tensor_convert",
            "update_policy",
            "compute_advantages",
            "ppo_epoch",
            "minibatch_update",
            "backward",
            "optimizer_step",
            "process_metrics",
            "broadcast_metrics",
            "websocket_send",
            "save_checkpoint",
            "serialize_model",
            "log_progress",
        ];
        let mut per_slot = [0usize; 64];
        for name in names {
            per_slot[(hash_key(b"ppo_training", name.as_bytes(), b"training") & 63) as usize] += 1;
        }
        // 20 keys in 64 slots: no pile-up.
        assert!(per_slot.iter().all(|&keys| keys <= 3), "{per_slot:?}");
    }

    #[test]
    fn grows_and_keeps_every_id() {
        let mut interner = Interner::default();
        let names: Vec<String> = (0..1000).map(|i| format!("op{i}")).collect();
        for (index, name) in names.iter().enumerate() {
            assert_eq!(
                interner.intern(b"c", name.as_bytes(), b"p"),
                (index as u32, true)
            );
        }
        for (index, name) in names.iter().enumerate() {
            assert_eq!(
                interner.intern(b"c", name.as_bytes(), b"p"),
                (index as u32, false)
            );
        }
        assert_eq!(interner.intern(b"d", b"op1", b"p"), (1000, true));
    }

    #[test]
    fn hasher_depends_on_every_byte_and_the_length() {
        let hash = |bytes: &[u8]| {
            let mut hasher = FxHasher::default();
            hasher.write(bytes);
            hasher.finish()
        };
        assert_ne!(hash(b"abcdefgh1"), hash(b"abcdefgh2"));
        assert_ne!(hash(b"a"), hash(b"a\0"));
        assert_eq!(hash(b"same"), hash(b"same"));
    }
}
