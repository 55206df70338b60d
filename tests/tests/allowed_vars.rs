//! `Loader::allow_vars`: variables with the config's prefix that the application reads itself
//! are not unknown; every other prefixed name still is, with its suggestion.

use config_runtime::Config;

#[derive(Config, Debug)]
#[config(prefix = "LEMMY")]
struct Lemmy {
    /// Port.
    #[config(default = 8536)]
    port: u16,
    /// Database URL.
    #[config(default = "postgres://lemmy@db/lemmy")]
    database_url: String,
}

#[test]
fn named_and_globbed_variables_are_left_to_the_app() {
    let vars = [
        ("LEMMY_CONFIG_LOCATION", "/config/config.hjson"),
        ("LEMMY_UI_HOST", "ui:1234"),
        ("LEMMY_UI_THEME", "dark"),
        ("LEMMY_PORT", "9000"),
    ];
    let lemmy = Lemmy::loader()
        .vars(vars)
        .allow_vars(["LEMMY_CONFIG_LOCATION", "LEMMY_UI_*"])
        .load()
        .unwrap();
    assert_eq!(lemmy.port, 9000);
    assert_eq!(lemmy.database_url, "postgres://lemmy@db/lemmy");
}

#[test]
fn without_allowing_them_they_are_unknown() {
    let err = Lemmy::loader()
        .vars([("LEMMY_CONFIG_LOCATION", "/config/config.hjson")])
        .load()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("LEMMY_CONFIG_LOCATION (environment): unknown variable"),
        "{err}"
    );
}

#[test]
fn a_typo_outside_the_patterns_is_still_caught() {
    let err = Lemmy::loader()
        .vars([
            ("LEMMY_UI_HOST", "ui"),
            ("LEMMY_DATABSE_URL", "postgres://x@y/z"),
        ])
        .allow_vars(["LEMMY_UI_*"])
        .load()
        .unwrap_err();
    assert_eq!(err.errors().len(), 1, "{err}");
    assert!(
        err.to_string().contains(
            "LEMMY_DATABSE_URL (environment): unknown variable; did you mean LEMMY_DATABASE_URL?"
        ),
        "{err}"
    );
    assert!(!err.to_string().contains("postgres://x@y/z"), "{err}");
}

#[test]
fn a_pattern_that_covers_a_field_does_not_hide_it() {
    let lemmy = Lemmy::loader()
        .vars([("LEMMY_PORT", "9001")])
        .allow_vars(["LEMMY_*"])
        .load()
        .unwrap();
    assert_eq!(lemmy.port, 9001);
}

#[test]
fn a_dotenv_file_may_hold_them_too() {
    let scratch = config_tests::Scratch::new();
    let path = scratch.write(
        ".env",
        "LEMMY_CONFIG_LOCATION=/config.hjson\nLEMMY_PORT=9002\n",
    );
    let lemmy = Lemmy::loader()
        .dotenv(&path)
        .allow_vars(["*_CONFIG_LOCATION"])
        .load()
        .unwrap();
    assert_eq!(lemmy.port, 9002);
    let err = Lemmy::loader().dotenv(&path).load().unwrap_err();
    assert!(
        err.to_string().contains("LEMMY_CONFIG_LOCATION (")
            && err.to_string().contains(".env line 1): unknown variable"),
        "{err}"
    );
}
