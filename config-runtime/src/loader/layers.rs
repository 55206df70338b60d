//! Merging sources: each source writes the values it has into one slot per leaf; a later
//! source overwrites an earlier one. Unknown variables and keys are found here.

use std::collections::HashSet;
use std::path::Path;

use super::Source;
use crate::error::{ErrorKind, FieldError, UnknownName};
use crate::format::{self, FileValue, Format, Located};
use crate::origin::{Origin, Sourced};
use crate::schema::Schema;
use crate::suggest;
use crate::value::RawValue;
use crate::warning::Warning;

/// The outcome of merging: what assembly reads.
pub(crate) struct Merged {
    pub values: Vec<Option<Sourced>>,
    pub failed: Vec<bool>,
    pub errors: Vec<FieldError>,
    pub warnings: Vec<Warning>,
}

/// Texts of secret fields and of provider values: scrubbed from every message.
pub(crate) fn secret_texts(schema: &Schema, values: &[Option<Sourced>]) -> Vec<String> {
    schema
        .fields
        .iter()
        .zip(values)
        .filter(|(field, _)| field.secret)
        .filter_map(|(_, value)| value.as_ref())
        .chain(values.iter().flatten().filter(|v| v.from_provider))
        .flat_map(|sourced| sourced.raw.texts())
        .map(str::to_owned)
        .collect()
}

/// The merge state of one load.
pub(crate) struct Layers<'s> {
    pub schema: &'s Schema,
    pub values: Vec<Option<Sourced>>,
    /// Fields whose error is already recorded (assembly skips them).
    pub failed: Vec<bool>,
    pub errors: Vec<FieldError>,
    pub warnings: Vec<Warning>,
    /// Variables that are not config keys but are expected (the profile variable).
    ignored_vars: Vec<String>,
    /// Section paths, to tell a nested table from an unknown key.
    sections: HashSet<&'s str>,
    /// Known variable names, for suggestions.
    known_vars: Vec<&'s str>,
    /// Which source (by sequence number) set each slot, and whether through an alias.
    set_by: Vec<Option<(usize, bool)>>,
    source_seq: usize,
}

impl<'s> Layers<'s> {
    pub fn new(schema: &'s Schema, profile_var: Option<&str>) -> Self {
        let mut values = vec![None; schema.fields.len()];
        for (slot, field) in values.iter_mut().zip(&schema.fields) {
            if let Some(raw) = field.default_raw {
                *slot = Some(Sourced::new(RawValue::Str(raw.to_owned()), Origin::Default));
            }
        }
        let errors = schema
            .problems
            .iter()
            .map(|message| {
                FieldError::config(ErrorKind::Schema {
                    message: message.clone(),
                })
            })
            .collect();
        Layers {
            schema,
            failed: vec![false; values.len()],
            values,
            errors,
            warnings: Vec::new(),
            ignored_vars: profile_var.into_iter().map(str::to_owned).collect(),
            sections: schema.sections.iter().map(|s| s.path.as_str()).collect(),
            known_vars: schema.fields.iter().map(|f| f.env.as_str()).collect(),
            set_by: vec![None; schema.fields.len()],
            source_seq: 0,
        }
    }

    /// The merged values, for assembly.
    pub fn finish(self) -> Merged {
        Merged {
            values: self.values,
            failed: self.failed,
            errors: self.errors,
            warnings: self.warnings,
        }
    }

    pub fn apply(&mut self, source: &Source, process_env_in_use: bool) {
        self.source_seq += 1;
        match source {
            Source::File { path, required } => self.apply_file(path, *required),
            Source::Dotenv { path, required } => {
                self.apply_dotenv(path, *required, process_env_in_use)
            }
            Source::Dir(path) => self.apply_dir(path),
            Source::Env => {
                let vars = std::env::vars_os().filter_map(|(name, value)| {
                    let name = name.into_string().ok()?;
                    Some((name, value.into_string()))
                });
                for (name, value) in vars {
                    match value {
                        Ok(value) => {
                            let origin = Origin::Env { var: name.clone() };
                            self.apply_var(&name, value, origin);
                        }
                        Err(_) if self.schema.by_env.contains_key(&name) => {
                            let index = self.schema.by_env[&name];
                            self.failed[index] = true;
                            let error = FieldError::key(
                                self.schema.fields[index].path.clone(),
                                Some(name.clone()),
                                Some(Origin::Env { var: name }),
                                ErrorKind::Source {
                                    message: "the value is not valid UTF-8".to_owned(),
                                },
                            );
                            self.errors.push(error);
                        }
                        Err(_) => {}
                    }
                }
            }
            Source::Map(vars) => {
                for (name, value) in vars {
                    let origin = Origin::Env { var: name.clone() };
                    self.apply_var(name, value.clone(), origin);
                }
            }
            Source::Remote(handle) => self.apply_remote(&handle.source.describe(), None),
            Source::Set { key, value } => self.apply_keyed(key, value, Origin::Override),
        }
    }

    /// What a remote source answered: each key by path or variable name; unknown keys are
    /// errors, like in files. `None`: not fetched (a synchronous load).
    pub fn apply_remote(
        &mut self,
        name: &str,
        entries: Option<&Result<Vec<(String, String)>, crate::provider::ProviderError>>,
    ) {
        self.source_seq += 1;
        let whole = Origin::Remote {
            source: name.to_owned(),
            key: None,
        };
        let entries = match entries {
            Some(Ok(entries)) => entries,
            Some(Err(e)) => {
                self.source_error(whole, format!("cannot read the remote source: {e}"));
                return;
            }
            None => {
                let message =
                    "remote sources are fetched asynchronously: load with `.load_async().await`";
                self.source_error(whole, message.to_owned());
                return;
            }
        };
        for (key, value) in entries {
            let origin = Origin::Remote {
                source: name.to_owned(),
                key: Some(key.clone()),
            };
            self.apply_keyed(key, value, origin);
        }
    }

    /// One value named by key path or variable name (overrides, remote sources); an unknown
    /// key is an error with a suggestion.
    fn apply_keyed(&mut self, key: &str, value: &str, origin: Origin) {
        let index = self
            .schema
            .by_path
            .get(key)
            .or_else(|| self.schema.by_env.get(key));
        match index {
            Some(&index) => {
                self.values[index] = Some(Sourced::new(RawValue::Str(value.to_owned()), origin));
            }
            None => {
                let paths = self.schema.fields.iter().map(|f| f.path.as_str());
                let suggestion = suggest::closest(key, paths).map(str::to_owned);
                self.errors.push(FieldError::key(
                    key,
                    None,
                    Some(origin),
                    ErrorKind::Unknown {
                        what: UnknownName::Key,
                        suggestion,
                    },
                ));
            }
        }
    }

    /// One variable from the environment, a map or a `.env` file.
    fn apply_var(&mut self, name: &str, value: String, origin: Origin) {
        if let Some(&index) = self.schema.by_env.get(name) {
            let field = &self.schema.fields[index];
            let by_alias = field.env != name;
            if by_alias {
                self.warnings.push(Warning::DeprecatedAlias {
                    alias: name.to_owned(),
                    replacement: field.env.clone(),
                    origin: origin.clone(),
                });
                // Within one source the current name wins over a deprecated one.
                if self.set_by[index] == Some((self.source_seq, false)) {
                    return;
                }
            }
            self.set_by[index] = Some((self.source_seq, by_alias));
            self.values[index] = Some(Sourced::new(RawValue::Str(value), origin));
            return;
        }
        let Some(prefix) = self.schema.prefix else {
            return;
        };
        let is_prefixed = name.len() > prefix.len()
            && name.starts_with(prefix)
            && name.as_bytes()[prefix.len()] == b'_';
        if !is_prefixed || self.ignored_vars.iter().any(|v| v == name) {
            return;
        }
        let suggestion = self.suggest_var(name, prefix);
        self.errors.push(FieldError::variable(
            name,
            origin,
            ErrorKind::Unknown {
                what: UnknownName::Variable,
                suggestion,
            },
        ));
    }

    /// The known variable closest to `name`, comparing with and without the prefix, so
    /// `APP_DATABSE_URL` finds `DATABASE_URL`.
    fn suggest_var(&self, name: &str, prefix: &str) -> Option<String> {
        let strip = |n: &'s str| -> &'s str {
            n.strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('_'))
                .unwrap_or(n)
        };
        let bare = name[prefix.len() + 1..].to_owned();
        let stripped: Vec<&str> = self.known_vars.iter().map(|n| strip(n)).collect();
        let best = suggest::closest(&bare, stripped.iter().copied())?;
        self.known_vars
            .iter()
            .find(|known| strip(known) == best)
            .map(|known| (*known).to_owned())
    }

    fn source_error(&mut self, origin: Origin, message: String) {
        self.errors
            .push(FieldError::source(origin, ErrorKind::Source { message }));
    }

    /// Reads a file; `None` when it is missing and optional, or unreadable (error recorded).
    fn read(&mut self, path: &Path, required: bool, origin: Origin) -> Option<String> {
        match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => None,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.source_error(origin, "file not found".to_owned());
                None
            }
            Err(e) => {
                self.source_error(origin, format!("cannot read the file: {e}"));
                None
            }
        }
    }

    fn apply_dotenv(&mut self, path: &Path, required: bool, process_env_in_use: bool) {
        let whole = Origin::File {
            path: path.to_owned(),
            line: None,
        };
        let Some(text) = self.read(path, required, whole) else {
            return;
        };
        let entries = match format::parse_dotenv(&text) {
            Ok(entries) => entries,
            Err(e) => {
                let origin = Origin::File {
                    path: path.to_owned(),
                    line: e.line,
                };
                self.source_error(origin, format!("invalid .env file: {}", e.message));
                return;
            }
        };
        for entry in entries {
            // A .env file fills gaps; the real environment always wins.
            if process_env_in_use && std::env::var_os(&entry.key).is_some() {
                continue;
            }
            let origin = Origin::Dotenv {
                path: path.to_owned(),
                line: entry.line,
            };
            self.apply_var(&entry.key, entry.value, origin);
        }
    }

    fn apply_file(&mut self, path: &Path, required: bool) {
        let whole = Origin::File {
            path: path.to_owned(),
            line: None,
        };
        let Some(format) = Format::from_path(path) else {
            let message = "unsupported file type; use .toml, .yaml, .yml or .json".to_owned();
            self.source_error(whole, message);
            return;
        };
        let Some(text) = self.read(path, required, whole) else {
            return;
        };
        match format::parse_file(format, &text) {
            Ok(table) => self.apply_table(path, "", table),
            Err(e) => {
                let origin = Origin::File {
                    path: path.to_owned(),
                    line: e.line,
                };
                self.source_error(origin, format!("invalid {format:?} file: {}", e.message));
            }
        }
    }

    /// Walks one table of a file alongside the schema.
    fn apply_table(
        &mut self,
        path: &Path,
        table_path: &str,
        table: Vec<(String, Located<FileValue>)>,
    ) {
        for (key, located) in table {
            let key_path = if table_path.is_empty() {
                key.clone()
            } else {
                format!("{table_path}.{key}")
            };
            let origin = Origin::File {
                path: path.to_owned(),
                line: located.line,
            };
            if let Some(&index) = self.schema.by_path.get(&key_path) {
                let raw = match located.value {
                    FileValue::Scalar(text) => RawValue::Str(text),
                    FileValue::List(items) => RawValue::List(items),
                    FileValue::Table(_) => {
                        self.invalid_shape(index, origin, "a table");
                        continue;
                    }
                    FileValue::Unsupported(what) => {
                        self.invalid_shape(index, origin, what);
                        continue;
                    }
                };
                self.values[index] = Some(Sourced::new(raw, origin));
            } else if self.sections.contains(key_path.as_str()) {
                match located.value {
                    FileValue::Table(inner) => self.apply_table(path, &key_path, inner),
                    _ => self.errors.push(FieldError::key(
                        key_path,
                        None,
                        Some(origin),
                        ErrorKind::Invalid {
                            expected: "a table of settings".to_owned(),
                            got: None,
                            detail: Some("got a single value".to_owned()),
                        },
                    )),
                }
            } else {
                let suggestion = self.suggest_key(table_path, &key);
                self.errors.push(FieldError::key(
                    key_path,
                    None,
                    Some(origin),
                    ErrorKind::Unknown {
                        what: UnknownName::Key,
                        suggestion,
                    },
                ));
            }
        }
    }

    /// A file gave a table or another unsupported shape where a value belongs.
    fn invalid_shape(&mut self, index: usize, origin: Origin, what: &str) {
        self.failed[index] = true;
        let field = &self.schema.fields[index];
        self.errors.push(FieldError::key(
            field.path.clone(),
            Some(field.env.clone()),
            Some(origin),
            ErrorKind::Invalid {
                expected: field.type_name.clone(),
                got: None,
                detail: Some(format!("got {what}")),
            },
        ));
    }

    /// The closest key of the same table.
    fn suggest_key(&self, table_path: &str, key: &str) -> Option<String> {
        let siblings = self
            .schema
            .fields
            .iter()
            .map(|f| f.path.as_str())
            .chain(self.sections.iter().copied())
            .filter_map(|p| {
                let rest = if table_path.is_empty() {
                    Some(p)
                } else {
                    p.strip_prefix(table_path).and_then(|r| r.strip_prefix('.'))
                }?;
                (!rest.is_empty() && !rest.contains('.')).then_some(rest)
            });
        suggest::closest(key, siblings).map(str::to_owned)
    }

    fn apply_dir(&mut self, dir: &Path) {
        let origin = Origin::Dir {
            path: dir.to_owned(),
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                self.source_error(origin, format!("cannot read the directory: {e}"));
                return;
            }
        };
        let mut found: Vec<(usize, std::path::PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                if name.starts_with('.') {
                    return None; // Kubernetes' ..data and friends
                }
                let index = self
                    .schema
                    .by_path
                    .get(&name)
                    .or_else(|| self.schema.by_env.get(&name))?;
                Some((*index, entry.path()))
            })
            .collect();
        found.sort();
        for (index, path) in found {
            let origin = Origin::Dir { path: path.clone() };
            match std::fs::read_to_string(&path) {
                Ok(mut text) => {
                    trim_one_newline(&mut text);
                    self.values[index] = Some(Sourced::new(RawValue::Str(text), origin));
                }
                Err(e) => self.source_error(origin, format!("cannot read the file: {e}")),
            }
        }
    }
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
