use config_runtime::Config;

#[derive(Config)]
struct Settings {
    #[config(defualt = 8080)]
    port: u16,
    #[config(envv = "NAME")]
    name: String,
}

fn main() {}
