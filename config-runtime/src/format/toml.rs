//! TOML through `toml`'s spanned document parser, so every key has its line. The common
//! file takes a fast path first (`toml_lines`, then `toml_fast`); what neither is sure of
//! comes here.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{FileValue, FormatError, Located, decimal, without_underscores};

pub(super) fn parse(text: &str) -> Result<FileValue, FormatError> {
    match super::toml_lines::parse(text).or_else(|| super::toml_fast::parse(text)) {
        Some(tree) => Ok(tree),
        None => parse_full(text),
    }
}

/// [`parse`] for a text the line reader's flat tree did not take (it is not read again).
pub(super) fn parse_not_flat(text: &str) -> Result<FileValue, FormatError> {
    match super::toml_lines::parse_built(text).or_else(|| super::toml_fast::parse(text)) {
        Some(tree) => Ok(tree),
        None => parse_full(text),
    }
}

/// The full parser alone: every document, and the wording of every error.
pub(super) fn parse_full(text: &str) -> Result<FileValue, FormatError> {
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
        DeValue::Float(f) => FileValue::Scalar(without_underscores(f.as_str())),
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

#[cfg(test)]
mod tests {
    use super::super::{toml_fast, toml_lines};
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
        let FileValue::Table(entries) = parse_full(&text).unwrap() else {
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

    /// Documents the fast path must read exactly as the full parser does, or leave to it.
    const DOCUMENTS: &[&str] = &[
        "",
        "# only a comment\n\n   # another\n",
        "\n\n\n",
        "a = 1\r\nb = 'x'\r\n[t]\r\nc = true\r\n",
        "port = 0x1F\noct = 0o17\nbin = 0b1010_1010\nneg = -17\nplus = +5\nbig = 1_000_000\n",
        "f1 = 1.5\nf2 = -0.25e-3\nf3 = 1_000.000_1\nf4 = inf\nf5 = -inf\nf6 = nan\nf7 = 6E+2\n",
        "t = true\nf = false\n",
        "s1 = \"a\\tb\\n\\\"q\\\" \\u00e9 \\U0001F600\"\ns2 = 'C:\\path'\n",
        "ml = \"\"\"\nline one\nline \\\n   two\"\"\"\nafter = 1\n",
        "ml = '''\nraw\n  text\n'''\nafter = 2\n[t]\nx = \"\"\"a\nb\"\"\"\ny = 3\n",
        "\"quoted.key\" = 1\n'lit.key' = 2\n\"\" = 3\n\"a\\u00e9\" = 4\n",
        "clé = 1\n\"ключ\" = 2\n[таблица]\nk = 3\n",
        "a.b.c = 1\na.b.d = 2\na.e = 3\nx = 4\n",
        "a . b = 1\n\"a\".'c' = 2\n",
        "[a]\nx = 1\n[b]\ny = 2\n[a.c]\nz = 3\n",
        "[a.b.c]\nx = 1\n[a]\ny = 2\n",
        "[a.b.c]\nx = 1\n[a.d]\nz = 0\n[a.b]\ny = 2\n",
        "[ a . b ]\nx = 1\n[ \"q.k\" ]\ny = 2\n",
        "[[a]]\nx = 1\n[[a]]\nx = 2\n[a.b]\ny = 3\n[[a.c]]\nz = 4\n[[a.c]]\nz = 5\n",
        "[[a]]\n[[a]]\n[[a]]\n",
        "[[a.b]]\nx = 1\n[a]\ny = 2\n",
        "arr = [1, 2, 3]\nnested = [[1, 2], [\"a\"], []]\nempty = []\n",
        "multi = [\n  1,\n  2, # comment\n  3,\n]\nnext = 1\n",
        "tables = [{ a = 1 }, { b = 2, c.d = 3 }]\n",
        "it = { a = 1, b = { c = 2 }, d.e = 3, d.f = 4 }\nafter = 5\n",
        "it = {}\nlist = [{}]\n",
        "it = {\n  a = 1,\n  b = 2,\n}\n",
        "a.b = 1\n[a.c]\nx = 2\n",
        "x.y = 1\n[z]\nx.y = 2\n",
        "[a.b.c]\n[a]\nb.d = 1\n",
        "mixed = [1, 'a', 1.5, true, [2], { k = 3 }]\n",
        "deep = [[[[[[[[1]]]]]]]]\n",
        "k = 1 # trailing comment\n# between\nj = 2",
        "big = 0xFFFF_FFFF_FFFF_FFFF_FFFF_FFFF_FFFF_FFFF_FF\n",
        "date = 1979-05-27T07:32:00Z\nd = 1979-05-27\n",
        // Errors and conflicts: the fast path must leave these to the full parser.
        "a = 1\na = 2\n",
        "a.b = 1\na = 2\n",
        "a = 1\na.b = 2\n",
        "[a]\n[a]\n",
        "[a]\nb.c = 1\n[a.b]\n",
        "[a.b]\nx = 1\n[a]\nb = 2\n",
        "[[a]]\n[a]\n",
        "a = [1]\n[[a]]\n",
        "a = { b = 1 }\n[a.c]\n",
        "a = { b = 1 }\na.c = 2\n",
        "i = { a = 1, a = 2 }\n",
        "i = { a = { b = 1 }, a.c = 2 }\n",
        "[t]\nx = 1\n[t.x]\n",
        "a = \n",
        "a = 1 b = 2\n",
        "a = \"unterminated\n",
        "a = 1\r\n\rb = 2\n",
        "# bad \u{7} comment\na = 1\n",
        "[a\nb = 1\n",
        "a = 1979-13-99\n",
        "k = 'x' = 'y'\n",
        "= 1\n",
        "a = [1,,2]\n",
    ];

    #[test]
    fn the_fast_path_reads_what_the_full_parser_reads() {
        for document in DOCUMENTS {
            let full = parse_full(document);
            match toml_fast::parse(document) {
                Some(fast) => assert_eq!(Ok(&fast), full.as_ref(), "document {document:?}"),
                // Every construct but dates is the fast path's own; errors never are.
                None => assert!(
                    full.is_err() || document.contains("1979"),
                    "the fast path left {document:?}"
                ),
            }
            if let Some(lines) = toml_lines::parse(document) {
                assert_eq!(
                    Ok(&lines),
                    full.as_ref(),
                    "line reader, document {document:?}"
                );
            }
            assert_eq!(parse(document), full, "document {document:?}");
        }
    }

    #[test]
    fn the_fast_path_answers_the_common_file_and_leaves_the_rest() {
        assert!(toml_fast::parse("a = 1\n[t]\nb.c = 'x'\n[[l]]\nd = [1, { e = 2 }]\n").is_some());
        assert!(toml_fast::parse("a = 1\na = 2\n").is_none());
        assert!(toml_fast::parse("a = 1979-05-27\n").is_none());
        assert!(toml_fast::parse("a = \n").is_none());
        let deep = format!("a = {}1{}\n", "[".repeat(70), "]".repeat(70));
        assert!(toml_fast::parse(&deep).is_none());
    }

    /// Small documents drawn from a grammar that makes the keys of headers, dotted keys and
    /// inline tables meet (what redefinition rules are about): wherever the fast path
    /// answers, it gives the full parser's tree, and it answers most valid ones.
    #[test]
    fn the_fast_path_agrees_on_generated_documents() {
        const SEGMENTS: &[&str] = &["a", "b", "\"c.d\"", "'a'", "é"];
        const VALUES: &[&str] = &[
            "1",
            "'v'",
            "[1, { a = 1 }]",
            "{ a.b = 1, c = 2 }",
            "[]",
            "0x10",
            "\"\"\"m\nl\"\"\"",
            "[[1], [\n2]]",
            "{}",
            "-1.5e3",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |below: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            usize::try_from(seed % below as u64).unwrap()
        };
        let (mut valid, mut answered, mut by_lines) = (0, 0, 0);
        for _ in 0..3000 {
            let mut document = String::new();
            for _ in 0..1 + next(7) {
                let path: Vec<&str> = (0..1 + next(3)).map(|_| SEGMENTS[next(5)]).collect();
                let path = path.join(".");
                match next(5) {
                    0 => document.push_str(&format!("[{path}]\n")),
                    1 => document.push_str(&format!("[[{path}]]\n")),
                    _ => document.push_str(&format!("{path} = {}\n", VALUES[next(10)])),
                }
            }
            let full = parse_full(&document);
            valid += usize::from(full.is_ok());
            if let Some(fast) = toml_fast::parse(&document) {
                answered += 1;
                assert_eq!(Ok(&fast), full.as_ref(), "document {document:?}");
            }
            if let Some(lines) = toml_lines::parse(&document) {
                by_lines += 1;
                assert_eq!(Ok(&lines), full.as_ref(), "line reader, {document:?}");
            }
        }
        assert!(answered * 10 >= valid * 9, "{answered} answered of {valid}");
        // Documents of bare keys and plain values only: the line reader's share.
        assert!(
            by_lines * 10 >= valid,
            "{by_lines} read by lines of {valid}"
        );
    }

    #[test]
    fn errors_have_lines() {
        let err = parse("a = 1\nb = \n").unwrap_err();
        assert_eq!(err.line, Some(2));
    }
}
