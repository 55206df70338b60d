//! Feature flags in Unleash's format, evaluated in process as Unleash's SDKs evaluate them.
//!
//! ```
//! use config_runtime::flags::{Context, Flags};
//!
//! let flags = Flags::from_json(r#"{"version": 2, "features": [
//!     {"name": "new-checkout", "enabled": true, "strategies": [
//!         {"name": "flexibleRollout",
//!          "parameters": {"rollout": "100", "stickiness": "userId", "groupId": "new-checkout"}}]}
//! ]}"#).unwrap();
//! let ctx = Context::new().user_id("42");
//! assert!(flags.is_enabled("new-checkout", &ctx));
//! assert!(!flags.is_enabled("new-checkout", &Context::new()), "no user id, no bucket");
//! assert!(!flags.is_enabled("unknown", &ctx));
//! assert_eq!(flags.variant("unknown", &ctx).name, "disabled");
//! ```
//!
//! The document is what Unleash's `GET /api/client/features` answers (`features`, `segments`),
//! as JSON, YAML or TOML. Reading it parses every constraint value, network, version and
//! date once; evaluating a flag then allocates nothing.

mod constraint;
mod context;
mod feature;
mod hash;
mod kill_switch;
#[cfg(feature = "live")]
mod live;
mod stickiness;
mod strategy;
mod typed;
mod usage;
mod values;
mod variant;
mod wire;

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

/// Derives [`FlagSet`] for a struct whose fields ([`Flag`], [`VariantFlag<T>`]) are the flags
/// the application reads: code names a flag by its field, so a misspelling does not compile.
///
/// Field attributes: `name = ".."` (the flag's name in the document; the field name in
/// kebab-case otherwise), `default = true` (on when the document lacks the flag; off
/// otherwise). Doc comments become each flag's [`FlagInfo::doc`]. Container attribute:
/// `crate = ".."` when `config_runtime` is renamed.
///
/// ```
/// use config_runtime::flags::{Context, Flag, FlagSet, Flags, VariantFlag};
///
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Pricing { discount: u8 }
///
/// /// Flags of the checkout service.
/// #[derive(Flags)]
/// struct CheckoutFlags {
///     /// The new checkout flow.
///     new_checkout: Flag,
///     /// Stay up when the flag server forgets this flag.
///     #[flag(default = true)]
///     search: Flag,
///     /// The price experiment.
///     #[flag(name = "pricing.v2")]
///     pricing: VariantFlag<Pricing>,
/// }
///
/// let doc = Flags::from_json(r#"{"features": [
///     {"name": "new-checkout", "enabled": true, "strategies": [{"name": "default"}]},
///     {"name": "pricing.v2", "enabled": true, "strategies": [{"name": "default"}],
///      "variants": [{"name": "cheap", "weight": 1000,
///                    "payload": {"type": "json", "value": "{\"discount\": 20}"}}]}
/// ]}"#).unwrap();
/// let flags = CheckoutFlags::declare();
/// let ctx = Context::new().user_id("7");
/// assert!(flags.new_checkout.is_enabled(&doc, &ctx));
/// assert!(flags.search.is_enabled(&doc, &ctx), "missing: its default");
/// assert_eq!(flags.pricing.variant(&doc, &ctx).payload, Some(Pricing { discount: 20 }));
/// assert_eq!(CheckoutFlags::missing(&doc).len(), 1);
/// ```
#[cfg(feature = "derive")]
pub use config_derive::Flags;
pub use context::Context;
pub use kill_switch::{Forced, KillSwitch};
#[cfg(feature = "live")]
pub use live::{Fetched, FlagFile, FlagSource, LiveFlags, LiveFlagsOptions};
pub use strategy::STRATEGIES;
pub use typed::{Flag, FlagField, FlagInfo, FlagSet, TypedVariant, VariantFlag};
pub use usage::{FlagMetrics, MetricsBucket, ToggleCounts};
#[cfg(feature = "live")]
pub use usage::{MAX_BACKOFF, MetricsSink, SendError};
pub use variant::{PayloadKind, Variant, VariantPayload};

use feature::Feature;

use crate::format::{Format, strip_bom};

/// A flag document, read and checked: answer `is_enabled` and `variant` for any context.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    features: Box<[Feature]>,
    by_name: HashMap<Box<str>, usize>,
    kill_switch: std::sync::Arc<KillSwitch>,
    /// Usage counters, when metrics are on ([`Flags::with_metrics`]).
    usage: Option<std::sync::Arc<usage::DocumentCounts>>,
}

/// Why a flag document could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagsError {
    message: String,
}

impl fmt::Display for FlagsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "flag document: {}", self.message)
    }
}

impl std::error::Error for FlagsError {}

impl FlagsError {
    /// An error with this message (for flag sources of your own).
    pub fn new(message: impl fmt::Display) -> Self {
        FlagsError {
            message: message.to_string(),
        }
    }
}

impl Flags {
    /// Reads a document in JSON (`{"version": 2, "features": [..], "segments": [..]}`).
    pub fn from_json(text: &str) -> Result<Self, FlagsError> {
        Self::parse(Format::Json, text)
    }

    /// Reads a document from a file; `.json`, `.yaml`/`.yml` or `.toml` names the format.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, FlagsError> {
        let path = path.as_ref();
        let format = Format::from_path(path).ok_or_else(|| {
            FlagsError::new(format!(
                "{}: name a .json, .yaml or .toml file",
                path.display()
            ))
        })?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| FlagsError::new(format!("{}: {e}", path.display())))?;
        Self::parse(format, &text)
    }

    /// Reads a document in the given format.
    pub fn parse(format: Format, text: &str) -> Result<Self, FlagsError> {
        let text = strip_bom(text);
        let document: wire::Document = match format {
            Format::Json => serde_json::from_str(text).map_err(FlagsError::new)?,
            #[cfg(feature = "yaml")]
            Format::Yaml => serde_saphyr::from_str(text).map_err(FlagsError::new)?,
            #[cfg(feature = "toml")]
            Format::Toml => toml::from_str(text).map_err(FlagsError::new)?,
            #[allow(unreachable_patterns)]
            other => {
                return Err(FlagsError::new(format!(
                    "{other} support is not compiled in; enable the `{}` feature of config-runtime",
                    other.to_string().to_ascii_lowercase()
                )));
            }
        };
        Ok(Self::compile(&document))
    }

    fn compile(document: &wire::Document) -> Self {
        let segments = document
            .segments
            .iter()
            .map(|s| {
                (
                    s.id,
                    s.constraints
                        .iter()
                        .map(constraint::Constraint::compile)
                        .collect(),
                )
            })
            .collect();
        let hostname = strategy::hostname();
        let by_name: HashMap<Box<str>, usize> = document
            .features
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.as_str().into(), i))
            .collect();
        let features = document
            .features
            .iter()
            .map(|f| {
                let scope = strategy::Scope {
                    flag: &f.name,
                    segments: &segments,
                    hostname: &hostname,
                };
                Feature::compile(f, &scope, &by_name)
            })
            .collect();
        Flags {
            features,
            by_name,
            kill_switch: Default::default(),
            usage: None,
        }
    }

    /// Whether the flag is on for this context; an unknown flag is off.
    pub fn is_enabled(&self, name: &str, ctx: &Context) -> bool {
        self.is_enabled_or(name, ctx, false)
    }

    /// Whether the flag is on, `default` for an unknown one; counted when metrics are on.
    pub(crate) fn is_enabled_or(&self, name: &str, ctx: &Context, default: bool) -> bool {
        let index = self.by_name.get(name).copied();
        let on = self.enabled_at(index, name, ctx).unwrap_or(default);
        if let Some(usage) = &self.usage {
            usage.count(index, name, on);
        }
        on
    }

    /// The variant this context gets; `disabled` for an unknown or disabled flag.
    pub fn variant(&self, name: &str, ctx: &Context) -> Variant<'_> {
        let index = self.by_name.get(name).copied();
        let (variant, slot) = match (index, self.forced(name)) {
            (Some(i), _) => self.features[i].pick(ctx, self.scope()),
            (None, Some(Forced::On)) => (Variant::disabled(true), 0),
            (None, _) => (Variant::disabled(false), 0),
        };
        if let Some(usage) = &self.usage {
            usage.count_variant(index, name, variant.feature_enabled, slot);
        }
        variant
    }

    /// Counts a variant call answered without the document (a typed flag it lacks).
    pub(crate) fn count_default_variant(&self, name: &str, feature_enabled: bool) {
        if let Some(usage) = &self.usage {
            usage.count_variant(None, name, feature_enabled, 0);
        }
    }

    /// The same document, counting its evaluations into `metrics`: per flag how often it was
    /// on and off, and each variant handed out, as Unleash's SDKs count them (see
    /// [`FlagMetrics`]). Without it, or once those metrics are
    /// [stopped](FlagMetrics::is_stopped), nothing is counted.
    pub fn with_metrics(mut self, metrics: &FlagMetrics) -> Self {
        let layout: Vec<(&str, &[Box<str>])> = self
            .features
            .iter()
            .map(|f| (f.name(), f.variant_names()))
            .collect();
        self.usage = metrics.attach(&layout);
        self
    }

    fn scope(&self) -> feature::Scope<'_> {
        feature::Scope {
            features: &self.features,
            kill_switch: &self.kill_switch,
        }
    }

    /// The same document under a kill switch: its verdicts beat the document's rules.
    pub fn with_kill_switch(mut self, switch: impl Into<std::sync::Arc<KillSwitch>>) -> Self {
        self.kill_switch = switch.into();
        self
    }

    /// The kill switch this document answers under.
    pub fn kill_switch(&self) -> &KillSwitch {
        &self.kill_switch
    }

    fn forced(&self, name: &str) -> Option<Forced> {
        if self.kill_switch.is_empty() {
            return None;
        }
        self.kill_switch.get(name)
    }

    /// `Some(on)` for a flag in the document (at `index`) or the kill switch, `None` for an
    /// unknown one.
    fn enabled_at(&self, index: Option<usize>, name: &str, ctx: &Context) -> Option<bool> {
        match (index, self.forced(name)) {
            (Some(i), _) => Some(self.features[i].is_on(ctx, self.scope())),
            (None, forced) => forced.map(|f| f == Forced::On),
        }
    }

    /// Whether the document (or the kill switch) declares this flag.
    pub fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(name) || self.forced(name).is_some()
    }

    /// The names of the document's flags, in document order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.features.iter().map(|f| f.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &str = r#"{"version": 2, "features": [
        {"name": "checkout", "enabled": true,
         "strategies": [{"name": "userWithId", "parameters": {"userIds": "1, 2"}}],
         "variants": [{"name": "blue", "weight": 1000, "payload": {"type": "string", "value": "b"}}]},
        {"name": "child", "enabled": true, "dependencies": [{"feature": "checkout"}]}
    ]}"#;

    #[test]
    #[cfg(all(feature = "yaml", feature = "toml"))]
    fn yaml_and_toml_documents_read_like_json() {
        let dir = tempfile::tempdir().unwrap();
        let yaml = dir.path().join("flags.yaml");
        std::fs::write(
            &yaml,
            "features:\n  - name: checkout\n    enabled: true\n    strategies:\n      - name: userWithId\n        parameters: {userIds: '1,2'}\n",
        )
        .unwrap();
        let toml = dir.path().join("flags.toml");
        std::fs::write(
            &toml,
            "[[features]]\nname = \"checkout\"\nenabled = true\n[[features.strategies]]\nname = \"userWithId\"\nparameters = { userIds = \"1,2\" }\n",
        )
        .unwrap();
        let user = Context::new().user_id("2");
        for flags in [
            Flags::from_json(JSON),
            Flags::from_file(&yaml),
            Flags::from_file(&toml),
        ] {
            let flags = flags.unwrap();
            assert!(flags.is_enabled("checkout", &user));
            assert!(!flags.is_enabled("checkout", &Context::new().user_id("3")));
        }
    }

    #[test]
    fn variants_and_dependencies_follow_the_parent() {
        let flags = Flags::from_json(JSON).unwrap();
        let user = Context::new().user_id("1");
        let variant = flags.variant("checkout", &user);
        assert_eq!((variant.name, variant.enabled), ("blue", true));
        assert_eq!(variant.payload.unwrap().kind, PayloadKind::String);
        assert!(flags.is_enabled("child", &user));
        assert!(!flags.is_enabled("child", &Context::new().user_id("9")));
        assert_eq!(flags.names().collect::<Vec<_>>(), ["checkout", "child"]);
    }

    #[test]
    fn the_kill_switch_reaches_dependent_flags() {
        let flags = Flags::from_json(JSON)
            .unwrap()
            .with_kill_switch(KillSwitch::new().force("checkout", Forced::Off));
        let user = Context::new().user_id("1");
        assert!(!flags.is_enabled("checkout", &user));
        assert!(
            !flags.is_enabled("child", &user),
            "its parent is forced off"
        );
        assert_eq!(flags.variant("checkout", &user).name, "disabled");
        let forced_on = Flags::from_json(JSON)
            .unwrap()
            .with_kill_switch(KillSwitch::new().force("checkout", Forced::On));
        let stranger = Context::new().user_id("9");
        assert!(forced_on.is_enabled("child", &stranger));
        assert_eq!(forced_on.variant("checkout", &stranger).name, "blue");
    }

    #[test]
    fn a_broken_document_says_why() {
        let err = Flags::from_json("{\"features\": 3}").unwrap_err();
        assert!(err.to_string().starts_with("flag document: "), "{err}");
        assert!(Flags::from_file("flags.ini").is_err());
    }
}
