//! The memory of one batch's passes through the network, allocated once for a capacity of rows
//! and then used through views of the leading `rows` rows, so the training loop never allocates.

use super::heads::StackedHeads;
use super::real::Real;
use super::shape::MlpShape;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, s};

/// Per-batch forward results, kept for the backward pass.
#[derive(Clone, Debug)]
pub struct Activations<T: Real> {
    pub(super) rows: usize,
    /// Post-ReLU output of each hidden layer, `[capacity, width]`.
    pub(super) hidden: Vec<Array2<T>>,
    /// Policy logits with illegal actions set to `Real::MASKED_LOGIT`, `[capacity, actions]`.
    pub(super) logits: Array2<T>,
    pub(super) values: Array1<T>,
    /// The heads' parameters of the last forward pass, stacked for the heads' kernels.
    pub(super) heads: StackedHeads<T>,
}

impl<T: Real> Activations<T> {
    pub fn new(shape: &MlpShape, capacity: usize) -> Self {
        Activations {
            rows: 0,
            hidden: shape
                .hidden
                .iter()
                .map(|&width| Array2::from_elem((capacity, width), T::ZERO))
                .collect(),
            logits: Array2::from_elem((capacity, shape.actions), T::ZERO),
            values: Array1::from_elem(capacity, T::ZERO),
            heads: StackedHeads::zeros(shape.actions + 1, shape.last_hidden()),
        }
    }

    pub fn capacity(&self) -> usize {
        self.values.len()
    }

    /// Rows of the last forward pass.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Masked logits of the last forward pass, `[rows, actions]`, row-major.
    pub fn logits(&self) -> ArrayView2<'_, T> {
        self.logits.slice(s![..self.rows, ..])
    }

    /// Values of the last forward pass, `[rows]`.
    pub fn values(&self) -> ArrayView1<'_, T> {
        self.values.slice(s![..self.rows])
    }
}

/// Scratch memory for the backward pass.
#[derive(Clone, Debug)]
pub struct BackwardScratch<T: Real> {
    pub(super) capacity: usize,
    /// The loss derivative with respect to the heads' outputs: the logits (zero on illegal
    /// actions), then the value.
    pub(super) d_outputs: Array2<T>,
    pub(super) heads_grads: StackedHeads<T>,
    /// The loss derivative with respect to each hidden layer's output, `[capacity, width]`.
    pub(super) d_hidden: Vec<Array2<T>>,
}

impl<T: Real> BackwardScratch<T> {
    pub fn new(shape: &MlpShape, capacity: usize) -> Self {
        BackwardScratch {
            capacity,
            d_outputs: Array2::from_elem((capacity, shape.actions + 1), T::ZERO),
            heads_grads: StackedHeads::zeros(shape.actions + 1, shape.last_hidden()),
            d_hidden: shape
                .hidden
                .iter()
                .map(|&width| Array2::from_elem((capacity, width), T::ZERO))
                .collect(),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}
