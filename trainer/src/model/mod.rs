//! The actor-critic network and its optimiser, by hand: forward/backward, orthogonal init, Adam,
//! global-norm clipping, named-tensor export for checkpoints.

pub mod adam;
pub mod clip;
pub mod heads;
pub mod init;
pub mod linalg;
pub mod mlp;
pub mod real;
pub mod rows;
pub mod shape;
pub mod simd;
pub mod tensors;

pub use adam::{Adam, AdamConfig};
pub use clip::clip_global_norm;
pub use mlp::{Activations, BackwardScratch, Mlp};
pub use real::Real;
pub use shape::{MlpShape, ParamLayout, ShapeError, TensorSpec};
pub use tensors::{AdamTensorNames, NamedTensor, TensorError};
