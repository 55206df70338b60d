//! The plainest TOML files read line by line into `toml_fast`'s tree builder, without
//! `toml_parser`'s lexer and decoders.
//!
//! Most configuration files are `key = value` lines under `[table]` headers. For them the
//! lexer, the event parser and the decoders are most of a reload's work. This reader takes
//! only what it can check in one look:
//!
//! - bare keys (`a-z A-Z 0-9 _ -`), dotted or not, and `[table]` / `[[array]]` headers of them;
//! - strings without escapes (`"text"`, `'text'`), on one line;
//! - decimal integers of up to 18 digits, decimal floats, `true` and `false`;
//! - one-line arrays of these; comments; `\n` and `\r\n` line ends.
//!
//! Anything else (an escape, a date, `0x1F`, `1_000`, an inline table, an array over several
//! lines, a control character, an error) gives `None` and the whole file goes to the event
//! reader, then to the full parser: errors are always worded by `toml`. Keys and values go
//! first to the flat tree (`toml_flat`: bare keys under one-level headers, each once, which
//! is most config files), then, when the file is not that plain, to the same builder the
//! event reader fills, so the full rules on tables (redefinition, dotted keys) are written
//! once. The fuzz target checks this reader against the full parser.

use std::borrow::Cow;

use toml_parser::Source;

use super::FileValue;
use super::spans::{Span, SpannedDoc};
use super::toml_fast::{Builder, Header};
use super::toml_flat::Flat;

/// Integers with more digits may not fit in 64 bits; `toml` refuses those.
const MAX_INTEGER_DIGITS: usize = 18;

/// The tree of `text`, or `None` when the event reader has to decide.
pub(super) fn parse(text: &str) -> Option<FileValue> {
    read(text, Flat::<String>::new(keys_in(text))).or_else(|| parse_built(text))
}

/// The tree of a text the flat tree did not take, read into the builder; `None` when the
/// event reader has to decide.
pub(super) fn parse_built(text: &str) -> Option<FileValue> {
    read(text, Builder::new(Source::new(text), keys_in(text)))
}

/// The document of `text` with its keys as spans of it, when it has the flat layout (see
/// `toml_flat`) and this reader reads it.
pub(super) fn parse_spanned(text: &str) -> Option<SpannedDoc> {
    read(text, Flat::<Span>::new(keys_in(text)))
}

/// About how many keys `text` holds: a `key = value` line of a config takes some 16 bytes
/// or more.
fn keys_in(text: &str) -> usize {
    text.len() / 16 + 1
}

/// `text` read into `tree`; `None` when the reader or the tree is not sure of it.
pub(super) fn read<'s, T: Tree<'s>>(text: &'s str, tree: T) -> Option<T::Output> {
    let mut reader = Reader { text, at: 0, tree };
    while reader.at < text.len() {
        reader.line()?;
    }
    reader.tree.finish()
}

/// What this reader gives its keys, headers and values to, in document order.
pub(super) trait Tree<'s> {
    /// What the tree gives when the text is read.
    type Output;
    /// The reader moved to the next line.
    fn next_line(&mut self);
    /// `[` or `[[` of a header.
    fn open_header(&mut self, kind: Header);
    /// `]` or `]]` of a header.
    fn close_header(&mut self, kind: Header);
    /// One part of a key (of a header or of `key = value`), starting at byte `start`.
    fn key(&mut self, key: Cow<'s, str>, start: usize);
    /// The `=` after a key.
    fn key_value_separator(&mut self);
    /// A string, number or boolean, as text.
    fn scalar_text(&mut self, text: String);
    /// `[` of an array; `false` when the tree will not take it.
    fn open_array(&mut self) -> bool;
    /// `]` of an array.
    fn close_array(&mut self);
    /// The whole tree; `None` when it is not sure of it.
    fn finish(self) -> Option<Self::Output>;
}

struct Reader<'s, T> {
    text: &'s str,
    /// The byte being read.
    at: usize,
    tree: T,
}

impl<'s, T: Tree<'s>> Reader<'s, T> {
    fn bytes(&self) -> &'s [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.at).copied()
    }

    /// Steps over the bytes that match `wanted`; the text they make up.
    fn take_while(&mut self, wanted: impl Fn(u8) -> bool) -> Option<&'s str> {
        let start = self.at;
        while self.peek().is_some_and(&wanted) {
            self.at += 1;
        }
        self.text.get(start..self.at)
    }

    fn skip_blanks(&mut self) {
        self.take_while(|b| matches!(b, b' ' | b'\t'));
    }

    /// Steps over `byte` if it is next.
    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek() == Some(byte)).then(|| self.at += 1)
    }

    /// One line: blank, a comment, a header or a key and its value, then the line's end.
    fn line(&mut self) -> Option<()> {
        self.skip_blanks();
        match self.peek() {
            None | Some(b'\n' | b'\r' | b'#') => {}
            Some(b'[') => self.header()?,
            Some(_) => self.key_value()?,
        }
        self.end_of_line()
    }

    /// Blanks, a comment, and `\n`, `\r\n` or the end of the text.
    fn end_of_line(&mut self) -> Option<()> {
        self.skip_blanks();
        if self.peek() == Some(b'#') {
            self.comment()?;
        }
        match self.peek() {
            None => {}
            Some(b'\n') => self.at += 1,
            Some(b'\r') if self.bytes().get(self.at + 1) == Some(&b'\n') => self.at += 2,
            Some(_) => return None,
        }
        self.tree.next_line();
        Some(())
    }

    /// `#` to the line's end, which holds no control character but tab (as TOML says).
    fn comment(&mut self) -> Option<()> {
        let rest = &self.bytes()[self.at..];
        let mut end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        if end > 0 && rest[end - 1] == b'\r' && end < rest.len() {
            end -= 1;
        }
        if rest[..end].iter().copied().any(is_control) {
            return None;
        }
        self.at += end;
        Some(())
    }

    /// `[a.b]` or `[[a.b]]`.
    fn header(&mut self) -> Option<()> {
        self.eat(b'[')?;
        let kind = match self.eat(b'[') {
            Some(()) => Header::ArrayOfTables,
            None => Header::Table,
        };
        self.tree.open_header(kind);
        self.skip_blanks();
        self.keys()?;
        self.eat(b']')?;
        if kind == Header::ArrayOfTables {
            self.eat(b']')?;
        }
        self.tree.close_header(kind);
        Some(())
    }

    /// `key = value`, the key maybe dotted.
    fn key_value(&mut self) -> Option<()> {
        self.keys()?;
        self.eat(b'=')?;
        self.tree.key_value_separator();
        self.skip_blanks();
        self.value()
    }

    /// Bare keys joined by dots, blanks allowed around each; stops after the blanks that
    /// follow the last one.
    fn keys(&mut self) -> Option<()> {
        loop {
            let start = self.at;
            let key = self
                .take_while(is_bare_key_byte)
                .filter(|key| !key.is_empty())?;
            self.tree.key(Cow::Borrowed(key), start);
            self.skip_blanks();
            if self.eat(b'.').is_none() {
                return Some(());
            }
            self.skip_blanks();
        }
    }

    /// A value: given to the builder, or `None` when it is not one this reader takes.
    fn value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string(b'"'),
            b'\'' => self.string(b'\''),
            b'[' => self.array(),
            _ => self.word(),
        }
    }

    /// A string on one line: `"..."` without escapes, or `'...'`.
    fn string(&mut self, quote: u8) -> Option<()> {
        let start = self.at + 1;
        let bytes = self.bytes();
        if bytes.get(start) == Some(&quote) && bytes.get(start + 1) == Some(&quote) {
            // `"""` or `'''`: a multi-line string.
            return None;
        }
        // A backslash starts an escape in `"..."` only.
        let escape = if quote == b'"' { b'\\' } else { quote };
        let rest = bytes.get(start..)?;
        let length = rest
            .iter()
            .position(|&b| b == quote || b == escape || is_control(b))?;
        if rest[length] != quote {
            return None;
        }
        let text = self.text.get(start..start + length)?;
        self.at = start + length + 1;
        self.tree.scalar_text(text.to_owned());
        Some(())
    }

    /// `[a, b, c]` on one line, of values this reader takes.
    fn array(&mut self) -> Option<()> {
        self.eat(b'[')?;
        if !self.tree.open_array() {
            return None;
        }
        self.skip_blanks();
        while self.peek()? != b']' {
            self.value()?;
            self.skip_blanks();
            if self.eat(b',').is_none() {
                break;
            }
            self.skip_blanks();
        }
        self.eat(b']')?;
        self.tree.close_array();
        Some(())
    }

    /// A number or boolean: the run of bytes up to a blank, `,`, `]`, `#` or the line's end.
    fn word(&mut self) -> Option<()> {
        let word =
            self.take_while(|b| !matches!(b, b' ' | b'\t' | b',' | b']' | b'#' | b'\n' | b'\r'))?;
        if !(word == "true" || word == "false" || is_integer(word) || is_float(word)) {
            return None;
        }
        self.tree.scalar_text(word.to_owned());
        Some(())
    }
}

fn is_bare_key_byte(byte: u8) -> bool {
    BARE_KEY_BYTES[usize::from(byte)]
}

/// `A-Z a-z 0-9 _ -`, looked up: keys are most of what this reader reads.
const BARE_KEY_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
        byte += 1;
    }
    table
};

/// What TOML allows in no comment or one-line string: control characters but tab.
fn is_control(byte: u8) -> bool {
    (byte < 0x20 && byte != b'\t') || byte == 0x7f
}

/// `0`, or a sign maybe and up to 18 digits without a leading zero.
fn is_integer(word: &str) -> bool {
    let digits = word.strip_prefix(['+', '-']).unwrap_or(word);
    digits == "0" || (is_decimal(digits) && digits.len() <= MAX_INTEGER_DIGITS)
}

/// Digits without a leading zero: the integer part of a decimal number.
fn is_decimal(digits: &str) -> bool {
    let bytes = digits.as_bytes();
    match bytes.first() {
        Some(b'0') => bytes.len() == 1,
        Some(_) => bytes.iter().all(u8::is_ascii_digit),
        None => false,
    }
}

/// A sign maybe, an integer part, then a fraction (`.5`), an exponent (`e-3`) or both.
fn is_float(word: &str) -> bool {
    let unsigned = word.strip_prefix(['+', '-']).unwrap_or(word);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, Some(exponent)),
        None => (unsigned, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    let all_digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let fraction_ok = fraction.is_none_or(all_digits);
    let exponent_ok = exponent.is_none_or(|e| all_digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    is_decimal(whole) && fraction_ok && exponent_ok && (fraction.is_some() || exponent.is_some())
}

#[cfg(test)]
mod tests {
    use super::super::toml::parse_full;
    use super::*;

    /// What this reader gives, checked against the full parser.
    fn read(text: &str) -> Option<FileValue> {
        let tree = parse(text)?;
        assert_eq!(Ok(&tree), parse_full(text).as_ref().map_err(|e| &e.message));
        Some(tree)
    }

    #[test]
    fn reads_the_usual_file() {
        let text = "# service\nport = 8080\nname = \"api\" # inline\nratio = -0.5\nbig = 1e300\r\n\
                    on = true\npath = 'C:\\x'\ntags = [\"a\", 'b', 1, [2.5], ]\n\n[db]\nhost = 'h'\npool.max = 4\n\
                    [[sinks]]\nkind = \"x\"\n[[sinks]]\n[a . b]\nc = +7\n";
        assert!(read(text).is_some());
    }

    #[test]
    fn leaves_the_rest_to_the_event_reader() {
        for text in [
            "a = \"\\u0041\"\n",
            "a = \"\"\"x\"\"\"\n",
            "a = '''x'''\n",
            "a = 1979-05-27\n",
            "a = 0x1F\n",
            "a = 1_000\n",
            "a = 0123\n",
            "a = 1234567890123456789\n",
            "a = inf\n",
            "a = .5\n",
            "a = 5.\n",
            "a = { b = 1 }\n",
            "a = [\n1]\n",
            "\"a b\" = 1\n",
            "a = 1\na = 2\n",
            "[a]\n[a]\n",
            "a = 1 b = 2\n",
            "a = \"x\ty\u{7}\"\n",
            "# bell \u{7}\n",
            "a = 1\r",
            "[a\n",
            "a =\n",
            "a = tru\n",
            "a = 'x\\y\n",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn keys_have_their_lines() {
        let Some(FileValue::Table(entries)) = read("\n\na = 1\n[t]\n\nb = [1,\t2]\n") else {
            panic!("not read");
        };
        assert_eq!(entries[0].1.line, Some(3));
        assert_eq!(entries[1].1.line, Some(4));
        let FileValue::Table(inner) = &entries[1].1.value else {
            panic!("not a table");
        };
        assert_eq!(inner[0].1.line, Some(6));
    }
}
