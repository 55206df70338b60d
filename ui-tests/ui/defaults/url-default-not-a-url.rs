use config_runtime::{Config, Secret};

#[derive(Config)]
struct Settings {
    #[config(default = "not a url")]
    endpoint: url::Url,
    #[config(default = "db.internal:5432")]
    database_url: Secret<url::Url>,
}

fn main() {}
