//! dotenvx-encrypted `.env` values (`NAME="encrypted:.."`), decrypted in process (feature
//! `sops`). Each value is ECIES over secp256k1 as dotenvx (eciesjs) writes it: an uncompressed
//! ephemeral public key (65 bytes), then AES-256-GCM with a 16-byte nonce and a 16-byte tag,
//! keyed by HKDF-SHA256 over the ephemeral key and the shared point (both uncompressed). The
//! private key comes from `DOTENV_PRIVATE_KEY` (`DOTENV_PRIVATE_KEY_<ENV>` for `.env.<env>`),
//! in the environment or in the `.env.keys` file beside the `.env`; several keys may be given,
//! comma-separated, as dotenvx allows.

use std::path::Path;

use aes_gcm::AesGcm;
use aes_gcm::aead::consts::U16;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::aes::Aes256;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use k256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use k256::{EncodedPoint, ProjectivePoint, PublicKey, SecretKey};
use zeroize::Zeroizing;

use crate::source::file::{ReadFailure, read_limited};

/// What marks an encrypted value.
pub(crate) const PREFIX: &str = "encrypted:";

/// AES-256-GCM with the 16-byte nonce eciesjs uses.
type Cipher = AesGcm<Aes256, U16>;

/// Sizes of the parts of an encrypted value.
const EPHEMERAL_KEY: usize = 65;
const NONCE: usize = 16;
const TAG: usize = 16;

/// The variable that holds the key of the `.env` file at `path`: `DOTENV_PRIVATE_KEY` for
/// `.env`, `DOTENV_PRIVATE_KEY_PRODUCTION` for `.env.production` (`.env.ci.eu` →
/// `DOTENV_PRIVATE_KEY_CI_EU`), as dotenvx names them.
pub(crate) fn key_variable(path: &Path) -> String {
    const NAME: &str = "DOTENV_PRIVATE_KEY";
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    match file.strip_prefix(".env.") {
        Some(env) if !env.is_empty() && env != "keys" => {
            format!("{NAME}_{}", env.replace('.', "_").to_uppercase())
        }
        _ => NAME.to_owned(),
    }
}

/// Why the file's values did not decrypt. Names places, never values or keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// No key in the environment nor in `.env.keys`.
    NoKey { variable: String, keys_file: String },
    /// A key that is not 64 hex digits of a valid secp256k1 scalar.
    InvalidKey { variable: String, place: String },
    /// The `.env.keys` file exists and cannot be read.
    KeysFile(String),
    /// The value of `name` opens with none of the keys (or was changed).
    NoFit { name: String },
    /// The value of `name` is not base64 of an ECIES message.
    Malformed { name: String },
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::NoKey {
                variable,
                keys_file,
            } => write!(
                f,
                "no private key to decrypt its dotenvx values: set {variable} or put it in {keys_file}"
            ),
            Failure::InvalidKey { variable, place } => {
                write!(
                    f,
                    "{variable} ({place}) is not a secp256k1 private key in hex"
                )
            }
            Failure::KeysFile(message) => f.write_str(message),
            Failure::NoFit { name } => write!(
                f,
                "the dotenvx value of {name} does not decrypt with the private key (a wrong key, or the value was changed)"
            ),
            Failure::Malformed { name } => {
                write!(
                    f,
                    "the dotenvx value of {name} is not a valid encrypted value"
                )
            }
        }
    }
}

/// The private keys for the `.env` at `path`: the environment first, then `.env.keys`.
pub(crate) fn private_keys(path: &Path, max_size: u64) -> Result<Vec<SecretKey>, Failure> {
    let variable = key_variable(path);
    let keys_file = path.with_file_name(".env.keys");
    let (text, place) = match std::env::var(&variable) {
        Ok(text) if !text.is_empty() => (Zeroizing::new(text), "environment".to_owned()),
        _ => match read_limited(&keys_file, max_size) {
            Ok(text) => {
                let text = Zeroizing::new(text);
                let found = (crate::format::parse_dotenv(&text)
                    .ok()
                    .into_iter()
                    .flatten())
                .find(|entry| entry.key == variable)
                .map(|entry| Zeroizing::new(entry.value));
                match found {
                    Some(value) => (value, keys_file.display().to_string()),
                    None => return Err(no_key(variable, &keys_file)),
                }
            }
            Err(ReadFailure::Missing) => return Err(no_key(variable, &keys_file)),
            Err(ReadFailure::Refused(message)) => return Err(Failure::KeysFile(message)),
        },
    };
    (text.split(','))
        .map(|hex| parse_key(hex.trim()))
        .collect::<Option<Vec<_>>>()
        .filter(|keys| !keys.is_empty())
        .ok_or(Failure::InvalidKey { variable, place })
}

fn no_key(variable: String, keys_file: &Path) -> Failure {
    Failure::NoKey {
        variable,
        keys_file: keys_file.display().to_string(),
    }
}

/// A private key written as 64 hex digits.
fn parse_key(hex: &str) -> Option<SecretKey> {
    if hex.len() != 64 {
        return None;
    }
    let mut bytes = Zeroizing::new([0u8; 32]);
    for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks(2)) {
        let text = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(text, 16).ok()?;
    }
    SecretKey::from_slice(bytes.as_slice()).ok()
}

/// Decrypts the value of `name` (with its `encrypted:` prefix) with the first key that fits.
pub(crate) fn decrypt(name: &str, value: &str, keys: &[SecretKey]) -> Result<String, Failure> {
    let malformed = || Failure::Malformed {
        name: name.to_owned(),
    };
    let data = STANDARD
        .decode(value.strip_prefix(PREFIX).ok_or_else(malformed)?)
        .map_err(|_| malformed())?;
    if data.len() < EPHEMERAL_KEY + NONCE + TAG {
        return Err(malformed());
    }
    let (ephemeral, rest) = data.split_at(EPHEMERAL_KEY);
    let ephemeral = EncodedPoint::from_bytes(ephemeral).map_err(|_| malformed())?;
    let ephemeral = Option::<PublicKey>::from(PublicKey::from_encoded_point(&ephemeral))
        .ok_or_else(malformed)?;
    let (nonce, rest) = rest.split_at(NONCE);
    let (tag, sealed) = rest.split_at(TAG);
    let mut message = sealed.to_vec();
    message.extend_from_slice(tag);
    for key in keys {
        let aes_key = shared_key(&ephemeral, key);
        let cipher = Cipher::new(aes_key.as_slice().into());
        if let Ok(plain) = cipher.decrypt(nonce.into(), message.as_slice()) {
            let plain = Zeroizing::new(plain);
            return String::from_utf8(plain.to_vec()).map_err(|_| malformed());
        }
    }
    Err(Failure::NoFit {
        name: name.to_owned(),
    })
}

/// HKDF-SHA256 over the ephemeral public key and the shared point, both uncompressed.
fn shared_key(ephemeral: &PublicKey, key: &SecretKey) -> Zeroizing<[u8; 32]> {
    let shared = (ProjectivePoint::from(*ephemeral.as_affine()) * *key.to_nonzero_scalar())
        .to_affine()
        .to_encoded_point(false);
    let mut ikm = Zeroizing::new(Vec::with_capacity(2 * EPHEMERAL_KEY));
    ikm.extend_from_slice(ephemeral.to_encoded_point(false).as_bytes());
    ikm.extend_from_slice(shared.as_bytes());
    let mut out = Zeroizing::new([0u8; 32]);
    hkdf::Hkdf::<sha2::Sha256>::new(None, &ikm)
        .expand(&[], out.as_mut_slice())
        .expect("32 bytes is a valid HKDF-SHA256 length");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_variables_follow_the_file_name() {
        assert_eq!(key_variable(Path::new("app/.env")), "DOTENV_PRIVATE_KEY");
        assert_eq!(
            key_variable(Path::new(".env.production")),
            "DOTENV_PRIVATE_KEY_PRODUCTION"
        );
        assert_eq!(
            key_variable(Path::new(".env.ci.eu")),
            "DOTENV_PRIVATE_KEY_CI_EU"
        );
    }

    /// A value the official CLI wrote (`dotenvx encrypt`), with its key.
    #[test]
    fn a_value_written_by_dotenvx_decrypts() {
        let key =
            parse_key("b03214e6b0984dfc535e680978f2c034e8f8323aadcf8c60cac0aa93c525d6d3").unwrap();
        let value = "encrypted:BFfUAcAdszCbvy7gZriem9B+X6TO9ieYORGTqKOpPUxJ5rAw4QPa7BX9BxovFNM94bZlNJAom+80q8Dyksre4f9TjxSuoiyO2jTSse215uN6cQRtt6flaoqzIq6txN9rL1uPuoI=";
        assert_eq!(decrypt("APP_PORT", value, &[key]).unwrap(), "8080");
        let other = parse_key(&"11".repeat(32)).unwrap();
        assert!(matches!(
            decrypt("APP_PORT", value, &[other]),
            Err(Failure::NoFit { .. })
        ));
    }
}
