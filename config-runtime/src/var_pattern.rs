//! Variable names with `*` globs (`ATUIN_*`, `*_CONFIG_LOCATION`), for `Loader::allow_vars`:
//! names an application reads itself, which the unknown-variable check then leaves alone.
//! `*` matches any run of characters (none included); every other character matches itself.

/// Whether any of `patterns` matches `name`.
pub(crate) fn any_matches(patterns: &[&str], name: &str) -> bool {
    patterns.iter().any(|pattern| matches(pattern, name))
}

/// Whether `pattern` matches the whole of `name`. Linear in `name` per star: each piece
/// between stars is taken at its first place after the previous one, which is enough
/// because a star can absorb whatever lies between.
pub(crate) fn matches(pattern: &str, name: &str) -> bool {
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let mut pieces: Vec<&str> = pieces.collect();
    let Some(last) = pieces.pop() else {
        return rest.is_empty(); // no star: the name is the pattern
    };
    for piece in pieces {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_names_and_globs() {
        assert!(matches("LEMMY_CONFIG_LOCATION", "LEMMY_CONFIG_LOCATION"));
        assert!(!matches("LEMMY_CONFIG_LOCATION", "LEMMY_CONFIG_LOCATIONS"));
        assert!(!matches("LEMMY_CONFIG_LOCATION", "LEMMY_CONFIG"));
        assert!(matches("ATUIN_*", "ATUIN_SESSION"));
        assert!(matches("ATUIN_*", "ATUIN_"));
        assert!(!matches("ATUIN_*", "XATUIN_SESSION"));
        assert!(matches("*_LOCATION", "LEMMY_CONFIG_LOCATION"));
        assert!(!matches("*_LOCATION", "LEMMY_LOCATIONS"));
        assert!(matches("APP_*_FILE", "APP_TLS_CERT_FILE"));
        assert!(!matches("APP_*_FILE", "APP_FILE"));
        assert!(matches("A*B*C", "AxxBxxBxxC"));
        assert!(!matches("A*B*C", "AxxCxxB"));
        assert!(matches("*", "ANYTHING"));
        assert!(matches("AB*AB", "AB_AB"));
        assert!(!matches("AB*AB", "AB"));
    }

    #[test]
    fn any_of_several() {
        let patterns = ["LEMMY_CONFIG_LOCATION", "ATUIN_*"];
        assert!(any_matches(&patterns, "ATUIN_HOST"));
        assert!(any_matches(&patterns, "LEMMY_CONFIG_LOCATION"));
        assert!(!any_matches(&patterns, "LEMMY_DATABASE_URL"));
        assert!(!any_matches(&[], "ATUIN_HOST"));
    }
}
