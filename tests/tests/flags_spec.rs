//! Unleash's official client specification, every file its `index.json` lists: each test's
//! `is_enabled` and each variant test's variant must be what Unleash's SDKs answer.

use config_runtime::flags::{Flags, Variant};
use config_tests::unleash_spec::{context, document, specifications};
use serde_json::{Value, json};

/// A variant as the spec writes it.
fn as_json(variant: &Variant<'_>) -> Value {
    let mut value = json!({
        "name": variant.name,
        "enabled": variant.enabled,
        "feature_enabled": variant.feature_enabled,
    });
    if let Some(payload) = variant.payload {
        value["payload"] = serde_json::to_value(payload).unwrap();
    }
    value
}

#[test]
fn every_case_of_the_client_specification_passes() {
    let Some(dir) = specifications() else { return };
    let index: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).unwrap()).unwrap();
    let (mut passed, mut failures) = (0, Vec::new());
    for file in &index {
        let spec: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let flags = Flags::from_json(&document(&spec["state"]).to_string())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        for case in spec["tests"].as_array().into_iter().flatten() {
            let ctx = context(&case["context"]);
            let got = flags.is_enabled(case["toggleName"].as_str().unwrap(), &ctx);
            if Value::Bool(got) == case["expectedResult"] {
                passed += 1;
            } else {
                failures.push(format!("{file}: {}: got {got}", case["description"]));
            }
        }
        for case in spec["variantTests"].as_array().into_iter().flatten() {
            let ctx = context(&case["context"]);
            let got = as_json(&flags.variant(case["toggleName"].as_str().unwrap(), &ctx));
            let mut expected = case["expectedResult"].clone();
            // Older files predate `feature_enabled`; compare it where the file states it.
            if expected.get("feature_enabled").is_none() {
                expected["feature_enabled"] = got["feature_enabled"].clone();
            }
            if got == expected {
                passed += 1;
            } else {
                failures.push(format!(
                    "{file}: {}: got {got}, expected {expected}",
                    case["description"]
                ));
            }
        }
    }
    println!(
        "client specification: {passed} passed, {} failed",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
