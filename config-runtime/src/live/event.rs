//! What a reload tells: [`ReloadEvent`] (broadcast to subscribers) and [`ReloadOutcome`] (the
//! answer of [`Live::reload`](super::Live::reload)), both built on [`Applied`]. None of them
//! ever holds a value: only key paths, version numbers and the (already redacted)
//! [`ConfigError`].

use std::fmt;
use std::sync::Arc;

use crate::KeyPath;
use crate::error::ConfigError;

/// A reload that swapped in a new snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Applied {
    /// The version of the new snapshot.
    pub version: u64,
    /// Key paths (`redis.port`) whose value changed and was applied; secrets included, by
    /// path only.
    pub changed: Vec<KeyPath>,
    /// Key paths of `restart` fields whose value changed in this reload and were kept at the
    /// value the process started with: they take effect after a restart.
    pub restart_required: Vec<KeyPath>,
}

impl fmt::Display for Applied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reload applied: version {}", self.version)?;
        if !self.changed.is_empty() {
            write!(f, "; changed: {}", self.changed.join(", "))?;
        }
        if !self.restart_required.is_empty() {
            write!(
                f,
                "; kept until restart: {}",
                self.restart_required.join(", ")
            )?;
        }
        Ok(())
    }
}

/// One reload, as told to subscribers (see [`Live::subscribe`](super::Live::subscribe)).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ReloadEvent {
    /// A new snapshot was swapped in.
    Applied(Applied),
    /// A change could not be applied: the previous snapshot stays.
    Rejected {
        /// Every problem of the rejected load (secret values are never in it).
        error: Arc<ConfigError>,
    },
}

impl fmt::Display for ReloadEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReloadEvent::Applied(applied) => applied.fmt(f),
            ReloadEvent::Rejected { error } => write!(f, "reload rejected: {error}"),
        }
    }
}

/// What [`Live::reload`](super::Live::reload) did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReloadOutcome {
    /// A new snapshot was swapped in (subscribers got the same [`ReloadEvent::Applied`]).
    Applied(Applied),
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
            ReloadOutcome::Applied(applied) => applied.fmt(f),
            ReloadOutcome::Unchanged { version } => {
                write!(f, "reload found no change (version {version})")
            }
        }
    }
}
