//! The error model: a [`ConfigError`] holds every problem of one load, each a [`FieldError`]
//! about one [`Subject`] (a key, a variable, a whole source, ...) that says where the bad value
//! came from and what was expected, and the [`Warning`]s of the same load.
//!
//! Messages never contain a secret's value: parse failures of secret fields omit the input,
//! and every text a user callback produced is scrubbed of known secret values before it is
//! stored (see [`ConfigError::scrub`]), in the forms a callback may print them: as given, each
//! item of a list, escaped by `{:?}`, and as a parsed URL (normalised, and its password alone).
//! The password part of any URL in a message is masked, long values are cut and control
//! characters are escaped.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use crate::origin::Origin;
use crate::secret::REDACTED;
use crate::warning::Warning;

/// Everything that was wrong with one load: first what spoils the whole load (a declaration
/// problem, a source that could not be read), then the fields' problems in declaration order,
/// then names that match no field, then the configuration's own check.
#[derive(Debug, Clone)]
pub struct ConfigError {
    errors: Vec<FieldError>,
    warnings: Vec<Warning>,
    /// The help text, when the load stopped for `--help`.
    help: Option<String>,
}

impl ConfigError {
    pub(crate) fn new(mut errors: Vec<FieldError>, mut warnings: Vec<Warning>) -> Self {
        // Stable: the fields' problems keep the order they were found in, which is the
        // declaration order.
        errors.sort_by_key(FieldError::rank);
        for error in &mut errors {
            error.kind.for_each_text(mask_in_place);
        }
        for warning in &mut warnings {
            warning.for_each_text(mask_in_place);
        }
        ConfigError {
            errors,
            warnings,
            help: None,
        }
    }

    /// A load that stopped because `--help` (or `-h`) was among the command-line flags.
    pub(crate) fn help_requested(text: String) -> Self {
        ConfigError {
            errors: Vec::new(),
            warnings: Vec::new(),
            help: Some(text),
        }
    }

    /// The flags' help text, when the load stopped because `--help` (or `-h`) was among
    /// `Loader::args`; then [`errors`](Self::errors) is empty and `Display` shows the help
    /// alone. An application prints it and exits with success:
    ///
    /// ```no_run
    /// # #[derive(config_runtime::Config)] struct App { port: u16 }
    /// use config_runtime::Config;
    /// let app = match App::loader().env().args(std::env::args_os()).load() {
    ///     Ok(app) => app,
    ///     Err(e) if e.help().is_some() => {
    ///         print!("{e}");
    ///         std::process::exit(0)
    ///     }
    ///     Err(e) => {
    ///         eprintln!("{e}");
    ///         std::process::exit(2)
    ///     }
    /// };
    /// ```
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// A `Live` config's watch task is gone (it ended with a panic): nothing can be reloaded.
    #[cfg(feature = "live")]
    pub(crate) fn stopped() -> Self {
        let problem = FieldError::config(ErrorKind::Source {
            message: "the configuration watch task has stopped".to_owned(),
        });
        ConfigError::new(vec![problem], Vec::new())
    }

    /// The error for machines: `{"errors": [..], "warnings": [..]}`, each error as
    /// [`FieldError::to_json`] gives it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "errors": self.errors().iter().map(FieldError::to_json).collect::<Vec<_>>(),
            "warnings": crate::explain::warnings_json(self.warnings()),
        })
    }

    /// Every problem found, one per key (or per source that could not be read).
    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// Warnings of the same load (deprecated aliases, unavailable optional providers, ...).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Replaces every occurrence of the given secret texts in messages by `[REDACTED]`, in
    /// every form a message may show them (see [`Scrubber::new`]).
    pub(crate) fn scrub(&mut self, secrets: &[String]) {
        let scrubber = Scrubber::new(secrets.iter().map(String::as_str));
        if scrubber.is_empty() {
            return;
        }
        for error in &mut self.errors {
            error.kind.for_each_text(|text| scrubber.scrub(text));
        }
        for warning in &mut self.warnings {
            warning.for_each_text(|text| scrubber.scrub(text));
        }
    }
}

/// Shorter secrets are not searched for: replacing every "a" in a message would garble it
/// and a one- or two-character secret protects nothing.
const MIN_SCRUB_LEN: usize = 3;

/// Finds secret texts in messages. The forms are kept in a set and looked up by length at each
/// position of a message, so the cost is linear in the message whatever the number of
/// secrets (a list secret may have very many items).
pub(crate) struct Scrubber {
    forms: HashSet<String>,
    /// The distinct byte lengths of `forms`, longest first.
    lengths: Vec<usize>,
}

impl Scrubber {
    /// Every form in which a message may show one of `secrets`: the text as given and
    /// trimmed, each comma-separated item (a list field), each of those escaped as `{:?}`
    /// escapes it, and for a text that is a URL its normalised form, its host and its password
    /// (as written and percent-decoded), each also with the password masked.
    pub(crate) fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let mut forms: HashSet<String> = HashSet::new();
        let mut add = |form: &str| {
            if form.chars().count() >= MIN_SCRUB_LEN && !forms.contains(form) {
                forms.insert(form.to_owned());
            }
        };
        for secret in secrets {
            let mut plain: Vec<&str> = vec![secret, secret.trim()];
            if secret.contains(',') {
                plain.extend(secret.split(',').map(str::trim));
            }
            for text in plain {
                add(text);
                let escaped = format!("{text:?}");
                add(&escaped[1..escaped.len() - 1]);
                // Messages have URL passwords masked before they are scrubbed.
                add(&mask_url_passwords(text));
                if let Ok(url) = url::Url::parse(text) {
                    for form in [url.as_str(), &mask_url_passwords(url.as_str())] {
                        add(form);
                        let escaped = format!("{form:?}");
                        add(&escaped[1..escaped.len() - 1]);
                    }
                    // `{:?}` of a `Url` shows its host on its own.
                    if let Some(host) = url.host_str() {
                        add(host);
                    }
                    if let Some(password) = url.password() {
                        add(password);
                        let decoded = percent_decode(password);
                        add(&decoded);
                        let escaped = format!("{decoded:?}");
                        add(&escaped[1..escaped.len() - 1]);
                    }
                }
            }
        }
        let mut lengths: Vec<usize> = forms.iter().map(String::len).collect();
        lengths.sort_unstable_by(|a, b| b.cmp(a));
        lengths.dedup();
        Scrubber { forms, lengths }
    }

    fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// Replaces each occurrence of a form in `text` by `[REDACTED]`, the longest form first
    /// where several start at one place.
    pub(crate) fn scrub(&self, text: &mut String) {
        if self.forms.is_empty() {
            return;
        }
        let mut out = String::new();
        let mut copied = 0;
        let mut at = 0;
        while at < text.len() {
            let found = self.lengths.iter().find(|&&len| {
                text.get(at..at + len)
                    .is_some_and(|candidate| self.forms.contains(candidate))
            });
            match found {
                Some(&len) => {
                    out.push_str(&text[copied..at]);
                    out.push_str(REDACTED);
                    at += len;
                    copied = at;
                }
                None => at += text[at..].chars().next().map_or(1, char::len_utf8),
            }
        }
        if copied > 0 {
            out.push_str(&text[copied..]);
            *text = out;
        }
    }
}

/// `%40` → `@`; invalid escapes are kept as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The password part of every URL in `text` (`scheme://user:password@host`) replaced by
/// `[REDACTED]`; the rest is kept so the message still says which URL it is about.
pub(crate) fn mask_url_passwords(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let authority_end = after
            .find(|c: char| matches!(c, '/' | '?' | '#' | '"' | '\'' | '`') || c.is_whitespace())
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        match authority.rfind('@').and_then(|at| {
            let userinfo = &authority[..at];
            userinfo.find(':').map(|colon| (colon, at))
        }) {
            Some((colon, at)) => {
                out.push_str(&authority[..=colon]);
                out.push_str(REDACTED);
                out.push_str(&authority[at..]);
                changed = true;
            }
            None => out.push_str(authority),
        }
        rest = &after[authority_end..];
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn mask_in_place(text: &mut String) {
    if let Cow::Owned(masked) = mask_url_passwords(text) {
        *text = masked;
    }
}

/// How many characters of a value a message or the explain report shows.
pub(crate) const SHOWN_CHARS: usize = 100;

/// A value cut to [`SHOWN_CHARS`] characters (with `…`), and its length when it was cut.
pub(crate) fn cut(text: &str) -> (Cow<'_, str>, Option<usize>) {
    match text.char_indices().nth(SHOWN_CHARS) {
        None => (Cow::Borrowed(text), None),
        Some((end, _)) => (
            Cow::Owned(format!("{}…", &text[..end])),
            Some(text.chars().count()),
        ),
    }
}

/// A value for a message: cut when long (saying how long), URL passwords masked, quoted with
/// control characters escaped.
pub(crate) fn quote(text: &str) -> String {
    // Masked before it is cut, so a cut cannot split a password from the `@` that marks it.
    let masked = mask_url_passwords(text);
    let (shown, length) = cut(&masked);
    match length {
        None => format!("{shown:?}"),
        Some(n) => format!("{shown:?} ({n} characters)"),
    }
}

/// Control characters (newlines, escapes, NUL, ...) written as escapes, so a value cannot
/// break a line of a report or drive a terminal.
pub(crate) fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(help) = &self.help {
            return f.write_str(help);
        }
        let count = self.errors.len();
        writeln!(
            f,
            "invalid configuration ({count} problem{}):",
            if count == 1 { "" } else { "s" }
        )?;
        for error in &self.errors {
            writeln!(f, "  {error}")?;
        }
        for warning in &self.warnings {
            let warning = warning.to_string();
            writeln!(f, "  warning: {}", escape_controls(&warning))?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// What a [`FieldError`] is about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Subject {
    /// A key: a field of the schema (`redis.port`), or a key a file, an override or a remote
    /// source gave that names no field.
    Key(String),
    /// A nested section as a whole (`redis`): its struct's `validate = ..` check failed.
    Section(String),
    /// A variable with the config's prefix that names no field (`APP_DATABSE_URL`).
    Variable(String),
    /// A whole source (a file, a `.env`, a directory, a remote store) that could not be read
    /// or parsed; [`FieldError::origin`] says which.
    Source,
    /// The configuration as a whole: the top-level struct's `validate = ..` check, or an
    /// inconsistent declaration (two fields sharing a variable).
    Config,
}

impl Subject {
    /// The key or section path; `None` for variables, sources and the whole configuration.
    pub fn path(&self) -> Option<&str> {
        match self {
            Subject::Key(path) | Subject::Section(path) => Some(path),
            Subject::Variable(_) | Subject::Source | Subject::Config => None,
        }
    }
}

/// One problem with one [`Subject`].
#[derive(Debug, Clone)]
pub struct FieldError {
    pub(crate) subject: Subject,
    pub(crate) env: Option<String>,
    pub(crate) origin: Option<Origin>,
    pub(crate) kind: ErrorKind,
}

impl FieldError {
    /// A problem with a key (a field, or a key that names none).
    pub(crate) fn key(
        path: impl Into<String>,
        env: Option<String>,
        origin: Option<Origin>,
        kind: ErrorKind,
    ) -> Self {
        FieldError {
            subject: Subject::Key(path.into()),
            env,
            origin,
            kind,
        }
    }

    /// A problem with a variable that names no field.
    pub(crate) fn variable(name: impl Into<String>, origin: Origin, kind: ErrorKind) -> Self {
        let name = name.into();
        FieldError {
            env: Some(name.clone()),
            subject: Subject::Variable(name),
            origin: Some(origin),
            kind,
        }
    }

    /// A problem with a whole source, named by its origin.
    pub(crate) fn source(origin: Origin, kind: ErrorKind) -> Self {
        FieldError {
            subject: Subject::Source,
            env: None,
            origin: Some(origin),
            kind,
        }
    }

    /// A struct's own check failed: a nested section at `path`, or the whole configuration
    /// when `path` is empty (the top-level struct).
    pub(crate) fn section(path: String, kind: ErrorKind) -> Self {
        let subject = if path.is_empty() {
            Subject::Config
        } else {
            Subject::Section(path)
        };
        FieldError {
            subject,
            env: None,
            origin: None,
            kind,
        }
    }

    /// A problem with the configuration as a whole.
    pub(crate) fn config(kind: ErrorKind) -> Self {
        FieldError {
            subject: Subject::Config,
            env: None,
            origin: None,
            kind,
        }
    }

    /// What the problem is about.
    pub fn subject(&self) -> &Subject {
        &self.subject
    }

    /// The key path, like `"redis.port"` (a section's path for a nested struct's check).
    /// Empty when the subject has no path: an unknown variable (see [`env`](Self::env)), a
    /// whole source (see [`origin`](Self::origin)) or the whole configuration; match on
    /// [`subject`](Self::subject) to tell them apart.
    pub fn path(&self) -> &str {
        self.subject.path().unwrap_or_default()
    }

    /// The environment variable of the key (or the unknown variable), when there is one.
    pub fn env(&self) -> Option<&str> {
        self.env.as_deref()
    }

    /// Where the bad value came from; `None` when it is missing.
    pub fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }

    /// What is wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The problem for machines: `{"key", "env", "source", "message"}` (`key` empty and the
    /// others `null` when the problem has none; `message` is this error's one line).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "key": self.path(),
            "env": self.env(),
            "source": self.origin().map(ToString::to_string),
            "message": self.to_string(),
        })
    }

    /// Where the problem goes in a report: what spoils the whole load first, then the keys,
    /// then names that match no field, then the configuration's own check.
    fn rank(&self) -> u8 {
        match (&self.subject, &self.kind) {
            (_, ErrorKind::Schema { .. }) | (Subject::Source, _) => 0,
            (Subject::Variable(_), _) | (_, ErrorKind::Unknown { .. }) => 2,
            (Subject::Config, _) => 3,
            (Subject::Key(_) | Subject::Section(_), _) => 1,
        }
    }

    /// The name a reader knows the subject by: the variable for environment-style sources,
    /// the key path for files; `None` when the origin (or nothing) names it.
    fn label(&self) -> Option<&str> {
        let by_variable = self.origin.as_ref().is_none_or(Origin::is_variable);
        if self.through_a_whole_variable().is_some()
            && let Some(path) = self.subject.path()
        {
            return Some(path);
        }
        match (&self.env, by_variable, self.subject.path()) {
            // An item of a list of sections is named by its path: `data_dirs[1].path`.
            (Some(_), true, Some(path)) if self.origin.is_none() && path.contains('[') => {
                Some(path)
            }
            (Some(env), true, _) => Some(env),
            (_, _, Some(path)) => Some(path),
            (Some(env), false, None) => Some(env),
            (None, _, None) => None,
        }
    }
}

impl FieldError {
    /// The variable that held this key inside a whole map or list given as JSON
    /// (`QD__DATA_DIRS='[..]'` for `data_dirs[1].path`), when that is where it came from.
    fn through_a_whole_variable(&self) -> Option<&str> {
        match &self.origin {
            Some(Origin::Env { var }) if self.env.as_deref() != Some(&**var) => Some(var),
            _ => None,
        }
    }
}

impl fmt::Display for FieldError {
    /// One line: control characters in names, origins and messages are escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = match (&self.origin, self.label()) {
            (Some(origin), Some(label)) => match self.through_a_whole_variable() {
                Some(var) => format!("{label} ({origin}, in {var}): {}", self.kind),
                None => format!("{label} ({origin}): {}", self.kind),
            },
            (Some(origin), None) => format!("{origin}: {}", self.kind),
            (None, Some(label)) => format!("{label}: {}", self.kind),
            (None, None) => self.kind.to_string(),
        };
        f.write_str(&escape_controls(&line))
    }
}

/// What kind of name an [`ErrorKind::Unknown`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnknownName {
    /// A variable with the config's prefix.
    Variable,
    /// A key of a file, an override or a remote source.
    Key,
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnknownName::Variable => "variable",
            UnknownName::Key => "key",
        })
    }
}

/// The kinds of problems a load can report.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A required key has no value in any source.
    Missing,
    /// The value does not parse as the field's type.
    Invalid {
        /// What a valid value looks like.
        expected: String,
        /// The value as given (its first characters and `…` when long; a URL's password
        /// masked); `None` when it is not shown: a secret, or a value taken through a
        /// reference or decrypted.
        got: Option<String>,
        /// The parser's explanation, how long a cut value is, or why the value is not shown.
        detail: Option<String>,
    },
    /// The value parsed but broke a `validate(..)` rule.
    Rule {
        /// What the rule requires and what it got, e.g. "must be at least 32 characters, got 12 characters".
        message: String,
    },
    /// A variable with the prefix, or a file key, that names no field.
    Unknown {
        /// A variable or a key.
        what: UnknownName,
        /// The closest known name, if one is close.
        suggestion: Option<String>,
    },
    /// A deprecated name and its replacement were both set.
    Conflict {
        /// The other name that was set.
        other: String,
    },
    /// A `${..}` reference could not be resolved.
    Reference {
        /// The reference, as written (never a value).
        reference: String,
        /// Why.
        message: String,
    },
    /// A value taken from a secret provider would land in a field that is not `Secret<T>`.
    SecretInPlainField {
        /// The provider reference the value came from.
        reference: String,
    },
    /// Under profile `production`, a secret is empty, equal to its example, or a placeholder.
    Placeholder {
        /// Which of those it is.
        reason: String,
    },
    /// A source could not be read or parsed.
    Source {
        /// What went wrong.
        message: String,
    },
    /// The struct's `validate = ..` function rejected the values.
    Check {
        /// The function's message.
        message: String,
    },
    /// The declared structure is inconsistent (e.g. two fields share a variable).
    Schema {
        /// What is inconsistent.
        message: String,
    },
}

impl ErrorKind {
    fn for_each_text(&mut self, mut f: impl FnMut(&mut String)) {
        match self {
            ErrorKind::Invalid { got, detail, .. } => {
                got.iter_mut().chain(detail.iter_mut()).for_each(f);
            }
            ErrorKind::Rule { message }
            | ErrorKind::Reference { message, .. }
            | ErrorKind::Source { message }
            | ErrorKind::Check { message }
            | ErrorKind::Placeholder { reason: message } => f(message),
            ErrorKind::Missing
            | ErrorKind::Unknown { .. }
            | ErrorKind::Conflict { .. }
            | ErrorKind::SecretInPlainField { .. }
            | ErrorKind::Schema { .. } => {}
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Missing => f.write_str("required, not set (see .env.example)"),
            ErrorKind::Invalid {
                expected,
                got,
                detail,
            } => {
                match got {
                    Some(got) => write!(f, "expected {expected}, got {got:?}")?,
                    None if detail.is_none() => write!(f, "expected {expected} (value not shown)")?,
                    None => write!(f, "expected {expected}")?,
                }
                match detail {
                    Some(detail) => write!(f, " ({detail})"),
                    None => Ok(()),
                }
            }
            ErrorKind::Rule { message } => f.write_str(message),
            ErrorKind::Unknown { what, suggestion } => {
                write!(f, "unknown {what}")?;
                match suggestion {
                    Some(s) => write!(f, "; did you mean {s}?"),
                    None => Ok(()),
                }
            }
            ErrorKind::Conflict { other } => {
                write!(f, "set together with {other}; remove one of them")
            }
            ErrorKind::Reference { reference, message } => {
                write!(f, "cannot resolve {reference}: {message}")
            }
            ErrorKind::SecretInPlainField { reference } => write!(
                f,
                "takes a value from the secret store ({reference}) but is not a Secret<..> field; \
                 declare it as Secret<T> so the value cannot leak"
            ),
            ErrorKind::Placeholder { reason } => {
                write!(f, "{reason}; not allowed in profile production")
            }
            ErrorKind::Source { message } => f.write_str(message),
            ErrorKind::Check { message } => f.write_str(message),
            ErrorKind::Schema { message } => f.write_str(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_subject_is_labelled_as_before() {
        let unknown = FieldError::variable(
            "APP_DATABSE_URL",
            Origin::Env {
                var: "APP_DATABSE_URL".into(),
            },
            ErrorKind::Unknown {
                what: UnknownName::Variable,
                suggestion: Some("DATABASE_URL".to_owned()),
            },
        );
        assert_eq!(
            unknown.to_string(),
            "APP_DATABSE_URL (environment): unknown variable; did you mean DATABASE_URL?"
        );
        assert_eq!(
            unknown.subject(),
            &Subject::Variable("APP_DATABSE_URL".to_owned())
        );
        assert_eq!(
            (unknown.path(), unknown.env()),
            ("", Some("APP_DATABSE_URL"))
        );

        let file = FieldError::source(
            Origin::File {
                path: std::path::Path::new("config.toml").into(),
                line: None,
            },
            ErrorKind::Source {
                message: "file not found".to_owned(),
            },
        );
        assert_eq!(file.to_string(), "config.toml: file not found");
        assert_eq!((file.subject(), file.path()), (&Subject::Source, ""));

        let key = FieldError::key(
            "redis.port",
            None,
            Some(Origin::File {
                path: std::path::Path::new("config.toml").into(),
                line: Some(3),
            }),
            ErrorKind::Unknown {
                what: UnknownName::Key,
                suggestion: None,
            },
        );
        assert_eq!(
            key.to_string(),
            "redis.port (config.toml line 3): unknown key"
        );

        let check = |path: &str| {
            FieldError::section(
                path.to_owned(),
                ErrorKind::Check {
                    message: "min above max".to_owned(),
                },
            )
        };
        assert_eq!(check("").to_string(), "min above max");
        assert_eq!(check("").subject(), &Subject::Config);
        assert_eq!(check("redis").to_string(), "redis: min above max");
        assert_eq!(check("redis").path(), "redis");
    }

    #[test]
    fn scrubbing_finds_escaped_listed_and_url_forms() {
        let scrubber = Scrubber::new([
            "pa\"ss\nword",
            "one-key, two-key",
            "postgres://app:p%40ss-w0rd@DB.Internal/x",
        ]);
        let mut text = format!(
            "saw {:?} and two-key and {:?} and {}",
            "pa\"ss\nword",
            url::Url::parse("postgres://app:p%40ss-w0rd@DB.Internal/x").unwrap(),
            "p@ss-w0rd"
        );
        scrubber.scrub(&mut text);
        for leak in ["ss\\nword", "two-key", "p%40ss", "p@ss", "DB.Internal"] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
        assert!(
            text.starts_with("saw \"[REDACTED]\" and [REDACTED] and "),
            "{text}"
        );
    }

    #[test]
    fn scrubbing_prefers_the_longest_form_and_keeps_other_text() {
        let scrubber = Scrubber::new(["abc", "abcdef"]);
        let mut text = "x abcdef y abc é abcde".to_owned();
        scrubber.scrub(&mut text);
        assert_eq!(text, "x [REDACTED] y [REDACTED] é [REDACTED]de");
        let mut clean = "nothing here".to_owned();
        scrubber.scrub(&mut clean);
        assert_eq!(clean, "nothing here");
    }

    #[test]
    fn scrubbing_with_a_long_list_secret_stays_linear() {
        let items: Vec<String> = (0..100_000).map(|i| format!("key-{i}")).collect();
        let start = std::time::Instant::now();
        let scrubber = Scrubber::new([items.join(",").as_str()]);
        let mut messages: Vec<String> = (0..10_000)
            .map(|i| format!("custom check refused key-{i} of the list"))
            .collect();
        for message in &mut messages {
            scrubber.scrub(message);
        }
        assert_eq!(messages[7], "custom check refused [REDACTED] of the list");
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn url_passwords_are_masked_in_any_text() {
        assert_eq!(
            mask_url_passwords("bad URL \"postgres://app:hunter22@db:5432/x\" here"),
            "bad URL \"postgres://app:[REDACTED]@db:5432/x\" here"
        );
        assert_eq!(
            mask_url_passwords("a://u:p@h and b://v:q@i/"),
            "a://u:[REDACTED]@h and b://v:[REDACTED]@i/"
        );
        assert_eq!(
            mask_url_passwords("https://user@host/p:a@b"),
            "https://user@host/p:a@b"
        );
        assert_eq!(mask_url_passwords("no url: a@b"), "no url: a@b");
    }

    #[test]
    fn long_values_are_cut_and_controls_escaped() {
        let long = "x".repeat(1_000_000);
        let quoted = quote(&long);
        assert!(quoted.len() < 200, "{quoted}");
        assert!(quoted.ends_with("(1000000 characters)"), "{quoted}");
        assert_eq!(quote("a\nb\u{1b}[31m"), "\"a\\nb\\u{1b}[31m\"");
        // A password that straddles the cut is masked all the same.
        let url = format!("https://user:{}@host/", "p".repeat(200));
        assert!(
            quote(&url).starts_with("\"https://user:[REDACTED]@host/\""),
            "{}",
            quote(&url)
        );
        assert_eq!(escape_controls("key\r\n\u{7}"), "key\\r\\n\\u{7}");
        assert_eq!(escape_controls("plain é"), "plain é");
    }

    #[test]
    fn errors_are_listed_fields_first_then_unknown_names() {
        let env = |var: &str| {
            Some(Origin::Env {
                var: var.to_owned().into(),
            })
        };
        let unknown = FieldError::variable(
            "APP_X",
            Origin::Env {
                var: "APP_X".into(),
            },
            ErrorKind::Unknown {
                what: UnknownName::Variable,
                suggestion: None,
            },
        );
        let field = |path: &str| FieldError::key(path, None, env("APP_P"), ErrorKind::Missing);
        let source = FieldError::source(
            Origin::File {
                path: std::path::Path::new("a.toml").into(),
                line: None,
            },
            ErrorKind::Source {
                message: "unreadable".to_owned(),
            },
        );
        let error = ConfigError::new(vec![unknown, field("a"), source, field("b")], Vec::new());
        let order: Vec<_> = error.errors().iter().map(|e| e.subject().clone()).collect();
        assert_eq!(
            order,
            [
                Subject::Source,
                Subject::Key("a".to_owned()),
                Subject::Key("b".to_owned()),
                Subject::Variable("APP_X".to_owned())
            ]
        );
    }

    #[test]
    fn values_not_shown_are_not_called_secret_unless_they_are() {
        let kind = |detail: Option<&str>| ErrorKind::Invalid {
            expected: "a table of settings".to_owned(),
            got: None,
            detail: detail.map(str::to_owned),
        };
        assert_eq!(
            kind(Some("got a single value")).to_string(),
            "expected a table of settings (got a single value)"
        );
        assert_eq!(
            kind(None).to_string(),
            "expected a table of settings (value not shown)"
        );
    }
}
