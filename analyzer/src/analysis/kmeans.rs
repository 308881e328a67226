//! k-means on one dimension, step for step the algorithm of `linfa-clustering`'s `KMeans`
//! (k-means++ seeding from the same random stream, Lloyd iterations, the same stopping rule
//! and the same order of every floating-point operation), so that it finds the same clusters
//! bit for bit; a test checks that against linfa on random samples.
//!
//! Written here because linfa's is general: each distance between two points goes through
//! ndarray views and a `Zip` of rows, and each pass over the points through rayon. On one
//! dimension that costs most of the work. `analyzer report --quiet --threads 1` on 1M rows in
//! our format (callgrind; logs from `cargo run --release -p analyzer --example
//! synthetic_logs`) spends 938 M instructions finding modes with linfa's k-means and 134 M
//! with this one; the wall-clock benchmark is `cargo bench -p analyzer`
//! (benches/report_vs_anchors.rs).

use rand::SeedableRng;
use rand::distributions::{Distribution, Uniform};
use rand_xoshiro::Xoshiro256Plus;

/// linfa's defaults: a run stops when the centroids move less than this (Euclidean
/// distance between the vectors of centroids) ...
const TOLERANCE: f64 = 1e-4;
/// ... or after this many iterations.
const MAX_ITERATIONS: u64 = 300;

/// The cluster (0..k) of each value: the best of `runs` runs by inertia, each seeded by
/// k-means++ from one `Xoshiro256Plus` stream seeded with `seed`. `None` when no run gives a
/// finite inertia (linfa's `InertiaError`).
pub fn cluster(values: &[f64], k: usize, runs: usize, seed: u64) -> Option<Vec<usize>> {
    if values.is_empty() || k == 0 {
        return None;
    }
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let mut memberships = vec![0usize; values.len()];
    let mut distances = vec![0.0f64; values.len()];
    let mut lowest_inertia = f64::INFINITY;
    let mut best = None;
    for _ in 0..runs {
        let mut centroids = plus_plus(values, k, &mut rng);
        let mut iterations = 0;
        let inertia = loop {
            for ((value, membership), distance) in
                values.iter().zip(&mut memberships).zip(&mut distances)
            {
                (*membership, *distance) = closest(&centroids, *value);
            }
            let moved = centroids_of(&centroids, values, &memberships);
            let shift = centroids
                .iter()
                .zip(&moved)
                .fold(0.0, |sum, (old, new)| {
                    let difference = old - new;
                    sum + difference * difference
                })
                .sqrt();
            centroids = moved;
            iterations += 1;
            if shift < TOLERANCE || iterations == MAX_ITERATIONS {
                break unrolled_sum(&distances);
            }
        };
        if inertia < lowest_inertia {
            lowest_inertia = inertia;
            best = Some(centroids);
        }
    }
    let best = best?;
    Some(
        values
            .iter()
            .map(|&value| closest(&best, value).0)
            .collect(),
    )
}

/// The nearest centroid and the squared distance to it; the first of equals.
#[inline]
fn closest(centroids: &[f64], value: f64) -> (usize, f64) {
    let squared = |centroid: f64| {
        let difference = centroid - value;
        difference * difference
    };
    let mut nearest = (0, squared(centroids[0]));
    for (index, &centroid) in centroids.iter().enumerate() {
        let distance = squared(centroid);
        if distance < nearest.1 {
            nearest = (index, distance);
        }
    }
    nearest
}

/// k-means++: the first centroid drawn uniformly, each next one with probability
/// proportional to the squared distance to the nearest centroid so far.
fn plus_plus(values: &[f64], k: usize, rng: &mut Xoshiro256Plus) -> Vec<f64> {
    let mut centroids = vec![0.0; k];
    let mut cumulative = Vec::with_capacity(values.len());
    let ones = std::iter::repeat_n(1.0, values.len());
    centroids[0] = values[weighted_draw(ones, &mut cumulative, rng)];
    for chosen in 1..k {
        let distances = values
            .iter()
            .map(|&value| closest(&centroids[..chosen], value).1);
        centroids[chosen] = values[weighted_draw(distances, &mut cumulative, rng)];
    }
    centroids
}

/// What linfa draws with `WeightedIndex::new(weights).map_or(0, |index| index.sample(rng))`,
/// step for step as rand 0.8 does it (the same running sums, the same uniform draw below
/// their total, the first sum above it; 0 for a weight below zero or NaN, or all zero), but
/// summed as the weights are computed, into one buffer for every draw.
///
/// Measured with callgrind (`analyzer report --logs DIR --out OUT --quiet --threads 1` on 2 M
/// rows in the original's format from `cargo run --release -p analyzer --example
/// synthetic_logs -- DIR 2000000 legacy`): `kmeans::cluster` ran 51.6 M instructions with a
/// `WeightedIndex` per centroid, 44.1 M this way.
fn weighted_draw(
    mut weights: impl Iterator<Item = f64>,
    cumulative: &mut Vec<f64>,
    rng: &mut Xoshiro256Plus,
) -> usize {
    // False for NaN too, as rand's check is.
    let valid = |weight: f64| weight >= 0.0;
    cumulative.clear();
    let Some(mut total) = weights.next() else {
        return 0;
    };
    if !valid(total) {
        return 0;
    }
    for weight in weights {
        if !valid(weight) {
            return 0;
        }
        cumulative.push(total);
        total += weight;
    }
    if total == 0.0 {
        return 0;
    }
    let chosen = Uniform::new(0.0, total).sample(rng);
    cumulative.partition_point(|&sum| sum <= chosen)
}

/// Each cluster's new centroid as linfa computes it: the sum of its members plus the old
/// centroid, divided by one more than the member count.
fn centroids_of(old: &[f64], values: &[f64], memberships: &[usize]) -> Vec<f64> {
    let mut sums = vec![0.0f64; old.len()];
    let mut counts = vec![1usize; old.len()];
    for (&value, &cluster) in values.iter().zip(memberships) {
        sums[cluster] += value;
        counts[cluster] += 1;
    }
    sums.iter()
        .zip(old)
        .zip(&counts)
        .map(|((&sum, &old), &count)| (sum + old) / count as f64)
        .collect()
}

/// ndarray's `sum` of a contiguous array: eight partial sums, then the rest in order.
fn unrolled_sum(values: &[f64]) -> f64 {
    let mut partial = [0.0f64; 8];
    let mut blocks = values.chunks_exact(8);
    for block in &mut blocks {
        for (sum, &value) in partial.iter_mut().zip(block) {
            *sum += value;
        }
    }
    let mut total = 0.0;
    for lane in 0..4 {
        total += partial[lane] + partial[lane + 4];
    }
    blocks
        .remainder()
        .iter()
        .fold(total, |sum, &value| sum + value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::DatasetBase;
    use linfa::traits::{Fit, Predict};
    use linfa_clustering::KMeans;
    use ndarray::{Array1, Array2};
    use proptest::prelude::*;

    fn linfa_clusters(values: &[f64], k: usize, runs: usize, seed: u64) -> Option<Vec<usize>> {
        let records = Array2::from_shape_vec((values.len(), 1), values.to_vec()).ok()?;
        let dataset = DatasetBase::from(records.clone());
        let model = KMeans::params_with_rng(k, Xoshiro256Plus::seed_from_u64(seed))
            .n_runs(runs)
            .fit(&dataset)
            .ok()?;
        let memberships: Array1<usize> = model.predict(&records);
        Some(memberships.to_vec())
    }

    #[test]
    fn separates_obvious_groups() {
        let values: Vec<f64> = (0..60)
            .map(|i| if i % 3 == 0 { 10.0 } else { 1.0 } + (i % 5) as f64 * 0.01)
            .collect();
        let clusters = cluster(&values, 2, 2, 42).unwrap();
        for (value, cluster) in values.iter().zip(&clusters) {
            assert_eq!(*cluster == clusters[0], (*value > 5.0) == (values[0] > 5.0));
        }
        assert_eq!(cluster(&[], 2, 2, 42), None);
    }

    /// The same index as rand's `WeightedIndex` from the same stream, draw after draw, and 0
    /// where it refuses the weights.
    #[test]
    fn weighted_draws_are_rands() {
        use rand::distributions::WeightedIndex;
        let mut ours = Xoshiro256Plus::seed_from_u64(7);
        let mut theirs = Xoshiro256Plus::seed_from_u64(7);
        let mut cumulative = Vec::new();
        let cases: [&[f64]; 8] = [
            &[1.0; 37],
            &[0.5, 0.0, 3.25, 1e-300, 7.0, 0.0, 2.0],
            &[0.0, 0.0, 4.0],
            &[9.0],
            &[0.0, 0.0],
            &[1.0, -1.0, 2.0],
            &[1.0, f64::NAN],
            &[],
        ];
        for _ in 0..50 {
            for weights in cases {
                let expected =
                    WeightedIndex::new(weights).map_or(0, |index| index.sample(&mut theirs));
                let drawn = weighted_draw(weights.iter().copied(), &mut cumulative, &mut ours);
                assert_eq!(drawn, expected, "{weights:?}");
            }
        }
    }

    #[test]
    fn the_sum_adds_in_ndarrays_order() {
        let values: Vec<f64> = (0..21).map(|i| 0.1 * i as f64 + 1e-17 * i as f64).collect();
        let array = Array1::from(values.clone());
        assert_eq!(unrolled_sum(&values).to_bits(), array.sum().to_bits());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Log-durations of a few modes with noise, ties and repeats: the same clusters as
        /// linfa for k = 2 and 3.
        #[test]
        fn finds_the_clusters_linfa_finds(
            modes in proptest::collection::vec((0.0f64..20.0, 0.0f64..0.5), 1..4),
            picks in proptest::collection::vec((0usize..4, -1.0f64..1.0, 0u8..4), 30..400),
            seed in 0u64..4,
        ) {
            let values: Vec<f64> = picks
                .iter()
                .map(|&(mode, noise, rounding)| {
                    let (centre, spread) = modes[mode % modes.len()];
                    let value = centre + noise * spread;
                    // Some samples repeat exactly, as quantised durations do.
                    if rounding == 0 { (value * 10.0).round() / 10.0 } else { value }
                })
                .collect();
            for k in [3, 2] {
                prop_assert_eq!(cluster(&values, k, 2, seed), linfa_clusters(&values, k, 2, seed));
            }
        }
    }
}
