//! A flag document in one etcd key, as a [`FlagSource`]: read when `LiveFlags` starts, then
//! again whenever etcd's watch reports the key changed (the poll interval is only a safety
//! net). The key's `mod_revision` tells an unchanged document apart without parsing it.
//! With [`EtcdFlags::last_known_good`], every document read is also saved to the encrypted
//! [`LastKnownGood`] store, and a process that starts while etcd cannot give the document
//! begins with the saved one.

use std::path::Path;

use config_runtime::flags::{Fetched, FlagSource, Flags, FlagsError};
use config_runtime::{BoxFuture, Format, ProviderError};
use futures_util::stream::BoxStream;

use super::{EtcdSource, EtcdStore, Keys, Resync, endpoints_from_env, signals};
use crate::flag_backup::FlagBackup;
use crate::lkg::LastKnownGood;

/// One etcd key holding a flag document (JSON, YAML or TOML: named with
/// [`format`](Self::format), or by the key's extension), for
/// [`LiveFlags`](config_runtime::flags::LiveFlags). Made by [`EtcdSource::flags`] on the
/// client of that source (its members, its answer size cap), or by [`from_env`](Self::from_env).
///
/// Changes are pushed: etcd's watch on the key triggers a fetch at once (resuming after the
/// last revision on another member when one fails), so the poll interval of
/// [`LiveFlagsOptions`](config_runtime::flags::LiveFlagsOptions) is only a safety net. A
/// missing key or a document that does not parse is an error (`LiveFlags` keeps the last good
/// document); a parse error names the key, the revision and the position, never the
/// document's text.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use config_providers::etcd::EtcdSource;
/// use config_runtime::flags::{Context, LiveFlags, LiveFlagsOptions};
///
/// let etcd = EtcdSource::builder(["http://10.0.0.1:2379"], "/app/").build()?;
/// let flags = LiveFlags::start(etcd.flags("/flags/checkout.yaml"), LiveFlagsOptions::default()).await?;
/// let on = flags.is_enabled("new-checkout", &Context::new().user_id("42"));
/// # let _ = on; Ok(()) }
/// ```
pub struct EtcdFlags {
    etcd: EtcdSource,
    key: String,
    format: Option<Format>,
    /// The `mod_revision` of the document served last.
    served: Option<i64>,
    /// The cluster revision of the latest read: the watch starts after it.
    read_at: i64,
    /// Where each document read is saved, and read back at start-up when etcd fails.
    backup: Option<FlagBackup>,
}

impl std::fmt::Debug for EtcdFlags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdFlags")
            .field("endpoints", &self.etcd.inner.endpoints)
            .field("key", &self.key)
            .field("format", &self.format)
            .field("backup", &self.backup)
            .finish_non_exhaustive()
    }
}

impl EtcdSource {
    /// The flag document in `key` (the full etcd key, e.g. `/flags/checkout.yaml`), read and
    /// watched through this source's client. Keep it outside the prefix this source loads as
    /// configuration, or the document also reads as a config value.
    pub fn flags(&self, key: impl Into<String>) -> EtcdFlags {
        EtcdFlags {
            etcd: self.clone(),
            key: key.into(),
            format: None,
            served: None,
            read_at: 0,
            backup: None,
        }
    }
}

impl EtcdFlags {
    /// From `ETCD_ENDPOINTS` (comma-separated client URLs) and `ETCD_FLAGS_KEY` (the key).
    pub fn from_env() -> Result<Self, ProviderError> {
        let key = std::env::var("ETCD_FLAGS_KEY").map_err(|_| {
            ProviderError::new(
                config_runtime::ProviderErrorKind::Invalid,
                "ETCD_FLAGS_KEY is not set",
            )
        })?;
        let etcd = EtcdSource::builder(endpoints_from_env()?, "/").build()?;
        Ok(etcd.flags(key))
    }

    /// The document's format, for a key without a `.json`, `.yaml`/`.yml` or `.toml` ending.
    pub fn format(mut self, format: Format) -> Self {
        self.format = Some(format);
        self
    }

    /// Saves every document read to `store` (under the key's name: one store per cluster),
    /// and starts from it when etcd cannot give the document at start-up: no member
    /// answers, the key is missing, or its document does not parse. The saved document is
    /// used only if it is younger than the store's maximum age, and a warning names the
    /// failure and the document's age. Once a document was served, failures keep the last
    /// good document in memory as without a store.
    pub fn last_known_good(mut self, store: LastKnownGood) -> Self {
        self.backup = Some(FlagBackup::new(store, format!("etcd-flags:{}", self.key)));
        self
    }

    /// The explicit format, else the key's extension.
    fn document_format(&self) -> Result<Format, FlagsError> {
        if let Some(format) = self.format {
            return Ok(format);
        }
        let extension = Path::new(&self.key)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("json") => Ok(Format::Json),
            Some("yaml" | "yml") => Ok(Format::Yaml),
            Some("toml") => Ok(Format::Toml),
            _ => Err(FlagsError::new(format!(
                "etcd key `{}`: name its format (`EtcdFlags::format`) or end the key in .json, \
                 .yaml or .toml",
                self.key
            ))),
        }
    }

    async fn fetch_or_restore(&mut self) -> Result<Fetched, FlagsError> {
        let fetched = self.fetch_once().await;
        let (format, source) = (self.document_format(), self.describe());
        match (&mut self.backup, format) {
            (None, _) => fetched,
            // Without a format there is no document to read, saved or not.
            (Some(_), Err(e)) => Err(e),
            (Some(backup), Ok(format)) => backup.settle(&source, format, fetched),
        }
    }

    async fn fetch_once(&mut self) -> Result<Fetched, FlagsError> {
        let range = self
            .etcd
            .inner
            .range(&Keys::one(&self.key))
            .await
            .map_err(|e| FlagsError::new(format!("etcd key `{}`: {e}", self.key)))?;
        self.read_at = self.read_at.max(range.revision);
        let Some(kv) = range.kvs.into_iter().next() else {
            return Err(FlagsError::new(format!("etcd has no key `{}`", self.key)));
        };
        if self.served == Some(kv.mod_revision) {
            return Ok(Fetched::Unchanged);
        }
        let format = self.document_format()?;
        let Some(text) = kv.value else {
            return Err(FlagsError::new(format!(
                "etcd key `{}` at revision {}: the value is not UTF-8",
                self.key, kv.mod_revision
            )));
        };
        let flags = Flags::parse(format, &text)
            .map_err(|e| not_a_document(&self.key, kv.mod_revision, format, &e))?;
        if let Some(backup) = &self.backup {
            backup.save(&self.describe(), &text);
        }
        self.served = Some(kv.mod_revision);
        Ok(Fetched::Changed(flags))
    }
}

impl FlagSource for EtcdFlags {
    fn describe(&self) -> String {
        format!("etcd key {}", self.key)
    }

    fn fetch(&mut self) -> BoxFuture<'_, Result<Fetched, FlagsError>> {
        Box::pin(self.fetch_or_restore())
    }

    /// etcd's watch on the key, from just after the latest read: one signal per change
    /// (a put or a delete), resuming on another member when one fails, and one signal when
    /// etcd compacted changes the watch had not delivered yet.
    fn pushes(&self) -> Option<BoxStream<'static, ()>> {
        let receiver = self.etcd.watch_keys(
            Keys::one(&self.key),
            self.read_at,
            |_: &EtcdStore, key| Some(key.to_owned()),
            // A signal after a compaction: `LiveFlags` fetches the key again.
            Resync::Revision,
        );
        Some(signals(receiver))
    }
}

/// The error of a document that does not parse: the key, the revision and the position the
/// parser gave, never the parser's own words, which can quote the document (constraint values
/// are e-mail addresses, tenant names, ..).
fn not_a_document(key: &str, revision: i64, format: Format, error: &FlagsError) -> FlagsError {
    // A format this build cannot read fails even on an empty document: that error is about
    // the build, not the document, and is passed on as it is.
    let empty = match format {
        Format::Yaml => "features: []\n",
        Format::Toml => "features = []\n",
        _ => r#"{"features": []}"#,
    };
    if let Err(unsupported) = Flags::parse(format, empty) {
        return unsupported;
    }
    let at = position(&error.to_string())
        .map(|(line, column)| format!(" (line {line}, column {column})"))
        .unwrap_or_default();
    FlagsError::new(format!(
        "etcd key `{key}` at revision {revision} is not a {format} flag document{at}"
    ))
}

/// The first "line N" and the "column M" just after it in a parser's message, as numbers
/// only.
fn position(message: &str) -> Option<(u64, u64)> {
    /// The number at the start of `text` (after blanks), and the rest.
    fn number(text: &str) -> Option<(u64, &str)> {
        let text = text.trim_start();
        let end = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        Some((text[..end].parse().ok()?, &text[end..]))
    }
    let mut rest = message;
    while let Some(at) = rest.find("line") {
        rest = &rest[at + "line".len()..];
        let Some((line, after)) = number(rest) else {
            continue;
        };
        let after = after.trim_start_matches([',', ' ']);
        if let Some(column) = after.strip_prefix("column")
            && let Some((column, _)) = number(column)
        {
            return Some((line, column));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_read_from_every_parser_style() {
        assert_eq!(position("expected value at line 3 column 7"), Some((3, 7)));
        assert_eq!(
            position("TOML parse error at line 2, column 5\n  |\n2 | a = \n"),
            Some((2, 5))
        );
        assert_eq!(position("a lineup of 3 columns"), None);
        assert_eq!(position("no position"), None);
    }

    #[test]
    fn the_format_comes_from_the_key_unless_named() {
        let etcd = EtcdSource::builder(["http://127.0.0.1:1"], "/app/")
            .build()
            .unwrap();
        let format = |flags: EtcdFlags| flags.document_format().map_err(|e| e.to_string());
        assert_eq!(format(etcd.flags("/f/a.YML")), Ok(Format::Yaml));
        assert_eq!(format(etcd.flags("/f/a.json")), Ok(Format::Json));
        assert_eq!(
            format(etcd.flags("/f/flags").format(Format::Toml)),
            Ok(Format::Toml)
        );
        let err = format(etcd.flags("/f/flags")).unwrap_err();
        assert!(err.contains("`/f/flags`"), "{err}");
    }

    #[test]
    fn a_parse_error_never_quotes_the_document() {
        let canary = "tenant-canary-31337";
        for (format, text) in [
            (
                Format::Json,
                format!(r#"{{"features": [{{"name": 5, "x": "{canary}"}}"#),
            ),
            (
                Format::Json,
                format!(r#"{{"features": [{{"name": "a", "enabled": "{canary}"}}]}}"#),
            ),
            (Format::Yaml, format!("features:\n  - name: [{canary}\n")),
            (Format::Toml, format!("features = \"{canary}\"\n")),
        ] {
            let parsed = Flags::parse(format, &text).unwrap_err();
            let err = not_a_document("/f/flags", 9, format, &parsed).to_string();
            assert!(!err.contains(canary), "{err}");
            // This crate's tests build config-runtime without YAML and TOML: those say so.
            assert!(
                err.contains("`/f/flags` at revision 9") || err.contains("not compiled in"),
                "{err}"
            );
        }
    }
}
