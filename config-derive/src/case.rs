//! `rename_all = ".."`: the spellings serde users know, applied to field keys and variant
//! names.

use heck::{
    ToKebabCase, ToLowerCamelCase, ToShoutyKebabCase, ToShoutySnakeCase, ToSnakeCase,
    ToUpperCamelCase,
};

/// The accepted `rename_all` values, for the error message.
pub const STYLES: &[&str] = &[
    "lowercase",
    "UPPERCASE",
    "PascalCase",
    "camelCase",
    "snake_case",
    "SCREAMING_SNAKE_CASE",
    "kebab-case",
    "SCREAMING-KEBAB-CASE",
];

/// `name` spelt in `style`; `None` for a style not in [`STYLES`].
pub fn rename(style: &str, name: &str) -> Option<String> {
    Some(match style {
        "lowercase" => name.to_lowercase(),
        "UPPERCASE" => name.to_uppercase(),
        "PascalCase" => name.to_upper_camel_case(),
        "camelCase" => name.to_lower_camel_case(),
        "snake_case" => name.to_snake_case(),
        "SCREAMING_SNAKE_CASE" => name.to_shouty_snake_case(),
        "kebab-case" => name.to_kebab_case(),
        "SCREAMING-KEBAB-CASE" => name.to_shouty_kebab_case(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::rename;

    #[test]
    fn spellings() {
        assert_eq!(
            rename("kebab-case", "http_port").as_deref(),
            Some("http-port")
        );
        assert_eq!(
            rename("snake_case", "HttpSink").as_deref(),
            Some("http_sink")
        );
        assert_eq!(
            rename("camelCase", "http_port").as_deref(),
            Some("httpPort")
        );
        assert_eq!(
            rename("lowercase", "Blackhole").as_deref(),
            Some("blackhole")
        );
        assert_eq!(rename("Title", "x"), None);
    }
}
