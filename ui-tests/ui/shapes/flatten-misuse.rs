use config_runtime::Config;

#[derive(Config)]
struct Settings {
    #[config(flatten, default = "x")]
    other: Option<String>,
}

fn main() {}
