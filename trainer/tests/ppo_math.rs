//! PPO's arithmetic on hand-computed cases: GAE, the loss terms and their logit gradients,
//! advantage normalisation, Adam's first steps, global-norm clipping.

use trainer::model::adam::adam_kernel;
use trainer::model::{Adam, AdamConfig, ParamLayout, clip_scale};
use trainer::model::{MlpShape, Real};
use trainer::ppo::gae::compute_gae;
use trainer::ppo::loss::{LossCoefs, sample_loss_and_grad};
use trainer::ppo::normalize::normalize_advantages;

const COEFS: LossCoefs = LossCoefs {
    clip: 0.2,
    vf: 0.5,
    ent: 0.01,
};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn gae_stops_at_a_done_and_bootstraps_from_the_last_value() {
    // Two envs, three steps, time-major. gamma = lambda = 0.5 keeps every number dyadic.
    // env 0: rewards 1 2 3, values 0.5 1 1.5, its episode ends at step 1, bootstrap value 2.
    //   t=2: 3 + 0.5*2 - 1.5 = 2.5
    //   t=1: done, so delta = 2 - 1 = 1 and nothing flows back from t=2: 1
    //   t=0: delta = 1 + 0.5*1 - 0.5 = 1; adv = 1 + 0.25*1 = 1.25
    // env 1: rewards 0 0 1, values 0, bootstrap 4: 1 + 2 = 3, then 0.75, then 0.1875.
    let rewards = [1.0, 0.0, 2.0, 0.0, 3.0, 1.0];
    let values = [0.5, 0.0, 1.0, 0.0, 1.5, 0.0];
    let dones = [false, false, true, false, false, false];
    let last_values = [2.0, 4.0];
    let mut advantages = [0.0; 6];
    let mut returns = [0.0; 6];
    compute_gae(
        &rewards,
        &values,
        &dones,
        &last_values,
        0.5,
        0.5,
        &mut advantages,
        &mut returns,
    );
    assert_eq!(advantages, [1.25, 0.1875, 1.0, 0.75, 2.5, 3.0]);
    assert_eq!(returns, [1.75, 0.1875, 2.0, 0.75, 4.0, 3.0]);
}

#[test]
fn gae_with_lambda_one_and_no_done_is_the_discounted_return_minus_value() {
    let rewards = [1.0, 1.0, 1.0];
    let values = [0.25, 0.5, 0.75];
    let mut advantages = [0.0; 3];
    let mut returns = [0.0; 3];
    compute_gae(
        &rewards,
        &values,
        &[false; 3],
        &[8.0],
        0.5,
        1.0,
        &mut advantages,
        &mut returns,
    );
    // returns: 1 + 0.5 (1 + 0.5 (1 + 0.5 * 8)) = 2.75, 1 + 0.5 * 5 = 3.5, 1 + 4 = 5
    assert_eq!(returns, [2.75, 3.5, 5.0]);
    assert_eq!(advantages, [2.5, 3.0, 4.25]);
}

/// logits ln(1), ln(2), masked, ln(1): probabilities 1/4, 1/2, 0, 1/4; action 1.
fn logits() -> [f64; 4] {
    [0.0, 2f64.ln(), f64::MASKED_LOGIT, 0.0]
}

#[test]
fn clipped_ratio_above_range_with_positive_advantage_has_no_policy_gradient() {
    let ln2 = 2f64.ln();
    let mut d = [0.0; 4];
    // old probability 0.4: ratio 1.25 > 1.2; advantage 2: min(2.5, 2.4) = 2.4, clipped.
    let (loss, dvalue) = sample_loss_and_grad(
        &logits(),
        1.5,
        1,
        0.4f64.ln(),
        2.0,
        0.5,
        &COEFS,
        1.0,
        &mut d,
    );
    assert!(close(loss.policy, -2.4, 1e-12));
    assert!(close(loss.value, 0.5, 1e-12));
    assert!(close(loss.entropy, 1.5 * ln2, 1e-12));
    assert!(close(loss.approx_kl, 0.25 - 1.25f64.ln(), 1e-12));
    assert!(loss.clipped);
    assert!(close(loss.total(&COEFS), -2.4 + 0.25 - 0.015 * ln2, 1e-12));
    // only the entropy bonus: 0.01 * p_k * (log p_k + H)
    let expected = [-0.00125 * ln2, 0.0025 * ln2, 0.0, -0.00125 * ln2];
    for (got, want) in d.iter().zip(expected) {
        assert!(close(*got, want, 1e-15), "{d:?}");
    }
    assert!(close(dvalue, 0.5, 1e-15));
}

#[test]
fn unclipped_branch_with_negative_advantage_pushes_the_action_down() {
    let ln2 = 2f64.ln();
    let mut d = [0.0; 4];
    // ratio 1.25, advantage -2: min(-2.5, -2.4) = -2.5 is the unclipped branch.
    // d pg / d log p_a = -ratio * A = 2.5; times ([k == a] - p_k), plus the entropy part.
    let (loss, dvalue) = sample_loss_and_grad(
        &logits(),
        0.0,
        1,
        0.4f64.ln(),
        -2.0,
        1.0,
        &COEFS,
        0.5,
        &mut d,
    );
    assert!(close(loss.policy, 2.5, 1e-12));
    assert!(
        loss.clipped,
        "the clip fraction counts |ratio - 1| > clip whatever the branch"
    );
    let expected = [
        0.5 * (-0.625 - 0.00125 * ln2),
        0.5 * (1.25 + 0.0025 * ln2),
        0.0,
        0.5 * (-0.625 - 0.00125 * ln2),
    ];
    for (got, want) in d.iter().zip(expected) {
        assert!(close(*got, want, 1e-15), "{d:?}");
    }
    // scale 0.5 * vf 0.5 * (0 - 1)
    assert!(close(dvalue, -0.25, 1e-15));
}

#[test]
fn loss_gradient_matches_finite_differences_inside_the_clip_range() {
    let old = 0.45f64.ln(); // ratio 0.5 / 0.45 = 1.11
    let base = logits();
    let mut d = [0.0; 4];
    sample_loss_and_grad(&base, 0.3, 1, old, 0.8, -0.2, &COEFS, 1.0, &mut d);
    let h = 1e-6;
    for k in [0, 1, 3] {
        let total = |delta: f64| {
            let mut z = base;
            z[k] += delta;
            let mut scratch = [0.0; 4];
            sample_loss_and_grad(&z, 0.3, 1, old, 0.8, -0.2, &COEFS, 1.0, &mut scratch)
                .0
                .total(&COEFS)
        };
        let numeric = (total(h) - total(-h)) / (2.0 * h);
        assert!(
            close(d[k], numeric, 1e-8),
            "logit {k}: {} vs {numeric}",
            d[k]
        );
    }
    assert_eq!(d[2], 0.0);
}

#[test]
fn advantages_normalise_to_zero_mean_unit_population_std() {
    let mut a = [1.0f32, 2.0, 3.0, 4.0];
    normalize_advantages(&mut a);
    let expected = [-1.341_640_8f32, -0.447_213_6, 0.447_213_6, 1.341_640_8];
    for (got, want) in a.iter().zip(expected) {
        assert!((got - want).abs() < 1e-6, "{a:?}");
    }
    let mut constant = [3.0f32; 5];
    normalize_advantages(&mut constant);
    assert_eq!(constant, [0.0; 5]);
}

fn two_scalar_layout() -> ParamLayout {
    // The smallest real layout has more than two tensors; Adam only needs the total size.
    let mut layout = ParamLayout::new(&MlpShape {
        input_features: 1,
        active_inputs: 1,
        hidden: vec![1],
        actions: 1,
    });
    layout.total = 2;
    layout
}

#[test]
fn adam_first_two_steps_match_hand_computed_values() {
    let mut adam = Adam::<f64>::new(&two_scalar_layout(), AdamConfig::default());
    let mut params = [1.0, -2.0];
    adam.step(&mut params, &[0.5, 0.0], 0.1);
    // m_hat = 0.5, v_hat = 0.25: 1 - 0.1 * 0.5 / (0.5 + 1e-5); a zero gradient moves nothing.
    assert!(
        close(params[0], 0.900_001_999_960_000_7, 1e-15),
        "{params:?}"
    );
    assert_eq!(params[1], -2.0);
    adam.step(&mut params, &[-1.0, 2.0], 0.1);
    assert!(
        close(params[0], 0.936_611_889_650_521_3, 1e-12),
        "{params:?}"
    );
    assert!(
        close(params[1], -2.074_413_156_307_785_2, 1e-12),
        "{params:?}"
    );
    assert_eq!(adam.steps(), 2);
    assert!(close(adam.first_moment()[0], -0.055, 1e-15));
    assert!(close(adam.second_moment()[1], 0.004, 1e-15));
}

/// Global-norm clipping is folded into Adam's kernel as a gradient scale: a step on gradients
/// of norm 5 clipped to 0.5 equals a step on the gradients rescaled to norm 0.5 beforehand, and
/// gradients under the limit pass unchanged.
#[test]
fn gradient_clipping_rescales_only_above_the_limit() {
    assert_eq!(clip_scale::<f64>(5.0, 0.5), 0.1);
    assert_eq!(clip_scale::<f32>(5.0, 0.5), 0.1);
    assert_eq!(clip_scale::<f64>(0.05f64.sqrt(), 0.5), 1.0);
    assert_eq!(clip_scale::<f64>(0.5, 0.5), 1.0);

    let step = |grads: &[f64], scale: f64| {
        let mut adam = Adam::<f64>::new(&two_scalar_layout(), AdamConfig::default());
        let mut params = [1.0, -2.0];
        let scalars = adam.begin_step(0.1);
        let (first, second) = adam.moments_mut();
        adam_kernel(&mut params, grads, first, second, scalars, scale);
        (
            params,
            adam.first_moment().to_vec(),
            adam.second_moment().to_vec(),
        )
    };
    let big = [3.0, 4.0];
    let (clipped, m, v) = step(&big, clip_scale(5.0, 0.5));
    let (prescaled, m_ref, v_ref) = step(&[0.3, 0.4], 1.0);
    for (got, want) in clipped.iter().zip(&prescaled) {
        assert!(close(*got, *want, 1e-15), "{clipped:?} vs {prescaled:?}");
    }
    assert!(
        close(m[0], 0.03, 1e-15) && close(m[1], 0.04, 1e-15),
        "{m:?}"
    );
    for (got, want) in m.iter().chain(&v).zip(m_ref.iter().chain(&v_ref)) {
        assert!(close(*got, *want, 1e-15));
    }

    let small = [0.1, 0.2];
    let (unclipped, m, _) = step(&small, clip_scale(0.05f64.sqrt(), 0.5));
    let (plain, _, _) = step(&small, 1.0);
    assert_eq!(unclipped, plain);
    assert!(
        close(m[0], 0.01, 1e-15) && close(m[1], 0.02, 1e-15),
        "{m:?}"
    );
}
