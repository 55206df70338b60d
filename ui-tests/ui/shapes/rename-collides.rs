use config_runtime::Config;

#[derive(Config)]
#[config(rename_all = "kebab-case")]
struct Settings {
    http_port: u16,
    #[config(rename = "http-port")]
    port: u16,
    #[config(file_alias = "http-port")]
    listen: u16,
}

fn main() {}
