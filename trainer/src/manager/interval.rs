//! When periodic checkpoints are written, written as the command line and the settings' JSON
//! take it: `2m` (minutes), `90s` (seconds), `50u` (updates), a bare number of minutes, or `0`
//! for the final checkpoint only.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CheckpointInterval {
    /// Only the final checkpoint.
    Never,
    Every(Duration),
    EveryUpdates(u64),
}

impl FromStr for CheckpointInterval {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let invalid = || {
            format!(
                "`{text}` is not a checkpoint interval: expected e.g. 2m, 90s, 50u, or 0 for none"
            )
        };
        let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
            Some(split) => text.split_at(split),
            None => (text, "m"),
        };
        if unit == "u" {
            let updates: u64 = number.parse().map_err(|_| invalid())?;
            return Ok(if updates == 0 {
                CheckpointInterval::Never
            } else {
                CheckpointInterval::EveryUpdates(updates)
            });
        }
        let value: f64 = number.parse().map_err(|_| invalid())?;
        let seconds = match unit {
            "m" => value * 60.0,
            "s" => value,
            _ => return Err(invalid()),
        };
        if !seconds.is_finite() || seconds < 0.0 {
            return Err(invalid());
        }
        Ok(if seconds == 0.0 {
            CheckpointInterval::Never
        } else {
            CheckpointInterval::Every(Duration::from_secs_f64(seconds))
        })
    }
}

/// The form `from_str` reads back: `0`, `<seconds>s` or `<updates>u`.
impl fmt::Display for CheckpointInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointInterval::Never => write!(f, "0"),
            CheckpointInterval::Every(every) => write!(f, "{}s", every.as_secs_f64()),
            CheckpointInterval::EveryUpdates(updates) => write!(f, "{updates}u"),
        }
    }
}

impl Serialize for CheckpointInterval {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CheckpointInterval {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_intervals() {
        let parse = |s: &str| s.parse::<CheckpointInterval>();
        assert_eq!(
            parse("2m"),
            Ok(CheckpointInterval::Every(Duration::from_secs(120)))
        );
        assert_eq!(
            parse("1.5"),
            Ok(CheckpointInterval::Every(Duration::from_secs(90)))
        );
        assert_eq!(
            parse("45s"),
            Ok(CheckpointInterval::Every(Duration::from_secs(45)))
        );
        assert_eq!(parse("50u"), Ok(CheckpointInterval::EveryUpdates(50)));
        assert_eq!(parse("0"), Ok(CheckpointInterval::Never));
        assert_eq!(parse("0u"), Ok(CheckpointInterval::Never));
        assert_eq!(
            parse("5h"),
            Err(
                "`5h` is not a checkpoint interval: expected e.g. 2m, 90s, 50u, or 0 for none"
                    .into()
            )
        );
        assert!(parse("-1m").is_err());
        assert!(parse("xu").is_err());
    }

    #[test]
    fn intervals_are_written_as_they_are_read() {
        for (interval, text) in [
            (CheckpointInterval::Never, "0"),
            (CheckpointInterval::Every(Duration::from_secs(120)), "120s"),
            (
                CheckpointInterval::Every(Duration::from_millis(1500)),
                "1.5s",
            ),
            (CheckpointInterval::EveryUpdates(50), "50u"),
        ] {
            assert_eq!(interval.to_string(), text);
            assert_eq!(text.parse::<CheckpointInterval>(), Ok(interval));
            let json = serde_json::to_string(&interval).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(
                serde_json::from_str::<CheckpointInterval>(&json).unwrap(),
                interval
            );
        }
        assert_eq!(
            serde_json::from_str::<CheckpointInterval>("\"5h\"")
                .unwrap_err()
                .to_string(),
            "`5h` is not a checkpoint interval: expected e.g. 2m, 90s, 50u, or 0 for none"
        );
    }
}
