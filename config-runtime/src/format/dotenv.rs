//! `.env` files. A small parser of our own rather than `dotenvy`: references (`${env:VAR}`,
//! and the shell forms `${VAR}`, `${VAR:-default}`, `${VAR:?message}`) are left in the values
//! and resolved later, the same way for every source; and errors carry line numbers.
//!
//! Supported: `KEY=value`, `export KEY=value` (any blanks after `export`), blanks around `=`,
//! full-line `#` comments and ` #` comments after unquoted values, single quotes (literal:
//! a `${` inside stays text), double quotes (`\n`, `\t`, `\r`, `\"`, `\'`, `\\`, `\$`,
//! `\ ` escapes, any other backslash kept; may span lines), empty values, LF, CRLF and bare CR
//! line ends, a leading byte-order mark. One pass over the text: linear in its size.

use std::collections::HashMap;

use super::FormatError;

/// One variable of a `.env` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DotenvEntry {
    pub key: String,
    pub value: String,
    /// The line the variable starts on.
    pub line: u32,
}

/// Where the parser is in the text.
struct Cursor<'t> {
    text: &'t str,
    pos: usize,
    /// 1-based line of `pos`.
    line: u32,
}

impl<'t> Cursor<'t> {
    /// The end of the current line (the offset of its `\n` or `\r`, or the end of the text).
    fn line_end(&self) -> usize {
        #[cfg(test)]
        tests::STEPS.with(|steps| steps.set(steps.get() + 1));
        self.text[self.pos..]
            .find(['\n', '\r'])
            .map_or(self.text.len(), |at| self.pos + at)
    }

    /// Moves to the start of the next line from `end`, the end of the current one.
    fn next_line(&mut self, end: usize) {
        let rest = &self.text[end..];
        let skip = if rest.starts_with("\r\n") {
            2
        } else {
            usize::from(!rest.is_empty())
        };
        self.pos = end + skip;
        self.line = self.line.saturating_add(1);
    }
}

/// Parses a `.env` file. Errors name the line and the key, never the value.
pub(crate) fn parse_dotenv(text: &str) -> Result<Vec<DotenvEntry>, FormatError> {
    let text = super::strip_bom(text);
    let mut cursor = Cursor {
        text,
        pos: 0,
        line: 1,
    };
    let mut entries = Vec::new();
    let mut lines = KeyLines::default();
    while cursor.pos < text.len() {
        let line_number = cursor.line;
        let error = |message: String| FormatError {
            message,
            line: Some(line_number),
        };
        let end = cursor.line_end();
        let line = text[cursor.pos..end].trim_start();
        if line.is_empty() || line.starts_with('#') {
            cursor.next_line(end);
            continue;
        }
        let line = match line.strip_prefix("export") {
            Some(rest) if rest.starts_with([' ', '\t']) => rest.trim_start(),
            _ => line,
        };
        let Some((key, rest)) = line.split_once('=') else {
            return Err(error("expected NAME=value".to_owned()));
        };
        let key = key.trim_end();
        if !is_valid_key(key) {
            return Err(error(
                "a variable name is letters, digits, `_`, `.` and `-`, not starting with a digit"
                    .to_owned(),
            ));
        }
        lines.set(key, line_number).map_err(error)?;
        let rest = rest.trim_start();
        let value = match rest.chars().next() {
            Some(quote @ ('"' | '\'')) => {
                // `rest` ends where the line does: the quote's offset in the whole text.
                cursor.pos = end - rest.len() + 1;
                let Some(value) = quoted(&mut cursor, quote) else {
                    return Err(error(format!("the quoted value of {key} is never closed")));
                };
                let end = cursor.line_end();
                let after = text[cursor.pos..end].trim_start();
                if !after.is_empty() && !after.starts_with('#') {
                    return Err(FormatError {
                        message: format!("unexpected text after the quoted value of {key}"),
                        line: Some(cursor.line),
                    });
                }
                cursor.next_line(end);
                value
            }
            _ => {
                cursor.next_line(end);
                strip_comment(rest).trim_end().to_owned()
            }
        };
        entries.push(DotenvEntry {
            key: key.to_owned(),
            value,
            line: line_number,
        });
    }
    Ok(entries)
}

/// The line each key of a dotenv file is set on. A key set twice is an error, as a repeated
/// key is in every format (tools disagree on which one wins); a plain `.env` and a dotenv
/// file sops wrote both use this.
#[derive(Default)]
pub(crate) struct KeyLines<'t>(HashMap<&'t str, u32>);

impl<'t> KeyLines<'t> {
    /// Records that `key` is set on `line`; when it was set before, the message naming both
    /// lines (never a value).
    pub fn set(&mut self, key: &'t str, line: u32) -> Result<(), String> {
        match self.0.insert(key, line) {
            Some(first) => Err(format!("{key} is set twice, on lines {first} and {line}")),
            None => Ok(()),
        }
    }
}

fn is_valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Reads a quoted value from just after its opening quote to just after its closing one;
/// `None` when the text ends first. Line ends inside the value (LF, CRLF, CR) become `\n`.
/// A single-quoted value is literal: its `${` is escaped to `$${`, which the reference step
/// renders back as `${`.
fn quoted(cursor: &mut Cursor<'_>, quote: char) -> Option<String> {
    let text = cursor.text;
    let mut value = String::new();
    let mut chars = text[cursor.pos..].char_indices().peekable();
    let start = cursor.pos;
    while let Some((i, c)) = chars.next() {
        #[cfg(test)]
        tests::STEPS.with(|steps| steps.set(steps.get() + 1));
        match c {
            c if c == quote => {
                cursor.pos = start + i + c.len_utf8();
                if quote == '\'' {
                    value = value.replace("${", "$${");
                }
                return Some(value);
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek().is_some_and(|&(_, next)| next == '\n') {
                    chars.next();
                }
                cursor.line = cursor.line.saturating_add(1);
                value.push('\n');
            }
            '\\' if quote == '"' => match chars.peek().map(|&(_, next)| next) {
                Some(escaped @ ('n' | 't' | 'r' | '"' | '\'' | '\\' | '$' | ' ')) => {
                    chars.next();
                    match escaped {
                        'n' => value.push('\n'),
                        't' => value.push('\t'),
                        'r' => value.push('\r'),
                        '$' => {
                            // A literal `$`: before `{` it must not start a reference.
                            value.push('$');
                            if chars.peek().is_some_and(|&(_, next)| next == '{') {
                                value.push('$');
                            }
                        }
                        other => value.push(other),
                    }
                }
                // Any other backslash is kept, with what follows read as usual.
                _ => value.push('\\'),
            },
            c => value.push(c),
        }
    }
    None
}

/// An unquoted value ends at ` #` (a `#` right after text is part of the value).
fn strip_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &value[..i];
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// Characters of quoted values read and line ends searched: the parser's work.
        pub(super) static STEPS: Cell<u64> = const { Cell::new(0) };
    }

    /// The work of parsing one quoted value of `lines` lines.
    fn steps_for(lines: usize) -> u64 {
        let body: String = (0..lines).map(|i| format!("line {i}\n")).collect();
        let text = format!("A=1\nM=\"{body}\"\nB=2\n");
        STEPS.with(|steps| steps.set(0));
        let entries = parse_dotenv(&text).unwrap();
        assert_eq!(entries[1].value.lines().count(), lines);
        assert_eq!(entries[2].line, u32::try_from(lines + 3).unwrap());
        STEPS.with(Cell::get)
    }

    #[test]
    fn every_short_input_parses_or_fails_without_panicking() {
        const ALPHABET: [char; 13] = [
            'A', '=', '"', '\'', '\\', '\n', '\r', '#', ' ', '\t', 'é', '$', '{',
        ];
        let mut text = String::new();
        let mut digits = [0usize; 5];
        loop {
            text.clear();
            text.extend(digits.iter().map(|&d| ALPHABET[d]));
            let _ = parse_dotenv(&text);
            let Some(position) = digits.iter().position(|&d| d + 1 < ALPHABET.len()) else {
                break;
            };
            digits[position] += 1;
            digits[..position].fill(0);
        }
    }

    #[test]
    fn multi_line_values_parse_in_linear_time() {
        let (ten, twenty) = (steps_for(10_000), steps_for(20_000));
        assert!(ten > 0);
        assert!(
            twenty * 10 < ten * 25,
            "10k lines: {ten} steps, 20k: {twenty}"
        );
    }

    #[test]
    fn single_quotes_are_literal_even_for_references() {
        let got = pairs("A='${env:HOME}'\nB='$${x} $y'\nC=\"\\${HOME}\"\nD=${env:HOME}\n");
        assert_eq!(got[0].1, "$${env:HOME}");
        assert_eq!(got[1].1, "$$${x} $y");
        assert_eq!(got[2].1, "$${HOME}");
        assert_eq!(got[3].1, "${env:HOME}");
        let render = |text: &str| {
            crate::reference::Template::parse(text)
                .unwrap()
                .render(|_, _| Err::<String, ()>(()))
                .unwrap()
        };
        assert_eq!(render(&got[0].1), "${env:HOME}");
        assert_eq!(render(&got[1].1), "$${x} $y");
        assert_eq!(render(&got[2].1), "${HOME}");
    }

    #[test]
    fn export_with_a_tab_bom_and_bare_cr_lines() {
        let got = pairs("\u{feff}export\tA=1\rB=2\r\nC=\"x\ry\"\rexport=3\n");
        assert_eq!(
            got,
            vec![
                ("A".into(), "1".into(), 1),
                ("B".into(), "2".into(), 2),
                ("C".into(), "x\ny".into(), 3),
                ("export".into(), "3".into(), 5),
            ]
        );
    }

    #[test]
    fn double_quoted_escapes_as_dotenvy_reads_them() {
        let got = pairs("A=\"a\\'b\"\nB=\"a\\ b\\\\c\\d\"\n");
        assert_eq!(got[0].1, "a'b");
        assert_eq!(got[1].1, "a b\\c\\d");
    }

    fn pairs(text: &str) -> Vec<(String, String, u32)> {
        parse_dotenv(text)
            .unwrap()
            .into_iter()
            .map(|e| (e.key, e.value, e.line))
            .collect()
    }

    #[test]
    fn plain_exported_spaced_and_empty() {
        let got = pairs("# c\n\nA=1\nexport B = two words \nC=\nD=x#y # comment\r\n");
        assert_eq!(
            got,
            vec![
                ("A".into(), "1".into(), 3),
                ("B".into(), "two words".into(), 4),
                ("C".into(), "".into(), 5),
                ("D".into(), "x#y".into(), 6),
            ]
        );
    }

    #[test]
    fn quotes_escapes_and_multiline() {
        let got =
            pairs("S='a $b \\n # c'\nD=\"l1\\nl2 \\\"q\\\"\" # after\nM=\"first\nsecond\"\nN=1\n");
        assert_eq!(got[0].1, "a $b \\n # c");
        assert_eq!(got[1].1, "l1\nl2 \"q\"");
        assert_eq!(got[2], ("M".into(), "first\nsecond".into(), 3));
        assert_eq!(got[3].2, 5);
    }

    #[test]
    fn references_are_left_alone() {
        let got = pairs("URL=postgres://u:${env:DB_PASS}@db/app\nQ=\"${file:/run/x}\"\n");
        assert_eq!(got[0].1, "postgres://u:${env:DB_PASS}@db/app");
        assert_eq!(got[1].1, "${file:/run/x}");
    }

    #[test]
    fn errors_name_the_line_and_never_the_value() {
        let err = parse_dotenv("A=1\nnot a pair\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        let err = parse_dotenv("A=1\nTOKEN=\"hunter2-secret\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("TOKEN") && !err.message.contains("hunter2"));
        let err = parse_dotenv("1BAD=x\n").unwrap_err();
        assert_eq!(err.line, Some(1));
        let err = parse_dotenv("K='v' trailing-secret\n").unwrap_err();
        assert!(!err.message.contains("trailing-secret"));
    }
}
