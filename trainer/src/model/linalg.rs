//! Dense matrix products on row-major slices, delegated to the `gemm` crate (pure Rust, runtime
//! AVX-512/AVX2 dispatch). Always single-threaded: the trainer parallelises across samples
//! instead (each thread owns a block of rows), which measured faster than gemm's own threading
//! on this 2-core machine. See the report in `benches/train_speed.rs` for the numbers.

use super::real::Real;
use gemm::{Parallelism, gemm};

/// The three products a dense layer needs, all on contiguous row-major matrices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
    Overwrite,
    Accumulate,
}

#[allow(clippy::too_many_arguments)]
fn strided<T: Real>(
    (m, n, k): (usize, usize, usize),
    dst: &mut [T],
    write: Write,
    lhs: &[T],
    (lhs_row, lhs_col): (isize, isize),
    rhs: &[T],
    (rhs_row, rhs_col): (isize, isize),
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if write == Write::Overwrite {
            dst[..m * n].fill(T::ZERO);
        }
        return;
    }
    // SAFETY: the callers checked that every slice holds its whole matrix for these strides.
    unsafe {
        gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            write == Write::Accumulate,
            lhs.as_ptr(),
            lhs_col,
            lhs_row,
            rhs.as_ptr(),
            rhs_col,
            rhs_row,
            T::ONE,
            T::ONE,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

/// `dst[m x n] (+)= a[m x k] * b[k x n]`.
pub fn matmul<T: Real>(
    m: usize,
    n: usize,
    k: usize,
    a: &[T],
    b: &[T],
    dst: &mut [T],
    write: Write,
) {
    assert!(a.len() >= m * k && b.len() >= k * n && dst.len() >= m * n);
    strided(
        (m, n, k),
        dst,
        write,
        a,
        (k as isize, 1),
        b,
        (n as isize, 1),
    );
}

/// `dst[k x n] (+)= a[m x k]^T * b[m x n]`: the weight gradient `X^T dZ`.
pub fn matmul_at_b<T: Real>(
    m: usize,
    k: usize,
    n: usize,
    a: &[T],
    b: &[T],
    dst: &mut [T],
    write: Write,
) {
    assert!(a.len() >= m * k && b.len() >= m * n && dst.len() >= k * n);
    strided(
        (k, n, m),
        dst,
        write,
        a,
        (1, k as isize),
        b,
        (n as isize, 1),
    );
}

/// `dst[m x k] (+)= a[m x n] * b[k x n]^T`: the input gradient `dZ W^T`.
pub fn matmul_a_bt<T: Real>(
    m: usize,
    n: usize,
    k: usize,
    a: &[T],
    b: &[T],
    dst: &mut [T],
    write: Write,
) {
    assert!(a.len() >= m * n && b.len() >= k * n && dst.len() >= m * k);
    strided(
        (m, k, n),
        dst,
        write,
        a,
        (n as isize, 1),
        b,
        (1, n as isize),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(
        m: usize,
        n: usize,
        k: usize,
        a: impl Fn(usize, usize) -> f64,
        b: impl Fn(usize, usize) -> f64,
    ) -> Vec<f64> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..k).map(|p| a(i, p) * b(p, j)).sum();
            }
        }
        out
    }

    fn data(len: usize, salt: usize) -> Vec<f64> {
        (0..len)
            .map(|i| ((i * 37 + salt * 11) % 17) as f64 - 8.0)
            .collect()
    }

    #[test]
    fn all_three_products_match_the_naive_triple_loop() {
        let (m, n, k) = (5, 3, 4);
        let a = data(m * k, 1);
        let b = data(k * n, 2);
        let mut dst = vec![1.0; m * n];
        matmul(m, n, k, &a, &b, &mut dst, Write::Overwrite);
        assert_eq!(
            dst,
            naive(m, n, k, |i, p| a[i * k + p], |p, j| b[p * n + j])
        );

        // a^T b with a [m x k], b [m x n] gives [k x n]
        let bm = data(m * n, 3);
        let mut dst = vec![0.0; k * n];
        matmul_at_b(m, k, n, &a, &bm, &mut dst, Write::Overwrite);
        assert_eq!(
            dst,
            naive(k, n, m, |i, p| a[p * k + i], |p, j| bm[p * n + j])
        );

        // a b^T with a [m x n], b [k x n] gives [m x k]
        let bt = data(k * n, 4);
        let mut dst = vec![0.0; m * k];
        matmul_a_bt(m, n, k, &bm, &bt, &mut dst, Write::Overwrite);
        assert_eq!(
            dst,
            naive(m, k, n, |i, p| bm[i * n + p], |p, j| bt[j * n + p])
        );
    }

    #[test]
    fn accumulate_adds_to_the_destination() {
        let a = [1.0f32, 2.0];
        let b = [3.0f32, 4.0];
        let mut dst = [10.0f32];
        matmul(1, 1, 2, &a, &b, &mut dst, Write::Accumulate);
        assert_eq!(dst, [21.0]);
        matmul(1, 1, 2, &a, &b, &mut dst, Write::Overwrite);
        assert_eq!(dst, [11.0]);
    }
}
