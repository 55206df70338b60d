//! YAML through `serde-saphyr` (maintained, panic-free; `serde_yaml` is deprecated). Values
//! arrive as `serde_json::Value`, so keys have no line; errors do. The parser's own message
//! can quote the offending source line, which may hold a secret, so only its position is kept.

use super::{FileValue, FormatError, json};

pub(super) fn parse(text: &str) -> Result<FileValue, FormatError> {
    if text.trim().is_empty() {
        return Ok(FileValue::Table(Vec::new()));
    }
    let value: serde_json::Value = serde_saphyr::from_str(text).map_err(|e| FormatError {
        message: "the document is not valid YAML".to_owned(),
        line: e
            .location()
            .and_then(|location| u32::try_from(location.line()).ok()),
    })?;
    Ok(json::convert(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_lists_scalars() {
        let FileValue::Table(entries) =
            parse("port: 80\nflags: [a, b]\nredis:\n  host: h\n").unwrap()
        else {
            panic!("not a table")
        };
        assert_eq!(entries[0].1.value, FileValue::Scalar("80".into()));
        assert_eq!(
            entries[1].1.value,
            super::super::unlocated([FileValue::Scalar("a".into()), FileValue::Scalar("b".into())])
        );
        assert!(matches!(entries[2].1.value, FileValue::Table(_)));
    }

    #[test]
    fn errors_keep_the_line_and_not_the_text() {
        let err = parse("a: 1\nb: [unclosed-secret-value\n").unwrap_err();
        assert!(!err.message.contains("unclosed-secret-value"));
        assert!(err.line.is_some());
    }
}
