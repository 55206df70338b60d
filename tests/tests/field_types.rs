//! Every field type of the contract parses from the environment and from files, and a bad
//! value names what was expected.

use config_runtime::{Config, ConfigValue, ErrorKind, Secret, ValueError};
use config_tests::Scratch;
use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, PartialEq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
enum LogFormat {
    Json,
    PlainText,
}
config_runtime::impl_serde_enum!(LogFormat);

#[derive(Debug, PartialEq)]
struct Region(String);
impl std::str::FromStr for Region {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.split('-').count() {
            3 => Ok(Region(s.to_owned())),
            _ => Err("a region has three parts".to_owned()),
        }
    }
}
config_runtime::impl_from_str!(Region, "an AWS region like eu-west-1");

/// A hand-written implementation of the documented trait.
#[derive(Debug, PartialEq)]
struct Percent(u8);
impl ConfigValue for Percent {
    fn parse_str(text: &str) -> Result<Self, ValueError> {
        text.trim()
            .strip_suffix('%')
            .and_then(|n| n.parse().ok())
            .filter(|n| *n <= 100)
            .map(Percent)
            .ok_or_else(ValueError::expected::<Self>)
    }
    fn expected() -> Cow<'static, str> {
        "a percentage like 75%".into()
    }
    fn type_name() -> Cow<'static, str> {
        "percent".into()
    }
}

#[derive(Config, Debug)]
#[config(prefix = "T")]
struct AllTypes {
    flag: bool,
    small: u8,
    port: u16,
    count: u32,
    big: u64,
    huge: u128,
    size: usize,
    delta: i8,
    offset: i16,
    signed: i32,
    wide: i64,
    widest: i128,
    isz: isize,
    ratio: f32,
    precise: f64,
    name: String,
    path: PathBuf,
    url: url::Url,
    timeout: Duration,
    ip: IpAddr,
    addr: SocketAddr,
    maybe: Option<u16>,
    list: Vec<u16>,
    words: Vec<String>,
    token: Secret<String>,
    maybe_token: Option<Secret<String>>,
    format: LogFormat,
    region: Region,
    share: Percent,
}

fn all_vars() -> Vec<(&'static str, &'static str)> {
    vec![
        ("T_FLAG", "yes"),
        ("T_SMALL", "255"),
        ("T_PORT", "8080"),
        ("T_COUNT", "4000000000"),
        ("T_BIG", "18446744073709551615"),
        ("T_HUGE", "340282366920938463463374607431768211455"),
        ("T_SIZE", "12"),
        ("T_DELTA", "-128"),
        ("T_OFFSET", "-3"),
        ("T_SIGNED", "-2147483648"),
        ("T_WIDE", "-9000000000"),
        ("T_WIDEST", "-1"),
        ("T_ISZ", "-7"),
        ("T_RATIO", "0.5"),
        ("T_PRECISE", "2.5e-3"),
        ("T_NAME", "billing"),
        ("T_PATH", "/var/lib/app"),
        ("T_URL", "https://example.com/a?b=c"),
        ("T_TIMEOUT", "1h 30m"),
        ("T_IP", "::1"),
        ("T_ADDR", "127.0.0.1:9000"),
        ("T_LIST", "1, 2,3"),
        ("T_WORDS", "a,b"),
        ("T_TOKEN", "tok-123"),
        ("T_FORMAT", "PLAIN-TEXT"),
        ("T_REGION", "eu-west-1"),
        ("T_SHARE", "75%"),
    ]
}

#[test]
fn every_type_parses_from_environment_text() {
    let c = AllTypes::from_map(all_vars()).unwrap();
    assert!(c.flag);
    assert_eq!((c.small, c.port, c.count), (255, 8080, 4_000_000_000));
    assert_eq!(c.big, u64::MAX);
    assert_eq!(c.huge, u128::MAX);
    assert_eq!(c.size, 12);
    assert_eq!((c.delta, c.offset, c.signed), (-128, -3, i32::MIN));
    assert_eq!((c.wide, c.widest, c.isz), (-9_000_000_000, -1, -7));
    assert_eq!(c.ratio, 0.5);
    assert_eq!(c.precise, 0.0025);
    assert_eq!(c.name, "billing");
    assert_eq!(c.path, PathBuf::from("/var/lib/app"));
    assert_eq!(c.url.as_str(), "https://example.com/a?b=c");
    assert_eq!(c.timeout, Duration::from_secs(5400));
    assert_eq!(c.ip, "::1".parse::<IpAddr>().unwrap());
    assert_eq!(c.addr, "127.0.0.1:9000".parse::<SocketAddr>().unwrap());
    assert_eq!(c.maybe, None);
    assert_eq!(c.list, vec![1, 2, 3]);
    assert_eq!(c.words, vec!["a", "b"]);
    assert_eq!(c.token.expose_secret(), "tok-123");
    assert!(c.maybe_token.is_none());
    assert_eq!(c.format, LogFormat::PlainText);
    assert_eq!(c.region, Region("eu-west-1".into()));
    assert_eq!(c.share, Percent(75));
}

#[test]
fn booleans_accept_every_documented_spelling() {
    for (text, want) in [
        ("true", true),
        ("FALSE", false),
        ("1", true),
        ("0", false),
        ("Yes", true),
        ("no", false),
        ("ON", true),
        ("off", false),
    ] {
        let mut vars = all_vars();
        vars.retain(|(k, _)| *k != "T_FLAG");
        vars.push(("T_FLAG", text));
        assert_eq!(AllTypes::from_map(vars).unwrap().flag, want, "{text}");
    }
}

#[test]
fn durations_accept_whole_seconds() {
    let mut vars = all_vars();
    vars.retain(|(k, _)| *k != "T_TIMEOUT");
    vars.push(("T_TIMEOUT", "45"));
    assert_eq!(
        AllTypes::from_map(vars).unwrap().timeout,
        Duration::from_secs(45)
    );
}

#[test]
fn optional_values_and_secrets_when_present() {
    let mut vars = all_vars();
    vars.push(("T_MAYBE", "7"));
    vars.push(("T_MAYBE_TOKEN", "opt-secret"));
    let c = AllTypes::from_map(vars).unwrap();
    assert_eq!(c.maybe, Some(7));
    assert_eq!(c.maybe_token.unwrap().expose_secret(), "opt-secret");
}

#[test]
fn each_bad_value_says_what_was_expected() {
    let bad = [
        (
            "T_FLAG",
            "maybe",
            "expected a boolean (true/false, 1/0, yes/no, on/off)",
        ),
        ("T_SMALL", "256", "expected an integer in 0..=255"),
        ("T_DELTA", "-129", "expected an integer in -128..=127"),
        ("T_RATIO", "half", "expected a number"),
        (
            "T_RATIO",
            "1e40",
            "expected a number, got \"1e40\" (too large for f32)",
        ),
        ("T_URL", "not a url", "expected a URL"),
        (
            "T_TIMEOUT",
            "soon",
            "expected a duration like 30s, 5m, 1h 30m, or whole seconds",
        ),
        ("T_IP", "300.1.1.1", "expected an IP address"),
        ("T_ADDR", "localhost", "expected a socket address"),
        ("T_LIST", "1,x", "item 2 is invalid"),
        // A trailing or doubled comma is a typo, not an empty item, for texts too.
        (
            "T_WORDS",
            "a,b,",
            "expected a comma-separated list of texts, got \"a,b,\" (item 3 is empty)",
        ),
        ("T_WORDS", "a,,b", "item 2 is empty"),
        ("T_FORMAT", "xml", "expected one of: json, plain-text"),
        (
            "T_REGION",
            "moon",
            "expected an AWS region like eu-west-1, got \"moon\" (a region has three parts)",
        ),
        ("T_SHARE", "150%", "expected a percentage like 75%"),
    ];
    for (var, value, message) in bad {
        let mut vars = all_vars();
        vars.retain(|(k, _)| *k != var);
        vars.push((var, value));
        let err = AllTypes::from_map(vars).unwrap_err();
        assert_eq!(err.errors().len(), 1, "{var}: {err}");
        let text = err.errors()[0].to_string();
        assert!(
            text.starts_with(&format!("{var} (environment): ")),
            "{text}"
        );
        assert!(text.contains(message), "{var}: {text}");
        assert!(matches!(err.errors()[0].kind(), ErrorKind::Invalid { .. }));
    }
}

#[test]
fn infinity_is_read_when_written_as_such() {
    for (text, expected) in [("inf", f32::INFINITY), ("-Infinity", f32::NEG_INFINITY)] {
        let mut vars = all_vars();
        vars.retain(|(k, _)| *k != "T_RATIO");
        vars.push(("T_RATIO", text));
        assert_eq!(AllTypes::from_map(vars).unwrap().ratio, expected, "{text}");
    }
}

#[test]
fn files_give_native_scalars_and_arrays() {
    let dir = Scratch::new();
    let toml = dir.write(
        "types.toml",
        r#"
flag = true
small = 1
port = 80
count = 2
big = 3
huge = 4
size = 5
delta = -1
offset = -2
signed = -3
wide = -4
widest = -5
isz = -6
ratio = 1.5
precise = 0.25
name = "svc"
path = "/tmp/x"
url = "http://localhost/"
timeout = "2m"
ip = "10.0.0.1"
addr = "[::1]:80"
list = [10, 20]
words = ["x", "y z"]
token = "file-token"
format = "json"
region = "us-east-1"
share = "5%"
"#,
    );
    let c = AllTypes::loader().file(&toml).load().unwrap();
    assert!(c.flag);
    assert_eq!(c.list, vec![10, 20]);
    assert_eq!(c.words, vec!["x", "y z"]);
    assert_eq!(c.ratio, 1.5);
    assert_eq!(c.timeout, Duration::from_secs(120));
    assert_eq!(c.format, LogFormat::Json);

    let json = dir.write(
        "types.json",
        &serde_json::json!({
            "flag": false, "small": 1, "port": 80, "count": 2, "big": 3, "huge": 4, "size": 5,
            "delta": -1, "offset": -2, "signed": -3, "wide": -4, "widest": -5, "isz": -6,
            "ratio": 1.5, "precise": 0.25, "name": "svc", "path": "/tmp/x",
            "url": "http://localhost/", "timeout": "2m", "ip": "10.0.0.1", "addr": "[::1]:80",
            "list": [10, 20], "words": ["x"], "token": "t", "format": "json",
            "region": "us-east-1", "share": "5%"
        })
        .to_string(),
    );
    let c = AllTypes::loader().file(&json).load().unwrap();
    assert!(!c.flag);
    assert_eq!(c.list, vec![10, 20]);

    let yaml = dir.write(
        "types.yaml",
        "flag: on\nsmall: 1\nport: 80\ncount: 2\nbig: 3\nhuge: 4\nsize: 5\ndelta: -1\noffset: -2\n\
         signed: -3\nwide: -4\nwidest: -5\nisz: -6\nratio: 1.5\nprecise: 0.25\nname: svc\n\
         path: /tmp/x\nurl: http://localhost/\ntimeout: 2m\nip: 10.0.0.1\naddr: \"[::1]:80\"\n\
         list: [10, 20]\nwords:\n  - x\ntoken: t\nformat: json\nregion: us-east-1\nshare: 5%\n",
    );
    let c = AllTypes::loader().file(&yaml).load().unwrap();
    assert_eq!(c.addr, "[::1]:80".parse::<SocketAddr>().unwrap());
    assert_eq!(c.words, vec!["x"]);
}
