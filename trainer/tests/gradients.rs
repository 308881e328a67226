//! The hand-written backward pass of the MLP + PPO loss against central finite differences, in
//! f64, for every parameter tensor, on a batch with masked actions.

use ndarray::{Array1, Array2, ArrayViewMut1, s};
use trainer::model::{Activations, BackwardScratch, Mlp, MlpShape};
use trainer::ppo::loss::{LossCoefs, sample_loss_and_grad};

const COEFS: LossCoefs = LossCoefs {
    clip: 0.2,
    vf: 0.5,
    ent: 0.01,
};

/// A batch of six samples over 12 features with 3 active each (one repeats a feature), masks
/// ranging from one legal action to all four.
struct Batch {
    inputs: Vec<u16>,
    masks: Vec<u8>,
    actions: Vec<usize>,
    /// log pi_old - log pi_current at the unperturbed parameters: 0 (ratio 1), +-0.5 (ratio
    /// 0.61 or 1.65, clipped when the advantage's sign says so), far from the clip boundaries.
    log_ratio_offsets: Vec<f64>,
    advantages: Vec<f64>,
    returns: Vec<f64>,
}

fn batch() -> Batch {
    Batch {
        inputs: vec![0, 5, 11, 3, 3, 7, 1, 2, 4, 6, 8, 10, 9, 0, 5, 11, 4, 2],
        masks: vec![0b1111, 0b0101, 0b1000, 0b0111, 0b1110, 0b1011],
        actions: vec![1, 2, 3, 0, 3, 1],
        log_ratio_offsets: vec![0.0, 0.5, 0.0, -0.5, 0.5, -0.5],
        advantages: vec![1.5, -0.7, 0.3, 2.0, 0.9, -1.2],
        returns: vec![0.4, -1.0, 2.5, 0.1, -0.3, 1.7],
    }
}

fn shape() -> MlpShape {
    shape_with(vec![7, 5])
}

fn shape_with(hidden: Vec<usize>) -> MlpShape {
    MlpShape {
        input_features: 12,
        active_inputs: 3,
        hidden,
        actions: 4,
    }
}

/// A model whose parameters are all non-trivial (the orthogonal init has zero biases and a
/// near-zero policy head, which would hide errors in those gradients).
fn model() -> Mlp<f64> {
    model_with(shape())
}

fn model_with(shape: MlpShape) -> Mlp<f64> {
    let mut mlp = Mlp::<f64>::new(shape, 3).unwrap();
    for (i, p) in mlp.params_mut().iter_mut().enumerate() {
        *p += 0.3 * (((i * 7919) % 101) as f64 / 101.0 - 0.5);
    }
    mlp
}

/// Old log-probabilities such that the log ratio at `mlp` equals the batch's offsets.
fn old_log_probs(mlp: &Mlp<f64>, b: &Batch) -> Vec<f64> {
    let mut acts = Activations::new(mlp.shape(), b.masks.len());
    mlp.forward(&b.inputs, &b.masks, &mut acts);
    acts.logits()
        .rows()
        .into_iter()
        .zip(&b.actions)
        .zip(&b.log_ratio_offsets)
        .map(|((row, &a), &offset)| {
            let max = row.iter().copied().fold(f64::MIN, f64::max);
            let lse = max + row.iter().map(|z| (z - max).exp()).sum::<f64>().ln();
            row[a] - lse - offset
        })
        .collect()
}

/// Mean PPO loss of the batch and, when `grads` is given, its gradient.
fn loss(
    mlp: &Mlp<f64>,
    b: &Batch,
    rows: std::ops::Range<usize>,
    old: &[f64],
    grads: Option<ArrayViewMut1<'_, f64>>,
) -> f64 {
    let n = rows.len();
    let scale = 1.0 / b.masks.len() as f64;
    let inputs = &b.inputs[rows.start * 3..rows.end * 3];
    let masks = &b.masks[rows.clone()];
    let mut acts = Activations::new(mlp.shape(), n);
    mlp.forward(inputs, masks, &mut acts);
    let mut dlogits = Array2::zeros((n, 4));
    let mut dvalues = Array1::zeros(n);
    let mut total = 0.0;
    for (r, i) in rows.clone().enumerate() {
        let (terms, dv) = sample_loss_and_grad(
            acts.logits().row(r).to_slice().unwrap(),
            acts.values()[r],
            b.actions[i],
            old[i],
            b.advantages[i],
            b.returns[i],
            &COEFS,
            scale,
            dlogits.row_mut(r).into_slice().unwrap(),
        );
        dvalues[r] = dv;
        total += scale * terms.total(&COEFS);
    }
    if let Some(grads) = grads {
        let mut scratch = BackwardScratch::new(mlp.shape(), n);
        mlp.backward(
            inputs,
            masks,
            &acts,
            dlogits.view(),
            dvalues.view(),
            &mut scratch,
            grads,
        );
    }
    total
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

#[test]
fn backward_matches_central_differences_for_every_tensor() {
    check_against_finite_differences(model());
}

/// Widths over 64 exercise the register-blocked first-layer kernels (blocks of 64 plus a tail)
/// and three hidden layers the middle-layer loop.
#[test]
fn backward_matches_central_differences_with_wide_and_deep_layers() {
    check_against_finite_differences(model_with(shape_with(vec![70, 66, 9])));
}

fn check_against_finite_differences(mut mlp: Mlp<f64>) {
    let b = batch();
    let old = old_log_probs(&mlp, &b);
    let mut analytic = Array1::zeros(mlp.layout().total);
    loss(&mlp, &b, 0..6, &old, Some(analytic.view_mut()));

    let h = 1e-6;
    let numeric: Vec<f64> = (0..analytic.len())
        .map(|i| {
            let saved = mlp.params()[i];
            mlp.params_mut()[i] = saved + h;
            let plus = loss(&mlp, &b, 0..6, &old, None);
            mlp.params_mut()[i] = saved - h;
            let minus = loss(&mlp, &b, 0..6, &old, None);
            mlp.params_mut()[i] = saved;
            (plus - minus) / (2.0 * h)
        })
        .collect();

    let names: Vec<&str> = mlp
        .layout()
        .tensors
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    let hidden: Vec<String> = (0..mlp.shape().hidden.len())
        .flat_map(|i| [format!("hidden{i}.weight"), format!("hidden{i}.bias")])
        .collect();
    let mut expected: Vec<&str> = hidden.iter().map(String::as_str).collect();
    expected.extend(["policy.weight", "policy.bias", "value.weight", "value.bias"]);
    assert_eq!(names, expected);
    for spec in &mlp.layout().tensors {
        let (a, n) = (
            analytic.slice(s![spec.range()]).to_vec(),
            &numeric[spec.range()],
        );
        let diff: Vec<f64> = a.iter().zip(n).map(|(x, y)| x - y).collect();
        let scale = norm(&a).max(norm(n));
        assert!(
            scale > 1e-4,
            "{}: gradient norm {scale} is too small to test",
            spec.name
        );
        let relative = norm(&diff) / scale;
        assert!(
            relative < 1e-4,
            "{}: relative error {relative:e}",
            spec.name
        );
    }
}

#[test]
fn unused_features_get_no_gradient_and_masked_logits_are_constants() {
    let b = batch();
    let mlp = model();
    let old = old_log_probs(&mlp, &b);
    let mut grads = Array1::zeros(mlp.layout().total);
    loss(&mlp, &b, 2..3, &old, Some(grads.view_mut()));
    // sample 2 uses features 1, 2, 4 and has only action 3 legal: its policy gradient is zero
    // (probability 1, no entropy), so the policy head gets nothing, while the value head learns.
    let layout = mlp.layout();
    let grads = grads.as_slice().unwrap();
    let first = layout.dense(layout.hidden_layer(0), grads);
    assert_eq!(first.weight.dim(), (12, 7));
    for (feature, row) in first.weight.rows().into_iter().enumerate() {
        assert_eq!(
            row.iter().any(|&g| g != 0.0),
            [1, 2, 4].contains(&feature),
            "feature {feature}"
        );
    }
    let policy = layout.dense(layout.policy_head(), grads);
    assert!(policy.weight.iter().chain(&policy.bias).all(|&g| g == 0.0));
    let value = layout.dense(layout.value_head(), grads);
    assert!(value.weight.iter().any(|&g| g != 0.0));
    assert_ne!(value.bias[0], 0.0);
}

#[test]
fn gradients_of_row_blocks_sum_to_the_whole_batch_gradient() {
    let b = batch();
    let mlp = model();
    let old = old_log_probs(&mlp, &b);
    let mut whole = Array1::zeros(mlp.layout().total);
    loss(&mlp, &b, 0..6, &old, Some(whole.view_mut()));
    let mut split = Array1::zeros(mlp.layout().total);
    loss(&mlp, &b, 0..4, &old, Some(split.view_mut()));
    loss(&mlp, &b, 4..6, &old, Some(split.view_mut()));
    for (w, s) in whole.iter().zip(&split) {
        assert!((w - s).abs() < 1e-12, "{w} vs {s}");
    }
}

#[test]
fn f32_forward_agrees_with_f64() {
    let b = batch();
    let mlp64 = model();
    let mut mlp32 = Mlp::<f32>::zeros(shape()).unwrap();
    for (p32, &p64) in mlp32.params_mut().iter_mut().zip(mlp64.params()) {
        *p32 = p64 as f32;
    }
    let mut a64 = Activations::new(mlp64.shape(), 6);
    let mut a32 = Activations::new(mlp32.shape(), 6);
    mlp64.forward(&b.inputs, &b.masks, &mut a64);
    mlp32.forward(&b.inputs, &b.masks, &mut a32);
    for (x, y) in a64
        .logits()
        .iter()
        .zip(a32.logits())
        .chain(a64.values().iter().zip(a32.values()))
    {
        assert!(
            (x - *y as f64).abs() < 1e-5 * x.abs().max(1.0),
            "{x} vs {y}"
        );
    }
    // sample 1 (mask 0b0101): action 1 is illegal
    assert_eq!(a32.logits()[[1, 1]], -1e9);
}
