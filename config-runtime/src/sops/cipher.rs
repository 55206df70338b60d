//! One SOPS value: `ENC[AES256_GCM,data:..,iv:..,tag:..,type:..]`, AES-256-GCM with the
//! 32-byte nonces sops writes, and the value's path as the additional data.

use aes_gcm::AesGcm;
use aes_gcm::aead::consts::U32;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::aes::Aes256;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

/// AES-256-GCM with sops' 32-byte nonce.
type Cipher = AesGcm<Aes256, U32>;

/// The 32-byte data key every value of a file is encrypted with; wiped when dropped.
pub(crate) type DataKey = Zeroizing<[u8; 32]>;

/// What a value was before sops encrypted it; decides how it is written back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueType {
    Str,
    Int,
    Float,
    Bool,
    /// A YAML comment: decrypted by sops, but never part of the config.
    Comment,
}

/// Why a value could not be decrypted. Never holds the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ValueError {
    /// Not in sops' `ENC[AES256_GCM,..]` form.
    Malformed,
    /// A type other than `str`, `int`, `float`, `bool` or `comment`.
    UnsupportedType(String),
    /// The tag did not verify: the value, its place or the key is wrong.
    Authentication,
}

/// Decrypts one `ENC[..]` text with `key`, authenticating `aad` (the value's path).
pub(crate) fn decrypt(
    text: &str,
    key: &DataKey,
    aad: &str,
) -> Result<(Zeroizing<Vec<u8>>, ValueType), ValueError> {
    let parts = Parts::parse(text).ok_or(ValueError::Malformed)?;
    let kind = match parts.kind {
        "str" => ValueType::Str,
        "int" => ValueType::Int,
        "float" => ValueType::Float,
        "bool" => ValueType::Bool,
        "comment" => ValueType::Comment,
        other => return Err(ValueError::UnsupportedType(other.to_owned())),
    };
    let decode = |b64: &str| STANDARD.decode(b64).map_err(|_| ValueError::Malformed);
    let mut sealed = decode(parts.data)?;
    sealed.extend_from_slice(&decode(parts.tag)?);
    let iv = decode(parts.iv)?;
    if iv.len() != 32 {
        return Err(ValueError::Malformed);
    }
    let cipher = Cipher::new(key.as_slice().into());
    let payload = Payload {
        msg: &sealed,
        aad: aad.as_bytes(),
    };
    let plain = cipher
        .decrypt(iv.as_slice().into(), payload)
        .map_err(|_| ValueError::Authentication)?;
    Ok((Zeroizing::new(plain), kind))
}

/// The fields of an `ENC[..]` text, still base64.
struct Parts<'t> {
    data: &'t str,
    iv: &'t str,
    tag: &'t str,
    kind: &'t str,
}

impl<'t> Parts<'t> {
    fn parse(text: &'t str) -> Option<Self> {
        let inner = text.strip_prefix("ENC[AES256_GCM,")?.strip_suffix(']')?;
        let mut fields = inner.split(',');
        let mut take = |name: &str| fields.next()?.strip_prefix(name)?.strip_prefix(':');
        let parts = Parts {
            data: take("data")?,
            iv: take("iv")?,
            tag: take("tag")?,
            kind: take("type")?,
        };
        fields.next().is_none().then_some(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parts_are_read_in_order_and_nothing_else_is_accepted() {
        let parts = Parts::parse("ENC[AES256_GCM,data:YQ==,iv:aXY=,tag:dA==,type:int]").unwrap();
        assert_eq!(
            (parts.data, parts.iv, parts.tag, parts.kind),
            ("YQ==", "aXY=", "dA==", "int")
        );
        assert!(Parts::parse("ENC[AES256_GCM,data:YQ==,iv:aXY=,tag:dA==]").is_none());
        assert!(Parts::parse("ENC[AES256_GCM,data:YQ==,iv:aXY=,tag:dA==,type:str,x:y]").is_none());
        assert!(Parts::parse("plain").is_none());
    }

    #[test]
    fn a_wrong_key_or_place_fails_authentication() {
        let key: DataKey = Zeroizing::new([7; 32]);
        let cipher = Cipher::new(key.as_slice().into());
        let iv = [1u8; 32];
        let sealed = cipher
            .encrypt(
                iv.as_slice().into(),
                Payload {
                    msg: b"42",
                    aad: b"port:",
                },
            )
            .unwrap();
        let (data, tag) = sealed.split_at(sealed.len() - 16);
        let text = format!(
            "ENC[AES256_GCM,data:{},iv:{},tag:{},type:int]",
            STANDARD.encode(data),
            STANDARD.encode(iv),
            STANDARD.encode(tag)
        );
        let (plain, kind) = decrypt(&text, &key, "port:").unwrap();
        assert_eq!((plain.as_slice(), kind), (b"42".as_slice(), ValueType::Int));
        assert_eq!(
            decrypt(&text, &key, "other:"),
            Err(ValueError::Authentication)
        );
        let wrong: DataKey = Zeroizing::new([8; 32]);
        assert_eq!(
            decrypt(&text, &wrong, "port:"),
            Err(ValueError::Authentication)
        );
    }
}
