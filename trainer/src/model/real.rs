//! The floating-point element type of the network: `f32` for training, `f64` so that tests can
//! check the hand-written backward pass against finite differences at high precision.

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// `ComplexField` is faer's element trait, so that `linalg` can hand the products to faer (it is
/// implemented for exactly the real types faer has kernels for, f32 and f64 among them).
pub trait Real:
    faer::traits::ComplexField
    + Copy
    + Send
    + Sync
    + 'static
    + Debug
    + Default
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
{
    const ZERO: Self;
    const ONE: Self;
    /// Stands in for minus infinity on masked logits: `exp` of it underflows to exactly 0, and
    /// `0 * MASKED_LOGIT` stays 0 (an infinity would give NaN in the entropy).
    const MASKED_LOGIT: Self;

    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    fn from_f32(x: f32) -> Self;
    fn to_f32(self) -> f32;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn sqrt(self) -> Self;
    fn abs(self) -> Self;
    fn max(self, other: Self) -> Self;
    fn min(self, other: Self) -> Self;

    /// `exp`, except that an argument at or below half of `MASKED_LOGIT` (a masked logit minus
    /// a real one) gives exactly 0 without `exp` being called on it: libm's `expf` flags the
    /// underflow on a slow path (`xflowf`), which was 0.4% of the PPO loop's samples
    /// (`perf record` on `cargo bench -p trainer --bench train_speed`). Every other argument
    /// gives `exp`'s result bit for bit.
    #[inline(always)]
    fn exp_masked(self) -> Self {
        let masked = self <= Self::MASKED_LOGIT * Self::from_f64(0.5);
        let e = if masked { Self::ZERO } else { self }.exp();
        if masked { Self::ZERO } else { e }
    }
}

macro_rules! impl_real {
    ($t:ty) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const MASKED_LOGIT: Self = -1e9;

            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn from_f32(x: f32) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f32(self) -> f32 {
                self as f32
            }
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn max(self, other: Self) -> Self {
                <$t>::max(self, other)
            }
            #[inline(always)]
            fn min(self, other: Self) -> Self {
                <$t>::min(self, other)
            }
        }
    };
}

impl_real!(f32);
impl_real!(f64);

#[cfg(test)]
mod tests {
    use super::Real;

    #[test]
    fn exp_masked_is_zero_on_masked_logits_and_exp_elsewhere() {
        let max = 2.5f32;
        assert_eq!((f32::MASKED_LOGIT - max).exp_masked(), 0.0);
        assert_eq!((f64::MASKED_LOGIT - 2.5).exp_masked(), 0.0);
        for x in [-100.0f32, -87.5, -20.0, -1.0, 0.0, 0.5, 30.0] {
            assert_eq!(x.exp_masked().to_bits(), x.exp().to_bits(), "{x}");
        }
        for x in [-700.0f64, -1.0, 0.0, 2.0] {
            assert_eq!(x.exp_masked().to_bits(), x.exp().to_bits(), "{x}");
        }
    }
}
