//! SDK errors to [`ProviderError`]s, classified by the AWS error code first and the HTTP
//! status only when there is no code (moto answers `ResourceNotFoundException` with 404 where
//! AWS uses 400, and auth failures with XML bodies even for JSON services). Messages name the
//! secret or parameter and the code, never a value. A call whose credentials come from
//! assuming a role names STS's refusal instead, when that is why it failed.

use std::error::Error as StdError;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_secretsmanager::config::http::HttpResponse;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use config_runtime::{ProviderError, ProviderErrorKind};

/// AWS messages are short; anything longer is cut so a surprising body cannot flood a report.
const MAX_MESSAGE: usize = 200;

/// Maps an SDK error of a call about `what` (e.g. "AWS Secrets Manager secret `prod/db`").
pub(super) fn to_provider_error<E>(error: &SdkError<E, HttpResponse>, what: &str) -> ProviderError
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    let (kind, reason) = match error {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let meta = service.err();
            match meta.code().or_else(|| code_of_raw(service.raw())) {
                Some(code) => (
                    kind_of_code(code).unwrap_or_else(|| kind_of_status(status)),
                    match meta.message().map(str::trim).filter(|m| !m.is_empty()) {
                        Some(message) => format!("{code}: {}", shorten(message)),
                        None => code.to_owned(),
                    },
                ),
                None => (
                    kind_of_status(status),
                    format!("HTTP {status} without an AWS error code"),
                ),
            }
        }
        SdkError::TimeoutError(_) => (ProviderErrorKind::Unavailable, "timed out".to_owned()),
        _ if has_source::<CredentialsError>(error) => (
            ProviderErrorKind::Denied,
            format!("no usable AWS credentials ({})", chain(error)),
        ),
        SdkError::DispatchFailure(_) => (
            ProviderErrorKind::Unavailable,
            format!("cannot reach AWS ({})", chain(error)),
        ),
        SdkError::ResponseError(response) => {
            let status = response.raw().status().as_u16();
            (
                kind_of_status(status),
                format!("unreadable answer (HTTP {status})"),
            )
        }
        _ => (
            ProviderErrorKind::Invalid,
            format!("the request could not be built ({})", chain(error)),
        ),
    };
    ProviderError::new(kind, format!("{what}: {reason}"))
}

/// Why a call made with the credentials of an assumed role failed before it was sent, when
/// that is the reason: the role's provider could not get them from STS (`what` names the role
/// and what it was for). `None` for any other failure. Like every error here it carries STS's
/// code and message, never credentials.
pub(super) fn assume_role_failure(
    error: &(dyn StdError + 'static),
    what: &str,
) -> Option<ProviderError> {
    let assuming = find_source::<CredentialsError>(error)?;
    let refused = assuming
        .source()
        .and_then(find_source::<SdkError<AssumeRoleError, HttpResponse>>);
    Some(match refused {
        Some(refused) => to_provider_error(refused, what),
        None => {
            let kind = match assuming {
                CredentialsError::ProviderTimedOut(_) => ProviderErrorKind::Unavailable,
                CredentialsError::InvalidConfiguration(_) => ProviderErrorKind::Invalid,
                _ => ProviderErrorKind::Denied,
            };
            ProviderError::new(kind, format!("{what}: {}", chain(assuming)))
        }
    })
}

/// The kind an AWS error code means, when it is one we know.
fn kind_of_code(code: &str) -> Option<ProviderErrorKind> {
    Some(match code {
        "ResourceNotFoundException" | "ParameterNotFound" | "ParameterVersionNotFound" => {
            ProviderErrorKind::NotFound
        }
        "AccessDeniedException"
        | "AccessDenied"
        | "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "InvalidSignatureException"
        | "IncompleteSignature"
        | "MissingAuthenticationToken"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "KMSAccessDeniedException" => ProviderErrorKind::Denied,
        "ThrottlingException"
        | "Throttling"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "InternalServiceError"
        | "InternalServerError"
        | "InternalFailure"
        | "ServiceUnavailable"
        | "ServiceUnavailableException" => ProviderErrorKind::Unavailable,
        _ => return None,
    })
}

/// The kind an HTTP status means, for answers without a known code.
fn kind_of_status(status: u16) -> ProviderErrorKind {
    match status {
        401 | 403 => ProviderErrorKind::Denied,
        404 => ProviderErrorKind::NotFound,
        429 | 500..=599 => ProviderErrorKind::Unavailable,
        _ => ProviderErrorKind::Invalid,
    }
}

/// The error code of an answer the SDK could not parse: AWS's auth layer (and moto) answer
/// some JSON-protocol calls with an XML `<Code>`, or only an `x-amzn-ErrorType` header. Only
/// an identifier-like code is taken, never other text of the body.
fn code_of_raw(raw: &HttpResponse) -> Option<&str> {
    let is_code = |code: &&str| {
        !code.is_empty() && code.len() <= 64 && code.chars().all(|c| c.is_ascii_alphanumeric())
    };
    let from_header = raw
        .headers()
        .get("x-amzn-errortype")
        .map(|value| value.split([':', '#']).next().unwrap_or(value));
    let from_body = || {
        let body = std::str::from_utf8(raw.body().bytes()?).ok()?;
        let start = body.find("<Code>")? + "<Code>".len();
        let end = start + body[start..].find("</Code>")?;
        Some(&body[start..end])
    };
    from_header
        .filter(is_code)
        .or_else(|| from_body().filter(is_code))
}

/// Whether `T` is somewhere in the error's source chain (credential failures surface as
/// dispatch failures, since identity is resolved just before sending).
fn has_source<T: StdError + 'static>(error: &(dyn StdError + 'static)) -> bool {
    find_source::<T>(error).is_some()
}

/// The first `T` in the error's source chain, the error itself included.
fn find_source<'a, T: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// The error with its causes on one line, `a: b: c` (connection and credential errors carry
/// no values); a cause already spelled out by the error before it is skipped.
fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    shorten(&parts.join(": "))
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_win_over_statuses() {
        // moto's 404 and AWS's 400 for a missing secret both mean NotFound.
        assert_eq!(
            kind_of_code("ResourceNotFoundException"),
            Some(ProviderErrorKind::NotFound)
        );
        assert_eq!(kind_of_code("ValidationException"), None);
        assert_eq!(kind_of_status(403), ProviderErrorKind::Denied);
        assert_eq!(kind_of_status(503), ProviderErrorKind::Unavailable);
        assert_eq!(kind_of_status(400), ProviderErrorKind::Invalid);
    }

    /// A credential chain that finds nothing, as on a machine without any AWS setup.
    #[derive(Debug)]
    struct NoCredentials;

    impl aws_credential_types::provider::ProvideCredentials for NoCredentials {
        fn provide_credentials<'a>(
            &'a self,
        ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            aws_credential_types::provider::future::ProvideCredentials::ready(Err(
                CredentialsError::not_loaded("nothing in the chain"),
            ))
        }
    }

    #[tokio::test]
    async fn missing_credentials_are_denied_not_an_outage() {
        use aws_sdk_secretsmanager::config::{BehaviorVersion, Region};
        let config = aws_sdk_secretsmanager::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .credentials_provider(NoCredentials)
            .build();
        let client = aws_sdk_secretsmanager::Client::from_conf(config);
        let error = client
            .get_secret_value()
            .secret_id("prod/db")
            .send()
            .await
            .unwrap_err();
        let error = to_provider_error(&error, "AWS Secrets Manager secret `prod/db`");
        assert_eq!(error.kind, ProviderErrorKind::Denied, "{error}");
        assert!(
            error
                .message
                .starts_with("AWS Secrets Manager secret `prod/db`: no usable AWS credentials"),
            "{error}"
        );
    }

    #[test]
    fn long_messages_are_cut() {
        let long = "x".repeat(500);
        assert_eq!(shorten(&long).chars().count(), MAX_MESSAGE + 1);
        assert_eq!(shorten("short"), "short");
    }
}
