//! What a reload tells: [`ReloadEvent`] (broadcast to subscribers) and [`ReloadOutcome`] (the
//! answer of [`Live::reload`](super::Live::reload)). Neither ever holds a value: only key paths,
//! version numbers and the (already redacted) [`ConfigError`].

use std::fmt;
use std::sync::Arc;

use crate::error::ConfigError;

/// One reload, as told to subscribers (see [`Live::subscribe`](super::Live::subscribe)).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ReloadEvent {
    /// A new snapshot was swapped in.
    Applied {
        /// The version of the new snapshot.
        version: u64,
        /// Key paths (`redis.port`) whose value changed and was applied; secrets included,
        /// by path only.
        changed: Vec<String>,
        /// Key paths of `restart` fields whose value changed in this reload and were kept at
        /// the value the process started with: they take effect after a restart.
        restart_required: Vec<String>,
    },
    /// A change could not be applied: the previous snapshot stays.
    Rejected {
        /// Every problem of the rejected load (secret values are never in it).
        error: Arc<ConfigError>,
    },
}

impl fmt::Display for ReloadEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReloadEvent::Applied {
                version,
                changed,
                restart_required,
            } => write_applied(f, *version, changed, restart_required),
            ReloadEvent::Rejected { error } => write!(f, "reload rejected: {error}"),
        }
    }
}

/// What [`Live::reload`](super::Live::reload) did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReloadOutcome {
    /// A new snapshot was swapped in (the same news went to subscribers).
    Applied {
        /// The version of the new snapshot.
        version: u64,
        /// Key paths whose value changed and was applied.
        changed: Vec<String>,
        /// Key paths of `restart` fields that changed and were kept at their old value.
        restart_required: Vec<String>,
    },
    /// The sources load to the same values as the current snapshot: nothing was swapped and no
    /// event was sent.
    Unchanged {
        /// The version still current.
        version: u64,
    },
}

impl fmt::Display for ReloadOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReloadOutcome::Applied {
                version,
                changed,
                restart_required,
            } => write_applied(f, *version, changed, restart_required),
            ReloadOutcome::Unchanged { version } => {
                write!(f, "reload found no change (version {version})")
            }
        }
    }
}

fn write_applied(
    f: &mut fmt::Formatter<'_>,
    version: u64,
    changed: &[String],
    restart_required: &[String],
) -> fmt::Result {
    write!(f, "reload applied: version {version}")?;
    if !changed.is_empty() {
        write!(f, "; changed: {}", changed.join(", "))?;
    }
    if !restart_required.is_empty() {
        write!(f, "; kept until restart: {}", restart_required.join(", "))?;
    }
    Ok(())
}
