//! TOML through `toml`'s spanned document parser, so every key has its line.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{FileValue, FormatError, Located, list_of};

pub(super) fn parse(text: &str) -> Result<FileValue, FormatError> {
    let table = DeTable::parse(text).map_err(|e| FormatError {
        message: e.message().to_owned(),
        line: e.span().map(|span| line_of(text, span.start)),
    })?;
    Ok(convert_table(text, table.into_inner()))
}

fn convert_table(text: &str, table: DeTable<'_>) -> FileValue {
    let mut entries: Vec<(usize, String, Located<FileValue>)> = table
        .into_iter()
        .map(|(key, value)| {
            let start = key.span().start;
            let line = Some(line_of(text, start));
            let value = convert(text, value);
            (
                start,
                key.into_inner().into_owned(),
                Located { value, line },
            )
        })
        .collect();
    entries.sort_by_key(|(start, ..)| *start);
    FileValue::Table(entries.into_iter().map(|(_, k, v)| (k, v)).collect())
}

fn convert(text: &str, value: Spanned<DeValue<'_>>) -> FileValue {
    match value.into_inner() {
        DeValue::String(s) => FileValue::Scalar(s.into_owned()),
        DeValue::Integer(i) => FileValue::Scalar(decimal(i.as_str(), i.radix())),
        DeValue::Float(f) => FileValue::Scalar(f.as_str().replace('_', "")),
        DeValue::Boolean(b) => FileValue::Scalar(b.to_string()),
        DeValue::Datetime(d) => FileValue::Scalar(d.to_string()),
        DeValue::Array(items) => list_of(items.into_iter().map(|item| convert(text, item))),
        DeValue::Table(table) => convert_table(text, table),
    }
}

/// TOML allows `0x`, `0o`, `0b` and `_` in integers; fields parse plain decimal.
fn decimal(digits: &str, radix: u32) -> String {
    let digits = digits.replace('_', "");
    if radix == 10 {
        return digits;
    }
    i128::from_str_radix(&digits, radix)
        .map(|n| n.to_string())
        .unwrap_or(digits)
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> u32 {
    let end = offset.min(text.len());
    let newlines = text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    u32::try_from(newlines + 1).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_from_one() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }

    fn table(text: &str) -> Vec<(String, Located<FileValue>)> {
        match parse(text).unwrap() {
            FileValue::Table(entries) => entries,
            other => panic!("not a table: {other:?}"),
        }
    }

    #[test]
    fn scalars_tables_and_lines() {
        let entries =
            table("port = 0x1F\nname = \"a\"\nratio = 1_000.5\non = true\n\n[redis]\nhost = 'h'\n");
        let names: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["port", "name", "ratio", "on", "redis"]);
        assert_eq!(entries[0].1.value, FileValue::Scalar("31".into()));
        assert_eq!(entries[2].1.value, FileValue::Scalar("1000.5".into()));
        assert_eq!(entries[4].1.line, Some(6));
        match &entries[4].1.value {
            FileValue::Table(inner) => {
                assert_eq!(inner[0].0, "host");
                assert_eq!(inner[0].1.line, Some(7));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn arrays_and_unsupported_shapes() {
        let entries = table("a = [1, 2]\nb = [[1], [2]]\n[[c]]\nx = 1\n");
        assert_eq!(
            entries[0].1.value,
            FileValue::List(vec!["1".into(), "2".into()])
        );
        assert_eq!(entries[1].1.value, FileValue::Unsupported("a nested array"));
        assert_eq!(
            entries[2].1.value,
            FileValue::Unsupported("an array of tables")
        );
    }

    #[test]
    fn errors_have_lines() {
        let err = parse("a = 1\nb = \n").unwrap_err();
        assert_eq!(err.line, Some(2));
    }
}
