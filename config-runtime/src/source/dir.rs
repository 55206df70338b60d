//! A directory with one file per key (`Loader::dir`), as Kubernetes mounts secrets.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::file::{ReadFailure, read_limited, trim_one_newline};
use super::{Entry, GatherContext, Gathered, Gathering, Problem, Source, WatchedPath};
use crate::origin::Origin;

/// A directory whose files are named by key path (`redis.port`) or variable
/// (`APP_REDIS_PORT`); one trailing newline is trimmed, files that name no key are not read,
/// hidden entries (Kubernetes' `..data`) are skipped.
#[derive(Debug, Clone)]
pub struct Dir {
    path: PathBuf,
}

impl Dir {
    /// The directory at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Dir { path: path.into() }
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Source for Dir {
    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn gather(&self, context: &GatherContext) -> Gathering<'_> {
        Gathering::Ready(Ok(read_dir(&self.path, context)))
    }

    fn watch_paths(&self) -> Vec<WatchedPath> {
        vec![WatchedPath::dir(&self.path)]
    }
}

fn read_dir(dir: &Path, context: &GatherContext) -> Gathered {
    let listing = match std::fs::read_dir(dir) {
        Ok(listing) => listing,
        Err(e) => {
            let origin = Origin::Dir {
                path: Arc::from(dir),
            };
            return Gathered::failed(Problem::new(
                origin,
                format!("cannot read the directory: {e}"),
            ));
        }
    };
    let mut found: Vec<(String, PathBuf)> = listing
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let wanted = !name.starts_with('.') && context.names_a_field(&name);
            wanted.then(|| (name, entry.path()))
        })
        .collect();
    found.sort();
    let mut entries = Vec::with_capacity(found.len());
    let mut problems = Vec::new();
    for (name, path) in found {
        let origin = Origin::Dir {
            path: Arc::from(path.as_path()),
        };
        match read_limited(&path, context.max_file_size()) {
            Ok(mut text) => {
                trim_one_newline(&mut text);
                entries.push(Entry::key(name, text, origin));
            }
            // Removed since the listing: as if it had not been there.
            Err(ReadFailure::Missing) => {}
            Err(ReadFailure::Refused(message)) => {
                // Reported as its field's problem, so the field is not also "required".
                let field = context
                    .schema
                    .field(&name)
                    .or_else(|| context.schema.field_by_env(&name));
                problems.push(match field {
                    Some(field) => Problem::of_variable(field.env.clone(), origin, message),
                    None => Problem::new(origin, message),
                });
            }
        }
    }
    problems
        .into_iter()
        .fold(Gathered::new(entries), Gathered::with_problem)
}
