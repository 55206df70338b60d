use config_runtime::Config;

#[derive(Config)]
#[config(prefix = "APP")]
struct Settings {
    port: u16,
    #[config(env = "APP_PORT")]
    admin_port: u16,
    #[config(env = "DATABASE_URL")]
    database_url: String,
    #[config(alias = "DATABASE_URL")]
    replica_url: String,
}

fn main() {}
