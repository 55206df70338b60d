//! The official Unleash client specification (npm `@unleash/client-specification`, installed
//! by `.ci/run` under `target/unleash-spec`): its JSON files, read as they are written.

use std::path::PathBuf;

use config_runtime::flags::Context;
use serde_json::{Map, Value};

use crate::services::server_missing;

/// The directory holding `index.json` and the numbered spec files. When it is missing the
/// test fails, naming how to install it; `None` only under the skip opt-out.
pub fn specifications() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/unleash-spec/node_modules/@unleash/client-specification/specifications");
    if dir.join("index.json").is_file() {
        return Some(dir);
    }
    server_missing(
        "the Unleash client specification",
        "npm install @unleash/client-specification in target/unleash-spec",
    )
}

/// A spec test's context as a [`Context`]: standard fields by name, `properties` as
/// properties.
pub fn context(json: &Value) -> Context {
    let mut ctx = Context::new();
    let Some(fields) = json.as_object() else {
        return ctx;
    };
    for (name, value) in fields {
        let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        ctx = match name.as_str() {
            "userId" => ctx.user_id(text(value)),
            "sessionId" => ctx.session_id(text(value)),
            "remoteAddress" => ctx.remote_address(text(value)),
            "environment" => ctx.environment(text(value)),
            "appName" => ctx.app_name(text(value)),
            "currentTime" => ctx.current_time(text(value)),
            "properties" => value
                .as_object()
                .into_iter()
                .flatten()
                .fold(ctx, |ctx, (k, v)| ctx.property(k, text(v))),
            other => ctx.property(other, text(value)),
        };
    }
    ctx
}

/// A spec state as a client document: the delta API's events (`hydration`,
/// `feature-updated`, `feature-removed`, `segment-updated`, `segment-removed`) folded in
/// order into features and segments.
pub fn document(state: &Value) -> Value {
    let Some(events) = state.get("events").and_then(Value::as_array) else {
        return state.clone();
    };
    let mut features: Vec<Value> = Vec::new();
    let mut segments: Vec<Value> = Vec::new();
    let upsert = |list: &mut Vec<Value>, key: &str, item: &Value| {
        list.retain(|x| x.get(key) != item.get(key));
        list.push(item.clone());
    };
    for event in events {
        match event["type"].as_str().unwrap_or_default() {
            "hydration" => {
                features = event["features"].as_array().cloned().unwrap_or_default();
                segments = event["segments"].as_array().cloned().unwrap_or_default();
            }
            "feature-updated" => upsert(&mut features, "name", &event["feature"]),
            "feature-removed" => features.retain(|f| f["name"] != event["featureName"]),
            "segment-updated" => upsert(&mut segments, "id", &event["segment"]),
            "segment-removed" => segments.retain(|s| s["id"] != event["segmentId"]),
            other => panic!("unknown delta event type {other}"),
        }
    }
    let mut doc = Map::new();
    doc.insert("version".into(), 2.into());
    doc.insert("features".into(), Value::Array(features));
    doc.insert("segments".into(), Value::Array(segments));
    Value::Object(doc)
}
