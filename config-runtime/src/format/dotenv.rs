//! `.env` files. A small parser of our own rather than `dotenvy`: dotenvy expands `$VAR` and
//! `${VAR}` inside values, which would mangle this crate's `${env:VAR}` references (resolved
//! later, the same way for every source), and it does not report line numbers.
//!
//! Supported: `KEY=value`, `export KEY=value`, spaces around `=`, full-line `#` comments and
//! ` #` comments after unquoted values, single quotes (literal), double quotes (`\n`, `\t`,
//! `\r`, `\"`, `\\` escapes; may span lines), empty values, CRLF line ends.

use super::FormatError;

/// One variable of a `.env` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DotenvEntry {
    pub key: String,
    pub value: String,
    /// The line the variable starts on.
    pub line: u32,
}

/// Parses a `.env` file. Errors name the line and the key, never the value.
pub(crate) fn parse_dotenv(text: &str) -> Result<Vec<DotenvEntry>, FormatError> {
    let lines: Vec<&str> = super::strip_bom(text)
        .lines()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut entries = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let line_number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let error = |message: String| FormatError {
            message,
            line: Some(line_number),
        };
        let line = lines[index].trim_start();
        index += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
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
        let rest = rest.trim_start();
        let value = match rest.chars().next() {
            Some(quote @ ('"' | '\'')) => {
                let mut body = rest[1..].to_owned();
                let (value, after) = loop {
                    if let Some(found) = closing_quote(&body, quote) {
                        break found;
                    }
                    if index >= lines.len() {
                        return Err(error(format!("the quoted value of {key} is never closed")));
                    }
                    body.push('\n');
                    body.push_str(lines[index]);
                    index += 1;
                };
                let after = after.trim_start();
                if !after.is_empty() && !after.starts_with('#') {
                    return Err(error(format!(
                        "unexpected text after the quoted value of {key}"
                    )));
                }
                value
            }
            _ => strip_comment(rest).trim_end().to_owned(),
        };
        entries.push(DotenvEntry {
            key: key.to_owned(),
            value,
            line: line_number,
        });
    }
    Ok(entries)
}

fn is_valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Finds the closing quote; returns (the unescaped value, the text after the quote).
fn closing_quote(body: &str, quote: char) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c == quote => return Some((value, &body[i + 1..])),
            '\\' if quote == '"' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, 'r')) => value.push('\r'),
                Some((_, other)) => {
                    if !matches!(other, '"' | '\\' | '$') {
                        value.push('\\');
                    }
                    value.push(other);
                }
                None => value.push('\\'),
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
