//! JSON numbers reach fields as the text written (`1e3` stays `1e3`, `1.50` stays `1.50`, a
//! 23-digit integer keeps every digit), in a file and in JSON held by a variable, as YAML and
//! TOML give the same written text. Each case goes through the loader into real field types.

use std::collections::BTreeMap;

use config_runtime::{Config, ConfigError, Format};

#[derive(Config, Debug)]
struct Text {
    value: Option<String>,
}

#[derive(Config, Debug)]
struct Unsigned {
    value: u64,
}

#[derive(Config, Debug)]
struct Signed {
    value: i64,
}

#[derive(Config, Debug)]
struct Wide {
    value: Option<i128>,
}

#[derive(Config, Debug)]
struct WideUnsigned {
    value: u128,
}

#[derive(Config, Debug)]
struct Float {
    value: f64,
}

const JSON: Format = Format::Json;

/// `value: <number>` in `format`.
fn document(format: Format, number: &str) -> String {
    match format {
        Format::Yaml => format!("value: {number}\n"),
        Format::Toml => format!("value = {number}\n"),
        _ => format!("{{\n  \"value\": {number}\n}}\n"),
    }
}

fn load<C: Config>(format: Format, number: &str) -> Result<C, ConfigError> {
    C::loader().string(document(format, number), format).load()
}

fn text(format: Format, number: &str) -> Option<String> {
    load::<Text>(format, number)
        .unwrap_or_else(|e| panic!("{format} `{number}` as text: {e}"))
        .value
}

fn float(format: Format, number: &str) -> f64 {
    load::<Float>(format, number)
        .unwrap_or_else(|e| panic!("{format} `{number}` as a float: {e}"))
        .value
}

/// Numbers that JSON, TOML and YAML all write the same way.
const WRITTEN: [&str; 8] = [
    "1e3",
    "1E3",
    "1.50",
    "-0",
    "0.0",
    "12345678901234567890123",
    "-9223372036854775809",
    "1.7976931348623157e308",
];

#[test]
fn numbers_reach_a_text_field_as_written() {
    for number in WRITTEN {
        assert_eq!(text(JSON, number).as_deref(), Some(number), "{number}");
    }
    for number in [
        "1e+3",
        "-1.5E-3",
        "1e-400",
        "0.1000000000000000055511",
        "17",
        "-7",
    ] {
        assert_eq!(text(JSON, number).as_deref(), Some(number), "{number}");
    }
    // A string that looks like a number was kept before too.
    assert_eq!(text(JSON, "\"1.50\"").as_deref(), Some("1.50"));
}

#[test]
fn number_fields_parse_the_written_text() {
    for (number, expected) in [
        ("1e3", 1000.0),
        ("1E3", 1000.0),
        ("1.50", 1.5),
        ("0.0", 0.0),
        ("12345678901234567890123", 1.2345678901234568e22),
        ("1.7976931348623157e308", f64::MAX),
    ] {
        assert_eq!(float(JSON, number), expected, "{number}");
    }
    assert!(float(JSON, "-0").is_sign_negative());

    // Integers within 64 bits read as before.
    let max = u64::MAX.to_string();
    assert_eq!(load::<Unsigned>(JSON, &max).unwrap().value, u64::MAX);
    // `-0` is an integer: zero for a signed field, refused by an unsigned one quoting it.
    assert_eq!(load::<Signed>(JSON, "-0").unwrap().value, 0);
    let err = load::<Unsigned>(JSON, "-0").unwrap_err().to_string();
    assert!(err.contains("\"-0\""), "{err}");
    // An exponent or a fraction is no integer, and the error says what is written.
    for number in ["1e3", "1.50", "0.0"] {
        let err = load::<Unsigned>(JSON, number).unwrap_err().to_string();
        assert!(err.contains("expected an integer"), "{number}: {err}");
        assert!(err.contains(&format!("\"{number}\"")), "{number}: {err}");
    }

    // Integers beyond 64 bits reach a 128-bit field exactly, and a 64-bit one refuses them.
    let wide = load::<WideUnsigned>(JSON, "12345678901234567890123").unwrap();
    assert_eq!(wide.value, 12_345_678_901_234_567_890_123);
    let below = load::<Wide>(JSON, "-9223372036854775809").unwrap();
    assert_eq!(below.value, Some(-9_223_372_036_854_775_809));
    assert_eq!(load::<Wide>(JSON, "null").unwrap().value, None);
    let err = load::<Signed>(JSON, "-9223372036854775809")
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"-9223372036854775809\""), "{err}");
    let max = u128::MAX.to_string();
    assert_eq!(load::<WideUnsigned>(JSON, &max).unwrap().value, u128::MAX);
}

#[test]
fn beyond_a_float_a_number_is_refused_in_every_format() {
    // The largest float keeps its spelling; one beyond it is serde_json's error, with its
    // line and column, as before.
    let largest = "1.7976931348623157e308";
    assert_eq!(text(JSON, largest).as_deref(), Some(largest));
    let beyond = "1.7976931348623157e309";
    for err in [
        load::<Text>(JSON, beyond).unwrap_err(),
        load::<Float>(JSON, beyond).unwrap_err(),
    ] {
        let err = err.to_string();
        assert!(err.contains("number out of range at column 33"), "{err}");
        assert!(err.contains("line 2"), "{err}");
    }
    // Quoted, it is text; a float field refuses it as too large, as it refuses it from TOML
    // or YAML unquoted (it used to read as infinity, silently).
    let quoted = format!("\"{beyond}\"");
    assert_eq!(text(JSON, &quoted).as_deref(), Some(beyond));
    let too_large = format!("expected a number, got \"{beyond}\" (too large for f64)");
    for (format, written) in [
        (JSON, quoted.as_str()),
        (Format::Toml, beyond),
        (Format::Yaml, beyond),
    ] {
        let err = load::<Float>(format, written).unwrap_err().to_string();
        assert!(err.contains(&too_large), "{format}: {err}");
    }
    // Infinity written as such is read.
    assert_eq!(float(Format::Toml, "inf"), f64::INFINITY);
    assert_eq!(float(Format::Yaml, "-.inf"), f64::NEG_INFINITY);
}

#[test]
fn json_toml_and_yaml_give_the_same_text_for_the_same_number() {
    for number in WRITTEN {
        let json = text(JSON, number);
        assert_eq!(json, text(Format::Yaml, number), "YAML {number}");
        assert_eq!(json, text(Format::Toml, number), "TOML {number}");
        let json = float(JSON, number);
        assert_eq!(
            json.to_bits(),
            float(Format::Yaml, number).to_bits(),
            "{number}"
        );
        assert_eq!(
            json.to_bits(),
            float(Format::Toml, number).to_bits(),
            "{number}"
        );
    }
}

#[derive(Config, Debug)]
#[config(prefix = "APP")]
struct Shapes {
    texts: Option<Vec<String>>,
    wide: Option<Vec<i128>>,
    #[config(default = "")]
    labels: BTreeMap<String, String>,
    #[config(default = "")]
    weights: BTreeMap<String, f64>,
    #[config(nested)]
    items: Vec<Item>,
}

#[derive(Config, Debug, PartialEq)]
struct Item {
    name: String,
    size: u128,
}

/// What `shapes` holds, as a JSON file would write it.
const SHAPES: &str = r#"{
  "texts": [1e3, 1.50, -0, 0.0, 12345678901234567890123],
  "wide": [12345678901234567890123, -9223372036854775809],
  "labels": {"a": 1E3, "b": -0},
  "weights": {"x": 1e3, "y": 1.50},
  "items": [{"name": 1.50, "size": 340282366920938463463374607431768211455}]
}"#;

fn check_shapes(cfg: &Shapes, from: &str) {
    let texts = ["1e3", "1.50", "-0", "0.0", "12345678901234567890123"];
    assert_eq!(
        cfg.texts.as_deref(),
        Some(&texts.map(String::from)[..]),
        "{from}"
    );
    assert_eq!(
        cfg.wide.as_deref(),
        Some(&[12_345_678_901_234_567_890_123, -9_223_372_036_854_775_809][..]),
        "{from}"
    );
    let labels: Vec<(&str, &str)> = (cfg.labels.iter())
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(labels, [("a", "1E3"), ("b", "-0")], "{from}");
    assert_eq!(cfg.weights["x"], 1000.0, "{from}");
    assert_eq!(cfg.weights["y"], 1.5, "{from}");
    let item = Item {
        name: "1.50".to_owned(),
        size: u128::MAX,
    };
    assert_eq!(cfg.items, [item], "{from}");
}

#[test]
fn lists_maps_and_sections_in_a_file_keep_numbers_as_written() {
    let cfg = Shapes::loader().string(SHAPES, JSON).load().unwrap();
    check_shapes(&cfg, "a JSON file");
}

#[test]
fn json_held_by_a_variable_or_an_override_keeps_numbers_as_written() {
    // Maps and lists of sections take JSON in one variable; list fields take `a,b`.
    let cfg = Shapes::from_map([
        ("APP_TEXTS", "1e3, 1.50, -0, 0.0, 12345678901234567890123"),
        ("APP_WIDE", "12345678901234567890123, -9223372036854775809"),
        ("APP_LABELS", r#"{"a": 1E3, "b": -0}"#),
        ("APP_WEIGHTS", r#"{"x": 1e3, "y": 1.50}"#),
        (
            "APP_ITEMS",
            r#"[{"name": 1.50, "size": 340282366920938463463374607431768211455}]"#,
        ),
    ])
    .unwrap();
    check_shapes(&cfg, "variables");

    // The same JSON as overrides by key.
    let cfg = Shapes::loader()
        .set("texts", "1e3, 1.50, -0, 0.0, 12345678901234567890123")
        .set("wide", "12345678901234567890123, -9223372036854775809")
        .set("labels", r#"{"a": 1E3, "b": -0}"#)
        .set("weights", r#"{"x": 1e3, "y": 1.50}"#)
        .set(
            "items",
            r#"[{"name": 1.50, "size": 340282366920938463463374607431768211455}]"#,
        )
        .load()
        .unwrap();
    check_shapes(&cfg, "overrides");

    // Beyond a float, the variable's JSON does not parse: the text reaches the map as it
    // did before, and is refused there against the variable.
    let err = Shapes::from_map([("APP_WEIGHTS", r#"{"x": 1e999}"#)]).unwrap_err();
    assert!(err.to_string().contains("APP_WEIGHTS"), "{err}");
}
