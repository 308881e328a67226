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
/// reads the three fields where they lie in the log, so a row costs no copy and no
/// allocation (`HashMap` would need an owned or borrowed key of one type). Each field is
/// summarised by three words that hold all of its bytes when it has at most 24 (operation
/// and phase names nearly always do): those words are the hash's input and, with the
/// lengths, the whole comparison; longer fields are also compared byte for byte. Part of the
/// row parser whose speed `cargo bench -p analyzer` (benches/report_vs_anchors.rs)
/// measures: `analyzer report --quiet --threads 1` on 1M lines in the original's format
/// (two lookups per call; callgrind) ran 1,218 M instructions with this lookup against
/// 1,451 M when it hashed the first and last eight bytes of the operation and compared the
/// bytes.
pub struct Interner {
    /// Ids by the hash's top bits (`64 - shift` of them), open addressing.
    slots: Vec<u32>,
    shift: u32,
    hashes: Vec<u64>,
    fingerprints: Vec<Fingerprint>,
    raw: Vec<[Box<[u8]>; 3]>,
    keys: Vec<OpKey>,
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            slots: vec![EMPTY; 64],
            shift: 64 - 6,
            hashes: Vec::new(),
            fingerprints: Vec::new(),
            raw: Vec::new(),
            keys: Vec::new(),
        }
    }
}

/// Fields longer than this are compared byte for byte as well as by their words.
const WORDS_HOLD: usize = 24;

/// Three words holding all the bytes of a field of up to 24 bytes: the first, second and
/// last eight (overlapping below 24), or for fields shorter than eight the first and last
/// four, or the first, middle and last byte. No variable-length copy: that would be a call into memcpy.
#[inline(always)]
fn field_words(bytes: &[u8]) -> [u64; 3] {
    let len = bytes.len();
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    if len >= 16 {
        return [word(0), word(8), word(len - 8)];
    }
    if len >= 8 {
        return [word(0), word(len - 8), 0];
    }
    if let (Some(head), Some(tail)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        return [
            u64::from(u32::from_le_bytes(*head)) | u64::from(u32::from_le_bytes(*tail)) << 32,
            0,
            0,
        ];
    }
    match bytes {
        [] => [0; 3],
        [first, ..] => [
            u64::from(*first) | u64::from(bytes[len / 2]) << 8 | u64::from(bytes[len - 1]) << 16,
            0,
            0,
        ],
    }
}

/// The three fields' words and lengths: equal fingerprints mean equal keys unless a field is
/// longer than [`WORDS_HOLD`].
#[derive(Clone, Copy, Debug)]
struct Fingerprint {
    operation: [u64; 3],
    phase: [u64; 3],
    component: [u64; 3],
    lengths: u64,
}

impl Fingerprint {
    #[inline(always)]
    fn of(component: &[u8], operation: &[u8], phase: &[u8]) -> Fingerprint {
        Fingerprint {
            operation: field_words(operation),
            phase: field_words(phase),
            component: field_words(component),
            lengths: (operation.len() as u64) << 42
                ^ (phase.len() as u64) << 21
                ^ component.len() as u64,
        }
    }

    /// Whether a field is too long for its words to hold all of its bytes.
    #[inline(always)]
    fn needs_bytes(component: &[u8], operation: &[u8], phase: &[u8]) -> bool {
        component.len().max(operation.len()).max(phase.len()) > WORDS_HOLD
    }

    /// Every word compared, without a branch or a call into memcmp per word.
    #[inline(always)]
    fn same(&self, other: &Fingerprint) -> bool {
        let differ = |mine: &[u64; 3], theirs: &[u64; 3]| {
            (mine[0] ^ theirs[0]) | (mine[1] ^ theirs[1]) | (mine[2] ^ theirs[2])
        };
        differ(&self.operation, &other.operation)
            | differ(&self.phase, &other.phase)
            | differ(&self.component, &other.component)
            | (self.lengths ^ other.lengths)
            == 0
    }

    /// A cheap hash of the operation's words, the phase's first, the component's first and
    /// the lengths, folded and multiplied once: its high bits depend on all of them (the
    /// table indexes with those). Keys that share the hashed words still land in different
    /// slots after probing; equality is always checked on every word.
    #[inline(always)]
    fn hash(&self) -> u64 {
        let folded = self.operation[0]
            ^ self.operation[1].rotate_left(21)
            ^ self.operation[2].rotate_left(42)
            ^ self.phase[0].rotate_left(7)
            ^ self.component[0].rotate_left(35)
            ^ self.lengths;
        let hash = folded.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        hash ^ (hash >> 29)
    }
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
        if x != y {
            return false;
        }
    }
    // Equal lengths: the last eight bytes (overlapping) cover the remainders.
    match (a.last_chunk::<8>(), b.last_chunk::<8>()) {
        (Some(x), Some(y)) => x == y,
        _ => left.remainder() == right.remainder(),
    }
}

/// The hash of a key (see [`Fingerprint`]).
#[cfg(test)]
fn hash_key(component: &[u8], operation: &[u8], phase: &[u8]) -> u64 {
    Fingerprint::of(component, operation, phase).hash()
}

impl Interner {
    /// The id of the key, and whether it is new. Kept out of the row loops it is called
    /// from, whose code it would crowd.
    #[inline(never)]
    pub fn intern(&mut self, component: &[u8], operation: &[u8], phase: &[u8]) -> (u32, bool) {
        let fingerprint = Fingerprint::of(component, operation, phase);
        let hash = fingerprint.hash();
        let mask = self.slots.len() - 1;
        let mut slot = (hash >> self.shift) as usize;
        loop {
            let id = self.slots[slot];
            if id == EMPTY {
                break;
            }
            if self.hashes[id as usize] == hash
                && self.fingerprints[id as usize].same(&fingerprint)
                && (!Fingerprint::needs_bytes(component, operation, phase)
                    || self.same_bytes(id, [component, operation, phase]))
            {
                return (id, false);
            }
            slot = (slot + 1) & mask;
        }
        self.insert(slot, hash, fingerprint, [component, operation, phase])
    }

    /// The fields of key `id` are these bytes (for fields longer than their words).
    #[cold]
    #[inline(never)]
    fn same_bytes(&self, id: u32, fields: [&[u8]; 3]) -> bool {
        self.raw[id as usize]
            .iter()
            .zip(fields)
            .all(|(known, bytes)| same(known, bytes))
    }

    #[cold]
    fn insert(
        &mut self,
        slot: usize,
        hash: u64,
        fingerprint: Fingerprint,
        [component, operation, phase]: [&[u8]; 3],
    ) -> (u32, bool) {
        let id = self.keys.len() as u32;
        self.slots[slot] = id;
        self.hashes.push(hash);
        self.fingerprints.push(fingerprint);
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
        self.shift -= 1;
        let mask = slots.len() - 1;
        for (id, &hash) in self.hashes.iter().enumerate() {
            let mut slot = (hash >> self.shift) as usize;
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
            per_slot[(hash_key(b"ppo_training", name.as_bytes(), b"training") >> 58) as usize] += 1;
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

    proptest::proptest! {
        /// Keys of every length, from a two-letter alphabet so that many share their first
        /// and last bytes: the same ids as a map of owned keys gives.
        #[test]
        fn ids_match_a_map_of_owned_keys(
            keys in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::collection::vec(proptest::prop_oneof![
                        proptest::strategy::Just(b'a'), proptest::strategy::Just(b'b')], 0..40),
                    3),
                1..200),
        ) {
            let mut interner = Interner::default();
            let mut reference: std::collections::HashMap<Vec<Vec<u8>>, u32> = Default::default();
            for key in &keys {
                let expected = reference.len() as u32;
                let id = *reference.entry(key.clone()).or_insert(expected);
                let (got, new) = interner.intern(&key[0], &key[1], &key[2]);
                proptest::prop_assert_eq!((got, new), (id, id == expected));
            }
        }
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
