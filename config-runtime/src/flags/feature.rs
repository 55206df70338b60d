//! One flag: on/off, its strategies, its variants and the flags it depends on.

use std::collections::HashMap;

use super::context::Context;
use super::kill_switch::{Forced, KillSwitch};
use super::strategy::{self, Strategy};
use super::usage;
use super::variant::{Variant, Variants};
use super::wire;

#[derive(Debug, Clone)]
pub(crate) struct Feature {
    name: Box<str>,
    enabled: bool,
    strategies: Box<[Strategy]>,
    variants: Variants,
    dependencies: Box<[Dependency]>,
    /// The names its usage counters lay out: `disabled`, then every variant name.
    variant_names: Box<[Box<str>]>,
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
        let mut strategies: Box<[Strategy]> = wire
            .strategies
            .iter()
            .map(|s| Strategy::compile(s, scope))
            .collect();
        let mut variants = Variants::compile(&wire.variants, &wire.name, None);
        let variant_names = usage::variant_names(
            variants
                .names()
                .chain(strategies.iter().flat_map(|s| s.variants.names())),
        );
        variants.assign_slots(&variant_names);
        for s in &mut strategies {
            s.variants.assign_slots(&variant_names);
        }
        Feature {
            name: wire.name.as_str().into(),
            enabled: wire.enabled,
            strategies,
            variants,
            variant_names: variant_names.into(),
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

    /// `disabled`, then the names of its variants and its strategies' variants.
    pub(crate) fn variant_names(&self) -> &[Box<str>] {
        &self.variant_names
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
        self.pick(ctx, scope).0
    }

    /// The variant for the context and its counter slot (0: `disabled`).
    pub(crate) fn pick<'a>(&'a self, ctx: &Context, scope: Scope<'a>) -> (Variant<'a>, usize) {
        match scope.forced(&self.name) {
            Some(Forced::Off) => return (Variant::disabled(false), 0),
            Some(Forced::On) => {
                return self
                    .variants
                    .pick(ctx)
                    .unwrap_or((Variant::disabled(true), 0));
            }
            None => {}
        }
        let Some(activation) = self.evaluate(ctx, scope) else {
            return (Variant::disabled(false), 0);
        };
        let from_strategy = match activation {
            Activation::Strategy(s) if !s.variants.is_empty() => s.variants.pick(ctx),
            _ => None,
        };
        from_strategy
            .or_else(|| self.variants.pick(ctx))
            .unwrap_or((Variant::disabled(true), 0))
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
