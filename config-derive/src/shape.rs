//! What a field's type looks like, read from its syntax: the wrappers around the value
//! (`Option`, `Vec`, `Secret`, outermost first) and the leaf type inside. A macro sees no
//! types, only tokens, so this is what lets it reject `min_len` on a `u16` at compile time.

use syn::{GenericArgument, PathArguments, Type};

/// A wrapper the runtime knows, recognised by the last segment of its path.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Wrapper {
    /// `Option<T>`: the value may be absent.
    Option,
    /// `Vec<T>`: a comma-separated list.
    Vec,
    /// `Secret<T>`: redacted everywhere.
    Secret,
}

impl Wrapper {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "Option" => Some(Wrapper::Option),
            "Vec" => Some(Wrapper::Vec),
            "Secret" => Some(Wrapper::Secret),
            _ => None,
        }
    }
}

/// What kind of value the leaf type is, as far as the rules and defaults care.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LeafKind {
    /// `i8` .. `i128`, `isize`, `u8` .. `u128`, `usize`.
    Int(IntKind),
    /// `f32`, `f64`.
    Float,
    /// `bool`.
    Bool,
    /// `String`.
    Text,
    /// `PathBuf`.
    Path,
    /// `Url`.
    Url,
    /// `Duration`.
    Duration,
    /// `ByteSize` (`"100 MB"`, `"1MiB"`, whole bytes).
    ByteSize,
    /// `NonZeroU8` .. `NonZeroUsize`, `NonZeroI8` .. `NonZeroIsize`: the bounds of the plain
    /// integer; zero is refused on top.
    NonZero(IntKind),
    /// `IpAddr`, `Ipv4Addr`, `Ipv6Addr`, `SocketAddr`, `SocketAddrV4`, `SocketAddrV6`: the name.
    Address(&'static str),
    /// Anything else (user types through `ConfigValue`): the runtime's traits decide.
    Other,
}

/// An integer type, by its bounds (for checking literal defaults).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct IntKind {
    /// The Rust name, for messages.
    pub name: &'static str,
    /// Smallest value.
    pub min: i128,
    /// Largest value (`u128` is capped at `i128::MAX`, which no literal default reaches).
    pub max: i128,
}

impl LeafKind {
    fn from_name(name: &str) -> Self {
        let int = |name, min: i128, max: i128| LeafKind::Int(IntKind { name, min, max });
        if let Some(plain) = name.strip_prefix("NonZero") {
            let plain = plain.to_ascii_lowercase();
            if let (LeafKind::Int(int), Some(name)) =
                (LeafKind::from_name(&plain), non_zero_name(&plain))
            {
                return LeafKind::NonZero(IntKind { name, ..int });
            }
        }
        match name {
            "i8" => int("i8", i8::MIN.into(), i8::MAX.into()),
            "i16" => int("i16", i16::MIN.into(), i16::MAX.into()),
            "i32" => int("i32", i32::MIN.into(), i32::MAX.into()),
            "i64" | "isize" => int("i64", i64::MIN.into(), i64::MAX.into()),
            "i128" => int("i128", i128::MIN, i128::MAX),
            "u8" => int("u8", 0, u8::MAX.into()),
            "u16" => int("u16", 0, u16::MAX.into()),
            "u32" => int("u32", 0, u32::MAX.into()),
            "u64" | "usize" => int("u64", 0, u64::MAX.into()),
            "u128" => int("u128", 0, i128::MAX),
            "f32" | "f64" => LeafKind::Float,
            "bool" => LeafKind::Bool,
            "String" => LeafKind::Text,
            "PathBuf" => LeafKind::Path,
            "Url" => LeafKind::Url,
            "Duration" => LeafKind::Duration,
            "ByteSize" => LeafKind::ByteSize,
            "IpAddr" => LeafKind::Address("IpAddr"),
            "Ipv4Addr" => LeafKind::Address("Ipv4Addr"),
            "Ipv6Addr" => LeafKind::Address("Ipv6Addr"),
            "SocketAddr" => LeafKind::Address("SocketAddr"),
            "SocketAddrV4" => LeafKind::Address("SocketAddrV4"),
            "SocketAddrV6" => LeafKind::Address("SocketAddrV6"),
            _ => LeafKind::Other,
        }
    }

    /// True for integers and floats.
    pub fn is_number(self) -> bool {
        matches!(self, LeafKind::Int(_) | LeafKind::Float)
    }
}

/// `u16` → `NonZeroU16`, for messages.
fn non_zero_name(int: &str) -> Option<&'static str> {
    Some(match int {
        "i8" => "NonZeroI8",
        "i16" => "NonZeroI16",
        "i32" => "NonZeroI32",
        "i64" => "NonZeroI64",
        "i128" => "NonZeroI128",
        "isize" => "NonZeroIsize",
        "u8" => "NonZeroU8",
        "u16" => "NonZeroU16",
        "u32" => "NonZeroU32",
        "u64" => "NonZeroU64",
        "u128" => "NonZeroU128",
        "usize" => "NonZeroUsize",
        _ => return None,
    })
}

/// A field type taken apart: `Option<Secret<String>>` is wrappers `[Option, Secret]`, leaf `String`.
#[derive(Clone)]
pub struct Shape {
    /// Wrappers, outermost first.
    pub wrappers: Vec<Wrapper>,
    /// The type inside all wrappers.
    pub leaf: Type,
    /// What the leaf is.
    pub kind: LeafKind,
}

impl Shape {
    /// Peels the known wrappers off `ty`.
    pub fn of(ty: &Type) -> Self {
        let mut wrappers = Vec::new();
        let mut current = ungroup(ty);
        while let Some((wrapper, inner)) = split_wrapper(current) {
            wrappers.push(wrapper);
            current = ungroup(inner);
        }
        let kind = match non_zero_argument(current) {
            Some(int) => LeafKind::from_name(&format!("NonZero{int}")),
            None => last_segment_name(current)
                .map_or(LeafKind::Other, |name| LeafKind::from_name(&name)),
        };
        Shape {
            wrappers,
            leaf: current.clone(),
            kind,
        }
    }

    /// The outermost wrapper, if any.
    pub fn outer(&self) -> Option<Wrapper> {
        self.wrappers.first().copied()
    }

    /// `Option<T>`: absent is a valid value.
    pub fn is_optional(&self) -> bool {
        self.outer() == Some(Wrapper::Option)
    }

    /// `Vec<..>` anywhere: a default text is a comma-separated list.
    pub fn is_list(&self) -> bool {
        self.wrappers.contains(&Wrapper::Vec)
    }

    /// Secret exactly when the type is `Secret<T>`, `Option<Secret<T>>`, `Vec<Secret<T>>`
    /// or `Option<Vec<Secret<T>>>` (the runtime's `ConfigValue::SECRET` agrees).
    pub fn is_secret(&self) -> bool {
        matches!(
            self.wrappers.as_slice(),
            [Wrapper::Secret, ..]
                | [Wrapper::Option, Wrapper::Secret, ..]
                | [Wrapper::Vec, Wrapper::Secret, ..]
                | [Wrapper::Option, Wrapper::Vec, Wrapper::Secret, ..]
        )
    }
}

fn ungroup(ty: &Type) -> &Type {
    match ty {
        Type::Group(group) => ungroup(&group.elem),
        Type::Paren(paren) => ungroup(&paren.elem),
        other => other,
    }
}

fn last_segment_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(path) if path.qself.is_none() => {
            path.path.segments.last().map(|s| s.ident.to_string())
        }
        _ => None,
    }
}

/// `NonZero<u16>` → `u16`: the generic spelling of `NonZeroU16`.
fn non_zero_argument(ty: &Type) -> Option<String> {
    let Type::Path(path) = ty else { return None };
    let segment = path.path.segments.last()?;
    if segment.ident != "NonZero" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(inner) if args.args.len() == 1 => last_segment_name(ungroup(inner)),
        _ => None,
    }
}

/// `Option<T>` → `(Option, T)`; `None` for anything that is not a known one-argument wrapper.
fn split_wrapper(ty: &Type) -> Option<(Wrapper, &Type)> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let segment = path.path.segments.last()?;
    let wrapper = Wrapper::from_name(&segment.ident.to_string())?;
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    });
    match (types.next(), types.next()) {
        (Some(inner), None) => Some((wrapper, inner)),
        _ => None,
    }
}

/// `HashMap<String, V>` / `BTreeMap<String, V>` (any path to them) → `V`.
pub fn map_value(ty: &Type) -> Option<&Type> {
    let (name, args) = generic_args(ungroup(ty))?;
    if name != "HashMap" && name != "BTreeMap" {
        return None;
    }
    match args.as_slice() {
        [key, value] | [key, value, _]
            if last_segment_name(ungroup(key)).as_deref() == Some("String") =>
        {
            Some(value)
        }
        _ => None,
    }
}

/// `Option<T>` → `T` when `wrapper` is `"Option"`, `Vec<T>` → `T` for `"Vec"`.
pub fn unwrap_one<'t>(ty: &'t Type, wrapper: &str) -> Option<&'t Type> {
    match generic_args(ungroup(ty))? {
        (name, args) if name == wrapper && args.len() == 1 => Some(args[0]),
        _ => None,
    }
}

/// The last segment's name and type arguments.
fn generic_args(ty: &Type) -> Option<(String, Vec<&Type>)> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let segment = path.path.segments.last()?;
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    let types = args
        .args
        .iter()
        .filter_map(|arg| match arg {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .collect();
    Some((segment.ident.to_string(), types))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> Shape {
        Shape::of(&syn::parse_str(text).unwrap())
    }

    #[test]
    fn peels_wrappers_outermost_first() {
        let s = shape("Option<Secret<String>>");
        assert_eq!(s.wrappers, [Wrapper::Option, Wrapper::Secret]);
        assert_eq!(s.kind, LeafKind::Text);
        assert!(s.is_secret() && s.is_optional() && !s.is_list());
    }

    #[test]
    fn secret_at_the_top_or_under_option_or_vec() {
        assert!(shape("config_runtime::Secret<url::Url>").is_secret());
        assert!(shape("Vec<Secret<String>>").is_secret());
        assert!(shape("Option<Vec<Secret<String>>>").is_secret());
        assert!(!shape("Vec<String>").is_secret());
        assert!(shape("Vec<u16>").is_list());
        assert_eq!(shape("url::Url").kind, LeafKind::Url);
        assert_eq!(shape("std::time::Duration").kind, LeafKind::Duration);
        assert_eq!(shape("MyLevel").kind, LeafKind::Other);
        assert_eq!(shape("config_runtime::ByteSize").kind, LeafKind::ByteSize);
        let LeafKind::NonZero(int) = shape("std::num::NonZeroU16").kind else {
            panic!("NonZeroU16 is a non-zero integer")
        };
        assert_eq!((int.name, int.min, int.max), ("NonZeroU16", 0, 65535));
        assert!(matches!(shape("NonZeroUsize").kind, LeafKind::NonZero(_)));
        assert_eq!(shape("NonZero<u16>").kind, shape("NonZeroU16").kind);
        assert_eq!(
            shape("Option<std::num::NonZero<usize>>").kind,
            shape("NonZeroUsize").kind
        );
        assert_eq!(shape("NonZeroFoo").kind, LeafKind::Other);
    }
}
