//! The age identities that open a file's data key, found where the `sops` tool looks for
//! them, or given in code.

use std::ffi::OsString;
use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use age::x25519::Identity;
use zeroize::Zeroizing;

use super::Failure;
use super::cipher::DataKey;
use super::command::{KeyCommand, TIMEOUT};
use super::metadata::AgeStanza;
use crate::secret::Secret;
use crate::source::file::{ReadFailure, read_limited};

/// Where the age identities of SOPS-encrypted files come from (feature `sops`). Keys are read
/// at every load, so a rotated key file is picked up by the next reload; the key text is wiped
/// once parsed, and the parsed identities are wiped when dropped.
///
/// ```no_run
/// # #[cfg(feature = "derive")] {
/// use config_runtime::Config;
/// use config_runtime::sops::AgeKeys;
///
/// #[derive(Config)]
/// struct App {
///     token: String,
/// }
///
/// let app = App::loader()
///     .age_keys(AgeKeys::file("/run/secrets/age-key.txt"))
///     .file("config.enc.yaml")
///     .load();
/// # }
/// ```
#[derive(Clone)]
pub struct AgeKeys {
    lookup: Lookup,
}

#[derive(Clone)]
enum Lookup {
    /// `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`, then sops' default key file.
    Environment(Vars),
    File(PathBuf),
    Text(Arc<Secret<String>>),
}

/// Where [`Lookup::Environment`] reads its variables: the process environment, or in unit
/// tests a fixed set (tests in one binary must not change the environment they share).
#[derive(Clone)]
enum Vars {
    Process,
    #[cfg(test)]
    Given(Arc<Vec<(&'static str, OsString)>>),
}

impl Vars {
    fn get(&self, name: &str) -> Option<OsString> {
        match self {
            Vars::Process => std::env::var_os(name),
            #[cfg(test)]
            Vars::Given(vars) => vars
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone()),
        }
    }
}

/// `SOPS_AGE_KEY`: identities as text (several per line allowed).
pub const SOPS_AGE_KEY: &str = "SOPS_AGE_KEY";
/// `SOPS_AGE_KEY_FILE`: the path of a key file.
pub const SOPS_AGE_KEY_FILE: &str = "SOPS_AGE_KEY_FILE";
/// `SOPS_AGE_KEY_CMD`: a command whose standard output is identities, read like
/// `SOPS_AGE_KEY` (a password manager's command line, a hardware-key helper).
///
/// As the `sops` tool does, the value is split into words without a shell (blanks separate
/// words; `'..'`, `".."` and `\` quote; a `#` that starts a word begins a comment; no
/// variables, globs or pipes: for those, name `sh -c '..'` yourself) and run with stdin
/// closed and the process's environment plus `SOPS_AGE_RECIPIENT`, the `age1..` recipient
/// whose data key is being opened. It runs for each age recipient of the file in turn until
/// an identity opens the data key, so one command can serve several keys; printing nothing
/// says it has no key for that recipient. Its identities are tried together with those of
/// the other places, as sops combines them.
///
/// One run may take 30 seconds: time for an unlock prompt or a touch of a hardware key, and a
/// bound on how long a command that hangs (on input it will never get, on a network that does
/// not answer) holds up a load or a reload; then it is killed. It may print as much as
/// [`Loader::max_file_size`](crate::Loader::max_file_size) allows a key file (1 MiB by
/// default). What it prints is wiped once parsed; its stderr is read and dropped, only its
/// length is reported. A command that cannot be started, exits unsuccessfully, runs too
/// long, prints too much, or prints a line that is not an age identity fails the load with
/// an error naming this variable, the program (never its arguments) and the exit status,
/// never what it printed. Unlike sops, which ignores a failing source when another one's
/// identity opens the file, a failure here is an error either way, as a missing
/// `SOPS_AGE_KEY_FILE` is.
pub const SOPS_AGE_KEY_CMD: &str = "SOPS_AGE_KEY_CMD";

impl AgeKeys {
    /// As the `sops` tool finds them, in its order and all together: every identity in
    /// [`SOPS_AGE_KEY`], in the file [`SOPS_AGE_KEY_FILE`] names, printed by the command
    /// [`SOPS_AGE_KEY_CMD`] names, and in sops' default key file
    /// (`$XDG_CONFIG_HOME/sops/age/keys.txt`, else `~/.config/sops/age/keys.txt`). The default.
    pub fn from_env() -> Self {
        AgeKeys {
            lookup: Lookup::Environment(Vars::Process),
        }
    }

    /// The identities of a key file, as `age-keygen -o` writes it.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        AgeKeys {
            lookup: Lookup::File(path.into()),
        }
    }

    /// Identities given as text (`AGE-SECRET-KEY-1..`, one or more, blank-separated; `#`
    /// lines are comments), e.g. fetched from a secret store.
    pub fn text(keys: Secret<String>) -> Self {
        AgeKeys {
            lookup: Lookup::Text(Arc::new(keys)),
        }
    }
}

impl Default for AgeKeys {
    fn default() -> Self {
        Self::from_env()
    }
}

impl fmt::Debug for AgeKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.lookup {
            Lookup::Environment(_) => f.write_str("AgeKeys::from_env()"),
            Lookup::File(path) => write!(f, "AgeKeys::file({path:?})"),
            Lookup::Text(_) => f.write_str("AgeKeys::text([REDACTED])"),
        }
    }
}

/// The identities found, where the search looked (for messages), and the command to run for
/// each recipient.
struct Found {
    identities: Vec<Identity>,
    looked: Vec<String>,
    /// `SOPS_AGE_KEY_CMD` and its place in `looked`.
    command: Option<(KeyCommand, usize)>,
}

impl AgeKeys {
    /// Every identity of every place this lookup reads. A key of a kind that is not an X25519
    /// age identity, or a place that cannot be read, is an error naming the place.
    fn find(&self, max_size: u64) -> Result<Found, Failure> {
        let mut found = Found {
            identities: Vec::new(),
            looked: Vec::new(),
            command: None,
        };
        match &self.lookup {
            Lookup::Text(text) => {
                found.looked.push("the keys given to the loader".to_owned());
                parse_into(
                    text.expose_secret(),
                    "the keys given to the loader",
                    &mut found.identities,
                )?;
            }
            Lookup::File(path) => read_key_file(path, Presence::Required, &mut found, max_size)?,
            Lookup::Environment(vars) => {
                found.looked.push(SOPS_AGE_KEY.to_owned());
                if let Some(text) = vars.get(SOPS_AGE_KEY) {
                    let text = Zeroizing::new(text.to_string_lossy().into_owned());
                    parse_into(&text, SOPS_AGE_KEY, &mut found.identities)?;
                }
                if let Some(path) = vars.get(SOPS_AGE_KEY_FILE) {
                    read_key_file(Path::new(&path), Presence::Required, &mut found, max_size)?;
                } else {
                    found.looked.push(SOPS_AGE_KEY_FILE.to_owned());
                }
                // Run later, once for each recipient tried.
                if let Some(line) = vars.get(SOPS_AGE_KEY_CMD) {
                    let line = line.to_str().ok_or_else(|| {
                        Failure::Keys(format!("{SOPS_AGE_KEY_CMD} is not valid UTF-8"))
                    })?;
                    let command = KeyCommand::parse(line).map_err(Failure::Keys)?;
                    found.looked.push(command.place());
                    found.command = Some((command, found.looked.len() - 1));
                } else {
                    found.looked.push(SOPS_AGE_KEY_CMD.to_owned());
                }
                if let Some(path) = default_key_file(vars) {
                    read_key_file(&path, Presence::Optional, &mut found, max_size)?;
                }
            }
        }
        Ok(found)
    }
}

/// Whether a missing key file is an error (one the user named) or not (the default place).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Presence {
    Required,
    Optional,
}

/// sops' default key file: `$XDG_CONFIG_HOME/sops/age/keys.txt`, else under `~/.config`.
fn default_key_file(vars: &Vars) -> Option<PathBuf> {
    let config = vars
        .get("XDG_CONFIG_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            vars.get("HOME")
                .map(|home| PathBuf::from(home).join(".config"))
        })?;
    Some(config.join("sops").join("age").join("keys.txt"))
}

fn read_key_file(
    path: &Path,
    presence: Presence,
    found: &mut Found,
    max_size: u64,
) -> Result<(), Failure> {
    let place = format!("key file {}", path.display());
    found.looked.push(place.clone());
    let text = match read_limited(path, max_size) {
        Ok(text) => Zeroizing::new(text),
        Err(ReadFailure::Missing) if presence == Presence::Optional => return Ok(()),
        Err(ReadFailure::Missing) => {
            return Err(Failure::Keys(format!("{place}: file not found")));
        }
        Err(ReadFailure::Refused(message)) => return Err(Failure::Keys(message)),
    };
    parse_into(&text, &place, &mut found.identities)
}

/// Parses identities out of `text` (from `place`, named in errors; the text never is).
fn parse_into(text: &str, place: &str, identities: &mut Vec<Identity>) -> Result<(), Failure> {
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        for word in line.split_whitespace() {
            let identity = Identity::from_str(word).map_err(|_| {
                Failure::Keys(format!(
                    "{place} line {}: {}",
                    index + 1,
                    unsupported_kind(word)
                ))
            })?;
            identities.push(identity);
        }
    }
    Ok(())
}

/// What a key that is not an X25519 age identity is, for the message.
fn unsupported_kind(word: &str) -> String {
    let kind = if word.starts_with("AGE-PLUGIN-") {
        "an age plugin identity"
    } else if word.starts_with("AGE-SECRET-KEY-PQ-") {
        "a post-quantum age identity"
    } else if word.starts_with("-----BEGIN") || word.starts_with("ssh-") {
        "an SSH key"
    } else if word.starts_with("AGE-SECRET-KEY-") {
        "a malformed age identity"
    } else {
        "not an age identity"
    };
    format!("{kind}; only X25519 age identities (AGE-SECRET-KEY-1..) are supported")
}

/// Why no age recipient of a file gave its data key: as one failure (what a file that no key
/// service can open reports), and recipient by recipient, in the order they were tried (what
/// the list of every key tried shows).
#[derive(Debug)]
pub(crate) struct AgeFailure {
    pub failure: Failure,
    /// Each recipient tried (its `age1..` name) and why its stanza did not open. A failure
    /// before any stanza (a key file that cannot be read) is every recipient's; after a
    /// failing key command, the recipients left are not tried.
    pub tried: Vec<(String, Failure)>,
}

/// The data key, from the first age stanza one of the identities opens.
pub(crate) fn open_data_key(
    stanzas: &[AgeStanza],
    keys: &AgeKeys,
    max_size: u64,
) -> Result<DataKey, AgeFailure> {
    let every = |failure: Failure| AgeFailure {
        tried: (stanzas.iter())
            .map(|stanza| (stanza.recipient.clone(), failure.clone()))
            .collect(),
        failure,
    };
    let mut found = keys.find(max_size).map_err(every)?;
    let fixed = found.identities.len();
    let mut most = fixed;
    let mut command_printed = false;
    let mut broken = false;
    let mut tried = Vec::with_capacity(stanzas.len());
    for stanza in stanzas {
        // The key command when it printed no identity for this recipient.
        let mut silent = None;
        if let Some((command, _)) = &found.command {
            // The previous recipient's identities from the command are dropped (wiped).
            found.identities.truncate(fixed);
            let printed = command
                .run(&stanza.recipient, max_size, TIMEOUT)
                .map_err(Failure::Keys)
                .and_then(|text| parse_into(&text, &command.place(), &mut found.identities));
            if let Err(failure) = printed {
                tried.push((stanza.recipient.clone(), failure.clone()));
                return Err(AgeFailure { failure, tried });
            }
            if found.identities.len() == fixed {
                silent = Some(command.place());
            } else {
                command_printed = true;
            }
            most = most.max(found.identities.len());
        }
        let count = found.identities.len();
        let failure = if count == 0 {
            Failure::NoIdentity {
                looked: looked_in(&found, silent.is_some()),
            }
        } else {
            match unwrap(&stanza.enc, &found.identities) {
                Ok(key) => return Ok(key),
                Err(age::DecryptError::NoMatchingKeys) => Failure::NoFit { count, silent },
                Err(_) => {
                    broken = true;
                    Failure::BrokenDataKey
                }
            }
        };
        tried.push((stanza.recipient.clone(), failure));
    }
    // A command that printed no identity for any recipient is named as such.
    let silent = (found.command.as_ref())
        .filter(|_| !command_printed)
        .map(|(command, _)| command.place());
    let failure = if most == 0 {
        Failure::NoIdentity {
            looked: looked_in(&found, silent.is_some()),
        }
    } else if broken {
        Failure::BrokenDataKey
    } else {
        Failure::NoFit {
            count: most,
            silent,
        }
    };
    Err(AgeFailure { failure, tried })
}

/// Where the search for identities looked, for a message; `printed_none` when the key command
/// is listed as having printed none.
fn looked_in(found: &Found, printed_none: bool) -> String {
    let mut looked = found.looked.clone();
    if let (true, Some((_, at))) = (printed_none, &found.command) {
        looked[*at].push_str(" printed none");
    }
    looked.join(", ")
}

/// One armored age file holding 32 bytes, decrypted with the first identity that fits.
fn unwrap(armored: &str, identities: &[Identity]) -> Result<DataKey, age::DecryptError> {
    let reader = age::armor::ArmoredReader::new(armored.as_bytes());
    let decryptor = age::Decryptor::new(reader)?;
    let mut stream = decryptor.decrypt(identities.iter().map(|i| i as &dyn age::Identity))?;
    let mut plain = Zeroizing::new(Vec::with_capacity(32));
    stream.read_to_end(&mut plain)?;
    let mut key: DataKey = Zeroizing::new([0; 32]);
    if plain.len() != key.len() {
        return Err(age::DecryptError::DecryptionFailed);
    }
    key.copy_from_slice(&plain);
    Ok(key)
}

#[cfg(all(test, unix))]
mod tests {
    use std::io::Write as _;

    use age::secrecy::ExposeSecret as _;

    use super::*;

    /// In the output and on stderr of the commands that must fail; never in an error.
    const CANARY: &str = "canary-0b9e4";

    /// An identity, its text and a key file holding it.
    struct Key {
        identity: Identity,
        text: String,
        file: PathBuf,
    }

    fn key(dir: &Path, name: &str) -> Key {
        let identity = Identity::generate();
        let text = identity.to_string().expose_secret().to_owned();
        let file = dir.join(format!("{name}.txt"));
        std::fs::write(&file, format!("# {name}\n{text}\n")).unwrap();
        Key {
            identity,
            text,
            file,
        }
    }

    const DATA_KEY: [u8; 32] = [9; 32];

    /// The data key encrypted to `key`, as sops writes it.
    fn stanza(key: &Key) -> AgeStanza {
        let recipient = key.identity.to_public();
        let encryptor =
            age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
                .unwrap();
        let mut armored = Vec::new();
        let armor =
            age::armor::ArmoredWriter::wrap_output(&mut armored, age::armor::Format::AsciiArmor)
                .unwrap();
        let mut writer = encryptor.wrap_output(armor).unwrap();
        writer.write_all(&DATA_KEY).unwrap();
        writer.finish().unwrap().finish().unwrap();
        AgeStanza {
            recipient: recipient.to_string(),
            enc: String::from_utf8(armored).unwrap(),
        }
    }

    /// The lookup of `from_env` over exactly `vars` (no HOME: no default key file).
    fn env(vars: &[(&'static str, &str)]) -> AgeKeys {
        let vars = vars.iter().map(|(n, v)| (*n, OsString::from(v))).collect();
        AgeKeys {
            lookup: Lookup::Environment(Vars::Given(Arc::new(vars))),
        }
    }

    fn open(stanzas: &[AgeStanza], vars: &[(&'static str, &str)]) -> Result<DataKey, Failure> {
        open_data_key(stanzas, &env(vars), 1024 * 1024).map_err(|e| e.failure)
    }

    fn opens(stanzas: &[AgeStanza], vars: &[(&'static str, &str)]) {
        let key = open(stanzas, vars).unwrap_or_else(|e| panic!("{vars:?}: {e}"));
        assert_eq!(*key, DATA_KEY);
    }

    /// The failure's Display and Debug, checked to hold no canary.
    fn shown(failure: Failure) -> String {
        let text = failure.to_string();
        let debug = format!("{failure:?}");
        assert!(!text.contains(CANARY) && !debug.contains(CANARY), "{debug}");
        text
    }

    #[test]
    fn a_command_printing_the_identity_opens_the_data_key() {
        let dir = tempfile::tempdir().unwrap();
        let right = key(dir.path(), "right");
        let command = format!("cat '{}'", right.file.display());
        opens(&[stanza(&right)], &[(SOPS_AGE_KEY_CMD, &command)]);
    }

    #[test]
    fn the_command_runs_for_each_recipient_with_its_name_until_one_opens() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (key(dir.path(), "first"), key(dir.path(), "second"));
        let stanzas = [stanza(&first), stanza(&second)];
        // Knows only the second key, and says nothing for the first recipient.
        let command = format!(
            r#"sh -c 'if [ "$SOPS_AGE_RECIPIENT" = "{}" ]; then cat "{}"; fi'"#,
            stanzas[1].recipient,
            second.file.display()
        );
        opens(&stanzas, &[(SOPS_AGE_KEY_CMD, &command)]);
    }

    #[test]
    fn its_identities_are_tried_together_with_the_other_places() {
        let dir = tempfile::tempdir().unwrap();
        let (right, other) = (key(dir.path(), "right"), key(dir.path(), "other"));
        let stanzas = [stanza(&right)];
        let print_right = format!("cat {}", right.file.display());
        let print_other = format!("cat {}", other.file.display());
        let other_file = other.file.display().to_string();
        opens(
            &stanzas,
            &[
                (SOPS_AGE_KEY, &other.text),
                (SOPS_AGE_KEY_CMD, &print_right),
            ],
        );
        opens(
            &stanzas,
            &[
                (SOPS_AGE_KEY_FILE, &other_file),
                (SOPS_AGE_KEY_CMD, &print_right),
            ],
        );
        opens(
            &stanzas,
            &[
                (SOPS_AGE_KEY, &right.text),
                (SOPS_AGE_KEY_CMD, &print_other),
            ],
        );
        let shown = shown(open(&stanzas, &[(SOPS_AGE_KEY_CMD, &print_other)]).unwrap_err());
        assert_eq!(shown, "the age identity does not fit");
    }

    #[test]
    fn a_failing_command_is_an_error_naming_the_variable_and_program_only() {
        let dir = tempfile::tempdir().unwrap();
        let right = key(dir.path(), "right");
        let stanzas = [stanza(&right)];
        let fails =
            |command: &str| shown(open(&stanzas, &[(SOPS_AGE_KEY_CMD, command)]).unwrap_err());

        let text = fails("false");
        assert_eq!(text, "SOPS_AGE_KEY_CMD (`false`) failed (exit status: 1)");

        let text = fails(&format!("/nonexistent/get-age-key --item {CANARY}"));
        assert!(
            text.starts_with("SOPS_AGE_KEY_CMD (`/nonexistent/get-age-key`) could not be started"),
            "{text}"
        );

        // Garbage on stdout, something on stderr, a successful exit.
        let garbage = format!("sh -c 'echo {CANARY}-output; echo {CANARY}-stderr >&2'");
        let text = fails(&garbage);
        assert_eq!(
            text,
            "SOPS_AGE_KEY_CMD (`sh`) line 1: not an age identity; \
             only X25519 age identities (AGE-SECRET-KEY-1..) are supported"
        );

        // The identity printed, then a failure: the exit status decides.
        let then_fails = format!(
            "sh -c 'cat {}; echo {CANARY} >&2; exit 4'",
            right.file.display()
        );
        let text = fails(&then_fails);
        assert_eq!(
            text,
            format!(
                "SOPS_AGE_KEY_CMD (`sh`) failed (exit status: 4); \
                 it wrote {} bytes to stderr, not shown",
                CANARY.len() + 1
            )
        );

        // Another place that opens the file does not hide a broken command.
        let text = shown(
            open(
                &stanzas,
                &[(SOPS_AGE_KEY, &right.text), (SOPS_AGE_KEY_CMD, "false")],
            )
            .unwrap_err(),
        );
        assert!(text.contains("SOPS_AGE_KEY_CMD (`false`) failed"), "{text}");

        let text = fails(&format!("get-key '{CANARY}"));
        assert_eq!(
            text,
            "SOPS_AGE_KEY_CMD cannot be split into words: a quote is not closed"
        );
    }

    #[test]
    fn the_command_is_listed_where_the_search_looked() {
        let dir = tempfile::tempdir().unwrap();
        let (right, other) = (key(dir.path(), "right"), key(dir.path(), "other"));
        let stanzas = [stanza(&right)];
        let text = shown(open(&stanzas, &[]).unwrap_err());
        assert_eq!(
            text,
            "no age identity to open it \
             (looked in SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD)"
        );
        let text = shown(open(&stanzas, &[(SOPS_AGE_KEY_CMD, "true")]).unwrap_err());
        assert_eq!(
            text,
            "no age identity to open it (looked in SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, \
             SOPS_AGE_KEY_CMD (`true`) printed none)"
        );
        let text = shown(
            open(
                &stanzas,
                &[(SOPS_AGE_KEY, &other.text), (SOPS_AGE_KEY_CMD, "true")],
            )
            .unwrap_err(),
        );
        assert_eq!(
            text,
            "the age identity does not fit; SOPS_AGE_KEY_CMD (`true`) printed none"
        );
    }

    #[test]
    fn each_recipient_tried_has_its_own_reason() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (key(dir.path(), "first"), key(dir.path(), "second"));
        let other = key(dir.path(), "other");
        let stanzas = [stanza(&first), stanza(&second)];
        let tried = |vars: &[(&'static str, &str)]| -> Vec<(String, String)> {
            let failure = open_data_key(&stanzas, &env(vars), 1024 * 1024).unwrap_err();
            (failure.tried.into_iter())
                .map(|(recipient, failure)| (recipient, shown(failure)))
                .collect()
        };
        let recipients = [stanzas[0].recipient.clone(), stanzas[1].recipient.clone()];
        let expect = |reasons: [&str; 2]| -> Vec<(String, String)> {
            (recipients.iter().cloned())
                .zip(reasons.map(str::to_owned))
                .collect()
        };

        // The command prints the other key for the second recipient only.
        let command = format!(
            r#"sh -c 'if [ "$SOPS_AGE_RECIPIENT" = "{}" ]; then cat "{}"; fi'"#,
            stanzas[1].recipient,
            other.file.display()
        );
        assert_eq!(
            tried(&[(SOPS_AGE_KEY, &other.text), (SOPS_AGE_KEY_CMD, &command)]),
            expect([
                "the age identity does not fit; SOPS_AGE_KEY_CMD (`sh`) printed none",
                "none of the 2 age identities fits",
            ])
        );
        assert_eq!(
            tried(&[(SOPS_AGE_KEY_CMD, &command)]),
            expect([
                "no age identity to open it (looked in SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, \
                 SOPS_AGE_KEY_CMD (`sh`) printed none)",
                "the age identity does not fit",
            ])
        );
        // A place that cannot be read fails every recipient alike.
        let missing = dir.path().join("missing.txt").display().to_string();
        let reason = format!("key file {missing}: file not found");
        assert_eq!(
            tried(&[(SOPS_AGE_KEY_FILE, &missing)]),
            expect([&reason, &reason])
        );
        // A failing command: the recipients after it are not tried.
        assert_eq!(
            tried(&[(SOPS_AGE_KEY_CMD, "false")]),
            [(
                recipients[0].clone(),
                "SOPS_AGE_KEY_CMD (`false`) failed (exit status: 1)".to_owned()
            )]
        );
    }

    #[test]
    fn the_lookup_of_the_environment_shows_no_key() {
        let dir = tempfile::tempdir().unwrap();
        let right = key(dir.path(), "right");
        let keys = env(&[(SOPS_AGE_KEY, &right.text), (SOPS_AGE_KEY_CMD, "cat x")]);
        assert_eq!(format!("{keys:?}"), "AgeKeys::from_env()");
    }
}
