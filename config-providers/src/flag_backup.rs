//! The last-known-good flag document of a flag source (an Unleash server, an etcd key): every
//! document the source fetches is saved to the encrypted [`LastKnownGood`] store, and when the
//! source fails before it served one (the server or cluster is down while the process
//! starts), the saved document is served instead, with a warning naming the failure and the
//! document's age. Once a document was served, failures are the source's own errors again
//! (`LiveFlags` keeps the last good document in memory).

use config_runtime::flags::{Fetched, Flags, FlagsError};
use config_runtime::{Format, Payload, SecretData};

use crate::lkg::LastKnownGood;

/// One source's document in a [`LastKnownGood`] store.
pub(crate) struct FlagBackup {
    store: LastKnownGood,
    /// The document's entry in the store.
    entry: String,
    /// Whether a document was served yet (the store is a fallback at start-up only).
    served: bool,
}

impl std::fmt::Debug for FlagBackup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlagBackup")
            .field("store", &self.store)
            .field("entry", &self.entry)
            .finish_non_exhaustive()
    }
}

impl FlagBackup {
    /// The document `entry` names in `store`.
    pub(crate) fn new(store: LastKnownGood, entry: String) -> Self {
        FlagBackup {
            store,
            entry,
            served: false,
        }
    }

    /// Saves a document that parsed; a store that cannot be written is a warning, never a
    /// failed fetch. `source` names the source in logs.
    pub(crate) fn save(&self, source: &str, text: &str) {
        if let Err(e) = self.store.save(&self.entry, &SecretData::text(text)) {
            tracing::warn!(source, "cannot save the last-known-good flag document: {e}");
        }
    }

    /// What a fetch gives, once the store has had its say: a fetched document as it is; a
    /// failure before any document was served, the saved document (in `format`) instead.
    pub(crate) fn settle(
        &mut self,
        source: &str,
        format: Format,
        fetched: Result<Fetched, FlagsError>,
    ) -> Result<Fetched, FlagsError> {
        let failure = match fetched {
            Ok(fetched) => {
                self.served = true;
                return Ok(fetched);
            }
            Err(failure) if self.served => return Err(failure),
            Err(failure) => failure,
        };
        let (data, age) = self.store.load(&self.entry).map_err(|e| {
            FlagsError::new(format!("{failure}; and no last-known-good document: {e}"))
        })?;
        let Payload::Text(text) = &data.payload else {
            return Err(failure);
        };
        // It parsed when it was saved; the parser's words could quote it, so they are left out.
        let flags = Flags::parse(format, text.expose_secret()).map_err(|_| {
            FlagsError::new(format!(
                "{failure}; and the last-known-good document does not parse as {format}"
            ))
        })?;
        tracing::warn!(
            source,
            age = ?age,
            "flag source failed at start-up ({failure}); using the last-known-good document"
        );
        self.served = true;
        Ok(Fetched::Changed(flags))
    }
}
