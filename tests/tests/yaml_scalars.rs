//! Unquoted YAML scalars reach fields as the text written (`017` stays `017`, `no` stays
//! `no`), except YAML's number spellings that no field parser reads (`0x1F`, `0o17`, `1_000`,
//! `.inf`), which read as TOML's reader gives the same number. Each case goes through the
//! loader into real field types, next to TOML and JSON where they can write the same scalar.

use config_runtime::{Config, ConfigError, Format};

#[derive(Config, Debug)]
struct Text {
    value: Option<String>,
}

#[derive(Config, Debug)]
struct Int {
    value: i64,
}

#[derive(Config, Debug)]
struct Unsigned {
    value: u128,
}

#[derive(Config, Debug)]
struct Float {
    value: f64,
}

#[derive(Config, Debug)]
struct Flag {
    value: bool,
}

/// `value: <scalar>` in `format`.
fn document(format: Format, scalar: &str) -> String {
    match format {
        Format::Yaml => format!("value: {scalar}\n"),
        Format::Toml => format!("value = {scalar}\n"),
        _ => format!("{{\"value\": {scalar}}}"),
    }
}

fn text(format: Format, scalar: &str) -> Option<String> {
    Text::loader()
        .string(document(format, scalar), format)
        .load()
        .unwrap_or_else(|e| panic!("{format} `{scalar}` as text: {e}"))
        .value
}

fn int(format: Format, scalar: &str) -> Result<i64, ConfigError> {
    Int::loader()
        .string(document(format, scalar), format)
        .load()
        .map(|c| c.value)
}

fn float(format: Format, scalar: &str) -> f64 {
    Float::loader()
        .string(document(format, scalar), format)
        .load()
        .unwrap_or_else(|e| panic!("{format} `{scalar}` as a float: {e}"))
        .value
}

fn flag(format: Format, scalar: &str) -> bool {
    Flag::loader()
        .string(document(format, scalar), format)
        .load()
        .unwrap_or_else(|e| panic!("{format} `{scalar}` as a boolean: {e}"))
        .value
}

const YAML: Format = Format::Yaml;

#[test]
fn a_leading_zero_is_kept_for_text_and_read_as_decimal_by_numbers() {
    // A zip code and a file mode as text; the same scalars as numbers parse decimal, as
    // YAML 1.2 reads them and as `APP_VALUE=017` would.
    assert_eq!(text(YAML, "01720").as_deref(), Some("01720"));
    assert_eq!(text(YAML, "0644").as_deref(), Some("0644"));
    assert_eq!(text(YAML, "017").as_deref(), Some("017"));
    assert_eq!(int(YAML, "017").unwrap(), 17);
    assert_eq!(int(YAML, "-017").unwrap(), -17);
    assert_eq!(int(YAML, "00").unwrap(), 0);
    assert_eq!(float(YAML, "017"), 17.0);
    assert_eq!(float(YAML, "017.5"), 17.5);
    let env = Int::from_map([("VALUE", "017")]).unwrap();
    assert_eq!(env.value, 17, "the environment reads it the same way");
}

#[test]
fn numbers_keep_their_spelling_unless_no_field_reads_it() {
    for (scalar, as_float) in [
        ("1e3", 1000.0),
        ("1E3", 1000.0),
        (".5", 0.5),
        ("+.5", 0.5),
        ("0.", 0.0),
        ("1.0", 1.0),
        ("+1", 1.0),
    ] {
        assert_eq!(text(YAML, scalar).as_deref(), Some(scalar), "{scalar}");
        assert_eq!(float(YAML, scalar), as_float, "{scalar}");
    }
    assert_eq!(int(YAML, "+1").unwrap(), 1);
    // An integer field refuses an exponent, from any format; the error quotes what was written.
    for format in [YAML, Format::Toml] {
        let err = int(format, "1e3").unwrap_err().to_string();
        assert!(err.contains("expected an integer"), "{format}: {err}");
        assert!(err.contains("\"1e3\""), "{format}: {err}");
    }
    // Digits beyond a float's precision reach a wide integer exactly.
    let big = "12345678901234567890123";
    let unsigned = Unsigned::loader()
        .string(document(YAML, big), YAML)
        .load()
        .unwrap();
    assert_eq!(unsigned.value, 12_345_678_901_234_567_890_123);
    assert_eq!(text(YAML, big).as_deref(), Some(big));
    let precise = "0.1000000000000000055511";
    assert_eq!(text(YAML, precise).as_deref(), Some(precise));
    // Prefixed and grouped integers: as TOML reads them.
    for (scalar, number) in [("0x1F", 31), ("0o17", 15), ("1_000", 1000)] {
        let written = number.to_string();
        for format in [YAML, Format::Toml] {
            assert_eq!(int(format, scalar).unwrap(), number, "{format} {scalar}");
            assert_eq!(float(format, scalar), number as f64, "{format} {scalar}");
            assert_eq!(
                text(format, scalar).as_deref(),
                Some(written.as_str()),
                "{format} {scalar}"
            );
        }
    }
    // YAML alone: a binary number, a signed hex number.
    assert_eq!(int(YAML, "0b101").unwrap(), 5);
    assert_eq!(int(YAML, "-0x1F").unwrap(), -31);
    // Quoted, every character stays.
    assert_eq!(text(YAML, "'0x1F'").as_deref(), Some("0x1F"));
    // What all three formats can write reads alike.
    for scalar in ["17", "-7", "1.5", "1e3", "0.25"] {
        let yaml = float(YAML, scalar);
        assert_eq!(yaml, float(Format::Toml, scalar), "{scalar}");
        assert_eq!(yaml, float(Format::Json, scalar), "{scalar}");
    }
    for scalar in ["17", "-7", "+5"] {
        let yaml = int(YAML, scalar).unwrap();
        assert_eq!(yaml, int(Format::Toml, scalar).unwrap(), "{scalar}");
    }
    assert_eq!(int(Format::Json, "17").unwrap(), 17);
}

#[test]
fn booleans_keep_their_spelling_for_text() {
    // The "Norway problem": a country code is not `false`.
    assert_eq!(text(YAML, "no").as_deref(), Some("no"));
    assert_eq!(text(YAML, "True").as_deref(), Some("True"));
    assert_eq!(text(YAML, "off").as_deref(), Some("off"));
    for (scalar, on) in [
        ("True", true),
        ("TRUE", true),
        ("yes", true),
        ("on", true),
        ("no", false),
        ("Off", false),
        ("false", false),
    ] {
        assert_eq!(flag(YAML, scalar), on, "{scalar}");
    }
    // What TOML and JSON can write reads the same.
    for format in [Format::Toml, Format::Json] {
        assert_eq!(text(format, "true").as_deref(), Some("true"));
        assert!(flag(format, "true"));
        assert!(!flag(format, "false"));
    }
    assert_eq!(text(YAML, "true").as_deref(), Some("true"));
}

#[test]
fn infinity_nan_and_null_read_as_toml_and_json_read_them() {
    for (yaml, toml) in [(".inf", "inf"), ("-.Inf", "-inf"), ("+.INF", "+inf")] {
        assert_eq!(float(YAML, yaml), float(Format::Toml, toml), "{yaml}");
        assert!(float(YAML, yaml).is_infinite());
    }
    assert!(float(YAML, ".NaN").is_nan());
    assert_eq!(text(YAML, ".inf").as_deref(), Some("inf"));
    assert_eq!(text(YAML, ".nan").as_deref(), Some("NaN"));
    // Too big for a float: refused by a float field (infinity is written `.inf`), the digits
    // for text.
    let err = Float::loader()
        .string(document(YAML, "1e999"), YAML)
        .load()
        .unwrap_err()
        .to_string();
    assert!(err.contains("got \"1e999\" (too large for f64)"), "{err}");
    assert_eq!(text(YAML, "1e999").as_deref(), Some("1e999"));
    // YAML's nulls leave the key unset, as JSON's `null` does.
    for scalar in ["~", "null", "Null", "NULL", ""] {
        assert_eq!(text(YAML, scalar), None, "`{scalar}`");
        let err = int(YAML, scalar).unwrap_err().to_string();
        assert!(err.contains("required"), "`{scalar}`: {err}");
    }
    assert_eq!(text(Format::Json, "null"), None);
    assert_eq!(text(YAML, "'~'").as_deref(), Some("~"));
}
