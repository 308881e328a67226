//! Dense matrix products on ndarray views, delegated to `faer`'s `matmul` (pure Rust). faer takes
//! a pointer and a row and column stride per operand, which is exactly what a view carries, so one
//! function serves `X W`, `X^T dZ` and `dZ W^T`: a transposed operand is just `.t()`, no copy.
//!
//! Why faer rather than the `gemm` crate it grew from: on stable Rust, gemm 0.18 only has AVX2
//! micro-kernels (its AVX-512 ones need its `nightly` feature), while faer 0.24 sends products
//! of more than 16x16x16 multiply-adds to `private-gemm-x86`, whose AVX-512 and AVX2 kernels are
//! inline assembly (stable Rust) picked at run time by CPU detection, so one binary uses AVX-512
//! where there is one. On the Zen 5 this was measured on (`cargo bench -p trainer --bench
//! train_speed -- --seconds 20 --skip-anchor`, medians of 3 runs alternating the two builds), the
//! three products of a 2048x256x256 layer (X W / X^T dZ / dZ W^T) went from 132.5 / 123.1 / 131.4
//! GF/s on one thread and 259.5 / 241.7 / 254.5 on two (gemm 0.18) to 247.1 / 247.3 / 248.1 and
//! 477.8 / 459.1 / 473.3 (faer 0.24), and the whole PPO loop from 118.5k to 191.2k env steps/s.
//!
//! Always single-threaded (`Par::Seq`): the trainer parallelises across samples instead (each
//! thread owns a block of rows), which measured faster than gemm's own threading on this 2-core
//! machine (faer's own threading was not measured). See the report in `benches/train_speed.rs`.

use super::real::Real;
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use ndarray::{ArrayBase, ArrayView2, ArrayViewMut2, Data, Ix2};

/// Whether a product replaces the destination or is added to it (gradients accumulate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
    Overwrite,
    Accumulate,
}

/// `(row stride, column stride)` of `matrix`, in elements.
///
/// Panics on a zero or negative stride along an axis longer than 1: a broadcast operand (zero
/// stride) or a reversed one is never what the model means to multiply, and a zero stride in
/// the destination would make faer write one element many times. An axis of length 1 is only
/// ever read at index 0 and an empty matrix not at all, so their strides do not matter (ndarray
/// gives empty arrays zero strides).
fn positive_strides<S: Data>(matrix: &ArrayBase<S, Ix2>, operand: &str) -> (isize, isize) {
    let strides = matrix.strides();
    for (axis, (&len, &stride)) in matrix.shape().iter().zip(strides).enumerate() {
        assert!(
            len <= 1 || stride > 0 || matrix.is_empty(),
            "matmul_into: {operand} has stride {stride} on axis {axis} (shape {:?}); \
             only positive strides are supported",
            matrix.shape()
        );
    }
    (strides[0], strides[1])
}

/// `dst (+)= a b` for `a` of shape `[m, k]`, `b` of shape `[k, n]` and `dst` of shape `[m, n]`,
/// in any positive strides (row-major, transposed views, sub-blocks with steps).
///
/// Panics if the shapes do not chain or a stride is not positive: both are programming errors.
pub fn matmul_into<T: Real>(
    mut dst: ArrayViewMut2<'_, T>,
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    write: Write,
) {
    let (m, k) = a.dim();
    let (b_rows, n) = b.dim();
    assert_eq!(k, b_rows, "matmul_into: a is {m}x{k} but b is {b_rows}x{n}");
    assert_eq!(
        dst.dim(),
        (m, n),
        "matmul_into: dst must be {m}x{n} for a {m}x{k} times a {k}x{n}"
    );
    let (dst_row, dst_col) = positive_strides(&dst, "dst");
    let (a_row, a_col) = positive_strides(&a, "a");
    let (b_row, b_col) = positive_strides(&b, "b");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        // An empty sum: faer would handle it too, but this keeps the contract obvious.
        if write == Write::Overwrite {
            dst.fill(T::ZERO);
        }
        return;
    }
    // SAFETY: `from_raw_parts(ptr, rows, cols, row_stride, col_stride)` asks that every element
    // the pointer and strides address for the given shape be in bounds, initialised, and (for
    // the two inputs) not written through any other path while the views live. Each view below
    // is built from an ndarray view of exactly that shape with its own pointer and strides (the
    // shapes were checked to chain above), so ndarray guarantees the addresses and the values;
    // the inputs are shared borrows, and `dst` is a unique borrow, so it aliases neither input
    // and nothing else reads or writes it until `matmul` returns. Strides along axes longer than
    // 1 are positive (checked above), so no destination element is addressed twice.
    let (dst, a, b) = unsafe {
        (
            MatMut::from_raw_parts_mut(dst.as_mut_ptr(), m, n, dst_row, dst_col),
            MatRef::from_raw_parts(a.as_ptr(), m, k, a_row, a_col),
            MatRef::from_raw_parts(b.as_ptr(), k, n, b_row, b_col),
        )
    };
    let accum = match write {
        Write::Overwrite => Accum::Replace,
        Write::Accumulate => Accum::Add,
    };
    matmul(dst, accum, a, b, T::ONE, Par::Seq);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, s};

    /// Small integers, so every product below is exact in f64 and can be compared with `==`.
    fn matrix(rows: usize, cols: usize, salt: usize) -> Array2<f64> {
        Array2::from_shape_fn((rows, cols), |(i, j)| {
            (((i * cols + j) * 37 + salt * 11) % 17) as f64 - 8.0
        })
    }

    fn naive(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> Array2<f64> {
        let (m, k) = a.dim();
        let n = b.ncols();
        Array2::from_shape_fn((m, n), |(i, j)| (0..k).map(|p| a[[i, p]] * b[[p, j]]).sum())
    }

    #[test]
    fn the_three_layer_products_match_the_naive_triple_loop() {
        let (m, n, k) = (5, 3, 4);
        let x = matrix(m, k, 1);
        let w = matrix(k, n, 2);
        let dz = matrix(m, n, 3);

        let mut out = Array2::from_elem((m, n), 1.0);
        matmul_into(out.view_mut(), x.view(), w.view(), Write::Overwrite);
        assert_eq!(out, naive(x.view(), w.view()));

        // weight gradient X^T dZ: [k, m] x [m, n]
        let mut weight_grad = Array2::from_elem((k, n), 1.0);
        matmul_into(weight_grad.view_mut(), x.t(), dz.view(), Write::Overwrite);
        assert_eq!(weight_grad, naive(x.t(), dz.view()));

        // input gradient dZ W^T: [m, n] x [n, k]
        let mut input_grad = Array2::from_elem((m, k), 1.0);
        matmul_into(input_grad.view_mut(), dz.view(), w.t(), Write::Overwrite);
        assert_eq!(input_grad, naive(dz.view(), w.t()));
    }

    /// faer sends products of at most 16x16x16 multiply-adds to its small-matrix kernels, the
    /// rest to the packed AVX-512/AVX2 ones the trainer's layers take: these shapes (odd, so
    /// every kernel's edge handling runs too) go to the latter.
    #[test]
    fn products_large_enough_for_the_packed_kernels_match_the_naive_triple_loop_in_f32_and_f64() {
        let (m, n, k) = (67, 41, 29);
        let x = matrix(m, k, 6);
        let w = matrix(k, n, 7);
        let dz = matrix(m, n, 8);
        let cases = [
            (x.view(), w.view(), naive(x.view(), w.view())),
            (x.t(), dz.view(), naive(x.t(), dz.view())),
            (dz.view(), w.t(), naive(dz.view(), w.t())),
        ];
        for (a, b, expected) in cases {
            let start = Array2::from_shape_fn(expected.dim(), |(i, j)| (i + 2 * j) as f64);
            let mut overwritten = start.clone();
            matmul_into(overwritten.view_mut(), a, b, Write::Overwrite);
            assert_eq!(overwritten, expected);
            let mut accumulated = start.clone();
            matmul_into(accumulated.view_mut(), a, b, Write::Accumulate);
            assert_eq!(accumulated, &start + &expected);

            // Every partial sum is an integer below 2^24 in magnitude, so f32 is exact too.
            let mut single = Array2::<f32>::zeros(expected.dim());
            let (a32, b32) = (a.mapv(|v| v as f32), b.mapv(|v| v as f32));
            matmul_into(single.view_mut(), a32.view(), b32.view(), Write::Overwrite);
            assert_eq!(single, expected.mapv(|v| v as f32));
        }
    }

    #[test]
    fn sub_blocks_with_steps_and_a_transposed_destination_are_handled() {
        let a = matrix(7, 9, 4);
        let b = matrix(9, 6, 5);
        let a_block = a.slice(s![1..6;2, ..;3]); // 3x3, strides (18, 3)
        let b_block = b.slice(s![2..9;3, 1..5]); // 3x4, strides (18, 1)
        let mut dst = Array2::from_elem((4, 3), 0.0);
        matmul_into(
            dst.view_mut().reversed_axes(),
            a_block,
            b_block,
            Write::Overwrite,
        );
        assert_eq!(dst.t(), naive(a_block, b_block));
    }

    #[test]
    fn accumulate_adds_to_the_destination_and_overwrite_replaces_it() {
        let a = Array2::from_shape_vec((1, 2), vec![1.0f32, 2.0]).unwrap();
        let b = Array2::from_shape_vec((2, 1), vec![3.0f32, 4.0]).unwrap();
        let mut dst = Array2::from_elem((1, 1), 10.0f32);
        matmul_into(dst.view_mut(), a.view(), b.view(), Write::Accumulate);
        assert_eq!(dst[[0, 0]], 21.0);
        matmul_into(dst.view_mut(), a.view(), b.view(), Write::Overwrite);
        assert_eq!(dst[[0, 0]], 11.0);
    }

    #[test]
    fn an_empty_inner_dimension_gives_zero_or_leaves_the_destination() {
        let a = Array2::<f64>::zeros((2, 0));
        let b = Array2::<f64>::zeros((0, 3));
        let mut dst = Array2::from_elem((2, 3), 5.0);
        matmul_into(dst.view_mut(), a.view(), b.view(), Write::Accumulate);
        assert_eq!(dst, Array2::from_elem((2, 3), 5.0));
        matmul_into(dst.view_mut(), a.view(), b.view(), Write::Overwrite);
        assert_eq!(dst, Array2::<f64>::zeros((2, 3)));
    }

    #[test]
    #[should_panic(expected = "matmul_into: a is 2x3 but b is 4x2")]
    fn mismatched_inner_dimensions_panic() {
        let mut dst = Array2::<f64>::zeros((2, 2));
        matmul_into(
            dst.view_mut(),
            Array2::zeros((2, 3)).view(),
            Array2::zeros((4, 2)).view(),
            Write::Overwrite,
        );
    }

    #[test]
    #[should_panic(expected = "matmul_into: dst must be 2x2 for a 2x3 times a 3x2")]
    fn a_wrongly_shaped_destination_panics() {
        let mut dst = Array2::<f64>::zeros((2, 3));
        matmul_into(
            dst.view_mut(),
            Array2::zeros((2, 3)).view(),
            Array2::zeros((3, 2)).view(),
            Write::Overwrite,
        );
    }

    #[test]
    #[should_panic(expected = "matmul_into: a has stride -1 on axis 1 (shape [2, 3])")]
    fn reversed_operands_panic() {
        let a = matrix(2, 3, 1);
        let mut dst = Array2::<f64>::zeros((2, 2));
        matmul_into(
            dst.view_mut(),
            a.slice(s![.., ..;-1]),
            matrix(3, 2, 2).view(),
            Write::Overwrite,
        );
    }

    #[test]
    #[should_panic(expected = "matmul_into: b has stride 0 on axis 0 (shape [3, 2])")]
    fn broadcast_operands_panic() {
        let row = matrix(1, 2, 1);
        let b = row.broadcast((3, 2)).unwrap();
        let mut dst = Array2::<f64>::zeros((2, 2));
        matmul_into(dst.view_mut(), matrix(2, 3, 2).view(), b, Write::Overwrite);
    }
}
