use config_runtime::Config;

#[derive(Config)]
struct Settings {
    #[config(default = true)]
    port: u16,
}

fn main() {}
