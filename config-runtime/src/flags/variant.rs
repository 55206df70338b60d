//! Variants: which of a flag's named alternatives (with an optional payload) a context gets.

use serde::{Deserialize, Serialize};

use super::context::{Context, ContextField};
use super::hash::{VARIANT_SEED, bucket, random_bucket};
use super::stickiness::{Identity, Stickiness};
use super::wire;

/// The variant a context gets: what [`Flags::variant`](super::Flags::variant) returns,
/// borrowed from the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant<'a> {
    /// The variant's name; `disabled` when the flag is off or has no variants.
    pub name: &'a str,
    /// Whether a variant was picked (false for `disabled`).
    pub enabled: bool,
    /// Whether the flag itself is on for this context.
    pub feature_enabled: bool,
    /// The variant's payload, if it has one.
    pub payload: Option<&'a VariantPayload>,
}

impl Variant<'_> {
    /// The variant of a flag that is off, unknown, or has no variants.
    pub(crate) const fn disabled(feature_enabled: bool) -> Variant<'static> {
        Variant {
            name: "disabled",
            enabled: false,
            feature_enabled,
            payload: None,
        }
    }
}

/// A variant's payload: its kind and its text (JSON, CSV and numbers stay text; typed flags
/// deserialise them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantPayload {
    /// How `value` is written.
    #[serde(rename = "type")]
    pub kind: PayloadKind,
    /// The payload as written in the document.
    pub value: String,
}

/// How a payload's text is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum PayloadKind {
    /// Plain text.
    String,
    /// A JSON document.
    Json,
    /// Comma-separated values.
    Csv,
    /// A number.
    Number,
    /// A kind this version does not know.
    #[serde(other)]
    Other,
}

/// One declared variant.
#[derive(Debug, Clone)]
struct Definition {
    name: Box<str>,
    /// Its counter among the flag's variant names (usage metrics).
    slot: usize,
    weight: u32,
    payload: Option<VariantPayload>,
    overrides: Box<[Override]>,
}

/// Contexts whose field holds one of the values get the variant, whatever their bucket.
#[derive(Debug, Clone)]
struct Override {
    field: ContextField,
    values: Box<[Box<str>]>,
}

/// A flag's (or a strategy's) variants, with what their pick is bucketed by.
#[derive(Debug, Clone)]
pub(crate) struct Variants {
    definitions: Box<[Definition]>,
    total_weight: u32,
    stickiness: Stickiness,
    group: Box<str>,
}

impl Variants {
    /// `fallback_stickiness` applies when the first variant names none (a strategy's own).
    pub(crate) fn compile(
        wire: &[wire::VariantDef],
        group: &str,
        fallback_stickiness: Option<&str>,
    ) -> Self {
        let definitions: Box<[Definition]> = wire
            .iter()
            .map(|v| Definition {
                name: v.name.as_str().into(),
                slot: 0,
                weight: v.weight,
                payload: v.payload.clone(),
                overrides: v
                    .overrides
                    .iter()
                    .map(|o| {
                        let values = o.values.iter().map(|s| s.as_str().into()).collect();
                        Override {
                            field: ContextField::parse(&o.context_name),
                            values,
                        }
                    })
                    .collect(),
            })
            .collect();
        let stickiness = wire
            .first()
            .and_then(|v| v.stickiness.as_deref())
            .or(fallback_stickiness);
        Variants {
            total_weight: definitions.iter().map(|d| d.weight).sum(),
            definitions,
            stickiness: Stickiness::parse(stickiness),
            group: group.into(),
        }
    }

    /// The variants' names, in document order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.definitions.iter().map(|d| &*d.name)
    }

    /// Numbers each variant by its name's place in `names` (the flag's counter layout).
    pub(crate) fn assign_slots(&mut self, names: &[Box<str>]) {
        for d in &mut self.definitions {
            d.slot = names.iter().position(|n| *n == d.name).unwrap_or(0);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.total_weight == 0
    }

    /// The variant this context gets: an override naming its value, else its weighted bucket;
    /// with its counter slot.
    pub(crate) fn pick<'a>(&'a self, ctx: &Context) -> Option<(Variant<'a>, usize)> {
        if self.is_empty() {
            return None;
        }
        let found = self
            .definitions
            .iter()
            .find(|d| {
                d.overrides.iter().any(|o| {
                    ctx.get(&o.field)
                        .is_some_and(|v| o.values.iter().any(|x| &**x == v))
                })
            })
            .or_else(|| {
                let target = match self.stickiness.for_variant(ctx) {
                    Identity::Value(id) => bucket(&self.group, id, self.total_weight, VARIANT_SEED),
                    Identity::Random | Identity::Missing => random_bucket(self.total_weight),
                };
                let mut reached = 0;
                self.definitions.iter().find(|d| {
                    reached += d.weight;
                    d.weight > 0 && target <= reached
                })
            })?;
        let variant = Variant {
            name: &found.name,
            enabled: true,
            feature_enabled: true,
            payload: found.payload.as_ref(),
        };
        Some((variant, found.slot))
    }
}
