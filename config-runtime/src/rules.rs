//! The `validate(..)` rules. Generated code calls these on each field's inner value(s) through
//! `__private`; a broken rule is a [`Violation`] whose message never quotes a secret (see
//! [`Violation::got`] and [`Exposure`]).

use std::borrow::Cow;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;

use crate::secret::Secret;
use crate::value::ConfigValue;

/// A broken rule: what it requires, and what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// What the rule requires, e.g. "must be at least 32 characters".
    pub requirement: String,
    /// What was found.
    pub got: Got,
}

/// What a rule found, split by whether it may be shown for a secret field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Got {
    /// The value itself: shown for plain fields, hidden for secrets.
    Value(String),
    /// A summary that reveals nothing useful (a length): always shown.
    Summary(String),
    /// Nothing to add.
    Nothing,
}

/// Whether the field a message is about may show its value, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// A plain field: the value may be quoted.
    Plain,
    /// A `Secret<T>` field: the value is never quoted.
    Secret,
    /// A plain field whose value came through a `${..}` reference: never quoted.
    Referenced,
    /// A plain field whose value was decrypted: never quoted.
    Decrypted,
}

impl Exposure {
    /// Why the value is not shown, completing "value not shown: …"; `None` when it may be.
    pub fn withheld(self) -> Option<&'static str> {
        match self {
            Exposure::Plain => None,
            Exposure::Secret => Some("secret"),
            Exposure::Referenced => Some("taken through a reference"),
            Exposure::Decrypted => Some("decrypted"),
        }
    }
}

impl Violation {
    fn new(requirement: impl Into<String>, got: Got) -> Self {
        Violation {
            requirement: requirement.into(),
            got,
        }
    }

    /// The message for a field; [`Exposure::Secret`] hides the value.
    pub fn message(&self, exposure: Exposure) -> String {
        match (&self.got, exposure.withheld()) {
            (Got::Value(value), None) => {
                format!("{}, got {}", self.requirement, crate::error::quote(value))
            }
            (Got::Value(_), Some(why)) => {
                format!("{} (value not shown: {why})", self.requirement)
            }
            (Got::Summary(summary), _) => format!("{}, got {summary}", self.requirement),
            (Got::Nothing, _) => self.requirement.clone(),
        }
    }
}

/// Collects the violations of one field.
#[derive(Default)]
pub struct Checks {
    pub(crate) violations: Vec<Violation>,
}

impl Checks {
    /// Records the outcome of one rule.
    pub fn push(&mut self, outcome: Result<(), Violation>) {
        if let Err(violation) = outcome {
            self.violations.push(violation);
        }
    }
}

/// Visits the inner value(s) of a wrapper, so rules apply to what a user means: the value in
/// an `Option` (when present), each item of a `Vec`, the value inside a `Secret`.
pub trait Inner {
    /// The wrapped type.
    type Item;
    /// Calls `f` on each inner value.
    fn each_inner(&self, f: &mut dyn FnMut(&Self::Item));
}

impl<T> Inner for Option<T> {
    type Item = T;
    fn each_inner(&self, f: &mut dyn FnMut(&T)) {
        if let Some(value) = self {
            f(value);
        }
    }
}

impl<T> Inner for Vec<T> {
    type Item = T;
    fn each_inner(&self, f: &mut dyn FnMut(&T)) {
        self.iter().for_each(f);
    }
}

impl<T: ConfigValue> Inner for Secret<T> {
    type Item = T;
    fn each_inner(&self, f: &mut dyn FnMut(&T)) {
        f(self.expose_secret());
    }
}

/// Types with a length in characters, for `min_len`, `max_len` and `non_empty`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no length, so `min_len`, `max_len` and `non_empty` do not apply",
    label = "this field's value is a `{Self}`"
)]
pub trait HasLen {
    /// Length in characters.
    fn char_len(&self) -> usize;
}

impl HasLen for str {
    fn char_len(&self) -> usize {
        self.chars().count()
    }
}
impl HasLen for String {
    fn char_len(&self) -> usize {
        self.as_str().char_len()
    }
}
impl HasLen for Path {
    fn char_len(&self) -> usize {
        self.as_os_str().to_string_lossy().chars().count()
    }
}
impl HasLen for PathBuf {
    fn char_len(&self) -> usize {
        self.as_path().char_len()
    }
}

/// Types that read as text, for `pattern` and `one_of`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not text, so `pattern` and `one_of` do not apply",
    label = "this field's value is a `{Self}`"
)]
pub trait AsText {
    /// The value as text.
    fn as_text(&self) -> Cow<'_, str>;
}

impl AsText for str {
    fn as_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}
impl AsText for String {
    fn as_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}
impl AsText for PathBuf {
    fn as_text(&self) -> Cow<'_, str> {
        self.to_string_lossy()
    }
}
impl AsText for url::Url {
    fn as_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.as_str())
    }
}

/// `range(min = .., max = ..)`, both bounds inclusive. A value that cannot be compared with
/// a bound (a float `NaN`) is outside the range.
pub fn range<T: PartialOrd + Display>(
    value: &T,
    min: Option<T>,
    max: Option<T>,
) -> Result<(), Violation> {
    if within(value, min.as_ref(), max.as_ref()) {
        return Ok(());
    }
    let requirement = bounds_requirement(min.as_ref(), max.as_ref(), |b| b.to_string());
    Err(Violation::new(requirement, Got::Value(value.to_string())))
}

/// `range(min = "1s", max = "1h")` on a `Duration`, both bounds inclusive.
pub fn duration_range(
    value: &Duration,
    min: Option<Duration>,
    max: Option<Duration>,
) -> Result<(), Violation> {
    if within(value, min.as_ref(), max.as_ref()) {
        return Ok(());
    }
    let show = |d: &Duration| humantime::format_duration(*d).to_string();
    let requirement = bounds_requirement(min.as_ref(), max.as_ref(), show);
    Err(Violation::new(requirement, Got::Value(show(value))))
}

/// `range(min = "1 MB", max = "1 GiB")` on a [`ByteSize`](bytesize::ByteSize), both bounds
/// inclusive; sizes are shown exactly, in the unit they divide (`100 MB`, not `95.4 MiB`).
pub fn byte_size_range(
    value: &bytesize::ByteSize,
    min: Option<bytesize::ByteSize>,
    max: Option<bytesize::ByteSize>,
) -> Result<(), Violation> {
    if within(value, min.as_ref(), max.as_ref()) {
        return Ok(());
    }
    let show = |size: &bytesize::ByteSize| crate::value::exact_byte_size(*size);
    let requirement = bounds_requirement(min.as_ref(), max.as_ref(), show);
    Err(Violation::new(requirement, Got::Value(show(value))))
}

/// Whether `value` is within the bounds; a value that does not compare with a bound is not.
fn within<T: PartialOrd>(value: &T, min: Option<&T>, max: Option<&T>) -> bool {
    use std::cmp::Ordering::{Greater, Less};
    let above_min = min.is_none_or(|min| matches!(value.partial_cmp(min), Some(o) if o != Less));
    let below_max = max.is_none_or(|max| matches!(value.partial_cmp(max), Some(o) if o != Greater));
    // A value equal to neither itself (NaN) is never within, even without a bound.
    above_min && below_max && value.partial_cmp(value).is_some()
}

fn bounds_requirement<T>(min: Option<&T>, max: Option<&T>, show: impl Fn(&T) -> String) -> String {
    match (min, max) {
        (Some(min), Some(max)) => format!("must be in {}..={}", show(min), show(max)),
        (Some(min), None) => format!("must be at least {}", show(min)),
        (None, Some(max)) => format!("must be at most {}", show(max)),
        (None, None) => "must be a comparable value".to_owned(),
    }
}

fn characters(n: usize) -> String {
    format!("{n} character{}", if n == 1 { "" } else { "s" })
}

/// `min_len = N` (characters).
pub fn min_len<T: HasLen + ?Sized>(value: &T, min: usize) -> Result<(), Violation> {
    let len = value.char_len();
    if len >= min {
        return Ok(());
    }
    Err(Violation::new(
        format!("must be at least {}", characters(min)),
        Got::Summary(characters(len)),
    ))
}

/// `max_len = N` (characters).
pub fn max_len<T: HasLen + ?Sized>(value: &T, max: usize) -> Result<(), Violation> {
    let len = value.char_len();
    if len <= max {
        return Ok(());
    }
    Err(Violation::new(
        format!("must be at most {}", characters(max)),
        Got::Summary(characters(len)),
    ))
}

/// `non_empty`.
pub fn non_empty<T: HasLen + ?Sized>(value: &T) -> Result<(), Violation> {
    if value.char_len() > 0 {
        return Ok(());
    }
    Err(Violation::new("must not be empty", Got::Nothing))
}

/// `pattern = ".."`: the whole value must match (the regex is anchored by the caller or not,
/// as written; `source` is the pattern as declared, for the message).
pub fn pattern<T: AsText + ?Sized>(value: &T, re: &Regex, source: &str) -> Result<(), Violation> {
    let text = value.as_text();
    if re.is_match(&text) {
        return Ok(());
    }
    Err(Violation::new(
        format!("must match the pattern /{source}/"),
        Got::Value(text.into_owned()),
    ))
}

/// `one_of(..)`: exact match against the listed words.
pub fn one_of<T: AsText + ?Sized>(value: &T, allowed: &[&str]) -> Result<(), Violation> {
    let text = value.as_text();
    if allowed.contains(&text.as_ref()) {
        return Ok(());
    }
    let hint = crate::suggest::closest(&text, allowed.iter().copied())
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default();
    Err(Violation::new(
        format!("must be one of: {}{hint}", allowed.join(", ")),
        Got::Value(text.into_owned()),
    ))
}

/// `url_scheme(..)`.
pub fn url_scheme(value: &url::Url, allowed: &[&str]) -> Result<(), Violation> {
    if allowed.contains(&value.scheme()) {
        return Ok(());
    }
    Err(Violation::new(
        format!("must be a URL with scheme {}", allowed.join(" or ")),
        Got::Summary(format!("scheme {:?}", value.scheme())),
    ))
}

/// `custom = path`: the function's own message. It is scrubbed of secret values by the loader.
pub fn custom(outcome: Result<(), String>) -> Result<(), Violation> {
    outcome.map_err(|message| Violation::new(message, Got::Nothing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_reports_bounds_and_value() {
        assert!(range(&5u16, Some(1), Some(10)).is_ok());
        let v = range(&0u16, Some(1), Some(65535)).unwrap_err();
        assert_eq!(
            v.message(Exposure::Plain),
            "must be in 1..=65535, got \"0\""
        );
        assert_eq!(
            v.message(Exposure::Secret),
            "must be in 1..=65535 (value not shown: secret)"
        );
    }

    #[test]
    fn lengths_count_characters_and_are_safe_for_secrets() {
        let v = min_len("short-secret", 32).unwrap_err();
        assert_eq!(
            v.message(Exposure::Secret),
            "must be at least 32 characters, got 12 characters"
        );
        assert!(max_len("ééé", 3).is_ok());
        assert!(non_empty("").is_err());
    }

    #[test]
    fn url_scheme_names_the_scheme_only() {
        let url = url::Url::parse("mysql://user:pw@db/app").unwrap();
        let v = url_scheme(&url, &["postgres", "postgresql"]).unwrap_err();
        assert!(!v.message(Exposure::Secret).contains("pw"));
    }

    #[test]
    fn nan_is_outside_every_range() {
        for nan in ["NaN", "-NaN", "nan"] {
            let value: f64 = crate::value::ConfigValue::parse_str(nan).unwrap();
            let v = range(&value, Some(0.0), Some(1.0)).unwrap_err();
            assert_eq!(v.message(Exposure::Plain), "must be in 0..=1, got \"NaN\"");
            assert!(range(&value, None, Some(1.0)).is_err());
            assert!(range(&value, Some(0.0), None).is_err());
        }
        assert!(range(&0.5, Some(0.0), Some(1.0)).is_ok());
        assert!(range(&1.0, Some(0.0), Some(1.0)).is_ok());
    }

    #[test]
    fn durations_are_bounded() {
        let (min, max) = (Duration::from_secs(1), Duration::from_secs(3600));
        assert!(duration_range(&Duration::from_secs(30), Some(min), Some(max)).is_ok());
        let v = duration_range(&Duration::from_millis(5), Some(min), Some(max)).unwrap_err();
        assert_eq!(
            v.message(Exposure::Plain),
            "must be in 1s..=1h, got \"5ms\""
        );
        let v = duration_range(&Duration::from_secs(7200), None, Some(max)).unwrap_err();
        assert_eq!(v.message(Exposure::Plain), "must be at most 1h, got \"2h\"");
    }

    #[test]
    fn byte_sizes_are_bounded_and_shown_exactly() {
        use bytesize::ByteSize;
        let (min, max) = (Some(ByteSize::mb(1)), Some(ByteSize::gib(1)));
        assert!(byte_size_range(&ByteSize::mb(100), min, max).is_ok());
        let v = byte_size_range(&ByteSize::kb(5), min, max).unwrap_err();
        assert_eq!(
            v.message(Exposure::Plain),
            "must be in 1 MB..=1 GiB, got \"5 kB\""
        );
        let v = byte_size_range(&ByteSize::gb(2), None, max).unwrap_err();
        assert_eq!(
            v.message(Exposure::Secret),
            "must be at most 1 GiB (value not shown: secret)"
        );
    }

    #[test]
    fn withheld_values_say_why() {
        let v = pattern("abc", &Regex::new("^x$").unwrap(), "^x$").unwrap_err();
        assert!(
            v.message(Exposure::Referenced)
                .ends_with("(value not shown: taken through a reference)")
        );
        assert!(!v.message(Exposure::Referenced).contains("secret"));
    }

    #[test]
    fn one_of_suggests() {
        let v = one_of("inf", &["error", "info"]).unwrap_err();
        assert!(v.message(Exposure::Plain).contains("did you mean info?"));
    }
}
