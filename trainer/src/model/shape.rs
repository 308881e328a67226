//! The network's dimensions and where each named parameter tensor lives in the flat vector.

use std::fmt;

/// Dimensions of the actor-critic MLP.
///
/// The input is sparse: each sample activates exactly `active_inputs` of `input_features`
/// one-hot features (for 2048: 16 cells, each one of 16 exponents, so 16 of 256), given as
/// feature indices. The first layer is therefore a sum of `active_inputs` weight rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MlpShape {
    pub input_features: usize,
    pub active_inputs: usize,
    pub hidden: Vec<usize>,
    pub actions: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShapeError {
    NoHiddenLayer,
    ZeroSize(&'static str),
    TooManyActions(usize),
    TooManyFeatures(usize),
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShapeError::NoHiddenLayer => write!(f, "the MLP needs at least one hidden layer"),
            ShapeError::ZeroSize(what) => write!(f, "MLP {what} must be at least 1"),
            ShapeError::TooManyActions(n) => {
                write!(
                    f,
                    "{n} actions: legal-action masks are u8 bit sets, so at most 8"
                )
            }
            ShapeError::TooManyFeatures(n) => {
                write!(
                    f,
                    "{n} input features: feature indices are u16, so at most 65536"
                )
            }
        }
    }
}

impl std::error::Error for ShapeError {}

impl MlpShape {
    /// The 2048 network: 16 cells x 16 exponents in, 4 moves out.
    pub fn for_2048(hidden: Vec<usize>) -> Self {
        MlpShape {
            input_features: 256,
            active_inputs: 16,
            hidden,
            actions: 4,
        }
    }

    pub fn validate(&self) -> Result<(), ShapeError> {
        if self.hidden.is_empty() {
            return Err(ShapeError::NoHiddenLayer);
        }
        if self.input_features == 0 {
            return Err(ShapeError::ZeroSize("input_features"));
        }
        if self.input_features > 1 << 16 {
            return Err(ShapeError::TooManyFeatures(self.input_features));
        }
        if self.active_inputs == 0 {
            return Err(ShapeError::ZeroSize("active_inputs"));
        }
        if self.hidden.contains(&0) {
            return Err(ShapeError::ZeroSize("hidden layer width"));
        }
        if self.actions == 0 {
            return Err(ShapeError::ZeroSize("actions"));
        }
        if self.actions > 8 {
            return Err(ShapeError::TooManyActions(self.actions));
        }
        Ok(())
    }

    pub fn last_hidden(&self) -> usize {
        *self
            .hidden
            .last()
            .expect("validated shape has a hidden layer")
    }

    pub fn max_hidden(&self) -> usize {
        self.hidden.iter().copied().max().unwrap_or(0)
    }

    /// Multiply-adds of the dense (non-gathered) hidden layers and the heads for one sample.
    pub fn dense_macs_per_sample(&self) -> usize {
        let hidden: usize = self.hidden.windows(2).map(|w| w[0] * w[1]).sum();
        hidden + self.last_hidden() * (self.actions + 1)
    }
}

/// One named tensor inside the flat parameter vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorSpec {
    pub name: String,
    pub shape: Vec<usize>,
    pub offset: usize,
}

impl TensorSpec {
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        self.offset..self.offset + self.len()
    }
}

/// Where every tensor sits in the flat vector. Weights are `[fan_in, fan_out]` row-major, so a
/// layer computes `x * W + b` and the first layer's rows are indexed by input feature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamLayout {
    pub tensors: Vec<TensorSpec>,
    pub total: usize,
}

/// Indices into `ParamLayout::tensors` for each layer, so hot loops need no name lookups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerTensors {
    pub weight: usize,
    pub bias: usize,
}

impl ParamLayout {
    pub fn new(shape: &MlpShape) -> Self {
        let mut tensors = Vec::new();
        let mut offset = 0;
        let mut push = |name: String, dims: Vec<usize>| {
            let spec = TensorSpec {
                name,
                shape: dims,
                offset,
            };
            offset += spec.len();
            tensors.push(spec);
        };
        let mut fan_in = shape.input_features;
        for (i, &width) in shape.hidden.iter().enumerate() {
            push(format!("hidden{i}.weight"), vec![fan_in, width]);
            push(format!("hidden{i}.bias"), vec![width]);
            fan_in = width;
        }
        push("policy.weight".into(), vec![fan_in, shape.actions]);
        push("policy.bias".into(), vec![shape.actions]);
        push("value.weight".into(), vec![fan_in, 1]);
        push("value.bias".into(), vec![1]);
        ParamLayout {
            tensors,
            total: offset,
        }
    }

    pub fn hidden_layer(&self, i: usize) -> LayerTensors {
        LayerTensors {
            weight: 2 * i,
            bias: 2 * i + 1,
        }
    }

    pub fn policy_head(&self) -> LayerTensors {
        let n = self.tensors.len();
        LayerTensors {
            weight: n - 4,
            bias: n - 3,
        }
    }

    pub fn value_head(&self) -> LayerTensors {
        let n = self.tensors.len();
        LayerTensors {
            weight: n - 2,
            bias: n - 1,
        }
    }
}
