//! Files as sources: TOML, YAML or JSON documents ([`File`]) and `.env` files ([`Dotenv`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Entry, GatherContext, Gathered, Gathering, Layering, Problem, Source, WatchedPath};
use crate::format::{self, Format};
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
    path: PathBuf,
    presence: Presence,
}

impl File {
    /// A file that must exist.
    pub fn required(path: impl Into<PathBuf>) -> Self {
        File {
            path: path.into(),
            presence: Presence::Required,
        }
    }

    /// A file that is skipped when missing.
    pub fn optional(path: impl Into<PathBuf>) -> Self {
        File {
            path: path.into(),
            presence: Presence::Optional,
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Source for File {
    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn gather(&self, _: &GatherContext) -> Gathering<'_> {
        Gathering::Ready(Ok(read_document(&self.path, self.presence)))
    }

    fn watch_paths(&self) -> Vec<WatchedPath> {
        vec![WatchedPath::file(&self.path)]
    }

    fn for_profile(&self, profile: &str) -> Option<Arc<dyn Source>> {
        Some(Arc::new(File::optional(profile_file(&self.path, profile))))
    }
}

fn read_document(path: &Path, presence: Presence) -> Gathered {
    let whole = Origin::File {
        path: path.to_owned(),
        line: None,
    };
    let Some(format) = Format::from_path(path) else {
        let message = "unsupported file type; use .toml, .yaml, .yml or .json";
        return Gathered::failed(Problem::new(whole, message));
    };
    let text = match read_text(path, presence, &whole) {
        Ok(Some(text)) => text,
        Ok(None) => return Gathered::new(Vec::new()),
        Err(problem) => return Gathered::failed(problem),
    };
    match format::parse_file(format, &text) {
        Ok(table) => Gathered::new(vec![Entry::document(table, whole)]),
        Err(e) => {
            let origin = Origin::File {
                path: path.to_owned(),
                line: e.line,
            };
            let message = format!("invalid {format:?} file: {}", e.message);
            Gathered::failed(Problem::new(origin, message))
        }
    }
}

/// A `.env` file (`Loader::dotenv`): its variables never override the process environment.
#[derive(Debug, Clone)]
pub struct Dotenv {
    path: PathBuf,
    presence: Presence,
}

impl Dotenv {
    /// A `.env` file that must exist.
    pub fn required(path: impl Into<PathBuf>) -> Self {
        Dotenv {
            path: path.into(),
            presence: Presence::Required,
        }
    }

    /// A `.env` file that is skipped when missing.
    pub fn optional(path: impl Into<PathBuf>) -> Self {
        Dotenv {
            path: path.into(),
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

    fn gather(&self, _: &GatherContext) -> Gathering<'_> {
        Gathering::Ready(Ok(read_dotenv(&self.path, self.presence)))
    }

    fn watch_paths(&self) -> Vec<WatchedPath> {
        vec![WatchedPath::file(&self.path)]
    }

    fn for_profile(&self, profile: &str) -> Option<Arc<dyn Source>> {
        let mut name = self.path.as_os_str().to_owned();
        name.push(format!(".{profile}"));
        Some(Arc::new(Dotenv::optional(PathBuf::from(name))))
    }
}

fn read_dotenv(path: &Path, presence: Presence) -> Gathered {
    let whole = Origin::File {
        path: path.to_owned(),
        line: None,
    };
    let text = match read_text(path, presence, &whole) {
        Ok(Some(text)) => text,
        Ok(None) => return Gathered::new(Vec::new()),
        Err(problem) => return Gathered::failed(problem),
    };
    match format::parse_dotenv(&text) {
        Ok(parsed) => {
            let entries = parsed
                .into_iter()
                .map(|entry| {
                    let origin = Origin::Dotenv {
                        path: path.to_owned(),
                        line: entry.line,
                    };
                    Entry::variable(entry.key, entry.value, origin)
                })
                .collect();
            Gathered::new(entries)
        }
        Err(e) => {
            let origin = Origin::File {
                path: path.to_owned(),
                line: e.line,
            };
            let message = format!("invalid .env file: {}", e.message);
            Gathered::failed(Problem::new(origin, message))
        }
    }
}

/// Reads a whole file; `Ok(None)` when it is missing and optional.
pub(crate) fn read_text(
    path: &Path,
    presence: Presence,
    origin: &Origin,
) -> Result<Option<String>, Problem> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match presence {
            Presence::Optional => Ok(None),
            Presence::Required => Err(Problem::new(origin.clone(), "file not found")),
        },
        Err(e) => Err(Problem::new(
            origin.clone(),
            format!("cannot read the file: {e}"),
        )),
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
