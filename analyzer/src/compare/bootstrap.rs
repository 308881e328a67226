//! The confidence interval of the ratio NEW/BASE of two medians, from a moving block bootstrap:
//! calls within a run are correlated (a slow phase makes many slow calls in a row), and
//! resampling single calls would understate the uncertainty, so each resample is made of
//! blocks of consecutive calls (Künsch 1989) drawn with replacement, each side on its own.
//!
//! Block length: round(n^(1/3)), at least 1 (the order that minimises the error of a block
//! bootstrap's variance estimate, Hall, Horowitz and Jing 1995). Replicates: [`ITERATIONS`],
//! drawn from a generator seeded per operation, so the same runs always give the same
//! interval. Each replicate costs a copy and a selection over both samples: with the samples
//! bounded (README "analyzer compare"), so is the cost.

use rand::Rng;

/// Bootstrap replicates per operation.
pub const ITERATIONS: usize = 2000;
/// The confidence of the interval.
pub const CONFIDENCE: f64 = 0.95;

/// round(n^(1/3)), at least 1 and at most n.
pub fn block_length(n: usize) -> usize {
    ((n as f64).cbrt().round() as usize).clamp(1, n.max(1))
}

/// Fills `out` with one moving-block resample of `sample`: ceil(n / block) blocks of `block`
/// consecutive values, each starting where `draw(n - block)` says (a start in `0..=n -
/// block`), concatenated and cut to n values.
pub fn resample_into(
    sample: &[u64],
    block: usize,
    mut draw: impl FnMut(usize) -> usize,
    out: &mut Vec<u64>,
) {
    out.clear();
    let n = sample.len();
    if n == 0 {
        return;
    }
    let block = block.clamp(1, n);
    while out.len() < n {
        let start = draw(n - block).min(n - block);
        let take = block.min(n - out.len());
        out.extend_from_slice(&sample[start..start + take]);
    }
}

/// The median (the mean of the two middle values for an even count, as numpy); NaN when
/// empty. Reorders `values`.
pub fn median(values: &mut [u64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    let (_, &mut upper, _) = values.select_nth_unstable(n / 2);
    if n % 2 == 1 {
        return upper as f64;
    }
    let lower = values[..n / 2].iter().copied().max().unwrap_or(upper);
    (lower as f64 + upper as f64) / 2.0
}

/// `new / base`, with 0/0 = 1 (two operations that take no time are equal) and x/0 infinite.
pub fn ratio(new: f64, base: f64) -> f64 {
    if base == 0.0 {
        if new == 0.0 { 1.0 } else { f64::INFINITY }
    } else {
        new / base
    }
}

/// The replicates of median(new*) / median(base*), each side resampled in blocks of its own
/// length; `draw(max)` gives a block start in `0..=max`.
pub fn median_ratio_replicates(
    base: &[u64],
    new: &[u64],
    iterations: usize,
    mut draw: impl FnMut(usize) -> usize,
) -> Vec<f64> {
    let (base_block, new_block) = (block_length(base.len()), block_length(new.len()));
    let mut base_resample = Vec::with_capacity(base.len());
    let mut new_resample = Vec::with_capacity(new.len());
    (0..iterations)
        .map(|_| {
            resample_into(base, base_block, &mut draw, &mut base_resample);
            resample_into(new, new_block, &mut draw, &mut new_resample);
            ratio(median(&mut new_resample), median(&mut base_resample))
        })
        .collect()
}

/// The percentile interval of the replicates: their (1 - confidence)/2 and (1 + confidence)/2
/// quantiles, interpolated linearly between order statistics (numpy's default).
pub fn percentile_interval(replicates: &mut [f64], confidence: f64) -> (f64, f64) {
    replicates.sort_by(f64::total_cmp);
    let quantile = |q: f64| {
        let Some(last) = replicates.len().checked_sub(1) else {
            return f64::NAN;
        };
        let position = q * last as f64;
        let below = position.floor() as usize;
        let above = position.ceil() as usize;
        let (low, high) = (replicates[below], replicates[above]);
        if low == high {
            low
        } else {
            low + (high - low) * (position - below as f64)
        }
    };
    (
        quantile((1.0 - confidence) / 2.0),
        quantile((1.0 + confidence) / 2.0),
    )
}

/// The `confidence` interval of median(new) / median(base) from `iterations` block-bootstrap
/// replicates drawn with `rng`.
pub fn median_ratio_interval(
    base: &[u64],
    new: &[u64],
    iterations: usize,
    confidence: f64,
    rng: &mut impl Rng,
) -> (f64, f64) {
    let mut replicates =
        median_ratio_replicates(base, new, iterations, |max| rng.gen_range(0..=max));
    percentile_interval(&mut replicates, confidence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn block_length_is_the_cube_root() {
        let lengths: Vec<usize> = [0, 1, 2, 8, 27, 100, 1000, 4096]
            .iter()
            .map(|&n| block_length(n))
            .collect();
        assert_eq!(lengths, [1, 1, 1, 2, 3, 5, 10, 16]);
    }

    #[test]
    fn a_resample_is_whole_blocks_cut_to_length() {
        let sample = [1, 2, 3, 4, 5, 6, 7];
        let mut starts = [4, 0, 2].into_iter();
        let mut out = Vec::new();
        let mut maxima = Vec::new();
        resample_into(
            &sample,
            3,
            |max| {
                maxima.push(max);
                starts.next().unwrap()
            },
            &mut out,
        );
        assert_eq!(out, [5, 6, 7, 1, 2, 3, 3]);
        assert_eq!(maxima, [4, 4, 4]);
    }

    #[test]
    fn medians_and_ratios() {
        assert_eq!(median(&mut [3, 1, 2]), 2.0);
        assert_eq!(median(&mut [4, 1, 3, 2]), 2.5);
        assert_eq!(median(&mut [7]), 7.0);
        assert!(median(&mut []).is_nan());
        assert_eq!(ratio(3.0, 2.0), 1.5);
        assert_eq!(ratio(0.0, 0.0), 1.0);
        assert_eq!(ratio(1.0, 0.0), f64::INFINITY);
    }

    #[test]
    fn replicates_by_hand() {
        // n = 4: blocks of round(4^(1/3)) = 2, two blocks per resample, starts in 0..=2.
        // 1: base blocks at 0, 2 -> [1,2,3,4], median 2.5; new at 1, 1 -> [4,6,4,6], median 5.
        // 2: base at 2, 2 -> [3,4,3,4], median 3.5; new at 0, 0 -> [2,4,2,4], median 3.
        let mut starts = [0, 2, 1, 1, 2, 2, 0, 0].into_iter();
        let replicates =
            median_ratio_replicates(&[1, 2, 3, 4], &[2, 4, 6, 8], 2, |_| starts.next().unwrap());
        assert_eq!(replicates, [2.0, 3.0 / 3.5]);
    }

    #[test]
    fn percentile_intervals_by_hand() {
        // 41 values: the 2.5% and 97.5% quantiles fall on ranks 1 and 39 exactly.
        let close = |(low, high): (f64, f64), (a, b): (f64, f64)| {
            (low - a).abs() < 1e-12 && (high - b).abs() < 1e-12
        };
        let mut values: Vec<f64> = (1..=41).map(f64::from).collect();
        assert!(close(percentile_interval(&mut values, 0.95), (2.0, 40.0)));
        // 10 values: positions 0.225 and 8.775 between order statistics.
        let mut values: Vec<f64> = (1..=10).rev().map(f64::from).collect();
        assert!(close(
            percentile_interval(&mut values, 0.95),
            (1.225, 9.775)
        ));
        assert_eq!(percentile_interval(&mut [5.0], 0.95), (5.0, 5.0));
    }

    #[test]
    fn constant_samples_give_a_point_and_the_same_seed_the_same_interval() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        assert_eq!(
            median_ratio_interval(&[10; 50], &[13; 40], 200, 0.95, &mut rng),
            (1.3, 1.3)
        );
        let base: Vec<u64> = (0..300).map(|i| 100 + (i * 37) % 50).collect();
        let new: Vec<u64> = (0..300).map(|i| 120 + (i * 53) % 50).collect();
        let run = |seed| {
            median_ratio_interval(
                &base,
                &new,
                ITERATIONS,
                CONFIDENCE,
                &mut Xoshiro256PlusPlus::seed_from_u64(seed),
            )
        };
        assert_eq!(run(7), run(7));
        let (low, high) = run(7);
        assert!(low < 144.5 / 124.5 && 144.5 / 124.5 < high, "{low} {high}");
    }
}
