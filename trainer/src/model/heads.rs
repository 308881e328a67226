//! The policy and value heads: a few outputs (at most 9) per row, too narrow for an efficient
//! matrix product, so they run as per-row dot products and AXPYs against the heads' weights
//! stacked and transposed (one contiguous row of `width` weights per output).

use super::contiguous::{flat, flat_mut};
use super::dense::{Dense, DenseMut};
use super::real::Real;
use super::simd::multiversion;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2, s};
use std::ops::Range;

/// Both heads as one `[outputs, width]` matrix and `[outputs]` bias: row `o` holds output `o`'s
/// weights, the policy's actions first and the value last. Used for the weights of a forward
/// pass and for their gradient in the backward pass. The arrays stay private so that they stay
/// row-major, as the kernels need.
#[derive(Clone, Debug)]
pub struct StackedHeads<T> {
    weights: Array2<T>,
    biases: Array1<T>,
}

impl<T: Real> StackedHeads<T> {
    pub fn zeros(outputs: usize, width: usize) -> Self {
        StackedHeads {
            weights: Array2::from_elem((outputs, width), T::ZERO),
            biases: Array1::from_elem(outputs, T::ZERO),
        }
    }

    pub fn weights(&self) -> ArrayView2<'_, T> {
        self.weights.view()
    }

    pub fn biases(&self) -> ArrayView1<'_, T> {
        self.biases.view()
    }

    /// The shape a head's weight must have to fill or receive the rows `outputs`. Checked
    /// because ndarray would otherwise broadcast a one-column head across several rows.
    fn check_head(&self, outputs: &Range<usize>, weight: (usize, usize)) {
        assert_eq!(
            weight,
            (self.weights.ncols(), outputs.len()),
            "a head for stacked rows {outputs:?}"
        );
    }

    /// Copies a head (`[width, outputs.len()]` weight) into the rows `outputs`.
    pub fn set_head(&mut self, outputs: Range<usize>, head: &Dense<'_, T>) {
        self.check_head(&outputs, head.weight.dim());
        self.weights
            .slice_mut(s![outputs.clone(), ..])
            .assign(&head.weight.t());
        self.biases.slice_mut(s![outputs]).assign(&head.bias);
    }

    /// Adds the rows `outputs` to a head's tensors, transposed back to `[width, outputs.len()]`.
    pub fn add_to_head(&self, outputs: Range<usize>, head: DenseMut<'_, T>) {
        let DenseMut {
            mut weight,
            mut bias,
        } = head;
        self.check_head(&outputs, weight.dim());
        weight += &self.weights.slice(s![outputs.clone(), ..]).t();
        bias += &self.biases.slice(s![outputs]);
    }

    pub fn fill(&mut self, value: T) {
        self.weights.fill(value);
        self.biases.fill(value);
    }
}

/// Lanes of the dot-product accumulators: enough independent sums to fill the FMA pipes.
const LANES: usize = 16;

#[inline(always)]
fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    let mut lanes = [T::ZERO; LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: T = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .fold(T::ZERO, |acc, (&x, &y)| acc + x * y);
    for (x, y) in a_chunks.zip(b_chunks) {
        for ((lane, &x), &y) in lanes.iter_mut().zip(x).zip(y) {
            *lane += x * y;
        }
    }
    lanes.iter().fold(tail, |acc, &l| acc + l)
}

#[inline(always)]
fn axpy<T: Real>(y: &mut [T], alpha: T, x: &[T]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += alpha * x;
    }
}

multiversion! {
    /// `logits[r] = features[r] * W_policy + b_policy`, `values[r] = features[r] * w_value + b_value`
    /// with `stacked`/`biases` the heads' `StackedHeads` weights and biases.
    fn forward_kernel<T: Real>(features: &[T], stacked: &[T], biases: &[T], logits: &mut [T], values: &mut [T]) {
        let actions = biases.len() - 1;
        let width = stacked.len() / biases.len();
        for ((row, logit_row), value) in features.chunks_exact(width).zip(logits.chunks_exact_mut(actions)).zip(values.iter_mut()) {
            for (a, logit) in logit_row.iter_mut().enumerate() {
                *logit = biases[a] + dot(row, &stacked[a * width..(a + 1) * width]);
            }
            *value = biases[actions] + dot(row, &stacked[actions * width..]);
        }
    }
}

multiversion! {
    /// The heads' backward. Adds `features^T [dlogits | dvalues]` to `grad_weights` (laid out
    /// like `stacked`) and the column sums to `grad_biases`, and overwrites `d_features` with
    /// `[dlogits | dvalues] W^T`.
    #[allow(clippy::too_many_arguments)]
    fn backward_kernel<T: Real>(
        features: &[T],
        stacked: &[T],
        dlogits: &[T],
        dvalues: &[T],
        grad_weights: &mut [T],
        grad_biases: &mut [T],
        d_features: &mut [T],
    ) {
        let actions = grad_biases.len() - 1;
        let width = stacked.len() / grad_biases.len();
        let rows = features.chunks_exact(width).zip(d_features.chunks_exact_mut(width));
        for ((row, d_row), (d_logits, &d_value)) in rows.zip(dlogits.chunks_exact(actions).zip(dvalues)) {
            d_row.fill(T::ZERO);
            for o in 0..=actions {
                let d = if o < actions { d_logits[o] } else { d_value };
                // Masked actions and confident policies give many exact zeros: skip their AXPYs.
                if d == T::ZERO {
                    continue;
                }
                grad_biases[o] += d;
                axpy(&mut grad_weights[o * width..(o + 1) * width], d, row);
                axpy(d_row, d, &stacked[o * width..(o + 1) * width]);
            }
        }
    }
}

/// The heads on `features` (`[rows, width]`): writes `logits` (`[rows, actions]`) and `values`.
pub fn heads_forward<T: Real>(
    features: ArrayView2<'_, T>,
    heads: &StackedHeads<T>,
    logits: ArrayViewMut2<'_, T>,
    values: ArrayViewMut1<'_, T>,
) {
    let rows = features.nrows();
    assert_eq!(features.ncols(), heads.weights.ncols(), "features width");
    assert_eq!(logits.dim(), (rows, heads.biases.len() - 1), "logits shape");
    assert_eq!(values.len(), rows, "values length");
    forward_kernel(
        flat(features),
        flat(heads.weights.view()),
        flat(heads.biases.view()),
        flat_mut(logits),
        flat_mut(values),
    );
}

/// The heads' backward for `features` (`[rows, width]`) and the loss derivatives with respect
/// to their outputs: adds the parameter gradients to `grads` and overwrites `d_features` with
/// the derivative with respect to the features.
pub fn heads_backward<T: Real>(
    features: ArrayView2<'_, T>,
    heads: &StackedHeads<T>,
    dlogits: ArrayView2<'_, T>,
    dvalues: ArrayView1<'_, T>,
    grads: &mut StackedHeads<T>,
    d_features: ArrayViewMut2<'_, T>,
) {
    let rows = features.nrows();
    assert_eq!(features.ncols(), heads.weights.ncols(), "features width");
    assert_eq!(
        dlogits.dim(),
        (rows, heads.biases.len() - 1),
        "dlogits shape"
    );
    assert_eq!(dvalues.len(), rows, "dvalues length");
    assert_eq!(d_features.dim(), features.dim(), "d_features shape");
    assert_eq!(grads.weights.dim(), heads.weights.dim(), "gradient shape");
    backward_kernel(
        flat(features),
        flat(heads.weights.view()),
        flat(dlogits),
        flat(dvalues),
        flat_mut(grads.weights.view_mut()),
        flat_mut(grads.biases.view_mut()),
        flat_mut(d_features),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Axis, array, concatenate};

    fn policy_and_value() -> (Array2<f64>, Array1<f64>, Array2<f64>, Array1<f64>) {
        (
            array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]],
            array![0.5, -0.5],
            array![[7.0], [8.0], [9.0]],
            array![0.25],
        )
    }

    #[test]
    fn stacking_transposes_each_head_into_its_rows() {
        let (pw, pb, vw, vb) = policy_and_value();
        let mut stacked = StackedHeads::zeros(3, 3);
        let policy = Dense {
            weight: pw.view(),
            bias: pb.view(),
        };
        let value = Dense {
            weight: vw.view(),
            bias: vb.view(),
        };
        stacked.set_head(0..2, &policy);
        stacked.set_head(2..3, &value);
        assert_eq!(
            stacked.weights,
            array![[1.0, 3.0, 5.0], [2.0, 4.0, 6.0], [7.0, 8.0, 9.0]]
        );
        assert_eq!(stacked.biases, array![0.5, -0.5, 0.25]);

        let (mut gpw, mut gpb) = (Array2::from_elem((3, 2), 1.0), Array1::from_elem(2, 1.0));
        stacked.add_to_head(
            0..2,
            DenseMut {
                weight: gpw.view_mut(),
                bias: gpb.view_mut(),
            },
        );
        assert_eq!(gpw, &pw + 1.0);
        assert_eq!(gpb, &pb + 1.0);
    }

    #[test]
    #[should_panic(expected = "a head for stacked rows 0..2")]
    fn a_head_of_the_wrong_width_is_not_broadcast() {
        let (_, _, vw, vb) = policy_and_value();
        let mut stacked = StackedHeads::<f64>::zeros(3, 3);
        stacked.set_head(
            0..2,
            &Dense {
                weight: vw.view(),
                bias: vb.view(),
            },
        );
    }

    #[test]
    fn forward_and_backward_match_the_matrix_formulas() {
        let (pw, pb, vw, vb) = policy_and_value();
        let mut heads = StackedHeads::zeros(3, 3);
        heads.set_head(
            0..2,
            &Dense {
                weight: pw.view(),
                bias: pb.view(),
            },
        );
        heads.set_head(
            2..3,
            &Dense {
                weight: vw.view(),
                bias: vb.view(),
            },
        );
        let features = array![[1.0, 0.0, 2.0], [0.0, -1.0, 1.0]];
        let mut logits = Array2::zeros((2, 2));
        let mut values = Array1::zeros(2);
        heads_forward(
            features.view(),
            &heads,
            logits.view_mut(),
            values.view_mut(),
        );
        assert_eq!(logits, features.dot(&pw) + &pb);
        assert_eq!(values, features.dot(&vw).column(0).to_owned() + vb[0]);

        // dlogits has an exact zero, which the kernel skips.
        let dlogits = array![[1.0, 0.0], [0.5, 2.0]];
        let dvalues = array![3.0, -1.0];
        let mut grads = StackedHeads::zeros(3, 3);
        let mut d_features = Array2::from_elem((2, 3), 99.0);
        heads_backward(
            features.view(),
            &heads,
            dlogits.view(),
            dvalues.view(),
            &mut grads,
            d_features.view_mut(),
        );
        let dout = concatenate![Axis(1), dlogits, dvalues.insert_axis(Axis(1))];
        assert_eq!(grads.weights, features.t().dot(&dout).t());
        assert_eq!(grads.biases, dout.sum_axis(Axis(0)));
        assert_eq!(d_features, dout.dot(&heads.weights));
    }
}
