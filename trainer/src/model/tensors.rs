//! Export and import of the parameters and Adam state as flat, named `f32` tensors, for
//! checkpoints. Import validates every name and shape before changing anything.

use super::adam::Adam;
use super::mlp::Mlp;
use super::shape::ParamLayout;
use std::fmt;

/// A borrowed named tensor: row-major `data` of the given `shape`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NamedTensor<'a> {
    pub name: &'a str,
    pub shape: &'a [usize],
    pub data: &'a [f32],
}

#[derive(Clone, Debug, PartialEq)]
pub enum TensorError {
    Missing(String),
    Unexpected(String),
    Duplicate(String),
    ShapeMismatch {
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    LengthMismatch {
        name: String,
        shape: Vec<usize>,
        len: usize,
    },
    NonFinite {
        name: String,
        index: usize,
    },
}

impl fmt::Display for TensorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TensorError::Missing(name) => write!(f, "tensor `{name}` is missing"),
            TensorError::Unexpected(name) => write!(f, "tensor `{name}` is not part of this model"),
            TensorError::Duplicate(name) => write!(f, "tensor `{name}` appears more than once"),
            TensorError::ShapeMismatch {
                name,
                expected,
                found,
            } => write!(
                f,
                "tensor `{name}` has shape {found:?}, expected {expected:?}"
            ),
            TensorError::LengthMismatch { name, shape, len } => {
                write!(f, "tensor `{name}` of shape {shape:?} holds {len} values")
            }
            TensorError::NonFinite { name, index } => {
                write!(
                    f,
                    "tensor `{name}` holds a non-finite value at index {index}"
                )
            }
        }
    }
}

impl std::error::Error for TensorError {}

/// Checks that `tensors` are exactly the `prefix`ed tensors of `layout`, then copies them into
/// each destination (`dests[i]` is laid out like `layout`).
fn load_into(
    layout: &ParamLayout,
    prefixes: &[&str],
    tensors: &[NamedTensor<'_>],
    dests: &mut [&mut [f32]],
) -> Result<(), TensorError> {
    let expected: Vec<(String, usize, usize)> = prefixes
        .iter()
        .enumerate()
        .flat_map(|(d, prefix)| {
            layout
                .tensors
                .iter()
                .enumerate()
                .map(move |(i, spec)| (format!("{prefix}{}", spec.name), d, i))
        })
        .collect();
    let mut found: Vec<Option<&NamedTensor<'_>>> = vec![None; expected.len()];
    for tensor in tensors {
        let Some(slot) = expected.iter().position(|(name, _, _)| name == tensor.name) else {
            return Err(TensorError::Unexpected(tensor.name.to_string()));
        };
        if found[slot].is_some() {
            return Err(TensorError::Duplicate(tensor.name.to_string()));
        }
        let spec = &layout.tensors[expected[slot].2];
        if tensor.shape != spec.shape.as_slice() {
            return Err(TensorError::ShapeMismatch {
                name: tensor.name.to_string(),
                expected: spec.shape.clone(),
                found: tensor.shape.to_vec(),
            });
        }
        if tensor.data.len() != spec.len() {
            return Err(TensorError::LengthMismatch {
                name: tensor.name.to_string(),
                shape: tensor.shape.to_vec(),
                len: tensor.data.len(),
            });
        }
        if let Some(index) = tensor.data.iter().position(|v| !v.is_finite()) {
            return Err(TensorError::NonFinite {
                name: tensor.name.to_string(),
                index,
            });
        }
        found[slot] = Some(tensor);
    }
    if let Some(slot) = found.iter().position(Option::is_none) {
        return Err(TensorError::Missing(expected[slot].0.clone()));
    }
    for ((_, dest, spec), tensor) in expected.iter().zip(found) {
        let range = layout.tensors[*spec].range();
        dests[*dest][range].copy_from_slice(tensor.expect("all present").data);
    }
    Ok(())
}

fn export<'a>(
    layout: &'a ParamLayout,
    names: &'a [String],
    values: &'a [f32],
) -> Vec<NamedTensor<'a>> {
    layout
        .tensors
        .iter()
        .zip(names)
        .map(|(spec, name)| NamedTensor {
            name,
            shape: &spec.shape,
            data: &values[spec.range()],
        })
        .collect()
}

impl Mlp<f32> {
    /// The parameters as named tensors (`hidden0.weight`, `hidden0.bias`, ..., `policy.weight`,
    /// `policy.bias`, `value.weight`, `value.bias`); weights are `[fan_in, fan_out]`.
    pub fn tensors(&self) -> Vec<NamedTensor<'_>> {
        let layout = self.layout();
        layout
            .tensors
            .iter()
            .map(|spec| NamedTensor {
                name: &spec.name,
                shape: &spec.shape,
                data: &self.params()[spec.range()],
            })
            .collect()
    }

    /// Replaces all parameters; `tensors` must be exactly this model's tensors (any order).
    pub fn load_tensors(&mut self, tensors: &[NamedTensor<'_>]) -> Result<(), TensorError> {
        let layout = self.layout().clone();
        load_into(&layout, &[""], tensors, &mut [self.params_mut()])
    }
}

/// Owned names of Adam's moment tensors: `adam.m.<param>` and `adam.v.<param>`.
pub struct AdamTensorNames {
    first: Vec<String>,
    second: Vec<String>,
}

impl Adam<f32> {
    pub fn tensor_names(&self) -> AdamTensorNames {
        let names = |prefix: &str| {
            self.layout
                .tensors
                .iter()
                .map(|s| format!("{prefix}{}", s.name))
                .collect()
        };
        AdamTensorNames {
            first: names("adam.m."),
            second: names("adam.v."),
        }
    }

    /// The first and second moments as named tensors, shaped like the parameters. The step
    /// count is an integer and is saved separately (`steps()` / `set_steps`).
    pub fn tensors<'a>(&'a self, names: &'a AdamTensorNames) -> Vec<NamedTensor<'a>> {
        let mut out = export(&self.layout, &names.first, self.first_moment());
        out.extend(export(&self.layout, &names.second, self.second_moment()));
        out
    }

    pub fn load_tensors(
        &mut self,
        tensors: &[NamedTensor<'_>],
        steps: u64,
    ) -> Result<(), TensorError> {
        let layout = self.layout.clone();
        let (first, second) = self.moments_mut();
        load_into(
            &layout,
            &["adam.m.", "adam.v."],
            tensors,
            &mut [first, second],
        )?;
        self.steps = steps;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AdamConfig, MlpShape};

    fn shape() -> MlpShape {
        MlpShape {
            input_features: 6,
            active_inputs: 2,
            hidden: vec![3],
            actions: 2,
        }
    }

    #[test]
    fn parameters_round_trip_through_named_tensors() {
        let source = Mlp::<f32>::new(shape(), 1).unwrap();
        let exported: Vec<(String, Vec<usize>, Vec<f32>)> = source
            .tensors()
            .iter()
            .map(|t| (t.name.to_string(), t.shape.to_vec(), t.data.to_vec()))
            .collect();
        let names: Vec<&str> = exported.iter().map(|t| t.0.as_str()).collect();
        assert_eq!(
            names,
            [
                "hidden0.weight",
                "hidden0.bias",
                "policy.weight",
                "policy.bias",
                "value.weight",
                "value.bias"
            ]
        );
        assert_eq!(exported[0].1, [6, 3]);
        assert_eq!(exported[2].1, [3, 2]);
        // Any order is accepted.
        let borrowed: Vec<NamedTensor<'_>> = exported
            .iter()
            .rev()
            .map(|(name, shape, data)| NamedTensor { name, shape, data })
            .collect();
        let mut target = Mlp::<f32>::zeros(shape()).unwrap();
        target.load_tensors(&borrowed).unwrap();
        assert_eq!(target.params(), source.params());
    }

    #[test]
    fn invalid_tensor_sets_are_rejected_without_changing_anything() {
        let source = Mlp::<f32>::new(shape(), 1).unwrap();
        let good = source.tensors();
        let mut target = Mlp::<f32>::zeros(shape()).unwrap();
        let bad_shape = [3usize, 6];
        let nan = [f32::NAN, 0.0, 0.0];
        let short = [0.0f32; 2];
        let cases: Vec<(Vec<NamedTensor<'_>>, TensorError)> = vec![
            (
                good[1..].to_vec(),
                TensorError::Missing("hidden0.weight".into()),
            ),
            (
                [
                    good.clone(),
                    vec![NamedTensor {
                        name: "extra",
                        ..good[0]
                    }],
                ]
                .concat(),
                TensorError::Unexpected("extra".into()),
            ),
            (
                [good.clone(), vec![good[3]]].concat(),
                TensorError::Duplicate("policy.bias".into()),
            ),
            (
                [
                    vec![NamedTensor {
                        shape: &bad_shape,
                        ..good[0]
                    }],
                    good[1..].to_vec(),
                ]
                .concat(),
                TensorError::ShapeMismatch {
                    name: "hidden0.weight".into(),
                    expected: vec![6, 3],
                    found: vec![3, 6],
                },
            ),
            (
                [
                    good[..1].to_vec(),
                    vec![NamedTensor {
                        data: &short,
                        ..good[1]
                    }],
                    good[2..].to_vec(),
                ]
                .concat(),
                TensorError::LengthMismatch {
                    name: "hidden0.bias".into(),
                    shape: vec![3],
                    len: 2,
                },
            ),
            (
                [
                    good[..1].to_vec(),
                    vec![NamedTensor {
                        data: &nan,
                        ..good[1]
                    }],
                    good[2..].to_vec(),
                ]
                .concat(),
                TensorError::NonFinite {
                    name: "hidden0.bias".into(),
                    index: 0,
                },
            ),
        ];
        for (tensors, expected) in cases {
            assert_eq!(target.load_tensors(&tensors), Err(expected));
            assert!(
                target.params().iter().all(|&p| p == 0.0),
                "a failed load changed parameters"
            );
        }
        assert_eq!(
            TensorError::Missing("value.bias".into()).to_string(),
            "tensor `value.bias` is missing"
        );
    }

    #[test]
    fn adam_state_round_trips_with_its_step_count() {
        let mlp = Mlp::<f32>::new(shape(), 2).unwrap();
        let mut adam = Adam::<f32>::new(mlp.layout(), AdamConfig::default());
        let mut params = mlp.params().to_vec();
        let grads: Vec<f32> = (0..params.len()).map(|i| i as f32 * 0.01 - 0.1).collect();
        adam.step(&mut params, &grads, 1e-3);
        adam.step(&mut params, &grads, 1e-3);
        let names = adam.tensor_names();
        let tensors = adam.tensors(&names);
        assert_eq!(tensors.len(), 12);
        assert_eq!(tensors[0].name, "adam.m.hidden0.weight");
        assert_eq!(tensors[6].name, "adam.v.hidden0.weight");
        let mut restored = Adam::<f32>::new(mlp.layout(), AdamConfig::default());
        restored.load_tensors(&tensors, adam.steps()).unwrap();
        assert_eq!(restored.steps(), 2);
        assert_eq!(restored.first_moment(), adam.first_moment());
        assert_eq!(restored.second_moment(), adam.second_moment());
        assert_eq!(
            restored.load_tensors(&tensors[..11], 2),
            Err(TensorError::Missing("adam.v.value.bias".into()))
        );
    }
}
