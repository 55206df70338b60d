use config_runtime::Config;

#[derive(Config)]
#[config(validate = Settings::check)]
struct Settings {
    #[config(validate(custom = is_even))]
    workers: u32,
}

impl Settings {
    fn check(&self) -> bool {
        true
    }
}

fn is_even(value: &u64) -> Result<(), String> {
    if value % 2 == 0 {
        Ok(())
    } else {
        Err("odd".into())
    }
}

fn main() {}
