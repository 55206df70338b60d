//! `NAME_FILE`: a variable that names the file holding the value of `NAME` (Docker and
//! Kubernetes secrets mounted as files). The environment, maps and `.env` files all read it.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use super::file::{ReadFailure, read_limited, trim_one_newline};
use super::{Entry, GatherContext, Gathered, Name, Problem, Trust};
use crate::format::FileValue;
use crate::origin::Origin;

/// What marks a variable as naming a file.
const SUFFIX: &str = "_FILE";

/// Whether `name` could be a `NAME_FILE` variable: a source that sees none while it reads
/// its names need not call [`read_named_files`] (which reads every entry again).
pub(crate) fn may_name_a_file(name: &str) -> bool {
    name.ends_with(SUFFIX)
}

/// The variable `name` stands for when it is `NAME_FILE` and `NAME` is a variable a field
/// reads; `None` for every other name, and for a field's own variable that happens to end in
/// `_FILE` (`APP_KEY_FILE` of a field `key_file` is that field's value, not a file of it).
pub(crate) fn target<'n>(context: &GatherContext, name: &'n str) -> Option<&'n str> {
    let base = name.strip_suffix(SUFFIX)?;
    let schema = context.schema;
    (!base.is_empty() && schema.by_env.contains_key(base) && !schema.by_env.contains_key(name))
        .then_some(base)
}

/// Replaces each `NAME_FILE` entry of one source with `NAME` holding the file's content (one
/// trailing newline trimmed, read with the loader's limits). The content is literal and never
/// quoted ([`Trust::FileContent`]); its origin is the file. Setting both `NAME` and
/// `NAME_FILE` in one source is an error naming both; a file that cannot be read is an error
/// naming the variable and the path. Either way the field is reported once, never as unset.
pub(crate) fn read_named_files(mut gathered: Gathered, context: &GatherContext) -> Gathered {
    if !(gathered.entries.iter()).any(|entry| stands_for(entry, context).is_some()) {
        return gathered;
    }
    let direct: HashSet<String> = (gathered.entries.iter())
        .filter(|entry| stands_for(entry, context).is_none())
        .filter_map(|entry| match &entry.name {
            Name::Variable(name) => Some(name.clone()),
            _ => None,
        })
        .collect();
    let mut failed = HashSet::new();
    for entry in std::mem::take(&mut gathered.entries) {
        let Some(base) = stands_for(&entry, context).map(str::to_owned) else {
            gathered.entries.push(entry);
            continue;
        };
        match read_one(&base, entry, &direct, context) {
            Ok(entry) => gathered.entries.push(entry),
            Err(problem) => {
                gathered.problems.push(problem);
                failed.insert(base);
            }
        }
    }
    // A field whose file failed is reported once: its other value in this source is dropped.
    (gathered.entries)
        .retain(|entry| !matches!(&entry.name, Name::Variable(name) if failed.contains(name)));
    gathered
}

/// The file's content as the entry of `base`, or why not.
fn read_one(
    base: &str,
    entry: Entry,
    direct: &HashSet<String>,
    context: &GatherContext,
) -> Result<Entry, Problem> {
    let (Name::Variable(variable), FileValue::Scalar(path)) = (entry.name, entry.value) else {
        unreachable!("only variables stand for a file");
    };
    let path = PathBuf::from(path);
    let origin = Origin::VarFile {
        var: variable.clone(),
        path: Arc::from(path.as_path()),
    };
    if direct.contains(base) {
        let message = format!("both {base} and {variable} are set; set only one of them");
        return Err(Problem::of_variable(base, origin, message));
    }
    match read_limited(&path, context.max_file_size()) {
        Ok(mut text) => {
            trim_one_newline(&mut text);
            Ok(Entry::variable(base, text, origin).with_trust(Trust::FileContent))
        }
        Err(ReadFailure::Missing) => Err(Problem::of_variable(base, origin, "file not found")),
        Err(ReadFailure::Refused(message)) => Err(Problem::of_variable(base, origin, message)),
    }
}

/// The variable an entry stands for, when it is a `NAME_FILE` variable.
fn stands_for<'e>(entry: &'e Entry, context: &GatherContext) -> Option<&'e str> {
    match (&entry.name, &entry.value) {
        (Name::Variable(name), FileValue::Scalar(_)) => target(context, name),
        _ => None,
    }
}
