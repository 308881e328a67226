//! A run's settings as flat dotted keys (`settings.ppo.lr`), and which of them differ
//! between runs: what a reader needs to see before any timing.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::ingest::manifest::Manifest;

/// Keys of the manifest itself that count as settings.
const MANIFEST_KEYS: [&str; 4] = ["program", "version", "timing_mode", "host"];

/// `metadata.settings` flattened (`settings.a.b`; arrays are values), plus the program, its
/// version, the timing mode and the host.
pub fn flatten(manifest: &Manifest) -> BTreeMap<String, Value> {
    let mut flat = BTreeMap::new();
    let fields = [
        &manifest.program,
        &manifest.version,
        &manifest.timing_mode,
        &manifest.host,
    ];
    for (key, value) in MANIFEST_KEYS.iter().zip(fields) {
        if let Some(value) = value {
            flat.insert(key.to_string(), Value::String(value.clone()));
        }
    }
    if let Some(settings) = manifest.settings() {
        flatten_into("settings", settings, &mut flat);
    }
    flat
}

fn flatten_into(prefix: &str, value: &Value, flat: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, value) in map {
                flatten_into(&format!("{prefix}.{key}"), value, flat);
            }
        }
        other => {
            flat.insert(prefix.to_string(), other.clone());
        }
    }
}

/// A setting whose value differs between two runs (`None`: the run does not have it).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SettingChange {
    pub key: String,
    pub base: Option<Value>,
    pub new: Option<Value>,
}

/// The settings that differ between `base` and `new`, by key.
pub fn changes(
    base: &BTreeMap<String, Value>,
    new: &BTreeMap<String, Value>,
) -> Vec<SettingChange> {
    let keys: BTreeSet<&String> = base.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter(|key| base.get(*key) != new.get(*key))
        .map(|key| SettingChange {
            key: key.clone(),
            base: base.get(key).cloned(),
            new: new.get(key).cloned(),
        })
        .collect()
}

/// The keys whose values are not the same in every one of `runs` (a key some run lacks
/// differs).
pub fn differing_keys(runs: &[&BTreeMap<String, Value>]) -> Vec<String> {
    let keys: BTreeSet<&String> = runs.iter().flat_map(|run| run.keys()).collect();
    keys.into_iter()
        .filter(|key| {
            let first = runs.first().and_then(|run| run.get(*key));
            runs.iter().any(|run| run.get(*key) != first)
        })
        .cloned()
        .collect()
}

/// A value as a person reads it: strings without quotes, the rest as JSON, `-` for none.
pub fn display(value: Option<&Value>) -> String {
    match value {
        None => "-".to_string(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn manifest(settings: Value, host: &str) -> Manifest {
        let mut manifest = Manifest {
            program: Some("trainer".into()),
            host: Some(host.into()),
            ..Manifest::default()
        };
        manifest.metadata.insert("settings".into(), settings);
        manifest
    }

    #[test]
    fn flattens_nested_settings_into_dotted_keys() {
        let flat = flatten(&manifest(
            json!({"ppo": {"lr": 0.001, "epochs": 4}, "hidden": [256, 256], "empty": {}}),
            "box",
        ));
        let keys: Vec<&str> = flat.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "host",
                "program",
                "settings.empty",
                "settings.hidden",
                "settings.ppo.epochs",
                "settings.ppo.lr"
            ]
        );
        assert_eq!(flat["settings.hidden"], json!([256, 256]));
        assert_eq!(display(flat.get("settings.hidden")), "[256,256]");
        assert_eq!(display(flat.get("host")), "box");
        assert_eq!(display(None), "-");
    }

    #[test]
    fn changes_list_differing_and_missing_keys() {
        let base = flatten(&manifest(json!({"lr": 0.001, "envs": 8}), "a"));
        let new = flatten(&manifest(json!({"lr": 0.0003, "envs": 8, "seed": 1}), "a"));
        assert_eq!(
            changes(&base, &new),
            [
                SettingChange {
                    key: "settings.lr".into(),
                    base: Some(json!(0.001)),
                    new: Some(json!(0.0003)),
                },
                SettingChange {
                    key: "settings.seed".into(),
                    base: None,
                    new: Some(json!(1)),
                },
            ]
        );
        assert!(changes(&base, &base).is_empty());
        let third = flatten(&manifest(json!({"lr": 0.001, "envs": 8}), "b"));
        assert_eq!(
            differing_keys(&[&base, &new, &third]),
            ["host", "settings.lr", "settings.seed"]
        );
        assert!(differing_keys(&[&base, &base]).is_empty());
    }
}
