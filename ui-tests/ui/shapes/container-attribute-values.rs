use config_runtime::Config;

#[derive(Config)]
#[config(rename_all = "Title Case", unknown = "loud", env_separator = "::")]
struct Settings {
    port: u16,
}

fn main() {}
