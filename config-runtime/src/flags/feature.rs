//! One flag: on/off, its strategies, its variants and the flags it depends on.

use std::collections::HashMap;

use super::context::Context;
use super::kill_switch::{Forced, KillSwitch};
use super::strategy::{self, Strategy};
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

/// What evaluating one flag may look at: the other flags (dependencies) and the kill switch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope<'a> {
    pub features: &'a [Feature],
    pub kill_switch: &'a KillSwitch,
}

impl Scope<'_> {
    fn forced(&self, name: &str) -> Option<Forced> {
        if self.kill_switch.is_empty() {
            return None;
        }
        self.kill_switch.get(name)
    }
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
        scope: &strategy::Scope<'_>,
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

    /// Whether the flag is on for the context, the kill switch first.
    pub(crate) fn is_on(&self, ctx: &Context, scope: Scope<'_>) -> bool {
        match scope.forced(&self.name) {
            Some(forced) => forced == Forced::On,
            None => self.evaluate(ctx, scope).is_some(),
        }
    }

    /// `Some` when the document's rules turn the flag on for the context.
    fn evaluate<'a>(&'a self, ctx: &Context, scope: Scope<'a>) -> Option<Activation<'a>> {
        if !self.enabled || !self.dependencies.iter().all(|d| d.holds(ctx, scope)) {
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

    /// The variant for the context, the kill switch first.
    pub(crate) fn variant<'a>(&'a self, ctx: &Context, scope: Scope<'a>) -> Variant<'a> {
        match scope.forced(&self.name) {
            Some(Forced::Off) => return Variant::disabled(false),
            Some(Forced::On) => {
                return self.variants.pick(ctx).unwrap_or(Variant::disabled(true));
            }
            None => {}
        }
        let Some(activation) = self.evaluate(ctx, scope) else {
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

impl Dependency {
    /// Unleash supports one level: a parent that has parents of its own never satisfies.
    fn holds(&self, ctx: &Context, scope: Scope<'_>) -> bool {
        let Some(parent) = self.parent.map(|i| &scope.features[i]) else {
            return false;
        };
        if !parent.dependencies.is_empty() {
            return false;
        }
        match &self.expected {
            Expected::Disabled => !parent.is_on(ctx, scope),
            Expected::Enabled(variants) if variants.is_empty() => parent.is_on(ctx, scope),
            Expected::Enabled(variants) => {
                let picked = parent.variant(ctx, scope);
                picked.feature_enabled && variants.iter().any(|v| **v == *picked.name)
            }
        }
    }
}
