//! SOPS-encrypted YAML, JSON and dotenv files decrypted in process, against files the real
//! `sops` binary encrypts at test time to keys `age-keygen` makes: every value type, a nested
//! tree, the encryption rules, tampering, wrong and missing keys, two recipients, keys found
//! the way `sops` finds them (a real process environment, a command in `SOPS_AGE_KEY_CMD`),
//! canaries, live reloads, the line of each key in the encrypted file, the text of each value
//! left unencrypted (as a plain file gives it) and encrypted (as sops wrote it), files encrypted to
//! Vault transit and AWS KMS keys (OpenBao, moto), one of several master keys opening the file
//! when the others fail, in sops' decryption order (`SOPS_DECRYPTION_ORDER`), and the error
//! saying why each of them (age recipients too) failed.

use std::path::{Path, PathBuf};

use config_providers::aws::KmsKeyService;
use config_providers::vault::VaultProvider;
use config_runtime::live::ReloadEvent;
use config_runtime::sops::{AgeKeys, DecryptionOrder};
use config_runtime::{Config, ConfigError, Loader, Origin, Secret};
use config_tests::events::{applied_changed, next};
use config_tests::files::{save, tampered};
use config_tests::moto::{Moto, REGION, xml_text};
use config_tests::sops::{AgeKey, Counted, SopsTools};
use config_tests::{Scratch, probe};

/// Written in every encrypted value the tests check for leaks.
const CANARY: &str = "canary-7f3e9";

#[derive(Config, Debug)]
#[config(prefix = "SVC")]
struct Service {
    /// Port.
    port: u16,
    /// A ratio.
    ratio: f64,
    /// Debug mode.
    debug: bool,
    /// A display name (not a secret type: may land in any field).
    name: String,
    /// API token.
    token: Secret<String>,
    /// Database.
    #[config(nested)]
    db: Db,
}

#[derive(Config, Debug)]
struct Db {
    /// Password.
    password: Secret<String>,
    /// Hosts.
    hosts: Vec<String>,
    /// Pool.
    #[config(nested)]
    pool: Pool,
}

#[derive(Config, Debug)]
struct Pool {
    /// Largest size.
    max: u32,
    /// Idle timeout.
    idle: std::time::Duration,
}

const YAML: &str = "\
# settings
port: 8443
ratio: 0.75
debug: true
name: name-canary-7f3e9
token: tok-canary-7f3e9
db:
  password: pw-canary-7f3e9
  hosts:
    - db1.internal
    - db2.internal
  pool:
    max: 32
    idle: 90s
";

const JSON: &str = r#"{
  "port": 8443,
  "ratio": 0.75,
  "debug": true,
  "name": "name-canary-7f3e9",
  "token": "tok-canary-7f3e9",
  "db": {"password": "pw-canary-7f3e9", "hosts": ["db1.internal", "db2.internal"],
         "pool": {"max": 32, "idle": "90s"}}
}
"#;

/// A scratch directory, the tools and one key.
struct Setup {
    dir: Scratch,
    tools: SopsTools,
    key: AgeKey,
}

impl Setup {
    /// `None` only when the tools are missing under the opt-out.
    fn new() -> Option<Setup> {
        let tools = SopsTools::find()?;
        let dir = Scratch::new();
        let key = tools.keygen(dir.path(), "key");
        Some(Setup { dir, tools, key })
    }

    /// Writes `plain` as `name`, encrypts it to `recipients` with `extra` arguments, and
    /// writes the result as `enc.<name>`.
    fn encrypted(
        &self,
        name: &str,
        plain: &str,
        recipients: &[&AgeKey],
        extra: &[&str],
    ) -> PathBuf {
        let plain_path = self.dir.write(name, plain);
        let text = self.tools.encrypt(&plain_path, recipients, extra);
        std::fs::remove_file(&plain_path).unwrap();
        self.dir.write(&format!("enc.{name}"), &text)
    }

    fn keys(&self) -> AgeKeys {
        AgeKeys::file(&self.key.file)
    }

    /// A loader of `Service` with this setup's key.
    fn loader(&self) -> Loader<Service> {
        Service::loader().age_keys(self.keys())
    }
}

fn assert_service(service: &Service) {
    assert_eq!(service.port, 8443);
    assert!((service.ratio - 0.75).abs() < f64::EPSILON);
    assert!(service.debug);
    assert_eq!(service.name, "name-canary-7f3e9");
    assert_eq!(service.token.expose_secret(), "tok-canary-7f3e9");
    assert_eq!(service.db.password.expose_secret(), "pw-canary-7f3e9");
    assert_eq!(service.db.hosts, ["db1.internal", "db2.internal"]);
    assert_eq!(service.db.pool.max, 32);
    assert_eq!(service.db.pool.idle, std::time::Duration::from_secs(90));
}

/// The error of a load that must fail; checked to be one line naming the file and free of
/// every canary.
fn failure(loader: Loader<Service>, file: &Path) -> String {
    let error: ConfigError = loader.load().expect_err("the load must fail");
    let text = error.to_string();
    assert_eq!(
        error.errors().len(),
        1,
        "one error, no partial load: {text}"
    );
    assert!(text.contains(&file.display().to_string()), "{text}");
    assert!(!text.contains(CANARY), "a decrypted value leaked: {text}");
    text
}

#[test]
fn a_yaml_file_decrypts_with_every_type_into_nested_structs() {
    let Some(s) = Setup::new() else { return };
    let path = s.encrypted("app.yaml", YAML, &[&s.key], &[]);
    assert!(std::fs::read_to_string(&path).unwrap().contains("type:int"));
    let service = s.loader().file(&path).load().unwrap();
    assert_service(&service);
}

#[test]
fn a_json_file_decrypts_the_same() {
    let Some(s) = Setup::new() else { return };
    let path = s.encrypted("app.json", JSON, &[&s.key], &[]);
    let service = s.loader().file_optional(&path).load().unwrap();
    assert_service(&service);
}

/// The line of `text` on which the key `key` is written (its first line that starts with
/// it, after the indentation).
fn line_of(text: &str, key: &str) -> u32 {
    let index = text
        .lines()
        .position(|line| line.trim_start().starts_with(key))
        .unwrap_or_else(|| panic!("no line for {key} in {text}"));
    u32::try_from(index + 1).unwrap()
}

/// `plain` (YAML or JSON, by the extension of `name`) encrypted by sops, with `bad` in place of
/// `good`: the error for the bad port names the line the port has in the encrypted file and,
/// once the file is right, every explain row names the line its key has there (`written` says
/// how the file writes a key). No decrypted value shows anywhere.
fn encrypted_keys_have_their_lines(
    s: &Setup,
    name: &str,
    plain: &str,
    (good, bad): (&str, &str),
    written: fn(&str) -> String,
) {
    let path = s.encrypted(
        &format!("bad.{name}"),
        &plain.replace(good, bad),
        &[&s.key],
        &[],
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let port_line = line_of(&text, &written("port"));
    assert!(port_line > 1, "{text}");
    let error = s.loader().file(&path).load().unwrap_err();
    assert_eq!(error.errors().len(), 1, "{error}");
    let e = &error.errors()[0];
    assert_eq!(e.path(), "port");
    match e.origin() {
        Some(Origin::File { path: at, line }) => {
            assert_eq!(**at, *path);
            assert_eq!(*line, Some(port_line), "{text}");
        }
        other => panic!("unexpected origin {other:?}"),
    }
    let shown = error.to_string();
    assert!(
        shown.contains(&format!("({} line {port_line})", path.display())),
        "{shown}"
    );
    assert!(
        !shown.contains(CANARY) && !format!("{error:?}").contains(CANARY),
        "{shown}"
    );

    let path = s.encrypted(name, plain, &[&s.key], &[]);
    let text = std::fs::read_to_string(&path).unwrap();
    let explain = s.loader().file(&path).explain().unwrap();
    let keys = [
        "port",
        "ratio",
        "debug",
        "name",
        "token",
        "db.password",
        "db.hosts",
        "db.pool.max",
        "db.pool.idle",
    ];
    for key in keys {
        let last = key.rsplit('.').next().unwrap();
        let line = line_of(&text, &written(last));
        let row = explain.row(key).unwrap();
        assert_eq!(
            row.source(),
            format!("{} line {line}", path.display()),
            "{key} in {text}"
        );
    }
    let report = explain.to_string();
    assert!(report.contains("(encrypted)"), "{report}");
    assert!(
        !report.contains(CANARY) && !format!("{explain:?}").contains(CANARY),
        "{report}"
    );
}

#[test]
fn each_key_of_an_encrypted_yaml_file_has_its_line_in_that_file() {
    let Some(s) = Setup::new() else { return };
    encrypted_keys_have_their_lines(
        &s,
        "app.yaml",
        YAML,
        ("port: 8443", "port: port-canary-7f3e9"),
        |key| format!("{key}:"),
    );
}

#[test]
fn each_key_of_an_encrypted_json_file_has_its_line_in_that_file() {
    let Some(s) = Setup::new() else { return };
    encrypted_keys_have_their_lines(
        &s,
        "app.json",
        JSON,
        ("\"port\": 8443", "\"port\": \"port-canary-7f3e9\""),
        |key| format!("\"{key}\":"),
    );
}

#[test]
fn a_dotenv_file_decrypts_and_still_yields_to_the_environment() {
    let Some(s) = Setup::new() else { return };
    let env = "SVC_PORT=8443\nSVC_RATIO=0.75\nSVC_DEBUG=true\nSVC_NAME=name-canary-7f3e9\n\
               SVC_TOKEN=tok-canary-7f3e9\nSVC_DB_PASSWORD=pw-canary-7f3e9\n\
               SVC_DB_HOSTS=db1.internal,db2.internal\nSVC_DB_POOL_MAX=32\nSVC_DB_POOL_IDLE=90s\n";
    let path = s.encrypted("app.env", env, &[&s.key], &[]);
    let service = s.loader().dotenv(&path).load().unwrap();
    assert_service(&service);
    let service = s
        .loader()
        .dotenv(&path)
        .vars([("SVC_PORT", "9000")])
        .load()
        .unwrap();
    assert_eq!(service.port, 9000);
}

#[test]
fn values_left_plain_by_the_rules_load_and_are_covered_by_the_mac() {
    let Some(s) = Setup::new() else { return };
    let regex = ["--encrypted-regex", "^(token|password)$"];
    let path = s.encrypted("app.yaml", YAML, &[&s.key], &regex);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("port: 8443") && text.contains("encrypted_regex"),
        "{text}"
    );
    let service = s.loader().file(&path).load().unwrap();
    assert_service(&service);

    // A plain value changed by hand: the MAC no longer matches.
    std::fs::write(&path, text.replace("port: 8443", "port: 8444")).unwrap();
    let shown = failure(s.loader().file(&path), &path);
    assert!(shown.contains("MAC"), "{shown}");

    let suffix = ["--unencrypted-suffix", "_plain"];
    let yaml = "port: 1\nratio: 1\ndebug: false\nname: n\ntoken: t\nhosts_plain: [a]\ndb:\n  password: p\n  hosts: [h]\n  pool:\n    max: 1\n    idle: 1s\n";
    let path = s.encrypted("suffix.yaml", yaml, &[&s.key], &suffix);
    let error = s.loader().file(&path).load().unwrap_err();
    // Decrypted and verified; the plain key is simply not a field.
    assert!(error.to_string().contains("hosts_plain"), "{error}");
}

/// The same spellings left plain and encrypted, as text.
#[derive(Config, Debug, PartialEq)]
struct Spelled {
    #[config(nested)]
    plain: Texts,
    #[config(nested)]
    sealed: Texts,
}

/// Each value as a field that keeps its text. YAML has them all; JSON has no `oct`, `hex`,
/// `inf` (no such numbers in JSON).
#[derive(Config, Debug, PartialEq)]
struct Texts {
    /// `1e3`.
    sci: String,
    /// `yes`.
    word: String,
    /// A 23-digit integer.
    big: String,
    /// `017`.
    oct: Option<String>,
    /// `0x1F`.
    hex: Option<String>,
    /// `1.50`.
    frac: Option<String>,
    /// `8080`.
    port: Option<String>,
    /// `0.75`.
    ratio: Option<String>,
    /// `true`.
    flag: Option<String>,
    /// `-.inf`.
    inf: Option<String>,
}

/// The same document read into number and boolean fields.
#[derive(Config, Debug, PartialEq)]
struct SpelledNumbers {
    #[config(nested)]
    plain: Numbers,
    #[config(nested)]
    sealed: Numbers,
}

/// Each value as a number or boolean.
#[derive(Config, Debug, PartialEq)]
struct Numbers {
    /// `1e3`.
    sci: f64,
    /// `yes`.
    word: bool,
    /// A 23-digit integer.
    big: u128,
    /// `017`.
    oct: Option<u32>,
    /// `0x1F`.
    hex: Option<u32>,
    /// `1.50`.
    frac: Option<f64>,
    /// `8080`.
    port: Option<u16>,
    /// `0.75`.
    ratio: Option<f64>,
    /// `true`.
    flag: Option<bool>,
    /// `-.inf`.
    inf: Option<f64>,
}

const SPELLED_YAML: &str = "\
plain:
  sci: 1e3
  word: yes
  big: 12345678901234567890123
  oct: 017
  hex: 0x1F
  inf: -.inf
sealed:
  sci: 1e3
  word: yes
  big: 12345678901234567890123
  oct: 017
  hex: 0x1F
  port: 8080
  ratio: 0.75
  flag: true
  inf: -.inf
";

const SPELLED_JSON: &str = r#"{
  "plain": {"sci": 1e3, "word": "yes", "big": 12345678901234567890123, "frac": 1.50},
  "sealed": {"sci": 1e3, "word": "yes", "big": 12345678901234567890123, "frac": 1.50,
             "port": 8080, "ratio": 0.75, "flag": true}
}
"#;

impl Setup {
    /// `plain` encrypted as `name` with its `plain` table left unencrypted, the MAC over the
    /// encrypted values only (sops' `mac_only_encrypted`, set in a `.sops.yaml`), so the plain
    /// values may be edited by hand as sops allows.
    fn encrypted_mac_only(&self, name: &str, plain: &str) -> PathBuf {
        let rules = format!(
            "creation_rules:\n  - age: {}\n    unencrypted_regex: ^plain$\n    mac_only_encrypted: true\n",
            self.key.recipient
        );
        let config = self.dir.write("sops-rules.yaml", &rules);
        let plain_path = self.dir.write(name, plain);
        let config = config.display().to_string();
        let text = (self.tools).run(&["--config", &config, "encrypt"], &plain_path, &[]);
        assert!(text.contains("mac_only_encrypted"), "{text}");
        std::fs::remove_file(&plain_path).unwrap();
        self.dir.write(&format!("enc.{name}"), &text)
    }

    /// `T` from the file at `path`, opened with this setup's age key.
    fn load<T: Config>(&self, path: &Path) -> T {
        T::loader().age_keys(self.keys()).file(path).load().unwrap()
    }

    /// What `sops decrypt` gives for `path`.
    fn sops_decrypt(&self, path: &Path) -> String {
        let key = self.key.file.display().to_string();
        (self.tools).run(&["decrypt"], path, &[("SOPS_AGE_KEY_FILE", &key)])
    }
}

/// `text` with each `(from, to)` replaced, each `from` written exactly once.
fn respelled(text: &str, spellings: &[(&str, &str)]) -> String {
    spellings.iter().fold(text.to_owned(), |text, (from, to)| {
        assert_eq!(text.matches(from).count(), 1, "{from} in {text}");
        text.replace(from, to)
    })
}

/// Checks a file of the spellings: the unencrypted ones (`plain`), spelled back as the user
/// wrote them in the encrypted file, give every field what the same document gives as a plain
/// file; the encrypted ones (`sealed`) what sops encrypted (`sealed_texts`), which is the plain
/// file's text for ordinary values.
fn spellings_load_as_in_a_plain_file(
    name: &str,
    document: &str,
    written_by_sops: &[(&str, &str)],
    sealed_texts: &Texts,
) {
    let Some(s) = Setup::new() else { return };
    let plain_file = s.dir.write(&format!("plain.{name}"), document);
    let texts = |path: &Path| s.load::<Spelled>(path);
    let numbers = |path: &Path| s.load::<SpelledNumbers>(path);

    // As sops wrote it (the MAC over every value): each plain value gives what the document
    // `sops decrypt` prints gives as a plain file (sops writes `1.2345678901234568e+22`).
    let path = s.encrypted(
        name,
        document,
        &[&s.key],
        &["--unencrypted-regex", "^plain$"],
    );
    let decrypted = s
        .dir
        .write(&format!("decrypted.{name}"), &s.sops_decrypt(&path));
    assert_eq!(texts(&path).plain, texts(&decrypted).plain);

    // The plain values spelled as the user wrote them, the MAC over the encrypted ones only:
    // a file sops reads too.
    let path = s.encrypted_mac_only(name, document);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, respelled(&text, written_by_sops)).unwrap();
    s.sops_decrypt(&path);

    let encrypted = texts(&path);
    let plain = texts(&plain_file);
    assert_eq!(encrypted.plain, plain.plain);
    assert_eq!(encrypted.plain.sci, "1e3");
    assert_eq!(encrypted.plain.word, "yes");
    assert_eq!(encrypted.plain.big, "12345678901234567890123");
    assert_eq!(&encrypted.sealed, sealed_texts);
    // Ordinary values give the plain file's text encrypted too.
    let ordinary = |t: &Texts| [&t.port, &t.ratio, &t.flag, &t.inf, &t.hex].map(Clone::clone);
    assert_eq!(ordinary(&encrypted.sealed), ordinary(&plain.sealed));
    assert_eq!(encrypted.sealed.word, plain.sealed.word);

    let encrypted = numbers(&path);
    let plain = numbers(&plain_file);
    assert_eq!(encrypted.plain, plain.plain);
    assert_eq!(encrypted.plain.big, 12_345_678_901_234_567_890_123);
    // What sops encrypted: the big integer as the float it read (`017` is also sops' octal 15).
    assert_eq!(encrypted.sealed.big, 12_345_678_901_234_568_000_000);
    let ordinary = |n: &Numbers| (n.sci, n.word, n.hex, n.frac, n.port, n.ratio, n.flag, n.inf);
    assert_eq!(ordinary(&encrypted.sealed), ordinary(&plain.sealed));
}

#[test]
fn unencrypted_yaml_values_give_fields_the_text_of_the_plain_file_and_encrypted_ones_what_sops_encrypted()
 {
    let sealed = Texts {
        sci: "1000".into(),
        word: "yes".into(),
        big: "12345678901234568000000".into(),
        oct: Some("15".into()),
        hex: Some("31".into()),
        frac: None,
        port: Some("8080".into()),
        ratio: Some("0.75".into()),
        flag: Some("true".into()),
        inf: Some("-inf".into()),
    };
    let written_by_sops = [
        ("sci: 1000\n", "sci: 1e3\n"),
        ("word: \"yes\"\n", "word: yes\n"),
        (
            "big: 1.2345678901234568e+22\n",
            "big: 12345678901234567890123\n",
        ),
        ("oct: 15\n", "oct: 017\n"),
        ("hex: 31\n", "hex: 0x1F\n"),
    ];
    spellings_load_as_in_a_plain_file("app.yaml", SPELLED_YAML, &written_by_sops, &sealed);
}

#[test]
fn unencrypted_json_values_give_fields_the_text_of_the_plain_file_and_encrypted_ones_what_sops_encrypted()
 {
    let sealed = Texts {
        sci: "1000".into(),
        word: "yes".into(),
        big: "12345678901234568000000".into(),
        oct: None,
        hex: None,
        frac: Some("1.5".into()),
        port: Some("8080".into()),
        ratio: Some("0.75".into()),
        flag: Some("true".into()),
        inf: None,
    };
    let written_by_sops = [
        ("\"sci\": 1000,", "\"sci\": 1e3,"),
        (
            "\"big\": 1.2345678901234568e+22,",
            "\"big\": 12345678901234567890123,",
        ),
        ("\"frac\": 1.5\n", "\"frac\": 1.50\n"),
    ];
    spellings_load_as_in_a_plain_file("app.json", SPELLED_JSON, &written_by_sops, &sealed);
}

#[test]
fn a_tampered_value_fails_the_whole_file_naming_it_and_its_recipient() {
    let Some(s) = Setup::new() else { return };
    let path = s.encrypted("app.yaml", YAML, &[&s.key], &[]);
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text.lines().find(|l| l.starts_with("token:")).unwrap();
    let at = line.find("data:").unwrap() + "data:".len();
    std::fs::write(&path, text.replace(line, &tampered(line, at))).unwrap();
    let shown = failure(s.loader().file(&path), &path);
    assert!(
        shown.contains("token") && shown.contains("authentication"),
        "{shown}"
    );
    assert!(shown.contains(&s.key.recipient), "{shown}");
}

#[test]
fn a_tampered_mac_fails() {
    let Some(s) = Setup::new() else { return };
    let path = s.encrypted("app.json", JSON, &[&s.key], &[]);
    let text = std::fs::read_to_string(&path).unwrap();
    let at = text.find("\"mac\": \"ENC[AES256_GCM,data:").unwrap() + 30;
    std::fs::write(&path, tampered(&text, at)).unwrap();
    let shown = failure(s.loader().file(&path), &path);
    assert!(shown.contains("MAC"), "{shown}");
}

#[test]
fn a_key_that_does_not_fit_names_the_recipients() {
    let Some(s) = Setup::new() else { return };
    let other = s.tools.keygen(s.dir.path(), "other");
    let path = s.encrypted("app.yaml", YAML, &[&s.key], &[]);
    let shown = failure(
        Service::loader()
            .age_keys(AgeKeys::file(&other.file))
            .file(&path),
        &path,
    );
    assert!(shown.contains("does not fit"), "{shown}");
    assert!(shown.contains(&s.key.recipient), "{shown}");
    assert!(!shown.contains(&other.recipient), "{shown}");
}

#[test]
fn no_key_and_keys_of_other_kinds_are_errors_naming_where_they_were_looked_for() {
    let Some(s) = Setup::new() else { return };
    let path = s.encrypted("app.yaml", YAML, &[&s.key], &[]);
    let empty = AgeKeys::text(Secret::new("# no keys here\n".to_owned()));
    let shown = failure(Service::loader().age_keys(empty).file(&path), &path);
    assert!(shown.contains("no age identity"), "{shown}");

    let missing = s.dir.path().join("missing-key.txt");
    let shown = failure(
        Service::loader()
            .age_keys(AgeKeys::file(&missing))
            .file(&path),
        &path,
    );
    assert!(shown.contains(&missing.display().to_string()), "{shown}");

    let plugin = s.dir.write(
        "plugin.txt",
        "AGE-PLUGIN-YUBIKEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n",
    );
    let shown = failure(
        Service::loader()
            .age_keys(AgeKeys::file(&plugin))
            .file(&path),
        &path,
    );
    assert!(shown.contains("an age plugin identity"), "{shown}");
    assert!(shown.contains("only X25519 age identities"), "{shown}");
    assert!(
        !shown.contains("QQQQQQQQ"),
        "the key is never quoted: {shown}"
    );
}

#[test]
fn a_file_for_two_recipients_opens_with_either_key() {
    let Some(s) = Setup::new() else { return };
    let second = s.tools.keygen(s.dir.path(), "second");
    let path = s.encrypted("app.yaml", YAML, &[&s.key, &second], &[]);
    for key in [&s.key, &second] {
        let service = Service::loader()
            .age_keys(AgeKeys::file(&key.file))
            .file(&path)
            .load()
            .unwrap();
        assert_service(&service);
    }
    let third = s.tools.keygen(s.dir.path(), "third");
    let shown = failure(
        Service::loader()
            .age_keys(AgeKeys::file(&third.file))
            .file(&path),
        &path,
    );
    assert!(
        shown.contains(&s.key.recipient) && shown.contains(&second.recipient),
        "{shown}"
    );
}

#[test]
fn the_sops_tool_reads_the_same_plaintext() {
    let Some(s) = Setup::new() else { return };
    let path = s.encrypted("app.yaml", YAML, &[&s.key], &[]);
    let key = s.key.file.display().to_string();
    let plain = s
        .tools
        .run(&["decrypt"], &path, &[("SOPS_AGE_KEY_FILE", &key)]);
    assert!(plain.contains("tok-canary-7f3e9"));
}

#[test]
fn keys_are_found_where_the_sops_tool_looks_for_them() {
    let Some(s) = Setup::new() else { return };
    let key_text = std::fs::read_to_string(&s.key.file).unwrap();
    let secret_key = key_text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .unwrap();
    probe_env_file(&s);
    let config_home = s.dir.path().join("config");
    std::fs::create_dir_all(config_home.join("sops/age")).unwrap();
    std::fs::copy(&s.key.file, config_home.join("sops/age/keys.txt")).unwrap();
    let key_file = s.key.file.display().to_string();
    let config_home = config_home.display().to_string();
    let exe = env!("CARGO_BIN_EXE_probe");
    for vars in [
        vec![("SOPS_AGE_KEY_FILE", key_file.as_str())],
        vec![("SOPS_AGE_KEY", secret_key)],
        vec![("XDG_CONFIG_HOME", config_home.as_str())],
    ] {
        let (ok, out, err) = probe(exe, s.dir.path(), "loader", &vars);
        assert!(ok, "{vars:?}: {err}");
        assert!(
            out.contains("(encrypted)"),
            "explain marks decrypted values: {out}"
        );
        assert!(!out.contains(CANARY) && !out.contains("debug "), "{out}");
    }
    let (ok, _, err) = probe(exe, s.dir.path(), "loader", &[("HOME", "/nonexistent")]);
    assert!(!ok);
    assert!(
        err.contains("no age identity") && err.contains("SOPS_AGE_KEY_FILE"),
        "{err}"
    );
    assert!(
        err.contains(&s.key.recipient) && !err.contains(CANARY),
        "{err}"
    );
}

/// The probe's `.env`, encrypted to `s.key`, for loads from a real process environment.
fn probe_env_file(s: &Setup) {
    let env = format!(
        "DATABASE_URL=postgres://app@db/app\nAPP_STRIPE_KEY=sk_test_{CANARY}_0123456789abcdef\nAPP_LOG_LEVEL=debug\n"
    );
    let encrypted = s.encrypted("probe.env", &env, &[&s.key], &[]);
    std::fs::rename(encrypted, s.dir.path().join(".env")).unwrap();
}

/// `SOPS_AGE_KEY_CMD` with `PATH`, and `more` variables, for the probe.
fn with_command<'a>(
    path: &'a str,
    command: &'a str,
    more: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut vars = vec![("PATH", path), ("SOPS_AGE_KEY_CMD", command)];
    vars.extend_from_slice(more);
    vars
}

#[test]
fn a_key_command_gives_the_identity_as_it_does_to_the_sops_tool() {
    let Some(s) = Setup::new() else { return };
    probe_env_file(&s);
    // A path with a space, quoted: split into words as sops splits it, no shell involved.
    let spaced = s.dir.path().join("key dir");
    std::fs::create_dir(&spaced).unwrap();
    std::fs::copy(&s.key.file, spaced.join("key.txt")).unwrap();
    let command = format!("cat \"{}\"", spaced.join("key.txt").display());
    let plain = s.tools.run(
        &["decrypt"],
        &s.dir.path().join(".env"),
        &[("SOPS_AGE_KEY_CMD", &command)],
    );
    assert!(
        plain.contains(CANARY),
        "the sops tool runs the same command"
    );

    let path = std::env::var("PATH").unwrap_or_default();
    let other = s.tools.keygen(s.dir.path(), "other");
    let other_text = std::fs::read_to_string(&other.file).unwrap();
    let exe = env!("CARGO_BIN_EXE_probe");
    for more in [vec![], vec![("SOPS_AGE_KEY", other_text.as_str())]] {
        let vars = with_command(&path, &command, &more);
        let (ok, out, err) = probe(exe, s.dir.path(), "loader", &vars);
        assert!(ok, "{more:?}: {err}");
        assert!(out.contains("(encrypted)"), "{out}");
        assert!(!out.contains(CANARY), "{out}");
    }
    // The command's identity does not fit and nothing else does: the usual error.
    let command = format!("cat {}", other.file.display());
    let (ok, _, err) = probe(
        exe,
        s.dir.path(),
        "loader",
        &with_command(&path, &command, &[]),
    );
    assert!(!ok);
    assert!(
        err.contains("the age identity does not fit") && err.contains(&s.key.recipient),
        "{err}"
    );
}

#[test]
#[cfg(unix)]
fn a_key_command_that_fails_is_an_error_naming_it_and_never_what_it_printed() {
    use std::os::unix::fs::PermissionsExt as _;

    let Some(s) = Setup::new() else { return };
    probe_env_file(&s);
    // Prints garbage and writes to stderr, both holding the canary, and exits successfully.
    let script = s.dir.write(
        "get-age-key",
        &format!("#!/bin/sh\necho \"garbage-{CANARY}\"\necho \"stderr-{CANARY}\" >&2\n"),
    );
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let failing_script = s.dir.write(
        "failing-get-age-key",
        &format!("#!/bin/sh\necho \"stderr-{CANARY}\" >&2\nexit 3\n"),
    );
    std::fs::set_permissions(&failing_script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let script = script.display().to_string();
    let failing_script = failing_script.display().to_string();
    let path = std::env::var("PATH").unwrap_or_default();
    let exe = env!("CARGO_BIN_EXE_probe");
    let garbage_arg = format!("{script} --item {CANARY}");
    for (command, expected) in [
        (
            "false",
            "SOPS_AGE_KEY_CMD (`false`) failed (exit status: 1)".to_owned(),
        ),
        (
            "/nonexistent/get-age-key",
            "SOPS_AGE_KEY_CMD (`/nonexistent/get-age-key`) could not be started".to_owned(),
        ),
        (
            garbage_arg.as_str(),
            format!("SOPS_AGE_KEY_CMD (`{script}`) line 1: not an age identity"),
        ),
        (
            failing_script.as_str(),
            format!(
                "SOPS_AGE_KEY_CMD (`{failing_script}`) failed (exit status: 3); \
                 it wrote {} bytes to stderr, not shown",
                "stderr-".len() + CANARY.len() + 1
            ),
        ),
        ("true", "SOPS_AGE_KEY_CMD (`true`) printed none".to_owned()),
    ] {
        let (ok, out, err) = probe(
            exe,
            s.dir.path(),
            "loader",
            &with_command(&path, command, &[]),
        );
        assert!(!ok, "{command}: {out}");
        assert!(err.contains(&expected), "{command}: {err}");
        assert!(err.contains(&s.key.recipient), "{err}");
        assert!(!err.contains(CANARY) && !out.contains(CANARY), "{err}");
    }
}

#[test]
fn decrypted_values_never_show_in_errors_explain_or_debug() {
    let Some(s) = Setup::new() else { return };
    let yaml = YAML.replace("port: 8443", "port: port-canary-7f3e9");
    let path = s.encrypted("app.yaml", &yaml, &[&s.key], &[]);
    let loader = s.loader().file(&path);
    let shown = loader.load().unwrap_err().to_string();
    assert!(
        shown.contains("SVC_PORT") || shown.contains("port"),
        "{shown}"
    );
    assert!(!shown.contains(CANARY), "{shown}");
    assert!(!format!("{loader:?}").contains(CANARY));

    let path = s.encrypted("good.yaml", YAML, &[&s.key], &[]);
    let loader = s.loader().file(&path);
    let explain = loader.explain().unwrap();
    let text = explain.to_string();
    assert!(text.contains("(encrypted)"), "{text}");
    assert!(!text.contains(CANARY), "{text}");
    let service = loader.load().unwrap();
    assert!(
        !format!("{service:?}").contains("tok-canary")
            && !format!("{:?}", s.keys()).contains("AGE-SECRET")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_config_follows_an_encrypted_file_and_keeps_its_snapshot_when_one_fails() {
    let Some(s) = Setup::new() else { return };
    let path = s.encrypted("app.yaml", YAML, &[&s.key], &[]);
    let live = s.loader().file(&path).watch().await.unwrap();
    let mut events = live.subscribe();

    // Rotate a value: encrypt the new plaintext again and save it over the file.
    let rotated = s.encrypted(
        "next.yaml",
        &YAML.replace("tok-canary", "tok2-canary"),
        &[&s.key],
        &[],
    );
    save(&path, &std::fs::read_to_string(&rotated).unwrap());
    let (_, changed) = applied_changed(&mut events).await;
    assert_eq!(changed, ["token"]);
    assert_eq!(live.get().token.expose_secret(), "tok2-canary-7f3e9");

    // A change for another key does not open: rejected, the old snapshot stays.
    let stranger = s.tools.keygen(s.dir.path(), "stranger");
    let foreign = s.encrypted("foreign.yaml", YAML, &[&stranger], &[]);
    let before = live.get();
    save(&path, &std::fs::read_to_string(&foreign).unwrap());
    match next(&mut events).await {
        ReloadEvent::Rejected { error } => {
            let text = error.to_string();
            assert!(text.contains(&stranger.recipient), "{text}");
            assert!(!text.contains(CANARY), "{text}");
        }
        other => panic!("expected a rejection, got {other}"),
    }
    assert!(std::sync::Arc::ptr_eq(&before, &live.get()));
    assert_eq!(live.get().token.expose_secret(), "tok2-canary-7f3e9");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_encrypted_to_vault_transit_opens_through_the_key_service_or_with_age() {
    let Some(s) = Setup::new() else { return };
    let Some(bao) = config_tests::services::start_openbao() else {
        return;
    };
    let admin = config_tests::services::OpenBaoAdmin::new(&bao);
    admin.transit_keys(&["sops"]).await;
    let key_url = format!("{}/v1/transit/keys/sops", bao.url);
    let plain = s.dir.write("transit.yaml", YAML);
    let token = config_tests::services::BAO_ROOT_TOKEN;
    let env = [("VAULT_ADDR", bao.url.as_str()), ("VAULT_TOKEN", token)];
    let recipient = s.key.recipient.as_str();
    let both = s.tools.run(
        &[
            "encrypt",
            "--hc-vault-transit",
            &key_url,
            "--age",
            recipient,
        ],
        &plain,
        &env,
    );
    let both = s.dir.write("both.yaml", &both);
    assert_service(&s.loader().file(&both).load().unwrap());

    let transit_only = s
        .tools
        .run(&["encrypt", "--hc-vault-transit", &key_url], &plain, &env);
    let transit_only = s.dir.write("transit-only.yaml", &transit_only);
    let shown = failure(s.loader().file(&transit_only), &transit_only);
    assert!(shown.contains(&key_url), "names the transit key: {shown}");
    assert!(
        shown.contains("feature `vault` of config-providers"),
        "{shown}"
    );

    let vault = transit_service(&bao.url, token);
    let loader = s.loader().key_service(vault.clone()).file(&transit_only);
    let service = loader.load_async().await.unwrap();
    assert_service(&service);
    let sync = loader.load().unwrap_err().to_string();
    assert!(sync.contains("load_async"), "{sync}");

    // A transit file of another server: the provider says so, naming both addresses.
    let elsewhere = std::fs::read_to_string(&transit_only)
        .unwrap()
        .replace(&bao.url, "http://127.0.0.1:9");
    let elsewhere = s.dir.write("elsewhere.yaml", &elsewhere);
    let error = s
        .loader()
        .key_service(vault)
        .file(&elsewhere)
        .load_async()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("http://127.0.0.1:9") && !error.contains(CANARY),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_encrypted_to_aws_kms_opens_through_the_kms_key_service() {
    let Some(s) = Setup::new() else { return };
    let Some(moto) = Moto::start() else { return };
    let kms = KmsKeyService::new(moto.settings()).await.unwrap();
    let created = kms.client().create_key().send().await.unwrap();
    let arn = created.key_metadata.unwrap().arn.unwrap();
    let plain = s.dir.write("kms.yaml", YAML);
    let env = [
        ("AWS_ENDPOINT_URL", moto.url()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", REGION),
    ];
    let text = s.tools.run(&["encrypt", "--kms", &arn], &plain, &env);
    let file = s.dir.write("kms.enc.yaml", &text);

    let shown = failure(s.loader().file(&file), &file);
    assert!(
        shown.contains(&arn) && shown.contains("KmsKeyService"),
        "{shown}"
    );
    let service = s
        .loader()
        .key_service(kms)
        .file(&file)
        .load_async()
        .await
        .unwrap();
    assert_service(&service);
}

/// A KMS key named with a role (`--kms "KEY_ARN+ROLE_ARN"`) opens as `sops` opens it: the
/// configured credentials assume the role, and the role's credentials ask KMS. moto enforces
/// IAM here: the user may only assume that role, and only the role may use the key, so the file
/// opens through the role or not at all.
#[tokio::test(flavor = "multi_thread")]
async fn a_kms_key_named_with_a_role_opens_through_that_role_assumed() {
    let Some(s) = Setup::new() else { return };
    // The setup below is six requests; every later one is authenticated.
    let Some(moto) = Moto::start_authenticating_after(6) else {
        return;
    };
    let user = "app";
    moto.iam("CreateUser", &[("UserName", user)]).await;
    let created = moto.iam("CreateAccessKey", &[("UserName", user)]).await;
    let key_id = xml_text(&created, "AccessKeyId").unwrap();
    let secret = xml_text(&created, "SecretAccessKey").unwrap();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;
    let role_xml = moto
        .iam(
            "CreateRole",
            &[
                ("RoleName", "sops-reader"),
                ("AssumeRolePolicyDocument", trust),
            ],
        )
        .await;
    let role = xml_text(&role_xml, "Arn").unwrap();
    let may_assume = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{role}"}}]}}"#
    );
    moto.iam(
        "PutUserPolicy",
        &[
            ("UserName", user),
            ("PolicyName", "assume-sops-reader"),
            ("PolicyDocument", &may_assume),
        ],
    )
    .await;
    let may_use_keys = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#;
    moto.iam(
        "PutRolePolicy",
        &[
            ("RoleName", "sops-reader"),
            ("PolicyName", "keys"),
            ("PolicyDocument", may_use_keys),
        ],
    )
    .await;
    let kms = KmsKeyService::new(moto.settings_as(&key_id, &secret))
        .await
        .unwrap();
    let created = kms.client().create_key().send().await.unwrap();
    let arn = created.key_metadata.unwrap().arn.unwrap();

    // The real sops assumes the role (as the user) to encrypt.
    let plain = s.dir.write("kms-role.yaml", YAML);
    let env = [
        ("AWS_ENDPOINT_URL", moto.url()),
        ("AWS_ACCESS_KEY_ID", key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", secret.as_str()),
        ("AWS_REGION", REGION),
    ];
    let text = s.tools.run(
        &["encrypt", "--kms", &format!("{arn}+{role}")],
        &plain,
        &env,
    );
    assert!(text.contains(&format!("role: {role}")), "{text}");
    let file = s.dir.write("kms-role.enc.yaml", &text);
    let by_sops = moto.assumed_roles().await;
    assert_eq!(by_sops.len(), 1, "{by_sops:?}");
    assert_eq!(by_sops[0].0, role);
    assert!(by_sops[0].1.starts_with("sops@"), "{by_sops:?}");

    // Opened through the role: assumed once more, under the session name sops used.
    let load = |kms: &KmsKeyService, file: &Path| {
        let loader = s.loader().key_service(kms.clone()).file(file);
        async move { loader.load_async().await }
    };
    assert_service(&load(&kms, &file).await.unwrap());
    let assumed = moto.assumed_roles().await;
    assert_eq!(assumed.len(), 2, "{assumed:?}");
    assert_eq!(assumed[1], by_sops[0]);

    // A reload (through a clone of the service) keeps the role's credentials.
    assert_service(&load(&kms, &file).await.unwrap());
    assert_eq!(moto.assumed_roles().await.len(), 2);

    // The role the file names is the one assumed: another one, which the user may not
    // assume (and which does not exist), is refused by STS, and the error names it.
    let other = role.replace("sops-reader", "no-such-role");
    let other_file = s
        .dir
        .write("kms-other.enc.yaml", &text.replace(&role, &other));
    let error = load(&kms, &other_file).await.unwrap_err().to_string();
    assert!(
        error.contains(&format!(
            "cannot assume role {other} to open the data key of KMS key {arn}"
        )) && error.contains("AccessDenied"),
        "{error}"
    );
    assert!(
        !error.contains(CANARY) && !error.contains(&secret),
        "{error}"
    );
    assert_eq!(moto.assumed_roles().await.len(), 2);

    // Without the role the user's own credentials ask KMS, and the key is not theirs.
    let no_role = s.dir.write(
        "kms-no-role.enc.yaml",
        &text.replace(&format!("role: {role}"), "role: \"\""),
    );
    let error = load(&kms, &no_role).await.unwrap_err().to_string();
    assert!(
        error.contains(&arn) && error.contains("AccessDenied"),
        "{error}"
    );
    assert!(
        !error.contains(CANARY) && !error.contains(&secret),
        "{error}"
    );
}

/// The error of an asynchronous load that must fail: one error naming the file, free of every
/// canary.
async fn failure_async(loader: Loader<Service>, file: &Path) -> String {
    let error: ConfigError = loader.load_async().await.expect_err("the load must fail");
    let text = error.to_string();
    assert_eq!(
        error.errors().len(),
        1,
        "one error, no partial load: {text}"
    );
    assert!(text.contains(&file.display().to_string()), "{text}");
    assert!(!text.contains(CANARY), "a decrypted value leaked: {text}");
    text
}

/// A token of the test OpenBao allowed `policy` (HCL) and nothing of transit besides.
async fn bao_token(
    admin: &config_tests::services::OpenBaoAdmin,
    name: &str,
    policy: &str,
) -> String {
    admin
        .put(
            &format!("sys/policies/acl/{name}"),
            serde_json::json!({ "policy": policy }),
        )
        .await;
    let created = admin
        .put(
            "auth/token/create",
            serde_json::json!({ "policies": [name] }),
        )
        .await;
    created["auth"]["client_token"]
        .as_str()
        .expect("a token")
        .to_owned()
}

/// The key service of an OpenBao server at `url`, with this token.
fn transit_service(url: &str, token: &str) -> VaultProvider {
    VaultProvider::builder(url).token(token).build().unwrap()
}

/// A file the `sops` binary encrypts to two transit keys opens with the second when this
/// application's token may not use the first, as `sops` itself would; when it may use
/// neither, the error names both keys, in the file's order, with the server's reason.
#[tokio::test(flavor = "multi_thread")]
async fn a_file_for_two_transit_keys_opens_with_the_second_when_the_first_is_refused() {
    let Some(s) = Setup::new() else { return };
    let Some(bao) = config_tests::services::start_openbao() else {
        return;
    };
    let admin = config_tests::services::OpenBaoAdmin::new(&bao);
    admin.transit_keys(&["first", "second"]).await;
    let first = format!("{}/v1/transit/keys/first", bao.url);
    let second = format!("{}/v1/transit/keys/second", bao.url);
    let plain = s.dir.write("two-transit.yaml", YAML);
    let root = config_tests::services::BAO_ROOT_TOKEN;
    let env = [("VAULT_ADDR", bao.url.as_str()), ("VAULT_TOKEN", root)];
    let text = s.tools.run(
        &[
            "encrypt",
            "--hc-vault-transit",
            &format!("{first},{second}"),
        ],
        &plain,
        &env,
    );
    let (at_first, at_second) = (text.find("key_name: first"), text.find("key_name: second"));
    assert!(at_first.unwrap() < at_second.unwrap(), "{text}");
    let file = s.dir.write("two-transit.enc.yaml", &text);

    let vault = |token: &str| transit_service(&bao.url, token);
    let second_only = bao_token(
        &admin,
        "second-only",
        "path \"transit/decrypt/second\" { capabilities = [\"update\"] }",
    )
    .await;
    let loader = s.loader().key_service(vault(&second_only)).file(&file);
    assert_service(&loader.load_async().await.unwrap());

    let neither = bao_token(
        &admin,
        "neither",
        "path \"transit/keys/*\" { capabilities = [\"read\"] }",
    )
    .await;
    let loader = s.loader().key_service(vault(&neither)).file(&file);
    let shown = failure_async(loader, &file).await;
    let tried = |n, url: &str| shown.find(&format!("({n}) transit key {url}: "));
    assert!(shown.contains("(2 tried)"), "{shown}");
    assert!(
        tried(1, &first).unwrap() < tried(2, &second).unwrap(),
        "both keys, in the file's order: {shown}"
    );
    assert!(shown.contains("denied access"), "{shown}");
    assert!(
        !shown.contains(&neither) && !shown.contains("vault:v1:"),
        "{shown}"
    );
}

/// In which order `sops encrypt` is given the two master keys (the file lists them so).
#[derive(Clone, Copy)]
enum SopsFlags {
    KmsFirst,
    TransitFirst,
}

/// A file the `sops` binary encrypts to a KMS key of a real moto and a transit key of a real
/// OpenBao, and what opens it: the setup of the tests that open it through either service.
struct KmsAndTransit {
    s: Setup,
    moto: Moto,
    bao: config_tests::services::Server,
    admin: config_tests::services::OpenBaoAdmin,
    kms: KmsKeyService,
    arn: String,
    key_url: String,
    file: PathBuf,
}

impl KmsAndTransit {
    async fn new(flags: SopsFlags) -> Option<KmsAndTransit> {
        let s = Setup::new()?;
        let moto = Moto::start()?;
        let bao = config_tests::services::start_openbao()?;
        let kms = KmsKeyService::new(moto.settings()).await.unwrap();
        let created = kms.client().create_key().send().await.unwrap();
        let arn = created.key_metadata.unwrap().arn.unwrap();
        let admin = config_tests::services::OpenBaoAdmin::new(&bao);
        admin.transit_keys(&["sops"]).await;
        let key_url = format!("{}/v1/transit/keys/sops", bao.url);
        let plain = s.dir.write("mixed.yaml", YAML);
        let env = [
            ("AWS_ENDPOINT_URL", moto.url()),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", REGION),
            ("VAULT_ADDR", bao.url.as_str()),
            ("VAULT_TOKEN", config_tests::services::BAO_ROOT_TOKEN),
        ];
        let kms_flag = ["--kms", arn.as_str()];
        let transit_flag = ["--hc-vault-transit", key_url.as_str()];
        let (first, second) = match flags {
            SopsFlags::KmsFirst => (kms_flag, transit_flag),
            SopsFlags::TransitFirst => (transit_flag, kms_flag),
        };
        let args: Vec<&str> = std::iter::once("encrypt")
            .chain(first)
            .chain(second)
            .collect();
        let text = s.tools.run(&args, &plain, &env);
        let file = s.dir.write("mixed.enc.yaml", &text);
        Some(KmsAndTransit {
            s,
            moto,
            bao,
            admin,
            kms,
            arn,
            key_url,
            file,
        })
    }
}

/// A file the `sops` binary encrypts to a KMS key and a transit key is opened as `sops` opens
/// it: the KMS key first (whatever order the services were registered in), the transit key
/// when KMS fails (its endpoint is down), and an error naming both attempts when both fail.
#[tokio::test(flavor = "multi_thread")]
async fn a_file_for_a_kms_and_a_transit_key_opens_with_either_kms_first() {
    let Some(KmsAndTransit {
        s,
        mut moto,
        bao,
        admin,
        kms,
        arn,
        key_url,
        file,
    }) = KmsAndTransit::new(SopsFlags::TransitFirst).await
    else {
        return;
    };
    let root = config_tests::services::BAO_ROOT_TOKEN;
    let vault = |token: &str| transit_service(&bao.url, token);
    let refused = bao_token(
        &admin,
        "no-transit",
        "path \"transit/keys/*\" { capabilities = [\"read\"] }",
    )
    .await;

    // The transit token is refused, KMS answers: KMS was asked (first, as by sops).
    let loader = (s.loader().key_service(vault(&refused)))
        .key_service(kms.clone())
        .file(&file);
    assert_service(&loader.load_async().await.unwrap());

    // KMS is down: the transit key opens it.
    moto.stop();
    let loader = (s.loader().key_service(vault(root)))
        .key_service(kms.clone())
        .file(&file);
    assert_service(&loader.load_async().await.unwrap());

    // Both fail: both attempts, KMS first, each with its reason.
    let loader = (s.loader().key_service(vault(&refused)))
        .key_service(kms)
        .file(&file);
    let shown = failure_async(loader, &file).await;
    let by_kms = shown.find(&format!("(1) AWS KMS key {arn}: cannot reach AWS"));
    let by_transit = shown.find(&format!("(2) transit key {key_url}: "));
    assert!(by_kms.unwrap() < by_transit.unwrap(), "{shown}");
    assert!(shown.contains("denied access"), "{shown}");
    assert!(
        !shown.contains(&refused) && !shown.contains("vault:v1:"),
        "{shown}"
    );
}

/// A file the `sops` binary encrypts to an age recipient and a transit key, and the services
/// to open it: the setup of the decryption-order tests.
struct AgeAndTransit {
    s: Setup,
    bao: config_tests::services::Server,
    admin: config_tests::services::OpenBaoAdmin,
    key_url: String,
    file: PathBuf,
}

impl AgeAndTransit {
    async fn new() -> Option<AgeAndTransit> {
        let s = Setup::new()?;
        let bao = config_tests::services::start_openbao()?;
        let admin = config_tests::services::OpenBaoAdmin::new(&bao);
        admin.transit_keys(&["sops"]).await;
        let key_url = format!("{}/v1/transit/keys/sops", bao.url);
        let plain = s.dir.write("order.yaml", YAML);
        let root = config_tests::services::BAO_ROOT_TOKEN;
        let env = [("VAULT_ADDR", bao.url.as_str()), ("VAULT_TOKEN", root)];
        let recipient = s.key.recipient.clone();
        let text = s.tools.run(
            &[
                "encrypt",
                "--hc-vault-transit",
                &key_url,
                "--age",
                &recipient,
            ],
            &plain,
            &env,
        );
        let file = s.dir.write("order.enc.yaml", &text);
        Some(AgeAndTransit {
            s,
            bao,
            admin,
            key_url,
            file,
        })
    }

    /// The transit service, with the root token, counted.
    fn transit(&self) -> Counted<VaultProvider> {
        Counted::new(transit_service(
            &self.bao.url,
            config_tests::services::BAO_ROOT_TOKEN,
        ))
    }

    /// The transit service with a token that may not use the key, counted.
    async fn refused(&self) -> Counted<VaultProvider> {
        let token = bao_token(
            &self.admin,
            "no-transit",
            "path \"transit/keys/*\" { capabilities = [\"read\"] }",
        )
        .await;
        Counted::new(transit_service(&self.bao.url, &token))
    }
}

/// `SOPS_DECRYPTION_ORDER` as sops reads it: by default the age identity opens the file at
/// once and transit is never asked; `hc_vault` first asks transit first (over the network, so
/// only `load_async` reads the file), and falls back to the age identity when transit refuses;
/// when both fail, the error lists both attempts in the order they were made, each with why.
#[tokio::test(flavor = "multi_thread")]
async fn the_decryption_order_decides_whether_age_or_transit_is_tried_first() {
    let Some(t) = AgeAndTransit::new().await else {
        return;
    };
    let s = &t.s;
    let transit = t.transit();
    let default = s.loader().key_service(transit.clone()).file(&t.file);
    assert_service(&default.load().unwrap());
    assert_eq!(transit.asked(), 0, "the age identity opened it first");

    let transit_first = DecryptionOrder::new(["hc_vault"]);
    let loader = (s.loader().decryption_order(transit_first.clone()))
        .key_service(transit.clone())
        .file(&t.file);
    let sync = loader.load().unwrap_err().to_string();
    assert!(sync.contains("load_async"), "{sync}");
    assert_service(&loader.load_async().await.unwrap());
    assert_eq!(transit.asked(), 1, "transit opened it first");

    // Transit refuses: the age identity, next in the order, opens it.
    let refused = t.refused().await;
    let loader = (s.loader().decryption_order(transit_first.clone()))
        .key_service(refused.clone())
        .file(&t.file);
    assert_service(&loader.load_async().await.unwrap());
    assert_eq!(refused.asked(), 1);

    // Both fail: the attempts in the order made, each with its reason.
    let other = s.tools.keygen(s.dir.path(), "other");
    let both_fail = |order: Option<&DecryptionOrder>| {
        let mut loader = Service::loader()
            .age_keys(AgeKeys::file(&other.file))
            .key_service(refused.clone());
        if let Some(order) = order {
            loader = loader.decryption_order(order.clone());
        }
        loader.file(&t.file)
    };
    let by_age = format!(
        "age recipient {}: the age identity does not fit",
        s.key.recipient
    );
    let by_transit = format!("transit key {}: ", t.key_url);
    let shown = failure_async(both_fail(None), &t.file).await;
    assert!(
        shown.contains(&format!(
            "neither age nor any key service could open the data key (2 tried): (1) {by_age}; (2) {by_transit}"
        )),
        "{shown}"
    );
    assert!(shown.contains("denied access"), "{shown}");
    let shown = failure_async(both_fail(Some(&transit_first)), &t.file).await;
    let (first, second) = (shown.find("(1) "), shown.find("; (2) "));
    assert!(
        shown.contains(&format!("(1) {by_transit}")) && shown.contains(&format!("(2) {by_age}")),
        "{shown}"
    );
    assert!(first < second, "{shown}");
    assert!(!shown.contains(&other.recipient), "{shown}");
}

/// When no master key opens the file, the error says why age failed for each recipient, with
/// the key service's attempt: no identity fitted, no identity was found (and where the search
/// looked), a key file that is not usable; never a key or a value.
#[tokio::test(flavor = "multi_thread")]
async fn when_no_key_opens_the_file_the_error_says_why_age_failed_for_each_recipient() {
    let Some(t) = AgeAndTransit::new().await else {
        return;
    };
    let s = &t.s;
    let refused = t.refused().await;
    let fails = |keys: AgeKeys, file: &Path| {
        let loader = Service::loader()
            .age_keys(keys)
            .key_service(refused.clone())
            .file(file);
        let file = file.to_path_buf();
        async move { failure_async(loader, &file).await }
    };
    let recipient = &s.key.recipient;
    let by_transit = format!("(2) transit key {}: ", t.key_url);

    // No identity matched.
    let other = s.tools.keygen(s.dir.path(), "other");
    let shown = fails(AgeKeys::file(&other.file), &t.file).await;
    assert!(
        shown.contains(&format!(
            "(1) age recipient {recipient}: the age identity does not fit; {by_transit}"
        )),
        "{shown}"
    );

    // No identity configured.
    let none = AgeKeys::text(Secret::new("# no keys here\n".to_owned()));
    let shown = fails(none, &t.file).await;
    assert!(
        shown.contains(&format!(
            "(1) age recipient {recipient}: no age identity to open it \
             (looked in the keys given to the loader); {by_transit}"
        )),
        "{shown}"
    );

    // A bad identity file: missing, or holding a key of another kind.
    let missing = s.dir.path().join("missing-key.txt");
    let shown = fails(AgeKeys::file(&missing), &t.file).await;
    assert!(
        shown.contains(&format!(
            "(1) age recipient {recipient}: key file {}: file not found; {by_transit}",
            missing.display()
        )),
        "{shown}"
    );
    let plugin = s.dir.write(
        "plugin.txt",
        "AGE-PLUGIN-YUBIKEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n",
    );
    let shown = fails(AgeKeys::file(&plugin), &t.file).await;
    assert!(
        shown.contains(&format!(
            "(1) age recipient {recipient}: key file {} line 1: an age plugin identity; \
             only X25519 age identities (AGE-SECRET-KEY-1..) are supported; {by_transit}",
            plugin.display()
        )),
        "{shown}"
    );
    assert!(!shown.contains("QQQQQQQQ"), "no key is quoted: {shown}");

    // Two recipients that fail alike are named together; the identity's own key never shows.
    let second = s.tools.keygen(s.dir.path(), "second");
    let plain = s.dir.write("two.yaml", YAML);
    let root = config_tests::services::BAO_ROOT_TOKEN;
    let env = [("VAULT_ADDR", t.bao.url.as_str()), ("VAULT_TOKEN", root)];
    let age = format!("{},{}", s.key.recipient, second.recipient);
    let text = s.tools.run(
        &["encrypt", "--hc-vault-transit", &t.key_url, "--age", &age],
        &plain,
        &env,
    );
    let two = s.dir.write("two.enc.yaml", &text);
    let shown = fails(AgeKeys::file(&other.file), &two).await;
    assert!(
        shown.contains(&format!(
            "(1) age recipients {}, {}: the age identity does not fit; {by_transit}",
            s.key.recipient, second.recipient
        )),
        "{shown}"
    );
    let other_key = std::fs::read_to_string(&other.file).unwrap();
    let secret = other_key
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .unwrap();
    assert!(
        !shown.contains(secret) && !shown.contains("vault:v1:"),
        "{shown}"
    );
}

/// A file the `sops` binary encrypts to a KMS key and a transit key: by default KMS is asked
/// first, and transit never; with an order naming transit first, transit opens it and KMS is
/// never asked; with transit refused, KMS opens it next.
#[tokio::test(flavor = "multi_thread")]
async fn an_order_naming_transit_first_asks_transit_before_kms() {
    let Some(KmsAndTransit {
        s,
        moto: _moto,
        bao,
        admin,
        kms,
        file,
        ..
    }) = KmsAndTransit::new(SopsFlags::KmsFirst).await
    else {
        return;
    };
    let root = config_tests::services::BAO_ROOT_TOKEN;
    let kms = Counted::new(kms);
    let transit = Counted::new(transit_service(&bao.url, root));
    let load = |order: Option<DecryptionOrder>, transit: &Counted<VaultProvider>| {
        let mut loader = s
            .loader()
            .key_service(kms.clone())
            .key_service(transit.clone());
        if let Some(order) = order {
            loader = loader.decryption_order(order);
        }
        let loader = loader.file(&file);
        async move { loader.load_async().await }
    };

    assert_service(&load(None, &transit).await.unwrap());
    assert_eq!((kms.asked(), transit.asked()), (1, 0), "KMS first");

    let transit_first = || Some(DecryptionOrder::new(["hc_vault", "kms"]));
    assert_service(&load(transit_first(), &transit).await.unwrap());
    assert_eq!((kms.asked(), transit.asked()), (1, 1), "transit first");

    let refused = Counted::new(transit_service(
        &bao.url,
        &bao_token(
            &admin,
            "no-transit",
            "path \"transit/keys/*\" { capabilities = [\"read\"] }",
        )
        .await,
    ));
    assert_service(&load(transit_first(), &refused).await.unwrap());
    assert_eq!((refused.asked(), kms.asked()), (1, 2), "transit, then KMS");
}

/// `SOPS_DECRYPTION_ORDER` is read from the process environment, as by the `sops` tool: a kind
/// named twice is an error for both, and an order naming kinds this process has no service
/// for still opens the file with the age identity.
#[test]
fn the_decryption_order_is_read_from_the_environment_as_sops_reads_it() {
    let Some(s) = Setup::new() else { return };
    probe_env_file(&s);
    let key_file = s.key.file.display().to_string();
    let env_file = s.dir.path().join(".env");
    let exe = env!("CARGO_BIN_EXE_probe");
    let twice = [
        ("SOPS_AGE_KEY_FILE", key_file.as_str()),
        ("SOPS_DECRYPTION_ORDER", "age,kms,age"),
    ];
    let (ok, _, err) = probe(exe, s.dir.path(), "loader", &twice);
    assert!(!ok);
    assert!(
        err.contains("SOPS_DECRYPTION_ORDER names `age` twice") && err.contains(&s.key.recipient),
        "{err}"
    );
    assert!(!err.contains(CANARY), "{err}");
    let by_sops = std::process::Command::new(s.tools.sops_path())
        .args(["--disable-version-check", "decrypt"])
        .arg(&env_file)
        .envs(twice)
        .output()
        .unwrap();
    assert!(!by_sops.status.success(), "sops refuses it too");
    let stderr = String::from_utf8_lossy(&by_sops.stderr);
    assert!(stderr.contains("Duplicate decryption key type"), "{stderr}");

    for order in ["hc_vault,kms", "kms, age", ""] {
        let vars = [
            ("SOPS_AGE_KEY_FILE", key_file.as_str()),
            ("SOPS_DECRYPTION_ORDER", order),
        ];
        let (ok, out, err) = probe(exe, s.dir.path(), "loader", &vars);
        assert!(ok, "{order}: {err}");
        assert!(
            out.contains("(encrypted)") && !out.contains(CANARY),
            "{out}"
        );
    }
}
