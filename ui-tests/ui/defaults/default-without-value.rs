use config_runtime::Config;

#[derive(Config)]
struct Settings {
    #[config(default)]
    port: u16,
}

fn main() {}
