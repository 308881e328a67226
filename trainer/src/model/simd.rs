//! Runtime CPU-feature dispatch for the element-wise kernels. The crate is built for baseline
//! x86-64 (SSE2), so plain loops would use 4-wide vectors only; each kernel is compiled again
//! with AVX-512 and with AVX2+FMA enabled, and the best version the CPU supports is called.

/// Defines `fn $name<T: Real>(args)` whose body is compiled for AVX-512, AVX2+FMA and the
/// baseline, choosing at run time.
macro_rules! multiversion {
    ($(#[$meta:meta])* $vis:vis fn $name:ident<T: Real>($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$meta])*
        #[inline]
        $vis fn $name<T: Real>($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn portable<T: Real>($($arg: $ty),*) $(-> $ret)? $body

            #[cfg(target_arch = "x86_64")]
            {
                // Compiled for instruction sets the baseline CPU may lack: only callable once
                // the running CPU is known to have them.
                #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
                unsafe fn avx512<T: Real>($($arg: $ty),*) $(-> $ret)? {
                    portable($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2<T: Real>($($arg: $ty),*) $(-> $ret)? {
                    portable($($arg),*)
                }
                if $crate::model::simd::has_avx512() {
                    // SAFETY: `avx512` may only run where the CPU has every feature it was
                    // compiled for (avx512f/vl/bw/dq, avx2, fma); `has_avx512()` has just
                    // detected each of them on this CPU at run time.
                    return unsafe { avx512($($arg),*) };
                }
                if $crate::model::simd::has_avx2() {
                    // SAFETY: `avx2` may only run where the CPU has AVX2 and FMA;
                    // `has_avx2()` has just detected both on this CPU at run time.
                    return unsafe { avx2($($arg),*) };
                }
            }
            portable($($arg),*)
        }
    };
}

pub(crate) use multiversion;

#[cfg(target_arch = "x86_64")]
#[inline]
pub fn has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512dq")
        && has_avx2()
}

#[cfg(target_arch = "x86_64")]
#[inline]
pub fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// The instruction set the kernels run with on this CPU, for reports.
pub fn instruction_set() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if has_avx512() {
            return "avx512";
        }
        if has_avx2() {
            return "avx2+fma";
        }
    }
    "baseline"
}
