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
    for item in value.split(',').map(str::trim) {
        if let Some(problem) = parse_problem(item, shape.kind) {
            let message = format!(
                "`default = {value:?}` (a comma-separated list): {}",
                problem.message
            );
            errors.push(error(text.span(), message));
        }
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

/// `range` needs a bound, and `min` must not exceed `max`. On a `Duration` each literal
/// bound is a duration text (`min = "1s"`).
pub fn check_range(range: &Range, key: Span, kind: LeafKind, errors: &mut Accumulator) {
    if kind == LeafKind::Duration {
        check_duration_range(range, key, errors);
        return;
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

fn check_duration_range(range: &Range, key: Span, errors: &mut Accumulator) {
    let mut bound = |expr: &Option<Expr>, name: &str| -> Option<std::time::Duration> {
        let expr = expr.as_ref()?;
        match strip(expr) {
            Expr::Lit(lit) => match &lit.lit {
                Lit::Str(text) => match parse_duration(&text.value()) {
                    Ok(duration) => Some(duration),
                    Err(detail) => {
                        errors.push(error(
                            text.span(),
                            format!(
                                "`{name} = {:?}` is not a duration ({detail}); write a duration like \"30s\", \"5m\" or \"1h 30m\"",
                                text.value()
                            ),
                        ));
                        None
                    }
                },
                other => {
                    errors.push(error(
                        other.span(),
                        format!(
                            "a `range` bound on a `Duration` is a duration text: `{name} = \"1s\"`, `{name} = \"1h\"`"
                        ),
                    ));
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
            "`range` needs `min`, `max` or both: `range(min = \"1s\", max = \"1h\")`",
        ));
    }
    if let (Some(low), Some(high), Some(min)) = (min, max, &range.min)
        && low > high
    {
        errors.push(error(
            super::first_span(min),
            format!(
                "`range` has `min` greater than `max` ({} > {}): no value can pass; swap them",
                humantime::format_duration(low),
                humantime::format_duration(high)
            ),
        ));
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
    fn reads_negative_bounds() {
        assert_eq!(number(&syn::parse_str("-5").unwrap()), Some(-5.0));
        assert_eq!(number(&syn::parse_str("0.5").unwrap()), Some(0.5));
        assert_eq!(number(&syn::parse_str("LIMIT").unwrap()), None);
    }
}
