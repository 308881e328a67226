//! Per-minibatch advantage normalisation, as CleanRL: `(a - mean) / (std + 1e-8)` with the
//! population standard deviation.

pub const NORMALIZE_EPS: f64 = 1e-8;

pub fn normalize_advantages(advantages: &mut [f32]) {
    if advantages.is_empty() {
        return;
    }
    let n = advantages.len() as f64;
    let mean = advantages.iter().map(|&a| a as f64).sum::<f64>() / n;
    let variance = advantages
        .iter()
        .map(|&a| (a as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    let scale = 1.0 / (variance.sqrt() + NORMALIZE_EPS);
    let (mean, scale) = (mean as f32, scale as f32);
    for a in advantages {
        *a = (*a - mean) * scale;
    }
}
