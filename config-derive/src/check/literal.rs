//! Checks on literal values the macro can judge alone: a `default = ".."` text for a number
//! or `bool` field, and `range` bounds that leave no room.

use darling::error::Accumulator;
use proc_macro2::Span;
use syn::{Expr, Lit, LitStr, UnOp};

use super::error;
use crate::attr::Range;
use crate::shape::{LeafKind, Shape};

/// A string-literal default must parse as the field's type, as an environment value would.
/// Only integers, floats and `bool` are judged here; the runtime parses the rest.
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
        _ => None,
    }
}

/// `range` needs a bound, and `min` must not exceed `max`.
pub fn check_range(range: &Range, key: Span, errors: &mut Accumulator) {
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
    fn reads_negative_bounds() {
        assert_eq!(number(&syn::parse_str("-5").unwrap()), Some(-5.0));
        assert_eq!(number(&syn::parse_str("0.5").unwrap()), Some(0.5));
        assert_eq!(number(&syn::parse_str("LIMIT").unwrap()), None);
    }
}
