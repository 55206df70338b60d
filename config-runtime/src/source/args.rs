//! Command-line flags as a source (`Loader::args`): `--key.path value` and `--key.path=value`,
//! key paths in kebab-case (`--redis.port 9000`, `--log-level debug`), read against the
//! config's schema so a `bool` flag may stand alone and a misspelt flag gets a suggestion.
//! Values from flags are trusted like overrides.

use std::ffi::OsString;
use std::path::Path;

use super::{Entry, GatherContext, Gathered, Gathering, Problem, Source};
use crate::origin::Origin;
use crate::schema::{FieldSchema, Schema};
use crate::suggest;
use crate::value::{ConfigValue, ValueKind};

/// What the command line asks of a load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Request {
    /// Load the configuration.
    #[default]
    Load,
    /// `--help` or `-h`: show the flags instead.
    Help,
}

/// The command line, read against a schema.
pub(crate) struct ParsedArgs {
    pub flags: Args,
    /// The program's file name, from the first item.
    pub program: Option<String>,
    pub request: Request,
}

/// The flags of one command line: a source of values by key path.
#[derive(Clone, Default)]
pub(crate) struct Args {
    flags: Vec<Flag>,
    problems: Vec<Problem>,
}

/// What a flag given a second time does.
#[derive(Clone, Copy)]
enum Repeat {
    /// A list's flag adds its items (`--tags a --tags b,c` is `a,b,c`, as clap appends).
    Appends,
    /// Any other flag's last value wins (`--port 1 --port 2` is 2), so a wrapper script can
    /// append its own.
    Replaces,
}

#[derive(Clone)]
struct Flag {
    /// As written, without its value: `--redis.port`.
    flag: String,
    /// The key path it sets: `redis.port`.
    path: String,
    value: String,
}

/// The flag that sets a key path: `service.http_port` → `service.http-port`.
pub(crate) fn flag_of_path(path: &str) -> String {
    path.replace('_', "-")
}

/// The key path a flag (without its dashes) sets: `service.http-port` → `service.http_port`.
/// Takes and gives whole paths, so segments that are not field names extend it.
pub(crate) fn path_of_flag(flag: &str) -> String {
    flag.replace('-', "_")
}

/// Whether a field's flag may stand alone, meaning `true`.
pub(crate) fn is_switch(field: &FieldSchema) -> bool {
    field.kind == ValueKind::Boolean
}

/// Reads a command line: the first item is the program; `--` ends the flags (what follows
/// is the application's own).
pub(crate) fn parse<I, A>(schema: &Schema, args: I) -> ParsedArgs
where
    I: IntoIterator<Item = A>,
    A: Into<OsString>,
{
    let mut items = args.into_iter().map(Into::into);
    let program = items.next().and_then(|first| {
        let name = Path::new(&first).file_name()?;
        Some(name.to_string_lossy().into_owned())
    });
    let mut parsed = ParsedArgs {
        flags: Args::default(),
        program,
        request: Request::Load,
    };
    let mut items = items.enumerate().peekable();
    // The last switch given without `=`: a `true` or `false` right after it was meant as its
    // value, which a switch does not take apart from it.
    let mut last_switch: Option<String> = None;
    while let Some((index, item)) = items.next() {
        let after_switch = last_switch.take();
        let position = index + 1;
        let Some(item) = item.to_str() else {
            parsed.flags.problem(
                format!("argument {position}"),
                "the argument is not valid UTF-8".to_owned(),
            );
            continue;
        };
        if item == "--" {
            break;
        }
        if item == "--help" || item == "-h" {
            parsed.request = Request::Help;
            continue;
        }
        let Some(body) = item.strip_prefix("--") else {
            let message = match after_switch {
                Some(switch) if <bool as ConfigValue>::parse_str(item).is_ok() => {
                    format!(
                        "`{item}` after {switch}: a switch stands alone (true) or takes its \
                         value after `=`: write {switch}={item}"
                    )
                }
                _ => "not a flag: flags are written `--key.path value` or `--key.path=value`; \
                      put the application's own arguments after `--`"
                    .to_owned(),
            };
            parsed
                .flags
                .problem(format!("argument {position}"), message);
            continue;
        };
        let (name, inline) = match body.split_once('=') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (body, None),
        };
        let flag = format!("--{name}");
        let path = path_of_flag(name);
        let next_is_value = |items: &mut std::iter::Peekable<_>| matches!(items.peek(), Some((_, next)) if !is_flag_like(next));
        let field = schema.by_path.get(&path).map(|&i| &schema.fields[i]);
        if field.is_none() && under_a_node(schema, &path) {
            // An entry of a map or list (`--sinks.http.uri`): its keys are known only once
            // every source is read, so the merge checks it.
            let value = match inline {
                Some(value) => Some(value),
                None if next_is_value(&mut items) => {
                    items.next().and_then(|(_, next)| next.into_string().ok())
                }
                None => Some("true".to_owned()),
            };
            match value {
                Some(value) => parsed.flags.flags.push(Flag { flag, path, value }),
                None => {
                    let message = "the value is not valid UTF-8".to_owned();
                    parsed.flags.problem(flag, message);
                }
            }
            continue;
        }
        let Some(field) = field else {
            // Its value, if it has one, belongs to it: not a second error.
            if inline.is_none() && next_is_value(&mut items) {
                items.next();
            }
            let known = schema.fields.iter().map(|f| flag_of_path(&f.path));
            let known: Vec<String> = known.collect();
            let message = match suggest::closest(name, known.iter().map(String::as_str)) {
                Some(close) => format!("unknown flag; did you mean --{close}?"),
                None => "unknown flag; `--help` lists the flags".to_owned(),
            };
            parsed.flags.problem(flag, message);
            continue;
        };
        let value = match inline {
            Some(value) => value,
            None if is_switch(field) => {
                last_switch = Some(flag.clone());
                "true".to_owned()
            }
            None if next_is_value(&mut items) => {
                match items.next().and_then(|(_, next)| next.into_string().ok()) {
                    Some(value) => value,
                    None => {
                        let message = "the value is not valid UTF-8".to_owned();
                        parsed.flags.problem(flag, message);
                        continue;
                    }
                }
            }
            None => {
                let message = format!("needs a value: {flag} <{}>", placeholder(field));
                parsed.flags.problem(flag, message);
                continue;
            }
        };
        let repeat = match field.kind {
            ValueKind::List(_) => Repeat::Appends,
            _ => Repeat::Replaces,
        };
        parsed.flags.set(repeat, Flag { flag, path, value });
    }
    parsed
}

/// Whether `path` lies inside a map, list or optional section (`sinks.http.uri`,
/// `data_dirs[0].path`).
fn under_a_node(schema: &Schema, path: &str) -> bool {
    schema
        .nodes
        .iter()
        .any(|node| crate::describe::is_below(path, &node.path))
}

/// `--name`: what cannot be a flag's value when it follows a flag (write `--name=--x`).
fn is_flag_like(item: &OsString) -> bool {
    item.to_str().is_some_and(|text| text.starts_with("--"))
}

/// What a flag's value looks like, for help and messages: `u16`, `duration`, `string,..`.
pub(crate) fn placeholder(field: &FieldSchema) -> String {
    let name = match &field.kind {
        ValueKind::List(_) => match field.type_name.strip_prefix("list of ") {
            Some(item) => format!("{item},.."),
            None => field.type_name.to_string(),
        },
        _ => field.type_name.to_string(),
    };
    name.replace(' ', "-")
}

impl Args {
    /// Notes `flag`; what a flag given again does is `repeat`'s.
    fn set(&mut self, repeat: Repeat, flag: Flag) {
        let earlier = match repeat {
            Repeat::Appends => (self.flags.iter_mut()).find(|earlier| earlier.path == flag.path),
            Repeat::Replaces => None,
        };
        match earlier {
            Some(earlier) if !earlier.value.trim().is_empty() => {
                earlier.value.push(',');
                earlier.value.push_str(&flag.value);
            }
            Some(earlier) => *earlier = flag,
            // A later entry of the same key wins in the merge.
            None => self.flags.push(flag),
        }
    }

    fn problem(&mut self, flag: String, message: String) {
        self.problems
            .push(Problem::new(Origin::Arg { flag }, message));
    }
}

impl Source for Args {
    fn name(&self) -> String {
        "command line".to_owned()
    }

    fn gather(&self, _: &GatherContext) -> Gathering<'_> {
        let entries = self.flags.iter().map(|flag| {
            let origin = Origin::Arg {
                flag: flag.flag.clone(),
            };
            Entry::key(flag.path.clone(), flag.value.clone(), origin)
        });
        let gathered = Gathered::new(entries.collect());
        let gathered = self
            .problems
            .iter()
            .cloned()
            .fold(gathered, Gathered::with_problem);
        Gathering::Ready(Ok(gathered))
    }
}

/// Flags only: the values may be secrets.
impl std::fmt::Debug for Args {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let flags: Vec<&str> = self.flags.iter().map(|f| f.flag.as_str()).collect();
        f.debug_tuple("Args").field(&flags).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_paths_map_both_ways() {
        assert_eq!(flag_of_path("service.http_port"), "service.http-port");
        assert_eq!(path_of_flag("service.http-port"), "service.http_port");
        assert_eq!(path_of_flag("log-level"), "log_level");
    }
}
