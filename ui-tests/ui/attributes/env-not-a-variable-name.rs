use config_runtime::Config;

#[derive(Config)]
struct Settings {
    #[config(env = "DATABASE-URL")]
    database_url: String,
    #[config(alias = "1PORT")]
    port: u16,
}

fn main() {}
