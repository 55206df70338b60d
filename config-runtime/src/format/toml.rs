//! TOML through `toml`'s spanned document parser, so every key has its line.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{FileValue, FormatError, Located};

pub(super) fn parse(text: &str) -> Result<FileValue, FormatError> {
    let lines = Lines::of(text);
    let table = DeTable::parse(text).map_err(|e| FormatError {
        message: e.message().to_owned(),
        line: e.span().map(|span| lines.line_of(span.start)),
    })?;
    Ok(convert_table(&lines, table.into_inner()))
}

/// Where each line starts, to turn byte offsets into line numbers by binary search (a load
/// stays linear in the number of keys).
struct Lines(Vec<usize>);

impl Lines {
    fn of(text: &str) -> Self {
        let starts = text
            .bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'\n')
            .map(|(i, _)| i + 1);
        Lines(std::iter::once(0).chain(starts).collect())
    }

    /// The 1-based line of a byte offset.
    fn line_of(&self, offset: usize) -> u32 {
        let line = self.0.partition_point(|&start| {
            #[cfg(test)]
            tests::PROBES.with(|probes| probes.set(probes.get() + 1));
            start <= offset
        });
        u32::try_from(line.max(1)).unwrap_or(u32::MAX)
    }
}

fn convert_table(lines: &Lines, table: DeTable<'_>) -> FileValue {
    let mut entries: Vec<(usize, String, Located<FileValue>)> = table
        .into_iter()
        .map(|(key, value)| {
            let start = key.span().start;
            let line = Some(lines.line_of(start));
            let value = convert(lines, value);
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

fn convert(lines: &Lines, value: Spanned<DeValue<'_>>) -> FileValue {
    match value.into_inner() {
        DeValue::String(s) => FileValue::Scalar(s.into_owned()),
        DeValue::Integer(i) => FileValue::Scalar(decimal(i.as_str(), i.radix())),
        DeValue::Float(f) => FileValue::Scalar(f.as_str().replace('_', "")),
        DeValue::Boolean(b) => FileValue::Scalar(b.to_string()),
        DeValue::Datetime(d) => FileValue::Scalar(d.to_string()),
        DeValue::Array(items) => FileValue::List(
            items
                .into_iter()
                .map(|item| {
                    let line = Some(lines.line_of(item.span().start));
                    Located {
                        value: convert(lines, item),
                        line,
                    }
                })
                .collect(),
        ),
        DeValue::Table(table) => convert_table(lines, table),
    }
}

/// TOML allows `0x`, `0o`, `0b` and `_` in integers; fields parse plain decimal. A number
/// too big for any field keeps its prefix, so the field's error shows it as written.
fn decimal(digits: &str, radix: u32) -> String {
    let digits = digits.replace('_', "");
    if radix == 10 {
        return digits;
    }
    i128::from_str_radix(&digits, radix).map_or_else(
        |_| {
            let prefix = match radix {
                16 => "0x",
                8 => "0o",
                2 => "0b",
                _ => "",
            };
            format!("{prefix}{digits}")
        },
        |n| n.to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// Line starts looked at while finding lines: the work that must stay near linear.
        pub(super) static PROBES: Cell<u64> = const { Cell::new(0) };
    }

    /// Probes spent loading a file of `keys` keys.
    fn probes_for(keys: usize) -> u64 {
        let text: String = (0..keys).map(|i| format!("key_{i} = {i}\n")).collect();
        PROBES.with(|probes| probes.set(0));
        let FileValue::Table(entries) = parse(&text).unwrap() else {
            panic!("not a table")
        };
        assert_eq!(entries.len(), keys);
        assert_eq!(entries[keys - 1].1.line, u32::try_from(keys).ok());
        PROBES.with(Cell::get)
    }

    #[test]
    fn finding_lines_is_near_linear_in_the_key_count() {
        // Doubling the keys must about double the work (n log n), not quadruple it (a rescan
        // of the file per key).
        let (ten, twenty) = (probes_for(10_000), probes_for(20_000));
        assert!(ten > 0);
        assert!(
            twenty * 10 < ten * 25,
            "10k keys: {ten} probes, 20k keys: {twenty}"
        );
    }

    #[test]
    fn lines_count_from_one() {
        let lines = Lines::of("a\nb\nc");
        assert_eq!(lines.line_of(0), 1);
        assert_eq!(lines.line_of(1), 1);
        assert_eq!(lines.line_of(2), 2);
        assert_eq!(lines.line_of(99), 3);
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
    fn arrays_of_scalars_of_arrays_and_of_tables() {
        let entries = table("a = [1, 2]\nb = [[1], [2]]\n[[c]]\nx = 1\n[[c]]\nx = 2\n");
        let FileValue::List(a) = &entries[0].1.value else {
            panic!("not a list")
        };
        assert_eq!(FileValue::scalars(a), Ok(vec!["1".into(), "2".into()]));
        assert_eq!(entries[1].1.value.shape(), "a nested array");
        assert_eq!(entries[2].1.value.shape(), "an array of tables");
        let FileValue::List(sections) = &entries[2].1.value else {
            panic!("not a list")
        };
        assert_eq!(sections.len(), 2);
        let FileValue::Table(second) = &sections[1].value else {
            panic!("not a table")
        };
        assert_eq!(second[0].1.value, FileValue::Scalar("2".into()));
        assert_eq!(second[0].1.line, Some(6));
    }

    #[test]
    fn an_overflowing_hex_number_keeps_its_prefix() {
        let entries = table("big = 0xFFFF_FFFF_FFFF_FFFF_FFFF_FFFF_FFFF_FFFF_FF\nsmall = 0b101\n");
        assert_eq!(
            entries[0].1.value,
            FileValue::Scalar("0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF".into())
        );
        assert_eq!(entries[1].1.value, FileValue::Scalar("5".into()));
        assert_eq!(
            decimal("777777777777777777777777777777777777777777777", 8).get(..2),
            Some("0o")
        );
    }

    #[test]
    fn errors_have_lines() {
        let err = parse("a = 1\nb = \n").unwrap_err();
        assert_eq!(err.line, Some(2));
    }
}
