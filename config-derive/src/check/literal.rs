//! Checks on literal values the macro can judge alone: a `default = ".."` text for a field of
//! a built-in type (numbers, `bool`, `Duration`, `Url`, addresses, paths), and `range` bounds
//! that do not fit or leave no room.

use darling::error::Accumulator;
use proc_macro2::Span;
use syn::{Expr, Lit, LitStr, UnOp};

use super::error;
use crate::attr::Range;
use crate::shape::{LeafKind, Shape};

/// A string-literal default must parse as the field's type, as an environment value would.
/// The built-in types are judged here, as the runtime would parse them; the runtime parses
/// user types.
pub fn check_default(text: &LitStr, shape: &Shape, errors: &mut Accumulator) {
    let value = text.value();
    if !shape.is_list() {
        if let Some(problem) = parse_problem(value.trim(), shape.kind) {
            let hint = problem
                .hint
                .map(|hint| format!("; {hint}"))
                .unwrap_or_default();
            let message = format!("`default = {value:?}`: {}{hint}", problem.message);
            errors.push(error(text.span(), message));
        }
        return;
    }
    if value.trim().is_empty() {
        return;
    }
    for (position, item) in (1..).zip(value.split(',').map(str::trim)) {
        // As the runtime reads the list: an empty item is refused whatever the item type.
        let problem = match item {
            "" => Some(format!("item {position} is empty")),
            _ => parse_problem(item, shape.kind).map(|problem| problem.message),
        };
        if let Some(problem) = problem {
            let message = format!("`default = {value:?}` (a comma-separated list): {problem}");
            errors.push(error(text.span(), message));
        }
    }
}

/// A number default of a `NonZero*` field (`default = 4`) becomes a value of that type; a
/// literal `0` cannot.
pub fn check_default_expr(expr: &Expr, shape: &Shape, errors: &mut Accumulator) {
    if let LeafKind::NonZero(int) = shape.kind
        && number(expr) == Some(0.0)
    {
        let message = format!(
            "`default = 0`: a `{}` is never 0; name a non-zero number, or declare the plain \
             integer type if 0 is valid",
            int.name
        );
        errors.push(error(super::first_span(expr), message));
    }
}

/// Why a default text is not a value of the field's type.
struct Problem {
    message: String,
    /// How to write it instead, when writing it differently helps.
    hint: Option<&'static str>,
}

/// Why `text` is not a value of `kind`, if it is not.
fn parse_problem(text: &str, kind: LeafKind) -> Option<Problem> {
    let problem = |message: String, hint| Some(Problem { message, hint });
    match kind {
        LeafKind::Int(int) => match text.parse::<i128>() {
            Ok(n) if (int.min..=int.max).contains(&n) => None,
            Ok(_) => problem(
                format!(
                    "{text} is out of range for `{}` ({}..={})",
                    int.name, int.min, int.max
                ),
                None,
            ),
            Err(_) => problem(
                format!("{text:?} is not an integer (`{}`)", int.name),
                Some("write the number itself, e.g. `default = 8080`"),
            ),
        },
        LeafKind::NonZero(int) => match text.parse::<i128>() {
            Ok(0) => problem(
                format!("0 is not a value of `{}`", int.name),
                Some("name a non-zero number, or declare the plain integer type if 0 is valid"),
            ),
            Ok(_) => parse_problem(text, LeafKind::Int(int)),
            Err(_) => problem(
                format!("{text:?} is not an integer (`{}`)", int.name),
                Some("write the number itself, e.g. `default = 4`"),
            ),
        },
        LeafKind::ByteSize => parse_byte_size(text).err().and_then(|detail| {
            problem(
                format!("{text:?} is not a byte size ({detail})"),
                Some(BYTE_SIZE_HINT),
            )
        }),
        LeafKind::Float if text.parse::<f64>().is_err() => problem(
            format!("{text:?} is not a number"),
            Some("write the number itself, e.g. `default = 0.5`"),
        ),
        LeafKind::Bool => {
            let known = ["true", "false", "1", "0", "yes", "no", "on", "off"];
            let lower = text.to_ascii_lowercase();
            (!known.contains(&lower.as_str())).then(|| Problem {
                message: format!("{text:?} is not a boolean (true/false, 1/0, yes/no, on/off)"),
                hint: Some("write `default = true` or `default = false`"),
            })
        }
        LeafKind::Duration => parse_duration(text).err().and_then(|detail| {
            problem(
                format!("{text:?} is not a duration ({detail})"),
                Some("write a duration like \"30s\", \"5m\", \"1h 30m\", or whole seconds"),
            )
        }),
        LeafKind::Url => url::Url::parse(text).err().and_then(|e| {
            problem(
                format!("{text:?} is not a URL ({e})"),
                Some("write an absolute URL with its scheme, e.g. \"https://example.com/\""),
            )
        }),
        LeafKind::Address(name) => {
            use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
            let (valid, example) = match name {
                "IpAddr" => (text.parse::<IpAddr>().is_ok(), "\"127.0.0.1\" or \"::1\""),
                "Ipv4Addr" => (text.parse::<Ipv4Addr>().is_ok(), "\"127.0.0.1\""),
                "Ipv6Addr" => (text.parse::<Ipv6Addr>().is_ok(), "\"::1\""),
                "SocketAddr" => (text.parse::<SocketAddr>().is_ok(), "\"127.0.0.1:8080\""),
                "SocketAddrV4" => (text.parse::<SocketAddrV4>().is_ok(), "\"127.0.0.1:8080\""),
                _ => (text.parse::<SocketAddrV6>().is_ok(), "\"[::1]:8080\""),
            };
            (!valid).then(|| Problem {
                message: format!("{text:?} is not a valid `{name}`, e.g. {example}"),
                hint: None,
            })
        }
        LeafKind::Path if text.is_empty() => problem(
            "an empty path is not a path".to_owned(),
            Some("remove `default` and make the field an `Option<PathBuf>`, or name a path"),
        ),
        _ => None,
    }
}

/// A duration as the runtime parses it: whole seconds, or a humantime text ("1h 30m").
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(seconds));
    }
    humantime::parse_duration(text).map_err(|e| e.to_string())
}

const BYTE_SIZE_HINT: &str = "write a size like \"100 MB\", \"64 KiB\", \"1M\", or whole bytes";

/// A byte size as the runtime parses it (the `bytesize` crate, a size past `u64::MAX` refused).
pub fn parse_byte_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let size: bytesize::ByteSize = text
        .parse()
        .map_err(|_| "expected a number and a unit such as MB, MiB or M".to_owned())?;
    if size.as_u64() == u64::MAX && text.parse::<u64>() != Ok(u64::MAX) {
        return Err("larger than 16 EiB".to_owned());
    }
    Ok(size.as_u64())
}

/// `range` needs a bound, and `min` must not exceed `max`. On a `Duration` each literal
/// bound is a duration text (`min = "1s"`), on a `ByteSize` a size text (`min = "1 MB"`); on
/// a `NonZero*` integer no bound is 0.
pub fn check_range(range: &Range, key: Span, kind: LeafKind, errors: &mut Accumulator) {
    match kind {
        LeafKind::Duration => {
            check_text_range(range, key, &DURATION_BOUNDS, errors);
            return;
        }
        LeafKind::ByteSize => {
            check_text_range(range, key, &BYTE_SIZE_BOUNDS, errors);
            return;
        }
        LeafKind::NonZero(int) => check_non_zero_bounds(range, int.name, errors),
        _ => {}
    }
    match (&range.min, &range.max) {
        (None, None) => errors.push(error(
            key,
            "`range` needs `min`, `max` or both: `range(min = 1, max = 65535)`",
        )),
        (Some(min), Some(max)) => {
            if let (Some(low), Some(high)) = (number(min), number(max))
                && low > high
            {
                errors.push(error(
                    super::first_span(min),
                    format!(
                        "`range` has `min` greater than `max` ({} > {}): no value can pass; swap them",
                        crate::tokens::text(min),
                        crate::tokens::text(max)
                    ),
                ));
            }
        }
        _ => {}
    }
}

/// How the bounds of a type whose bounds are texts are read and shown.
struct TextBounds<T> {
    /// The type, for messages: "a duration".
    what: &'static str,
    /// How to write one, for messages.
    write: &'static str,
    /// The message for a bound that is a literal but not a text (`{name}`: `min` or `max`).
    not_text: &'static str,
    /// Both bounds, for messages.
    both: &'static str,
    parse: fn(&str) -> Result<T, String>,
}

const DURATION_BOUNDS: TextBounds<std::time::Duration> = TextBounds {
    what: "a duration",
    write: "write a duration like \"30s\", \"5m\" or \"1h 30m\"",
    not_text: "a `range` bound on a `Duration` is a duration text: `{name} = \"1s\"`, `{name} = \"1h\"`",
    both: "range(min = \"1s\", max = \"1h\")",
    parse: parse_duration,
};

const BYTE_SIZE_BOUNDS: TextBounds<u64> = TextBounds {
    what: "a byte size",
    write: BYTE_SIZE_HINT,
    not_text: "a `range` bound on a `ByteSize` is a size text: `{name} = \"1 MB\"`, `{name} = \"1 GiB\"`",
    both: "range(min = \"1 MB\", max = \"1 GiB\")",
    parse: parse_byte_size,
};

fn check_text_range<T: PartialOrd>(
    range: &Range,
    key: Span,
    bounds: &TextBounds<T>,
    errors: &mut Accumulator,
) {
    let what = bounds.what;
    // Each bound with its text as written, which is how a message shows it.
    let mut bound = |expr: &Option<Expr>, name: &str| -> Option<(T, String)> {
        let expr = expr.as_ref()?;
        match strip(expr) {
            Expr::Lit(lit) => match &lit.lit {
                Lit::Str(text) => match (bounds.parse)(&text.value()) {
                    Ok(value) => Some((value, text.value().trim().to_owned())),
                    Err(detail) => {
                        errors.push(error(
                            text.span(),
                            format!(
                                "`{name} = {:?}` is not {what} ({detail}); {}",
                                text.value(),
                                bounds.write
                            ),
                        ));
                        None
                    }
                },
                other => {
                    errors.push(error(other.span(), bounds.not_text.replace("{name}", name)));
                    None
                }
            },
            // Any other expression (`Duration::from_secs(1)`) is checked by the compiler.
            _ => None,
        }
    };
    let min = bound(&range.min, "min");
    let max = bound(&range.max, "max");
    if range.min.is_none() && range.max.is_none() {
        errors.push(error(
            key,
            format!("`range` needs `min`, `max` or both: `{}`", bounds.both),
        ));
    }
    if let (Some((low, low_text)), Some((high, high_text)), Some(min)) = (min, max, &range.min)
        && low > high
    {
        errors.push(error(
            super::first_span(min),
            format!(
                "`range` has `min` greater than `max` ({low_text} > {high_text}): no value can \
                 pass; swap them"
            ),
        ));
    }
}

/// A literal `0` bound on a `NonZero*` field is not a value of the type.
fn check_non_zero_bounds(range: &Range, type_name: &str, errors: &mut Accumulator) {
    for (bound, name) in [(&range.min, "min"), (&range.max, "max")] {
        if let Some(expr) = bound
            && number(expr) == Some(0.0)
        {
            errors.push(error(
                super::first_span(expr),
                format!(
                    "`{name} = 0`: a `{type_name}` is never 0; bound it from 1 (`{name} = 1`), \
                     or drop the bound"
                ),
            ));
        }
    }
}

fn strip(expr: &Expr) -> &Expr {
    match expr {
        Expr::Group(group) => strip(&group.expr),
        Expr::Paren(paren) => strip(&paren.expr),
        other => other,
    }
}

/// The value of a numeric literal, possibly negated, if the bound is one.
fn number(expr: &Expr) -> Option<f64> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Int(int) => int.base10_parse::<i128>().ok().map(|n| n as f64),
            Lit::Float(float) => float.base10_parse::<f64>().ok(),
            _ => None,
        },
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => number(&unary.expr).map(|n| -n),
        Expr::Group(group) => number(&group.expr),
        Expr::Paren(paren) => number(&paren.expr),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Shape;

    fn kind(ty: &str) -> LeafKind {
        Shape::of(&syn::parse_str(ty).unwrap()).kind
    }

    #[test]
    fn judges_number_and_bool_texts() {
        assert!(parse_problem("8080", kind("u16")).is_none());
        assert!(parse_problem("abc", kind("u16")).is_some());
        assert!(
            parse_problem("70000", kind("u16"))
                .unwrap()
                .message
                .contains("out of range")
        );
        assert!(parse_problem("-1", kind("i8")).is_none());
        assert!(parse_problem("0.5", kind("f64")).is_none());
        assert!(parse_problem("Yes", kind("bool")).is_none());
        assert!(parse_problem("maybe", kind("bool")).is_some());
        assert!(parse_problem("anything", kind("String")).is_none());
    }

    #[test]
    fn judges_duration_url_address_and_path_texts() {
        assert!(parse_problem("30s", kind("std::time::Duration")).is_none());
        assert!(parse_problem("1h 30m", kind("Duration")).is_none());
        assert!(parse_problem("45", kind("Duration")).is_none());
        assert!(parse_problem("30x", kind("Duration")).is_some());
        assert!(parse_problem("https://example.com", kind("url::Url")).is_none());
        assert!(parse_problem("not a url", kind("url::Url")).is_some());
        assert!(parse_problem("127.0.0.1", kind("IpAddr")).is_none());
        assert!(parse_problem("localhost", kind("IpAddr")).is_some());
        assert!(parse_problem("0.0.0.0:80", kind("SocketAddr")).is_none());
        assert!(parse_problem("0.0.0.0", kind("SocketAddr")).is_some());
        assert!(parse_problem("", kind("PathBuf")).is_some());
        assert!(parse_problem("/etc", kind("PathBuf")).is_none());
    }

    #[test]
    fn judges_byte_size_and_non_zero_texts() {
        assert!(parse_problem("100 MB", kind("ByteSize")).is_none());
        assert!(parse_problem("1M", kind("config_runtime::ByteSize")).is_none());
        assert!(parse_problem("512", kind("ByteSize")).is_none());
        assert!(parse_problem("lots", kind("ByteSize")).is_some());
        assert!(parse_problem("20 EiB", kind("ByteSize")).is_some());
        assert_eq!(parse_byte_size("1MiB"), Ok(1 << 20));
        assert!(parse_problem("4", kind("NonZeroUsize")).is_none());
        let zero = parse_problem("0", kind("std::num::NonZeroU16")).unwrap();
        assert_eq!(zero.message, "0 is not a value of `NonZeroU16`");
        assert!(parse_problem("256", kind("NonZeroU8")).is_some());
        assert!(parse_problem("-1", kind("NonZeroI8")).is_none());
    }

    #[test]
    fn reads_negative_bounds() {
        assert_eq!(number(&syn::parse_str("-5").unwrap()), Some(-5.0));
        assert_eq!(number(&syn::parse_str("0.5").unwrap()), Some(0.5));
        assert_eq!(number(&syn::parse_str("LIMIT").unwrap()), None);
    }
}
