//! Loading a 100-field config, the same struct through each library in one run.
//!
//! From the process environment (the bench re-runs itself with the 100 variables set, so no
//! `set_var` is needed): this framework (`loader().env()`: unknown-variable checks,
//! provenance, validation), `envy` and `confique`.
//!
//! From a map of variables: this framework (`from_map`), `envy` (`from_iter`), `config`
//! (`Environment` source over a map, with parsing), `figment` (a provider that turns the
//! variables into values the way its `Env` provider does; figment extracts from them
//! directly). Every one gets owned copies of the same variables in each iteration.
//!
//! From TOML text with a map of ten sections and an array of ten sections (`sections_`): this
//! framework (`.string(text, Format::Toml)`: provenance per key, unknown-key checks), `figment`
//! (`Toml::string`) and `config` (`File::from_str`), filling the same types (they derive both
//! `Config` and `Deserialize`), each parsing the same text in each iteration.
//!
//! Run: `cargo bench -p config-benches --bench load`

use config_benches::{Hundred, HundredConfique, HundredSerde, Sections, sections_toml, variables};
use config_runtime::{Config, Format};

/// Set in the re-run child: the variables are in its environment.
const CHILD: &str = "CONFIG_BENCH_CHILD";

fn main() {
    if std::env::var_os(CHILD).is_some() {
        divan::main();
        return;
    }
    let status = std::process::Command::new(std::env::current_exe().expect("the bench binary"))
        .args(std::env::args_os().skip(1))
        .envs(variables())
        .env(CHILD, "1")
        .status()
        .expect("the bench re-runs itself");
    std::process::exit(status.code().unwrap_or(1));
}

/// The environment loads take 1,000 samples of 10 loads each: with divan's default (100 single
/// loads) their medians moved by a tenth from run to run, more than the gaps being measured.
#[divan::bench(sample_count = 1000, sample_size = 10)]
fn env_typed_config(bencher: divan::Bencher) {
    bencher.bench_local(|| Hundred::loader().env().load().unwrap());
}

#[divan::bench(sample_count = 1000, sample_size = 10)]
fn env_envy(bencher: divan::Bencher) {
    bencher.bench_local(|| envy::prefixed("BENCH_").from_env::<HundredSerde>().unwrap());
}

#[divan::bench(sample_count = 1000, sample_size = 10)]
fn env_confique(bencher: divan::Bencher) {
    use confique::Config as _;
    bencher.bench_local(|| HundredConfique::builder().env().load().unwrap());
}

#[divan::bench]
fn map_typed_config(bencher: divan::Bencher) {
    let vars = variables();
    bencher.bench_local(|| Hundred::from_map(divan::black_box(vars.iter().cloned())).unwrap());
}

#[divan::bench]
fn map_envy(bencher: divan::Bencher) {
    let vars = variables();
    bencher.bench_local(|| {
        envy::prefixed("BENCH_")
            .from_iter::<_, HundredSerde>(divan::black_box(vars.iter().cloned()))
            .unwrap()
    });
}

#[divan::bench]
fn map_config_rs(bencher: divan::Bencher) {
    let vars = variables();
    bencher.bench_local(|| {
        let map: config::Map<String, String> = divan::black_box(vars.iter().cloned()).collect();
        config::Config::builder()
            .add_source(
                config::Environment::with_prefix("BENCH")
                    .try_parsing(true)
                    .source(Some(map)),
            )
            .build()
            .unwrap()
            .try_deserialize::<HundredSerde>()
            .unwrap()
    });
}

/// The variables as figment's own `Env` provider turns variables into a dictionary (each key
/// stripped of its prefix, lower-cased and nested, each value parsed with `Value`'s `FromStr`),
/// given to figment as a provider: figment extracts straight from that dictionary, as it does
/// from `Env`, with no serialisation in between.
struct FigmentVars(Vec<(String, String)>);

impl figment::Provider for FigmentVars {
    fn metadata(&self) -> figment::Metadata {
        figment::Metadata::named("variables")
    }

    fn data(
        &self,
    ) -> Result<figment::value::Map<figment::Profile, figment::value::Dict>, figment::Error> {
        let mut dict = figment::value::Dict::new();
        for (name, value) in &self.0 {
            let key = name.trim_start_matches("BENCH_").to_ascii_lowercase();
            let value = value.parse().expect("parsing a figment value cannot fail");
            let nested = figment::util::nest(&key, value)
                .into_dict()
                .expect("a non-empty key nests into a dictionary");
            dict.extend(nested);
        }
        Ok(figment::Profile::Default.collect(dict))
    }
}

#[divan::bench]
fn map_figment(bencher: divan::Bencher) {
    let vars = variables();
    bencher.bench_local(|| {
        // Owned copies of the variables, as the other `map_` benches hand their library.
        let provider = FigmentVars(divan::black_box(vars.iter().cloned()).collect());
        figment::Figment::from(provider)
            .extract::<HundredSerde>()
            .unwrap()
    });
}

#[divan::bench]
fn sections_typed_config(bencher: divan::Bencher) {
    let text = sections_toml();
    bencher.bench_local(|| {
        let sections = Sections::loader()
            .string(divan::black_box(text.as_str()), Format::Toml)
            .load()
            .unwrap();
        assert_eq!((sections.services.len(), sections.backends.len()), (10, 10));
        sections
    });
}

#[divan::bench]
fn sections_figment(bencher: divan::Bencher) {
    use figment::providers::{Format as _, Toml};
    let text = sections_toml();
    bencher.bench_local(|| {
        let sections = figment::Figment::from(Toml::string(divan::black_box(text.as_str())))
            .extract::<Sections>()
            .unwrap();
        assert_eq!((sections.services.len(), sections.backends.len()), (10, 10));
        sections
    });
}

#[divan::bench]
fn sections_config_rs(bencher: divan::Bencher) {
    let text = sections_toml();
    bencher.bench_local(|| {
        let sections = config::Config::builder()
            .add_source(config::File::from_str(
                divan::black_box(text.as_str()),
                config::FileFormat::Toml,
            ))
            .build()
            .unwrap()
            .try_deserialize::<Sections>()
            .unwrap();
        assert_eq!((sections.services.len(), sections.backends.len()), (10, 10));
        sections
    });
}
