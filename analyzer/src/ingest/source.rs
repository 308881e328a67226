//! A log's bytes, read by position (`pread`) a window at a time, never mapped into memory: a
//! file cut short while it is read (a new run starting in the same directory) then reads as
//! a shorter file, where a mapping would fault the reader with SIGBUS. Reading costs a copy
//! into the window, which a mapping does not; the kernel does it, outside the instructions
//! the parsers run (README "Speed").

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// A log file, or bytes in memory (the parsers' tests).
pub struct LogSource {
    inner: Inner,
    len: u64,
}

enum Inner {
    File(File),
    Bytes(Vec<u8>),
}

impl LogSource {
    pub fn open(path: &Path) -> io::Result<LogSource> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        Ok(LogSource {
            inner: Inner::File(file),
            len,
        })
    }

    pub fn from_bytes(bytes: Vec<u8>) -> LogSource {
        LogSource {
            len: bytes.len() as u64,
            inner: Inner::Bytes(bytes),
        }
    }

    /// The length when it was opened.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Fills `buf` with up to `max` bytes from `offset`: fewer at the end of the file, or
    /// past the point where it was cut since it was opened (none beyond it).
    pub fn read_at(&self, offset: u64, max: usize, buf: &mut Vec<u8>) -> io::Result<()> {
        match &self.inner {
            Inner::Bytes(bytes) => {
                buf.clear();
                let start = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                let end = start.saturating_add(max).min(bytes.len());
                buf.extend_from_slice(&bytes[start..end]);
                Ok(())
            }
            Inner::File(file) => {
                // Zero-filled only where the buffer grows: a window reused at the same size
                // is overwritten in place.
                if buf.len() < max {
                    buf.resize(max, 0);
                }
                let mut filled = 0;
                while filled < max {
                    match file.read_at(&mut buf[filled..max], offset + filled as u64) {
                        Ok(0) => break,
                        Ok(read) => filled += read,
                        Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                        Err(error) => {
                            buf.truncate(filled);
                            return Err(error);
                        }
                    }
                }
                buf.truncate(filled);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_windows_and_stops_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x_timing.log");
        std::fs::write(&path, b"0123456789").unwrap();
        for source in [
            LogSource::open(&path).unwrap(),
            LogSource::from_bytes(b"0123456789".to_vec()),
        ] {
            assert_eq!(source.len(), 10);
            let mut buf = Vec::new();
            source.read_at(2, 4, &mut buf).unwrap();
            assert_eq!(buf, b"2345");
            source.read_at(8, 4, &mut buf).unwrap();
            assert_eq!(buf, b"89");
            source.read_at(12, 4, &mut buf).unwrap();
            assert!(buf.is_empty());
        }
    }

    #[test]
    fn a_file_cut_after_opening_reads_short() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x_timing.log");
        std::fs::write(&path, vec![b'x'; 100_000]).unwrap();
        let source = LogSource::open(&path).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(1000)
            .unwrap();
        assert_eq!(source.len(), 100_000);
        let mut buf = Vec::new();
        source.read_at(500, 4096, &mut buf).unwrap();
        assert_eq!(buf.len(), 500);
        source.read_at(50_000, 4096, &mut buf).unwrap();
        assert!(buf.is_empty());
    }
}
