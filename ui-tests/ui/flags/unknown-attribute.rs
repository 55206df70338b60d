use config_runtime::flags::{Flag, Flags};

#[derive(Flags)]
struct AppFlags {
    #[flag(nmae = "new-checkout")]
    checkout: Flag,
}

fn main() {}
