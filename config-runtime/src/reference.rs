//! The `${scheme:path#key}` reference syntax, parsed into a [`Template`] of text and
//! references. Resolution lives elsewhere (`loader/resolve.rs`, with the targets fetched by
//! `loader/gather.rs`); this module only knows the syntax, so every kind of reference —
//! built-in or provider — shares one parser.
//!
//! - `${env:VAR}`, `${file:/run/secrets/db}`, `${vault:secret/app#password}`: `scheme:path`,
//!   with `#key` (after the last `#`) picking a field of a structured secret.
//! - `${NAME}`, `${NAME:-default}` and `${NAME:?message}` (`NAME` a variable name: letters,
//!   digits and `_`, not starting with a digit; no scheme) are the shell forms of
//!   `${env:NAME}`, as docker compose and the dotenv tools expand them: the default stands in
//!   for an unset or empty variable, the message explains the error when it is unset or empty.
//! - `$${` is a literal `${`; a `$` not followed by `{` is literal.
//! - A reference may sit inside longer text: `postgres://app:${secret:db-pass}@db/app`.
//!
//! Errors give the byte offset and the fault, never the surrounding text, which may be a secret.

use std::fmt;

/// One `${scheme:path#key}` reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// `env`, `file`, `secret`, `vault`, `aws-sm`, …
    pub scheme: String,
    /// Everything between `:` and `#key` (or the closing brace).
    pub path: String,
    /// The field after the last `#`, if any.
    pub key: Option<String>,
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A versioned secret with a key is written as it is read, `name#key@version`: the
        // version moved to the path when parsed, and written after the key it parses again to
        // the same reference (whatever `@` the key holds itself).
        let versioned = self.key.as_ref().and_then(|key| {
            let (name, version) = self.path.rsplit_once('@')?;
            (!name.is_empty() && is_version(version)).then_some((name, key, version))
        });
        match (versioned, &self.key) {
            (Some((name, key, version)), _) => {
                write!(f, "${{{}:{name}#{key}@{version}}}", self.scheme)
            }
            (None, Some(key)) => write!(f, "${{{}:{}#{key}}}", self.scheme, self.path),
            (None, None) => write!(f, "${{{}:{}}}", self.scheme, self.path),
        }
    }
}

/// A piece of a parsed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Text(String),
    /// A reference; the fallback of a shell form (`${NAME:-default}`), `None` otherwise.
    Ref(Reference, Option<Fallback>),
}

/// What a shell form (`${NAME}`, `${NAME:-default}`, `${NAME:?message}`) does when its
/// variable is unset (or, with a default or message, empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fallback {
    /// `${NAME}`: unset is an error, as for `${env:NAME}`.
    Plain,
    /// `${NAME:-default}`: this text instead.
    Default(String),
    /// `${NAME:?message}`: an error with this message.
    Required(String),
}

impl Fallback {
    /// How a message names the reference: the default itself is never shown (it may be a
    /// secret), only its form.
    pub(crate) fn show(&self, name: &str) -> String {
        match self {
            Fallback::Plain => format!("${{{name}}}"),
            Fallback::Default(_) => format!("${{{name}:-..}}"),
            Fallback::Required(_) => format!("${{{name}:?..}}"),
        }
    }
}

/// A value split into literal text and references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    segments: Vec<Segment>,
}

/// What is wrong with a reference, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceError {
    offset: usize,
    fault: Fault,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Unterminated,
    Nested,
    MissingScheme,
    BadScheme,
    EmptyPath,
    EmptyKey,
    /// `${env:NAME:-default}`: the shell forms take no scheme.
    EnvFallback,
}

impl ReferenceError {
    /// Byte offset of the `${` at fault.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.offset;
        match self.fault {
            Fault::Unterminated => write!(f, "the `${{` at byte {at} is never closed with `}}`"),
            Fault::Nested => write!(f, "the reference at byte {at} contains another `${{`"),
            Fault::MissingScheme => write!(
                f,
                "the reference at byte {at} has no scheme; expected ${{scheme:path}}, e.g. ${{env:FOO}} (write $${{ for a literal ${{)"
            ),
            Fault::BadScheme => write!(
                f,
                "the reference at byte {at} has an invalid scheme; a scheme is lowercase letters, digits and `-`"
            ),
            Fault::EmptyPath => write!(f, "the reference at byte {at} has an empty path"),
            Fault::EmptyKey => write!(f, "the reference at byte {at} has an empty `#key`"),
            Fault::EnvFallback => write!(
                f,
                "the reference at byte {at} gives `${{env:..}}` a default or a message; those \
                 take the shell form, without the scheme: ${{NAME:-default}} or ${{NAME:?message}}"
            ),
        }
    }
}

impl std::error::Error for ReferenceError {}

/// Whether `text` may hold a reference or an escape (a cheap test before parsing).
pub(crate) fn contains_reference_syntax(text: &str) -> bool {
    // A scan for `$` then a look at the byte after it: every value of every load is checked,
    // most are short, and a substring search costs more to set up than this loop does to run.
    let mut rest = text.as_bytes();
    while let Some(at) = rest.iter().position(|&b| b == b'$') {
        if rest.get(at + 1) == Some(&b'{') {
            return true;
        }
        rest = &rest[at + 1..];
    }
    false
}

impl Template {
    /// Splits `input` into text and references.
    pub fn parse(input: &str) -> Result<Template, ReferenceError> {
        let mut segments = Vec::new();
        let mut text = String::new();
        let mut rest = input;
        while let Some(dollar) = rest.find('$') {
            text.push_str(&rest[..dollar]);
            let after = &rest[dollar..];
            let offset = input.len() - after.len();
            if let Some(tail) = after.strip_prefix("$${") {
                text.push_str("${");
                rest = tail;
            } else if let Some(body_and_tail) = after.strip_prefix("${") {
                let close = body_and_tail.find('}').ok_or(ReferenceError {
                    offset,
                    fault: Fault::Unterminated,
                })?;
                let body = &body_and_tail[..close];
                let (reference, fallback) = match shell_form(body) {
                    Some(shell) => shell,
                    None => {
                        let reference =
                            parse_body(body).map_err(|fault| ReferenceError { offset, fault })?;
                        (reference, None)
                    }
                };
                if !text.is_empty() {
                    segments.push(Segment::Text(std::mem::take(&mut text)));
                }
                segments.push(Segment::Ref(reference, fallback));
                rest = &body_and_tail[close + 1..];
            } else {
                text.push('$');
                rest = &after[1..];
            }
        }
        text.push_str(rest);
        if !text.is_empty() {
            segments.push(Segment::Text(text));
        }
        Ok(Template { segments })
    }

    /// The references, in order.
    pub fn references(&self) -> impl Iterator<Item = &Reference> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Ref(reference, _) => Some(reference),
            Segment::Text(_) => None,
        })
    }

    /// The value with each reference replaced by what `resolve` returns (given the fallback
    /// of a shell form).
    pub fn render<E>(
        &self,
        mut resolve: impl FnMut(&Reference, Option<&Fallback>) -> Result<String, E>,
    ) -> Result<String, E> {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Ref(reference, fallback) => {
                    out.push_str(&resolve(reference, fallback.as_ref())?);
                }
            }
        }
        Ok(out)
    }
}

/// `NAME`, `NAME:-default` or `NAME:?message`: a shell form of `${env:NAME}`.
fn shell_form(body: &str) -> Option<(Reference, Option<Fallback>)> {
    let name_end = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(body.len());
    let name = &body[..name_end];
    if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return None;
    }
    let rest = &body[name_end..];
    let fallback = if rest.is_empty() {
        Fallback::Plain
    } else if let Some(default) = rest.strip_prefix(":-") {
        Fallback::Default(default.to_owned())
    } else if let Some(message) = rest.strip_prefix(":?") {
        Fallback::Required(message.to_owned())
    } else {
        return None;
    };
    if body.contains("${") {
        return None;
    }
    let reference = Reference {
        scheme: "env".to_owned(),
        path: name.to_owned(),
        key: None,
    };
    Some((reference, Some(fallback)))
}

fn parse_body(body: &str) -> Result<Reference, Fault> {
    if body.contains("${") {
        return Err(Fault::Nested);
    }
    let (scheme, locator) = body.split_once(':').ok_or(Fault::MissingScheme)?;
    if scheme.is_empty() {
        return Err(Fault::MissingScheme);
    }
    let valid_scheme = scheme.starts_with(|c: char| c.is_ascii_lowercase())
        && scheme
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid_scheme {
        return Err(Fault::BadScheme);
    }
    // No variable is named with `:-` or `:?`: this is a shell form written with the scheme,
    // and its default (maybe a secret) must not be quoted back as a variable's name.
    if scheme == "env" && (locator.contains(":-") || locator.contains(":?")) {
        return Err(Fault::EnvFallback);
    }
    let (path, key) = match locator.rsplit_once('#') {
        Some((_, "")) => return Err(Fault::EmptyKey),
        Some((path, key)) => (path, Some(key)),
        None => (locator, None),
    };
    if path.is_empty() {
        return Err(Fault::EmptyPath);
    }
    // `name#key@version` (how GCP and Azure references are written): the version belongs to
    // the secret, so it moves to the path (`name@version`, as the provider reads it).
    let (path, key) = match key.and_then(|key| key.rsplit_once('@')) {
        Some((key, version)) if !key.is_empty() && is_version(version) => {
            (format!("{path}@{version}"), Some(key.to_owned()))
        }
        _ => (path.to_owned(), key.map(str::to_owned)),
    };
    Ok(Reference {
        scheme: scheme.to_owned(),
        path,
        key,
    })
}

/// A secret version after a key: a number or `latest` (GCP), or a 32-digit hexadecimal id
/// (Azure Key Vault).
fn is_version(text: &str) -> bool {
    let number = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let azure_id = text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit());
    text == "latest" || number || azure_id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_after_the_key_belongs_to_the_secret() {
        let parsed = parse_body("gcp-sm:db#password@3").unwrap();
        assert_eq!(
            (parsed.path.as_str(), parsed.key.as_deref()),
            ("db@3", Some("password"))
        );
        let parsed = parse_body("azure-kv:db#password@latest").unwrap();
        assert_eq!(parsed.path, "db@latest");
        let id = "0123456789abcdef0123456789ABCDEF";
        let parsed = parse_body(&format!("azure-kv:db#password@{id}")).unwrap();
        assert_eq!(parsed.path, format!("db@{id}"));
        // A key that merely contains `@` stays as written.
        let parsed = parse_body("vault:secret/app#user@example").unwrap();
        assert_eq!(parsed.key.as_deref(), Some("user@example"));
        // Written back, a versioned reference parses to itself, even when its key holds an
        // `@` of its own (found by fuzzing).
        for body in [
            "gcp-sm:db#password@3",
            "sm:a#c@4@4",
            "sm:@4#c",
            "vault:x@3#k",
        ] {
            let parsed = parse_body(body).unwrap();
            let text = parsed.to_string();
            let again = parse_body(&text[2..text.len() - 1]).unwrap();
            assert_eq!(again, parsed, "{body} written back as {text}");
        }
        let parsed = parse_body("aws-sm:prod/db#password@AWSPREVIOUS").unwrap();
        assert_eq!(parsed.key.as_deref(), Some("password@AWSPREVIOUS"));
    }

    fn refs(input: &str) -> Vec<String> {
        Template::parse(input)
            .unwrap()
            .references()
            .map(Reference::to_string)
            .collect()
    }

    fn render(input: &str) -> String {
        Template::parse(input)
            .unwrap()
            .render(|r, _| Ok::<_, ()>(format!("<{}>", r.path)))
            .unwrap()
    }

    #[test]
    fn plain_text_has_no_references() {
        assert!(refs("hello $world $ {x}").is_empty());
        assert_eq!(render("cost $5"), "cost $5");
        assert!(!contains_reference_syntax("$5 {x}"));
    }

    #[test]
    fn whole_and_embedded_references() {
        assert_eq!(refs("${env:HOME}"), ["${env:HOME}"]);
        assert_eq!(
            render("postgres://app:${secret:db-pass}@${env:DB_HOST}/app"),
            "postgres://app:<db-pass>@<DB_HOST>/app"
        );
    }

    #[test]
    fn keys_split_at_the_last_hash() {
        let t = Template::parse("${vault:secret/a#b#password}").unwrap();
        let r = t.references().next().unwrap();
        assert_eq!(
            (r.scheme.as_str(), r.path.as_str()),
            ("vault", "secret/a#b")
        );
        assert_eq!(r.key.as_deref(), Some("password"));
        let t = Template::parse("${aws-sm:prod/db#password@AWSPREVIOUS}").unwrap();
        assert_eq!(t.references().next().unwrap().scheme, "aws-sm");
    }

    #[test]
    fn dollar_dollar_brace_is_literal() {
        assert_eq!(render("$${env:X}"), "${env:X}");
        assert!(refs("$${env:X}").is_empty());
        assert_eq!(render("a$${b}${env:C}"), "a${b}<C>");
    }

    #[test]
    fn malformed_references_are_errors_with_offsets() {
        let cases = [
            ("abc${env:X", "never closed", 3),
            ("${}", "no scheme", 0),
            ("${1FOO}", "no scheme", 0),
            ("${FOO-x}", "no scheme", 0),
            ("x${Env:FOO}", "invalid scheme", 1),
            ("${env:}", "empty path", 0),
            ("${vault:a#}", "empty `#key`", 0),
            ("${env:${env:X}}", "another", 0),
        ];
        for (input, fault, offset) in cases {
            let err = Template::parse(input).unwrap_err();
            assert!(err.to_string().contains(fault), "{input}: {err}");
            assert_eq!(err.offset(), offset, "{input}");
        }
    }

    #[test]
    fn shell_forms_are_env_references_with_a_fallback() {
        let fallbacks = |input: &str| -> Vec<(String, Option<Fallback>)> {
            let template = Template::parse(input).unwrap();
            template
                .segments
                .iter()
                .filter_map(|segment| match segment {
                    Segment::Ref(r, f) => Some((r.to_string(), f.clone())),
                    Segment::Text(_) => None,
                })
                .collect()
        };
        assert_eq!(
            fallbacks("${HOME}/x"),
            [("${env:HOME}".to_owned(), Some(Fallback::Plain))]
        );
        assert_eq!(
            fallbacks("${db_host:-localhost:5432}"),
            [(
                "${env:db_host}".to_owned(),
                Some(Fallback::Default("localhost:5432".into()))
            )]
        );
        assert_eq!(
            fallbacks("${_TOKEN:?set the token}"),
            [(
                "${env:_TOKEN}".to_owned(),
                Some(Fallback::Required("set the token".into()))
            )]
        );
        assert_eq!(
            fallbacks("${A:-}")[0].1,
            Some(Fallback::Default(String::new()))
        );
        // Scheme forms are unchanged.
        assert_eq!(fallbacks("${env:HOME}"), [("${env:HOME}".to_owned(), None)]);
        assert_eq!(fallbacks("${vault:a/b#c}")[0].1, None);
        assert_eq!(render("$${HOME}"), "${HOME}");
        assert_eq!(Fallback::Default("hunter2".into()).show("A"), "${A:-..}");
    }

    #[test]
    fn errors_never_quote_the_value() {
        let err = Template::parse("postgres://u:hunter2-secret@db/${env:X").unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
        assert!(!err.to_string().contains("postgres"));
    }
}
