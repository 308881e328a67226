//! What the trainer needs from a batch of environments. 2048's `VecEnv` implements it (see
//! `game_env.rs`); tests implement it for tiny problems.

/// One finished episode, as reported by the environment that ran it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Episode {
    /// Sum of the raw (unshaped) rewards.
    pub score: f64,
    pub length: u32,
    /// The largest tile reached (2048); 0 for environments without tiles.
    pub max_tile: u32,
}

/// A batch of environments that reset themselves when an episode ends.
///
/// Observations are sparse one-hot inputs: `active_inputs` feature indices per environment.
/// Legal-action masks are bit sets: bit `a` set when action `a` is legal.
pub trait VecEnvironment: Send {
    fn num_envs(&self) -> usize;

    /// Writes `num_envs * active_inputs` feature indices for the current states.
    fn write_observations(&self, inputs: &mut [u16]);

    /// Writes one legal-action bit set per environment.
    fn write_legal_masks(&self, masks: &mut [u8]);

    /// Applies one action per environment. Writes the raw reward and whether the episode ended;
    /// an ended episode is appended to `finished` and its environment reset, so the next
    /// observation is the new episode's first.
    fn step(
        &mut self,
        actions: &[u8],
        rewards: &mut [f32],
        dones: &mut [bool],
        finished: &mut Vec<Episode>,
    );
}
