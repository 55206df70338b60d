//! JSON through `serde_json`. `serde_json::Value` keeps no positions, so keys have no line;
//! syntax errors do.

use serde_json::Value;

use super::{FileValue, FormatError, Located, unlocated};

pub(super) fn parse(text: &str) -> Result<FileValue, FormatError> {
    let value: Value = serde_json::from_str(text).map_err(|e| FormatError {
        message: format!("{} at column {}", classify(&e), e.column()),
        line: u32::try_from(e.line()).ok(),
    })?;
    Ok(convert(value))
}

/// serde_json's messages can quote input (e.g. an unknown variant); describe the kind only.
fn classify(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Eof => "unexpected end of file",
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Data => "invalid data",
    }
}

pub(super) fn convert(value: Value) -> FileValue {
    match value {
        Value::Null => FileValue::Unsupported("null"),
        Value::Bool(b) => FileValue::Scalar(b.to_string()),
        Value::Number(n) => FileValue::Scalar(n.to_string()),
        Value::String(s) => FileValue::Scalar(s),
        Value::Array(items) => unlocated(items.into_iter().map(convert)),
        Value::Object(map) => FileValue::Table(
            map.into_iter()
                .map(|(k, v)| {
                    (
                        k,
                        Located {
                            value: convert(v),
                            line: None,
                        },
                    )
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_arrays_scalars() {
        let FileValue::Table(entries) =
            parse(r#"{"a": 1, "b": [true, "x"], "c": {"d": null}}"#).unwrap()
        else {
            panic!("not a table")
        };
        assert_eq!(entries[0].1.value, FileValue::Scalar("1".into()));
        assert_eq!(
            entries[1].1.value,
            unlocated([
                FileValue::Scalar("true".into()),
                FileValue::Scalar("x".into())
            ])
        );
        let FileValue::Table(inner) = &entries[2].1.value else {
            panic!()
        };
        assert_eq!(inner[0].1.value, FileValue::Unsupported("null"));
    }

    #[test]
    fn syntax_errors_have_lines() {
        let err = parse("{\n\"a\": }").unwrap_err();
        assert_eq!(err.line, Some(2));
    }
}
