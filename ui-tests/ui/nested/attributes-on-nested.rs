use config_runtime::Config;

#[derive(Config)]
struct Redis {
    host: String,
}

#[derive(Config)]
struct Settings {
    #[config(
        nested,
        default = "localhost",
        env = "REDIS",
        validate(min_len = 1),
        example = "x",
        alias = "OLD_REDIS"
    )]
    redis: Redis,
}

fn main() {}
