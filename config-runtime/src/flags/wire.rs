//! Unleash's client API document (`GET /api/client/features`) as it is written: the shape
//! serde reads from JSON, YAML or TOML, before [`compile`](super::compile) checks and types it.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

use super::variant::VariantPayload;

#[derive(Debug, Deserialize)]
pub(crate) struct Document {
    #[serde(default)]
    pub features: Vec<Feature>,
    #[serde(default, deserialize_with = "null_is_empty")]
    pub segments: Vec<Segment>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Feature {
    pub name: String,
    #[serde(default)]
    pub enabled: bool,
    #[serde(default, deserialize_with = "null_is_empty")]
    pub strategies: Vec<Strategy>,
    #[serde(default, deserialize_with = "null_is_empty")]
    pub variants: Vec<VariantDef>,
    #[serde(default, deserialize_with = "null_is_empty")]
    pub dependencies: Vec<Dependency>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Strategy {
    pub name: String,
    #[serde(default, deserialize_with = "null_is_empty")]
    pub parameters: BTreeMap<String, Value>,
    #[serde(default, deserialize_with = "null_is_empty")]
    pub constraints: Vec<Constraint>,
    #[serde(default, deserialize_with = "null_is_empty")]
    pub segments: Vec<u64>,
    #[serde(default, deserialize_with = "null_is_empty")]
    pub variants: Vec<VariantDef>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Constraint {
    pub context_name: String,
    pub operator: String,
    #[serde(default, deserialize_with = "null_is_empty")]
    pub values: Vec<Value>,
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(default)]
    pub inverted: bool,
    #[serde(default)]
    pub case_insensitive: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct VariantDef {
    pub name: String,
    #[serde(default)]
    pub weight: u32,
    #[serde(default)]
    pub payload: Option<VariantPayload>,
    #[serde(default)]
    pub stickiness: Option<String>,
    #[serde(default, deserialize_with = "null_is_empty")]
    pub overrides: Vec<Override>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Override {
    pub context_name: String,
    #[serde(default, deserialize_with = "null_is_empty")]
    pub values: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Dependency {
    pub feature: String,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "null_is_empty")]
    pub variants: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Segment {
    pub id: u64,
    #[serde(default, deserialize_with = "null_is_empty")]
    pub constraints: Vec<Constraint>,
}

/// Unleash writes `null` where a list or map is empty.
fn null_is_empty<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A parameter or constraint value as text: Unleash writes numbers as strings and strings as
/// numbers depending on the server version.
pub(crate) fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
