//! The actor-critic MLP: a sparse first layer (a sum of gathered weight rows), dense ReLU hidden
//! layers, a masked policy head and a value head, with a hand-written backward pass.

use super::heads::{add_transposed_grads, heads_backward, heads_forward, transpose_heads};
use super::init::orthogonal;
use super::linalg::{Write, matmul, matmul_a_bt, matmul_at_b};
use super::real::Real;
use super::rows::{bias_relu_in_place, gather_rows_relu, relu_backward_bias, scatter_add_rows};
use super::shape::{MlpShape, ParamLayout, ShapeError, TensorSpec};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
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
    params: Vec<T>,
}

/// Per-batch forward results, kept for the backward pass. Preallocated for `capacity` rows.
#[derive(Clone, Debug)]
pub struct Activations<T: Real> {
    capacity: usize,
    actions: usize,
    rows: usize,
    /// Post-ReLU output of each hidden layer, `rows x width` row-major.
    hidden: Vec<Vec<T>>,
    /// Policy logits with illegal actions set to `Real::MASKED_LOGIT`, `rows x actions`.
    logits: Vec<T>,
    values: Vec<T>,
    /// The heads' weights of the last forward pass, transposed (see `heads::transpose_heads`).
    heads_transposed: Vec<T>,
}

/// Scratch memory for the backward pass, preallocated for `capacity` rows.
#[derive(Clone, Debug)]
pub struct BackwardScratch<T: Real> {
    capacity: usize,
    masked_dlogits: Vec<T>,
    heads_grads_transposed: Vec<T>,
    upstream: Vec<T>,
    downstream: Vec<T>,
}

impl<T: Real> Activations<T> {
    pub fn new(shape: &MlpShape, capacity: usize) -> Self {
        Activations {
            capacity,
            actions: shape.actions,
            rows: 0,
            hidden: shape
                .hidden
                .iter()
                .map(|&w| vec![T::ZERO; capacity * w])
                .collect(),
            logits: vec![T::ZERO; capacity * shape.actions],
            values: vec![T::ZERO; capacity],
            heads_transposed: vec![T::ZERO; (shape.actions + 1) * shape.last_hidden()],
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Masked logits of the last forward pass, `rows x actions`.
    pub fn logits(&self) -> &[T] {
        &self.logits[..self.rows * self.actions]
    }

    pub fn values(&self) -> &[T] {
        &self.values[..self.rows]
    }
}

impl<T: Real> BackwardScratch<T> {
    pub fn new(shape: &MlpShape, capacity: usize) -> Self {
        BackwardScratch {
            capacity,
            masked_dlogits: vec![T::ZERO; capacity * shape.actions],
            heads_grads_transposed: vec![T::ZERO; (shape.actions + 1) * shape.last_hidden()],
            upstream: vec![T::ZERO; capacity * shape.max_hidden()],
            downstream: vec![T::ZERO; capacity * shape.max_hidden()],
        }
    }
}

impl<T: Real> Mlp<T> {
    /// Orthogonally initialised weights and zero biases, deterministic in `seed`.
    pub fn new(shape: MlpShape, seed: u64) -> Result<Self, ShapeError> {
        let mut mlp = Self::zeros(shape)?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let heads = [
            (mlp.layout.policy_head(), POLICY_GAIN),
            (mlp.layout.value_head(), VALUE_GAIN),
        ];
        let hidden = (0..mlp.shape.hidden.len()).map(|i| (mlp.layout.hidden_layer(i), HIDDEN_GAIN));
        let layers: Vec<_> = hidden.chain(heads).collect();
        for (layer, gain) in layers {
            let spec = mlp.layout.tensors[layer.weight].clone();
            let values = orthogonal(spec.shape[0], spec.shape[1], gain, &mut rng);
            for (p, v) in mlp.params[spec.range()].iter_mut().zip(values) {
                *p = T::from_f64(v);
            }
        }
        Ok(mlp)
    }

    pub fn zeros(shape: MlpShape) -> Result<Self, ShapeError> {
        shape.validate()?;
        let layout = ParamLayout::new(&shape);
        let params = vec![T::ZERO; layout.total];
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
        &self.params
    }

    pub fn params_mut(&mut self) -> &mut [T] {
        &mut self.params
    }

    fn tensor(&self, index: usize) -> &[T] {
        &self.params[self.layout.tensors[index].range()]
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
            rows <= acts.capacity,
            "{rows} rows exceed the activation capacity {}",
            acts.capacity
        );
        assert_eq!(
            inputs.len(),
            rows * shape.active_inputs,
            "inputs must hold active_inputs indices per row"
        );
        acts.rows = rows;

        let first = self.layout.hidden_layer(0);
        let width = shape.hidden[0];
        let (w0, b0) = (self.tensor(first.weight), self.tensor(first.bias));
        gather_rows_relu(
            &mut acts.hidden[0][..rows * width],
            b0,
            w0,
            inputs,
            shape.active_inputs,
        );

        for layer in 1..shape.hidden.len() {
            let (fan_in, fan_out) = (shape.hidden[layer - 1], shape.hidden[layer]);
            let tensors = self.layout.hidden_layer(layer);
            let (before, after) = acts.hidden.split_at_mut(layer);
            let input = &before[layer - 1][..rows * fan_in];
            let output = &mut after[0][..rows * fan_out];
            matmul(
                rows,
                fan_out,
                fan_in,
                input,
                self.tensor(tensors.weight),
                output,
                Write::Overwrite,
            );
            bias_relu_in_place(output, self.tensor(tensors.bias));
        }

        let last = shape.last_hidden();
        let features = &acts.hidden[shape.hidden.len() - 1][..rows * last];
        let (policy, value) = (self.layout.policy_head(), self.layout.value_head());
        let logits = &mut acts.logits[..rows * shape.actions];
        let values = &mut acts.values[..rows];
        transpose_heads(
            self.tensor(policy.weight),
            self.tensor(value.weight),
            shape.actions,
            &mut acts.heads_transposed,
        );
        let mut biases = [T::ZERO; 9];
        biases[..shape.actions].copy_from_slice(self.tensor(policy.bias));
        biases[shape.actions] = self.tensor(value.bias)[0];
        heads_forward(
            features,
            &acts.heads_transposed,
            &biases[..=shape.actions],
            logits,
            values,
        );
        for (row, &mask) in logits.chunks_exact_mut(shape.actions).zip(masks) {
            for (a, logit) in row.iter_mut().enumerate() {
                if mask & (1 << a) == 0 {
                    *logit = T::MASKED_LOGIT;
                }
            }
        }
    }

    /// Adds to `grads` (laid out like the parameters) the gradient of a loss whose derivatives
    /// with respect to the masked logits and the values of the last `forward` are `dlogits` and
    /// `dvalues`. Masked logits are constants, so their derivatives are ignored.
    #[allow(clippy::too_many_arguments)]
    #[timed(component = "ppo_trainer", phase = "training", name = "backward_pass")]
    pub fn backward(
        &self,
        inputs: &[u16],
        masks: &[u8],
        acts: &Activations<T>,
        dlogits: &[T],
        dvalues: &[T],
        scratch: &mut BackwardScratch<T>,
        grads: &mut [T],
    ) {
        let rows = acts.rows;
        let shape = &self.shape;
        assert!(
            rows <= scratch.capacity,
            "{rows} rows exceed the scratch capacity {}",
            scratch.capacity
        );
        assert_eq!(masks.len(), rows);
        assert_eq!(dlogits.len(), rows * shape.actions);
        assert_eq!(dvalues.len(), rows);
        assert_eq!(grads.len(), self.layout.total);
        let specs = &self.layout.tensors;

        let dlogits_masked = &mut scratch.masked_dlogits[..rows * shape.actions];
        dlogits_masked.copy_from_slice(dlogits);
        for (row, &mask) in dlogits_masked.chunks_exact_mut(shape.actions).zip(masks) {
            for (a, d) in row.iter_mut().enumerate() {
                if mask & (1 << a) == 0 {
                    *d = T::ZERO;
                }
            }
        }

        let depth = shape.hidden.len();
        let last = shape.last_hidden();
        let features = &acts.hidden[depth - 1][..rows * last];
        let (policy, value) = (self.layout.policy_head(), self.layout.value_head());
        let grad = |spec: &TensorSpec| spec.range();
        let upstream = &mut scratch.upstream[..rows * last];
        let heads_grads = &mut scratch.heads_grads_transposed;
        heads_grads.fill(T::ZERO);
        let mut bias_grads = [T::ZERO; 9];
        let bias_grads = &mut bias_grads[..=shape.actions];
        heads_backward(
            features,
            &acts.heads_transposed,
            dlogits_masked,
            dvalues,
            heads_grads,
            bias_grads,
            upstream,
        );
        for (g, &b) in grads[grad(&specs[policy.bias])]
            .iter_mut()
            .zip(&bias_grads[..shape.actions])
        {
            *g += b;
        }
        grads[specs[value.bias].offset] += bias_grads[shape.actions];
        let (before_value, value_and_after) = grads.split_at_mut(specs[value.weight].offset);
        add_transposed_grads(
            heads_grads,
            shape.actions,
            &mut before_value[grad(&specs[policy.weight])],
            &mut value_and_after[..last],
        );
        let top = self.layout.hidden_layer(depth - 1);
        relu_backward_bias(upstream, features, &mut grads[grad(&specs[top.bias])]);

        for layer in (1..depth).rev() {
            let (fan_in, fan_out) = (shape.hidden[layer - 1], shape.hidden[layer]);
            let tensors = self.layout.hidden_layer(layer);
            let input = &acts.hidden[layer - 1][..rows * fan_in];
            let d_out = &scratch.upstream[..rows * fan_out];
            matmul_at_b(
                rows,
                fan_in,
                fan_out,
                input,
                d_out,
                &mut grads[grad(&specs[tensors.weight])],
                Write::Accumulate,
            );
            let d_in = &mut scratch.downstream[..rows * fan_in];
            matmul_a_bt(
                rows,
                fan_out,
                fan_in,
                d_out,
                self.tensor(tensors.weight),
                d_in,
                Write::Overwrite,
            );
            let below = self.layout.hidden_layer(layer - 1);
            relu_backward_bias(d_in, input, &mut grads[grad(&specs[below.bias])]);
            std::mem::swap(&mut scratch.upstream, &mut scratch.downstream);
        }

        let width = shape.hidden[0];
        let first = self.layout.hidden_layer(0);
        let d_first = &scratch.upstream[..rows * width];
        scatter_add_rows(
            &mut grads[specs[first.weight].range()],
            d_first,
            width,
            inputs,
            shape.active_inputs,
        );
    }
}
