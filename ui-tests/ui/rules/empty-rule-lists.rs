use config_runtime::Config;

#[derive(Config)]
struct Settings {
    #[config(validate())]
    name: String,
    #[config(validate(one_of()))]
    level: String,
    #[config(validate(url_scheme()))]
    endpoint: url::Url,
}

fn main() {}
