//! "Did you mean …?" suggestions for unknown variables, keys and words.

/// The candidate closest to `input`, if it is close enough to be a likely typo.
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let input_lower = input.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            let score = strsim::jaro_winkler(&input_lower, &candidate.to_ascii_lowercase());
            (score, candidate)
        })
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn finds_typos_and_ignores_strangers() {
        let names = ["DATABASE_URL", "APP_PORT", "APP_LOG_LEVEL"];
        assert_eq!(closest("DATABSE_URL", names), Some("DATABASE_URL"));
        assert_eq!(closest("APP_PROT", names), Some("APP_PORT"));
        assert_eq!(closest("HOME", names), None);
    }
}
