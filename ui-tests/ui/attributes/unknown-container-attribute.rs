use config_runtime::Config;

#[derive(Config)]
#[config(prefx = "APP")]
struct Settings {
    port: u16,
}

fn main() {}
