//! What the ports of real services' configs (`tests/tests/port_*.rs`) share: where their
//! copied example files are, finding the problem about one key, and the check that a
//! secret's value shows nowhere.

use std::fmt::Debug;
use std::path::PathBuf;

use config_runtime::{ConfigError, Explain, FieldError};

/// A file under `tests/data/ports/<service>/`: a service's own example config, unchanged.
pub fn data(service: &str, name: &str) -> PathBuf {
    [env!("CARGO_MANIFEST_DIR"), "data", "ports", service, name]
        .iter()
        .collect()
}

/// The problem about the key `path` (`sinks.http.uri`, `data_dirs[1].path`); panics with the
/// whole report when there is none.
pub fn error_at<'e>(err: &'e ConfigError, path: &str) -> &'e FieldError {
    err.errors()
        .iter()
        .find(|e| e.path() == path)
        .unwrap_or_else(|| panic!("no problem names {path}:\n{err}"))
}

/// Asserts that none of `canaries` (secrets' values) shows in the loaded config's `Debug`,
/// the explain report or the error of a failed load, naming which one leaked.
pub fn assert_hidden(canaries: &[&str], config: &impl Debug, explain: &Explain, err: &ConfigError) {
    let texts = [
        ("Debug", format!("{config:?}")),
        ("explain", explain.to_string()),
        ("the error", err.to_string()),
    ];
    for canary in canaries {
        for (what, text) in &texts {
            assert!(
                !text.contains(canary),
                "a secret leaked into {what}:\n{text}"
            );
        }
    }
}

/// Every string that a `"const"` keyword of `schema` holds, at any depth: the tags a JSON
/// Schema of a tagged enum allows.
pub fn schema_consts(schema: &serde_json::Value) -> Vec<String> {
    let mut found = Vec::new();
    collect_consts(schema, &mut found);
    found
}

fn collect_consts(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("const", serde_json::Value::String(text)) => found.push(text.clone()),
                    _ => collect_consts(inner, found),
                }
            }
        }
        serde_json::Value::Array(items) => {
            items.iter().for_each(|item| collect_consts(item, found))
        }
        _ => {}
    }
}
