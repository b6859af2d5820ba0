//! The P&L and the balance sheet as data (typed rows: account, label,
//! amounts per column, subtotals): `depot report pl|balance-sheet` prints
//! them as a table and the finance views screen shows the same rows in
//! the currency's format, so the screen never parses report text.

use super::{money, Table};
use crate::core::types::Code;
use rust_decimal::Decimal;

/// What a row of a statement is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    /// A ledger account of the row's entity (drills to its GL lines).
    Account,
    /// A line that is no account of an entity: an elimination, the CTA,
    /// an intercompany difference, the earnings not yet closed.
    Line,
    /// A section's total, net income, total liabilities and equity.
    Total,
}

/// One row of a statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementRow {
    /// The entity (statements of one entity or of each in turn; None in
    /// a consolidated one).
    pub entity: Option<Code>,
    /// "assets", "revenue", ... where the statement has sections.
    pub section: Option<String>,
    /// The account, or the line's code ("ELIM", "CTA", "ICDIFF"); empty
    /// for totals and the earnings not yet closed.
    pub account: String,
    pub label: String,
    /// One per amount column; None: left blank.
    pub amounts: Vec<Option<Decimal>>,
    pub kind: RowKind,
}

/// A P&L or balance sheet of an entity, of every entity in turn, or
/// consolidated in a currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinancialStatement {
    pub title: String,
    /// Rows name their entity (an entity column).
    pub entity_column: bool,
    /// Rows name their section (a section column).
    pub section_column: bool,
    /// The amount columns, e.g. "period", "year_to_date".
    pub amount_headers: Vec<&'static str>,
    pub rows: Vec<StatementRow>,
    pub notes: Vec<String>,
}

impl FinancialStatement {
    pub fn new(
        title: String,
        entity_column: bool,
        section_column: bool,
        amount_headers: &[&'static str],
    ) -> FinancialStatement {
        FinancialStatement {
            title,
            entity_column,
            section_column,
            amount_headers: amount_headers.to_vec(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Add a row.
    pub fn push(
        &mut self,
        entity: Option<&str>,
        section: Option<&str>,
        account: &str,
        label: &str,
        amounts: Vec<Option<Decimal>>,
        kind: RowKind,
    ) {
        self.rows.push(StatementRow {
            entity: entity.map(Code::from),
            section: section.map(str::to_string),
            account: account.to_string(),
            label: label.to_string(),
            amounts,
            kind,
        });
    }

    /// The column headers: entity, section, account, name, the amounts.
    pub fn headers(&self) -> Vec<&'static str> {
        let mut h = Vec::new();
        if self.entity_column {
            h.push("entity");
        }
        if self.section_column {
            h.push("section");
        }
        h.extend(["account", "name"]);
        h.extend(self.amount_headers.iter().copied());
        h
    }

    /// The report table (`depot report`): amounts to two decimals, blank
    /// where a row has none.
    pub fn table(&self) -> Table {
        let cols: Vec<(&'static str, bool)> = self
            .headers()
            .into_iter()
            .map(|h| (h, self.amount_headers.contains(&h)))
            .collect();
        let mut t = Table::new(self.title.clone(), &cols);
        for r in &self.rows {
            let mut cells = Vec::new();
            if self.entity_column {
                cells.push(r.entity.clone().unwrap_or_default().to_string());
            }
            if self.section_column {
                cells.push(r.section.clone().unwrap_or_default());
            }
            cells.push(r.account.clone());
            cells.push(r.label.clone());
            cells.extend(r.amounts.iter().map(|a| a.map(money).unwrap_or_default()));
            t.rows.push(cells);
        }
        t.notes = self.notes.clone();
        t
    }
}
