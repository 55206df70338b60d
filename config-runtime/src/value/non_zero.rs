//! `std::num::NonZero*` integers as field values: zero is refused when the value is read, so
//! a `workers: NonZeroUsize` never needs a `range(min = 1)`.

use std::borrow::Cow;
use std::num::{
    NonZeroI8, NonZeroI16, NonZeroI32, NonZeroI64, NonZeroI128, NonZeroIsize, NonZeroU8,
    NonZeroU16, NonZeroU32, NonZeroU64, NonZeroU128, NonZeroUsize,
};

use super::{ConfigValue, ValueError, ValueKind};

/// A non-zero integer type and the plain integer it wraps: lets a `range` bound written as
/// a plain literal (`range(min = 2)`) become a bound of the field's type.
pub trait NonZeroInt: Sized {
    /// The plain integer type.
    type Int;
    /// `n`, when it is not zero.
    fn from_int(n: Self::Int) -> Option<Self>;
}

/// A `range` bound of a non-zero field. The derive rejects a literal `0` bound at compile
/// time, so only a bound written as a zero-valued expression reaches the panic.
pub fn non_zero_bound<T: NonZeroInt>(n: T::Int) -> T {
    T::from_int(n).expect("a `range` bound of a NonZero field must not be zero")
}

macro_rules! non_zero_values {
    ($($ty:ty => $int:ty),* $(,)?) => {$(
        impl ConfigValue for $ty {
            fn parse_str(text: &str) -> Result<Self, ValueError> {
                <$int as ConfigValue>::parse_str(text)
                    .ok()
                    .and_then(<$ty>::new)
                    .ok_or_else(ValueError::expected::<Self>)
            }
            fn expected() -> Cow<'static, str> {
                let low: i128 = if <$int>::MIN == 0 { 1 } else { <$int>::MIN as i128 };
                format!("a non-zero integer in {low}..={}", <$int>::MAX).into()
            }
            fn type_name() -> Cow<'static, str> {
                stringify!($ty).into()
            }
            fn kind() -> ValueKind {
                let min = if <$int>::MIN == 0 { 1 } else { <$int>::MIN as i128 };
                ValueKind::Integer {
                    min,
                    max: i128::try_from(<$int>::MAX).unwrap_or(i128::MAX),
                }
            }
        }

        impl NonZeroInt for $ty {
            type Int = $int;
            fn from_int(n: $int) -> Option<Self> {
                <$ty>::new(n)
            }
        }
    )*};
}
non_zero_values!(
    NonZeroU8 => u8,
    NonZeroU16 => u16,
    NonZeroU32 => u32,
    NonZeroU64 => u64,
    NonZeroU128 => u128,
    NonZeroUsize => usize,
    NonZeroI8 => i8,
    NonZeroI16 => i16,
    NonZeroI32 => i32,
    NonZeroI64 => i64,
    NonZeroI128 => i128,
    NonZeroIsize => isize,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_refused_with_the_range() {
        let err = NonZeroU16::parse_str("0").unwrap_err();
        assert_eq!(err.expected, "a non-zero integer in 1..=65535");
        assert_eq!(NonZeroU16::parse_str(" 8 ").unwrap().get(), 8);
        assert!(NonZeroU8::parse_str("256").is_err());
        assert!(NonZeroUsize::parse_str("-1").is_err());
        let err = NonZeroI8::parse_str("0").unwrap_err();
        assert_eq!(err.expected, "a non-zero integer in -128..=127");
        assert_eq!(NonZeroI32::parse_str("-5").unwrap().get(), -5);
    }

    #[test]
    fn the_schema_kind_starts_at_one_for_unsigned_types() {
        assert_eq!(NonZeroU8::kind(), ValueKind::Integer { min: 1, max: 255 });
        assert_eq!(
            NonZeroI8::kind(),
            ValueKind::Integer {
                min: -128,
                max: 127
            }
        );
    }

    #[test]
    fn bounds_become_the_field_type() {
        let bound: NonZeroU32 = non_zero_bound(5);
        assert_eq!(bound.get(), 5);
    }
}
