use config_runtime::{ByteSize, Config};

#[derive(Config)]
struct Settings {
    #[config(default = "1 MB", validate(range(min = "1 parsec", max = "1 GiB")))]
    max_payload: ByteSize,
    #[config(default = "1 MB", validate(range(min = 1024)))]
    chunk: ByteSize,
    #[config(default = "1 MB", validate(range(min = "1 GiB", max = "1 MB")))]
    segment: ByteSize,
}

fn main() {}
