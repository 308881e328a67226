//! Element-wise kernels on rows of activations and on the flat parameter vector. Written as
//! plain zipped loops (branch-free, so LLVM vectorises them) and compiled per instruction set
//! by `multiversion!`.

use super::real::Real;
use super::simd::multiversion;

#[inline(always)]
fn add_row<T: Real>(dst: &mut [T], src: &[T]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}

multiversion! {
    /// `dst += src`.
    pub fn add_assign<T: Real>(dst: &mut [T], src: &[T]) {
        add_row(dst, src);
    }
}

/// Columns per register block in the sparse first layer: 64 f32 are four AVX-512 registers,
/// so a block's sum (or gradient) stays in registers while the active weight rows stream past,
/// in four independent dependency chains. (Sweeping the whole batch per narrow column slab,
/// to keep weight slabs in L1, measured slower: one chain per slab and store-to-load stalls
/// on rows shared by consecutive samples.)
const BLOCK: usize = 64;

multiversion! {
    /// The sparse first layer: row `r` of `out` is `relu(bias + sum of the weight rows named by
    /// inputs[r * active..(r + 1) * active])`, for `out.len() / bias.len()` rows.
    pub fn gather_rows_relu<T: Real>(out: &mut [T], bias: &[T], weights: &[T], inputs: &[u16], active: usize) {
        let width = bias.len();
        let blocks = width / BLOCK * BLOCK;
        for (row, features) in out.chunks_exact_mut(width).zip(inputs.chunks_exact(active)) {
            for start in (0..blocks).step_by(BLOCK) {
                let mut sum: [T; BLOCK] = bias[start..start + BLOCK].try_into().expect("block");
                for &feature in features {
                    let offset = feature as usize * width + start;
                    let w: &[T; BLOCK] = weights[offset..offset + BLOCK].try_into().expect("block");
                    for (s, &w) in sum.iter_mut().zip(w) {
                        *s += w;
                    }
                }
                for (o, &s) in row[start..start + BLOCK].iter_mut().zip(&sum) {
                    *o = if s > T::ZERO { s } else { T::ZERO };
                }
            }
            let tail = &mut row[blocks..];
            tail.copy_from_slice(&bias[blocks..]);
            for &feature in features {
                let offset = feature as usize * width;
                add_row(tail, &weights[offset + blocks..offset + width]);
            }
            for v in tail.iter_mut() {
                *v = if *v > T::ZERO { *v } else { T::ZERO };
            }
        }
    }
}

multiversion! {
    /// The first layer's weight gradient: adds row `r` of `grads_out` to each weight row named
    /// by `inputs[r * active..(r + 1) * active]`.
    pub fn scatter_add_rows<T: Real>(weight_grad: &mut [T], grads_out: &[T], width: usize, inputs: &[u16], active: usize) {
        let blocks = width / BLOCK * BLOCK;
        for (d_row, features) in grads_out.chunks_exact(width).zip(inputs.chunks_exact(active)) {
            for start in (0..blocks).step_by(BLOCK) {
                let d: [T; BLOCK] = d_row[start..start + BLOCK].try_into().expect("block");
                for &feature in features {
                    let offset = feature as usize * width + start;
                    let g: &mut [T; BLOCK] = (&mut weight_grad[offset..offset + BLOCK]).try_into().expect("block");
                    for (g, &d) in g.iter_mut().zip(&d) {
                        *g += d;
                    }
                }
            }
            for &feature in features {
                let offset = feature as usize * width;
                add_row(&mut weight_grad[offset + blocks..offset + width], &d_row[blocks..]);
            }
        }
    }
}

multiversion! {
    /// `values = relu(values + bias)` on each `bias.len()`-wide row.
    pub fn bias_relu_in_place<T: Real>(values: &mut [T], bias: &[T]) {
        for row in values.chunks_exact_mut(bias.len()) {
            for (v, &b) in row.iter_mut().zip(bias) {
                let x = *v + b;
                *v = if x > T::ZERO { x } else { T::ZERO };
            }
        }
    }
}

multiversion! {
    /// ReLU's backward on a `rows x bias_grad.len()` matrix, fused with the bias gradient:
    /// `grad` keeps its value where `output` was positive and becomes 0 elsewhere, and each row
    /// is added to `bias_grad`.
    pub fn relu_backward_bias<T: Real>(grad: &mut [T], output: &[T], bias_grad: &mut [T]) {
        let width = bias_grad.len();
        for (g_row, o_row) in grad.chunks_exact_mut(width).zip(output.chunks_exact(width)) {
            for ((g, &o), b) in g_row.iter_mut().zip(o_row).zip(bias_grad.iter_mut()) {
                *g = if o > T::ZERO { *g } else { T::ZERO };
                *b += *g;
            }
        }
    }
}

multiversion! {
    pub fn sum_of_squares<T: Real>(values: &[T]) -> f64 {
        // Independent lanes let the compiler vectorise a reduction it may not reorder.
        let mut lanes = [T::ZERO; 16];
        let mut chunks = values.chunks_exact(16);
        for chunk in &mut chunks {
            for (lane, &v) in lanes.iter_mut().zip(chunk) {
                *lane += v * v;
            }
        }
        let tail: f64 = chunks.remainder().iter().map(|v| v.to_f64() * v.to_f64()).sum();
        lanes.iter().map(|l| l.to_f64()).sum::<f64>() + tail
    }
}
