//! `depot report kpi [--by entity|warehouse|channel|customer] [--period
//! YYYY-MM]`: the KPIs `apply` keeps (core::kpi), one row per key of the
//! dimension with figures in the month, in key order. Definitions:
//! docs/kpis.md.

use super::{Options, ReportError, Table};
use crate::core::kpi::{self, Dim, Kpi};
use crate::core::State;
use chrono::NaiveDate;

/// `YYYY-MM` as the first day of the month.
pub fn parse_period(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{}-01", s.trim()), "%Y-%m-%d").ok()
}

pub fn kpi(s: &State, o: &Options) -> Result<Table, ReportError> {
    let by = o.by.as_deref().unwrap_or("entity");
    let dim = Dim::parse(by).ok_or_else(|| ReportError::BadOption {
        option: "--by",
        value: by.to_string(),
        expected: "entity, warehouse, channel or customer",
    })?;
    let month = match &o.period {
        Some(p) => parse_period(p).ok_or_else(|| ReportError::BadOption {
            option: "--period",
            value: p.clone(),
            expected: "a month as YYYY-MM",
        })?,
        None => kpi::month(o.today),
    };
    let mut cols: Vec<(&'static str, bool)> = vec![(dim.as_str(), false), ("period", false)];
    cols.extend(Kpi::ALL.iter().map(|k| (k.column(), true)));
    let mut t = Table::new(
        format!("KPIs by {} for {}", dim.as_str(), month.format("%Y-%m")),
        &cols,
    );
    for key in kpi::keys_of(s, dim) {
        if let Some(e) = o.entity.as_deref() {
            if kpi::entity_of(s, dim, &key).as_deref() != Some(e) {
                continue;
            }
        }
        let values = kpi::values(s, dim, &key, month);
        if values.iter().all(Option::is_none) {
            continue;
        }
        let mut row = vec![key.to_string(), month.format("%Y-%m").to_string()];
        row.extend(values.into_iter().map(kpi::show));
        t.rows.push(row);
    }
    t.notes
        .push("— : nothing to measure (a zero denominator); definitions in docs/kpis.md".into());
    Ok(t)
}
