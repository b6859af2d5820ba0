//! `depot report models`: each model of `crate::models` measured on the
//! store's held-out history against its baseline (docs/models.md), and
//! the top suggestions of the day with their reasons.

use super::{Options, Table};
use crate::core::State;
use crate::models::{self, Reasons};

fn f3(v: f64) -> String {
    format!("{v:.3}")
}

fn reasons(r: &Reasons) -> String {
    r.iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn models(s: &State, _o: &Options) -> Table {
    let e = models::evaluate(s);
    let title = match (e.cutoff, e.end) {
        (Some(c), Some(end)) => {
            format!("Models on held-out history (trained before {c}, tested to {end})")
        }
        _ => "Models on held-out history".to_string(),
    };
    let mut t = Table::new(
        title,
        &[
            ("model", false),
            ("measure", false),
            ("model", true),
            ("baseline", false),
            ("baseline", true),
            ("train", true),
            ("test", true),
            ("beats", false),
        ],
    );
    let beats = |better: bool| if better { "yes" } else { "no" }.to_string();
    if let Some(q) = &e.forecast {
        t.rows.push(vec![
            "demand forecast".into(),
            format!("MASE, {} days, lower is better", q.test_days),
            f3(q.model),
            "seasonal naive (last week)".into(),
            f3(q.naive),
            format!("{} days", q.train_days),
            format!("{} series", q.series),
            beats(q.model < q.naive),
        ]);
        if q.intermittent > 0 {
            t.rows.push(vec![
                "  intermittent (Croston-SBA)".into(),
                "MASE".into(),
                f3(q.model_intermittent),
                "seasonal naive (last week)".into(),
                f3(q.naive_intermittent),
                format!("{} days", q.train_days),
                format!("{} series", q.intermittent),
                beats(q.model_intermittent < q.naive_intermittent),
            ]);
        }
    }
    if let Some(q) = &e.late {
        t.rows.push(vec![
            "late-shipment risk".into(),
            format!("AUC ({} of the orders late)", q.late),
            f3(q.model),
            "fewest days to requested".into(),
            f3(q.naive),
            q.train.to_string(),
            q.test.to_string(),
            beats(q.model > q.naive),
        ]);
    }
    if let Some(q) = &e.collections {
        t.rows.push(vec![
            "collections ranking".into(),
            format!(
                "precision at {} ({} of the invoices paid late)",
                q.k, q.late
            ),
            f3(q.model),
            "biggest exposure first".into(),
            f3(q.baseline),
            q.train.to_string(),
            q.test.to_string(),
            beats(q.model > q.baseline),
        ]);
    }
    if let Some(q) = &e.discrepancy {
        t.rows.push(vec![
            "invoice discrepancies".into(),
            format!("precision ({} errors injected)", q.injected),
            f3(q.precision),
            "total off the customer's usual".into(),
            f3(q.naive_precision),
            q.train.to_string(),
            q.test.to_string(),
            beats(q.precision > q.naive_precision),
        ]);
        t.rows.push(vec![
            "invoice discrepancies".into(),
            "recall".into(),
            f3(q.recall),
            "total off the customer's usual".into(),
            f3(q.naive_recall),
            q.train.to_string(),
            q.test.to_string(),
            beats(q.recall > q.naive_recall),
        ]);
    }
    if t.rows.is_empty() {
        t.notes
            .push("not enough history to measure a model (try `depot demo --history 12m`)".into());
        return t;
    }
    // A model the history cannot measure is said, not left out unseen.
    for (missing, what) in [
        (e.forecast.is_none(), "demand forecast: not measured: too few days of demand"),
        (
            e.late.is_none(),
            "late-shipment risk: not measured: the orders shipped before the cutoff are all on time or all late, or too few were shipped after it",
        ),
        (
            e.collections.is_none(),
            "collections ranking: not measured: too few invoices settled on both sides of the cutoff",
        ),
        (
            e.discrepancy.is_none(),
            "invoice discrepancies: not measured: too few invoices to learn each customer's usual",
        ),
    ] {
        if missing {
            t.notes.push(what.into());
        }
    }
    if let Some(end) = e.end {
        let settled = models::collections::settled_on(s);
        for c in models::collections::rank(s, &settled, end, false)
            .iter()
            .take(5)
        {
            t.notes.push(format!(
                "chase {} of {}: {}",
                c.invoice,
                c.customer,
                reasons(&c.reasons)
            ));
        }
    }
    let risks = match e.end {
        Some(end) => models::late::open_risks_on(s, end),
        None => models::late::open_risks(s),
    };
    for r in risks.iter().take(5) {
        t.notes.push(format!(
            "{} may ship late (p {:.0}%): {}",
            r.order,
            r.p_late * 100.0,
            reasons(&r.reasons)
        ));
    }
    t.notes
        .push("definitions and the figures of the seeded history: docs/models.md".into());
    t
}
