//! The text a file's document was parsed from, kept with its gathering.
//!
//! `Live` keeps every source's gathering between reloads: a reload that gathers one source
//! again merges the others as they were. The merge would have to copy each text of a kept
//! tree into its slots (the tree stays whole for the next merge). A gathering that keeps the
//! text it was parsed from lets the merge move the texts instead, and then holds no tree (it
//! is spent): a later merge that needs it (a runtime override, a secret's new version)
//! parses the text again, which reads no file. Parsing is pure, so the tree is the same.

use std::fmt;

use crate::format::{Format, SpannedDoc};
use crate::origin::Origin;

/// The text of a document and what it was parsed as. Wiped when dropped; never shown.
#[derive(Clone)]
pub(crate) struct Retained {
    text: String,
    format: Format,
    /// The origin of the document as a whole (its path, no line).
    origin: Origin,
    /// The document with its keys in `text` (a plain one), until a merge spends it; else the
    /// gathering's entries hold it as a value tree.
    spanned: Option<SpannedDoc>,
}

impl Retained {
    /// `text`, which parsed as a document of `format` into a gathering's entries.
    pub(crate) fn new(text: String, format: Format, origin: &Origin) -> Self {
        Retained {
            text,
            format,
            origin: origin.clone(),
            spanned: None,
        }
    }

    /// `text`, which parsed as `document` (keys in `text`).
    pub(crate) fn spanned(
        text: String,
        format: Format,
        origin: &Origin,
        document: SpannedDoc,
    ) -> Self {
        let mut retained = Retained::new(text, format, origin);
        retained.spanned = Some(document);
        retained
    }

    /// The text parsed again (parsing is pure, so it parses as the first time; were it ever
    /// not to, the problem says so): kept here when its keys stay in the text, else the entry
    /// of the whole document.
    #[cfg(feature = "live")]
    pub(super) fn parse(&mut self) -> Result<Option<super::Entry>, super::Problem> {
        match crate::format::parse_file_kept(self.format, &self.text) {
            Ok(crate::format::Document::Spanned(document)) => {
                self.spanned = Some(document);
                Ok(None)
            }
            Ok(crate::format::Document::Tree(table)) => {
                Ok(Some(super::Entry::document(table, self.origin.clone())))
            }
            Err(e) => Err(super::file::invalid_document(&self.origin, self.format, e)),
        }
    }

    /// Whether the document is held here, keys in the text.
    #[cfg(feature = "live")]
    pub(super) fn is_spanned(&self) -> bool {
        self.spanned.is_some()
    }

    /// The document held here, with the text its keys are read from and its origin.
    pub(crate) fn spanned_mut(&mut self) -> Option<(&mut SpannedDoc, &str, &Origin)> {
        let text = crate::format::strip_bom(&self.text);
        Some((self.spanned.as_mut()?, text, &self.origin))
    }

    /// The document held here, as the entry of a value tree (its keys copied out).
    pub(super) fn take_tree(&mut self) -> Option<super::Entry> {
        let document = self.spanned.take()?;
        let table = document.into_tree(crate::format::strip_bom(&self.text));
        Some(super::Entry::document(table, self.origin.clone()))
    }

    /// Drops the document held here, wiping the texts a merge left in it.
    pub(super) fn spend(&mut self) {
        if let Some(document) = self.spanned.take() {
            document.spend();
        }
    }

    /// Overwrites the values of the document held here.
    pub(super) fn wipe(&mut self) {
        if let Some(document) = &mut self.spanned {
            document.wipe();
        }
    }

    /// What a version of the gathering hashes: the text and where it was read (the entries
    /// may be spent; equal texts give equal trees).
    pub(super) fn content(&self) -> (&str, &Origin) {
        (&self.text, &self.origin)
    }
}

impl Drop for Retained {
    fn drop(&mut self) {
        self.spend();
        crate::secret::wipe_text(&mut self.text);
    }
}

impl fmt::Debug for Retained {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retained")
            .field("format", &self.format)
            .field("origin", &self.origin)
            .field("spanned", &self.spanned)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, feature = "live", feature = "toml"))]
mod tests {
    use crate::Config;
    use crate::loader::gather::gather_all_now;
    use crate::loader::merge::{Gatherings, Outcome};
    use crate::value::RawValue;

    #[allow(dead_code)] // only its schema is read
    #[derive(crate::Config, Debug)]
    #[config(crate = "crate", prefix = "T")]
    struct Small {
        /// A port.
        #[config(default = 1)]
        port: u16,
        /// A name.
        #[config(default = "x")]
        name: String,
    }

    #[test]
    fn a_kept_file_gathering_is_spent_by_a_merge_and_parsed_again_the_same() {
        // A plain document keeps its keys in the text; a quoted key makes it a value tree.
        for (text, keys_in_text) in [
            ("port = 7\nname = \"api\"\n", true),
            ("port = 7\n\"name\" = \"api\"\n", false),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("small.toml");
            std::fs::write(&path, text).unwrap();
            let loader = Small::loader().file(&path);
            let (plan, context) = (loader.plan(), loader.context());
            let mut outcomes = gather_all_now(&plan.sources, &context);
            let gathered = |outcomes: &mut Vec<Outcome>| match &mut outcomes[0] {
                Outcome::Gathered(gathered) => std::mem::take(gathered),
                _ => panic!("not gathered"),
            };
            // (held with keys in the text, entries, their Debug)
            let held = |g: &mut crate::source::Gathered| {
                let entries = format!("{:?}", g.entries);
                (g.spanned_document().is_some(), g.entries.len(), entries)
            };
            let mut fresh = gathered(&mut outcomes);
            let (fresh_held, version) = (held(&mut fresh), fresh.current_version());
            assert!(fresh.is_retained());
            assert_eq!(
                (fresh_held.0, fresh_held.1),
                (keys_in_text, usize::from(!keys_in_text)),
                "{text}"
            );
            outcomes[0] = Outcome::Gathered(fresh);

            let texts = |outcomes: &mut Vec<Outcome>| {
                let merged = loader.merge(&plan, outcomes, Gatherings::Kept);
                let text =
                    |value: &Option<crate::origin::Sourced>| match value.as_ref().map(|v| &v.raw) {
                        Some(RawValue::Str(text)) => text.clone(),
                        _ => panic!("not a text"),
                    };
                merged.values.iter().map(text).collect::<Vec<_>>()
            };
            assert_eq!(texts(&mut outcomes), ["7", "api"], "{text}");
            let mut spent = gathered(&mut outcomes);
            assert_eq!(
                held(&mut spent),
                (false, 0, "[]".to_owned()),
                "the merge moved the texts out"
            );
            assert_eq!(
                spent.current_version(),
                version,
                "a version reads the kept text"
            );

            spent.restore();
            assert_eq!(held(&mut spent), fresh_held, "{text}");
            outcomes[0] = Outcome::Gathered(spent);
            assert_eq!(texts(&mut outcomes), ["7", "api"], "merged again the same");
        }
    }

    #[allow(dead_code)] // only its schema is read
    #[derive(crate::Config, Debug)]
    #[config(crate = "crate", prefix = "T")]
    struct Sections {
        /// A port.
        #[config(default = 1)]
        port: u16,
        /// A name (`title` in older files).
        #[config(default = "x", file_alias = "title")]
        name: String,
        /// The database.
        #[config(nested)]
        db: Db,
    }

    #[allow(dead_code)] // only its schema is read
    #[derive(crate::Config, Debug)]
    #[config(crate = "crate")]
    struct Db {
        /// Its host.
        #[config(default = "h")]
        host: String,
        /// Its port.
        #[config(default = 5)]
        port: u16,
    }

    #[test]
    fn a_document_with_its_keys_in_the_text_merges_as_its_value_tree() {
        for text in [
            "port = 7\nname = \"api\"\n[db]\nhost = \"d\"\nport = 9\n",
            "title = \"old\"\n[db]\nhost = \"d\"\n",
            "port = 7\n[nope]\na = 1\n",
            "[port]\nx = 1\n[db]\nport = 2\n",
            "prot = 7\n[db]\nhots = \"d\"\n",
            "[db]\nport = [1, 2]\nhost = \"d\"\n",
            "\u{feff}port = 8\n",
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("sections.toml");
            std::fs::write(&path, text).unwrap();
            let loader = Sections::loader().file(&path);
            let (plan, context) = (loader.plan(), loader.context());
            let merged = |mut outcomes: Vec<Outcome>| {
                let merged = loader.merge(&plan, &mut outcomes, Gatherings::Spent);
                let values: Vec<_> = (merged.values.iter())
                    .map(|v| {
                        v.as_ref().map(|v| {
                            (
                                v.raw.texts().collect::<Vec<_>>().join("|"),
                                merged.documents.origin(&v.provenance),
                            )
                        })
                    })
                    .collect();
                let errors: Vec<_> = merged.errors.iter().map(|e| e.to_string()).collect();
                (values, errors, format!("{:?}", merged.warnings))
            };
            let mut spanned = gather_all_now(&plan.sources, &context);
            let Outcome::Gathered(gathered) = &mut spanned[0] else {
                panic!("not gathered");
            };
            assert!(gathered.spanned_document().is_some(), "{text}");
            let crate::source::Gathering::Ready(Ok(tree)) = crate::source::Source::gather(
                &crate::source::file::File::required(&path),
                &context,
            ) else {
                panic!("not gathered");
            };
            assert_eq!(tree.entries.len(), 1, "{text}");
            let from_tree = merged(vec![Outcome::Gathered(tree)]);
            assert_eq!(merged(spanned), from_tree, "{text}");
        }
    }

    /// A source over a file that changes the first value of its document.
    struct Rewriting(crate::source::file::File);

    impl crate::source::Source for Rewriting {
        fn name(&self) -> String {
            "rewriting".to_owned()
        }

        fn gather(&self, context: &crate::source::GatherContext) -> crate::source::Gathering<'_> {
            use crate::format::FileValue;
            use crate::source::Gathering;
            match self.0.gather(context) {
                Gathering::Ready(Ok(mut gathered)) => {
                    if let FileValue::Table(table) = &mut gathered.entries[0].value {
                        table[0].1.value = FileValue::Scalar("9".to_owned());
                    }
                    Gathering::Ready(Ok(gathered))
                }
                other => other,
            }
        }
    }

    #[test]
    fn a_source_wrapping_a_file_keeps_its_entries_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("small.toml");
        std::fs::write(&path, "port = 7\nname = \"api\"\n").unwrap();
        let file = crate::source::file::File::required(&path);
        let loader = Small::loader().source(Rewriting(file));
        let (plan, context) = (loader.plan(), loader.context());
        let mut outcomes = gather_all_now(&plan.sources, &context);
        let Outcome::Gathered(gathered) = &outcomes[0] else {
            panic!("not gathered");
        };
        assert!(
            !gathered.is_retained(),
            "the text would undo the wrapper's change"
        );
        for _ in 0..2 {
            let merged = loader.merge(&plan, &mut outcomes, Gatherings::Kept);
            let port = merged.values[0]
                .as_ref()
                .map(|v| v.raw.texts().collect::<Vec<_>>());
            assert_eq!(port, Some(vec!["9"]));
        }
    }

    #[test]
    fn the_kept_text_is_never_shown() {
        let origin = crate::Origin::Default;
        let retained = super::Retained::new(
            "token = \"canary-4417\"".into(),
            crate::Format::Toml,
            &origin,
        );
        assert!(!format!("{retained:?}").contains("canary-4417"));
        // Nor a document held with its keys in the text.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("small.toml");
        std::fs::write(&path, "name = \"canary-4417\"\n[t]\nport = 7\n").unwrap();
        let loader = Small::loader().file(&path);
        let outcomes = gather_all_now(&loader.plan().sources, &loader.context());
        let Outcome::Gathered(gathered) = &outcomes[0] else {
            panic!("not gathered");
        };
        assert!(
            gathered.entries.is_empty(),
            "held with its keys in the text"
        );
        let shown = format!("{gathered:?}");
        assert!(
            shown.contains("SpannedDoc") && !shown.contains("canary-4417"),
            "{shown}"
        );
    }
}
