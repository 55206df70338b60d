// Generated code names everything by absolute path: it compiles where no prelude is in scope
// (and where user items shadow prelude names).
#![no_implicit_prelude]

#[allow(dead_code)]
struct Option;
#[allow(dead_code)]
struct Some;
#[allow(dead_code)]
struct None;
#[allow(dead_code)]
struct Result;
#[allow(dead_code)]
struct Default;
#[allow(dead_code)]
struct Vec;

/// Settings.
#[derive(::config_runtime::Config)]
#[config(prefix = "APP", validate = Settings::check)]
struct Settings {
    /// Port.
    #[config(default = 8080, validate(range(min = 1, max = 65535)))]
    port: u16,
    /// Name.
    #[config(
        default = "app",
        validate(min_len = 1, pattern = "^[a-z]+$", one_of("app", "web"))
    )]
    name: ::std::string::String,
    /// Token.
    #[config(validate(non_empty, custom = check_token))]
    token: ::std::option::Option<::config_runtime::Secret<::std::string::String>>,
    /// Hosts.
    #[config(default = "a,b")]
    hosts: ::std::vec::Vec<::std::string::String>,
    /// Endpoint.
    #[config(default = "https://example.com", validate(url_scheme("https")))]
    endpoint: ::url::Url,
    /// Poll interval.
    #[config(default = "30s", validate(range(min = "1s", max = "1h")))]
    poll: ::std::time::Duration,
    /// Keys.
    #[config(default = "", validate(min_len = 8))]
    keys: ::std::vec::Vec<::config_runtime::Secret<::std::string::String>>,
    /// Nested.
    #[config(nested)]
    inner: Inner,
    /// Skipped.
    #[config(skip)]
    skipped: bool,
}

#[derive(::config_runtime::Config)]
struct Inner {
    /// Flag.
    #[config(default = true)]
    flag: bool,
}

impl Settings {
    fn check(&self) -> ::std::result::Result<(), ::std::string::String> {
        ::std::result::Result::Ok(())
    }
}

fn check_token(_: &::std::string::String) -> ::std::result::Result<(), ::std::string::String> {
    ::std::result::Result::Ok(())
}

fn main() {
    let settings = <Settings as ::config_runtime::Config>::from_map([("APP_TOKEN", "t")]).unwrap();
    ::std::assert_eq!(settings.port, 8080);
    ::std::assert!(settings.inner.flag && !settings.skipped);
    ::std::assert_eq!(settings.hosts.len(), 2);
    ::std::assert_eq!(settings.name, "app");
    ::std::assert_eq!(settings.endpoint.scheme(), "https");
    ::std::assert!(settings.token.is_some());
    ::std::assert_eq!(settings.poll, ::std::time::Duration::from_secs(30));
    ::std::assert!(settings.keys.is_empty());
}
