//! How one leaf value is read: the [`ConfigValue`] trait and its implementations for the
//! standard types, plus the one-line opt-ins for user types.
//!
//! Every source hands the loader text (or a list of texts, for arrays in files); a field's type
//! decides how that text becomes a value. Environment variables, `.env` lines, file scalars
//! and string-literal defaults therefore all parse the same way.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::secret::Secret;

mod byte_size;
mod non_zero;

pub(crate) use byte_size::exact as exact_byte_size;
pub use non_zero::{NonZeroInt, non_zero_bound};

/// A value as a source gave it, before it is parsed by the field's type.
#[derive(Clone, PartialEq, Eq)]
pub enum RawValue {
    /// One piece of text: an environment variable, a `.env` line, a file scalar.
    Str(String),
    /// A list of texts: an array in a TOML, YAML or JSON file.
    List(Vec<String>),
}

impl RawValue {
    /// The texts this value is made of (one for `Str`).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        let (one, many): (Option<&str>, &[String]) = match self {
            RawValue::Str(s) => (Some(s), &[]),
            RawValue::List(items) => (None, items),
        };
        one.into_iter().chain(many.iter().map(String::as_str))
    }
}

/// Why a text could not become a value of the field's type.
///
/// It never holds the text itself: the loader adds it (unless the field is secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// What was expected, e.g. "an integer in 0..=65535".
    pub expected: Cow<'static, str>,
    /// Extra detail from the underlying parser, or the position in a list.
    pub detail: Option<String>,
}

impl ValueError {
    /// An error saying what `T` expects.
    pub fn expected<T: ConfigValue>() -> Self {
        ValueError {
            expected: T::expected(),
            detail: None,
        }
    }

    /// Adds the underlying parser's explanation.
    pub fn with_detail(mut self, detail: impl fmt::Display) -> Self {
        self.detail = Some(detail.to_string());
        self
    }
}

/// The shape of a value, for the JSON Schema and for messages.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    /// `true`/`false` and friends.
    Boolean,
    /// An integer type with its bounds.
    Integer {
        /// Smallest value of the type.
        min: i128,
        /// Largest value of the type (clamped to `i128::MAX`).
        max: i128,
    },
    /// A floating-point number.
    Number,
    /// Text, optionally with a JSON Schema `format` such as `uri`.
    String {
        /// JSON Schema format keyword.
        format: Option<&'static str>,
    },
    /// One of a fixed set of words (an enum).
    OneOf(Vec<&'static str>),
    /// A list of the inner kind.
    List(Box<ValueKind>),
}

/// A type a configuration field can have.
///
/// Implemented for `bool`, all integers and floats, the `NonZero*` integers, `String`,
/// `PathBuf`, [`url::Url`], [`Duration`], [`ByteSize`](crate::ByteSize), [`IpAddr`],
/// [`SocketAddr`], and the wrappers `Option<T>`, `Vec<T>` and
/// [`Secret<T>`]. For your own types, implement it, or opt in with one line:
///
/// - [`impl_from_str!`](crate::impl_from_str) for any type with a `FromStr` impl;
/// - [`impl_serde_enum!`](crate::impl_serde_enum) for an enum that derives `serde::Deserialize`.
///
/// ```
/// use config_runtime::{ConfigValue, ValueError};
/// use std::borrow::Cow;
///
/// /// A percentage, written "75%".
/// struct Percent(u8);
///
/// impl ConfigValue for Percent {
///     fn parse_str(text: &str) -> Result<Self, ValueError> {
///         text.strip_suffix('%')
///             .and_then(|n| n.trim().parse().ok())
///             .filter(|n| *n <= 100)
///             .map(Percent)
///             .ok_or_else(ValueError::expected::<Self>)
///     }
///     fn expected() -> Cow<'static, str> { "a percentage like 75%".into() }
///     fn type_name() -> Cow<'static, str> { "percent".into() }
/// }
/// assert_eq!(Percent::parse_str("75%").unwrap().0, 75);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a configuration field type: it does not implement `ConfigValue`",
    label = "`{Self}` does not implement `ConfigValue`",
    note = "for an enum that derives `serde::Deserialize`, add `config_runtime::impl_serde_enum!({Self});`",
    note = "for a type that implements `FromStr`, add `config_runtime::impl_from_str!({Self});`",
    note = "or implement `config_runtime::ConfigValue` for it by hand"
)]
pub trait ConfigValue: Sized {
    /// Parses one piece of text (an environment value, a file scalar, a list item).
    fn parse_str(text: &str) -> Result<Self, ValueError>;

    /// Parses a raw source value. The default accepts a single text only.
    fn from_raw(raw: &RawValue) -> Result<Self, ValueError> {
        match raw {
            RawValue::Str(text) => Self::parse_str(text),
            RawValue::List(_) => {
                Err(ValueError::expected::<Self>().with_detail("got a list, not a single value"))
            }
        }
    }

    /// Parses a raw value the loader has no further use for: a text type may take the text
    /// instead of copying it. On an error `raw` must be left as it was (the message may quote
    /// it). The default is [`from_raw`](Self::from_raw).
    fn take_raw(raw: &mut RawValue) -> Result<Self, ValueError> {
        Self::from_raw(raw)
    }

    /// What a valid value looks like, completing "expected …".
    fn expected() -> Cow<'static, str>;

    /// A short type name for docs and the schema, e.g. `u16`, `duration`, `URL`.
    fn type_name() -> Cow<'static, str>;

    /// The shape of the value, for the JSON Schema.
    fn kind() -> ValueKind {
        ValueKind::String { format: None }
    }

    /// The value of a field that no source sets; `None` means the field is required.
    fn when_missing() -> Option<Self> {
        None
    }

    /// Whether the value is a secret (true for `Secret<T>`, `Option<Secret<T>>`,
    /// `Vec<Secret<T>>` and `Option<Vec<Secret<T>>>`).
    const SECRET: bool = false;

    /// Overwrites the value's memory before it is dropped, where the type allows it.
    /// Called by [`Secret`] on drop; the default does nothing.
    fn wipe(&mut self) {}
}

fn trimmed(text: &str) -> &str {
    text.trim()
}

macro_rules! integer_values {
    ($($ty:ty),*) => {$(
        impl ConfigValue for $ty {
            fn parse_str(text: &str) -> Result<Self, ValueError> {
                trimmed(text).parse().map_err(|_| ValueError::expected::<Self>())
            }
            fn expected() -> Cow<'static, str> {
                format!("an integer in {}..={}", <$ty>::MIN, <$ty>::MAX).into()
            }
            fn type_name() -> Cow<'static, str> {
                stringify!($ty).into()
            }
            fn kind() -> ValueKind {
                ValueKind::Integer {
                    min: <$ty>::MIN as i128,
                    max: i128::try_from(<$ty>::MAX).unwrap_or(i128::MAX),
                }
            }
            fn wipe(&mut self) {
                zeroize::Zeroize::zeroize(self);
            }
        }
    )*};
}
integer_values!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
);

macro_rules! float_values {
    ($($ty:ty),*) => {$(
        impl ConfigValue for $ty {
            fn parse_str(text: &str) -> Result<Self, ValueError> {
                let text = trimmed(text);
                let value: Self = text.parse().map_err(|_| ValueError::expected::<Self>())?;
                // `1e400` parses as infinity: a number too large, not the infinity a user
                // writes as `inf`.
                if value.is_infinite() && !spells_infinity(text) {
                    let detail = concat!("too large for ", stringify!($ty));
                    return Err(ValueError::expected::<Self>().with_detail(detail));
                }
                Ok(value)
            }
            fn expected() -> Cow<'static, str> {
                "a number".into()
            }
            fn type_name() -> Cow<'static, str> {
                stringify!($ty).into()
            }
            fn kind() -> ValueKind {
                ValueKind::Number
            }
            fn wipe(&mut self) {
                zeroize::Zeroize::zeroize(self);
            }
        }
    )*};
}
float_values!(f32, f64);

/// Whether `text` names infinity itself (`inf`, `-Infinity`, as Rust and TOML spell it).
fn spells_infinity(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity")
}

impl ConfigValue for bool {
    fn parse_str(text: &str) -> Result<Self, ValueError> {
        let text = trimmed(text);
        let is = |words: [&str; 4]| words.iter().any(|w| text.eq_ignore_ascii_case(w));
        if is(["true", "1", "yes", "on"]) {
            Ok(true)
        } else if is(["false", "0", "no", "off"]) {
            Ok(false)
        } else {
            Err(ValueError::expected::<Self>())
        }
    }
    fn expected() -> Cow<'static, str> {
        "a boolean (true/false, 1/0, yes/no, on/off)".into()
    }
    fn type_name() -> Cow<'static, str> {
        "bool".into()
    }
    fn kind() -> ValueKind {
        ValueKind::Boolean
    }
}

impl ConfigValue for String {
    fn parse_str(text: &str) -> Result<Self, ValueError> {
        Ok(text.to_owned())
    }
    fn take_raw(raw: &mut RawValue) -> Result<Self, ValueError> {
        match raw {
            RawValue::Str(text) => Ok(std::mem::take(text)),
            list => Self::from_raw(list),
        }
    }
    fn expected() -> Cow<'static, str> {
        "text".into()
    }
    fn type_name() -> Cow<'static, str> {
        "string".into()
    }
    fn wipe(&mut self) {
        crate::secret::wipe_text(self);
    }
}

impl ConfigValue for PathBuf {
    fn parse_str(text: &str) -> Result<Self, ValueError> {
        if text.is_empty() {
            return Err(ValueError::expected::<Self>().with_detail("the path is empty"));
        }
        Ok(PathBuf::from(text))
    }
    fn take_raw(raw: &mut RawValue) -> Result<Self, ValueError> {
        match raw {
            RawValue::Str(text) if !text.is_empty() => Ok(PathBuf::from(std::mem::take(text))),
            raw => Self::from_raw(raw),
        }
    }
    fn expected() -> Cow<'static, str> {
        "a file system path".into()
    }
    fn type_name() -> Cow<'static, str> {
        "path".into()
    }
    fn wipe(&mut self) {
        let mut bytes = std::mem::take(self).into_os_string().into_encoded_bytes();
        crate::secret::wipe_bytes(&mut bytes);
    }
}

impl ConfigValue for url::Url {
    fn parse_str(text: &str) -> Result<Self, ValueError> {
        // url's messages describe the fault without quoting the input.
        url::Url::parse(trimmed(text)).map_err(|e| ValueError::expected::<Self>().with_detail(e))
    }
    fn expected() -> Cow<'static, str> {
        "a URL".into()
    }
    fn type_name() -> Cow<'static, str> {
        "URL".into()
    }
    fn kind() -> ValueKind {
        ValueKind::String {
            format: Some("uri"),
        }
    }
    /// A `Url` keeps its text in one `String`; it is taken out (no copy) and overwritten,
    /// leaving a blank URL behind.
    fn wipe(&mut self) {
        let blank = url::Url::parse("data:,").expect("a valid URL");
        let mut text = String::from(std::mem::replace(self, blank));
        crate::secret::wipe_text(&mut text);
    }
}

impl ConfigValue for Duration {
    fn parse_str(text: &str) -> Result<Self, ValueError> {
        let text = trimmed(text);
        if let Ok(seconds) = text.parse::<u64>() {
            return Ok(Duration::from_secs(seconds));
        }
        humantime::parse_duration(text).map_err(|_| ValueError::expected::<Self>())
    }
    fn expected() -> Cow<'static, str> {
        "a duration like 30s, 5m, 1h 30m, or whole seconds".into()
    }
    fn type_name() -> Cow<'static, str> {
        "duration".into()
    }
}

macro_rules! address_values {
    ($($ty:ty => $expected:literal, $name:literal;)*) => {$(
        impl ConfigValue for $ty {
            fn parse_str(text: &str) -> Result<Self, ValueError> {
                trimmed(text).parse().map_err(|_| ValueError::expected::<Self>())
            }
            fn expected() -> Cow<'static, str> {
                $expected.into()
            }
            fn type_name() -> Cow<'static, str> {
                $name.into()
            }
        }
    )*};
}
address_values! {
    IpAddr => "an IP address like 127.0.0.1 or ::1", "IP address";
    Ipv4Addr => "an IPv4 address like 127.0.0.1", "IPv4 address";
    Ipv6Addr => "an IPv6 address like ::1", "IPv6 address";
    SocketAddr => "a socket address like 127.0.0.1:8080", "socket address";
}

impl<T: ConfigValue> ConfigValue for Option<T> {
    fn parse_str(text: &str) -> Result<Self, ValueError> {
        // An empty variable (`APP_SENTRY_DSN=`) means "not set", as shells and .env files use it.
        if text.trim().is_empty() {
            return Ok(None);
        }
        T::parse_str(text).map(Some)
    }
    fn from_raw(raw: &RawValue) -> Result<Self, ValueError> {
        match raw {
            RawValue::Str(text) if text.trim().is_empty() => Ok(None),
            raw => T::from_raw(raw).map(Some),
        }
    }
    fn take_raw(raw: &mut RawValue) -> Result<Self, ValueError> {
        match raw {
            RawValue::Str(text) if text.trim().is_empty() => Ok(None),
            raw => T::take_raw(raw).map(Some),
        }
    }
    fn expected() -> Cow<'static, str> {
        T::expected()
    }
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }
    fn kind() -> ValueKind {
        T::kind()
    }
    fn when_missing() -> Option<Self> {
        Some(None)
    }
    const SECRET: bool = T::SECRET;
    fn wipe(&mut self) {
        if let Some(value) = self {
            value.wipe();
        }
    }
}

impl<T: ConfigValue> ConfigValue for Vec<T> {
    /// Comma-separated items, each trimmed; an empty text is an empty list. An empty item
    /// (`a,,b`, `a,b,`) is refused whatever the item type: it is a typo far more often than
    /// an item meant to be empty (a file's array can still hold an empty string).
    fn parse_str(text: &str) -> Result<Self, ValueError> {
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        if let Some(index) = first_empty_item(text) {
            return Err(item_error(index, &T::expected(), EMPTY));
        }
        parse_items(text.split(',').map(str::trim))
    }
    fn from_raw(raw: &RawValue) -> Result<Self, ValueError> {
        match raw {
            RawValue::Str(text) => Self::parse_str(text),
            RawValue::List(items) => parse_items(items.iter().map(String::as_str)),
        }
    }
    fn expected() -> Cow<'static, str> {
        format!("a comma-separated list of {}", plural_of(&T::expected())).into()
    }
    fn type_name() -> Cow<'static, str> {
        format!("list of {}", T::type_name()).into()
    }
    fn kind() -> ValueKind {
        ValueKind::List(Box::new(T::kind()))
    }
    /// A list of secrets is a secret: explain, errors and docs never show its items.
    const SECRET: bool = T::SECRET;
    fn wipe(&mut self) {
        self.iter_mut().for_each(ConfigValue::wipe);
    }
}

fn parse_items<'a, T: ConfigValue>(
    items: impl Iterator<Item = &'a str>,
) -> Result<Vec<T>, ValueError> {
    items
        .enumerate()
        .map(|(index, item)| {
            T::parse_str(item).map_err(|e| match e.detail {
                _ if item.trim().is_empty() => item_error(index, &e.expected, EMPTY),
                Some(detail) => item_error(index, &e.expected, &format!("is invalid: {detail}")),
                None => item_error(index, &e.expected, "is invalid"),
            })
        })
        .collect()
}

/// What is wrong with an empty item.
const EMPTY: &str = "is empty";

/// The error of a list whose item `index` (from 0) is at fault: "item 2 is empty". Never
/// quotes the item (the list may be a secret).
fn item_error(index: usize, expected: &str, fault: &str) -> ValueError {
    ValueError {
        expected: format!("a list of {}", plural_of(expected)).into(),
        detail: Some(item_detail(index, fault)),
    }
}

fn item_detail(index: usize, fault: &str) -> String {
    format!("item {} {fault}", index + 1)
}

/// The place (from 0) of the first empty item of a comma-separated text; `None` for an empty
/// text (no items) and for a text without empty items.
fn first_empty_item(text: &str) -> Option<usize> {
    if text.trim().is_empty() {
        return None;
    }
    text.split(',').position(|item| item.trim().is_empty())
}

/// "item 3 is empty" when `raw` is a comma-separated text with an empty item. It is read from
/// the commas alone, so messages may show it where they may not show the value.
pub(crate) fn empty_item_detail(raw: &RawValue) -> Option<String> {
    match raw {
        RawValue::Str(text) => first_empty_item(text).map(|index| item_detail(index, EMPTY)),
        RawValue::List(_) => None,
    }
}

/// "an integer in 0..=9" → "integers in 0..=9", "an IP address like ::1" → "IP addresses
/// like ::1": the noun before the first qualifier is made plural. Good enough for messages.
fn plural_of(expected: &str) -> String {
    let bare = expected
        .strip_prefix("an ")
        .or_else(|| expected.strip_prefix("a "))
        .unwrap_or(expected);
    if bare.starts_with("one of") {
        return format!("values that are each {bare}");
    }
    let cut = [" like ", " in ", " (", ": ", " with ", ", "]
        .iter()
        .filter_map(|qualifier| bare.find(qualifier))
        .min()
        .unwrap_or(bare.len());
    let (noun, rest) = bare.split_at(cut);
    format!("{}{rest}", plural_noun(noun))
}

/// The plural of the last word of `noun` ("IP address" → "IP addresses").
fn plural_noun(noun: &str) -> String {
    let last = noun.rsplit(' ').next().unwrap_or(noun);
    let ends = |suffix: &str| last.ends_with(suffix);
    if last.is_empty() || last.chars().all(|c| c.is_ascii_uppercase()) && last.len() > 1 {
        // "URL" → "URLs"
        return format!("{noun}s");
    }
    if noun == "text" {
        return "texts".to_owned();
    }
    if ends("s") || ends("x") || ends("z") || ends("ch") || ends("sh") {
        format!("{noun}es")
    } else if ends("y") && !["ay", "ey", "oy", "uy"].iter().any(|v| ends(v)) {
        format!("{}ies", &noun[..noun.len() - 1])
    } else {
        format!("{noun}s")
    }
}

impl<T: ConfigValue> ConfigValue for Secret<T> {
    fn parse_str(text: &str) -> Result<Self, ValueError> {
        T::parse_str(text).map(Secret::new)
    }
    fn from_raw(raw: &RawValue) -> Result<Self, ValueError> {
        T::from_raw(raw).map(Secret::new)
    }
    fn expected() -> Cow<'static, str> {
        T::expected()
    }
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }
    fn kind() -> ValueKind {
        T::kind()
    }
    const SECRET: bool = true;
}

/// Implements [`ConfigValue`] for a type through its `FromStr` impl.
///
/// ```
/// use config_runtime::ConfigValue;
/// #[derive(Debug, PartialEq)]
/// struct Region(String);
/// impl std::str::FromStr for Region {
///     type Err = String;
///     fn from_str(s: &str) -> Result<Self, String> {
///         if s.contains('-') { Ok(Region(s.into())) } else { Err("no dash".into()) }
///     }
/// }
/// config_runtime::impl_from_str!(Region, "a region like eu-west-1");
/// assert_eq!(Region::parse_str("eu-west-1").unwrap(), Region("eu-west-1".into()));
/// ```
#[macro_export]
macro_rules! impl_from_str {
    ($ty:ty) => {
        $crate::impl_from_str!($ty, ::core::concat!("a valid ", ::core::stringify!($ty)));
    };
    ($ty:ty, $expected:expr) => {
        impl $crate::ConfigValue for $ty {
            fn parse_str(text: &str) -> ::core::result::Result<Self, $crate::ValueError> {
                <$ty as ::core::str::FromStr>::from_str(text.trim())
                    .map_err(|e| $crate::ValueError::expected::<Self>().with_detail(e))
            }
            fn expected() -> $crate::__private::Cow<'static, str> {
                $crate::__private::Cow::Borrowed($expected)
            }
            fn type_name() -> $crate::__private::Cow<'static, str> {
                $crate::__private::Cow::Borrowed(::core::stringify!($ty))
            }
        }
    };
}

/// Implements [`ConfigValue`] for an enum deriving `serde::Deserialize` with unit variants.
/// Variant names follow the enum's serde renames and match case-insensitively.
///
/// ```
/// use config_runtime::ConfigValue;
/// #[derive(Debug, PartialEq, serde::Deserialize)]
/// #[serde(rename_all = "lowercase")]
/// enum Format { Json, Text }
/// config_runtime::impl_serde_enum!(Format);
/// assert_eq!(Format::parse_str("JSON").unwrap(), Format::Json);
/// assert_eq!(Format::expected(), "one of: json, text");
/// ```
#[macro_export]
macro_rules! impl_serde_enum {
    ($ty:ty) => {
        impl $crate::ConfigValue for $ty {
            fn parse_str(text: &str) -> ::core::result::Result<Self, $crate::ValueError> {
                $crate::__private::parse_serde_enum::<Self>(text)
            }
            fn expected() -> $crate::__private::Cow<'static, str> {
                $crate::__private::serde_enum_expected::<Self>()
            }
            fn type_name() -> $crate::__private::Cow<'static, str> {
                $crate::__private::Cow::Borrowed(::core::stringify!($ty))
            }
            fn kind() -> $crate::ValueKind {
                $crate::ValueKind::OneOf($crate::__private::serde_enum_variants::<Self>().to_vec())
            }
        }
    };
}

pub(crate) mod serde_enum {
    //! Support for [`impl_serde_enum!`]: parse through serde, and learn the variant names by
    //! asking the enum's `Deserialize` impl for them.

    use super::*;
    use serde::de::{self, Deserialize, IntoDeserializer, Visitor};

    /// A deserializer that only records the variant names serde passes to `deserialize_enum`.
    struct VariantNames(Option<&'static [&'static str]>);

    #[derive(Debug)]
    struct Stop;
    impl fmt::Display for Stop {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("stop")
        }
    }
    impl std::error::Error for Stop {}
    impl de::Error for Stop {
        fn custom<M: fmt::Display>(_: M) -> Self {
            Stop
        }
    }

    impl<'de> de::Deserializer<'de> for &mut VariantNames {
        type Error = Stop;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _name: &'static str,
            variants: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Stop> {
            self.0 = Some(variants);
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map struct
            identifier ignored_any
        }
    }

    /// The variant names of a serde enum, as serde spells them.
    pub fn serde_enum_variants<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
        let mut names = VariantNames(None);
        let _ = T::deserialize(&mut names);
        names.0.unwrap_or(&[])
    }

    /// "one of: a, b, c".
    pub fn serde_enum_expected<T: for<'de> Deserialize<'de>>() -> Cow<'static, str> {
        format!("one of: {}", serde_enum_variants::<T>().join(", ")).into()
    }

    /// Parses a variant name, exactly first, then ignoring ASCII case.
    pub fn parse_serde_enum<T: for<'de> Deserialize<'de> + ConfigValue>(
        text: &str,
    ) -> Result<T, ValueError> {
        let text = text.trim();
        let exact = |name: &str| {
            T::deserialize(IntoDeserializer::<de::value::Error>::into_deserializer(
                name,
            ))
            .ok()
        };
        exact(text)
            .or_else(|| {
                serde_enum_variants::<T>()
                    .iter()
                    .find(|variant| variant.eq_ignore_ascii_case(text))
                    .and_then(|variant| exact(variant))
            })
            .ok_or_else(ValueError::expected::<T>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A text takes its raw text (nothing copied); every other type parses it and leaves it,
    /// and a refused value is left as it was for the message to quote.
    #[test]
    fn texts_take_their_raw_text_and_other_types_leave_it() {
        let text = |s: &str| RawValue::Str(s.to_owned());
        let mut raw = text("hello");
        assert_eq!(String::take_raw(&mut raw).unwrap(), "hello");
        assert!(raw == text(""));
        let mut raw = text("/etc/app");
        assert_eq!(
            PathBuf::take_raw(&mut raw).unwrap(),
            PathBuf::from("/etc/app")
        );
        assert!(raw == text(""));
        let mut raw = text("eu");
        assert_eq!(
            Option::<String>::take_raw(&mut raw).unwrap().as_deref(),
            Some("eu")
        );
        let mut raw = text("  ");
        assert_eq!(Option::<String>::take_raw(&mut raw).unwrap(), None);

        let mut raw = text("8080");
        assert_eq!(u16::take_raw(&mut raw).unwrap(), 8080);
        assert!(raw == text("8080"));
        let mut raw = text("");
        assert!(PathBuf::take_raw(&mut raw).is_err());
        assert!(raw == text(""));
        let mut raw = RawValue::List(vec!["a".to_owned()]);
        assert!(String::take_raw(&mut raw).is_err());
        assert!(raw == RawValue::List(vec!["a".to_owned()]));
    }

    #[test]
    fn booleans_accept_common_spellings() {
        for yes in ["true", "TRUE", "1", "yes", "On"] {
            assert!(bool::parse_str(yes).unwrap());
        }
        for no in ["false", "0", "NO", "off"] {
            assert!(!bool::parse_str(no).unwrap());
        }
        assert!(bool::parse_str("maybe").is_err());
    }

    #[test]
    fn integers_describe_their_range() {
        let err = u16::parse_str("abc").unwrap_err();
        assert_eq!(err.expected, "an integer in 0..=65535");
        assert_eq!(u16::parse_str(" 8080 ").unwrap(), 8080);
        assert!(u8::parse_str("256").is_err());
    }

    #[test]
    fn durations_take_humantime_or_seconds() {
        assert_eq!(Duration::parse_str("30").unwrap(), Duration::from_secs(30));
        assert_eq!(
            Duration::parse_str("1h 30m").unwrap(),
            Duration::from_secs(5400)
        );
        assert!(Duration::parse_str("soon").is_err());
    }

    #[test]
    fn lists_split_on_commas_and_name_the_bad_item() {
        let v = Vec::<u8>::parse_str("1, 2,3").unwrap();
        assert_eq!(v, vec![1, 2, 3]);
        assert!(Vec::<u8>::parse_str("").unwrap().is_empty());
        let err = Vec::<u8>::parse_str("1,x").unwrap_err();
        assert_eq!(err.detail.as_deref(), Some("item 2 is invalid"));
        let err = Vec::<u8>::parse_str("1,,3").unwrap_err();
        assert_eq!(err.detail.as_deref(), Some("item 2 is empty"));
        // An empty item is refused for texts too, though an empty text would parse: a
        // trailing comma must not add an empty origin to an allow-list.
        for (text, item) in [("a,,b", 2), ("a,b,", 3), ("a, ,b", 2), (",a", 1)] {
            let err = Vec::<String>::parse_str(text).unwrap_err();
            assert_eq!(
                err.detail,
                Some(format!("item {item} is empty")),
                "{text:?}"
            );
            assert_eq!(err.expected, "a list of texts");
        }
        assert_eq!(Vec::<String>::parse_str(" a , b ").unwrap(), ["a", "b"]);
        let from_file = Vec::<u8>::from_raw(&RawValue::List(vec!["4".into()])).unwrap();
        assert_eq!(from_file, vec![4]);
        // A file's array says which item is empty on purpose.
        let texts = Vec::<String>::from_raw(&RawValue::List(vec!["a".into(), String::new()]));
        assert_eq!(texts.unwrap(), ["a", ""]);
    }

    #[test]
    fn options_treat_empty_as_unset() {
        assert_eq!(Option::<u8>::parse_str("").unwrap(), None);
        assert_eq!(Option::<u8>::parse_str("7").unwrap(), Some(7));
        assert_eq!(Option::<u8>::when_missing(), Some(None));
        const { assert!(<Option<Secret<String>> as ConfigValue>::SECRET) };
    }

    #[test]
    fn single_values_reject_lists() {
        assert!(u8::from_raw(&RawValue::List(vec!["1".into()])).is_err());
    }

    #[test]
    fn lists_of_secrets_are_secret() {
        const { assert!(<Vec<Secret<String>> as ConfigValue>::SECRET) };
        const { assert!(<Option<Vec<Secret<String>>> as ConfigValue>::SECRET) };
        const { assert!(!<Vec<String> as ConfigValue>::SECRET) };
    }

    #[test]
    fn list_messages_use_proper_plurals() {
        let expected = |e: Cow<'static, str>| e.into_owned();
        assert_eq!(
            expected(Vec::<IpAddr>::expected()),
            "a comma-separated list of IP addresses like 127.0.0.1 or ::1"
        );
        assert_eq!(
            expected(Vec::<u8>::expected()),
            "a comma-separated list of integers in 0..=255"
        );
        assert_eq!(
            expected(Vec::<SocketAddr>::expected()),
            "a comma-separated list of socket addresses like 127.0.0.1:8080"
        );
        assert_eq!(
            expected(Vec::<url::Url>::expected()),
            "a comma-separated list of URLs"
        );
        assert_eq!(
            expected(Vec::<String>::expected()),
            "a comma-separated list of texts"
        );
        assert_eq!(
            expected(Vec::<bool>::expected()),
            "a comma-separated list of booleans (true/false, 1/0, yes/no, on/off)"
        );
        assert_eq!(
            expected(Vec::<PathBuf>::expected()),
            "a comma-separated list of file system paths"
        );
    }

    #[test]
    fn urls_and_paths_are_wiped() {
        let mut url = url::Url::parse("postgres://app:hunter22@db/app").unwrap();
        url.wipe();
        assert!(!url.as_str().contains("hunter22"), "{url}");
        let mut path = PathBuf::from("/run/secrets/hunter22");
        path.wipe();
        assert_eq!(path, PathBuf::new());
    }
}
