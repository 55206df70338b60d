use config_runtime::Config;

#[derive(Config)]
struct Http {
    uri: String,
}

#[derive(Config)]
#[config(tag = "type", rename_all = "lowercase")]
enum Sink {
    Http(Http),
    #[config(rename = "http")]
    Legacy(Http),
    Blackhole { reason: String },
}

fn main() {}
