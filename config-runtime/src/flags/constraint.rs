//! Constraints: one context field compared with the document's values by an operator. The
//! document's side is parsed once, when the document is read; the context's side on each check.

use regex::Regex;
use std::cmp::Ordering;
use std::net::IpAddr;

use super::context::{Context, ContextField};
use super::values::{IpNet, SemVer, now_millis, parse_instant};
use super::wire;

/// One compiled constraint.
#[derive(Debug, Clone)]
pub(crate) struct Constraint {
    field: ContextField,
    operator: Operator,
    inverted: bool,
}

/// How an ordered operator compares the context's value with the document's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Equal,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

impl Comparison {
    fn holds(self, order: Ordering) -> bool {
        match self {
            Comparison::Equal => order == Ordering::Equal,
            Comparison::Greater => order == Ordering::Greater,
            Comparison::GreaterOrEqual => order != Ordering::Less,
            Comparison::Less => order == Ordering::Less,
            Comparison::LessOrEqual => order != Ordering::Greater,
        }
    }
}

/// Where a string operator looks for its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    Anywhere,
    Start,
    End,
}

/// Whether string operators fold case (values are folded when the document is read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    Sensitive,
    Insensitive,
}

#[derive(Debug, Clone)]
enum Operator {
    In(Box<[Box<str>]>),
    NotIn(Box<[Box<str>]>),
    Text {
        values: Box<[Box<str>]>,
        position: Position,
        case: Case,
    },
    Number(Comparison, f64),
    Date(Comparison, i64),
    SemVer(Comparison, [u64; 3], Box<str>),
    Regex(Regex),
    InCidr(Box<[IpNet]>),
    /// An unknown operator or a value that does not parse: never matches, inverted or not.
    Invalid,
}

impl Constraint {
    pub(crate) fn compile(wire: &wire::Constraint) -> Self {
        let values: Vec<String> = wire.values.iter().filter_map(wire::text).collect();
        let single = wire
            .value
            .as_ref()
            .and_then(wire::text)
            .or_else(|| values.first().cloned());
        let list = || values.iter().map(|v| v.as_str().into()).collect();
        let case = if wire.case_insensitive {
            Case::Insensitive
        } else {
            Case::Sensitive
        };
        let text = |position| Operator::Text {
            values: values
                .iter()
                .map(|v| match case {
                    Case::Sensitive => v.as_str().into(),
                    Case::Insensitive => v.to_lowercase().into(),
                })
                .collect(),
            position,
            case,
        };
        let ordered = |parse: &dyn Fn(&str) -> Option<Operator>| {
            single
                .as_deref()
                .and_then(parse)
                .unwrap_or(Operator::Invalid)
        };
        use Comparison::*;
        let operator = match wire.operator.as_str() {
            "IN" => Operator::In(list()),
            "NOT_IN" => Operator::NotIn(list()),
            "STR_CONTAINS" => text(Position::Anywhere),
            "STR_STARTS_WITH" => text(Position::Start),
            "STR_ENDS_WITH" => text(Position::End),
            op @ ("NUM_EQ" | "NUM_GT" | "NUM_GTE" | "NUM_LT" | "NUM_LTE") => {
                let cmp = comparison(&op[4..]);
                ordered(&|v| parse_number(v).map(|n| Operator::Number(cmp, n)))
            }
            "DATE_AFTER" => ordered(&|v| parse_instant(v).map(|t| Operator::Date(Greater, t))),
            "DATE_BEFORE" => ordered(&|v| parse_instant(v).map(|t| Operator::Date(Less, t))),
            op @ ("SEMVER_EQ" | "SEMVER_GT" | "SEMVER_GTE" | "SEMVER_LT" | "SEMVER_LTE") => {
                let cmp = comparison(&op[7..]);
                ordered(&|v| {
                    SemVer::parse(v).map(|s| {
                        let (core, pre) = s.to_owned_parts();
                        Operator::SemVer(cmp, core, pre)
                    })
                })
            }
            "REGEX" => single
                .as_deref()
                .and_then(|pattern| {
                    regex::RegexBuilder::new(pattern)
                        .case_insensitive(case == Case::Insensitive)
                        .build()
                        .ok()
                })
                .map_or(Operator::Invalid, Operator::Regex),
            "IN_CIDR" => {
                let nets: Box<[IpNet]> = values.iter().filter_map(|v| IpNet::parse(v)).collect();
                Operator::InCidr(nets)
            }
            _ => Operator::Invalid,
        };
        Constraint {
            field: ContextField::parse(&wire.context_name),
            operator,
            inverted: wire.inverted,
        }
    }

    /// Whether the context satisfies this constraint.
    pub(crate) fn matches(&self, ctx: &Context) -> bool {
        if matches!(self.operator, Operator::Invalid) {
            return false;
        }
        let value = ctx.get(&self.field);
        self.operator.holds(value) != self.inverted
    }
}

fn comparison(suffix: &str) -> Comparison {
    match suffix {
        "GT" => Comparison::Greater,
        "GTE" => Comparison::GreaterOrEqual,
        "LT" => Comparison::Less,
        "LTE" => Comparison::LessOrEqual,
        _ => Comparison::Equal,
    }
}

fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

impl Operator {
    fn holds(&self, value: Option<&str>) -> bool {
        match self {
            Operator::NotIn(values) => value.is_none_or(|v| !values.iter().any(|x| &**x == v)),
            Operator::Date(cmp, at) => {
                let now = match value {
                    Some(text) => match parse_instant(text) {
                        Some(t) => t,
                        None => return false,
                    },
                    None => now_millis(),
                };
                cmp.holds(now.cmp(at))
            }
            _ => {
                let Some(value) = value else { return false };
                self.holds_for(value)
            }
        }
    }

    fn holds_for(&self, value: &str) -> bool {
        match self {
            Operator::In(values) => values.iter().any(|x| &**x == value),
            Operator::Text {
                values,
                position,
                case,
            } => values
                .iter()
                .any(|needle| text_matches(value, needle, *position, *case)),
            Operator::Number(cmp, target) => parse_number(value)
                .and_then(|n| n.partial_cmp(target))
                .is_some_and(|order| cmp.holds(order)),
            Operator::SemVer(cmp, core, pre) => SemVer::parse(value)
                .is_some_and(|v| cmp.holds(v.cmp(&SemVer::from_parts(*core, pre)))),
            Operator::Regex(regex) => regex.is_match(value),
            Operator::InCidr(nets) => value
                .trim()
                .parse::<IpAddr>()
                .is_ok_and(|ip| nets.iter().any(|net| net.contains(ip))),
            Operator::NotIn(_) | Operator::Date(..) | Operator::Invalid => false,
        }
    }
}

/// A string operator on one value; `needle` is already lower case when `case` folds.
fn text_matches(haystack: &str, needle: &str, position: Position, case: Case) -> bool {
    match case {
        Case::Sensitive => match position {
            Position::Anywhere => haystack.contains(needle),
            Position::Start => haystack.starts_with(needle),
            Position::End => haystack.ends_with(needle),
        },
        Case::Insensitive => {
            let folded = || haystack.chars().flat_map(char::to_lowercase);
            match position {
                Position::Start => starts_with(folded(), needle.chars()),
                Position::End => starts_with(folded().rev(), needle.chars().rev()),
                Position::Anywhere => {
                    let mut rest = folded();
                    loop {
                        if starts_with(rest.clone(), needle.chars()) {
                            return true;
                        }
                        if rest.next().is_none() {
                            return false;
                        }
                    }
                }
            }
        }
    }
}

fn starts_with(
    mut haystack: impl Iterator<Item = char>,
    needle: impl Iterator<Item = char>,
) -> bool {
    needle.into_iter().all(|c| haystack.next() == Some(c))
}
