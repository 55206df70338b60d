//! SDK errors to [`ProviderError`]s: by the AWS error code, not the HTTP status (moto answers
//! `ResourceNotFoundException` with 404 where AWS uses 400). Messages name the secret and the
//! code, never a value.

use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use config_runtime::{ProviderError, ProviderErrorKind};

/// Maps an SDK error of a call about `what` (e.g. "Secrets Manager secret `prod/db`").
pub(super) fn to_provider_error<E, R>(error: &SdkError<E, R>, what: &str) -> ProviderError
where
    E: ProvideErrorMetadata,
{
    let (kind, reason) = match error {
        SdkError::TimeoutError(_) => (ProviderErrorKind::Unavailable, "timed out".to_owned()),
        SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => (
            ProviderErrorKind::Unavailable,
            "cannot reach AWS".to_owned(),
        ),
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("UnknownError");
            let kind = match code {
                "ResourceNotFoundException" | "ParameterNotFound" | "ParameterVersionNotFound" => {
                    ProviderErrorKind::NotFound
                }
                "AccessDeniedException"
                | "UnrecognizedClientException"
                | "InvalidClientTokenId"
                | "SignatureDoesNotMatch"
                | "ExpiredTokenException"
                | "AccessDenied" => ProviderErrorKind::Denied,
                "ThrottlingException"
                | "Throttling"
                | "InternalServiceError"
                | "InternalServerError"
                | "ServiceUnavailable" => ProviderErrorKind::Unavailable,
                _ => ProviderErrorKind::Invalid,
            };
            (kind, code.to_owned())
        }
        _ => (
            ProviderErrorKind::Invalid,
            "the request could not be built".to_owned(),
        ),
    };
    ProviderError::new(kind, format!("AWS refused {what}: {reason}"))
}
