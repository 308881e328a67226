//! `metrics.jsonl`, the trainer's stream of one JSON object per iteration: its last complete
//! line holds the run's final figures (`steps_per_s_overall`, the score averages). Only the
//! file's tail is read, whatever its length.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde_json::{Map, Value};

use crate::error::Error;

pub const METRICS_FILE: &str = "metrics.jsonl";

/// Bytes read from the end: far more than one line of metrics.
const TAIL_BYTES: u64 = 256 << 10;

/// The last line of `dir/metrics.jsonl` that is a complete JSON object (a killed run may
/// leave a torn last line), or `None` without the file or such a line.
pub fn last_metrics(dir: &Path) -> Result<Option<Map<String, Value>>, Error> {
    let path = dir.join(METRICS_FILE);
    let read_error = |source| Error::Read {
        path: path.clone(),
        source,
    };
    let mut file = match File::open(&path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(read_error(source)),
    };
    let length = file.metadata().map_err(read_error)?.len();
    let start = length.saturating_sub(TAIL_BYTES);
    file.seek(SeekFrom::Start(start)).map_err(read_error)?;
    let mut tail = Vec::new();
    file.take(TAIL_BYTES)
        .read_to_end(&mut tail)
        .map_err(read_error)?;
    let text = String::from_utf8_lossy(&tail);
    // The first line of a tail that starts mid-file may be cut: only whole lines count.
    let lines: Vec<&str> = text.lines().collect();
    let whole = if start > 0 {
        &lines[1.min(lines.len())..]
    } else {
        &lines[..]
    };
    Ok(whole
        .iter()
        .rev()
        .find_map(|line| match serde_json::from_str::<Value>(line.trim()) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_whole_object_counts() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(last_metrics(dir.path()).unwrap(), None);
        std::fs::write(
            dir.path().join(METRICS_FILE),
            "{\"iteration\":1,\"steps_per_s_overall\":10.5}\n{\"iteration\":2,\"steps_per_s_overall\":11.5}\n{\"iteration\":3,\"steps_",
        )
        .unwrap();
        let last = last_metrics(dir.path()).unwrap().unwrap();
        assert_eq!(last["iteration"], 2);
        assert_eq!(last["steps_per_s_overall"], 11.5);
    }

    #[test]
    fn a_long_file_is_read_from_its_tail() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::new();
        for iteration in 0..20_000 {
            text.push_str(&format!(
                "{{\"iteration\":{iteration},\"steps_per_s_overall\":{iteration}.25}}\n"
            ));
        }
        assert!(text.len() as u64 > TAIL_BYTES);
        std::fs::write(dir.path().join(METRICS_FILE), text).unwrap();
        let last = last_metrics(dir.path()).unwrap().unwrap();
        assert_eq!(last["iteration"], 19_999);
    }
}
