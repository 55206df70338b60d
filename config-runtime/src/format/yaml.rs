//! YAML through `serde-saphyr` (maintained, panic-free; `serde_yaml` is deprecated). Values
//! arrive as `serde_json::Value`, so keys have no line; errors do. The parser's own message
//! can quote the offending source line, which may hold a secret, so only its position is kept.

use super::{FileValue, FormatError, json};

pub(super) fn parse(text: &str) -> Result<FileValue, FormatError> {
    if text.trim().is_empty() {
        return Ok(FileValue::Table(Vec::new()));
    }
    let value: serde_json::Value = serde_saphyr::from_str(text).map_err(|e| {
        let location = e.location();
        let column = location.map_or(String::new(), |l| format!(" at column {}", l.column()));
        FormatError {
            message: format!("{}{column}", reason(&e)),
            line: location.and_then(|l| u32::try_from(l.line()).ok()),
        }
    })?;
    Ok(json::convert(value))
}

/// What went wrong, from the kind of error only: the parser's own message can quote the
/// offending line (and a key named in it is shown only when it is short).
fn reason(error: &serde_saphyr::Error) -> String {
    use serde_saphyr::Error;
    use serde_saphyr::budget::BudgetBreach;
    let mut error = error;
    loop {
        error = match error {
            Error::WithSnippet { error, .. } | Error::AliasError { error, .. } => error,
            _ => break,
        };
    }
    match error {
        Error::DuplicateMappingKey { key: Some(key), .. } if key.chars().count() <= 64 => {
            format!("duplicate key `{key}`")
        }
        Error::DuplicateMappingKey { .. } => "duplicate key".to_owned(),
        Error::Eof { .. } => "unexpected end of file".to_owned(),
        Error::NonFiniteFloat { .. } => "number out of range".to_owned(),
        Error::MultipleDocuments { .. } => "more than one document".to_owned(),
        Error::UnknownAnchor { .. } => "an alias names an unknown anchor".to_owned(),
        Error::AliasReplayCounterOverflow { .. }
        | Error::AliasReplayLimitExceeded { .. }
        | Error::AliasExpansionLimitExceeded { .. }
        | Error::AliasReplayStackDepthExceeded { .. } => {
            "alias expansion limit exceeded".to_owned()
        }
        Error::Budget { breach, .. } => match breach {
            BudgetBreach::Depth { .. } => "nesting depth limit exceeded".to_owned(),
            BudgetBreach::Aliases { .. } | BudgetBreach::Anchors { .. } => {
                "alias limit exceeded".to_owned()
            }
            _ => "document size limit exceeded".to_owned(),
        },
        Error::InvalidUtf8Input => "the file is not valid UTF-8".to_owned(),
        // The scanner's own text may quote the input: only a known fault is named.
        Error::Message { msg, .. } | Error::ExternalMessage { msg, .. }
            if msg.contains("recursion limit") =>
        {
            "nesting depth limit exceeded".to_owned()
        }
        _ => "syntax error".to_owned(),
    }
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
    fn errors_give_the_reason_line_and_column() {
        let err = parse("a: 1\nb: 2\na: hunter2\n").unwrap_err();
        assert!(err.message.contains("duplicate key `a`"), "{err:?}");
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("column"), "{err:?}");
        assert!(!err.message.contains("hunter2"));
        let deep = format!("a: {}1{}\n", "[".repeat(2000), "]".repeat(2000));
        let err = parse(&deep).unwrap_err();
        assert!(err.message.contains("depth"), "{err:?}");
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n";
        let err = parse(bomb).unwrap_err();
        assert!(err.message.contains("limit"), "{err:?}");
    }

    #[test]
    fn errors_keep_the_line_and_not_the_text() {
        let err = parse("a: 1\nb: [unclosed-secret-value\n").unwrap_err();
        assert!(!err.message.contains("unclosed-secret-value"));
        assert!(err.line.is_some());
    }
}
