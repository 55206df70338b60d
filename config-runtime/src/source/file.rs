//! Files as sources: TOML, YAML or JSON documents ([`File`]) and `.env` files ([`Dotenv`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{
    Entry, GatherContext, Gathered, Gathering, Layering, Problem, Retained, Source, WatchedPath,
    encrypted,
};
use crate::format::{self, Document, Format, FormatError, strip_bom};
use crate::origin::Origin;

/// Whether a missing file is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Presence {
    Required,
    Optional,
}

/// A TOML, YAML or JSON file, chosen by extension (`Loader::file`, `Loader::file_optional`).
#[derive(Debug, Clone)]
pub struct File {
    /// Shared with the origin of every value read from it.
    path: Arc<Path>,
    presence: Presence,
}

impl File {
    /// A file that must exist.
    pub fn required(path: impl Into<PathBuf>) -> Self {
        File {
            path: Arc::from(path.into()),
            presence: Presence::Required,
        }
    }

    /// A file that is skipped when missing.
    pub fn optional(path: impl Into<PathBuf>) -> Self {
        File {
            path: Arc::from(path.into()),
            presence: Presence::Optional,
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// [`Source::gather`] for the loader, which reads a plain document's keys in its kept
    /// text rather than in a value tree (see `format::SpannedDoc`).
    pub(crate) fn gather_keeping_text(&self, context: &GatherContext) -> Gathering<'static> {
        read_document(&self.path, self.presence, context, Keys::InText)
    }
}

/// Where a file's document keeps its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keys {
    /// Copied into a value tree, the entries every source gives.
    Copied,
    /// Left in the kept text when the layout allows.
    InText,
}

impl Source for File {
    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn gather(&self, context: &GatherContext) -> Gathering<'_> {
        read_document(&self.path, self.presence, context, Keys::Copied)
    }

    fn watch_paths(&self) -> Vec<WatchedPath> {
        vec![WatchedPath::file(&*self.path)]
    }

    fn for_profile(&self, profile: &str) -> Option<Arc<dyn Source>> {
        Some(Arc::new(File::optional(profile_file(&self.path, profile))))
    }
}

fn read_document(
    path: &Arc<Path>,
    presence: Presence,
    context: &GatherContext,
    keys: Keys,
) -> Gathering<'static> {
    let whole = Origin::File {
        path: Arc::clone(path),
        line: None,
    };
    let ready = |gathered| Gathering::Ready(Ok(gathered));
    let Some(format) = Format::from_path(path) else {
        let message = "unsupported file type; use .toml, .yaml, .yml or .json";
        return ready(Gathered::failed(Problem::new(whole, message)));
    };
    let mut text = match read_text(path, presence, &whole, context.max_file_size()) {
        Ok(Some(text)) => text,
        Ok(None) => return ready(Gathered::new(Vec::new())),
        Err(problem) => return ready(Gathered::failed(problem)),
    };
    let parsed = match keys {
        Keys::InText => format::parse_file_kept(format, &text),
        Keys::Copied => format::parse_file(format, &text).map(Document::Tree),
    };
    let parsed = match parsed {
        // A document that may be encrypted (its `sops` table) is read from its tree.
        Ok(Document::Spanned(document))
            if !document.has_top_level(encrypted::METADATA, strip_bom(&text)) =>
        {
            let retained = Retained::spanned(text, format, &whole, document);
            return ready(Gathered::default().retaining(retained));
        }
        Ok(Document::Spanned(document)) => Ok(document.into_tree(strip_bom(&text))),
        Ok(Document::Tree(table)) => Ok(table),
        Err(e) => Err(e),
    };
    ready(match parsed {
        Ok(table) if encrypted::is_sops_document(&table) => {
            return encrypted::sops_document(format, &text, table, &whole, context);
        }
        Ok(table) => {
            let retained = Retained::new(text, format, &whole);
            Gathered::new(vec![Entry::document(table, whole)]).retaining(retained)
        }
        Err(e) => {
            // The text is not kept: a malformed file may still hold secrets.
            crate::secret::wipe_text(&mut text);
            Gathered::failed(invalid_document(&whole, format, e))
        }
    })
}

/// A document that does not parse as `format`: the parser's message, at the line it gave.
pub(super) fn invalid_document(whole: &Origin, format: Format, error: FormatError) -> Problem {
    let origin = match whole {
        Origin::File { path, .. } => Origin::File {
            path: Arc::clone(path),
            line: error.line,
        },
        other => other.clone(),
    };
    Problem::new(origin, format!("invalid {format} file: {}", error.message))
}

/// A `.env` file (`Loader::dotenv`): its variables never override the process environment.
#[derive(Debug, Clone)]
pub struct Dotenv {
    /// Shared with the origin of every value read from it.
    path: Arc<Path>,
    presence: Presence,
}

impl Dotenv {
    /// A `.env` file that must exist.
    pub fn required(path: impl Into<PathBuf>) -> Self {
        Dotenv {
            path: Arc::from(path.into()),
            presence: Presence::Required,
        }
    }

    /// A `.env` file that is skipped when missing.
    pub fn optional(path: impl Into<PathBuf>) -> Self {
        Dotenv {
            path: Arc::from(path.into()),
            presence: Presence::Optional,
        }
    }
}

impl Source for Dotenv {
    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn layering(&self) -> Layering {
        Layering::UnderEnvironment
    }

    fn gather(&self, context: &GatherContext) -> Gathering<'_> {
        match read_dotenv(&self.path, self.presence, context) {
            Gathering::Ready(Ok(gathered)) => {
                Gathering::Ready(Ok(super::var_file::read_named_files(gathered, context)))
            }
            Gathering::Pending(future) => {
                let context = context.clone();
                Gathering::Pending(Box::pin(async move {
                    let gathered = future.await?;
                    Ok(super::var_file::read_named_files(gathered, &context))
                }))
            }
            failed => failed,
        }
    }

    fn watch_paths(&self) -> Vec<WatchedPath> {
        vec![WatchedPath::file(&*self.path)]
    }

    fn for_profile(&self, profile: &str) -> Option<Arc<dyn Source>> {
        let mut name = self.path.as_os_str().to_owned();
        name.push(format!(".{profile}"));
        Some(Arc::new(Dotenv::optional(PathBuf::from(name))))
    }
}

fn read_dotenv(
    path: &Arc<Path>,
    presence: Presence,
    context: &GatherContext,
) -> Gathering<'static> {
    let whole = Origin::File {
        path: Arc::clone(path),
        line: None,
    };
    let ready = |gathered| Gathering::Ready(Ok(gathered));
    let text = match read_text(path, presence, &whole, context.max_file_size()) {
        Ok(Some(text)) => text,
        Ok(None) => return ready(Gathered::new(Vec::new())),
        Err(problem) => return ready(Gathered::failed(problem)),
    };
    if encrypted::is_sops_dotenv(&text) {
        return encrypted::sops_dotenv(&text, path, context);
    }
    ready(match format::parse_dotenv(&text) {
        Ok(parsed) => {
            let entries = parsed
                .into_iter()
                .map(|entry| {
                    let origin = Origin::Dotenv {
                        path: Arc::clone(path),
                        line: entry.line,
                    };
                    Entry::variable(entry.key, entry.value, origin)
                })
                .collect::<Vec<_>>();
            if encrypted::has_dotenvx_values(&entries) {
                return ready(encrypted::dotenvx(entries, path, context));
            }
            Gathered::new(entries)
        }
        Err(e) => {
            let origin = Origin::File {
                path: Arc::clone(path),
                line: e.line,
            };
            let message = format!("invalid .env file: {}", e.message);
            Gathered::failed(Problem::new(origin, message))
        }
    })
}

/// Reads a whole file; `Ok(None)` when it is missing and optional.
pub(crate) fn read_text(
    path: &Path,
    presence: Presence,
    origin: &Origin,
    max_size: u64,
) -> Result<Option<String>, Problem> {
    match read_limited(path, max_size) {
        Ok(text) => Ok(Some(text)),
        Err(ReadFailure::Missing) => match presence {
            Presence::Optional => Ok(None),
            Presence::Required => Err(Problem::new(origin.clone(), "file not found")),
        },
        Err(ReadFailure::Refused(message)) => Err(Problem::new(origin.clone(), message)),
    }
}

/// The default of `Loader::max_file_size`: 1 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 1024 * 1024;

/// Why [`read_limited`] gave no text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReadFailure {
    /// Nothing at the path.
    Missing,
    /// Not a regular file, too big, unreadable, not UTF-8: the message names the path.
    Refused(String),
}

/// The one way every source and reference reads a file: regular files only (a FIFO would
/// block, a device such as `/dev/zero` never ends), at most `max_size` bytes. The size is
/// checked from the metadata of the opened file and the read itself stops one byte past the
/// cap, since a file can grow while it is read. Messages name the path, never the content.
pub(crate) fn read_limited(path: &Path, max_size: u64) -> Result<String, ReadFailure> {
    use std::io::Read;

    let shown = path.display();
    let refuse = |what: String| ReadFailure::Refused(format!("cannot read {shown}: {what}"));
    let io_error = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ReadFailure::Missing
        } else {
            refuse(e.to_string())
        }
    };
    // `metadata` follows symlinks: a link to a device is a device.
    check_kind(&std::fs::metadata(path).map_err(io_error)?, max_size).map_err(&refuse)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        // A FIFO swapped in after the check must not block the open.
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(io_error)?;
    let meta = file.metadata().map_err(|e| refuse(e.to_string()))?;
    check_kind(&meta, max_size).map_err(&refuse)?;
    let expected = usize::try_from(meta.len()).unwrap_or(0);
    let mut bytes = Vec::with_capacity(expected.saturating_add(1));
    file.take(max_size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| refuse(e.to_string()))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > max_size {
        return Err(refuse(too_big(max_size)));
    }
    String::from_utf8(bytes).map_err(|_| refuse("the file is not valid UTF-8".to_owned()))
}

/// A regular file within the cap, or what it is instead.
fn check_kind(meta: &std::fs::Metadata, max_size: u64) -> Result<(), String> {
    let kind = meta.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() {
            "a directory"
        } else {
            special_kind(&kind)
        };
        return Err(format!("it is {what}, not a regular file"));
    }
    if meta.len() > max_size {
        return Err(too_big(max_size));
    }
    Ok(())
}

fn too_big(max_size: u64) -> String {
    format!(
        "the file is larger than the limit of {} (`Loader::max_file_size`)",
        show_size(max_size)
    )
}

#[cfg(unix)]
fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

/// `1 MiB`, `64 KiB`, or bytes.
pub(crate) fn show_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    if bytes >= KIB * KIB && bytes.is_multiple_of(KIB * KIB) {
        format!("{} MiB", bytes / (KIB * KIB))
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// `config.toml` + `production` → `config.production.toml`.
fn profile_file(path: &Path, profile: &str) -> PathBuf {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let name = match path.extension() {
        Some(ext) => format!("{stem}.{profile}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{profile}"),
    };
    path.with_file_name(name)
}

/// Files written by editors and `kubectl` end with a newline that is not part of the value.
pub(crate) fn trim_one_newline(text: &mut String) {
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::profile_file;
    use std::path::Path;

    #[test]
    fn profile_files_keep_their_extension() {
        assert_eq!(
            profile_file(Path::new("conf/config.toml"), "production"),
            Path::new("conf/config.production.toml")
        );
    }
}
