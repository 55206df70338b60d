use config_runtime::{ByteSize, Config};

#[derive(Config)]
struct Settings {
    #[config(default = "lots")]
    max_payload: ByteSize,
    #[config(default = "1 MB, 2 XB")]
    chunks: Vec<ByteSize>,
}

fn main() {}
