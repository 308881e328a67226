//! The actor-critic MLP: a sparse first layer (a sum of gathered weight rows), dense ReLU hidden
//! layers, a masked policy head and a value head, with a hand-written backward pass.

use super::batch_memory::{Activations, BackwardScratch};
use super::contiguous::{flat, flat_mut};
use super::dense::Dense;
use super::heads::{heads_backward, heads_forward};
use super::init::orthogonal;
use super::linalg::{Write, matmul_into};
use super::real::Real;
use super::rows::{bias_relu_in_place, gather_rows_relu, relu_backward_bias, scatter_add_rows};
use super::shape::{LayerTensors, MlpShape, ParamLayout, ShapeError};
use ndarray::{Array1, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2, Zip, s};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::ops::Range;
use timed_runtime::timed;

/// Orthogonal-init gains, as CleanRL and the JAX anchor: sqrt(2) for ReLU layers, a tiny policy
/// head so the first policy is near uniform, 1 for the value head.
pub const HIDDEN_GAIN: f64 = std::f64::consts::SQRT_2;
pub const POLICY_GAIN: f64 = 0.01;
pub const VALUE_GAIN: f64 = 1.0;

#[derive(Clone, Debug)]
pub struct Mlp<T: Real> {
    shape: MlpShape,
    layout: ParamLayout,
    /// Every tensor back to back, as `layout` says: one vector for Adam, clipping and
    /// checkpoints, seen by the passes through per-layer views (`ParamLayout::dense`).
    params: Array1<T>,
}

/// Sets the entries of illegal actions (bit `a` of the row's mask clear) to `value`.
fn mask_actions<T: Real>(mut per_action: ArrayViewMut2<'_, T>, masks: &[u8], value: T) {
    Zip::from(per_action.rows_mut())
        .and(&ArrayView1::from(masks))
        .for_each(|mut row, &mask| {
            for (a, x) in row.iter_mut().enumerate() {
                if mask & (1 << a) == 0 {
                    *x = value;
                }
            }
        });
}

impl<T: Real> Mlp<T> {
    /// Orthogonally initialised weights and zero biases, deterministic in `seed`.
    pub fn new(shape: MlpShape, seed: u64) -> Result<Self, ShapeError> {
        let mut mlp = Self::zeros(shape)?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let hidden = (0..mlp.shape.hidden.len()).map(|i| (mlp.layout.hidden_layer(i), HIDDEN_GAIN));
        let heads = [
            (mlp.layout.policy_head(), POLICY_GAIN),
            (mlp.layout.value_head(), VALUE_GAIN),
        ];
        let layers: Vec<_> = hidden.chain(heads).collect();
        for (layer, gain) in layers {
            let weight = mlp
                .layout
                .dense_mut(layer, flat_mut(mlp.params.view_mut()))
                .weight;
            let (rows, cols) = weight.dim();
            let values = orthogonal(rows, cols, gain, &mut rng);
            let values = ArrayView2::from_shape((rows, cols), &values).expect("rows x cols");
            Zip::from(weight)
                .and(values)
                .for_each(|p, &v| *p = T::from_f64(v));
        }
        Ok(mlp)
    }

    pub fn zeros(shape: MlpShape) -> Result<Self, ShapeError> {
        shape.validate()?;
        let layout = ParamLayout::new(&shape);
        let params = Array1::from_elem(layout.total, T::ZERO);
        Ok(Mlp {
            shape,
            layout,
            params,
        })
    }

    pub fn shape(&self) -> &MlpShape {
        &self.shape
    }

    pub fn layout(&self) -> &ParamLayout {
        &self.layout
    }

    /// All parameters, laid out as `layout()` says.
    pub fn params(&self) -> &[T] {
        flat(self.params.view())
    }

    pub fn params_mut(&mut self) -> &mut [T] {
        flat_mut(self.params.view_mut())
    }

    /// One layer's weight and bias (see `ParamLayout::hidden_layer`, `policy_head`, ...).
    pub fn layer(&self, layer: LayerTensors) -> Dense<'_, T> {
        self.layout.dense(layer, self.params())
    }

    /// Each head and the rows its outputs take in `StackedHeads`: the actions, then the value.
    fn heads(&self) -> [(LayerTensors, Range<usize>); 2] {
        let actions = self.shape.actions;
        [
            (self.layout.policy_head(), 0..actions),
            (self.layout.value_head(), actions..actions + 1),
        ]
    }

    /// Runs the network on `masks.len()` samples. `inputs` holds `active_inputs` feature indices
    /// per sample; `masks[r]` has bit `a` set when action `a` is legal for sample `r`. A sample
    /// with no legal action gets a uniform policy (all logits masked alike).
    ///
    /// Panics if there are more samples than `acts` was built for, or a feature index is out of
    /// range: both are programming errors in the caller, not data errors.
    #[timed(component = "ppo_trainer", phase = "inference", name = "batch_forward")]
    pub fn forward(&self, inputs: &[u16], masks: &[u8], acts: &mut Activations<T>) {
        let rows = masks.len();
        let shape = &self.shape;
        assert!(
            rows <= acts.capacity(),
            "{rows} rows exceed the activation capacity {}",
            acts.capacity()
        );
        assert_eq!(
            inputs.len(),
            rows * shape.active_inputs,
            "inputs must hold active_inputs indices per row"
        );
        acts.rows = rows;

        // The input is one-hot, so `x W0` is the sum of the W0 rows its active features name:
        // a gather instead of a product with a mostly zero matrix (for 2048, 16 of 256 ones).
        let first = self.layer(self.layout.hidden_layer(0));
        gather_rows_relu(
            flat_mut(acts.hidden[0].slice_mut(s![..rows, ..])),
            flat(first.bias),
            flat(first.weight),
            inputs,
            shape.active_inputs,
        );

        for layer in 1..shape.hidden.len() {
            let dense = self.layer(self.layout.hidden_layer(layer));
            let (below, above) = acts.hidden.split_at_mut(layer);
            let x = below[layer - 1].slice(s![..rows, ..]);
            let mut h = above[0].slice_mut(s![..rows, ..]);
            matmul_into(h.view_mut(), x, dense.weight, Write::Overwrite);
            bias_relu_in_place(flat_mut(h), flat(dense.bias));
        }

        for (head, outputs) in self.heads() {
            acts.heads.set_head(outputs, &self.layer(head));
        }
        let features = acts.hidden[shape.hidden.len() - 1].slice(s![..rows, ..]);
        let mut logits = acts.logits.slice_mut(s![..rows, ..]);
        let values = acts.values.slice_mut(s![..rows]);
        heads_forward(features, &acts.heads, logits.view_mut(), values);
        mask_actions(logits, masks, T::MASKED_LOGIT);
    }

    /// Adds to `grads` (laid out like the parameters) the gradient of a loss whose derivatives
    /// with respect to the masked logits and the values of the last `forward` are `dlogits`
    /// (`[rows, actions]`) and `dvalues`. Masked logits are constants, so their derivatives are
    /// ignored.
    #[allow(clippy::too_many_arguments)]
    #[timed(component = "ppo_trainer", phase = "training", name = "backward_pass")]
    pub fn backward(
        &self,
        inputs: &[u16],
        masks: &[u8],
        acts: &Activations<T>,
        dlogits: ArrayView2<'_, T>,
        dvalues: ArrayView1<'_, T>,
        scratch: &mut BackwardScratch<T>,
        grads: ArrayViewMut1<'_, T>,
    ) {
        let rows = acts.rows;
        let shape = &self.shape;
        assert!(
            rows <= scratch.capacity,
            "{rows} rows exceed the scratch capacity {}",
            scratch.capacity
        );
        assert_eq!(masks.len(), rows);
        assert_eq!(inputs.len(), rows * shape.active_inputs);
        assert_eq!(dlogits.dim(), (rows, shape.actions));
        assert_eq!(dvalues.len(), rows);
        assert_eq!(grads.len(), self.layout.total);
        let grads = flat_mut(grads);
        let depth = shape.hidden.len();

        // The forward pass overwrote illegal logits with a constant: nothing flows back there,
        // whatever the loss's derivative says.
        let mut d_outputs = scratch.d_outputs.slice_mut(s![..rows, ..]);
        d_outputs
            .slice_mut(s![.., ..shape.actions])
            .assign(&dlogits);
        d_outputs.column_mut(shape.actions).assign(&dvalues);
        mask_actions(d_outputs.slice_mut(s![.., ..shape.actions]), masks, T::ZERO);

        // `d_hidden[l]` receives the derivative with respect to layer l's pre-activation: the
        // heads' backward and each layer's input gradient apply the ReLU below them (and its
        // bias gradient) on the way.
        scratch.heads_grads.fill(T::ZERO);
        let top = self
            .layout
            .dense_mut(self.layout.hidden_layer(depth - 1), grads);
        heads_backward(
            acts.hidden[depth - 1].slice(s![..rows, ..]),
            &acts.heads,
            d_outputs.view(),
            &mut scratch.heads_grads,
            scratch.d_hidden[depth - 1].slice_mut(s![..rows, ..]),
            top.bias,
        );
        for (head, outputs) in self.heads() {
            let grad = self.layout.dense_mut(head, grads);
            scratch.heads_grads.add_to_head(outputs, grad);
        }

        // Down through each layer `h = relu(x W + b)`: the gradients are `x^T dh` for W and
        // `dh W^T` for x, then the ReLU of x's layer (fused with its bias gradient).
        for layer in (1..depth).rev() {
            let tensors = self.layout.hidden_layer(layer);
            let grad = self.layout.dense_mut(tensors, grads);
            let (below, above) = scratch.d_hidden.split_at_mut(layer);
            let d_h = above[0].slice(s![..rows, ..]);
            let x = acts.hidden[layer - 1].slice(s![..rows, ..]);
            matmul_into(grad.weight, x.t(), d_h, Write::Accumulate);
            let mut d_x = below[layer - 1].slice_mut(s![..rows, ..]);
            let weight = self.layer(tensors).weight;
            matmul_into(d_x.view_mut(), d_h, weight.t(), Write::Overwrite);
            let below_grad = self
                .layout
                .dense_mut(self.layout.hidden_layer(layer - 1), grads);
            relu_backward_bias(flat_mut(d_x), flat(x), flat_mut(below_grad.bias));
        }

        // The first layer's weight gradient goes only to the rows its inputs gathered.
        let grad = self.layout.dense_mut(self.layout.hidden_layer(0), grads);
        scatter_add_rows(
            flat_mut(grad.weight),
            flat(scratch.d_hidden[0].slice(s![..rows, ..])),
            shape.hidden[0],
            inputs,
            shape.active_inputs,
        );
    }
}
