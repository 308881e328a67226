//! Rollout storage for one shard of environments, time-major: sample `t * envs + e` is the
//! `t`-th step of environment `e`. Everything is allocated once.

#[derive(Clone, Debug)]
pub struct RolloutBuffer {
    pub envs: usize,
    pub steps: usize,
    pub active_inputs: usize,
    /// Feature indices, `active_inputs` per sample.
    pub inputs: Vec<u16>,
    pub masks: Vec<u8>,
    pub actions: Vec<u8>,
    pub log_probs: Vec<f32>,
    pub values: Vec<f32>,
    /// Shaped rewards.
    pub rewards: Vec<f32>,
    /// Whether the episode ended with this step's action.
    pub dones: Vec<bool>,
    /// Value estimates of the states after the last step, for bootstrapping.
    pub last_values: Vec<f32>,
    pub advantages: Vec<f32>,
    pub returns: Vec<f32>,
}

impl RolloutBuffer {
    pub fn new(envs: usize, steps: usize, active_inputs: usize) -> Self {
        let samples = envs * steps;
        RolloutBuffer {
            envs,
            steps,
            active_inputs,
            inputs: vec![0; samples * active_inputs],
            masks: vec![0; samples],
            actions: vec![0; samples],
            log_probs: vec![0.0; samples],
            values: vec![0.0; samples],
            rewards: vec![0.0; samples],
            dones: vec![false; samples],
            last_values: vec![0.0; envs],
            advantages: vec![0.0; samples],
            returns: vec![0.0; samples],
        }
    }

    pub fn samples(&self) -> usize {
        self.envs * self.steps
    }

    pub fn inputs_of(&self, sample: usize) -> &[u16] {
        &self.inputs[sample * self.active_inputs..(sample + 1) * self.active_inputs]
    }
}
