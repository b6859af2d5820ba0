//! Finance views (controller; read-only): the trial balance, P&L, balance
//! sheet, AR and AP aging of an entity or of every entity consolidated,
//! as of any date. Enter drills: a trial balance (or P&L, balance sheet)
//! account to its GL lines, a GL line to its document (the order inquiry
//! for orders, invoices and shipments; otherwise the document's journal
//! entries), an aging row to the customer's or supplier's open items.
//!
//! The figures are the reports' own: the entity trial balance and the
//! open items come from `query::finance` (which `depot report` uses too),
//! the P&L and balance sheet are `report::statement_with`'s rows (what
//! `depot report` prints), the consolidated trial balance is the report's
//! table, their amounts shown with the currency's formatter. GL lines are
//! history, which the state does not keep: they are read from the log
//! backward from the newest record, only as far as the lines shown need
//! (`SharedJournals`), then only the records committed after.

use crate::core::archive::Later;
use crate::core::types::ToCode;
use crate::core::types::{Code, Currency};
use crate::core::State;
use crate::query::finance::{self as fin, GlLine, Journals, OpenItem, Posted};
use crate::query::money;
use crate::report::RowKind;
use crate::ui::archive_reads::{self, Fetch};
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Screen};
use crate::ui::screens::order_inquiry::OrderInquiry;
use crate::ui::widgets::{fit, moved, TextField};
use chrono::NaiveDate;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, TableState};
use ratatui::Frame;
use rust_decimal::Decimal;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

/// The views, in Tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum View {
    TrialBalance,
    ProfitLoss,
    BalanceSheet,
    AgingAr,
    AgingAp,
}

impl View {
    const ALL: [View; 5] = [
        View::TrialBalance,
        View::ProfitLoss,
        View::BalanceSheet,
        View::AgingAr,
        View::AgingAp,
    ];
    pub fn label(self) -> &'static str {
        match self {
            View::TrialBalance => "Trial balance",
            View::ProfitLoss => "P&L",
            View::BalanceSheet => "Balance sheet",
            View::AgingAr => "AR aging",
            View::AgingAp => "AP aging",
        }
    }
    fn step(self, by: isize) -> View {
        let i = View::ALL.iter().position(|v| *v == self).unwrap_or(0) as isize;
        View::ALL[(i + by).rem_euclid(View::ALL.len() as isize) as usize]
    }
}

/// Whose figures: one entity, or every entity consolidated into a
/// currency (one per base currency of the entities).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Entity(Code),
    Consolidated(Currency),
}

impl Scope {
    fn entity(&self) -> Option<&str> {
        match self {
            Scope::Entity(e) => Some(e),
            Scope::Consolidated(_) => None,
        }
    }
    fn label(&self, s: &State) -> String {
        match self {
            Scope::Entity(e) => {
                let c = s
                    .entities
                    .get(e)
                    .map(|x| x.base_currency.to_string())
                    .unwrap_or_default();
                format!("{e} ({c})")
            }
            Scope::Consolidated(c) => format!("all entities in {c}"),
        }
    }
}

/// Every scope of the state: its entities, then consolidated in each base
/// currency they use.
pub fn scopes(s: &State) -> Vec<Scope> {
    let mut out: Vec<Scope> = s.entities.keys().cloned().map(Scope::Entity).collect();
    let mut currencies: Vec<Currency> = s
        .entities
        .values()
        .map(|e| e.base_currency.clone())
        .collect();
    currencies.sort_by(|a, b| a.0.cmp(&b.0));
    currencies.dedup();
    out.extend(currencies.into_iter().map(Scope::Consolidated));
    out
}

/// Where Enter on a row goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Drill {
    None,
    /// A consolidated row: its accounts are the entities'.
    NeedEntity,
    Gl {
        entity: Code,
        account: Code,
    },
    Party {
        payables: bool,
        party: Code,
    },
}

#[derive(Clone, Debug)]
pub struct GridRow {
    pub cells: Vec<String>,
    pub drill: Drill,
    /// A total or subtotal line (drawn bold).
    pub total: bool,
    /// What a filter adds up again (`filtered`): a detail row's amounts,
    /// or, on a total row, which amounts it sums. None: a row a filter
    /// keeps as it is (a statement's section total).
    pub sum: Option<RowSum>,
}

/// The amounts of a row that a filtered view totals again, by column,
/// within one currency.
#[derive(Clone, Debug)]
pub struct RowSum {
    pub currency: Currency,
    pub amounts: Vec<(usize, Decimal)>,
}

impl RowSum {
    fn new(currency: &Currency, amounts: impl IntoIterator<Item = (usize, Decimal)>) -> RowSum {
        RowSum {
            currency: currency.clone(),
            amounts: amounts.into_iter().collect(),
        }
    }
}

/// The column a re-summed total row says "N shown" in: the name column
/// (of the trial balances and the agings), else the second.
fn shown_col(g: &Grid) -> usize {
    g.headers.iter().position(|h| h == "name").unwrap_or(1)
}

/// What a trial balance's TOTAL line says when debits and credits differ.
const OUT_OF_BALANCE: &str = "OUT OF BALANCE";

/// The rows of `g` a filter `f` keeps. The detail rows it matches, and
/// when there is any: each total that sums detail rows (`RowSum`) summed
/// again over those kept, saying how many ("3 shown"), or left out when
/// none of its currency is kept; a structural total (a statement's
/// section) as it is. When no detail row matches, no row at all, so the
/// table says "nothing matches" instead of a total of rows not shown.
pub fn filtered(g: &Grid, f: &str) -> Vec<GridRow> {
    if f.is_empty() || g.message {
        return g.rows.clone();
    }
    let details: Vec<&GridRow> = g
        .rows
        .iter()
        .filter(|r| !r.total && matches(&r.cells, f))
        .collect();
    if details.is_empty() {
        return Vec::new();
    }
    g.rows
        .iter()
        .filter_map(|r| match (&r.sum, r.total) {
            (Some(sum), true) => summed_again(r, sum, &details, shown_col(g)),
            (None, true) => Some(r.clone()),
            _ if matches(&r.cells, f) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

/// A total row summed over the detail rows kept of its currency; None
/// when none is.
fn summed_again(
    total: &GridRow,
    sum: &RowSum,
    details: &[&GridRow],
    shown: usize,
) -> Option<GridRow> {
    let mine: Vec<&RowSum> = details
        .iter()
        .filter_map(|d| d.sum.as_ref())
        .filter(|d| d.currency == sum.currency)
        .collect();
    if mine.is_empty() {
        return None;
    }
    let mut out = total.clone();
    let mut amounts = Vec::with_capacity(sum.amounts.len());
    for (col, _) in &sum.amounts {
        let v: Decimal = mine
            .iter()
            .flat_map(|d| d.amounts.iter())
            .filter(|(c, _)| c == col)
            .map(|(_, v)| *v)
            .sum();
        if let Some(cell) = out.cells.get_mut(*col) {
            *cell = amount(v, &sum.currency);
        }
        amounts.push((*col, v));
    }
    if let Some(cell) = out.cells.get_mut(shown) {
        // The book's own warning stays in sight under any filter.
        *cell = if cell == OUT_OF_BALANCE {
            format!("{} shown; book {OUT_OF_BALANCE}", mine.len())
        } else {
            format!("{} shown", mine.len())
        };
    }
    out.sum = Some(RowSum::new(&sum.currency, amounts));
    Some(out)
}

/// A view's table: headers, which columns are numbers (right-aligned) and
/// which may be left out on a narrow terminal, rows, footnotes.
#[derive(Clone, Debug, Default)]
pub struct Grid {
    pub title: String,
    pub headers: Vec<String>,
    pub numeric: Vec<bool>,
    pub optional: Vec<bool>,
    pub rows: Vec<GridRow>,
    pub notes: Vec<String>,
    /// What the table says when it has no rows ("nothing to show" when
    /// empty).
    pub empty: String,
    /// A message in place of the table (the archive being read): no
    /// filter applies to it.
    pub message: bool,
}

fn amount(d: Decimal, c: &Currency) -> String {
    money(d, c)
}

fn blank_zero(d: Decimal, c: &Currency) -> String {
    if d.is_zero() {
        String::new()
    } else {
        amount(d, c)
    }
}

/// An entity's trial balance (`query::finance::trial_balance`).
pub fn tb_grid(s: &State, entity: &str, as_of: NaiveDate) -> Grid {
    let mut g = Grid {
        title: format!("Trial balance {entity} as of {as_of} (by posting date)"),
        headers: ["account", "name", "debit", "credit"]
            .map(String::from)
            .to_vec(),
        numeric: vec![false, false, true, true],
        optional: vec![false; 4],
        ..Grid::default()
    };
    let Some(tb) = fin::trial_balance(s, entity, as_of) else {
        return g;
    };
    let c = &tb.currency;
    for r in &tb.rows {
        g.rows.push(GridRow {
            cells: vec![
                r.account.to_string(),
                r.name.clone(),
                blank_zero(r.debit, c),
                blank_zero(r.credit, c),
            ],
            drill: Drill::Gl {
                entity: entity.to_string().into(),
                account: r.account.clone(),
            },
            total: false,
            sum: Some(RowSum::new(c, [(2, r.debit), (3, r.credit)])),
        });
    }
    g.rows.push(GridRow {
        cells: vec![
            "TOTAL".into(),
            if tb.debit == tb.credit {
                "balanced".into()
            } else {
                OUT_OF_BALANCE.into()
            },
            amount(tb.debit, c),
            amount(tb.credit, c),
        ],
        drill: Drill::None,
        total: true,
        sum: Some(RowSum::new(c, [(2, tb.debit), (3, tb.credit)])),
    });
    later_note(&mut g, s, Some(entity), as_of);
    g
}

fn later_note(g: &mut Grid, s: &State, entity: Option<&str>, as_of: NaiveDate) {
    let later = s.entries_after(entity, as_of);
    if later > 0 {
        g.notes.push(format!(
            "{later} journal entr{} dated after {as_of} not included",
            if later == 1 { "y" } else { "ies" }
        ));
    }
}

/// A `depot report` table (the consolidated trial balance) as a grid:
/// amounts reformatted in their
/// currency (the entity's, or the consolidation's), the entity column
/// left out for one entity, accounts drilled to their GL lines.
pub fn report_grid(s: &State, name: &str, scope: &Scope, as_of: NaiveDate) -> Grid {
    let mut o = crate::report::Options::new(scope.entity(), as_of);
    if let Scope::Consolidated(c) = scope {
        o.currency = Some(c.to_string());
    }
    let t = match crate::report::build_with(name, s, &o) {
        Ok(t) => t,
        Err(e) => {
            return Grid {
                title: format!("{name}: {e}"),
                ..Grid::default()
            }
        }
    };
    let col = |h: &str| t.headers.iter().position(|x| *x == h);
    let (entity_col, account_col) = (col("entity"), col("account"));
    let keep: Vec<usize> = (0..t.headers.len())
        .filter(|i| !(scope.entity().is_some() && Some(*i) == entity_col))
        .collect();
    let mut g = Grid {
        title: t.title.clone(),
        headers: keep
            .iter()
            .map(|i| t.headers[*i].replace('_', " "))
            .collect(),
        numeric: keep.iter().map(|i| t.numeric[*i]).collect(),
        optional: keep
            .iter()
            .map(|i| matches!(t.headers[*i], "section" | "entities" | "eliminated"))
            .collect(),
        rows: Vec::new(),
        notes: t.notes.clone(),
        empty: String::new(),
        message: false,
    };
    for r in &t.rows {
        let entity = entity_col
            .and_then(|i| r.get(i))
            .map(String::as_str)
            .or(scope.entity());
        let currency = match (scope, entity.and_then(|e| s.entities.get(&e.to_code()))) {
            (Scope::Consolidated(c), _) => c.clone(),
            (_, Some(e)) => e.base_currency.clone(),
            _ => Currency::new("XXX"),
        };
        let account = account_col
            .and_then(|i| r.get(i))
            .cloned()
            .unwrap_or_default();
        let is_account =
            entity.is_some_and(|e| s.accounts.contains_key(&(e.to_code(), account.to_code())));
        let drill = match (scope, entity) {
            (Scope::Consolidated(_), _) if !account.is_empty() && account != "TOTAL" => {
                Drill::NeedEntity
            }
            (Scope::Entity(_), Some(e)) if is_account => Drill::Gl {
                entity: e.to_string().into(),
                account: account.clone().into(),
            },
            _ => Drill::None,
        };
        let cells = keep
            .iter()
            .map(|i| {
                let cell = r.get(*i).cloned().unwrap_or_default();
                if t.numeric[*i] {
                    Decimal::from_str(&cell).map_or(cell, |d| amount(d, &currency))
                } else {
                    cell
                }
            })
            .collect();
        // A trial balance's TOTAL adds up every amount column of the rows
        // above it (the ICDIFF and CTA lines among them), so a filter sums
        // it again over the rows it keeps. Another report's totals are left
        // as they are.
        let sum = (name == "trial-balance").then(|| {
            RowSum::new(
                &currency,
                keep.iter()
                    .enumerate()
                    .filter(|(_, i)| t.numeric[**i])
                    .map(|(k, i)| {
                        let v = r.get(*i).and_then(|c| Decimal::from_str(c).ok());
                        (k, v.unwrap_or_default())
                    }),
            )
        });
        g.rows.push(GridRow {
            cells,
            drill,
            total: account.is_empty() || account == "TOTAL",
            sum,
        });
    }
    g
}

/// A P&L or balance sheet (`report::statement_with`: the rows `depot
/// report` prints, as data) as a grid: amounts in their currency's format
/// (the entity's, or the consolidation's), the entity column left out for
/// one entity, accounts drilled to their GL lines.
pub fn statement_grid(s: &State, name: &str, scope: &Scope, as_of: NaiveDate) -> Grid {
    let mut o = crate::report::Options::new(scope.entity(), as_of);
    if let Scope::Consolidated(c) = scope {
        o.currency = Some(c.to_string());
    }
    let st = match crate::report::statement_with(name, s, &o) {
        Ok(t) => t,
        Err(e) => {
            return Grid {
                title: format!("{name}: {e}"),
                ..Grid::default()
            }
        }
    };
    let entity_col = st.entity_column && scope.entity().is_none();
    let headers: Vec<&str> = st
        .headers()
        .into_iter()
        .filter(|h| entity_col || *h != "entity")
        .collect();
    let mut g = Grid {
        title: st.title.clone(),
        headers: headers.iter().map(|h| h.replace('_', " ")).collect(),
        numeric: headers
            .iter()
            .map(|h| st.amount_headers.contains(h))
            .collect(),
        optional: headers
            .iter()
            .map(|h| matches!(*h, "section" | "entities" | "eliminated"))
            .collect(),
        rows: Vec::new(),
        notes: st.notes.clone(),
        empty: String::new(),
        message: false,
    };
    for r in &st.rows {
        let entity = r.entity.as_deref().or(scope.entity());
        let currency = match (scope, entity.and_then(|e| s.entities.get(&e.to_code()))) {
            (Scope::Consolidated(c), _) => c.clone(),
            (_, Some(e)) => e.base_currency.clone(),
            _ => Currency::new("XXX"),
        };
        let drill = match (scope, entity, r.kind) {
            (Scope::Consolidated(_), _, RowKind::Account) => Drill::NeedEntity,
            (Scope::Entity(_), Some(e), RowKind::Account) => Drill::Gl {
                entity: e.to_string().into(),
                account: r.account.clone().into(),
            },
            _ => Drill::None,
        };
        let mut cells = Vec::new();
        if entity_col {
            cells.push(r.entity.clone().unwrap_or_default().to_string());
        }
        if st.section_column {
            cells.push(r.section.clone().unwrap_or_default());
        }
        cells.push(r.account.clone());
        cells.push(r.label.clone());
        cells.extend(
            r.amounts
                .iter()
                .map(|a| a.map(|d| amount(d, &currency)).unwrap_or_default()),
        );
        g.rows.push(GridRow {
            cells,
            drill,
            total: r.kind == RowKind::Total || r.account.is_empty(),
            sum: None,
        });
    }
    g
}

fn party_name(s: &State, payables: bool, party: &str) -> String {
    if payables {
        s.suppliers.get(&party.to_code()).map(|x| x.name.clone())
    } else {
        s.customers.get(&party.to_code()).map(|x| x.name.clone())
    }
    .unwrap_or_default()
}

/// AR or AP aging from the open items (`query::finance`), a total per
/// currency; AR with what the archive holds after `as_of` (`later`).
pub fn aging_grid(
    s: &State,
    payables: bool,
    entity: Option<&str>,
    as_of: NaiveDate,
    later: Option<&Later>,
) -> Grid {
    let items = if payables {
        fin::ap_open_items(s, entity, as_of)
    } else {
        fin::ar_open_items_with(s, entity, as_of, later)
    };
    let mut headers = vec![
        if payables { "supplier" } else { "customer" }.to_string(),
        "name".into(),
        "cur".into(),
    ];
    headers.extend(fin::AGING_LABELS.iter().map(|l| l.to_string()));
    headers.push("total".into());
    let mut g = Grid {
        title: format!(
            "{} aging as of {as_of} (days past due; documents by their date)",
            if payables { "AP" } else { "AR" }
        ),
        numeric: (0..headers.len()).map(|i| i >= 3).collect(),
        optional: (0..headers.len()).map(|i| i == 1).collect(),
        headers,
        empty: format!("nothing open as of {as_of}"),
        ..Grid::default()
    };
    let mut totals: std::collections::BTreeMap<String, (Currency, [Decimal; 5])> =
        Default::default();
    for r in fin::aging(&items, as_of) {
        let c = &r.currency;
        let t = totals
            .entry(c.to_string())
            .or_insert_with(|| (c.clone(), [Decimal::ZERO; 5]));
        for (i, v) in r.buckets.iter().enumerate() {
            t.1[i] += *v;
        }
        let mut cells = vec![
            r.party.to_string(),
            party_name(s, payables, &r.party),
            c.to_string(),
        ];
        cells.extend(r.buckets.iter().map(|v| blank_zero(*v, c)));
        cells.push(amount(r.total(), c));
        g.rows.push(GridRow {
            cells,
            drill: Drill::Party {
                payables,
                party: r.party.clone(),
            },
            total: false,
            sum: Some(aging_sum(c, &r.buckets)),
        });
    }
    for (code, (c, b)) in totals {
        let mut cells = vec!["TOTAL".into(), String::new(), code];
        cells.extend(b.iter().map(|v| amount(*v, &c)));
        cells.push(amount(b.iter().copied().sum(), &c));
        g.rows.push(GridRow {
            cells,
            drill: Drill::None,
            total: true,
            sum: Some(aging_sum(&c, &b)),
        });
    }
    g
}

/// An aging row's amounts for a filter's total: the buckets from the
/// fourth column, then their sum.
fn aging_sum(c: &Currency, buckets: &[Decimal; 5]) -> RowSum {
    let total: Decimal = buckets.iter().copied().sum();
    RowSum::new(
        c,
        buckets
            .iter()
            .copied()
            .chain([total])
            .enumerate()
            .map(|(i, v)| (i + 3, v)),
    )
}

/// What the archive holds after `as_of`, when the AR open items of that
/// day need it (an archived invoice a later receipt paid was open then):
/// asked of the backend, which reads it on its worker (`later_soon`).
/// None when the day needs nothing archived; `Err` while it is read or
/// when it cannot be.
fn archived_after(ctx: &Ctx, as_of: NaiveDate) -> Result<Option<Arc<Later>>, Pending> {
    let s = ctx.state();
    if !crate::core::archive::needs_later(s, as_of) {
        return Ok(None);
    }
    match ctx
        .backend
        .later_soon(as_of, None, archive_reads::generation(s))
    {
        Fetch::Ready(l) => Ok(Some(l)),
        Fetch::Reading(since) => Err(Pending::Reading(since)),
        Fetch::Failed(why) => Err(Pending::Failed(why)),
    }
}

/// Why a view has no grid yet.
#[derive(Clone, Debug)]
pub enum Pending {
    /// The archive is being read (since then).
    Reading(std::time::Instant),
    /// It could not be read.
    Failed(String),
}

impl Pending {
    /// The grid shown meanwhile: what is read and why, one line.
    fn grid(&self, view: View, as_of: NaiveDate) -> Grid {
        let (line, note) = match self {
            Pending::Reading(since) => (
                format!(
                    "reading the archive: what was archived after {as_of} ({} s)",
                    since.elapsed().as_secs()
                ),
                "shown when read; the other views work meanwhile".to_string(),
            ),
            Pending::Failed(why) => (
                format!("the archive could not be read: {why}"),
                "the log says more; the other views work".to_string(),
            ),
        };
        Grid {
            title: format!("{} as of {as_of}", view.label()),
            headers: vec![String::new()],
            numeric: vec![false],
            optional: vec![false],
            rows: vec![GridRow {
                cells: vec![line],
                drill: Drill::None,
                total: true,
                sum: None,
            }],
            notes: vec![note],
            empty: String::new(),
            message: true,
        }
    }
}

/// The grid of a view for a scope as of a day (`later`: what the archive
/// holds after it, for the AR aging).
pub fn grid(s: &State, view: View, scope: &Scope, as_of: NaiveDate, later: Option<&Later>) -> Grid {
    match (view, scope) {
        (View::TrialBalance, Scope::Entity(e)) => tb_grid(s, e, as_of),
        (View::TrialBalance, _) => report_grid(s, "trial-balance", scope, as_of),
        (View::ProfitLoss, _) => statement_grid(s, "pl", scope, as_of),
        (View::BalanceSheet, _) => statement_grid(s, "balance-sheet", scope, as_of),
        (View::AgingAr, _) => aging_grid(s, false, scope.entity(), as_of, later),
        (View::AgingAp, _) => aging_grid(s, true, scope.entity(), as_of, None),
    }
}

/// The log's journal entries read so far, shared by the finance views and
/// the screens they open: nothing is read until a drill needs it, then
/// what is committed and, going back from the newest record, only as far
/// as the drill shows.
#[derive(Clone)]
pub struct SharedJournals {
    journals: Arc<Mutex<Option<Journals>>>,
    /// Older records read first; doubled while a drill needs more.
    first_chunk: u64,
}

impl Default for SharedJournals {
    fn default() -> Self {
        SharedJournals {
            journals: Arc::default(),
            first_chunk: FIRST_CHUNK,
        }
    }
}

/// The first chunk of older records a drill reads, and the most it reads
/// at a time (doubling in between).
const FIRST_CHUNK: u64 = 256;
const MAX_CHUNK: u64 = 1 << 16;

impl SharedJournals {
    /// `f` on the entries, brought up to the view first (the records
    /// committed since the last read).
    pub fn with<R>(&self, ctx: &Ctx, f: impl FnOnce(&mut Journals) -> R) -> R {
        let mut guard = match self.journals.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let seq = ctx.view.seq;
        let j = guard.get_or_insert_with(|| Journals::at(seq));
        if j.read_to < seq {
            let records = ctx.backend.log_range(j.read_to + 1, seq);
            j.extend(&records);
            j.read_through(seq);
        }
        f(j)
    }

    /// At least the `want` newest lines of an account (`gl_window`),
    /// reading older records, a growing chunk at a time, only while the
    /// window needs them.
    pub fn gl_window(
        &self,
        ctx: &Ctx,
        entity: &str,
        account: &str,
        as_of: NaiveDate,
        want: usize,
    ) -> fin::GlWindow {
        self.with(ctx, |j| {
            let mut chunk = self.first_chunk.max(1);
            loop {
                let w = fin::gl_window(j, ctx.state(), entity, account, as_of, want);
                if !w.need_more || !read_back(j, ctx, chunk) {
                    return w;
                }
                chunk = (chunk * 2).min(MAX_CHUNK);
            }
        })
    }

    /// A document's journal entries: the document's records are not
    /// indexed, so this reads the whole log (once per finance views).
    pub fn doc_entries(&self, ctx: &Ctx, entity: &str, doc: &str) -> Vec<Posted> {
        self.with(ctx, |j| {
            while read_back(j, ctx, MAX_CHUNK) {}
            fin::doc_entries(j, entity, doc)
                .into_iter()
                .cloned()
                .collect()
        })
    }

    /// Log records read so far (tests, benches).
    pub fn records_read(&self) -> u64 {
        match self.journals.lock() {
            Ok(g) => g.as_ref().map_or(0, |j| j.records_read),
            Err(p) => p.into_inner().as_ref().map_or(0, |j| j.records_read),
        }
    }
}

/// Read the next `chunk` older records; false when the whole log is read.
fn read_back(j: &mut Journals, ctx: &Ctx, chunk: u64) -> bool {
    match j.next_back(chunk) {
        Some((from, to)) => {
            let records = ctx.backend.log_range(from, to);
            j.extend_back(&records, from);
            true
        }
        None => false,
    }
}

/// Open a document: the order inquiry for an order, an invoice or a
/// shipment; otherwise its journal entries.
pub fn open_document(ctx: &Ctx, entity: &str, doc: &str, j: &SharedJournals) -> Flow {
    let s = ctx.state();
    let order = s
        .invoices
        .get(&doc.to_code())
        .and_then(|i| i.lines.first().map(|l| l.order.clone()))
        .or_else(|| s.orders.get(&doc.to_code()).map(|o| o.number.clone()))
        .or_else(|| s.shipments.get(&doc.to_code()).map(|sh| sh.order.clone()));
    match order {
        Some(o) if s.orders.contains_key(&o) => Flow::Push(Box::new(OrderInquiry::drilled(&o))),
        _ => Flow::Push(Box::new(DocEntries::new(ctx, entity, doc, j.clone()))),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    List,
    Filter,
    Date,
}

/// The filter and selection of a list: `/` narrows it to rows containing
/// the text (any cell, any case).
#[derive(Default)]
struct ListState {
    focus: Option<Focus>,
    filter: TextField,
    selected: usize,
    page: usize,
    /// A table wider than the screen shows its first column and a page
    /// of the others: this one first (never a number cut short).
    first_col: usize,
    /// Where the next page of columns starts (`Action::Columns`); None
    /// when every column is shown.
    next_col: Option<usize>,
}

impl ListState {
    /// Another view's table: whole, from its first
    /// row and its first page of columns. A filter typed for one view is
    /// seldom what the next one should be narrowed to.
    fn fresh(&mut self) {
        self.filter.take();
        self.focus = None;
        self.selected = 0;
        self.first_col = 0;
        self.next_col = None;
    }
}

fn matches(cells: &[String], f: &str) -> bool {
    f.is_empty()
        || cells
            .iter()
            .any(|c| c.to_ascii_uppercase().contains(&f.to_ascii_uppercase()))
}

/// The table widths: each column as wide as its widest cell, the name (or
/// description) column taking the rest; optional columns left out when the
/// rest does not fit. When even that is too wide, the first column stays
/// and the others are shown a page at a time from `first` (of the columns
/// after the first): a column is shown whole or not at all, so an amount
/// is never cut short. Also returns where the next page starts (None:
/// every column is shown).
fn layout(
    headers: &[String],
    optional: &[bool],
    rows: &[Vec<String>],
    width: u16,
    first: usize,
) -> (Vec<Option<u16>>, Option<usize>) {
    let widest: Vec<u16> = (0..headers.len())
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .chain(std::iter::once(&headers[i]))
                .map(|c| c.chars().count() as u16)
                .max()
                .unwrap_or(1)
        })
        .collect();
    let fill = headers
        .iter()
        .position(|h| matches!(h.as_str(), "name" | "description"));
    // The name column wants 12 beside the optional columns, and shrinks
    // to 8 (`draw_table`'s minimum) before a column is paged out.
    let need_with = |i: usize, name: u16| -> u32 {
        u32::from(if Some(i) == fill { name } else { widest[i] }) + 1
    };
    let need = |i: usize| need_with(i, 8);
    let widths = |shown: &[usize]| -> Vec<Option<u16>> {
        (0..headers.len())
            .map(|i| {
                if !shown.contains(&i) {
                    None
                } else if Some(i) == fill {
                    Some(0)
                } else {
                    Some(widest[i])
                }
            })
            .collect()
    };
    for (keep_optional, name) in [(true, 12), (false, 8)] {
        let shown: Vec<usize> = (0..headers.len())
            .filter(|i| keep_optional || !optional[*i])
            .collect();
        if shown.iter().map(|i| need_with(*i, name)).sum::<u32>() <= u32::from(width) {
            return (widths(&shown), None);
        }
    }
    let rest: Vec<usize> = (1..headers.len()).filter(|i| !optional[*i]).collect();
    let mut k = if first < rest.len() { first } else { 0 };
    let mut shown = vec![0];
    let mut used = need(0);
    while let Some(&i) = rest.get(k) {
        // One column at least, even on a terminal too narrow for it.
        if used + need(i) > u32::from(width) && shown.len() > 1 {
            break;
        }
        used += need(i);
        shown.push(i);
        k += 1;
    }
    (widths(&shown), Some(if k < rest.len() { k } else { 0 }))
}

/// Draw rows as a table with a selection; returns the rows per page.
#[allow(clippy::too_many_arguments)]
fn draw_table(
    f: &mut Frame,
    area: Rect,
    ctx: &Ctx,
    title: &str,
    headers: &[String],
    numeric: &[bool],
    optional: &[bool],
    rows: &[(Vec<String>, bool)],
    selected: usize,
    (screen, first_col): (&str, usize),
    empty: &str,
) -> (usize, Option<usize>) {
    let theme = ctx.theme;
    let cells: Vec<Vec<String>> = rows.iter().map(|r| r.0.clone()).collect();
    let (cols, next_col) = layout(headers, optional, &cells, area.width, first_col);
    // Which columns a page shows, and the key for the next page.
    let title = match next_col {
        None => title.to_string(),
        Some(next) => {
            let at: Vec<usize> = (0..headers.len()).filter(|i| cols[*i].is_some()).collect();
            // After the last page, the key goes back to the first.
            let what = if next == 0 { "the first" } else { "more" };
            let key = ctx
                .keymap
                .key_for(screen, Context::List, Action::Columns)
                .map(|k| format!(", {k}: {what}"))
                .unwrap_or_default();
            // First: a long title is cut at its end.
            format!(
                "columns {}-{} of {}{key} · {title}",
                at.get(1).map_or(1, |i| i + 1),
                at.last().map_or(1, |i| i + 1),
                headers.len()
            )
        }
    };
    let shown: Vec<usize> = (0..headers.len()).filter(|i| cols[*i].is_some()).collect();
    let widths: Vec<Constraint> = shown
        .iter()
        .map(|i| match cols[*i] {
            Some(0) => Constraint::Min(8),
            Some(w) => Constraint::Length(w),
            None => Constraint::Length(0),
        })
        .collect();
    // What the name (or description) column gets: the width less the
    // other columns and a space between each. A name cut there ends in
    // "~" ("returned good" read as the whole description).
    let fixed: usize = shown
        .iter()
        .filter_map(|i| cols[*i])
        .map(usize::from)
        .sum::<usize>()
        + shown.len().saturating_sub(1);
    let fill_w = usize::from(area.width).saturating_sub(fixed).max(8);
    let cell = |i: usize, text: &str, w: Option<u16>| -> String {
        match (numeric[i], w) {
            (true, Some(w)) if w > 0 => format!("{text:>w$}", w = w as usize),
            (_, Some(0)) => fit(text, fill_w),
            _ => text.to_string(),
        }
    };
    let head = Row::new(
        shown
            .iter()
            .map(|i| cell(*i, &headers[*i], cols[*i]))
            .collect::<Vec<_>>(),
    )
    .style(theme.label());
    let body: Vec<Row> = rows
        .iter()
        .map(|(r, total)| {
            let row = Row::new(
                shown
                    .iter()
                    .map(|i| cell(*i, r.get(*i).map_or("", String::as_str), cols[*i]))
                    .collect::<Vec<_>>(),
            );
            if *total {
                row.style(Style::new().add_modifier(Modifier::BOLD))
            } else {
                row
            }
        })
        .collect();
    let mut st = TableState::default();
    if !rows.is_empty() {
        st.select(Some(selected.min(rows.len() - 1)));
    }
    f.render_stateful_widget(
        Table::new(body, widths)
            .header(head)
            .row_highlight_style(theme.selected())
            .block(Block::new().borders(Borders::TOP).title(fit(
                &format!(" {title} "),
                area.width.saturating_sub(2) as usize,
            ))),
        area,
        &mut st,
    );
    // No rows: say so under the header rather than leave it bare.
    if rows.is_empty() && area.height > 2 {
        let line = Rect {
            y: area.y + 2,
            height: 1,
            ..area
        };
        f.render_widget(
            Paragraph::new(Span::styled(fit(empty, area.width as usize), theme.dim())),
            line,
        );
    }
    (area.height.saturating_sub(2).max(1) as usize, next_col)
}

/// What an empty table says: that the filter matches nothing, or the
/// view's own words (`what`; "nothing to show" when it has none).
fn empty_text(l: &ListState, what: &str) -> String {
    if !l.filter.text.is_empty() {
        format!("nothing matches /{}", l.filter.text)
    } else if what.is_empty() {
        "nothing to show".to_string()
    } else {
        what.to_string()
    }
}

/// Said after a kept filter in a list's foot: how to be rid of it.
const KEPT: &str = " (Esc clears)";

/// The columns a kept filter takes in a list's foot ("/C0009 (Esc
/// clears)  "), so that the hint after it is fitted to what is left.
fn kept_width(l: &ListState) -> usize {
    match l.filter.text.chars().count() {
        0 => 0,
        n => n + 3 + KEPT.len(),
    }
}

/// The foot line of a list: the filter being typed, or a hint.
fn foot_line<'a>(ctx: &Ctx, l: &ListState, hint: String) -> Line<'a> {
    let theme = ctx.theme;
    match l.focus {
        Some(Focus::Filter) => Line::from(vec![
            Span::styled("/", theme.label()),
            l.filter.span(true, 30, theme),
        ]),
        _ if !l.filter.text.is_empty() => Line::from(vec![
            Span::styled(format!("/{}", l.filter.text), theme.label()),
            Span::styled(KEPT, theme.dim()),
            Span::styled(format!("  {hint}"), theme.dim()),
        ]),
        _ => Line::from(Span::styled(hint, theme.dim())),
    }
}

/// The filter keys of a list; Some(flow) when the key was the filter's.
fn filter_key(l: &mut ListState, input: Input) -> Option<Flow> {
    if l.focus != Some(Focus::Filter) {
        match input {
            Input::Action(Action::Search) => l.focus = Some(Focus::Filter),
            // Esc on a list under a kept filter clears the filter first
            // (the whole list again); the next Esc leaves the screen. F3
            // is back a level, filter or not (the drill's walk-through).
            Input::Action(Action::Cancel) if !l.filter.text.is_empty() => {
                l.filter.take();
                l.selected = 0;
            }
            // The next page of columns (the first again after the last).
            Input::Action(Action::Columns) if l.next_col.is_some() => {
                l.first_col = l.next_col.unwrap_or(0);
            }
            _ => return None,
        }
        return Some(Flow::Stay);
    }
    match input {
        Input::Action(Action::Submit) => l.focus = None,
        Input::Action(Action::Cancel | Action::Back) => {
            l.filter.take();
            l.focus = None;
        }
        other => {
            if l.filter.edit(other) {
                l.selected = 0;
            }
        }
    }
    Some(Flow::Stay)
}

const LIST_ACTIONS: [(Action, &str); 3] = [
    (Action::Search, "filter"),
    (Action::Down, "next line"),
    (Action::Help, "keys"),
];

/// The list's actions, with the next page of columns when some are not
/// shown.
fn list_actions(l: &ListState) -> impl Iterator<Item = (Action, &'static str)> {
    let kept = (!l.filter.text.is_empty()).then_some((Action::Cancel, "clear the filter"));
    kept.into_iter()
        .chain(l.next_col.map(|_| (Action::Columns, "more columns")))
        .chain(LIST_ACTIONS)
}

const FILTER_ACTIONS: [(Action, &str); 2] =
    [(Action::Submit, "keep filter"), (Action::Cancel, "clear")];

/// What a grid was built from: view, scope, day and the state's seq.
type GridKey = (View, Scope, NaiveDate, u64);

/// A grid, its key, and what the archive held after its day (the AR
/// aging's, kept for the drill to a customer's open items).
type Cached = (GridKey, Arc<Grid>, Option<Arc<Later>>);

/// The finance views screen.
pub struct FinanceViews {
    pub view: View,
    pub scope: usize,
    /// None until the first frame: then the operator's today.
    pub as_of: Option<NaiveDate>,
    date: TextField,
    list: ListState,
    cache: Option<Cached>,
    /// What the view waits for (the archive, read on a worker).
    pending: Option<Pending>,
    journals: SharedJournals,
    /// GL lines a drill holds at first.
    gl_want: usize,
    notice: Option<Notice>,
}

impl Default for FinanceViews {
    fn default() -> Self {
        FinanceViews::new()
    }
}

/// The entity with the most journal entries: where a desk screen of one
/// entity opens when the operator has none of their own.
pub fn busiest_entity(s: &State) -> Option<Code> {
    let mut entries: std::collections::BTreeMap<&Code, u64> = Default::default();
    for ((e, _), n) in s.ledger.daily_entries.iter() {
        *entries.entry(e).or_default() += *n;
    }
    entries
        .into_iter()
        .max_by_key(|(e, n)| (*n, std::cmp::Reverse(*e)))
        .map(|(e, _)| e.clone())
}

impl FinanceViews {
    pub fn new() -> FinanceViews {
        FinanceViews {
            view: View::TrialBalance,
            scope: 0,
            as_of: None,
            date: TextField::default(),
            list: ListState {
                page: 10,
                ..ListState::default()
            },
            cache: None,
            pending: None,
            journals: SharedJournals::default(),
            gl_want: GL_WANT,
            notice: None,
        }
    }

    /// Opened from the menu: on the operator's own entity (its default
    /// warehouse's), else on the entity with the most journal entries
    /// (the first by code was a group controller's smallest company).
    pub fn opened(ctx: &Ctx) -> FinanceViews {
        let s = ctx.state();
        let home = ctx.home_entity().cloned();
        let scope = home
            .or_else(|| busiest_entity(s))
            .and_then(|e| {
                scopes(s)
                    .iter()
                    .position(|x| *x == Scope::Entity(e.clone()))
            })
            .unwrap_or(0);
        FinanceViews {
            scope,
            ..FinanceViews::new()
        }
    }

    /// Opened on a view, scope and day (tests, benches).
    pub fn at(view: View, scope: usize, as_of: NaiveDate) -> FinanceViews {
        FinanceViews {
            view,
            scope,
            as_of: Some(as_of),
            ..FinanceViews::new()
        }
    }

    /// Drills that hold `gl_want` GL lines at first and read older log
    /// records `first_chunk` at a time at first (tests: a small log read
    /// the way a large one is).
    pub fn sized(mut self, gl_want: usize, first_chunk: u64) -> FinanceViews {
        self.gl_want = gl_want.max(1);
        self.journals.first_chunk = first_chunk.max(1);
        self
    }

    /// The journal entries its drills read (shared with them).
    pub fn journals(&self) -> SharedJournals {
        self.journals.clone()
    }

    fn as_of(&self, ctx: &Ctx) -> NaiveDate {
        self.as_of.unwrap_or_else(|| ctx.today())
    }

    fn scope(&self, s: &State) -> Scope {
        let all = scopes(s);
        all.get(self.scope % all.len().max(1))
            .cloned()
            .unwrap_or(Scope::Consolidated(Currency::new("USD")))
    }

    /// The view's grid (built once per view, scope, day and state). An
    /// AR aging as of a day before the latest archived document waits for
    /// the archive, read on the backend's worker (never here): meanwhile
    /// the grid says so (`Pending::grid`) and the screen is `waiting`.
    pub fn grid(&mut self, ctx: &Ctx) -> Arc<Grid> {
        let key = (
            self.view,
            self.scope(ctx.state()),
            self.as_of(ctx),
            ctx.view.seq,
        );
        if let Some((k, g, _)) = &self.cache {
            if *k == key {
                self.pending = None;
                return g.clone();
            }
        }
        let later = match key.0 {
            View::AgingAr => match archived_after(ctx, key.2) {
                Ok(l) => l,
                Err(p) => {
                    let g = Arc::new(p.grid(key.0, key.2));
                    self.pending = Some(p);
                    return g;
                }
            },
            _ => None,
        };
        self.pending = None;
        let g = Arc::new(grid(ctx.state(), key.0, &key.1, key.2, later.as_deref()));
        self.cache = Some((key, g.clone(), later));
        g
    }

    /// What the archive held after the day of the grid shown (the AR
    /// aging's), if it needed any.
    fn later(&self) -> Option<Arc<Later>> {
        self.cache.as_ref().and_then(|c| c.2.clone())
    }

    /// The rows the filter keeps (with their drill).
    fn rows(&mut self, ctx: &Ctx) -> Vec<GridRow> {
        let g = self.grid(ctx);
        self.kept(&g)
    }

    /// The rows of `g` the filter keeps (`filtered`).
    fn kept(&self, g: &Grid) -> Vec<GridRow> {
        filtered(g, self.list.filter.trimmed())
    }

    fn drill(&mut self, ctx: &Ctx) -> Flow {
        let rows = self.rows(ctx);
        let Some(r) = rows.get(self.list.selected) else {
            return Flow::Stay;
        };
        let as_of = self.as_of(ctx);
        match &r.drill {
            Drill::Gl { entity, account } => Flow::Push(Box::new(GlLines::new(
                ctx,
                entity,
                account,
                as_of,
                self.journals.clone(),
                self.gl_want,
            ))),
            Drill::Party { payables, party } => Flow::Push(Box::new(PartyItems::new(
                ctx,
                *payables,
                party,
                self.scope(ctx.state()).entity(),
                as_of,
                self.journals.clone(),
                self.later(),
            ))),
            Drill::NeedEntity => {
                self.notice = Some(Notice::error(
                    "consolidated: choose an entity (the next scope) to drill to its GL lines",
                ));
                Flow::Stay
            }
            Drill::None => Flow::Stay,
        }
    }
}

impl Screen for FinanceViews {
    fn name(&self) -> &'static str {
        "finance_views"
    }
    fn title(&self) -> String {
        "finance views".into()
    }
    fn context(&self) -> Context {
        match self.list.focus {
            Some(Focus::Filter | Focus::Date) => Context::Input,
            _ => Context::List,
        }
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        match self.list.focus {
            Some(Focus::Filter) => FILTER_ACTIONS.to_vec(),
            Some(Focus::Date) => vec![
                (Action::Submit, "show as of this date"),
                (Action::Cancel, "keep the date"),
            ],
            _ => {
                let mut a = vec![
                    (Action::Open, "drill"),
                    (Action::NextField, "next view"),
                    (Action::Scope, "entity"),
                    (Action::AsOf, "as of"),
                ];
                a.extend(list_actions(&self.list));
                a.insert(4, (Action::Back, "back"));
                // After back: the key bar shows it only when wide; the
                // help box lists it.
                a.insert(5, (Action::PrevField, "previous view"));
                a
            }
        }
    }

    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        if self.list.focus == Some(Focus::Date) {
            match input {
                Input::Action(Action::Submit) => {
                    let t = self.date.trimmed().to_string();
                    match NaiveDate::parse_from_str(&t, "%Y-%m-%d") {
                        Ok(d) => {
                            self.as_of = Some(d);
                            self.list.focus = None;
                            self.list.selected = 0;
                        }
                        Err(_) => {
                            self.date.refused();
                            self.notice = Some(Notice::error(format!(
                                "{t:?} is not a date: YYYY-MM-DD, e.g. {}",
                                self.as_of(ctx)
                            )))
                        }
                    }
                }
                Input::Action(Action::Cancel | Action::Back) => self.list.focus = None,
                other => {
                    self.date.edit(other);
                }
            }
            return Flow::Stay;
        }
        // The row selected under a filter, to stay on when it is cleared:
        // read only for a key that can clear it, not for every one typed.
        let clears = match self.list.focus {
            Some(Focus::Filter) => matches!(
                input,
                Input::Action(Action::Cancel | Action::Back | Action::DeleteBack | Action::Clear)
            ),
            _ => matches!(input, Input::Action(Action::Cancel)),
        };
        let held = match !clears || self.list.filter.trimmed().is_empty() {
            true => None,
            false => self
                .rows(ctx)
                .get(self.list.selected)
                .filter(|r| !r.total)
                .map(|r| r.cells.clone()),
        };
        if let Some(flow) = filter_key(&mut self.list, input) {
            if let Some(cells) = held.filter(|_| self.list.filter.trimmed().is_empty()) {
                if let Some(i) = self.rows(ctx).iter().position(|r| r.cells == cells) {
                    self.list.selected = i;
                }
            }
            return flow;
        }
        match input {
            Input::Action(Action::Back | Action::Cancel) => Flow::Pop,
            Input::Action(Action::Open) => self.drill(ctx),
            Input::Action(a @ (Action::NextField | Action::PrevField)) => {
                self.view = self.view.step(if a == Action::NextField { 1 } else { -1 });
                self.list.fresh();
                Flow::Stay
            }
            Input::Action(Action::Scope) => {
                let n = scopes(ctx.state()).len().max(1);
                self.scope = (self.scope + 1) % n;
                // The filter stays: the same account or party in another
                // entity is what a scope change is for.
                self.list.selected = 0;
                Flow::Stay
            }
            Input::Action(Action::AsOf) => {
                self.date = TextField::proposed(&self.as_of(ctx).to_string());
                self.list.focus = Some(Focus::Date);
                Flow::Stay
            }
            Input::Action(Action::Refresh) => {
                self.cache = None;
                Flow::Stay
            }
            Input::Action(a) => {
                let n = self.rows(ctx).len();
                self.list.selected = moved(self.list.selected, n, a, self.list.page);
                Flow::Stay
            }
            Input::Char(_) => Flow::Stay,
        }
    }

    fn committed(&mut self, ctx: &Ctx) {
        let n = self.rows(ctx).len();
        self.list.selected = self.list.selected.min(n.saturating_sub(1));
    }

    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }

    fn waiting(&self) -> bool {
        matches!(self.pending, Some(Pending::Reading(_)))
    }

    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let theme = ctx.theme;
        let s = ctx.state();
        let scope = self.scope(s);
        let as_of = self.as_of(ctx);
        // One grid per frame: a read that lands mid-frame shows next frame.
        let g = self.grid(ctx);
        let rows = self.kept(&g);
        self.list.selected = self.list.selected.min(rows.len().saturating_sub(1));
        let [tabs, head, table, foot] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(1),
        ])
        .areas(area);
        let mut spans: Vec<Span> = Vec::new();
        for v in View::ALL {
            let style = if v == self.view {
                theme.title()
            } else {
                theme.dim()
            };
            spans.push(Span::styled(format!(" {} ", v.label()), style));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), tabs);
        let date = if self.list.focus == Some(Focus::Date) {
            self.date.span(true, 11, theme)
        } else {
            Span::styled(as_of.to_string(), theme.field(false))
        };
        let period = scope
            .entity()
            .and_then(|e| s.period_of(e, as_of))
            .map(|p| format!("  period {}", p.code))
            .unwrap_or_default();
        f.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(scope.label(s), theme.label()),
                Span::raw("  as of "),
                date,
                Span::styled(period, theme.dim()),
            ])),
            head,
        );
        let shown: Vec<(Vec<String>, bool)> =
            rows.iter().map(|r| (r.cells.clone(), r.total)).collect();
        (self.list.page, self.list.next_col) = draw_table(
            f,
            table,
            ctx,
            &g.title,
            &g.headers,
            &g.numeric,
            &g.optional,
            &shown,
            self.list.selected,
            (self.name(), self.list.first_col),
            &empty_text(&self.list, &g.empty),
        );
        let hint = g.notes.first().cloned().unwrap_or_else(|| {
            match rows.get(self.list.selected).map(|r| &r.drill) {
                Some(Drill::Gl { account, .. }) => format!("Enter: the GL lines of {account}"),
                Some(Drill::Party { party, .. }) => format!("Enter: the open items of {party}"),
                _ => "Tab: next view".to_string(),
            }
        });
        // Under a filter the foot says how many rows it keeps, where any
        // width shows it (a TOTAL's "N shown" is in the name column, which
        // a narrow terminal leaves out).
        let hint = if self.list.filter.trimmed().is_empty() || g.message {
            hint
        } else {
            let details = |rows: &[GridRow]| rows.iter().filter(|r| !r.total).count();
            format!("{} of {} rows  {hint}", details(&rows), details(&g.rows))
        };
        // The foot shows "/filter  " before the hint: the hint fits after it.
        let hint = fit(
            &hint,
            (foot.width as usize).saturating_sub(2 + kept_width(&self.list)),
        );
        f.render_widget(Paragraph::new(foot_line(ctx, &self.list, hint)), foot);
    }
}

/// The GL lines of an account as of a day, with the running balance;
/// Enter opens the line's document. It holds the newest lines only (whole
/// days, a few pages; more when scrolled up to them, all of them for Home
/// or a filter) and draws only the visible ones: each line's balance runs
/// from the ledger's balance of the days before the first one held.
pub struct GlLines {
    pub entity: Code,
    pub account: Code,
    pub as_of: NaiveDate,
    name: String,
    currency: Currency,
    journals: SharedJournals,
    /// The lines held, GL order: the newest ones.
    pub lines: Vec<GlLine>,
    /// The account has lines before the first one held.
    pub earlier: bool,
    /// How many of the newest lines to hold (at least).
    want: usize,
    /// The account's trial balance figure (debit minus credit) that day.
    pub balance: Decimal,
    list: ListState,
    /// The first line drawn.
    top: usize,
    /// The filter `found` was computed for, and the lines it keeps.
    found: Option<(String, Vec<usize>)>,
    /// The account's entries read when the lines were built: a commit
    /// that adds none leaves them as they are.
    entries: usize,
    /// The widest cell of each column over every line held, so that the
    /// columns keep their widths while the list scrolls (the table sizes
    /// its columns by the rows it draws, only the visible ones).
    widest: Vec<usize>,
}

/// Lines held at first: more than the tallest screen shows.
const GL_WANT: usize = 200;

impl GlLines {
    pub fn new(
        ctx: &Ctx,
        entity: &str,
        account: &str,
        as_of: NaiveDate,
        journals: SharedJournals,
        want: usize,
    ) -> GlLines {
        let s = ctx.state();
        let mut g = GlLines {
            entity: entity.to_string().into(),
            account: account.to_string().into(),
            as_of,
            name: s
                .accounts
                .get(&(entity.to_code(), account.to_code()))
                .map(|a| a.name.clone())
                .unwrap_or_default(),
            currency: s
                .entities
                .get(&entity.to_code())
                .map(|e| e.base_currency.clone())
                .unwrap_or_else(|| Currency::new("XXX")),
            journals,
            lines: Vec::new(),
            earlier: false,
            want: want.max(1),
            balance: Decimal::ZERO,
            list: ListState {
                page: 10,
                ..ListState::default()
            },
            top: 0,
            found: None,
            entries: 0,
            widest: Vec::new(),
        };
        g.load(ctx);
        // Start on the newest line.
        g.list.selected = g.lines.len().saturating_sub(1);
        g.top = g.list.selected;
        g
    }

    fn load(&mut self, ctx: &Ctx) {
        let w = self
            .journals
            .gl_window(ctx, &self.entity, &self.account, self.as_of, self.want);
        self.lines = w.lines;
        self.earlier = w.earlier;
        self.entries = self.entries_read(ctx);
        self.widest = self.widest();
        self.balance = self
            .as_of
            .succ_opt()
            .map(|d| fin::balance_before(ctx.state(), &self.entity, &self.account, d).0)
            .unwrap_or_default();
        if let Some((f, _)) = self.found.take() {
            self.refilter(f);
        }
    }

    /// The account's entries read, the records committed since included.
    fn entries_read(&self, ctx: &Ctx) -> usize {
        self.journals
            .with(ctx, |j| j.account_entries(&self.entity, &self.account))
    }

    /// Hold at least `want` lines, the selection staying on its line.
    fn hold(&mut self, ctx: &Ctx, want: usize) {
        if want <= self.want {
            return;
        }
        let before = self.lines.len();
        self.want = want;
        self.load(ctx);
        if self.found.is_none() {
            let added = self.lines.len().saturating_sub(before);
            self.list.selected += added;
            self.top += added;
        }
    }

    /// The lines the filter `f` keeps (every line of the account is held
    /// first: once per filter, not per key or frame).
    fn refilter(&mut self, f: String) {
        let found = self
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| matches(&[l.doc.clone(), l.memo.clone(), l.date.to_string()], &f))
            .map(|(i, _)| i)
            .collect();
        self.found = Some((f, found));
    }

    /// After a filter key: the lines of a new filter.
    fn sync_filter(&mut self, ctx: &Ctx) {
        let f = self.list.filter.trimmed().to_string();
        if f.is_empty() {
            // Cleared: the selection stays on the line it was on.
            if let Some((_, found)) = self.found.take() {
                if let Some(&i) = found.get(self.list.selected) {
                    self.list.selected = i;
                }
            }
            return;
        }
        if self.found.as_ref().is_some_and(|(x, _)| *x == f) {
            return;
        }
        if self.earlier {
            self.hold(ctx, usize::MAX);
        }
        self.refilter(f);
        // A new filter starts on its first line, as the other lists do.
        self.list.selected = 0;
        self.top = 0;
    }

    /// How many lines the list shows.
    pub fn shown(&self) -> usize {
        match &self.found {
            Some((_, found)) => found.len(),
            None => self.lines.len(),
        }
    }

    /// The list's line `i`.
    pub fn line(&self, i: usize) -> Option<&GlLine> {
        match &self.found {
            Some((_, found)) => found.get(i).and_then(|x| self.lines.get(*x)),
            None => self.lines.get(i),
        }
    }

    /// The widest cell of each column over the lines held, from each
    /// column's extremes (an amount is as wide as the largest in size,
    /// a minus sign more) rather than every line's cells formatted: an
    /// account held whole is read again on every commit that posts to it.
    fn widest(&self) -> Vec<usize> {
        let c = &self.currency;
        let mut doc = 0;
        let mut ends = [(Decimal::ZERO, Decimal::ZERO); 3];
        for l in &self.lines {
            doc = doc.max(l.doc.chars().count());
            for (e, v) in ends.iter_mut().zip([l.debit, l.credit, l.balance]) {
                *e = (e.0.min(v), e.1.max(v));
            }
        }
        let wide = |(lo, hi): (Decimal, Decimal), cell: fn(Decimal, &Currency) -> String| {
            cell(lo, c).chars().count().max(cell(hi, c).chars().count())
        };
        let date = self.lines.first().map_or(0, |l| l.date.to_string().len());
        vec![
            date,
            doc,
            0,
            wide(ends[0], blank_zero),
            wide(ends[1], blank_zero),
            wide(ends[2], amount),
        ]
    }

    fn cells(&self, l: &GlLine) -> Vec<String> {
        let c = &self.currency;
        vec![
            l.date.to_string(),
            l.doc.clone(),
            l.memo.clone(),
            blank_zero(l.debit, c),
            blank_zero(l.credit, c),
            amount(l.balance, c),
        ]
    }
}

impl Screen for GlLines {
    fn name(&self) -> &'static str {
        "finance_gl"
    }
    fn title(&self) -> String {
        format!("GL {} {}", self.entity, self.account)
    }
    fn context(&self) -> Context {
        match self.list.focus {
            Some(Focus::Filter) => Context::Input,
            _ => Context::List,
        }
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        match self.list.focus {
            Some(Focus::Filter) => FILTER_ACTIONS.to_vec(),
            _ => {
                let mut a = vec![(Action::Open, "document"), (Action::Back, "back")];
                a.extend(list_actions(&self.list));
                a
            }
        }
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        if let Some(flow) = filter_key(&mut self.list, input) {
            self.sync_filter(ctx);
            return flow;
        }
        match input {
            Input::Action(Action::Back | Action::Cancel) => Flow::Pop,
            Input::Action(Action::Open) => {
                let doc = self.line(self.list.selected).map(|l| l.doc.clone());
                match doc {
                    Some(d) => open_document(ctx, &self.entity, &d, &self.journals),
                    None => Flow::Stay,
                }
            }
            Input::Action(Action::Refresh) => {
                self.load(ctx);
                Flow::Stay
            }
            Input::Action(a) => {
                let page = self.list.page.max(1);
                if self.found.is_none() && self.earlier {
                    match a {
                        Action::Top => self.hold(ctx, usize::MAX),
                        Action::Up | Action::PageUp if self.list.selected <= page => {
                            let more = self.lines.len() + (4 * page).max(GL_WANT);
                            self.hold(ctx, more);
                        }
                        _ => {}
                    }
                }
                self.list.selected = moved(self.list.selected, self.shown(), a, page);
                Flow::Stay
            }
            Input::Char(_) => Flow::Stay,
        }
    }
    fn committed(&mut self, ctx: &Ctx) {
        // Only a commit with a line on the account changes its lines (all
        // of them held after Home: not rebuilt for every commit).
        if self.entries_read(ctx) != self.entries {
            self.load(ctx);
        }
        let n = self.shown();
        self.list.selected = self.list.selected.min(n.saturating_sub(1));
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let theme = ctx.theme;
        let [head, table, foot] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(1),
        ])
        .areas(area);
        f.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(
                    format!("{} {} {}", self.entity, self.account, self.name),
                    theme.label(),
                ),
                Span::raw(format!("  to {} ({})", self.as_of, self.currency)),
            ])),
            head,
        );
        let n = self.shown();
        self.list.selected = self.list.selected.min(n.saturating_sub(1));
        // Only the visible lines are drawn: the table's rows (less its
        // border and header), the selection kept in view.
        let page = table.height.saturating_sub(2).max(1) as usize;
        if self.list.selected < self.top {
            self.top = self.list.selected;
        } else if self.list.selected >= self.top + page {
            self.top = self.list.selected + 1 - page;
        }
        self.top = self.top.min(n.saturating_sub(page));
        // Each cell padded to its column's widest over every line held
        // (amounts on the left, the rest on the right; the description
        // takes what is left, and is cut there): the columns stay where
        // they are while the list scrolls.
        let numeric = [false, false, false, true, true, true];
        let padded = |cells: Vec<String>| -> Vec<String> {
            cells
                .into_iter()
                .enumerate()
                .map(|(i, c)| {
                    let w = self.widest.get(i).copied().unwrap_or(0);
                    match i {
                        2 => c,
                        _ if numeric[i] => format!("{c:>w$}"),
                        _ => format!("{c:<w$}"),
                    }
                })
                .collect()
        };
        let rows: Vec<(Vec<String>, bool)> = (self.top..n.min(self.top + page))
            .filter_map(|i| self.line(i))
            .map(|l| (padded(self.cells(l)), false))
            .collect();
        let headers =
            ["date", "doc", "description", "debit", "credit", "balance"].map(String::from);
        let title = match (self.earlier && self.found.is_none(), self.lines.first()) {
            (true, Some(first)) => format!("{n} newest lines, from {} (Home: all)", first.date),
            _ if n == 1 => "1 line".to_string(),
            _ => format!("{n} lines"),
        };
        (self.list.page, self.list.next_col) = draw_table(
            f,
            table,
            ctx,
            &title,
            &headers,
            &numeric,
            &[false; 6],
            &rows,
            self.list.selected - self.top,
            (self.name(), self.list.first_col),
            &empty_text(&self.list, "no lines"),
        );
        let last = self.lines.last().map_or(Decimal::ZERO, |l| l.balance);
        let c = &self.currency;
        let (text, style) = if last == self.balance {
            (
                format!(
                    "balance {} = trial balance; Enter: the document",
                    amount(self.balance, c)
                ),
                theme.dim(),
            )
        } else {
            (
                format!(
                    "lines sum to {}, trial balance {}: log records missing",
                    amount(last, c),
                    amount(self.balance, c)
                ),
                theme.error(),
            )
        };
        let line = match self.list.focus {
            Some(Focus::Filter) => foot_line(ctx, &self.list, String::new()),
            // A kept filter stays in sight, and how to be rid of it.
            _ if !self.list.filter.text.is_empty() => {
                let kept = format!("/{}{KEPT}  ", self.list.filter.text);
                let room = (foot.width as usize).saturating_sub(1 + kept.chars().count());
                Line::from(vec![
                    Span::styled(kept, theme.label()),
                    Span::styled(fit(&text, room), style),
                ])
            }
            _ => Line::from(Span::styled(
                fit(&text, foot.width.saturating_sub(1) as usize),
                style,
            )),
        };
        f.render_widget(Paragraph::new(line), foot);
    }
}

/// A customer's or supplier's open items as of a day (what its aging row
/// sums); Enter opens the document.
pub struct PartyItems {
    pub payables: bool,
    pub party: Code,
    pub as_of: NaiveDate,
    name: String,
    pub items: Vec<OpenItem>,
    journals: SharedJournals,
    list: ListState,
}

impl PartyItems {
    pub fn new(
        ctx: &Ctx,
        payables: bool,
        party: &str,
        entity: Option<&str>,
        as_of: NaiveDate,
        journals: SharedJournals,
        later: Option<Arc<Later>>,
    ) -> PartyItems {
        let s = ctx.state();
        let all = if payables {
            fin::ap_open_items(s, entity, as_of)
        } else {
            fin::ar_open_items_with(s, entity, as_of, later.as_deref())
        };
        PartyItems {
            payables,
            party: party.to_string().into(),
            as_of,
            name: party_name(s, payables, party),
            items: all.into_iter().filter(|i| i.party == party).collect(),
            journals,
            list: ListState {
                page: 10,
                ..ListState::default()
            },
        }
    }

    fn shown(&self) -> Vec<&OpenItem> {
        let f = self.list.filter.trimmed().to_string();
        self.items
            .iter()
            .filter(|i| matches(&[i.doc.to_string(), i.due.to_string()], &f))
            .collect()
    }
}

impl Screen for PartyItems {
    fn name(&self) -> &'static str {
        "finance_items"
    }
    fn title(&self) -> String {
        format!("open items {}", self.party)
    }
    fn context(&self) -> Context {
        match self.list.focus {
            Some(Focus::Filter) => Context::Input,
            _ => Context::List,
        }
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        match self.list.focus {
            Some(Focus::Filter) => FILTER_ACTIONS.to_vec(),
            _ => {
                let mut a = vec![(Action::Open, "document"), (Action::Back, "back")];
                a.extend(list_actions(&self.list));
                a
            }
        }
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        if let Some(flow) = filter_key(&mut self.list, input) {
            return flow;
        }
        match input {
            Input::Action(Action::Back | Action::Cancel) => Flow::Pop,
            Input::Action(Action::Open) => {
                let it = self
                    .shown()
                    .get(self.list.selected)
                    .map(|i| (i.entity.clone(), i.doc.clone()));
                match it {
                    Some((_, d)) if d == fin::DEBIT_BALANCE => Flow::Stay,
                    Some((e, d)) => open_document(ctx, &e, &d, &self.journals),
                    None => Flow::Stay,
                }
            }
            Input::Action(a) => {
                let n = self.shown().len();
                self.list.selected = moved(self.list.selected, n, a, self.list.page);
                Flow::Stay
            }
            Input::Char(_) => Flow::Stay,
        }
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let theme = ctx.theme;
        let [head, table, foot] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(1),
        ])
        .areas(area);
        f.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(format!("{} {}", self.party, self.name), theme.label()),
                Span::raw(format!("  open items as of {}", self.as_of)),
            ])),
            head,
        );
        let rows: Vec<(Vec<String>, bool)> = self
            .shown()
            .iter()
            .map(|i| {
                let days = (self.as_of - i.due).num_days().max(0);
                (
                    vec![
                        i.doc.to_string(),
                        i.date.to_string(),
                        i.due.to_string(),
                        days.to_string(),
                        fin::AGING_LABELS[fin::bucket_of(i.due, self.as_of)].to_string(),
                        i.currency.to_string(),
                        amount(i.open, &i.currency),
                    ],
                    false,
                )
            })
            .collect();
        let n = rows.len();
        self.list.selected = self.list.selected.min(n.saturating_sub(1));
        let headers =
            ["document", "date", "due", "days", "bucket", "cur", "open"].map(String::from);
        (self.list.page, self.list.next_col) = draw_table(
            f,
            table,
            ctx,
            &format!("{n} open item{}", if n == 1 { "" } else { "s" }),
            &headers,
            &[false, false, false, true, false, false, true],
            &[false; 7],
            &rows,
            self.list.selected,
            (self.name(), self.list.first_col),
            &empty_text(&self.list, "nothing open"),
        );
        // The total of the rows shown: under a filter, of those it keeps.
        let mut per: std::collections::BTreeMap<String, (Currency, Decimal)> = Default::default();
        for i in self.shown() {
            per.entry(i.currency.to_string())
                .or_insert((i.currency.clone(), Decimal::ZERO))
                .1 += i.open;
        }
        let total: Vec<String> = per
            .values()
            .map(|(c, v)| format!("{} {c}", amount(*v, c)))
            .collect();
        let of = if self.list.filter.trimmed().is_empty() {
            String::new()
        } else {
            format!("of {n} shown ")
        };
        let text = format!("total {of}{}; Enter: the document", total.join(", "));
        // Under a kept filter, the foot shows it first ("/C0009 (Esc
        // clears)  total ...").
        let text = fit(
            &text,
            (foot.width as usize).saturating_sub(1 + kept_width(&self.list)),
        );
        f.render_widget(Paragraph::new(foot_line(ctx, &self.list, text)), foot);
    }
}

/// A document's journal entries (what it posted), for documents without a
/// screen of their own.
pub struct DocEntries {
    pub entity: Code,
    pub doc: String,
    pub entries: Vec<Posted>,
    currency: Currency,
    scroll: usize,
    page: usize,
}

impl DocEntries {
    pub fn new(ctx: &Ctx, entity: &str, doc: &str, journals: SharedJournals) -> DocEntries {
        let s = ctx.state();
        DocEntries {
            entity: entity.to_string().into(),
            doc: doc.to_string(),
            entries: journals.doc_entries(ctx, entity, doc),
            currency: s
                .entities
                .get(&entity.to_code())
                .map(|e| e.base_currency.clone())
                .unwrap_or_else(|| Currency::new("XXX")),
            scroll: 0,
            page: 10,
        }
    }

    fn lines(&self, s: &State, width: usize) -> Vec<(String, bool)> {
        let c = &self.currency;
        let mut out = Vec::new();
        for p in &self.entries {
            let e = &p.entry;
            out.push((
                format!("{}  {}  {}  (record {})", e.date, e.period, e.memo, p.seq),
                true,
            ));
            for l in &e.lines {
                let name = s
                    .accounts
                    .get(&(e.entity.clone(), l.account.clone()))
                    .map(|a| a.name.as_str())
                    .unwrap_or("");
                let sub = l
                    .sub
                    .as_deref()
                    .map(|x| format!(" {x}"))
                    .unwrap_or_default();
                let name_w = width.saturating_sub(8 + 14 + 14 + 2);
                out.push((
                    format!(
                        "  {:<6} {:<name_w$}{:>14}{:>14}",
                        l.account,
                        fit(&format!("{name}{sub}"), name_w),
                        blank_zero(l.debit, c),
                        blank_zero(l.credit, c),
                    ),
                    false,
                ));
            }
        }
        if out.is_empty() {
            out.push((
                format!(
                    "no journal entry of {} posts document {}",
                    self.entity, self.doc
                ),
                false,
            ));
        }
        out
    }
}

impl Screen for DocEntries {
    fn name(&self) -> &'static str {
        "finance_doc"
    }
    fn title(&self) -> String {
        format!("document {}", self.doc)
    }
    fn context(&self) -> Context {
        Context::List
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        vec![
            (Action::Back, "back"),
            (Action::Down, "scroll"),
            (Action::Help, "keys"),
        ]
    }
    fn handle(&mut self, input: Input, _ctx: &Ctx) -> Flow {
        match input {
            Input::Action(Action::Back | Action::Cancel) => Flow::Pop,
            Input::Action(a) => {
                self.scroll = moved(self.scroll, usize::MAX / 2, a, self.page);
                Flow::Stay
            }
            Input::Char(_) => Flow::Stay,
        }
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let theme = ctx.theme;
        let lines = self.lines(ctx.state(), area.width as usize);
        self.page = area.height.saturating_sub(2).max(1) as usize;
        let max = lines.len().saturating_sub(self.page);
        self.scroll = self.scroll.min(max);
        let [head, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
        f.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(format!("{} {}", self.entity, self.doc), theme.label()),
                Span::raw(format!(
                    "  {} journal entr{} ({})",
                    self.entries.len(),
                    if self.entries.len() == 1 { "y" } else { "ies" },
                    self.currency
                )),
            ])),
            head,
        );
        let shown: Vec<Line> = lines
            .into_iter()
            .skip(self.scroll)
            .map(|(t, bold)| {
                if bold {
                    Line::from(Span::styled(t, theme.label()))
                } else {
                    Line::from(t)
                }
            })
            .collect();
        f.render_widget(
            Paragraph::new(shown).block(Block::new().borders(Borders::TOP).title(" posted ")),
            body,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aging() -> (Vec<String>, Vec<bool>, Vec<Vec<String>>) {
        let headers: Vec<String> = [
            "customer", "name", "cur", "current", "1-30", "31-60", "61-90", "90+", "total",
        ]
        .map(String::from)
        .to_vec();
        let optional = headers.iter().map(|h| h == "name").collect();
        let mut total = vec!["TOTAL".to_string(), String::new(), "USD".to_string()];
        total.extend(["12,345,678.90"; 6].map(String::from));
        (headers, optional, vec![total])
    }

    fn row(cells: &[&str], total: bool, sum: Option<RowSum>) -> GridRow {
        GridRow {
            cells: cells.iter().map(|c| c.to_string()).collect(),
            drill: Drill::None,
            total,
            sum,
        }
    }

    #[test]
    fn a_filter_sums_the_totals_again_over_the_rows_it_keeps() {
        let (usd, eur) = (Currency::new("USD"), Currency::new("EUR"));
        let d = |n: i64| Decimal::new(n, 2);
        let detail = |code: &str, c: &Currency, a: i64, b: i64| {
            let cells = [
                code,
                "name",
                c.0.as_str(),
                &amount(d(a), c),
                &amount(d(b), c),
            ];
            row(&cells, false, Some(RowSum::new(c, [(3, d(a)), (4, d(b))])))
        };
        let total = |c: &Currency, a: i64, b: i64| {
            let cells = [
                "TOTAL",
                "",
                c.0.as_str(),
                &amount(d(a), c),
                &amount(d(b), c),
            ];
            row(&cells, true, Some(RowSum::new(c, [(3, d(a)), (4, d(b))])))
        };
        let g = Grid {
            rows: vec![
                detail("C1", &usd, 1000, 250),
                detail("C12", &usd, 500, 1),
                detail("C2", &usd, 7, 7),
                detail("C3", &eur, 300, 0),
                // A section's total: kept as it is.
                row(&["", "Assets", "", "9.99", ""], true, None),
                total(&usd, 1507, 258),
                total(&eur, 300, 0),
            ],
            ..Grid::default()
        };
        // No filter: every row as built.
        assert_eq!(filtered(&g, "").len(), 7);
        // C1 and C12, both USD: the USD total is theirs, the EUR one goes.
        let rows = filtered(&g, "c1");
        let cells: Vec<Vec<String>> = rows.iter().map(|r| r.cells.clone()).collect();
        assert_eq!(cells.len(), 4, "{cells:?}");
        assert_eq!(cells[0][0], "C1");
        assert_eq!(cells[1][0], "C12");
        assert_eq!(cells[2][1], "Assets");
        assert_eq!(cells[2][3], "9.99");
        assert_eq!(
            cells[3],
            ["TOTAL", "2 shown", "USD", "15.00", "2.51"].map(String::from)
        );
        // One EUR row: its total only.
        let rows = filtered(&g, "EUR");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2].cells[1], "1 shown");
        assert_eq!(rows[2].cells[3], "3.00");
        // Nothing matches: nothing, not even a total or a section.
        assert!(filtered(&g, "ZZZ").is_empty());
        // A book out of balance still says so under a filter.
        let mut tb = g.clone();
        tb.rows[5].cells[1] = OUT_OF_BALANCE.to_string();
        let rows = filtered(&tb, "C2");
        assert_eq!(rows[2].cells[1], "1 shown; book OUT OF BALANCE");
        // A message is never filtered.
        let m = Grid {
            message: true,
            rows: vec![row(&["reading"], true, None)],
            ..Grid::default()
        };
        assert_eq!(filtered(&m, "ZZZ").len(), 1);
    }

    #[test]
    fn a_table_too_wide_shows_whole_columns_a_page_at_a_time() {
        let (headers, optional, rows) = aging();
        // Wide enough: every column, the name too.
        let (cols, next) = layout(&headers, &optional, &rows, 200, 0);
        assert_eq!(next, None);
        assert!(cols.iter().all(Option::is_some));
        // At 80 columns: the first column and whole others, page by page.
        let mut first = 0;
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..headers.len() {
            let (cols, next) = layout(&headers, &optional, &rows, 80, first);
            assert_eq!(cols[0], Some(8), "the first column stays");
            assert_eq!(cols[1], None, "the optional name goes first");
            let used: u32 = cols.iter().flatten().map(|w| u32::from(*w) + 1).sum();
            assert!(used <= 80, "{cols:?}");
            for (i, w) in cols.iter().enumerate().skip(1) {
                if let Some(w) = w {
                    // Whole: as wide as its widest cell.
                    let widest = rows[0][i].len().max(headers[i].len());
                    assert_eq!(usize::from(*w), widest, "{i}");
                    seen.insert(i);
                }
            }
            first = next.expect("a page of columns");
            if first == 0 {
                break;
            }
        }
        assert_eq!(
            seen.into_iter().collect::<Vec<_>>(),
            vec![2, 3, 4, 5, 6, 7, 8],
            "every column but the optional one, each once"
        );
        // A terminal narrower than one column still shows one.
        let (cols, next) = layout(&headers, &optional, &rows, 12, 0);
        assert_eq!(cols.iter().flatten().count(), 2);
        assert_eq!(next, Some(1));
    }
}
