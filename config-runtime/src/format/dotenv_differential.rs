//! A differential test of the `.env` parser (with the shell forms of references expanded as
//! a load expands them) against `dotenvy`, over a corpus of cases. Every case where the two
//! disagree names the deliberate difference it shows; each difference is listed, with its
//! reason, in the README's section on `.env` files. A case that starts or stops agreeing
//! fails the test, so the list stays true.

use std::collections::HashMap;

use super::parse_dotenv;
use crate::loader::resolve::shell_value;
use crate::reference::Template;

/// Why a case reads differently here than in dotenvy (the README's list, in its order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Differs {
    /// `$NAME` without braces stays text.
    DollarWithoutBraces,
    /// A reference to a variable set nowhere is an error, not an empty string.
    UnsetIsAnError,
    /// `${NAME:-default}` and `${NAME:?message}` are understood.
    ShellFallbacks,
    /// An unquoted value keeps inner blanks, backslashes and quotes as text.
    UnquotedIsText,
    /// `\t`, `\r` are escapes in double quotes; an unknown escape keeps its backslash.
    MoreEscapes,
    /// A key may contain `-`.
    DashInKeys,
    /// A reference sees `.env` variables defined later in the file too.
    LaterDefinitions,
    /// A quoted value must end its line (after blanks, a comment may follow).
    TextAfterQuotes,
    /// A leading byte-order mark is skipped.
    ByteOrderMark,
    /// A bare CR ends a line, and any line end inside a quoted value reads as `\n`.
    LineEnds,
    /// `${scheme:..}` references (`${env:NAME}`, `${file:..}`, providers) are this crate's.
    SchemeReferences,
    /// A key set twice is an error.
    RepeatedKeys,
}

use Differs::*;

/// `None`: dotenvy and this crate read the case the same way.
const CASES: &[(&str, Option<Differs>)] = &[
    // Plain values, blanks, comments.
    ("A=1\n", None),
    ("A=1", None),
    ("A=hello\nB=world\n", None),
    ("A=\n", None),
    ("A=   \n", None),
    ("A=  # only a comment\n", None),
    ("A=1 # comment\n", None),
    ("A=1#not-a-comment\n", None),
    ("A=x#y # comment\n", None),
    ("# comment\nA=1\n", None),
    ("   # indented comment\nA=1\n", None),
    ("\n\n\nA=1\n\n", None),
    ("  A=1\n", None),
    ("A = 1\n", None),
    ("A= 1\n", None),
    ("A =1\n", None),
    ("A\t=\t1\n", None),
    ("A=1   \n", None),
    ("A=1\t\n", None),
    ("A=two words\n", Some(UnquotedIsText)),
    ("A=a=b=c\n", None),
    ("A==\n", None),
    ("A=http://host:80/path?q=1&r=2\n", None),
    ("A=postgres://u:p@h/db\n", None),
    ("A=:colon\n", None),
    ("A=1,2,3\n", None),
    ("A=[1, 2]\n", Some(UnquotedIsText)),
    ("A={\"k\": 1}\n", Some(UnquotedIsText)),
    ("A=ünïcödé\n", None),
    ("A=日本語\n", None),
    ("A=emoji🎉\n", None),
    ("A=1\nA=2\n", Some(RepeatedKeys)),
    // Keys.
    ("_A=1\n", None),
    ("a=1\n", None),
    ("A1_B2=1\n", None),
    ("A.B=1\n", None),
    ("A-B=1\n", Some(DashInKeys)),
    ("1A=1\n", None),
    ("A B=1\n", None),
    ("=1\n", None),
    ("A\n", None),
    ("not a pair\n", None),
    // export.
    ("export A=1\n", None),
    ("export  A=1\n", None),
    ("export\tA=1\n", None),
    ("export=1\n", None),
    ("export A = 1\n", None),
    ("exportA=1\n", None),
    // Single quotes.
    ("A='1'\n", None),
    ("A='two words'\n", None),
    ("A=''\n", None),
    ("A=' padded '\n", None),
    ("A='a \"b\" c'\n", None),
    ("A='a\\nb'\n", None),
    ("A='a\\\\b'\n", None),
    ("A='#not a comment'\n", None),
    ("A='x' # comment\n", None),
    ("A='$HOME'\n", None),
    ("A='${HOME}'\n", None),
    ("A='${env:HOME}'\n", None),
    ("A='$${x}'\n", None),
    ("A='first\nsecond'\n", None),
    ("A='never closed\n", None),
    ("A='x' trailing\n", None),
    ("A='x'y\n", Some(TextAfterQuotes)),
    // Double quotes.
    ("A=\"1\"\n", None),
    ("A=\"two words\"\n", None),
    ("A=\"\"\n", None),
    ("A=\" padded \"\n", None),
    ("A=\"it's\"\n", None),
    ("A=\"a\\nb\"\n", None),
    ("A=\"a\\\"b\"\n", None),
    ("A=\"a\\\\b\"\n", None),
    ("A=\"a\\'b\"\n", None),
    ("A=\"a\\ b\"\n", None),
    ("A=\"a\\$b\"\n", None),
    ("A=\"\\${HOME}\"\n", None),
    ("A=\"a\\tb\"\n", Some(MoreEscapes)),
    ("A=\"a\\rb\"\n", Some(MoreEscapes)),
    ("A=\"C:\\dir\"\n", Some(MoreEscapes)),
    ("A=\"#not a comment\"\n", None),
    ("A=\"x\" # comment\n", None),
    ("A=\"x\"   \n", None),
    ("A=\"first\nsecond\"\n", None),
    ("A=\"first\n\nthird\"\nB=2\n", None),
    ("A=\"l1\nl2\" # c\nB=2\n", None),
    ("A=\"never closed\n", None),
    ("A=\"x\" trailing\n", None),
    ("A=\"x\"y\n", Some(TextAfterQuotes)),
    ("A=\"ünï\"\n", None),
    // Unquoted oddities.
    ("A=a\\ b\n", Some(UnquotedIsText)),
    ("A=C:\\dir\n", Some(UnquotedIsText)),
    ("A=a'b'c\n", Some(UnquotedIsText)),
    ("A=a\"b\"c\n", Some(UnquotedIsText)),
    ("A=it's\n", Some(UnquotedIsText)),
    // References.
    ("A=${HOME}\n", None),
    ("A=${HOME}/x\n", None),
    ("A=pre-${HOME}-post\n", None),
    ("A=\"${HOME}\"\n", None),
    ("A=\"pre ${HOME} post\"\n", None),
    ("A=${PATH}:${HOME}\n", None),
    ("A=$HOME\n", Some(DollarWithoutBraces)),
    ("A=\"$HOME/x\"\n", Some(DollarWithoutBraces)),
    ("A=cost$5\n", Some(DollarWithoutBraces)),
    ("A=$\n", Some(DollarWithoutBraces)),
    ("A=a$\n", Some(DollarWithoutBraces)),
    ("A=1\nB=${A}\n", None),
    ("A=1\nB=${A}-${A}\n", None),
    ("A=x\nB=\"${A} y\"\n", None),
    ("A=1\nB=${A}\nC=${B}\n", None),
    ("A=1\nA=2\nB=${A}\n", Some(RepeatedKeys)),
    ("B=${A}\nA=1\n", Some(LaterDefinitions)),
    ("A=${DOTENV_DIFF_UNSET_VARIABLE}\n", Some(UnsetIsAnError)),
    (
        "A=\"${DOTENV_DIFF_UNSET_VARIABLE}x\"\n",
        Some(UnsetIsAnError),
    ),
    (
        "A=${DOTENV_DIFF_UNSET_VARIABLE:-fallback}\n",
        Some(ShellFallbacks),
    ),
    ("A=${HOME:-fallback}\n", Some(ShellFallbacks)),
    (
        "A=${DOTENV_DIFF_UNSET_VARIABLE:?needed}\n",
        Some(ShellFallbacks),
    ),
    ("A=\nB=${A:-fallback}\n", Some(ShellFallbacks)),
    ("A=${HOME\n", None),
    ("A=${env:HOME}\n", Some(SchemeReferences)),
    ("A=\"${env:HOME}/x\"\n", Some(SchemeReferences)),
    // Line ends and byte-order mark.
    ("A=1\r\nB=2\r\n", None),
    ("A=\"x\"\r\nB='y'\r\n", None),
    ("A=\"l1\r\nl2\"\r\n", Some(LineEnds)),
    ("A=1\rB=2\r", Some(LineEnds)),
    ("\u{feff}A=1\n", Some(ByteOrderMark)),
];

/// This crate's reading: the parsed values with their references expanded against the
/// process environment, then the file's variables.
fn ours(text: &str) -> Result<Vec<(String, String)>, ()> {
    let entries = parse_dotenv(text).map_err(drop)?;
    let mut defined: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    let expand = |value: &str, defined: &HashMap<String, String>| -> Result<String, ()> {
        Template::parse(value)
            .map_err(drop)?
            .render(|reference, fallback| {
                if reference.scheme != "env" {
                    return Err(());
                }
                let found = std::env::var(&reference.path)
                    .ok()
                    .or_else(|| defined.get(&reference.path).cloned());
                match fallback {
                    Some(fallback) => {
                        shell_value(&reference.path, found.as_deref(), fallback).map_err(drop)
                    }
                    None => found.ok_or(()),
                }
            })
    };
    // As a load does: the file's variables first, each expanded against those before it;
    // then every value against all of them.
    for entry in &entries {
        match expand(&entry.value, &defined) {
            Ok(value) => defined.insert(entry.key.clone(), value),
            Err(()) => defined.remove(&entry.key),
        };
    }
    for entry in entries {
        out.push((entry.key, expand(&entry.value, &defined)?));
    }
    Ok(out)
}

fn dotenvy_reads(text: &str) -> Result<Vec<(String, String)>, ()> {
    dotenvy::from_read_iter(text.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(drop)
}

#[test]
fn the_corpus_is_large_enough() {
    assert!(CASES.len() >= 100, "{} cases", CASES.len());
}

#[test]
fn reads_like_dotenvy_except_for_the_listed_differences() {
    assert!(
        std::env::var("HOME").is_ok_and(|home| !home.is_empty()),
        "the corpus expects HOME to be set"
    );
    let mut wrong = Vec::new();
    for (text, expected) in CASES {
        let (here, there) = (ours(text), dotenvy_reads(text));
        let agree = here == there;
        match (agree, expected) {
            (true, None) | (false, Some(_)) => {}
            (false, None) => wrong.push(format!(
                "{text:?}: differs, not listed: here {here:?}, dotenvy {there:?}"
            )),
            (true, Some(why)) => wrong.push(format!(
                "{text:?}: listed as {why:?} but reads the same: {here:?}"
            )),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
