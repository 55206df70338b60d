use config_runtime::Config;

#[derive(Config)]
struct Settings {
    #[config(default = "abc")]
    port: u16,
    #[config(default = "70000")]
    admin_port: u16,
    #[config(default = "maybe")]
    enabled: bool,
    #[config(default = "1, 2, x")]
    weights: Vec<f64>,
}

fn main() {}
