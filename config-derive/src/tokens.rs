//! Tokens back to the text a user wrote, for docs (`default: 8080`) and messages.

use quote::ToTokens;

/// The source text of `tokens` when the compiler can give it, else their printed form
/// tidied of the spaces the token printer adds (`Duration :: from_secs (30)`).
pub fn text(tokens: &impl ToTokens) -> String {
    let stream = tokens.to_token_stream();
    let mut iter = stream.clone().into_iter();
    if let (Some(first), last) = (iter.next(), iter.last()) {
        let span = match last {
            Some(last) => first.span().join(last.span()),
            None => Some(first.span()),
        };
        if let Some(source) = span.and_then(|span| span.source_text()) {
            return source;
        }
    }
    tidy(&stream.to_string())
}

/// Removes the spaces `TokenStream::to_string` puts around punctuation.
fn tidy(printed: &str) -> String {
    let mut out = printed.to_owned();
    for (from, to) in [
        (" :: ", "::"),
        (":: ", "::"),
        (" ::", "::"),
        (" (", "("),
        ("( ", "("),
        (" )", ")"),
        (" [", "["),
        ("[ ", "["),
        (" ]", "]"),
        (" ,", ","),
        (" .", "."),
        (". ", "."),
        ("! ", "!"),
        (" !", "!"),
        ("< ", "<"),
        (" <", "<"),
        (" >", ">"),
        ("- ", "-"),
        ("& ", "&"),
    ] {
        out = out.replace(from, to);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::tidy;

    #[test]
    fn tidies_printed_tokens() {
        assert_eq!(
            tidy("Duration :: from_secs (30)"),
            "Duration::from_secs(30)"
        );
        assert_eq!(tidy("vec ! [1 , 2]"), "vec![1, 2]");
        assert_eq!(tidy("url :: Url"), "url::Url");
        assert_eq!(
            tidy("Option < Secret < String > >"),
            "Option<Secret<String>>"
        );
        assert_eq!(tidy("- 5"), "-5");
    }
}
