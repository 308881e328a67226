//! One thread's share of a minibatch gradient: it gathers its samples from the rollout storage,
//! runs forward, the PPO loss and backward into its own gradient vector. The trainer sums the
//! workers' gradients (data parallelism with single-threaded matrix products).

use super::buffer::RolloutBuffer;
use super::loss::{LossCoefs, sample_loss_and_grad};
use super::sampling::greedy_action;
use super::stats::LossSums;
use crate::model::contiguous::{flat, flat_mut};
use crate::model::{Activations, BackwardScratch, Mlp};
use ndarray::{Array1, Array2, s};
use timed_runtime::timed;

pub struct Worker {
    acts: Activations<f32>,
    scratch: BackwardScratch<f32>,
    /// This worker's share of the minibatch gradient, laid out like the parameters.
    pub(crate) grads: Array1<f32>,
    inputs: Vec<u16>,
    masks: Vec<u8>,
    dlogits: Array2<f32>,
    dvalues: Array1<f32>,
    pub(crate) sums: LossSums,
}

/// The samples of one minibatch assigned to one worker.
#[derive(Clone, Copy)]
pub struct WorkerSamples<'a> {
    /// Indices into the whole batch (all shards' buffers back to back).
    pub indices: &'a [u32],
    /// Their advantages, already normalised over the whole minibatch.
    pub advantages: &'a [f32],
}

impl Worker {
    pub fn new(model: &Mlp<f32>, capacity: usize) -> Self {
        let shape = model.shape();
        Worker {
            acts: Activations::new(shape, capacity),
            scratch: BackwardScratch::new(shape, capacity),
            grads: Array1::zeros(model.layout().total),
            inputs: vec![0; capacity * shape.active_inputs],
            masks: vec![0; capacity],
            dlogits: Array2::zeros((capacity, shape.actions)),
            dvalues: Array1::zeros(capacity),
            sums: LossSums::default(),
        }
    }

    /// Overwrites `grads` with `scale *` the summed loss gradient of `samples`, and adds their
    /// loss terms to `sums`.
    pub fn compute_gradient(
        &mut self,
        model: &Mlp<f32>,
        buffers: &[RolloutBuffer],
        samples: WorkerSamples<'_>,
        coefs: &LossCoefs,
        scale: f32,
    ) {
        let rows = samples.indices.len();
        let active = model.shape().active_inputs;
        let actions = model.shape().actions;
        let per_shard = buffers[0].samples();
        gather_minibatch(
            buffers,
            samples.indices,
            active,
            &mut self.inputs,
            &mut self.masks,
        );
        let inputs = &self.inputs[..rows * active];
        let masks = &self.masks[..rows];
        model.forward(inputs, masks, &mut self.acts);

        let logits = flat(self.acts.logits()).chunks_exact(actions);
        let values = self.acts.values();
        let mut dlogits = self.dlogits.slice_mut(s![..rows, ..]);
        let dlogit_rows = flat_mut(dlogits.view_mut()).chunks_exact_mut(actions);
        let mut sums = LossSums::default();
        for (r, (row, drow)) in logits.zip(dlogit_rows).enumerate() {
            let index = samples.indices[r] as usize;
            let (buffer, local) = (&buffers[index / per_shard], index % per_shard);
            let (loss, dvalue) = sample_loss_and_grad(
                row,
                values[r],
                buffer.actions[local] as usize,
                buffer.log_probs[local],
                samples.advantages[r],
                buffer.returns[local],
                coefs,
                scale,
                drow,
            );
            self.dvalues[r] = dvalue;
            sums.policy += loss.policy;
            sums.value += loss.value;
            sums.entropy += loss.entropy;
            sums.approx_kl += loss.approx_kl;
            sums.clipped += loss.clipped as u8 as f64;
        }
        sums.samples = rows;
        self.sums.add(&sums);

        self.grads.fill(0.0);
        model.backward(
            inputs,
            masks,
            &self.acts,
            dlogits.view(),
            self.dvalues.slice(s![..rows]),
            &mut self.scratch,
            self.grads.view_mut(),
        );
    }

    /// Writes the greedy action for each sample, in blocks of this worker's capacity.
    pub fn act_greedy(
        &mut self,
        model: &Mlp<f32>,
        inputs: &[u16],
        masks: &[u8],
        actions: &mut [u8],
    ) {
        let active = model.shape().active_inputs;
        let n_actions = model.shape().actions;
        let block = self.acts.capacity();
        for ((masks, actions), inputs) in masks
            .chunks(block)
            .zip(actions.chunks_mut(block))
            .zip(inputs.chunks(block * active))
        {
            model.forward(inputs, masks, &mut self.acts);
            for (action, row) in actions
                .iter_mut()
                .zip(flat(self.acts.logits()).chunks_exact(n_actions))
            {
                *action = greedy_action(row) as u8;
            }
        }
    }
}

/// Copies the sampled rows' inputs and masks out of the rollout storage.
#[timed(component = "ppo_trainer", phase = "buffer")]
fn gather_minibatch(
    buffers: &[RolloutBuffer],
    indices: &[u32],
    active: usize,
    inputs: &mut [u16],
    masks: &mut [u8],
) {
    let per_shard = buffers[0].samples();
    for (r, &index) in indices.iter().enumerate() {
        let (buffer, local) = (
            &buffers[index as usize / per_shard],
            index as usize % per_shard,
        );
        inputs[r * active..(r + 1) * active].copy_from_slice(buffer.inputs_of(local));
        masks[r] = buffer.masks[local];
    }
}
