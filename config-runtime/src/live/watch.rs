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
use std::hash::{BuildHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{PollWatcher, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{
    DebounceEventResult, Debouncer, RecommendedCache, new_debouncer, new_debouncer_opt,
};
use tokio::sync::mpsc::UnboundedSender;

use super::WatchOptions;

/// One watched input: a file (`dir == false`) or a directory source.
#[derive(Debug, Clone)]
pub(crate) struct Input {
    pub path: PathBuf,
    pub dir: bool,
}

/// A keyed hash of the content of every input: missing files, read errors and directory
/// listings included, so any change a load could see changes the hash.
pub(crate) fn inputs_hash(inputs: &[Input], keys: &impl BuildHasher) -> u64 {
    let mut hasher = keys.build_hasher();
    for input in inputs {
        input.path.hash(&mut hasher);
        if input.dir {
            match std::fs::read_dir(&input.path) {
                Ok(entries) => {
                    let mut names: Vec<PathBuf> = entries
                        .filter_map(Result::ok)
                        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                        .map(|e| e.path())
                        .collect();
                    names.sort();
                    1u8.hash(&mut hasher);
                    for name in names {
                        name.hash(&mut hasher);
                        file_hash(&name, &mut hasher);
                    }
                }
                Err(e) => {
                    0u8.hash(&mut hasher);
                    e.kind().hash(&mut hasher);
                }
            }
        } else {
            file_hash(&input.path, &mut hasher);
        }
    }
    hasher.finish()
}

fn file_hash(path: &Path, hasher: &mut impl Hasher) {
    match std::fs::read(path) {
        Ok(bytes) => {
            1u8.hash(hasher);
            bytes.hash(hasher);
        }
        Err(e) => {
            0u8.hash(hasher);
            e.kind().hash(hasher);
        }
    }
}

/// The directories to watch for these inputs (absolute, existing).
fn watch_dirs(inputs: &[Input]) -> BTreeSet<PathBuf> {
    let mut dirs = BTreeSet::new();
    for input in inputs {
        let Ok(path) = std::path::absolute(&input.path) else {
            continue;
        };
        let resolved = std::fs::canonicalize(&path).ok();
        if input.dir {
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

/// The debounced watcher of a `Live`: owned by its watch task, dropped with it (which stops
/// notify's threads).
pub(crate) struct Watcher {
    backend: Option<Backend>,
    watched: BTreeSet<PathBuf>,
    debounce: Duration,
    poll_interval: Duration,
    notify: UnboundedSender<()>,
}

impl Watcher {
    /// Starts watching `inputs`; every debounced batch of events sends `()` on `notify`.
    pub fn start(inputs: &[Input], options: &WatchOptions, notify: UnboundedSender<()>) -> Self {
        let debounce = options.debounce;
        let mut watcher = Watcher {
            backend: None,
            watched: BTreeSet::new(),
            debounce,
            poll_interval: options.poll_interval,
            notify,
        };
        if options.force_poll {
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
            match &result {
                Ok(_) => {}
                Err(errors) => {
                    for error in errors {
                        tracing::debug!(error = %error, "config watcher error");
                    }
                }
            }
            // Errors too: a look at the content costs little and may find a change.
            let _ = notify.send(());
        }
    }

    fn poll_backend(&self) -> Option<Backend> {
        let config = notify::Config::default()
            .with_poll_interval(self.poll_interval)
            .with_compare_contents(true);
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
    pub fn sync(&mut self, inputs: &[Input]) {
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
