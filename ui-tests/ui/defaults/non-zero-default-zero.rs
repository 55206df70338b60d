use config_runtime::Config;
use std::num::{NonZeroU16, NonZeroUsize};

#[derive(Config)]
struct Settings {
    #[config(default = 0)]
    workers: NonZeroUsize,
    #[config(default = "0")]
    shards: NonZeroU16,
    #[config(default = 4, validate(range(min = 0, max = 8)))]
    threads: NonZeroUsize,
}

fn main() {}
