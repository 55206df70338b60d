//! Writing files the way real writers do, for the tests that watch them.

use std::path::Path;

/// Replaces `path` with `text` atomically, as an editor saves: writes a hidden sibling
/// (`.<name>.swp`), then renames it over `path`.
pub fn save(path: &Path, text: &str) {
    let name = path.file_name().expect("a file path").to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.swp"));
    std::fs::write(&tmp, text).expect("write the temporary file");
    std::fs::rename(&tmp, path).expect("rename it over the file");
}

/// `text` with the base64 character at byte `at` changed to another valid one: a value or
/// tag tampered with, still well-formed.
pub fn tampered(text: &str, at: usize) -> String {
    let mut changed = text.to_owned();
    let flipped = if &text[at..=at] == "A" { "B" } else { "A" };
    changed.replace_range(at..=at, flipped);
    changed
}
