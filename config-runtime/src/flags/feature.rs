//! One flag: on/off, its strategies, its variants and the flags it depends on.

use std::collections::HashMap;

use super::context::Context;
use super::strategy::{Scope, Strategy};
use super::variant::{Variant, Variants};
use super::wire;

#[derive(Debug, Clone)]
pub(crate) struct Feature {
    name: Box<str>,
    enabled: bool,
    strategies: Box<[Strategy]>,
    variants: Variants,
    dependencies: Box<[Dependency]>,
}

/// A parent flag this one needs, by its index in the document (`None`: not in the document,
/// so never satisfied).
#[derive(Debug, Clone)]
struct Dependency {
    parent: Option<usize>,
    expected: Expected,
}

#[derive(Debug, Clone)]
enum Expected {
    /// The parent must be on, with one of these variants when any are listed.
    Enabled(Box<[Box<str>]>),
    /// The parent must be off.
    Disabled,
}

/// Why a flag is on: which strategy matched (its variants come first), if any.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Activation<'a> {
    Strategy(&'a Strategy),
    NoStrategies,
}

impl Feature {
    pub(crate) fn compile(
        wire: &wire::Feature,
        scope: &Scope<'_>,
        by_name: &HashMap<Box<str>, usize>,
    ) -> Self {
        Feature {
            name: wire.name.as_str().into(),
            enabled: wire.enabled,
            strategies: wire
                .strategies
                .iter()
                .map(|s| Strategy::compile(s, scope))
                .collect(),
            variants: Variants::compile(&wire.variants, &wire.name, None),
            dependencies: wire
                .dependencies
                .iter()
                .map(|d| Dependency {
                    parent: by_name.get(d.feature.as_str()).copied(),
                    expected: if d.enabled.unwrap_or(true) {
                        Expected::Enabled(d.variants.iter().map(|v| v.as_str().into()).collect())
                    } else {
                        Expected::Disabled
                    },
                })
                .collect(),
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// `Some` when the flag is on for the context.
    pub(crate) fn evaluate<'a>(
        &'a self,
        ctx: &Context,
        all: &'a [Feature],
    ) -> Option<Activation<'a>> {
        if !self.enabled || !self.dependencies.iter().all(|d| d.holds(ctx, all)) {
            return None;
        }
        if self.strategies.is_empty() {
            return Some(Activation::NoStrategies);
        }
        self.strategies
            .iter()
            .find(|s| s.matches(ctx))
            .map(Activation::Strategy)
    }

    pub(crate) fn variant<'a>(&'a self, ctx: &Context, all: &'a [Feature]) -> Variant<'a> {
        let Some(activation) = self.evaluate(ctx, all) else {
            return Variant::disabled(false);
        };
        let from_strategy = match activation {
            Activation::Strategy(s) if !s.variants.is_empty() => s.variants.pick(ctx),
            _ => None,
        };
        from_strategy
            .or_else(|| self.variants.pick(ctx))
            .unwrap_or(Variant::disabled(true))
    }
}

impl Feature {
    /// The variant under a kill switch forcing the flag on: the flag's own variants by weight.
    pub(crate) fn forced_on_variant(&self, ctx: &Context) -> Variant<'_> {
        self.variants.pick(ctx).unwrap_or(Variant::disabled(true))
    }
}

impl Dependency {
    /// Unleash supports one level: a parent that has parents of its own never satisfies.
    fn holds(&self, ctx: &Context, all: &[Feature]) -> bool {
        let Some(parent) = self.parent.map(|i| &all[i]) else {
            return false;
        };
        if !parent.dependencies.is_empty() {
            return false;
        }
        match &self.expected {
            Expected::Disabled => parent.evaluate(ctx, all).is_none(),
            Expected::Enabled(variants) if variants.is_empty() => {
                parent.evaluate(ctx, all).is_some()
            }
            Expected::Enabled(variants) => {
                let picked = parent.variant(ctx, all);
                picked.feature_enabled && variants.iter().any(|v| **v == *picked.name)
            }
        }
    }
}
