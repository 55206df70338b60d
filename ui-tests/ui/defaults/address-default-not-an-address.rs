use config_runtime::Config;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

#[derive(Config)]
struct Settings {
    #[config(default = "localhost")]
    bind: IpAddr,
    #[config(default = "0.0.0.0")]
    listen: SocketAddr,
    #[config(default = "")]
    data_dir: PathBuf,
}

fn main() {}
