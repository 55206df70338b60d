use config_runtime::Config;

#[derive(Config)]
struct Settings {
    #[config(default = "https://sentry.example")]
    sentry_dsn: Option<url::Url>,
}

fn main() {}
