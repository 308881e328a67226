//! Plain slices of ndarray views, for the SIMD kernels (which take `&[T]` so that LLVM sees
//! unit-stride loops it can vectorise). The model only hands them its own row-major arrays, or
//! their leading rows, which are always contiguous: a view that is not is a bug in the model.

use ndarray::{ArrayView, ArrayViewMut, Dimension};

/// The elements of a row-major, contiguous view, in order.
pub fn flat<'a, T, D: Dimension>(view: ArrayView<'a, T, D>) -> &'a [T] {
    let shape = view.raw_dim();
    view.to_slice().unwrap_or_else(|| {
        panic!(
            "a view of shape {:?} is not row-major and contiguous",
            shape.slice()
        )
    })
}

/// The elements of a row-major, contiguous mutable view, in order.
pub fn flat_mut<'a, T, D: Dimension>(view: ArrayViewMut<'a, T, D>) -> &'a mut [T] {
    let shape = view.raw_dim();
    view.into_slice().unwrap_or_else(|| {
        panic!(
            "a view of shape {:?} is not row-major and contiguous",
            shape.slice()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, s};

    #[test]
    fn leading_rows_of_a_row_major_array_are_one_slice() {
        let mut a = Array2::from_shape_fn((4, 3), |(i, j)| (i * 3 + j) as f32);
        assert_eq!(flat(a.slice(s![..2, ..])), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        flat_mut(a.slice_mut(s![1..2, ..])).fill(-1.0);
        assert_eq!(a.row(1).to_vec(), [-1.0, -1.0, -1.0]);
    }

    #[test]
    #[should_panic(expected = "a view of shape [4, 2] is not row-major and contiguous")]
    fn a_column_block_is_rejected() {
        let a = Array2::<f32>::zeros((4, 3));
        flat(a.slice(s![.., ..2]));
    }

    #[test]
    #[should_panic(expected = "a view of shape [3, 4] is not row-major and contiguous")]
    fn a_transposed_view_is_rejected() {
        let mut a = Array2::<f32>::zeros((4, 3));
        flat_mut(a.view_mut().reversed_axes());
    }
}
