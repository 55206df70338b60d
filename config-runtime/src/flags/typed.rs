//! Typed flags: a struct declares the flags an application reads (`#[derive(Flags)]`), so a
//! misspelt flag is a compile error and a flag missing from the document is a warning and its
//! declared default.

use serde::de::DeserializeOwned;
use std::marker::PhantomData;

use super::Flags;
use super::context::Context;
use super::variant::{PayloadKind, VariantPayload};
use crate::Warning;

/// A struct of declared flags; implemented by `#[derive(Flags)]`.
pub trait FlagSet: Sized {
    /// The struct with every field bound to its declaration.
    fn declare() -> Self;

    /// Every declared flag, in field order: names, doc comments, defaults.
    fn declared() -> &'static [FlagInfo];

    /// A [`Warning::MissingFlag`] for each declared flag the document lacks.
    fn missing(flags: &Flags) -> Vec<Warning> {
        Self::declared()
            .iter()
            .filter(|info| !flags.contains(info.name))
            .map(|info| Warning::MissingFlag {
                name: info.name.to_owned(),
                default: info.default,
            })
            .collect()
    }
}

/// One declared flag, as the derive writes it from the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagInfo {
    /// The flag's name in the document (`name = ".."`, else the field name in kebab-case).
    pub name: &'static str,
    /// The field's doc comment.
    pub doc: &'static str,
    /// Whether the flag is on when the document lacks it (`default = true`; off otherwise).
    pub default: bool,
}

/// A field type of a `#[derive(Flags)]` struct: [`Flag`] or [`VariantFlag`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a field of a `#[derive(Flags)]` struct",
    label = "a flag field is a `Flag` or a `VariantFlag<T>`"
)]
pub trait FlagField {
    /// The field bound to its declaration.
    fn declare(info: &'static FlagInfo) -> Self;
}

/// An on/off flag.
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    info: &'static FlagInfo,
}

impl FlagField for Flag {
    fn declare(info: &'static FlagInfo) -> Self {
        Flag { info }
    }
}

impl Flag {
    /// Whether the flag is on for the context; its default when the document lacks it.
    pub fn is_enabled(&self, flags: &Flags, ctx: &Context) -> bool {
        flags.is_enabled_or(self.info.name, ctx, self.info.default)
    }

    /// The declaration.
    pub fn info(&self) -> &'static FlagInfo {
        self.info
    }
}

/// A flag with variants whose payloads deserialise into `T`.
#[derive(Debug)]
pub struct VariantFlag<T> {
    info: &'static FlagInfo,
    payload: PhantomData<fn() -> T>,
}

impl<T> Clone for VariantFlag<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for VariantFlag<T> {}

impl<T> FlagField for VariantFlag<T> {
    fn declare(info: &'static FlagInfo) -> Self {
        VariantFlag {
            info,
            payload: PhantomData,
        }
    }
}

/// A variant with its payload deserialised.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedVariant<'a, T> {
    /// The variant's name; `disabled` when the flag is off or has no variants.
    pub name: &'a str,
    /// Whether a variant was picked.
    pub enabled: bool,
    /// Whether the flag itself is on (its default when the document lacks it).
    pub feature_enabled: bool,
    /// The payload as `T`; `None` without a payload or when it does not fit `T` (logged).
    pub payload: Option<T>,
}

impl<T: DeserializeOwned> VariantFlag<T> {
    /// The variant the context gets, its payload read as `T` (JSON payloads as JSON, other
    /// kinds as a string).
    pub fn variant<'a>(&self, flags: &'a Flags, ctx: &Context) -> TypedVariant<'a, T> {
        if !flags.contains(self.info.name) {
            flags.count_default_variant(self.info.name, self.info.default);
            return TypedVariant {
                name: "disabled",
                enabled: false,
                feature_enabled: self.info.default,
                payload: None,
            };
        }
        let variant = flags.variant(self.info.name, ctx);
        TypedVariant {
            name: variant.name,
            enabled: variant.enabled,
            feature_enabled: variant.feature_enabled,
            payload: variant.payload.and_then(|p| self.read(p)),
        }
    }

    fn read(&self, payload: &VariantPayload) -> Option<T> {
        let parsed = match payload.kind {
            PayloadKind::Json | PayloadKind::Number => serde_json::from_str(&payload.value),
            _ => serde_json::from_value(serde_json::Value::String(payload.value.clone())),
        };
        parsed
            .map_err(|e| {
                tracing::warn!(
                    flag = self.info.name,
                    "variant payload does not fit its type: {e}"
                );
            })
            .ok()
    }

    /// The declaration.
    pub fn info(&self) -> &'static FlagInfo {
        self.info
    }
}
