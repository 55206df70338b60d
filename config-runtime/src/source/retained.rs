//! The text a file's document was parsed from, kept with its gathering.
//!
//! `Live` keeps every source's gathering between reloads: a reload that gathers one source
//! again merges the others as they were. The merge would have to copy each text of a kept
//! tree into its slots (the tree stays whole for the next merge). A gathering that keeps the
//! text it was parsed from lets the merge move the texts instead, and then holds no tree (it
//! is spent): a later merge that needs it (a runtime override, a secret's new version)
//! parses the text again, which reads no file. Parsing is pure, so the tree is the same.

use std::fmt;

use crate::format::Format;
use crate::origin::Origin;

/// The text of a document and what it was parsed as. Wiped when dropped; never shown.
#[derive(Clone)]
pub(crate) struct Retained {
    text: String,
    format: Format,
    /// The origin of the document as a whole (its path, no line).
    origin: Origin,
}

impl Retained {
    /// `text`, which parsed as a document of `format` into a gathering's entries.
    pub(crate) fn new(text: String, format: Format, origin: &Origin) -> Self {
        Retained {
            text,
            format,
            origin: origin.clone(),
        }
    }

    /// The entry of the whole document: the text parsed again (parsing is pure, so it parses
    /// as the first time; were it ever not to, the problem says so).
    #[cfg(feature = "live")]
    pub(super) fn parse(&self) -> Result<super::Entry, super::Problem> {
        match crate::format::parse_file(self.format, &self.text) {
            Ok(table) => Ok(super::Entry::document(table, self.origin.clone())),
            Err(e) => Err(super::file::invalid_document(&self.origin, self.format, e)),
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
        crate::secret::wipe_text(&mut self.text);
    }
}

impl fmt::Debug for Retained {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retained")
            .field("format", &self.format)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, feature = "live"))]
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
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("small.toml");
        std::fs::write(&path, "port = 7\nname = \"api\"\n").unwrap();
        let loader = Small::loader().file(&path);
        let (plan, context) = (loader.plan(), loader.context());
        let mut outcomes = gather_all_now(&plan.sources, &context);
        let Outcome::Gathered(fresh) = &outcomes[0] else {
            panic!("not gathered");
        };
        let (fresh_entries, version) = (format!("{:?}", fresh.entries), fresh.current_version());
        assert!(fresh.is_retained());

        let texts = |outcomes: &mut Vec<Outcome>| {
            let merged = loader.merge(&plan, outcomes, Gatherings::Kept);
            let text = |value: &Option<crate::origin::Sourced>| match value.as_ref().map(|v| &v.raw)
            {
                Some(RawValue::Str(text)) => text.clone(),
                _ => panic!("not a text"),
            };
            merged.values.iter().map(text).collect::<Vec<_>>()
        };
        assert_eq!(texts(&mut outcomes), ["7", "api"]);
        let Outcome::Gathered(spent) = &mut outcomes[0] else {
            panic!("not gathered");
        };
        assert!(spent.entries.is_empty(), "the merge moved the texts out");
        assert_eq!(
            spent.current_version(),
            version,
            "a version reads the kept text"
        );

        spent.restore();
        assert_eq!(format!("{:?}", spent.entries), fresh_entries);
        assert_eq!(texts(&mut outcomes), ["7", "api"], "merged again the same");
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
    }
}
