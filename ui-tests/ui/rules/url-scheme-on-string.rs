use config_runtime::{Config, Secret};

#[derive(Config)]
struct Settings {
    #[config(validate(url_scheme("postgres")))]
    database_url: Secret<String>,
}

fn main() {}
