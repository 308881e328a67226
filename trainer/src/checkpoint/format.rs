//! The checkpoint file format, version 1 (all integers little-endian):
//!
//! ```text
//! offset 0   8 bytes  magic "T2048CKP"
//!        8   u32      format version
//!       12   u64      payload length in bytes
//!       20   u32      CRC-32 (IEEE) of the payload
//!       24   payload:
//!              u32 n, then n bytes of metadata JSON (see `metadata.rs`)
//!              u32 tensor count, then per tensor:
//!                u32 name length, the name (UTF-8), u8 rank, rank x u64 dimensions,
//!                product(dimensions) x f32 values, row-major
//! ```
//!
//! The header is checked in order: magic, version, length, checksum; so a file from the future
//! says so even if its layout changed, and a checksum is never computed over a torn file.

use super::metadata::Metadata;
use crate::model::NamedTensor;
use std::fmt;

pub const MAGIC: &[u8; 8] = b"T2048CKP";
pub const FORMAT_VERSION: u32 = 1;
pub const HEADER_LEN: usize = 24;

/// Why bytes are not a checkpoint this trainer reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The file does not start with [`MAGIC`].
    BadMagic,
    /// The file ends before the header, or before the payload the header announces.
    Truncated {
        expected: u64,
        found: u64,
    },
    /// Bytes follow the payload the header announces.
    TrailingBytes {
        expected: u64,
        found: u64,
    },
    /// Written by a newer trainer.
    FutureVersion {
        found: u32,
        supported: u32,
    },
    /// A version number no trainer ever wrote (0).
    UnknownVersion(u32),
    ChecksumMismatch {
        stored: u32,
        computed: u32,
    },
    /// The payload passed its checksum but does not parse: a bug or a hand-made file.
    Malformed {
        offset: usize,
        what: String,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::BadMagic => write!(
                f,
                "not a trainer checkpoint (it does not start with the magic bytes {:?})",
                String::from_utf8_lossy(MAGIC)
            ),
            DecodeError::Truncated { expected, found } => write!(
                f,
                "truncated: {found} bytes, but the checkpoint needs {expected}"
            ),
            DecodeError::TrailingBytes { expected, found } => write!(
                f,
                "corrupt: {found} bytes, but the header announces {expected}"
            ),
            DecodeError::FutureVersion { found, supported } => write!(
                f,
                "format version {found} is newer than this trainer reads (version {supported}); \
                 use a newer trainer"
            ),
            DecodeError::UnknownVersion(version) => write!(f, "unknown format version {version}"),
            DecodeError::ChecksumMismatch { stored, computed } => write!(
                f,
                "checksum mismatch (stored {stored:08x}, computed {computed:08x}): the file is \
                 corrupt"
            ),
            DecodeError::Malformed { offset, what } => {
                write!(f, "malformed payload at byte {offset}: {what}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// A tensor read from a file.
#[derive(Clone, Debug, PartialEq)]
pub struct OwnedTensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

impl OwnedTensor {
    pub fn view(&self) -> NamedTensor<'_> {
        NamedTensor {
            name: &self.name,
            shape: &self.shape,
            data: &self.data,
        }
    }
}

/// The whole file: header and payload.
pub fn encode(metadata: &Metadata, tensors: &[NamedTensor<'_>]) -> Vec<u8> {
    let json = serde_json::to_vec(metadata).expect("metadata has only JSON-representable fields");
    let values: usize = tensors.iter().map(|t| t.data.len()).sum();
    let mut payload = Vec::with_capacity(json.len() + 4 * values + 64 * tensors.len() + 8);
    payload.extend_from_slice(&(json.len() as u32).to_le_bytes());
    payload.extend_from_slice(&json);
    payload.extend_from_slice(&(tensors.len() as u32).to_le_bytes());
    for tensor in tensors {
        payload.extend_from_slice(&(tensor.name.len() as u32).to_le_bytes());
        payload.extend_from_slice(tensor.name.as_bytes());
        payload.push(tensor.shape.len() as u8);
        for &dim in tensor.shape {
            payload.extend_from_slice(&(dim as u64).to_le_bytes());
        }
        for value in tensor.data {
            payload.extend_from_slice(&value.to_le_bytes());
        }
    }
    let mut file = Vec::with_capacity(HEADER_LEN + payload.len());
    file.extend_from_slice(MAGIC);
    file.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    file.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    file.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    file.extend_from_slice(&payload);
    file
}

/// Checks the header and checksum, then parses the payload.
pub fn decode(bytes: &[u8]) -> Result<(Metadata, Vec<OwnedTensor>), DecodeError> {
    let magic_len = bytes.len().min(MAGIC.len());
    if bytes[..magic_len] != MAGIC[..magic_len] {
        return Err(DecodeError::BadMagic);
    }
    if bytes.len() < HEADER_LEN {
        return Err(DecodeError::Truncated {
            expected: HEADER_LEN as u64,
            found: bytes.len() as u64,
        });
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version > FORMAT_VERSION {
        return Err(DecodeError::FutureVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if version == 0 {
        return Err(DecodeError::UnknownVersion(version));
    }
    let payload_len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    let expected = (HEADER_LEN as u64).saturating_add(payload_len);
    let found = bytes.len() as u64;
    if found < expected {
        return Err(DecodeError::Truncated { expected, found });
    }
    if found > expected {
        return Err(DecodeError::TrailingBytes { expected, found });
    }
    let stored = u32::from_le_bytes(bytes[20..24].try_into().expect("4 bytes"));
    let payload = &bytes[HEADER_LEN..];
    let computed = crc32fast::hash(payload);
    if stored != computed {
        return Err(DecodeError::ChecksumMismatch { stored, computed });
    }
    parse_payload(bytes)
}

/// A cursor over the file that reports file offsets in its errors.
struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    fn malformed(&self, what: impl Into<String>) -> DecodeError {
        DecodeError::Malformed {
            offset: self.offset,
            what: what.into(),
        }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], DecodeError> {
        let left = self.bytes.len() - self.offset;
        if n > left {
            return Err(self.malformed(format!("{what} needs {n} bytes, only {left} are left")));
        }
        let slice = &self.bytes[self.offset..self.offset + n];
        self.offset += n;
        Ok(slice)
    }

    fn u8(&mut self, what: &str) -> Result<u8, DecodeError> {
        Ok(self.take(1, what)?[0])
    }

    fn u32(&mut self, what: &str) -> Result<u32, DecodeError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }

    fn u64(&mut self, what: &str) -> Result<u64, DecodeError> {
        let b = self.take(8, what)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
}

fn parse_payload(bytes: &[u8]) -> Result<(Metadata, Vec<OwnedTensor>), DecodeError> {
    let mut r = Reader {
        bytes,
        offset: HEADER_LEN,
    };
    let json_len = r.u32("the metadata length")? as usize;
    let json_start = r.offset;
    let json = r.take(json_len, "the metadata")?;
    let metadata: Metadata = serde_json::from_slice(json).map_err(|e| DecodeError::Malformed {
        offset: json_start,
        what: format!("metadata JSON: {e}"),
    })?;
    let count = r.u32("the tensor count")?;
    let mut tensors = Vec::with_capacity(count.min(1024) as usize);
    for _ in 0..count {
        let name_len = r.u32("a tensor name length")? as usize;
        let name_start = r.offset;
        let name = std::str::from_utf8(r.take(name_len, "a tensor name")?)
            .map_err(|_| DecodeError::Malformed {
                offset: name_start,
                what: "a tensor name is not UTF-8".into(),
            })?
            .to_string();
        let rank = r.u8("a tensor rank")?;
        let mut shape = Vec::with_capacity(rank as usize);
        let mut len: usize = 1;
        for _ in 0..rank {
            let dim = r.u64("a tensor dimension")?;
            let dim = usize::try_from(dim)
                .ok()
                .filter(|&d| len.checked_mul(d).is_some())
                .ok_or_else(|| r.malformed(format!("tensor `{name}` is too large")))?;
            len *= dim;
            shape.push(dim);
        }
        let byte_len = len
            .checked_mul(4)
            .ok_or_else(|| r.malformed(format!("tensor `{name}` is too large")))?;
        let raw = r.take(byte_len, &format!("the values of tensor `{name}`"))?;
        let data = raw
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect();
        tensors.push(OwnedTensor { name, shape, data });
    }
    if r.offset != bytes.len() {
        let extra = bytes.len() - r.offset;
        return Err(r.malformed(format!("{extra} bytes follow the last tensor")));
    }
    Ok((metadata, tensors))
}
