//! What a load reports without failing: a [`Warning`] names a key, a variable or a reference,
//! never a value.

use std::fmt;

use crate::origin::Origin;

/// Something a load accepted but a person should know about. [`ConfigError::warnings`] and
/// [`Explain::warnings`] list them; `Display` gives the line the report prints.
///
/// [`ConfigError::warnings`]: crate::ConfigError::warnings
/// [`Explain::warnings`]: crate::Explain::warnings
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// A deprecated name (`alias = ".."`) was used for a variable.
    DeprecatedAlias {
        /// The deprecated name that was set.
        alias: String,
        /// The current name of the variable.
        replacement: String,
        /// Where the deprecated name was set.
        origin: Origin,
    },
    /// An old file key (`file_alias = ".."`) was used.
    DeprecatedKey {
        /// The old key path that was set.
        key: String,
        /// The current key path.
        replacement: String,
        /// Where the old key was set.
        origin: Origin,
    },
    /// A key that names no field, in a section declared `unknown = "warn"`.
    UnknownKey {
        /// The key path.
        key: String,
        /// Where it was set.
        origin: Origin,
    },
    /// A variable with the prefix that names no field, in a section declared
    /// `unknown = "warn"`.
    UnknownVariable {
        /// The variable.
        name: String,
        /// Where it was set.
        origin: Origin,
    },
    /// A secret provider with [`OutagePolicy::Optional`](crate::OutagePolicy::Optional) could
    /// not answer, so the value that referenced it was dropped (the field falls back to its
    /// default, or `None`).
    ProviderUnavailable {
        /// The key path of the field.
        key: String,
        /// The field's variable.
        env: String,
        /// Where the value that held the reference came from.
        origin: Origin,
        /// The reference, as written (`${vault:secret/app#token}`).
        reference: String,
        /// Why the provider could not answer (never a value).
        reason: String,
    },
    /// A secret provider's note on a value it served (e.g. "served from the last-known-good
    /// store"); see [`SecretData::warning`](crate::SecretData::warning).
    ProviderNote {
        /// The provider's scheme (`vault`).
        scheme: String,
        /// The secret's path, without `#key`.
        path: String,
        /// The provider's text (never a value).
        note: String,
    },
    /// A flag the application declares (`#[derive(Flags)]`) is not in the flag document: it
    /// takes its declared default.
    MissingFlag {
        /// The flag's name.
        name: String,
        /// The declared default it takes.
        default: bool,
    },
}

impl Warning {
    /// Calls `f` on each free text of the warning (what a provider wrote), so known secret
    /// values can be scrubbed from it.
    pub(crate) fn for_each_text(&mut self, mut f: impl FnMut(&mut String)) {
        match self {
            Warning::DeprecatedAlias { .. }
            | Warning::DeprecatedKey { .. }
            | Warning::UnknownKey { .. }
            | Warning::UnknownVariable { .. }
            | Warning::MissingFlag { .. } => {}
            Warning::ProviderUnavailable { reason, .. } => f(reason),
            Warning::ProviderNote { note, .. } => f(note),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::DeprecatedAlias {
                alias,
                replacement,
                origin,
            } => write!(
                f,
                "{alias} is deprecated; rename it to {replacement} ({origin})"
            ),
            Warning::ProviderUnavailable {
                env,
                origin,
                reference,
                reason,
                ..
            } => write!(
                f,
                "{env} ({origin}): {reference} is unavailable ({reason}); starting without it"
            ),
            Warning::DeprecatedKey {
                key,
                replacement,
                origin,
            } => write!(
                f,
                "{key} is an old key; rename it to {replacement} ({origin})"
            ),
            Warning::UnknownKey { key, origin } => {
                write!(f, "{key} ({origin}): unknown key, ignored")
            }
            Warning::UnknownVariable { name, origin } => {
                write!(f, "{name} ({origin}): unknown variable, ignored")
            }
            Warning::MissingFlag { name, default } => {
                let state = if *default { "on" } else { "off" };
                write!(
                    f,
                    "flag {name}: not in the flag document, {state} by its default"
                )
            }
            Warning::ProviderNote { scheme, path, note } => {
                write!(f, "${{{scheme}:{path}}}: {note}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_gives_the_report_lines() {
        let alias = Warning::DeprecatedAlias {
            alias: "APP_OLD".to_owned(),
            replacement: "APP_NEW".to_owned(),
            origin: Origin::Env {
                var: "APP_OLD".into(),
            },
        };
        assert_eq!(
            alias.to_string(),
            "APP_OLD is deprecated; rename it to APP_NEW (environment)"
        );
        let dropped = Warning::ProviderUnavailable {
            key: "token".to_owned(),
            env: "APP_TOKEN".to_owned(),
            origin: Origin::Override,
            reference: "${vault:secret/app#token}".to_owned(),
            reason: "connection refused".to_owned(),
        };
        assert_eq!(
            dropped.to_string(),
            "APP_TOKEN (override): ${vault:secret/app#token} is unavailable \
             (connection refused); starting without it"
        );
        let note = Warning::ProviderNote {
            scheme: "vault".to_owned(),
            path: "secret/app".to_owned(),
            note: "served from the last-known-good store".to_owned(),
        };
        assert_eq!(
            note.to_string(),
            "${vault:secret/app}: served from the last-known-good store"
        );
    }
}
