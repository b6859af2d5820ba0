//! Small statistics the models need: AUC, precision at k, a logistic
//! regression (standardised features, batch gradient descent, L2).

/// Area under the ROC curve: the chance a random positive scores above a
/// random negative (ties count half). None without both classes.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let pos = labels.iter().filter(|l| **l).count();
    let neg = labels.len().saturating_sub(pos);
    if pos == 0 || neg == 0 || scores.len() != labels.len() {
        return None;
    }
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    // Average ranks (1-based) over ties.
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for k in &idx[i..=j] {
            if labels[*k] {
                rank_sum_pos += avg;
            }
        }
        i = j + 1;
    }
    let (p, n) = (pos as f64, neg as f64);
    Some((rank_sum_pos - p * (p + 1.0) / 2.0) / (p * n))
}

/// Of the first `k` of a ranking (its labels, best first), the share
/// that are positive. None for k = 0 or an empty ranking.
pub fn precision_at_k(ranked: &[bool], k: usize) -> Option<f64> {
    let k = k.min(ranked.len());
    if k == 0 {
        return None;
    }
    Some(ranked[..k].iter().filter(|l| **l).count() as f64 / k as f64)
}

/// Precision and recall of flags against the truth.
pub fn precision_recall(flags: &[bool], truth: &[bool]) -> (Option<f64>, Option<f64>) {
    let tp = flags.iter().zip(truth).filter(|(f, t)| **f && **t).count() as f64;
    let flagged = flags.iter().filter(|f| **f).count() as f64;
    let real = truth.iter().filter(|t| **t).count() as f64;
    (
        (flagged > 0.0).then(|| tp / flagged),
        (real > 0.0).then(|| tp / real),
    )
}

/// A logistic regression on standardised features.
#[derive(Clone, Debug)]
pub struct Logistic {
    pub names: Vec<String>,
    pub mean: Vec<f64>,
    pub sd: Vec<f64>,
    pub w: Vec<f64>,
    pub b: f64,
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

// Feature-by-feature arithmetic over parallel vectors reads best indexed.
#[allow(clippy::needless_range_loop)]
impl Logistic {
    /// Fit on rows `x` (all of `names.len()` features) and labels `y`.
    pub fn fit(names: Vec<String>, x: &[Vec<f64>], y: &[bool], iters: usize, l2: f64) -> Logistic {
        let d = names.len();
        let n = x.len().max(1) as f64;
        let mut mean = vec![0.0; d];
        let mut sd = vec![0.0; d];
        for row in x {
            for j in 0..d {
                mean[j] += row.get(j).copied().unwrap_or(0.0) / n;
            }
        }
        for row in x {
            for j in 0..d {
                let v = row.get(j).copied().unwrap_or(0.0) - mean[j];
                sd[j] += v * v / n;
            }
        }
        for s in &mut sd {
            *s = if *s > 1e-12 { s.sqrt() } else { 1.0 };
        }
        let z: Vec<Vec<f64>> = x
            .iter()
            .map(|row| {
                (0..d)
                    .map(|j| (row.get(j).copied().unwrap_or(0.0) - mean[j]) / sd[j])
                    .collect()
            })
            .collect();
        let mut w = vec![0.0; d];
        let mut b = 0.0;
        let lr = 0.5;
        for _ in 0..iters {
            let mut gw = vec![0.0; d];
            let mut gb = 0.0;
            for (row, label) in z.iter().zip(y) {
                let p = sigmoid(b + row.iter().zip(&w).map(|(a, c)| a * c).sum::<f64>());
                let e = p - if *label { 1.0 } else { 0.0 };
                gb += e;
                for j in 0..d {
                    gw[j] += e * row[j];
                }
            }
            b -= lr * gb / n;
            for j in 0..d {
                w[j] -= lr * (gw[j] / n + l2 * w[j]);
            }
        }
        Logistic {
            names,
            mean,
            sd,
            w,
            b,
        }
    }

    /// Each feature's part of the log-odds (weight x standardised value).
    pub fn contributions(&self, row: &[f64]) -> Vec<f64> {
        (0..self.w.len())
            .map(|j| self.w[j] * (row.get(j).copied().unwrap_or(0.0) - self.mean[j]) / self.sd[j])
            .collect()
    }

    pub fn predict(&self, row: &[f64]) -> f64 {
        sigmoid(self.b + self.contributions(row).iter().sum::<f64>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_by_hand() {
        // Positives 0.9, 0.4; negatives 0.5, 0.1: of 4 pairs, 3 right.
        let a = auc(&[0.9, 0.4, 0.5, 0.1], &[true, true, false, false]);
        assert_eq!(a, Some(0.75));
        // A tie between a positive and a negative counts half.
        assert_eq!(auc(&[0.5, 0.5], &[true, false]), Some(0.5));
        assert_eq!(auc(&[0.5, 0.7], &[true, true]), None);
    }

    #[test]
    fn precision_at_k_by_hand() {
        let r = [true, false, true, true, false];
        assert_eq!(precision_at_k(&r, 2), Some(0.5));
        assert_eq!(precision_at_k(&r, 4), Some(0.75));
        assert_eq!(precision_at_k(&r, 0), None);
        let (p, rc) = precision_recall(&[true, true, false, false], &[true, false, true, false]);
        assert_eq!((p, rc), (Some(0.5), Some(0.5)));
    }

    #[test]
    fn logistic_learns_a_separable_rule() {
        let x: Vec<Vec<f64>> = (0..40).map(|i| vec![i as f64, (i % 3) as f64]).collect();
        let y: Vec<bool> = (0..40).map(|i| i >= 20).collect();
        let m = Logistic::fit(vec!["a".into(), "b".into()], &x, &y, 500, 0.0);
        assert!(m.predict(&[35.0, 1.0]) > 0.9);
        assert!(m.predict(&[3.0, 1.0]) < 0.1);
        assert!(m.w[0].abs() > m.w[1].abs());
    }
}
