use config_runtime::flags::{Flag, Flags};

#[derive(Flags)]
struct AppFlags(Flag);

fn main() {}
