//! The actor-critic network and its optimiser, by hand on ndarray: forward/backward, orthogonal
//! init, Adam, global-norm clipping, named-tensor export for checkpoints.

pub mod adam;
pub mod batch_memory;
pub mod contiguous;
pub mod dense;
pub mod heads;
pub mod init;
pub mod linalg;
pub mod mlp;
pub mod real;
pub mod rows;
pub mod shape;
pub mod simd;
pub mod tensors;

pub use adam::{Adam, AdamConfig, clip_scale};
pub use batch_memory::{Activations, BackwardScratch};
pub use dense::{Dense, DenseMut};
pub use mlp::Mlp;
pub use real::Real;
pub use shape::{LayerTensors, MlpShape, ParamLayout, ShapeError, TensorSpec};
pub use tensors::{AdamTensorNames, NamedTensor, TensorError};
