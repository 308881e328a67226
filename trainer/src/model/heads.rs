//! The policy and value heads: a few outputs (at most 9) per row, too narrow for an efficient
//! matrix product, so they run as hand-blocked loops against the heads' weights stacked and
//! transposed (one contiguous row of `width` weights per output): per-row dot products forward;
//! backward, per-row sums of the weight rows and per-column-block sums over all rows, with the
//! accumulators in registers.

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

/// Calls `$kernel::<T, n>($args)` for `n` = `$outputs`, the number of the heads' outputs (two
/// to nine: one to eight actions and the value), so that each kernel's accumulators are arrays
/// of a constant size, which can live in registers.
macro_rules! for_outputs {
    ($outputs:expr, $kernel:ident($($arg:expr),*)) => {
        match $outputs {
            2 => $kernel::<T, 2>($($arg),*),
            3 => $kernel::<T, 3>($($arg),*),
            4 => $kernel::<T, 4>($($arg),*),
            5 => $kernel::<T, 5>($($arg),*),
            6 => $kernel::<T, 6>($($arg),*),
            7 => $kernel::<T, 7>($($arg),*),
            8 => $kernel::<T, 8>($($arg),*),
            9 => $kernel::<T, 9>($($arg),*),
            n => unreachable!("{n} outputs: the heads have one to eight actions and the value"),
        }
    };
}

/// Adds `features^T d_outputs` to the first `chunks * LANES` columns of `grad_weights`, for
/// `OUTPUTS` outputs.
#[inline(always)]
fn weight_gradient<T: Real, const OUTPUTS: usize>(
    features: &[T],
    d_outputs: &[T],
    grad_weights: &mut [T],
    chunks: usize,
) {
    let width = grad_weights.len() / OUTPUTS;
    for c in 0..chunks {
        let columns = |o: usize| o * width + c * LANES..o * width + (c + 1) * LANES;
        let mut sums: [[T; LANES]; OUTPUTS] =
            std::array::from_fn(|o| grad_weights[columns(o)].try_into().expect("chunk"));
        for (row, d) in features
            .chunks_exact(width)
            .zip(d_outputs.chunks_exact(OUTPUTS))
        {
            let x: &[T; LANES] = row[c * LANES..(c + 1) * LANES].try_into().expect("chunk");
            for (sum, &d) in sums.iter_mut().zip(d) {
                for (s, &x) in sum.iter_mut().zip(x) {
                    *s += d * x;
                }
            }
        }
        for (o, sum) in sums.iter().enumerate() {
            grad_weights[columns(o)].copy_from_slice(sum);
        }
    }
}

/// The derivative with respect to one row of features and, through their ReLU, to its
/// pre-activation: `d_row = (sum over outputs o of d[o] * W[o]) where row > 0, else 0`, summed
/// in registers a chunk at a time, and added to `bias_grad` (the features' layer's bias
/// gradient), as `relu_backward_bias` would in a separate pass over the rows.
#[inline(always)]
fn input_gradient<T: Real>(
    stacked: &[T],
    d_outputs: &[T],
    row: &[T],
    d_row: &mut [T],
    bias_grad: &mut [T],
) {
    let width = d_row.len();
    let chunks = width / LANES;
    let relu = |sum: T, x: T| if x > T::ZERO { sum } else { T::ZERO };
    for c in 0..chunks {
        let columns = c * LANES..(c + 1) * LANES;
        let mut sum = [T::ZERO; LANES];
        for (o, &d) in d_outputs.iter().enumerate() {
            let w: &[T; LANES] = stacked[o * width + columns.start..o * width + columns.end]
                .try_into()
                .expect("chunk");
            for (s, &w) in sum.iter_mut().zip(w) {
                *s += d * w;
            }
        }
        let x: &[T; LANES] = row[columns.clone()].try_into().expect("chunk");
        for (s, &x) in sum.iter_mut().zip(x) {
            *s = relu(*s, x);
        }
        d_row[columns.clone()].copy_from_slice(&sum);
        for (b, &s) in bias_grad[columns].iter_mut().zip(&sum) {
            *b += s;
        }
    }
    for j in chunks * LANES..width {
        let sum = d_outputs
            .iter()
            .enumerate()
            .fold(T::ZERO, |acc, (o, &d)| acc + d * stacked[o * width + j]);
        d_row[j] = relu(sum, row[j]);
        bias_grad[j] += d_row[j];
    }
}

multiversion! {
    /// The heads' backward. Adds `features^T [dlogits | dvalues]` to `grad_weights` (laid out
    /// like `stacked`) and the column sums to `grad_biases`, overwrites `d_features` with
    /// `[dlogits | dvalues] W^T` masked by the features' ReLU (zero where a feature is not
    /// positive), and adds that mask's column sums to `features_bias_grad`. `d_outputs` is
    /// `[dlogits | dvalues]`, one row of `outputs` per sample.
    fn backward_kernel<T: Real>(
        features: &[T],
        stacked: &[T],
        d_outputs: &[T],
        grad_weights: &mut [T],
        grad_biases: &mut [T],
        d_features: &mut [T],
        features_bias_grad: &mut [T],
    ) {
        let outputs = grad_biases.len();
        let width = stacked.len() / outputs;
        let rows = features.chunks_exact(width).zip(d_features.chunks_exact_mut(width));
        for ((row, d_row), d) in rows.zip(d_outputs.chunks_exact(outputs)) {
            input_gradient(stacked, d, row, d_row, features_bias_grad);
        }
        for d in d_outputs.chunks_exact(outputs) {
            for (g, &d) in grad_biases.iter_mut().zip(d) {
                *g += d;
            }
        }
        // The weight gradient column block by column block: a block's accumulators for every
        // output stay in registers while all the rows stream past (each row's block is one
        // strided load), instead of a read-modify-write of every output's row per sample. The
        // number of outputs is a constant in each instance, so that the accumulators can be
        // registers. With the input gradient likewise summed in registers a row at a time, this
        // took the heads' backward from 4.4% to 2.5% of the PPO loop's profile and the loop
        // from 181k to 187k env steps/s (`cargo bench -p trainer --bench train_speed --
        // --seconds 20 --skip-anchor`, medians of 4 runs alternating the two builds).
        let chunks = width / LANES;
        for_outputs!(outputs, weight_gradient(features, d_outputs, grad_weights, chunks));
        for (row, d) in features.chunks_exact(width).zip(d_outputs.chunks_exact(outputs)) {
            for (o, &d) in d.iter().enumerate() {
                for j in chunks * LANES..width {
                    grad_weights[o * width + j] += d * row[j];
                }
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

/// The heads' backward for `features` (`[rows, width]`, the output of a ReLU layer) and
/// `d_outputs` (`[rows, outputs]`), the loss derivatives with respect to the heads' outputs
/// (`[dlogits | dvalues]`): adds the parameter gradients to `grads`, overwrites `d_features`
/// with the derivative with respect to the features' pre-activation (through their ReLU), and
/// adds its column sums to `features_bias_grad`, the bias gradient of the features' layer. The
/// ReLU's backward rides along here rather than in a pass of its own over the rows.
pub fn heads_backward<T: Real>(
    features: ArrayView2<'_, T>,
    heads: &StackedHeads<T>,
    d_outputs: ArrayView2<'_, T>,
    grads: &mut StackedHeads<T>,
    d_features: ArrayViewMut2<'_, T>,
    features_bias_grad: ArrayViewMut1<'_, T>,
) {
    let rows = features.nrows();
    assert_eq!(features.ncols(), heads.weights.ncols(), "features width");
    assert_eq!(
        d_outputs.dim(),
        (rows, heads.biases.len()),
        "d_outputs shape"
    );
    assert_eq!(d_features.dim(), features.dim(), "d_features shape");
    assert_eq!(grads.weights.dim(), heads.weights.dim(), "gradient shape");
    assert_eq!(
        features_bias_grad.len(),
        features.ncols(),
        "features bias gradient length"
    );
    backward_kernel(
        flat(features),
        flat(heads.weights.view()),
        flat(d_outputs),
        flat_mut(grads.weights.view_mut()),
        flat_mut(grads.biases.view_mut()),
        flat_mut(d_features),
        flat_mut(features_bias_grad),
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

        let dlogits = array![[1.0, 0.0], [0.5, 2.0]];
        let dvalues = array![3.0, -1.0];
        // Row-major, as the kernels need (concatenating columns gives a column-major array).
        let dout = concatenate![Axis(1), dlogits, dvalues.insert_axis(Axis(1))]
            .as_standard_layout()
            .into_owned();
        let mut grads = StackedHeads::zeros(3, 3);
        let mut d_features = Array2::from_elem((2, 3), 99.0);
        let mut features_bias_grad = Array1::from_elem(3, 1.0);
        heads_backward(
            features.view(),
            &heads,
            dout.view(),
            &mut grads,
            d_features.view_mut(),
            features_bias_grad.view_mut(),
        );
        assert_eq!(grads.weights, features.t().dot(&dout).t());
        assert_eq!(grads.biases, dout.sum_axis(Axis(0)));
        // Through the features' ReLU: nothing flows where a feature is 0 or negative.
        let relu_mask = features.mapv(|x| if x > 0.0 { 1.0 } else { 0.0 });
        let d_pre = dout.dot(&heads.weights) * &relu_mask;
        assert_eq!(d_features, array![[22.0, 0.0, 32.0], [0.0, 0.0, 5.5]]);
        assert_eq!(d_features, d_pre);
        assert_eq!(features_bias_grad, d_pre.sum_axis(Axis(0)) + 1.0);
    }

    #[test]
    fn the_backward_kernels_register_blocks_and_tails_match_the_matrix_formulas() {
        // 37 columns: two full chunks of LANES and a tail; 5 outputs (4 actions + the value);
        // small integers, so every sum is exact in f64 whatever its order.
        let (rows, width, outputs) = (11, 2 * LANES + 5, 5);
        let small = |i: usize, j: usize, salt: usize| ((i * 31 + j * 17 + salt) % 7) as f64 - 3.0;
        let features = Array2::from_shape_fn((rows, width), |(i, j)| small(i, j, 1));
        let mut heads = StackedHeads::zeros(outputs, width);
        heads.weights = Array2::from_shape_fn((outputs, width), |(o, j)| small(o, j, 2));
        let dout = Array2::from_shape_fn((rows, outputs), |(i, o)| small(i, o, 3));
        let mut grads = StackedHeads::zeros(outputs, width);
        grads.fill(1.0);
        let mut d_features = Array2::from_elem((rows, width), 99.0);
        let mut features_bias_grad = Array1::from_elem(width, 2.0);
        heads_backward(
            features.view(),
            &heads,
            dout.view(),
            &mut grads,
            d_features.view_mut(),
            features_bias_grad.view_mut(),
        );
        assert_eq!(grads.weights, features.t().dot(&dout).t().to_owned() + 1.0);
        assert_eq!(grads.biases, dout.sum_axis(Axis(0)) + 1.0);
        let d_pre = dout.dot(&heads.weights) * features.mapv(|x| if x > 0.0 { 1.0 } else { 0.0 });
        assert!(d_pre.iter().any(|&d| d != 0.0) && features.iter().any(|&x| x <= 0.0));
        assert_eq!(d_features, d_pre);
        assert_eq!(features_bias_grad, d_pre.sum_axis(Axis(0)) + 2.0);
    }
}
