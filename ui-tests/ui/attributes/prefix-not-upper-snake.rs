use config_runtime::Config;

#[derive(Config)]
#[config(prefix = "my-app")]
struct Lower {
    port: u16,
}

#[derive(Config)]
#[config(prefix = "APP_")]
struct TrailingUnderscore {
    port: u16,
}

fn main() {}
