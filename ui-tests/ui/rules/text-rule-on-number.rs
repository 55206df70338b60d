use config_runtime::Config;

#[derive(Config)]
struct Settings {
    #[config(validate(min_len = 2))]
    port: u16,
    #[config(validate(non_empty))]
    enabled: bool,
    #[config(validate(pattern = "^[0-9]+$"))]
    workers: Vec<usize>,
    #[config(validate(max_len = 64))]
    endpoint: url::Url,
}

fn main() {}
