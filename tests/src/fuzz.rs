//! The bodies of the fuzz targets (`fuzz/fuzz_targets/`), shared with the test that replays
//! their corpus (`tests/tests/fuzz_corpus.rs`) so CI checks every saved input on stable.
//!
//! Each function takes the raw bytes of one input, runs it through the code under test and
//! panics when an invariant breaks. The fuzz crate includes this file by path; it depends on
//! nothing but `config_runtime` and `url`.

use config_runtime::__private::fuzz;
use config_runtime::source::{FileValue, Located};
use config_runtime::{Config, ConfigValue, RawValue, Secret};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// The body of a fuzz target: one input's bytes.
pub type Body = fn(&[u8]);

/// The targets, by the name of their directory under `fuzz/corpus/`.
pub const TARGETS: &[(&str, Body)] = &[
    ("reference", reference),
    ("dotenv", dotenv),
    ("toml", toml),
    ("yaml", yaml),
    ("json", json),
    ("values", values),
    ("load", load),
    ("shapes", shapes),
];

/// The body of the target called `name`.
pub fn target(name: &str) -> Option<Body> {
    TARGETS
        .iter()
        .find(|(target, _)| *target == name)
        .map(|(_, body)| *body)
}

/// The reference parser: references written back parse to themselves, and an error points at
/// a `${` of the input.
pub fn reference(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    match fuzz::parse_template(input) {
        Ok((references, rendered)) => {
            for reference in &references {
                assert!(!reference.scheme.is_empty(), "a reference without a scheme");
                assert!(!reference.path.is_empty(), "a reference without a path");
                let text = reference.to_string();
                let (again, _) = fuzz::parse_template(&text)
                    .unwrap_or_else(|e| panic!("{text:?} written back does not parse: {e}"));
                assert_eq!(
                    again,
                    std::slice::from_ref(reference),
                    "{text:?} changed when parsed again"
                );
            }
            // Rendering writes references back and `$${` as `${`: never longer than the input,
            // but for the `env:` a shell form (`${NAME}`) is written back with.
            assert!(
                rendered.len() <= input.len() + "env:".len() * references.len(),
                "rendering grew the value"
            );
        }
        Err(error) => {
            let at = error.offset();
            assert!(
                input.is_char_boundary(at) && input[at..].starts_with("${"),
                "the error offset {at} is not at a `${{`"
            );
            assert!(!error.to_string().is_empty());
        }
    }
}

/// The `.env` parser: variables come in line order with valid names; an error names a line
/// of the file.
pub fn dotenv(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Lines end at `\n`, `\r\n` or a bare `\r`, as the parser reads them (old Mac files).
    let lines = u32::try_from(
        text.replace("\r\n", "\n")
            .replace('\r', "\n")
            .lines()
            .count(),
    )
    .unwrap_or(u32::MAX);
    match fuzz::parse_dotenv(text) {
        Ok(entries) => {
            let mut previous = 0;
            for (key, _value, line) in &entries {
                assert!(!key.is_empty(), "an empty key");
                assert!(
                    *line > previous && *line <= lines,
                    "line {line} out of order (after {previous}, of {lines})"
                );
                previous = *line;
            }
        }
        Err((message, line)) => {
            assert!(!message.is_empty(), "an empty error message");
            if let Some(line) = line {
                assert!(
                    line >= 1 && line <= lines.max(1),
                    "error on line {line} of {lines}"
                );
            }
        }
    }
}

/// TOML files into the value tree; wherever a fast reader (the line reader, the event
/// reader) answers, the full parser read the file too and gives the same tree.
pub fn toml(data: &[u8]) {
    file("toml", data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let full = fuzz::parse_toml_full(text);
    let fast = [
        ("line", fuzz::parse_toml_lines(text)),
        ("spanned", fuzz::parse_toml_spanned(text)),
        ("event", fuzz::parse_toml_events(text)),
    ];
    for (reader, tree) in fast {
        let Some(tree) = tree else {
            continue;
        };
        match &full {
            Ok(full) => assert_eq!(
                &tree, full,
                "the {reader} reader and the full parser differ"
            ),
            Err(error) => {
                panic!("the {reader} reader read a file the full parser refuses: {error:?}")
            }
        }
    }
}

/// YAML files into the value tree.
pub fn yaml(data: &[u8]) {
    file("yaml", data);
}

/// JSON files into the value tree. Every key and list item of a file that parses has its
/// line (the parser's second pass never disagrees with serde_json's tree), lines never go back
/// in document order, and each key is written on its line. The same text held by a variable
/// gives the same tree without lines, and that tree is serde_json's but for its numbers, each
/// a number token of the text naming the number serde_json read.
pub fn json(data: &[u8]) {
    file("json", data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (written, serde_json_form) = fuzz::parse_json_both(text);
    match (&written, &serde_json_form) {
        (Ok(written), Ok(read)) => json_numbers(written, read, text),
        (Err(written), Err(read)) => assert_eq!(written, read, "other errors"),
        (written, read) => panic!("one reader refused what the other read: {written:?} {read:?}"),
    }
    let Some(Ok(root)) = fuzz::parse_file("json", text) else {
        return;
    };
    let lines: Vec<&str> = text.split('\n').collect();
    let mut last = 1;
    for (key, value) in &root {
        json_lines(Some(key), value, &lines, &mut last);
    }
    let mut tree = FileValue::Table(root);
    fuzz::forget_lines(&mut tree);
    assert_eq!(
        Ok(tree),
        written,
        "a file and a variable holding it read otherwise"
    );
}

/// `written` is the tree serde_json's text gives (`read`), but that a number may keep another
/// text: one the input holds, in JSON's grammar, that names the same number (serde_json's text
/// rounds it, and serde_json may round the last bit otherwise than Rust does).
fn json_numbers(written: &FileValue, read: &FileValue, text: &str) {
    match (written, read) {
        (FileValue::Scalar(number), FileValue::Scalar(read)) if number != read => {
            assert!(is_json_number(number), "{number:?} is no JSON number");
            assert!(
                text.contains(number.as_str()),
                "{number:?} is not in the input"
            );
            let (x, y) = (number.parse::<f64>(), read.parse::<f64>());
            let (Ok(x), Ok(y)) = (x, y) else {
                panic!("{number:?} or {read:?} is no float");
            };
            let ulps = if x == y {
                0
            } else if x.is_sign_negative() == y.is_sign_negative() {
                x.to_bits().abs_diff(y.to_bits())
            } else {
                u64::MAX
            };
            assert!(ulps <= 2, "{number:?} kept for serde_json's {read:?}");
            // serde_json gave another text only for a number it did not read as an integer.
            assert!(
                read.parse::<i64>().is_err() && read.parse::<u64>().is_err(),
                "{number:?} kept for serde_json's integer {read:?}"
            );
        }
        (FileValue::Table(a), FileValue::Table(b)) => {
            assert_eq!(a.len(), b.len(), "tables of other sizes");
            for ((key_a, a), (key_b, b)) in a.iter().zip(b) {
                assert_eq!(key_a, key_b, "other keys");
                json_numbers(&a.value, &b.value, text);
            }
        }
        (FileValue::List(a), FileValue::List(b)) => {
            assert_eq!(a.len(), b.len(), "lists of other lengths");
            for (a, b) in a.iter().zip(b) {
                json_numbers(&a.value, &b.value, text);
            }
        }
        (a, b) => assert_eq!(a, b, "other values"),
    }
}

/// JSON's grammar of a number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_json_number(text: &str) -> bool {
    fn digits(bytes: &[u8]) -> usize {
        bytes.iter().take_while(|b| b.is_ascii_digit()).count()
    }
    let mut rest = text.strip_prefix('-').unwrap_or(text).as_bytes();
    let integer = digits(rest);
    if integer == 0 || (integer > 1 && rest[0] == b'0') {
        return false;
    }
    rest = &rest[integer..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let n = digits(fraction);
        if n == 0 {
            return false;
        }
        rest = &fraction[n..];
    }
    if let Some(exponent) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        let exponent = (exponent.strip_prefix(b"+"))
            .or_else(|| exponent.strip_prefix(b"-"))
            .unwrap_or(exponent);
        let n = digits(exponent);
        if n == 0 {
            return false;
        }
        rest = &exponent[n..];
    }
    rest.is_empty()
}

fn json_lines(key: Option<&str>, node: &Located<FileValue>, lines: &[&str], last: &mut u32) {
    let Some(line) = node.line else {
        panic!("a JSON key or list item without its line: {key:?}");
    };
    assert!(
        line >= *last,
        "a node on line {line} after one on line {last}"
    );
    *last = line;
    if let Some(key) = key {
        let written = usize::try_from(line - 1)
            .ok()
            .and_then(|at| lines.get(at))
            .expect("a line within the file");
        // Unless it is written with an escape, the key is on its line as it reads.
        assert!(
            written.contains(&format!("\"{key}\"")) || written.contains('\\'),
            "key {key:?} is not on its line {line}"
        );
    }
    match &node.value {
        FileValue::Table(entries) => {
            for (key, value) in entries {
                json_lines(Some(key), value, lines, last);
            }
        }
        FileValue::List(items) => {
            for item in items {
                json_lines(None, item, lines, last);
            }
        }
        _ => {}
    }
}

fn file(extension: &str, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // YAML ends lines at `\n`, `\r\n` or a bare `\r`, as its parser counts them (old Mac
    // files); TOML and JSON only at `\n` (a bare `\r` is whitespace to serde_json, and its
    // error positions count only `\n`).
    let lines = if extension == "yaml" {
        text.replace("\r\n", "\n")
            .replace('\r', "\n")
            .lines()
            .count()
    } else {
        text.lines().count()
    };
    let lines = u32::try_from(lines).unwrap_or(u32::MAX).max(1);
    let parsed = fuzz::parse_file(extension, text).expect("a known extension");
    match parsed {
        Ok(root) => {
            for (_, value) in &root {
                walk(value, lines);
            }
        }
        Err((message, line)) => {
            assert!(!message.is_empty(), "an empty error message");
            if let Some(line) = line {
                assert!(line >= 1, "error on line 0");
            }
        }
    }
}

/// Every line a node reports is in the file, and every list of scalars reads as a list field.
fn walk(node: &Located<FileValue>, lines: u32) {
    if let Some(line) = node.line {
        assert!(
            line >= 1 && line <= lines,
            "a node on line {line} of {lines}"
        );
    }
    match &node.value {
        FileValue::Scalar(_) | FileValue::Unsupported(_) => {}
        FileValue::List(items) => {
            let scalars = items
                .iter()
                .all(|item| matches!(item.value, FileValue::Scalar(_)));
            if scalars {
                let raw = RawValue::List(
                    items
                        .iter()
                        .filter_map(|item| match &item.value {
                            FileValue::Scalar(text) => Some(text.clone()),
                            _ => None,
                        })
                        .collect(),
                );
                let _ = Vec::<String>::from_raw(&raw);
            }
            for item in items {
                walk(item, lines);
            }
        }
        FileValue::Table(entries) => {
            for (_, value) in entries {
                walk(value, lines);
            }
        }
        _ => {}
    }
}

/// One field of every built-in value type, read from the same text.
#[derive(Config, Debug)]
#[config(prefix = "V")]
#[allow(dead_code)]
pub struct EveryType {
    flag: bool,
    u_8: u8,
    u_16: u16,
    u_32: u32,
    u_64: u64,
    u_128: u128,
    u_size: usize,
    i_8: i8,
    i_16: i16,
    i_32: i32,
    i_64: i64,
    i_128: i128,
    i_size: isize,
    f_32: f32,
    f_64: f64,
    text: String,
    path: PathBuf,
    url: url::Url,
    timeout: Duration,
    ip: IpAddr,
    ip_v4: Ipv4Addr,
    ip_v6: Ipv6Addr,
    socket: SocketAddr,
    maybe: Option<u16>,
    list: Vec<Duration>,
    hidden: Secret<url::Url>,
}

const EVERY_TYPE_VARS: &[&str] = &[
    "V_FLAG",
    "V_U_8",
    "V_U_16",
    "V_U_32",
    "V_U_64",
    "V_U_128",
    "V_U_SIZE",
    "V_I_8",
    "V_I_16",
    "V_I_32",
    "V_I_64",
    "V_I_128",
    "V_I_SIZE",
    "V_F_32",
    "V_F_64",
    "V_TEXT",
    "V_PATH",
    "V_URL",
    "V_TIMEOUT",
    "V_IP",
    "V_IP_V4",
    "V_IP_V6",
    "V_SOCKET",
    "V_MAYBE",
    "V_LIST",
    "V_HIDDEN",
];

/// Parses `text` as `T` and, when it parses, checks that the value written back reads the same.
fn round_trip<T>(text: &str)
where
    T: ConfigValue + ToString + PartialEq + std::fmt::Debug,
{
    if let Ok(value) = T::parse_str(text) {
        let again = T::parse_str(&value.to_string());
        assert_eq!(
            again.as_ref().ok(),
            Some(&value),
            "{text:?} does not read back"
        );
    }
}

/// Every built-in value parser, called directly and through a derived struct loaded from a
/// map.
pub fn values(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    round_trip::<bool>(text);
    round_trip::<u8>(text);
    round_trip::<u16>(text);
    round_trip::<u32>(text);
    round_trip::<u64>(text);
    round_trip::<u128>(text);
    round_trip::<usize>(text);
    round_trip::<i8>(text);
    round_trip::<i16>(text);
    round_trip::<i32>(text);
    round_trip::<i64>(text);
    round_trip::<i128>(text);
    round_trip::<isize>(text);
    round_trip::<IpAddr>(text);
    round_trip::<Ipv4Addr>(text);
    round_trip::<Ipv6Addr>(text);
    round_trip::<SocketAddr>(text);
    let _ = url::Url::parse_str(text);
    let _ = f32::parse_str(text);
    let _ = f64::parse_str(text);
    let _ = String::parse_str(text);
    let _ = PathBuf::parse_str(text);
    if let Ok(duration) = Duration::parse_str(text) {
        // Whole seconds always read back.
        let seconds = duration.as_secs().to_string();
        assert_eq!(
            Duration::parse_str(&seconds).map(|d| d.as_secs()).ok(),
            Some(duration.as_secs())
        );
    }
    let _ = Option::<u32>::parse_str(text);
    let _ = Vec::<u16>::parse_str(text);
    if let Ok(items) = Vec::<String>::parse_str(text) {
        // Items come trimmed and never empty, so joining them reads back the same list.
        assert!(
            items
                .iter()
                .all(|item| !item.is_empty() && item.trim() == item)
        );
        assert_eq!(Vec::<String>::parse_str(&items.join(",")).ok(), Some(items));
    }
    let _ = Vec::<Duration>::from_raw(&RawValue::List(text.lines().map(str::to_owned).collect()));
    let _ = Secret::<url::Url>::parse_str(text);

    let loaded = EveryType::from_map(EVERY_TYPE_VARS.iter().map(|name| (*name, text)));
    match loaded {
        Ok(config) => {
            let _ = format!("{config:?}");
        }
        Err(error) => {
            assert!(!error.errors().is_empty() || !error.warnings().is_empty());
            let _ = format!("{error}{error:?}");
        }
    }
}

/// A secret text no input may contain: every secret of [`Guarded`] starts with it, so any
/// output that shows it leaked a secret. Letters and digits only, so a URL may start with it.
pub const CANARY: &str = "zqcanarywx7";

/// A fixed config with secrets, rules that fail on them, and callbacks that quote them.
#[derive(Config, Debug)]
#[config(prefix = "FZ", validate = Guarded::check)]
#[allow(dead_code)]
pub struct Guarded {
    #[config(default = 8080, validate(range(min = 1, max = 65535)))]
    port: u16,
    #[config(default = "info", validate(one_of("error", "warn", "info", "debug")))]
    level: String,
    name: Option<String>,
    #[config(default = "30s")]
    timeout: Duration,
    #[config(default = "a,b")]
    tags: Vec<String>,
    endpoint: Option<url::Url>,
    #[config(validate(min_len = 16, max_len = 40))]
    api_key: Secret<String>,
    #[config(validate(custom = quote_it))]
    token: Secret<String>,
    password: Option<Secret<String>>,
    dsn: Option<Secret<url::Url>>,
    #[config(nested)]
    db: GuardedDb,
}

/// The nested section of [`Guarded`].
#[derive(Config, Debug)]
#[allow(dead_code)]
pub struct GuardedDb {
    #[config(default = "localhost")]
    host: String,
    #[config(default = 5432)]
    port: u16,
    password: Secret<String>,
}

/// The secret variables of [`Guarded`]: each is the canary followed by what the input gives.
const GUARDED_SECRETS: &[&str] = &[
    "FZ_API_KEY",
    "FZ_TOKEN",
    "FZ_PASSWORD",
    "FZ_DSN",
    "FZ_DB_PASSWORD",
];

#[allow(clippy::ptr_arg)] // the signature `custom = ..` takes
fn quote_it(value: &String) -> Result<(), String> {
    if value.len().is_multiple_of(3) {
        Err(format!("the token {value} is not allowed"))
    } else {
        Ok(())
    }
}

impl Guarded {
    fn check(&self) -> Result<(), String> {
        if self.port == 1 {
            return Err(format!(
                "port 1 with key {} and db password {}",
                self.api_key.expose_secret(),
                self.db.password.expose_secret()
            ));
        }
        Ok(())
    }
}

/// The variables a `load` input stands for: one `KEY=VALUE` per line (lines without `=` are
/// skipped); every secret of [`Guarded`] is the canary followed by the input's value, or the
/// canary alone when the input does not set it. `None` when the input cannot be used: it holds
/// the canary itself, or a `${file:..}` reference (file system reads are not part of this
/// target).
pub fn load_vars(data: &[u8]) -> Option<Vec<(String, String)>> {
    let text = std::str::from_utf8(data).ok()?;
    let lower = text.to_ascii_lowercase();
    if lower.contains(CANARY) || lower.contains("file:") {
        return None;
    }
    let mut vars: Vec<(String, String)> = text
        .split('\n')
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| {
            let value = if GUARDED_SECRETS.contains(&key) {
                format!("{CANARY}{value}")
            } else {
                value.to_owned()
            };
            (key.to_owned(), value)
        })
        .collect();
    for secret in GUARDED_SECRETS {
        if !vars.iter().any(|(key, _)| key == secret) {
            vars.push(((*secret).to_owned(), CANARY.to_owned()));
        }
    }
    Some(vars)
}

/// A whole load of [`Guarded`] from arbitrary variables: the canary never shows in the
/// error (`Display`, `Debug`, each field error), the explain report or `Debug` of the config.
pub fn load(data: &[u8]) {
    let Some(vars) = load_vars(data) else {
        return;
    };
    let mut outputs = Vec::new();
    match Guarded::from_map(vars.iter().cloned()) {
        Ok(config) => outputs.push(format!("{config:?}")),
        Err(error) => {
            outputs.push(error.to_string());
            outputs.push(format!("{error:?}"));
            for field in error.errors() {
                outputs.push(format!("{field} {:?}", field.kind()));
            }
            for warning in error.warnings() {
                outputs.push(warning.to_string());
            }
        }
    }
    match Guarded::loader().vars(vars.iter().cloned()).explain() {
        Ok(explain) => {
            outputs.push(explain.to_string());
            outputs.push(format!("{explain:?}"));
        }
        Err(error) => outputs.push(format!("{error} {error:?}")),
    }
    for output in outputs {
        assert!(
            !output.to_ascii_lowercase().contains(CANARY),
            "a secret leaked: {output}"
        );
    }
}

/// A config with every shape a load expands: a map of tagged sections holding a secret, a
/// list of sections, an optional section and a map of values; nodes inside entries (a map of
/// sections in a variant, maps of values in its entries and in the list's items).
#[derive(Config, Debug)]
#[config(prefix = "SH", env_separator = "__")]
#[allow(dead_code)]
pub struct Shaped {
    #[config(nested)]
    sinks: std::collections::BTreeMap<String, ShapedSink>,
    #[config(nested)]
    dirs: Vec<ShapedDir>,
    #[config(nested)]
    tls: Option<ShapedDir>,
    #[config(default = "", validate(max_len = 8))]
    labels: std::collections::HashMap<String, String>,
    #[config(default = 3)]
    retries: Option<u8>,
}

/// [`Shaped`] with the default `_` separator, where an entry's key is found by how its
/// variables end: the same variables, renamed (`SH__SINKS__A__TOKEN` → `SF_SINKS_A_TOKEN`).
#[derive(Config, Debug)]
#[config(prefix = "SF")]
#[allow(dead_code)]
pub struct ShapedFlat {
    #[config(nested)]
    sinks: std::collections::BTreeMap<String, ShapedSink>,
    #[config(nested)]
    dirs: Vec<ShapedDir>,
    #[config(nested)]
    tls: Option<ShapedDir>,
    #[config(default = "", validate(max_len = 8))]
    labels: std::collections::HashMap<String, String>,
    #[config(default = 3)]
    retries: Option<u8>,
}

/// A tagged section of [`Shaped`].
#[derive(Config, Debug)]
#[config(tag = "type", rename_all = "lowercase")]
#[allow(dead_code)]
pub enum ShapedSink {
    Http(ShapedHttp),
    Null,
}

/// The `http` variant of [`ShapedSink`].
#[derive(Config, Debug)]
#[allow(dead_code)]
pub struct ShapedHttp {
    uri: url::Url,
    #[config(validate(min_len = 40))]
    token: Secret<String>,
    #[config(nested)]
    pool: std::collections::BTreeMap<String, ShapedDir>,
}

/// An item of [`Shaped`]'s list.
#[derive(Config, Debug)]
#[allow(dead_code)]
pub struct ShapedDir {
    path: PathBuf,
    #[config(default = 1, validate(range(min = 1, max = 9)))]
    weight: u8,
    #[config(default = "")]
    tags: std::collections::BTreeMap<String, u8>,
}

/// Arbitrary variables (one `KEY=VALUE` per line) over a map entry that holds the canary as
/// a secret: whatever the input makes of the maps, lists and variants, the canary never shows
/// in an error, a warning, the explain report or `Debug` of the config. The same variables,
/// renamed for the `_` separator, go through [`ShapedFlat`] too.
pub fn shapes(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lower = text.to_ascii_lowercase();
    if lower.contains(CANARY) || lower.contains("file:") {
        return;
    }
    let mut vars = vec![
        ("SH__SINKS__A__TYPE".to_owned(), "http".to_owned()),
        ("SH__SINKS__A__TOKEN".to_owned(), CANARY.to_owned()),
    ];
    vars.extend(
        text.split('\n')
            .filter_map(|line| line.split_once('='))
            .map(|(key, value)| {
                // A token field's variable (`SH__SINKS__<KEY>__TOKEN`): the value is a secret.
                let value = if is_token_variable(key) {
                    format!("{CANARY}{value}")
                } else {
                    value.to_owned()
                };
                (key.to_owned(), value)
            }),
    );
    let flat: Vec<(String, String)> = (vars.iter())
        .filter_map(|(name, value)| {
            let rest = name.strip_prefix("SH__")?.replace("__", "_");
            Some((format!("SF_{rest}"), value.clone()))
        })
        .collect();
    let mut outputs = shown::<Shaped>(vars);
    outputs.extend(shown::<ShapedFlat>(flat));
    for output in outputs {
        assert!(
            !output.to_ascii_lowercase().contains(CANARY),
            "a secret leaked: {output}"
        );
    }
}

/// What a load of `vars` into `C` shows: `Debug` of the config, or the error and its
/// warnings; and the explain report.
fn shown<C: Config + std::fmt::Debug>(vars: Vec<(String, String)>) -> Vec<String> {
    let mut outputs = Vec::new();
    match C::from_map(vars.iter().cloned()) {
        Ok(config) => outputs.push(format!("{config:?}")),
        Err(error) => {
            outputs.push(format!("{error} {error:?}"));
            outputs.extend(error.warnings().iter().map(ToString::to_string));
        }
    }
    if let Ok(explain) = C::loader().vars(vars).explain() {
        outputs.push(format!("{explain} {explain:?}"));
    }
    outputs
}

/// Whether `name` is the variable of an entry's `token` field: `SH__SINKS__<KEY>__TOKEN`,
/// split at `__` as the loader splits it (`SH__SINKS___TOKEN` is entry `_token` itself).
fn is_token_variable(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("SH__SINKS__") else {
        return false;
    };
    let parts: Vec<&str> = rest.split("__").collect();
    matches!(parts.as_slice(), [key, "TOKEN"] if !key.is_empty())
}
