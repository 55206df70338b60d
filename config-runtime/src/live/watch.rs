//! Watching the inputs of a loader: files (`.env` included) and directories.
//!
//! - Each file is watched through its PARENT directory, never the file itself: editors replace
//!   files by rename and Kubernetes swaps a `..data` symlink, both of which end a watch on the
//!   file. When a path is (or goes through) a symlink, the directory of its resolved target is
//!   watched too. A directory that does not exist yet is watched through its nearest existing
//!   ancestor. The set is re-resolved after every batch of events.
//! - Events only say "look again": what decides a reload is a keyed hash of the content of every
//!   input ([`inputs_hash`]), so duplicate events and unrelated files cause no reload.
//! - The native watcher (inotify, FSEvents, …) is used when it can be created and can watch;
//!   otherwise notify's `PollWatcher` takes over, and the log says so.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use notify::{PollWatcher, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{
    DebounceEventResult, Debouncer, RecommendedCache, new_debouncer, new_debouncer_opt,
};
use tokio::sync::mpsc::UnboundedSender;

use crate::source::{PathKind, WatchedPath};

/// A cheap signature of a watched path, read with `stat` only (no content is read): a
/// file's size, modification time and inode (through symlinks, so a Kubernetes `..data` swap
/// shows), or for a directory the same of each visible entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Stamp(Vec<(PathBuf, Option<FileStat>)>);

/// Size, modification time and inode of one file.
type FileStat = (u64, Option<SystemTime>, u64);

impl Stamp {
    /// Whether the path is a file with content (its size, from `stat`).
    pub(crate) fn has_content(&self) -> bool {
        matches!(self.0.first(), Some((_, Some((size, ..)))) if *size > 0)
    }

    /// Whether the path is an empty file.
    pub(crate) fn is_empty_file(&self) -> bool {
        matches!(self.0.first(), Some((_, Some((0, ..)))))
    }
}

/// The [`Stamp`] of `input` now.
pub(crate) fn stamp(input: &WatchedPath) -> Stamp {
    let one = |path: &Path| {
        std::fs::metadata(path).ok().map(|meta| {
            #[cfg(unix)]
            let inode = std::os::unix::fs::MetadataExt::ino(&meta);
            #[cfg(not(unix))]
            let inode = 0;
            (meta.len(), meta.modified().ok(), inode)
        })
    };
    let mut parts = vec![(input.path.clone(), one(&input.path))];
    if input.kind == PathKind::Dir {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&input.path)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| e.path())
            .collect();
        names.sort();
        parts.extend(names.into_iter().map(|name| {
            let meta = one(&name);
            (name, meta)
        }));
    }
    Stamp(parts)
}

/// Whether a batch of event paths touches `input`: the file itself, or an entry of the
/// directory source.
pub(crate) fn touches(input: &WatchedPath, events: &[PathBuf]) -> bool {
    let Ok(path) = std::path::absolute(&input.path) else {
        return false;
    };
    events.iter().any(|event| {
        *event == path || (input.kind == PathKind::Dir && event.parent() == Some(path.as_path()))
    })
}

/// The directories to watch for these inputs (absolute, existing).
fn watch_dirs(inputs: &[WatchedPath]) -> BTreeSet<PathBuf> {
    let mut dirs = BTreeSet::new();
    for input in inputs {
        let Ok(path) = std::path::absolute(&input.path) else {
            continue;
        };
        let resolved = std::fs::canonicalize(&path).ok();
        if input.kind == PathKind::Dir {
            // The directory itself (Kubernetes swaps `..data` inside it), its parent (it may be
            // replaced or created), and where its symlinked entries really live.
            dirs.insert(existing(&path));
            if let Some(parent) = path.parent() {
                dirs.insert(existing(parent));
            }
            if let Some(resolved) = &resolved {
                dirs.insert(resolved.clone());
                for entry in std::fs::read_dir(resolved).into_iter().flatten().flatten() {
                    let is_link = entry.file_type().is_ok_and(|t| t.is_symlink());
                    if is_link
                        && let Ok(target) = std::fs::canonicalize(entry.path())
                        && let Some(parent) = target.parent()
                    {
                        dirs.insert(parent.to_owned());
                    }
                }
            }
        } else {
            if let Some(parent) = path.parent() {
                dirs.insert(existing(parent));
            }
            if let Some(parent) = resolved.as_deref().and_then(Path::parent) {
                dirs.insert(parent.to_owned());
            }
        }
    }
    dirs
}

/// `path` if it is a directory, else its nearest existing ancestor.
fn existing(path: &Path) -> PathBuf {
    let mut current = path;
    loop {
        if current.is_dir() {
            return current.to_owned();
        }
        match current.parent() {
            Some(parent) => current = parent,
            None => return current.to_owned(),
        }
    }
}

enum Backend {
    Native(Debouncer<RecommendedWatcher, RecommendedCache>),
    Poll(Debouncer<PollWatcher, RecommendedCache>),
}

impl Backend {
    fn watch(&mut self, dir: &Path) -> notify::Result<()> {
        match self {
            Backend::Native(d) => d.watch(dir, RecursiveMode::NonRecursive),
            Backend::Poll(d) => d.watch(dir, RecursiveMode::NonRecursive),
        }
    }

    fn unwatch(&mut self, dir: &Path) -> notify::Result<()> {
        match self {
            Backend::Native(d) => d.unwatch(dir),
            Backend::Poll(d) => d.unwatch(dir),
        }
    }
}

/// Whether an event can mean a content change (opening or reading a file cannot).
fn is_change(kind: &notify::EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode};
    match kind {
        notify::EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        notify::EventKind::Access(_) => false,
        _ => true,
    }
}

/// Which kind of watching a `Live` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WatchBackend {
    /// inotify, FSEvents, … (falls back to polling when it cannot watch).
    Native,
    /// notify's polling watcher.
    Poll,
}

/// The debounced watcher of a `Live`: owned by its watch task, dropped with it (which stops
/// notify's threads).
pub(crate) struct Watcher {
    backend: Option<Backend>,
    watched: BTreeSet<PathBuf>,
    debounce: Duration,
    poll_interval: Duration,
    notify: UnboundedSender<Vec<PathBuf>>,
}

impl Watcher {
    /// Starts watching `inputs`; every debounced batch of events sends its paths on `notify`.
    pub fn start(
        inputs: &[WatchedPath],
        debounce: Duration,
        poll_interval: Duration,
        backend: WatchBackend,
        notify: UnboundedSender<Vec<PathBuf>>,
    ) -> Self {
        let mut watcher = Watcher {
            backend: None,
            watched: BTreeSet::new(),
            debounce,
            poll_interval,
            notify,
        };
        if backend == WatchBackend::Poll {
            watcher.backend = watcher.poll_backend();
        } else {
            let handler = watcher.handler();
            match new_debouncer(debounce, None, handler) {
                Ok(debouncer) => watcher.backend = Some(Backend::Native(debouncer)),
                Err(e) => {
                    tracing::warn!(
                        error = %e,
                        "cannot create a native file watcher; polling for config changes instead"
                    );
                    watcher.backend = watcher.poll_backend();
                }
            }
        }
        watcher.sync(inputs);
        watcher
    }

    /// Whether the watcher polls (the fallback) rather than using native events.
    pub fn is_polling(&self) -> bool {
        matches!(self.backend, Some(Backend::Poll(_)))
    }

    fn handler(&self) -> impl FnMut(DebounceEventResult) + Send + 'static {
        let notify = self.notify.clone();
        move |result: DebounceEventResult| {
            let mut errors_seen = false;
            let paths: Vec<PathBuf> = match result {
                // Reads (ours included) are not changes; a close after writing is.
                Ok(events) => events
                    .into_iter()
                    .filter(|event| is_change(&event.event.kind))
                    .flat_map(|event| event.event.paths)
                    .collect(),
                Err(errors) => {
                    errors_seen = true;
                    for error in errors {
                        tracing::debug!(error = %error, "config watcher error");
                    }
                    // A look at every input's stamp costs little and may find a change.
                    Vec::new()
                }
            };
            if !paths.is_empty() || errors_seen {
                let _ = notify.send(paths);
            }
        }
    }

    fn poll_backend(&self) -> Option<Backend> {
        // Content is never read by the watcher (it would open every file of the watched
        // directories on every poll, whatever their size or kind): the watch task compares
        // `stat` stamps on each poll interval, which also sees the changes that the polling
        // watcher's whole-second modification times miss.
        let config = notify::Config::default()
            .with_poll_interval(self.poll_interval)
            .with_compare_contents(false);
        let created = new_debouncer_opt::<_, PollWatcher, RecommendedCache>(
            self.debounce,
            None,
            self.handler(),
            RecommendedCache::new(),
            config,
        );
        match created {
            Ok(debouncer) => {
                tracing::info!(
                    interval = ?self.poll_interval,
                    "watching config files by polling"
                );
                Some(Backend::Poll(debouncer))
            }
            Err(e) => {
                tracing::error!(
                    error = %e,
                    "cannot watch config files at all; only explicit reloads will apply changes"
                );
                None
            }
        }
    }

    /// Re-resolves the directories to watch (symlinks may point elsewhere now, directories may
    /// have appeared) and updates the watches. Never fails: problems are logged.
    pub fn sync(&mut self, inputs: &[WatchedPath]) {
        let wanted = watch_dirs(inputs);
        let Some(backend) = self.backend.as_mut() else {
            return;
        };
        for gone in self.watched.difference(&wanted) {
            // The directory may be gone already, which ends its watch anyway.
            let _ = backend.unwatch(gone);
        }
        self.watched.retain(|dir| wanted.contains(dir));
        let mut failed = false;
        for dir in wanted.difference(&self.watched.clone()) {
            match backend.watch(dir) {
                Ok(()) => {
                    self.watched.insert(dir.clone());
                }
                Err(e) if matches!(e.kind, notify::ErrorKind::PathNotFound) => {
                    tracing::debug!(dir = %dir.display(), "config directory vanished before it could be watched");
                }
                Err(e) => {
                    tracing::warn!(dir = %dir.display(), error = %e, "cannot watch a config directory");
                    failed = true;
                }
            }
        }
        if failed && matches!(self.backend, Some(Backend::Native(_))) {
            tracing::warn!(
                "the native file watcher cannot watch every config directory; polling instead"
            );
            self.backend = self.poll_backend();
            self.watched.clear();
            if let Some(backend) = self.backend.as_mut() {
                for dir in &wanted {
                    if backend.watch(dir).is_ok() {
                        self.watched.insert(dir.clone());
                    }
                }
            }
        }
    }
}
