//! One layer's tensors as ndarray views into a flat vector laid out by `ParamLayout`: the
//! parameters, or a gradient of the same layout. Views borrow, so the flat vector stays the one
//! allocation that Adam, clipping and checkpoints see as a plain slice.

use super::shape::{LayerTensors, ParamLayout};
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};

/// A layer computing `x W + b`: `weight` is `[fan_in, fan_out]`, `bias` is `[fan_out]`.
#[derive(Clone, Debug)]
pub struct Dense<'a, T> {
    pub weight: ArrayView2<'a, T>,
    pub bias: ArrayView1<'a, T>,
}

/// A layer's tensors for writing, e.g. its gradient.
#[derive(Debug)]
pub struct DenseMut<'a, T> {
    pub weight: ArrayViewMut2<'a, T>,
    pub bias: ArrayViewMut1<'a, T>,
}

impl ParamLayout {
    /// The range of `flat` holding `layer`: the layout stores each bias right after its weight.
    fn layer_block(&self, layer: LayerTensors) -> ((usize, usize), std::ops::Range<usize>) {
        let (weight, bias) = (&self.tensors[layer.weight], &self.tensors[layer.bias]);
        assert_eq!(
            weight.range().end,
            bias.offset,
            "`{}` does not follow `{}`",
            bias.name,
            weight.name
        );
        let [fan_in, fan_out] = weight.shape[..] else {
            panic!(
                "`{}` of shape {:?} is not a matrix",
                weight.name, weight.shape
            );
        };
        ((fan_in, fan_out), weight.offset..bias.range().end)
    }

    /// `layer`'s weight and bias inside `flat` (the whole vector, laid out as `self`).
    pub fn dense<'a, T>(&self, layer: LayerTensors, flat: &'a [T]) -> Dense<'a, T> {
        let (shape, block) = self.layer_block(layer);
        let (weight, bias) = flat[block].split_at(shape.0 * shape.1);
        Dense {
            weight: ArrayView2::from_shape(shape, weight)
                .expect("the block holds fan_in x fan_out"),
            bias: ArrayView1::from(bias),
        }
    }

    /// `layer`'s weight and bias inside `flat`, for writing.
    pub fn dense_mut<'a, T>(&self, layer: LayerTensors, flat: &'a mut [T]) -> DenseMut<'a, T> {
        let (shape, block) = self.layer_block(layer);
        let (weight, bias) = flat[block].split_at_mut(shape.0 * shape.1);
        DenseMut {
            weight: ArrayViewMut2::from_shape(shape, weight)
                .expect("the block holds fan_in x fan_out"),
            bias: ArrayViewMut1::from(bias),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::MlpShape;
    use crate::model::shape::ParamLayout;
    use ndarray::array;

    fn layout() -> ParamLayout {
        ParamLayout::new(&MlpShape {
            input_features: 3,
            active_inputs: 1,
            hidden: vec![2],
            actions: 2,
        })
    }

    #[test]
    fn views_see_each_tensor_row_major_at_its_offset() {
        let layout = layout();
        // hidden0.weight 3x2, hidden0.bias 2, policy.weight 2x2, policy.bias 2, value 2x1 + 1
        let flat: Vec<i32> = (0..layout.total as i32).collect();
        let hidden = layout.dense(layout.hidden_layer(0), &flat);
        assert_eq!(hidden.weight, array![[0, 1], [2, 3], [4, 5]]);
        assert_eq!(hidden.bias, array![6, 7]);
        let policy = layout.dense(layout.policy_head(), &flat);
        assert_eq!(policy.weight, array![[8, 9], [10, 11]]);
        assert_eq!(policy.bias, array![12, 13]);
        let value = layout.dense(layout.value_head(), &flat);
        assert_eq!(value.weight, array![[14], [15]]);
        assert_eq!(value.bias, array![16]);
    }

    #[test]
    fn writes_through_a_mutable_view_land_in_the_flat_vector() {
        let layout = layout();
        let mut flat = vec![0; layout.total];
        let mut policy = layout.dense_mut(layout.policy_head(), &mut flat);
        policy.weight[[1, 0]] = 5;
        policy.bias[1] = 9;
        assert_eq!(flat[10], 5);
        assert_eq!(flat[13], 9);
        assert_eq!(flat.iter().sum::<i32>(), 14);
    }
}
