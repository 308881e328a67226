//! Orthogonal initialisation (Saxe et al.), as `jax.nn.initializers.orthogonal` and CleanRL's
//! `layer_init`: a Gaussian matrix orthonormalised by Gram-Schmidt, times a gain.

use rand::Rng;

/// A standard normal draw by Box-Muller, to avoid a `rand_distr` dependency for one function.
fn standard_normal(rng: &mut impl Rng) -> f64 {
    // 1 - u keeps the argument of ln in (0, 1].
    let u1: f64 = 1.0 - rng.r#gen::<f64>();
    let u2: f64 = rng.r#gen::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Orthonormalises `vectors` (each of length `len`) in place by modified Gram-Schmidt, run twice
/// so that rounding leaves them orthogonal to machine precision.
fn gram_schmidt(vectors: &mut [Vec<f64>]) {
    for i in 0..vectors.len() {
        for _pass in 0..2 {
            for j in 0..i {
                let (done, rest) = vectors.split_at_mut(i);
                let dot: f64 = done[j].iter().zip(&rest[0]).map(|(a, b)| a * b).sum();
                for (x, q) in rest[0].iter_mut().zip(&done[j]) {
                    *x -= dot * q;
                }
            }
        }
        let norm = vectors[i].iter().map(|x| x * x).sum::<f64>().sqrt();
        for x in &mut vectors[i] {
            *x /= norm;
        }
    }
}

/// A `[rows, cols]` row-major matrix times `gain` whose columns are orthonormal when
/// `rows >= cols`, and whose rows are orthonormal otherwise.
pub fn orthogonal(rows: usize, cols: usize, gain: f64, rng: &mut impl Rng) -> Vec<f64> {
    let (count, len) = if rows >= cols {
        (cols, rows)
    } else {
        (rows, cols)
    };
    let mut vectors: Vec<Vec<f64>> = (0..count)
        .map(|_| (0..len).map(|_| standard_normal(rng)).collect())
        .collect();
    gram_schmidt(&mut vectors);
    let mut out = vec![0.0; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            let v = if rows >= cols {
                vectors[c][r]
            } else {
                vectors[r][c]
            };
            out[r * cols + c] = gain * v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn gram(m: &[f64], rows: usize, cols: usize, by_columns: bool) -> Vec<f64> {
        let (count, len) = if by_columns {
            (cols, rows)
        } else {
            (rows, cols)
        };
        let at = |v: usize, i: usize| {
            if by_columns {
                m[i * cols + v]
            } else {
                m[v * cols + i]
            }
        };
        let mut g = vec![0.0; count * count];
        for a in 0..count {
            for b in 0..count {
                g[a * count + b] = (0..len).map(|i| at(a, i) * at(b, i)).sum();
            }
        }
        g
    }

    fn assert_scaled_identity(g: &[f64], n: usize, scale: f64) {
        for a in 0..n {
            for b in 0..n {
                let expected = if a == b { scale } else { 0.0 };
                assert!(
                    (g[a * n + b] - expected).abs() < 1e-12,
                    "gram[{a},{b}] = {}",
                    g[a * n + b]
                );
            }
        }
    }

    #[test]
    fn tall_matrix_has_orthogonal_columns_scaled_by_gain() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let w = orthogonal(6, 3, 2.0, &mut rng);
        assert_scaled_identity(&gram(&w, 6, 3, true), 3, 4.0);
    }

    #[test]
    fn wide_matrix_has_orthogonal_rows() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
        let w = orthogonal(3, 7, 1.0, &mut rng);
        assert_scaled_identity(&gram(&w, 3, 7, false), 3, 1.0);
    }

    #[test]
    fn same_seed_same_matrix() {
        let a = orthogonal(4, 4, 1.0, &mut Xoshiro256PlusPlus::seed_from_u64(1));
        let b = orthogonal(4, 4, 1.0, &mut Xoshiro256PlusPlus::seed_from_u64(1));
        let c = orthogonal(4, 4, 1.0, &mut Xoshiro256PlusPlus::seed_from_u64(2));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
