//! The supervisor's exception queue (issue 20): every open hold and
//! approval, most severe first and oldest first within a severity, with
//! counts by kind in the header. Type to filter (words match the kind,
//! document, entity, warehouse, owner or party, and a change request's
//! subject (the period a reopen asks for); `age>N` keeps those open
//! more than N days). Enter opens the blocked document on its screen,
//! positioned on it (`document`): the order inquiry for an order (or the
//! order of a pick, a carton, a disputed invoice), purchasing on a PO,
//! supplier invoices on a held invoice, the item lookup on an item's
//! finding, master data on the customer, supplier or list price a
//! finding names (`MasterData::on_record`); a screen the operator's menu
//! does not have is not opened, and what no screen shows (a count, a
//! governed change) is said on the status line. The
//! function keys act on the selected line from the list or the filter
//! line: approve, reject with a reason, reassign, comment, snooze until
//! a date; not while a prompt's text is typed (said, the text kept, so
//! that a reason typed is not lost). Every action is a core
//! command: a refusal is shown with its reason ("you requested this
//! ..."), a prompt's text kept open to be mended, and the list follows
//! every commit.
//!
//! The kinds that are true or not on a day (backorders past their
//! promise, late shipments, credit left unapplied too long) are computed
//! from the documents on the clock, never stored: they are listed among
//! the others with their severity and age, Enter opens the document
//! where the work is (the order, the customer's cash application) when
//! the operator's menu has that screen (else it says what the row is),
//! and they leave the list when that work is done.
//!
//! Below them, the models' predictions (issue 23): open orders likely to
//! ship late (`late risk (predicted)`, p at least
//! `model_worker::LATE_QUEUE_MIN`), each with its probability and the
//! factors adding most to it in the detail pane, and the record and age
//! of the training. A prediction blocks nothing and cannot be approved
//! or rejected: Enter opens the order, where the supervisor acts; what
//! a person says about it (given to somebody, a comment, snoozed until a
//! date) is a note the core keeps by episode (`ClockKey::LateRisk`: the
//! order and its requested day), as for the kinds computed on the clock;
//! once the order is late, its late row carries who the prediction was
//! given to and what was said about it (`exceptions::clock_exceptions`).

use crate::core::auth::{Permission, Role};
use crate::core::exceptions::{
    clock_exceptions, Blocked, ClockException, ClockKey, Comment, Exception, ExceptionKind,
    ExceptionStatus, Owner, Severity,
};
use crate::core::types::ToCode;
use crate::core::CommandBody;
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::{fit, moved, reselected, TextField};
use chrono::{DateTime, NaiveDate, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;
use rust_decimal::Decimal;

/// What the prompt line is asking for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    Reject,
    Reassign,
    Comment,
    Snooze,
}

impl Prompt {
    fn label(self) -> &'static str {
        match self {
            Prompt::Reject => "reject, reason",
            Prompt::Reassign => "reassign to (role, or @OPERATOR)",
            Prompt::Comment => "comment",
            Prompt::Snooze => "snooze until (YYYY-MM-DD reason)",
        }
    }
    /// What is typed at it, in words.
    fn noun(self) -> &'static str {
        match self {
            Prompt::Reject => "reason",
            Prompt::Reassign => "new owner",
            Prompt::Comment => "comment",
            Prompt::Snooze => "snooze date",
        }
    }
}

/// The queue's own actions on its selected line (its function keys).
fn acts_on_a_line(a: Action) -> bool {
    matches!(
        a,
        Action::Approve | Action::Reject | Action::Reassign | Action::Comment | Action::Snooze
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    List,
    Filter,
    Prompt(Prompt),
}

/// Where a computed exception's work is done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Order(String),
    Customer(String),
}

/// Where the work of a clock-computed exception is done.
pub fn target(key: &ClockKey) -> Target {
    match key {
        ClockKey::Backorder { order, .. }
        | ClockKey::LateShipment { order, .. }
        | ClockKey::LateRisk { order, .. } => Target::Order(order.to_string()),
        ClockKey::UnappliedCash { customer, .. } => Target::Customer(customer.to_string()),
    }
}

/// The screen Enter opens on a held exception's document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Document {
    /// The order inquiry on this order, or on a document that finds its
    /// order (an invoice number), as if typed into its filter.
    Order(String),
    /// Purchasing, on this purchase order.
    PurchaseOrder(String),
    /// Supplier invoices, on this invoice.
    SupplierInvoice(String),
    /// The item lookup, on this SKU.
    Item(String),
    /// Master data, on the form of this record (a customer, a supplier,
    /// a list price `LIST/SKU`); `note` says why it is another record
    /// than the finding names (a price no longer on its list: its item).
    Record {
        kind: super::master_data::Kind,
        key: String,
        note: Option<String>,
    },
    /// No screen shows it: said on the status line.
    None,
}

impl Document {
    /// The menu label of the screen that shows it (None: no screen).
    fn screen(&self) -> Option<&'static str> {
        Some(match self {
            Document::Order(_) => "Order inquiry",
            Document::PurchaseOrder(_) => "Purchasing",
            Document::SupplierInvoice(_) => "Supplier invoices",
            Document::Item(_) => "Item lookup",
            Document::Record { .. } => "Master data",
            Document::None => return None,
        })
    }
}

/// The master data record a finding of a customer, a supplier or a
/// price is fixed on. A price's key (`LIST/SKU`) is the list price's own
/// key in master data; a price no longer on its list opens its item,
/// and says so.
fn finding_record(
    s: &crate::core::State,
    rule: crate::core::quality::QualityRule,
    key: &str,
) -> Document {
    use super::master_data::Kind;
    use crate::core::quality::QualityRule;
    let record = |kind, key: &str| Document::Record {
        kind,
        key: key.to_string(),
        note: None,
    };
    match rule {
        QualityRule::DuplicateCustomer => record(Kind::Customers, key),
        QualityRule::SupplierLeadTime => record(Kind::Suppliers, key),
        QualityRule::PriceBelowCost => {
            let (list, sku) = key.split_once('/').unwrap_or(("", key));
            let listed = s
                .price_lists
                .get(&list.to_code())
                .is_some_and(|l| l.prices.contains_key(&sku.to_code()));
            if !listed && s.items.contains_key(&sku.to_code()) {
                Document::Record {
                    kind: Kind::Items,
                    key: sku.to_string(),
                    note: Some(format!(
                        "price {key} is no longer on its list: its item {sku} is shown"
                    )),
                }
            } else {
                record(Kind::ListPrices, key)
            }
        }
        QualityRule::ItemBarcode
        | QualityRule::ItemWeight
        | QualityRule::ItemCost
        | QualityRule::DuplicateItem => Document::Item(key.to_string()),
    }
}

/// Where a held exception's document is shown.
pub fn document(s: &crate::core::State, blocked: &Blocked) -> Document {
    match blocked {
        Blocked::Order { number, .. } => Document::Order(number.to_string()),
        Blocked::PickLine { list, .. } | Blocked::Carton { list, .. } => s
            .picks
            .get(list)
            .map_or(Document::None, |p| Document::Order(p.order.to_string())),
        // A customer's invoice disputed: its order, with its invoices,
        // what is open and the payments (as the finance views drill).
        Blocked::Invoice { number } => Document::Order(number.to_string()),
        Blocked::PurchaseOrder { number } => Document::PurchaseOrder(number.to_string()),
        Blocked::SupplierInvoice { number } => Document::SupplierInvoice(number.to_string()),
        // A finding of an item: the item lookup (its stock beside it);
        // of a customer, a supplier or a price: master data, on the
        // record to fix.
        Blocked::DataQuality { rule, key } => finding_record(s, *rule, key),
        Blocked::Count { .. } | Blocked::Change { .. } => Document::None,
    }
}

/// What a held exception whose document no screen shows is, and where
/// it is dealt with.
fn no_screen(s: &crate::core::State, x: &Exception) -> String {
    match &x.blocked {
        Blocked::Change { id } => {
            let what = change_values(s, *id).join("; ");
            if what.is_empty() {
                format!("{}: {}; approve or reject it here", x.blocked, x.summary)
            } else {
                format!("{}: {}: {what}", x.blocked, x.summary)
            }
        }
        Blocked::Count { .. } => format!(
            "{}: {}; approve or reject it here (no desk screen shows a count)",
            x.blocked, x.summary
        ),
        _ => format!("{}: {}", x.blocked, x.summary),
    }
}

/// May the signed-in operator open the menu's screen `label`? A screen
/// opened from the queue is one its menu would open for them.
fn may_open(ctx: &Ctx, label: &str) -> bool {
    super::menu_for(ctx).iter().any(|e| e.label == label)
}

/// A row of the queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    Held(u64),
    Clock(Box<ClockException>),
    /// A model's prediction: blocks nothing, listed after the rest.
    Predicted(Box<Predicted>),
}

/// What a row is about, whatever else changes on it: the cursor stays
/// on it when the list moves under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowKey {
    Held(u64),
    Clock(ClockKey),
    Predicted(ClockKey),
}

impl Row {
    pub fn key(&self) -> RowKey {
        match self {
            Row::Held(id) => RowKey::Held(*id),
            Row::Clock(c) => RowKey::Clock(c.key.clone()),
            Row::Predicted(p) => RowKey::Predicted(p.key.clone()),
        }
    }
}

/// An open order the late-shipment model finds at risk, with its reasons.
#[derive(Clone, Debug)]
pub struct Predicted {
    pub risk: crate::models::late::Risk,
    pub customer: String,
    pub entity: String,
    pub warehouse: String,
    pub amount: Decimal,
    pub unit: String,
    pub requested: NaiveDate,
    /// The episode a note on it is kept under (the order and its
    /// requested day).
    pub key: ClockKey,
    /// Who it was given to, if anybody (else it is listed as predicted).
    pub owner: Option<Owner>,
    /// Snoozed until a date (out of the list while `until > today`).
    pub snoozed: Option<(NaiveDate, String)>,
    pub comments: Vec<Comment>,
}

impl PartialEq for Predicted {
    fn eq(&self, o: &Self) -> bool {
        self.risk.order == o.risk.order
            && self.risk.p_late.to_bits() == o.risk.p_late.to_bits()
            && self.key == o.key
            && self.owner == o.owner
            && self.snoozed == o.snoozed
            && self.comments == o.comments
    }
}
impl Eq for Predicted {}

impl Predicted {
    /// "62%".
    pub fn pct(&self) -> String {
        format!("{:.0}%", self.risk.p_late * 100.0)
    }
    /// The owner column: whoever it was given to, else `predicted`.
    pub fn listed_owner(&self) -> String {
        self.owner
            .as_ref()
            .map_or_else(|| "predicted".to_string(), |o| o.to_string())
    }
    /// Not snoozed past `today`.
    pub fn in_queue(&self, today: NaiveDate) -> bool {
        self.snoozed
            .as_ref()
            .is_none_or(|(until, _)| *until <= today)
    }
    /// The factors, as the model gives them ("carrier ODFL: 1 (+0.85
    /// log-odds)"), joined.
    pub fn factors(&self) -> String {
        self.risk
            .reasons
            .iter()
            .map(|(what, n)| format!("{what}: {n}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The kind a prediction is listed as.
pub const PREDICTED_LATE: &str = "late risk (predicted)";

/// The open orders of `sugg` at least `LATE_QUEUE_MIN` likely to ship
/// late, still open and unshipped in `s`, with no computed row of their
/// own (an order already late is listed as such), riskiest first, with
/// what was said about them (snoozed ones included: `in_queue`).
pub fn predictions(
    s: &crate::core::State,
    sugg: &crate::ui::model_worker::Suggestions,
    clock: &[ClockException],
    filter: &str,
) -> Vec<Predicted> {
    use crate::core::sales::OrderStatus;
    sugg.late
        .iter()
        .filter(|r| r.p_late >= crate::ui::model_worker::LATE_QUEUE_MIN)
        .filter(|r| {
            !clock
                .iter()
                .any(|c| c.key.order() == Some(r.order.as_str()))
        })
        .filter_map(|r| {
            let o = s.orders.get(&r.order.to_code())?;
            let shipped = o.lines.iter().any(|l| !l.shipped.is_zero());
            if o.status != OrderStatus::Open || shipped {
                return None;
            }
            let key = ClockKey::LateRisk {
                order: o.number.clone(),
                requested: o.requested,
            };
            // What a person said about it, while the core takes notes on
            // it (open, with something to ship, still requested then).
            let note = crate::core::exceptions::late_risk(s, &key).ok();
            let said = s.clock_notes.get(&key);
            Some(Predicted {
                key,
                owner: said.and_then(|n| n.owner.clone()),
                snoozed: note.as_ref().and_then(|n| n.snoozed.clone()),
                comments: note.map(|n| n.comments).unwrap_or_default(),
                risk: r.clone(),
                customer: o.customer.to_string(),
                entity: o.entity.to_string(),
                warehouse: o
                    .lines
                    .first()
                    .map(|l| l.warehouse.clone())
                    .unwrap_or_default()
                    .to_string(),
                amount: o.value(),
                unit: o.currency.to_string(),
                requested: o.requested,
            })
        })
        .filter(|p| {
            filter.split_whitespace().all(|w| {
                let w = w.to_lowercase();
                [
                    PREDICTED_LATE.to_string(),
                    "predicted late risk".to_string(),
                    format!("order {}", p.risk.order),
                    p.customer.clone(),
                    p.entity.clone(),
                    p.warehouse.clone(),
                    p.owner.as_ref().map(|o| o.to_string()).unwrap_or_default(),
                ]
                .iter()
                .any(|h| h.to_lowercase().contains(&w))
            })
        })
        .collect()
}

/// What the pending submission acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Acting {
    Held(u64),
    Clock(ClockKey),
}

impl Acting {
    /// Is `row` the exception this acts on?
    fn is(&self, row: &Row) -> bool {
        match (self, row) {
            (Acting::Held(id), Row::Held(r)) => id == r,
            (Acting::Clock(key), Row::Clock(r)) => *key == r.key,
            (Acting::Clock(key), Row::Predicted(p)) => *key == p.key,
            _ => false,
        }
    }
}

/// A prompt's text sent as a command, kept until the outcome: if the
/// core refuses it, the prompt opens again with it, to be mended.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Typed {
    prompt: Prompt,
    text: String,
    /// What the reject does (shown on its prompt).
    rejecting: Option<(String, bool)>,
}

/// Does the computed row pass the filter words (all must match)?
/// The filter word that lists the snoozed rows instead of the queue
/// (the header counted them, and nobody could see them).
pub const SNOOZED: &str = "snoozed";

/// Does the filter ask for the snoozed rows?
pub fn wants_snoozed(filter: &str) -> bool {
    filter
        .split_whitespace()
        .any(|w| w.eq_ignore_ascii_case(SNOOZED))
}

pub fn clock_matches(r: &ClockException, filter: &str) -> bool {
    filter.split_whitespace().all(|w| {
        if let Some(n) = w.strip_prefix("age>").and_then(|n| n.parse::<i64>().ok()) {
            return r.days > n;
        }
        if w.eq_ignore_ascii_case(SNOOZED) {
            return true;
        }
        let w = w.to_lowercase();
        [
            r.kind().as_str().to_string(),
            r.kind().label().to_string(),
            r.key.to_string(),
            r.entity.to_string(),
            r.warehouse.clone().unwrap_or_default().to_string(),
            r.owner.to_string(),
            r.party.to_string(),
        ]
        .iter()
        .any(|h| h.to_lowercase().contains(&w))
    })
}

pub struct Exceptions {
    pub focus: Focus,
    pub filter: TextField,
    pub input: TextField,
    pub selected: usize,
    page: usize,
    /// Rows listed, cached by (view seq, minute, filter).
    /// Shared, so a key that only moves the cursor does not copy them.
    rows: Option<RowsCache>,
    notice: Option<Notice>,
    /// The exception the pending submission acts on.
    acting: Option<Acting>,
    /// The kinds computed on the clock (backorders past their promise,
    /// late shipments, unapplied cash past its days), snoozed ones
    /// included, computed once per commit and minute: (seq, minute, rows).
    clock: Option<(u64, i64, Vec<ClockException>)>,
    /// Predictions snoozed past today, as of the rows listed.
    predicted_snoozed: usize,
    /// Who committed the record that raised an exception the core names
    /// no requester for (a short pick: the picker), read from the log
    /// once per record shown: (raised_seq, operator).
    raised_by: Option<(u64, String)>,
    /// What the reject being typed does to its document, and whether it
    /// cancels it (`exceptions::reject_does`): shown on the prompt.
    rejecting: Option<(String, bool)>,
    /// A reject that cancels a document, waiting for its y/n.
    pending: Option<(Acting, CommandBody)>,
    /// The prompt's text of the pending submission (None: not typed,
    /// an approve).
    typed: Option<Typed>,
    /// Whether the row under the cursor, as last drawn, can be approved
    /// and rejected: the key bar offers only those (F6 on a short pick,
    /// which is only acknowledged, said "reject" and then that it cannot).
    row_acts: (bool, bool),
}

/// Which training the rows' predictions came from (record, time).
type ModelKey = Option<(u64, i64)>;

/// The rows listed and what they were listed for: (view seq, minute,
/// filter, the models' training).
type RowsCache = (u64, i64, String, ModelKey, std::rc::Rc<Vec<Row>>);

fn model_key(ctx: &Ctx) -> ModelKey {
    ctx.backend
        .suggestions()
        .map(|s| (s.seq, s.trained_at.timestamp_millis()))
}

impl Default for Exceptions {
    fn default() -> Self {
        Exceptions::new()
    }
}

/// Whole days (or hours, under a day) since `t`.
pub fn age(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
    let d = now - t;
    if d.num_days() >= 1 {
        format!("{}d", d.num_days())
    } else {
        format!("{}h", d.num_hours().max(0))
    }
}

/// A row of the list as its columns show it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Cells {
    /// Its severity ("!!", "! ", "· ", "  "; "? " for a prediction).
    mark: &'static str,
    /// Drawn dim (a prediction).
    dim: bool,
    id: String,
    kind: String,
    document: String,
    entity: String,
    whse: String,
    owner: String,
    amount: String,
    /// Its age ("3d", "5h"); a prediction's probability.
    age: String,
    party: String,
}

/// A column of the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    Id,
    Kind,
    Document,
    Entity,
    Whse,
    Owner,
    Amount,
    Age,
    Party,
}

impl Col {
    /// The columns at 80 columns, and from 110 on.
    const NARROW: [Col; 6] = [
        Col::Id,
        Col::Kind,
        Col::Document,
        Col::Amount,
        Col::Age,
        Col::Owner,
    ];
    const WIDE: [Col; 9] = [
        Col::Id,
        Col::Kind,
        Col::Document,
        Col::Entity,
        Col::Whse,
        Col::Owner,
        Col::Amount,
        Col::Age,
        Col::Party,
    ];

    fn header(self) -> &'static str {
        match self {
            Col::Id => "id",
            Col::Kind => "kind",
            Col::Document => "document",
            Col::Entity => "entity",
            Col::Whse => "whse",
            Col::Owner => "owner",
            Col::Amount => "amount",
            Col::Age => "age",
            Col::Party => "party",
        }
    }

    fn of(self, c: &Cells) -> &str {
        match self {
            Col::Id => &c.id,
            Col::Kind => &c.kind,
            Col::Document => &c.document,
            Col::Entity => &c.entity,
            Col::Whse => &c.whse,
            Col::Owner => &c.owner,
            Col::Amount => &c.amount,
            Col::Age => &c.age,
            Col::Party => &c.party,
        }
    }

    /// Figures, right-aligned.
    fn right(self) -> bool {
        matches!(self, Col::Id | Col::Amount | Col::Age)
    }

    /// Left out, when the columns do not fit, if no row in sight has
    /// anything in it (a finding of a master record has no amount, no
    /// warehouse, no party): before any text is cut.
    fn optional(self) -> bool {
        matches!(self, Col::Entity | Col::Whse | Col::Amount | Col::Party)
    }

    /// Its width when what it shows fits in it (the list's columns as
    /// they always stood): wider when a cell in sight needs more, down to
    /// the cells' width when the line is short of room.
    fn preferred(self, wide: bool) -> usize {
        match (self, wide) {
            (Col::Id, false) => 3,
            (Col::Id, true) => 4,
            (Col::Kind, false) => 6,
            (Col::Kind, true) => 7,
            (Col::Document, false) => 22,
            (Col::Document, true) => 24,
            (Col::Entity, _) => 6,
            (Col::Whse, _) => 5,
            (Col::Owner, false) => 10,
            (Col::Owner, true) => 12,
            (Col::Amount, false) => 16,
            (Col::Amount, true) => 18,
            (Col::Age, _) => 4,
            (Col::Party, _) => 0,
        }
    }

    /// Spaces before it (the party stands apart from the age).
    fn gap(self) -> usize {
        match self {
            Col::Party => 2,
            _ => 1,
        }
    }

    /// How narrow it is cut when the columns do not fit: first the words
    /// (document, owner, party, kind) down to the first width, then every
    /// column down to the second; the widest column gives first.
    fn narrowest(self) -> (usize, usize) {
        match self {
            Col::Document => (16, 8),
            Col::Owner => (10, 5),
            Col::Party => (6, 5),
            Col::Kind => (6, 4),
            Col::Id => (usize::MAX, 2),
            Col::Entity | Col::Amount => (usize::MAX, 4),
            Col::Whse | Col::Age => (usize::MAX, 3),
        }
    }
}

/// A column fitted: its width, and the widest of its header and its
/// cells in sight (`need`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fit {
    col: Col,
    width: usize,
    need: usize,
    /// No cell in sight has anything in it.
    empty: bool,
}

/// The list's columns and their widths, fitted to the rows in sight.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Columns(Vec<Fit>);

impl Columns {
    /// Each column at its usual width (`Col::preferred`), or as wide as
    /// its widest cell among `rows` when that is wider, in `room`
    /// characters. When they do not fit, in turn until they do: the
    /// columns give what they have beyond their cells (the one with most
    /// first); the columns nothing in sight fills are left out; the
    /// widest text is cut (`Col::narrowest`). Past the narrowest, the
    /// list cuts the line at its border.
    fn fitted(wide: bool, rows: &[Cells], room: usize) -> Columns {
        let order: &[Col] = if wide { &Col::WIDE } else { &Col::NARROW };
        let mut cols: Vec<Fit> = order
            .iter()
            .map(|&col| {
                let widest = rows
                    .iter()
                    .map(|r| col.of(r).chars().count())
                    .max()
                    .unwrap_or(0);
                let need = widest.max(col.header().chars().count());
                Fit {
                    col,
                    width: need.max(col.preferred(wide)),
                    need,
                    empty: widest == 0,
                }
            })
            .collect();
        let used = |cols: &[Fit]| -> usize {
            cols.iter()
                .enumerate()
                .map(|(i, f)| f.width + if i == 0 { 0 } else { f.col.gap() })
                .sum()
        };
        // Give back down to a floor, the column with most above it first.
        let give = |cols: &mut Vec<Fit>, floor: &dyn Fn(&Fit) -> usize| {
            while used(cols) > room {
                let Some(f) = cols
                    .iter_mut()
                    .filter(|f| f.width > floor(f))
                    .max_by_key(|f| f.width - floor(f))
                else {
                    break;
                };
                f.width -= 1;
            }
        };
        give(&mut cols, &|f| f.need);
        if used(&cols) > room && !rows.is_empty() {
            cols.retain(|f| !(f.empty && f.col.optional()));
        }
        give(&mut cols, &|f| f.need.min(f.col.narrowest().0));
        give(&mut cols, &|f| f.need.min(f.col.narrowest().1));
        Columns(cols)
    }

    fn line(&self, text: impl Fn(Col) -> String) -> String {
        let last = self.0.len().saturating_sub(1);
        let mut out = String::new();
        for (i, f) in self.0.iter().enumerate() {
            if i > 0 {
                out.push_str(&" ".repeat(f.col.gap()));
            }
            let (t, w) = (fit(&text(f.col), f.width), f.width);
            out.push_str(&if f.col.right() {
                format!("{t:>w$}")
            } else if i == last {
                t
            } else {
                format!("{t:<w$}")
            });
        }
        out
    }

    fn header(&self) -> String {
        self.line(|c| c.header().to_string())
    }

    fn row(&self, cells: &Cells) -> String {
        self.line(|c| c.of(cells).to_string())
    }
}

/// Does `x` pass the filter words (all must match)?
pub fn matches(x: &Exception, filter: &str, now: DateTime<Utc>) -> bool {
    filter.split_whitespace().all(|w| {
        if let Some(n) = w.strip_prefix("age>").and_then(|n| n.parse::<i64>().ok()) {
            return x.age_days(now) > n;
        }
        if w.eq_ignore_ascii_case(SNOOZED) {
            return true;
        }
        let w = w.to_lowercase();
        let hay = [
            x.kind.as_str().to_string(),
            x.kind.label().to_lowercase(),
            x.blocked.to_string().to_lowercase(),
            x.entity
                .clone()
                .unwrap_or_default()
                .to_lowercase()
                .to_string(),
            x.warehouse
                .clone()
                .unwrap_or_default()
                .to_lowercase()
                .to_string(),
            x.owner.to_string().to_lowercase(),
            x.party
                .clone()
                .unwrap_or_default()
                .to_lowercase()
                .to_string(),
            // A change request's document is only its number: what it
            // changes (the period a reopen asks for, the customer whose
            // limit) is in what the line says.
            if matches!(x.blocked, Blocked::Change { .. }) {
                x.summary.to_lowercase()
            } else {
                String::new()
            },
        ];
        hay.iter().any(|h| h.contains(&w))
    })
}

/// The queue as listed: open, not snoozed past today, matching the
/// filter; most severe first, then oldest.
pub fn queue(
    s: &crate::core::State,
    filter: &str,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Vec<u64> {
    let snoozed = wants_snoozed(filter);
    let rows: Vec<&Exception> = s
        .open_exceptions
        .values()
        .filter_map(|id| s.exceptions.get(id))
        .filter(|x| x.in_queue(today) != snoozed && matches(x, filter, now))
        .collect();
    let mut rows: Vec<(Severity, &Exception)> = rows
        .into_iter()
        .map(|x| (crate::core::exceptions::severity_on(s, x, today), x))
        .collect();
    rows.sort_by(|(sa, a), (sb, b)| {
        sb.cmp(sa)
            .then(a.raised_at.cmp(&b.raised_at))
            .then(a.id.cmp(&b.id))
    });
    rows.into_iter().map(|(_, x)| x.id).collect()
}

/// The held exceptions (`queue`) and the computed ones merged: most
/// severe first, then the longest waiting.
pub fn merged(
    s: &crate::core::State,
    held: Vec<u64>,
    clock: &[ClockException],
    filter: &str,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Vec<Row> {
    let mut keyed: Vec<(Severity, DateTime<Utc>, Row)> = held
        .into_iter()
        .filter_map(|id| {
            let x = s.exceptions.get(&id)?;
            Some((
                crate::core::exceptions::severity_on(s, x, today),
                x.raised_at,
                Row::Held(id),
            ))
        })
        .collect();
    let snoozed = wants_snoozed(filter);
    keyed.extend(
        clock
            .iter()
            .filter(|r| r.in_queue(today) != snoozed && clock_matches(r, filter))
            .map(|r| {
                (
                    r.severity,
                    now - chrono::Duration::days(r.days),
                    Row::Clock(Box::new(r.clone())),
                )
            }),
    );
    // Stable: within a severity and a moment, held rows keep their order.
    keyed.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    keyed.into_iter().map(|(_, _, r)| r).collect()
}

impl Exceptions {
    pub fn new() -> Exceptions {
        Exceptions {
            focus: Focus::List,
            filter: TextField::default(),
            input: TextField::default(),
            selected: 0,
            page: 10,
            rows: None,
            notice: None,
            acting: None,
            clock: None,
            predicted_snoozed: 0,
            raised_by: None,
            rejecting: None,
            pending: None,
            typed: None,
            row_acts: (true, true),
        }
    }

    /// The kinds computed on the clock, due now: computed once per
    /// commit and minute (a day turning makes them due, not a commit).
    fn clock(&mut self, ctx: &Ctx) -> &[ClockException] {
        let minute = ctx.now.timestamp() / 60;
        let fresh =
            matches!(&self.clock, Some((seq, m, _)) if *seq == ctx.view.seq && *m == minute);
        if !fresh {
            let rows = clock_exceptions(ctx.state(), ctx.now);
            self.clock = Some((ctx.view.seq, minute, rows));
        }
        self.clock
            .as_ref()
            .map(|c| c.2.as_slice())
            .unwrap_or_default()
    }

    fn rows(&mut self, ctx: &Ctx) -> std::rc::Rc<Vec<Row>> {
        let f = self.filter.trimmed().to_string();
        let minute = ctx.now.timestamp() / 60;
        let mk = model_key(ctx);
        let fresh = matches!(&self.rows, Some((seq, m, q, k, _)) if *seq == ctx.view.seq && *m == minute && *q == f && *k == mk);
        if !fresh {
            // Another session's commit (an exception cleared above this
            // one, a new one raised), the minute turning or the model
            // retrained moves rows: the cursor stays on the row it was
            // on (a filter typed starts again from the top instead).
            let was = match &self.rows {
                Some((_, _, q, _, rows)) if *q == f => rows.get(self.selected).map(Row::key),
                _ => None,
            };
            let held = queue(ctx.state(), &f, ctx.now, ctx.today());
            let clock = self.clock(ctx).to_vec();
            let mut rows = merged(ctx.state(), held, &clock, &f, ctx.now, ctx.today());
            self.predicted_snoozed = 0;
            if let Some(sugg) = ctx.backend.suggestions() {
                let today = ctx.today();
                let (mut listed, mut snoozed): (Vec<Predicted>, Vec<Predicted>) =
                    predictions(ctx.state(), &sugg, &clock, &f)
                        .into_iter()
                        .partition(|p| p.in_queue(today));
                if wants_snoozed(&f) {
                    std::mem::swap(&mut listed, &mut snoozed);
                }
                self.predicted_snoozed = snoozed.len();
                rows.extend(listed.into_iter().map(|p| Row::Predicted(Box::new(p))));
            }
            self.selected = reselected(self.selected, was.as_ref(), &rows, Row::key);
            self.rows = Some((ctx.view.seq, minute, f, mk, std::rc::Rc::new(rows)));
        }
        self.rows.as_ref().map(|r| r.4.clone()).unwrap_or_default()
    }

    fn current_row(&mut self, ctx: &Ctx) -> Option<Row> {
        let rows = self.rows(ctx);
        rows.get(self.selected.min(rows.len().saturating_sub(1)))
            .cloned()
    }

    /// The held exception selected; on a computed one, says why there is
    /// nothing to approve or reject (it clears when the work is done).
    fn current(&mut self, ctx: &Ctx) -> Option<u64> {
        match self.current_row(ctx)? {
            Row::Held(id) => Some(id),
            Row::Clock(r) => {
                let (done, label) = match target(&r.key) {
                    Target::Order(_) => (
                        "it clears when the order ships or its promise moves",
                        "Order inquiry",
                    ),
                    Target::Customer(_) => (
                        "it clears when the credit is applied or refunded",
                        "Cash application",
                    ),
                };
                let opens = if may_open(ctx, label) {
                    " (Enter opens it)"
                } else {
                    ""
                };
                self.notice = Some(Notice::info(format!(
                    "{} is computed on the clock: {done}{opens}",
                    r.key
                )));
                None
            }
            Row::Predicted(p) => {
                self.notice = Some(Notice::info(predicted_note(&p)));
                None
            }
        }
    }

    /// The prompt `t` open again on the row `on` acts on, with its text;
    /// nothing if that row has left the queue.
    fn reopen(&mut self, ctx: &Ctx, t: Typed, on: &Acting) {
        let rows = self.rows(ctx);
        let Some(at) = rows.iter().position(|r| on.is(r)) else {
            return;
        };
        self.selected = at;
        self.input = TextField::new(&t.text);
        self.input.refused();
        self.rejecting = t.rejecting;
        self.focus = Focus::Prompt(t.prompt);
    }

    fn submit(&mut self, ctx: &Ctx, acting: Acting, body: CommandBody) -> Flow {
        self.acting = Some(acting);
        Flow::Submit(Box::new(Request {
            key: ctx.new_key(),
            body,
        }))
    }

    /// The command the prompt's text stands for, or why not.
    fn command_of(p: Prompt, on: &Acting, text: &str) -> Result<CommandBody, String> {
        let text = text.trim();
        let id = match on {
            Acting::Held(id) => *id,
            Acting::Clock(key) => return Self::clock_command_of(p, key.clone(), text),
        };
        match p {
            Prompt::Reject => Ok(CommandBody::RejectException {
                id,
                reason: text.to_string(),
            }),
            Prompt::Comment => Ok(CommandBody::CommentException {
                id,
                text: text.to_string(),
            }),
            Prompt::Reassign => Ok(CommandBody::ReassignException {
                id,
                to: owner_of(text)?,
            }),
            Prompt::Snooze => {
                let (until, reason) = snooze_of(text)?;
                Ok(CommandBody::SnoozeException { id, until, reason })
            }
        }
    }

    /// The command for a clock-computed exception: reassign, comment and
    /// snooze (reject has no meaning: it clears when the work is done).
    fn clock_command_of(p: Prompt, key: ClockKey, text: &str) -> Result<CommandBody, String> {
        match p {
            Prompt::Reject => Err(format!(
                "{key} is computed on the clock: it cannot be rejected, it clears when the work is done"
            )),
            Prompt::Comment => Ok(CommandBody::CommentClockException {
                key,
                text: text.to_string(),
            }),
            Prompt::Reassign => Ok(CommandBody::ReassignClockException {
                key,
                to: owner_of(text)?,
            }),
            Prompt::Snooze => {
                let (until, reason) = snooze_of(text)?;
                Ok(CommandBody::SnoozeClockException { key, until, reason })
            }
        }
    }

    /// The blocked document's screen, positioned on it (`document`);
    /// where there is none, or it is not among the operator's screens,
    /// what it is, on the status line.
    fn open_document(&mut self, ctx: &Ctx, id: u64) -> Flow {
        let s = ctx.state();
        let Some(x) = s.exceptions.get(&id) else {
            return Flow::Stay;
        };
        let doc = document(s, &x.blocked);
        let Some(label) = doc.screen() else {
            self.notice = Some(Notice::info(no_screen(s, x)));
            return Flow::Stay;
        };
        if !may_open(ctx, label) {
            self.notice = Some(Notice::info(format!(
                "{}: {}; {label} is not among your screens",
                x.blocked, x.summary
            )));
            return Flow::Stay;
        }
        Flow::Push(match doc {
            Document::Order(n) => Box::new(super::order_inquiry::OrderInquiry::for_order(&n)),
            Document::PurchaseOrder(n) => Box::new(super::purchasing::Purchasing::for_po(ctx, &n)),
            Document::SupplierInvoice(n) => Box::new(
                super::supplier_invoices::SupplierInvoices::for_invoice(ctx, &n),
            ),
            Document::Item(sku) => Box::new(super::item_lookup::ItemLookup::for_sku(ctx, &sku)),
            Document::Record { kind, key, note } => {
                // Why another record than the finding's is shown: said
                // as it opens.
                if let Some(note) = note {
                    self.notice = Some(Notice::info(note));
                }
                Box::new(super::master_data::MasterData::on_record(ctx, kind, &key))
            }
            Document::None => return Flow::Stay,
        })
    }

    /// Where a computed row's work is done (the order inquiry, the
    /// customer's cash application), if that screen is among the
    /// operator's; else what the row is, on the status line. `what`: the
    /// row as it is said ("credit of C0002: ...").
    fn open_target(&mut self, ctx: &Ctx, target: Target, what: String) -> Flow {
        let label = match &target {
            Target::Order(_) => "Order inquiry",
            Target::Customer(_) => "Cash application",
        };
        if !may_open(ctx, label) {
            self.notice = Some(Notice::info(format!(
                "{what}; {label} is not among your screens"
            )));
            return Flow::Stay;
        }
        Flow::Push(match target {
            Target::Order(n) => Box::new(super::order_inquiry::OrderInquiry::for_order(&n)),
            Target::Customer(c) => Box::new(
                super::cash_application::CashApplication::for_customer(ctx, &c),
            ),
        })
    }
}

/// What change request `id` would write, one `field: before -> after`
/// per field (`(none)` for a field not set before).
fn change_values(s: &crate::core::State, id: u64) -> Vec<String> {
    let Some(req) = s.changes.get(&id) else {
        return Vec::new();
    };
    crate::query::audit::pending_change(s, req)
        .into_iter()
        .map(|c| {
            let before = if c.before.is_empty() {
                "(none)".to_string()
            } else {
                c.before
            };
            let field = if c.field.is_empty() {
                c.subject
            } else {
                c.field
            };
            format!("{field}: {before} -> {}", c.after)
        })
        .collect()
}

/// What a prediction is, to a key that acts on holds (approve, reject):
/// it can be given to somebody, commented on or snoozed instead.
fn predicted_note(p: &Predicted) -> String {
    format!(
        "order {} is a prediction, not a hold: reassign, comment or snooze it; Enter opens the order",
        p.risk.order
    )
}

/// The owner a reassign prompt names: a role, or @OPERATOR.
fn owner_of(text: &str) -> Result<Owner, String> {
    Ok(match text.strip_prefix('@') {
        Some(op) => Owner::Operator(op.trim().to_uppercase().into()),
        None => Owner::Role(Role::parse(&text.to_lowercase()).ok_or_else(|| {
            format!(
                "{text:?} is not a role ({}), nor @OPERATOR",
                Role::ALL.map(|r| r.as_str()).join(", ")
            )
        })?),
    })
}

/// A snooze prompt's date and reason ("YYYY-MM-DD reason").
fn snooze_of(text: &str) -> Result<(NaiveDate, String), String> {
    let (date, reason) = text.split_once(' ').unwrap_or((text, ""));
    let until = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| format!("{date:?} is not a date (YYYY-MM-DD)"))?;
    // Said here, the date kept to be added to: refused by the core, the
    // text was taken back as refused and the reason typed next replaced
    // the date.
    if reason.trim().is_empty() {
        return Err(format!(
            "a snooze says why after the date: {date} cheque in the post"
        ));
    }
    Ok((until, reason.trim().to_string()))
}

fn kind_counts(s: &crate::core::State, today: NaiveDate) -> (Vec<(ExceptionKind, usize)>, usize) {
    let mut counts = std::collections::BTreeMap::new();
    let mut snoozed = 0;
    for id in s.open_exceptions.values() {
        if let Some(x) = s.exceptions.get(id) {
            if x.in_queue(today) {
                *counts.entry(x.kind).or_insert(0usize) += 1;
            } else {
                snoozed += 1;
            }
        }
    }
    (counts.into_iter().collect(), snoozed)
}

/// Kinds whose approval is asked first (`y` only): what it does is not
/// a routine release of a document but reopens a closed period, or
/// writes governed master data (a bank account, a credit limit).
fn asked_before_approving(kind: ExceptionKind) -> bool {
    matches!(
        kind,
        ExceptionKind::PeriodReopen | ExceptionKind::GovernedChange
    )
}

/// The permission the operator lacks to approve (`true`) or reject
/// exception `x` from the queue (None: none lacking): the queue's own,
/// then that of the command it runs on the document (a carton's reject
/// unpacks it: pack; a short pick is acknowledged by who releases holds).
fn lacking(ctx: &Ctx, x: &Exception, approve: bool) -> Option<Permission> {
    let doc = match (&x.blocked, approve) {
        (Blocked::PickLine { .. }, true) => Some(Permission::ReleaseHolds),
        _ => crate::core::exceptions::clearing_command(x, approve, "").map(|c| c.permission()),
    };
    std::iter::once(Permission::ApproveChanges)
        .chain(doc)
        .find(|p| !ctx.allowed(*p))
}

/// What a clerk does with an exception that cannot be rejected (None:
/// it can be).
fn no_reject(kind: ExceptionKind) -> Option<&'static str> {
    if kind.can_reject() {
        return None;
    }
    Some(match kind {
        ExceptionKind::DataQuality => {
            "fix the record: the finding clears itself (it is neither approved nor rejected)"
        }
        _ => "approve to accept it; it cannot be rejected",
    })
}

impl Screen for Exceptions {
    fn name(&self) -> &'static str {
        "exceptions"
    }
    fn title(&self) -> String {
        "exception queue".into()
    }
    fn confirmed(&mut self, yes: bool, ctx: &Ctx) -> Flow {
        match self.pending.take() {
            Some((on, body)) if yes => self.submit(ctx, on, body),
            Some((_, body)) => {
                self.typed = None;
                self.notice = Some(Notice::info(match body {
                    CommandBody::ApproveException { .. } => "not approved",
                    _ => "not rejected",
                }));
                Flow::Stay
            }
            None => Flow::Stay,
        }
    }
    fn context(&self) -> Context {
        match self.focus {
            // The list takes letters as the filter's first (typing
            // `late` filters; the list's j/k/l/q would open or leave):
            // Enter opens, Esc goes back, the arrows move.
            Focus::List | Focus::Filter | Focus::Prompt(_) => Context::Input,
        }
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        let (approve, reject) = self.row_acts;
        let offered = |(a, _): &(Action, &'static str)| match a {
            Action::Approve => approve,
            Action::Reject => reject,
            _ => true,
        };
        let all = match self.focus {
            Focus::List => vec![
                (Action::Submit, "open the document"),
                (Action::Approve, "approve"),
                (Action::Reject, "reject (reason)"),
                (Action::Reassign, "reassign"),
                (Action::Comment, "comment"),
                (Action::Snooze, "snooze"),
                (Action::Cancel, "back"),
                (Action::Help, "keys"),
            ],
            Focus::Filter => vec![
                (Action::Submit, "apply the filter"),
                (Action::Cancel, "clear the filter"),
                (Action::Approve, "approve"),
                (Action::Reject, "reject (reason)"),
                (Action::Reassign, "reassign"),
                (Action::Comment, "comment"),
                (Action::Snooze, "snooze"),
                (Action::Help, "keys"),
            ],
            Focus::Prompt(_) => vec![
                (Action::Submit, "send"),
                (Action::Cancel, "cancel, nothing is changed"),
                (Action::Help, "keys"),
            ],
        };
        all.into_iter().filter(offered).collect()
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        let rows = self.rows(ctx);
        let n = rows.len();
        match (self.focus, input) {
            // A filter applied is cleared first (the whole queue again),
            // as in the filter line: Esc left the screen with it.
            (Focus::List, Input::Action(Action::Back | Action::Cancel))
                if !self.filter.trimmed().is_empty() =>
            {
                self.filter = TextField::default();
                self.selected = 0;
                Flow::Stay
            }
            (Focus::List, Input::Action(Action::Back | Action::Cancel)) => Flow::Pop,
            (Focus::List, Input::Action(Action::Open | Action::Submit)) => {
                match self.current_row(ctx) {
                    Some(Row::Held(id)) => self.open_document(ctx, id),
                    Some(Row::Clock(r)) => {
                        let what = format!("{}: {}", r.key, r.summary);
                        self.open_target(ctx, target(&r.key), what)
                    }
                    Some(Row::Predicted(p)) => {
                        let what = format!(
                            "order {}: {PREDICTED_LATE}, p(late) {}",
                            p.risk.order,
                            p.pct()
                        );
                        self.open_target(ctx, Target::Order(p.risk.order.to_string()), what)
                    }
                    None => Flow::Stay,
                }
            }
            (Focus::List, Input::Action(Action::Approve)) => match self.current(ctx) {
                Some(id) => {
                    self.typed = None;
                    let body = CommandBody::ApproveException { id };
                    // Reopening a closed period, or a change of governed
                    // master data, is asked first: after one approval the
                    // cursor is on the next row, and a second F2 (a double
                    // tap) reopened a period nobody had looked at.
                    let x = ctx.state().exceptions.get(&id);
                    // Who may not approve it is told so, and which roles
                    // may, before any question (a data steward answered
                    // `y` to be refused after).
                    if let Some(p) = x.and_then(|x| lacking(ctx, x, true)) {
                        self.notice = Some(Notice::error(
                            ctx.lacks(p, &format!("approving exception {id}")),
                        ));
                        return Flow::Stay;
                    }
                    match x {
                        Some(x) if asked_before_approving(x.kind) => {
                            let what = format!("{}: {}", x.blocked, x.summary);
                            self.pending = Some((Acting::Held(id), body));
                            Flow::ConfirmStrict(format!("Approve {what}?"))
                        }
                        _ => self.submit(ctx, Acting::Held(id), body),
                    }
                }
                None => Flow::Stay,
            },
            (
                Focus::List,
                Input::Action(
                    a @ (Action::Reject | Action::Reassign | Action::Comment | Action::Snooze),
                ),
            ) => {
                let on = match self.current_row(ctx) {
                    Some(Row::Predicted(p)) if a == Action::Reject => {
                        self.notice = Some(Notice::info(predicted_note(&p)));
                        None
                    }
                    Some(Row::Held(id)) if a == Action::Reject => {
                        let x = ctx.state().exceptions.get(&id);
                        match x.map(|x| x.kind).and_then(no_reject) {
                            // Not a reason asked for, then refused.
                            Some(note) => {
                                self.notice = Some(Notice::info(note));
                                None
                            }
                            None => {
                                // What the reject runs takes its own
                                // permission (a carton's, unpack: pack):
                                // said before the reason is asked, not
                                // refused after it was typed.
                                match (x.and_then(|x| lacking(ctx, x, false)), x) {
                                    (Some(p), Some(x)) => {
                                        let does =
                                            crate::core::exceptions::reject_does(ctx.state(), x)
                                                .map(|(d, _)| format!(" (it {d})"))
                                                .unwrap_or_default();
                                        self.notice =
                                            Some(Notice::error(ctx.lacks(
                                                p,
                                                &format!("rejecting exception {id}{does}"),
                                            )));
                                        None
                                    }
                                    _ => {
                                        self.rejecting = x.and_then(|x| {
                                            crate::core::exceptions::reject_does(ctx.state(), x)
                                        });
                                        Some(Row::Held(id))
                                    }
                                }
                            }
                        }
                    }
                    Some(Row::Clock(r)) if a == Action::Reject => {
                        self.notice = Some(Notice::info(format!(
                            "{} is computed on the clock: it cannot be rejected; it clears when the work is done",
                            r.key
                        )));
                        None
                    }
                    other => other,
                };
                if let Some(row) = &on {
                    self.input.take();
                    self.focus = Focus::Prompt(match a {
                        Action::Reject => Prompt::Reject,
                        Action::Reassign => Prompt::Reassign,
                        Action::Comment => Prompt::Comment,
                        _ => Prompt::Snooze,
                    });
                    // A row snoozed past today (listed by `snoozed`): today's
                    // date is offered, so a reason wakes it.
                    let today = ctx.today();
                    let until = match row {
                        Row::Held(id) => match ctx.state().exceptions.get(id).map(|x| &x.status) {
                            Some(ExceptionStatus::Snoozed { until, .. }) => Some(*until),
                            _ => None,
                        },
                        Row::Clock(r) => r.snoozed.as_ref().map(|(u, _)| *u),
                        Row::Predicted(p) => p.snoozed.as_ref().map(|(u, _)| *u),
                    };
                    if let Some(until) = until.filter(|u| a == Action::Snooze && *u > today) {
                        self.input = TextField::new(&format!("{today} "));
                        self.notice = Some(Notice::info(format!(
                            "snoozed until {until}: {today} and a reason wakes it now; another date moves the snooze"
                        )));
                    }
                }
                Flow::Stay
            }
            (Focus::List, Input::Action(Action::Search)) => {
                self.focus = Focus::Filter;
                Flow::Stay
            }
            (Focus::List, Input::Action(a)) => {
                self.selected = moved(self.selected, n, a, self.page);
                Flow::Stay
            }
            (Focus::List, Input::Char('/')) => {
                self.focus = Focus::Filter;
                Flow::Stay
            }
            (Focus::List, Input::Char(c)) => {
                self.focus = Focus::Filter;
                self.filter = TextField::new(&c.to_string());
                self.selected = 0;
                Flow::Stay
            }
            // The function keys act from the filter line too: the
            // filter is kept, the key acts on the line selected in the
            // list as filtered (what `[screen.exceptions]` promises).
            (Focus::Filter, Input::Action(a)) if acts_on_a_line(a) => {
                self.focus = Focus::List;
                self.handle(Input::Action(a), ctx)
            }
            (Focus::Filter, input) => {
                let key = self.filter.filter_key(input);
                if key.changed {
                    self.selected = 0;
                }
                if key.back {
                    self.focus = Focus::List;
                }
                Flow::Stay
            }
            (Focus::Prompt(_), Input::Action(Action::Cancel)) => {
                self.input.take();
                self.rejecting = None;
                self.focus = Focus::List;
                Flow::Stay
            }
            (Focus::Prompt(p), Input::Action(Action::Submit)) => {
                let on = match self.current_row(ctx) {
                    Some(Row::Held(id)) => Acting::Held(id),
                    Some(Row::Clock(r)) => Acting::Clock(r.key.clone()),
                    Some(Row::Predicted(p)) => Acting::Clock(p.key.clone()),
                    None => {
                        self.focus = Focus::List;
                        return Flow::Stay;
                    }
                };
                let text = self.input.trimmed().to_string();
                match Self::command_of(p, &on, &text) {
                    Ok(body) => {
                        self.focus = Focus::List;
                        self.typed = Some(Typed {
                            prompt: p,
                            text: self.input.take(),
                            rejecting: self.rejecting.clone(),
                        });
                        match self.rejecting.take() {
                            // Cancelling an order or a PO is asked first.
                            Some((does, true)) if p == Prompt::Reject && !text.is_empty() => {
                                let what = match &on {
                                    Acting::Held(id) => format!("exception {id}"),
                                    Acting::Clock(key) => key.to_string(),
                                };
                                self.pending = Some((on, body));
                                Flow::ConfirmStrict(format!("Reject {what}? It {does} ({text})."))
                            }
                            _ => self.submit(ctx, on, body),
                        }
                    }
                    Err(e) => {
                        self.notice = Some(Notice::error(e));
                        Flow::Stay
                    }
                }
            }
            // Not while a prompt's text is typed: a function key there
            // would leave the text unsent (a reason typed, lost). Said,
            // and the text stays.
            (Focus::Prompt(p), Input::Action(a)) if acts_on_a_line(a) => {
                self.notice = Some(Notice::info(format!(
                    "finish the {} first: Enter sends it, Esc cancels it; the function keys act from the list",
                    p.noun()
                )));
                Flow::Stay
            }
            (Focus::Prompt(_), other) => {
                self.input.edit(other);
                Flow::Stay
            }
        }
    }
    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        let acting = self.acting.take();
        let typed = self.typed.take();
        let snoozing = typed.as_ref().is_some_and(|t| t.prompt == Prompt::Snooze);
        if !matches!(outcome, Submitted::Committed { .. }) {
            // Not done: the prompt's text back on its prompt, to be
            // mended (the next character typed replaces it, an editing
            // key mends it), on the exception it was typed for.
            if let (Some(t), Some(on)) = (typed, acting.as_ref()) {
                self.reopen(ctx, t, on);
            }
        }
        self.notice = Some(match outcome {
            Submitted::Committed { .. } => {
                let s = ctx.state();
                match acting {
                    Some(Acting::Held(id)) => match s.exceptions.get(&id).map(|x| &x.status) {
                        Some(ExceptionStatus::Cleared { how, .. }) => {
                            Notice::info(format!("exception {id} cleared: {how}"))
                        }
                        Some(ExceptionStatus::Snoozed { until, .. }) if *until > ctx.today() => {
                            Notice::info(format!("exception {id} snoozed until {until}"))
                        }
                        Some(ExceptionStatus::Snoozed { .. }) if snoozing => {
                            Notice::info(format!("exception {id} woken: back in the queue"))
                        }
                        _ => Notice::info(format!("exception {id} updated")),
                    },
                    Some(Acting::Clock(key)) => {
                        match s.clock_notes.get(&key).and_then(|n| n.snoozed.as_ref()) {
                            Some((until, _)) if *until > ctx.today() => {
                                Notice::info(format!("{key} snoozed until {until}"))
                            }
                            Some(_) if snoozing => {
                                Notice::info(format!("{key} woken: back in the queue"))
                            }
                            _ => Notice::info(format!("{key} updated")),
                        }
                    }
                    None => Notice::info("done"),
                }
            }
            Submitted::Refused(r) => Notice::error(format!("refused: {r}")),
            Submitted::Stopped(e) => Notice::error(format!("not done: {e}")),
        });
        Flow::Stay
    }
    fn dirty(&self) -> bool {
        matches!(self.focus, Focus::Prompt(_)) && !self.input.text.is_empty()
    }
    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let rows = self.rows(ctx);
        let s = ctx.state();
        // A finding is fixed, not approved; a row computed on the clock or
        // predicted clears when its work is done.
        // Nor is a key offered whose command the operator may not run
        // (a carton's reject is an unpack: the pack permission).
        self.row_acts = match rows.get(self.selected.min(rows.len().saturating_sub(1))) {
            Some(Row::Held(id)) => s.exceptions.get(id).map_or((false, false), |x| {
                (
                    x.kind != ExceptionKind::DataQuality && lacking(ctx, x, true).is_none(),
                    x.kind.can_reject() && lacking(ctx, x, false).is_none(),
                )
            }),
            _ => (false, false),
        };
        let theme = ctx.theme;
        // A commented prediction needs a line more: its factors wrap.
        let tall = matches!(
            rows.get(self.selected.min(rows.len().saturating_sub(1))),
            Some(Row::Predicted(p)) if !p.comments.is_empty()
        );
        // A prompt opens under the list, above the detail: a refusal too
        // long for the status line covers the bottom rows of the screen,
        // and the text refused stays in sight with it, to be mended.
        let prompting = matches!(self.focus, Focus::Prompt(_));
        let detail_rows = Constraint::Length(if tall { 5 } else { 4 });
        let [head, list, above, below] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Min(3),
            if prompting {
                Constraint::Length(1)
            } else {
                detail_rows
            },
            if prompting {
                detail_rows
            } else {
                Constraint::Length(1)
            },
        ])
        .areas(area);
        let (detail, prompt) = if prompting {
            (below, above)
        } else {
            (above, below)
        };
        // Counts by kind, and what is snoozed.
        let (counts, snoozed) = kind_counts(s, ctx.today());
        let total: usize = counts.iter().map(|(_, n)| n).sum();
        let mut spans = vec![Span::styled(format!("{total} open"), theme.label())];
        for (k, n) in &counts {
            spans.push(Span::raw(format!("  {} {n}", k.label())));
        }
        let today = ctx.today();
        let predicted_snoozed = self.predicted_snoozed;
        let clock = self.clock(ctx);
        let clock_snoozed = clock.iter().filter(|r| !r.in_queue(today)).count();
        let snoozed = snoozed + clock_snoozed + predicted_snoozed;
        if snoozed > 0 {
            spans.push(Span::styled(
                format!("  ({snoozed} snoozed: filter {SNOOZED})"),
                theme.dim(),
            ));
        }
        let counted = |kind: ExceptionKind| {
            clock
                .iter()
                .filter(|r| r.kind() == kind && r.in_queue(today))
                .count()
        };
        let clock_counts: Vec<(&str, &str, usize)> = [
            (
                ExceptionKind::BackorderPastPromise,
                "past promise",
                "promise",
            ),
            (ExceptionKind::LateShipment, "late to ship", "late"),
            (ExceptionKind::UnappliedCash, "old credit", "cash"),
        ]
        .iter()
        .map(|(kind, long, short)| (*long, *short, counted(*kind)))
        .filter(|(_, _, n)| *n > 0)
        .collect();
        let predicted = rows
            .iter()
            .filter(|r| matches!(r, Row::Predicted(_)))
            .count();
        // What the clock made overdue and what is predicted, in words
        // that fit the line beside the counts (shorter ones at 80
        // columns), never cut.
        let tail = |short: bool| {
            let mut out = Vec::new();
            if !clock_counts.is_empty() {
                let said: Vec<String> = clock_counts
                    .iter()
                    .map(|(long, brief, n)| format!("{} {n}", if short { brief } else { long }))
                    .collect();
                out.push((format!("  | now: {}", said.join(", ")), theme.error()));
            }
            if predicted > 0 {
                let label = if short { "predicted" } else { "predicted late" };
                out.push((format!("  | {label} {predicted}"), theme.dim()));
            }
            out
        };
        let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
        let width = |t: &[(String, ratatui::style::Style)]| {
            used + t.iter().map(|(s, _)| s.chars().count()).sum::<usize>()
        };
        let long = tail(false);
        let chosen = if width(&long) <= usize::from(head.width) {
            long
        } else {
            tail(true)
        };
        for (text, style) in chosen {
            spans.push(Span::styled(text, style));
        }
        let filter = if self.focus == Focus::List && self.filter.trimmed().is_empty() {
            Line::from(vec![
                Span::styled("filter ", theme.label()),
                Span::styled(
                    "type to filter: a kind, a document, an owner, age>N",
                    theme.dim(),
                ),
            ])
        } else {
            Line::from(vec![
                Span::styled("filter ", theme.label()),
                self.filter.span(
                    self.focus == Focus::Filter,
                    head.width.saturating_sub(8) as usize,
                    theme,
                ),
            ])
        };
        // The queue: each column as wide as what the rows in sight show
        // in it (`Columns`), so that at 80 columns a finding's document
        // and its owner role are read whole, and a column none of them
        // fills (a finding has no amount) takes no room.
        self.page = list.height.saturating_sub(2).max(1) as usize;
        let wide = list.width >= 110;
        let mark = |sev: Severity| match sev {
            Severity::Critical => "!!",
            Severity::High => "! ",
            Severity::Medium => "· ",
            Severity::Low => "  ",
        };
        // A finding of a master record has no amount: left blank.
        // Money as every screen shows it (`8,311.75 USD`, not `8311.75`).
        let money = |amount: Decimal, unit: &str| {
            let currency = crate::core::types::Currency::new(unit);
            if amount.is_zero() && unit.is_empty() {
                String::new()
            } else if currency.is_valid() {
                format!("{} {unit}", crate::query::money(amount, &currency))
            } else {
                format!("{} {unit}", crate::query::qty(amount))
            }
        };
        let cells: Vec<Cells> = rows
            .iter()
            .filter_map(|row| {
                Some(match row {
                    // A prediction is marked as one: "?" where a hold has
                    // its severity, its probability where the others have
                    // their age.
                    Row::Predicted(p) => Cells {
                        mark: "? ",
                        dim: true,
                        id: "-".to_string(),
                        kind: "late?".to_string(),
                        document: format!("order {}", p.risk.order),
                        entity: p.entity.clone(),
                        whse: p.warehouse.clone(),
                        owner: p.listed_owner(),
                        amount: money(p.amount, &p.unit),
                        age: p.pct(),
                        party: p.customer.clone(),
                    },
                    Row::Held(id) => {
                        let x = s.exceptions.get(id)?;
                        Cells {
                            mark: mark(crate::core::exceptions::severity_on(s, x, ctx.today())),
                            dim: false,
                            id: x.id.to_string(),
                            kind: x.kind.label().to_string(),
                            document: x.blocked.to_string(),
                            entity: x.entity.clone().unwrap_or_default().to_string(),
                            whse: x.warehouse.clone().unwrap_or_default().to_string(),
                            owner: x.owner.to_string(),
                            amount: money(x.amount, &x.unit),
                            age: age(ctx.now, x.raised_at),
                            party: x.party.clone().unwrap_or_default().to_string(),
                        }
                    }
                    Row::Clock(r) => Cells {
                        mark: mark(r.severity),
                        dim: false,
                        id: "-".to_string(),
                        kind: r.kind().label().to_string(),
                        document: r.key.to_string(),
                        entity: r.entity.to_string(),
                        whse: r.warehouse.clone().unwrap_or_default().to_string(),
                        owner: r.owner.to_string(),
                        amount: money(r.amount, &r.unit),
                        age: format!("{}d", r.days),
                        party: r.party.to_string(),
                    },
                })
            })
            .collect();
        let empty = cells.is_empty();
        let selected_at = self.selected.min(cells.len().saturating_sub(1));
        // The rows in sight: the list scrolls as little as it must to
        // show the selected one (its offset is set to this, so the two
        // agree).
        let height = usize::from(list.height.saturating_sub(2));
        let first = (selected_at + 1).saturating_sub(height.max(1));
        let in_sight = cells.get(first..).unwrap_or_default();
        let in_sight = &in_sight[..height.min(in_sight.len())];
        // Inside the border, after the highlight symbol and the mark.
        let room = usize::from(list.width).saturating_sub(6);
        let columns = Columns::fitted(wide, in_sight, room);
        f.render_widget(
            Paragraph::new(vec![
                Line::from(spans),
                filter,
                Line::from(Span::styled(
                    format!("     {}", columns.header()),
                    theme.dim(),
                )),
            ]),
            head,
        );
        let items: Vec<ListItem> = cells
            .iter()
            .map(|c| {
                let text = format!("{}{}", c.mark, columns.row(c));
                if c.dim {
                    ListItem::new(Line::from(Span::styled(text, theme.dim())))
                } else {
                    ListItem::new(Line::from(text))
                }
            })
            .collect();
        let mut st = ListState::default()
            .with_offset(first)
            .with_selected(if empty { None } else { Some(selected_at) });
        let title = if empty && !self.filter.trimmed().is_empty() {
            " nothing matches the filter ".to_string()
        } else if empty {
            " nothing waits ".to_string()
        } else {
            format!(" {} waiting, most severe and oldest first ", rows.len())
        };
        f.render_stateful_widget(
            List::new(items)
                .block(Block::bordered().title(title))
                .highlight_style(theme.selected())
                .highlight_symbol("> "),
            list,
            &mut st,
        );
        // The selected exception: what, who asked, the last comment.
        let mut lines = Vec::new();
        let selected = st.selected().and_then(|i| rows.get(i));
        if let Some(Row::Clock(r)) = selected {
            lines.push(Line::from(fit(&r.summary, detail.width as usize)));
            let opens = match target(&r.key) {
                Target::Order(n) if may_open(ctx, "Order inquiry") => {
                    format!("Enter opens order {n}")
                }
                Target::Customer(c) if may_open(ctx, "Cash application") => {
                    format!("Enter opens the cash application of {c}")
                }
                Target::Order(_) => "Order inquiry is not among your screens".to_string(),
                Target::Customer(_) => "Cash application is not among your screens".to_string(),
            };
            let days = match r.days {
                1 => "1 day".to_string(),
                n => format!("{n} days"),
            };
            let about = format!(
                "computed on the clock: {days}, owner {}, {} severity",
                r.owner,
                r.severity.as_str(),
            );
            // Where Enter goes on a line of its own when both do not fit.
            lines.extend(one_or_two(about, "; ", opens, detail.width, theme));
            if let Some(c) = r.comments.last() {
                lines.push(Line::from(fit(
                    &format!("{} {}: {}", c.at.format("%m-%d %H:%M"), c.by, c.text),
                    detail.width as usize,
                )));
            }
        }
        if let Some(Row::Predicted(p)) = selected {
            let w = detail.width as usize;
            lines.push(Line::from(fit(
                &format!(
                    "predicted: {} for {} ships after {}, p(late) {}",
                    p.risk.order,
                    p.customer,
                    p.requested,
                    p.pct()
                ),
                w,
            )));
            lines.push(Line::from(format!("because {}", p.factors())));
            let trained = ctx
                .backend
                .suggestions()
                .map(|m| m.short(ctx.view.seq, ctx.now))
                .unwrap_or_default();
            let owner = p
                .owner
                .as_ref()
                .map_or_else(|| "not a hold".to_string(), |o| format!("given to {o}"));
            lines.push(Line::from(Span::styled(
                fit(&format!("{owner}: Enter opens the order ({trained})"), w),
                theme.dim(),
            )));
            if let Some(c) = p.comments.last() {
                lines.push(Line::from(fit(
                    &format!("{} {}: {}", c.at.format("%m-%d %H:%M"), c.by, c.text),
                    w,
                )));
            }
        }
        if let Some(x) = selected.and_then(|r| match r {
            Row::Held(id) => s.exceptions.get(id),
            Row::Clock(_) | Row::Predicted(_) => None,
        }) {
            // No requester named (a short pick): who committed the record
            // that raised it, from the log ("by -" before).
            let by = match &x.requested_by {
                Some(by) => by.to_string(),
                None => {
                    if self.raised_by.as_ref().map(|r| r.0) != Some(x.raised_seq) {
                        let who = ctx
                            .backend
                            .records(&[x.raised_seq])
                            .first()
                            .map_or_else(|| "-".to_string(), |e| e.operator.to_string());
                        self.raised_by = Some((x.raised_seq, who));
                    }
                    self.raised_by
                        .as_ref()
                        .map_or_else(|| "-".to_string(), |r| r.1.clone())
                }
            };
            lines.push(Line::from(fit(&x.summary, detail.width as usize)));
            // A change waiting for its approval: what it would write,
            // beside what is there now (its fields alone did not say).
            if let Blocked::Change { id } = &x.blocked {
                for c in change_values(s, *id) {
                    lines.push(Line::from(fit(&c, detail.width as usize)));
                }
            }
            // Who owns it on a line of its own when both do not fit (the
            // owner was cut: "owner data_steward~").
            let raised = format!(
                "raised {} (business date {}) by {}",
                x.raised_at.format("%Y-%m-%d %H:%M"),
                x.date,
                by,
            );
            let owner = format!(
                "owner {}, {} severity",
                x.owner,
                crate::core::exceptions::severity_on(s, x, ctx.today()).as_str()
            );
            lines.extend(one_or_two(raised, ", ", owner, detail.width, theme));
            if let crate::core::exceptions::ExceptionStatus::Snoozed { until, reason } = &x.status {
                if *until > ctx.today() {
                    lines.push(Line::from(fit(
                        &format!("snoozed until {until}: {reason}"),
                        detail.width as usize,
                    )));
                }
            }
            if let Some(c) = x.comments.last() {
                lines.push(Line::from(fit(
                    &format!("{} {}: {}", c.at.format("%m-%d %H:%M"), c.by, c.text),
                    detail.width as usize,
                )));
            }
            if let Some(note) = no_reject(x.kind) {
                lines.push(Line::from(Span::styled(note, theme.dim())));
            }
        }
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), detail);
        if let Focus::Prompt(p) = self.focus {
            let label = match (&self.rejecting, p) {
                (Some((does, _)), Prompt::Reject) => format!("reject ({does}), reason: "),
                _ => format!("{}: ", p.label()),
            };
            let w = prompt.width.saturating_sub(label.len() as u16) as usize;
            f.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled(label, theme.label()),
                    self.input.span(true, w, theme),
                ])),
                prompt,
            );
        }
    }
}

/// Two parts of a detail line, `first{sep}second` on one line of `width`
/// when it fits, else each on a line of its own (cut at the edge), dim.
fn one_or_two(
    first: String,
    sep: &str,
    second: String,
    width: u16,
    theme: crate::ui::theme::Theme,
) -> Vec<Line<'static>> {
    let w = usize::from(width);
    let both = format!("{first}{sep}{second}");
    let said = if both.chars().count() <= w {
        vec![both]
    } else {
        vec![first, second]
    };
    said.into_iter()
        .map(|l| Line::from(Span::styled(fit(&l, w), theme.dim())))
        .collect()
}

#[cfg(test)]
mod tests {
    //! The list's columns fitted to the rows in sight (`Columns`).
    use super::*;

    fn finding(id: u64, document: &str, owner: &str) -> Cells {
        Cells {
            mark: "! ",
            id: id.to_string(),
            kind: "data".into(),
            document: document.into(),
            owner: owner.into(),
            age: "160d".into(),
            ..Cells::default()
        }
    }

    fn late(document: &str, amount: &str) -> Cells {
        Cells {
            mark: "· ",
            id: "-".into(),
            kind: "late".into(),
            document: document.into(),
            entity: "US01".into(),
            whse: "CHI".into(),
            owner: "supervisor".into(),
            amount: amount.into(),
            age: "1d".into(),
            party: "C0001".into(),
            ..Cells::default()
        }
    }

    /// Room inside the list at 80 columns.
    const ROOM_80: usize = 74;

    #[test]
    fn rows_that_fit_the_usual_widths_keep_them() {
        let rows = [late("order SO-000011 line 1", "20900.00 USD")];
        let c = Columns::fitted(false, &rows, ROOM_80);
        assert_eq!(
            c.header(),
            format!(
                "{:>3} {:<6} {:<22} {:>16} {:>4} {}",
                "id", "kind", "document", "amount", "age", "owner"
            )
        );
        assert_eq!(
            c.row(&rows[0]),
            "  - late   order SO-000011 line 1     20900.00 USD   1d supervisor"
        );
        let c = Columns::fitted(true, &rows, 126);
        assert_eq!(
            c.header(),
            format!(
                "{:>4} {:<7} {:<24} {:<6} {:<5} {:<12} {:>18} {:>4}  {}",
                "id", "kind", "document", "entity", "whse", "owner", "amount", "age", "party"
            )
        );
    }

    #[test]
    fn a_finding_reads_whole_at_80_columns() {
        let rows = [
            finding(1, "item BRK-1035 (duplicate?)", "data_steward"),
            finding(2, "price WHOLESALE/FAS-1001 (below cost)", "@DATA1"),
        ];
        let c = Columns::fitted(false, &rows, ROOM_80);
        for r in &rows {
            let line = c.row(r);
            assert!(line.contains(&r.document), "{line}");
            assert!(line.contains(&r.owner), "{line}");
            assert!(line.chars().count() <= ROOM_80, "{line}");
        }
    }

    #[test]
    fn short_of_room_the_empty_amount_column_goes_before_any_text_is_cut() {
        let rows = [finding(
            1,
            "price WHOLESALE-2027/FAS-1001 (below cost)",
            "@WAREHOUSE_LEAD",
        )];
        let c = Columns::fitted(false, &rows, ROOM_80);
        assert!(!c.header().contains("amount"), "{}", c.header());
        let line = c.row(&rows[0]);
        assert!(
            line.contains("price WHOLESALE-2027/FAS-1001 (below cost)"),
            "{line}"
        );
        assert!(line.contains("@WAREHOUSE_LEAD"), "{line}");
        // With an amount in sight the column stays, and the longest text
        // gives first.
        let rows = [
            rows[0].clone(),
            late("order SO-000011 line 1", "20900.00 USD"),
        ];
        let c = Columns::fitted(false, &rows, ROOM_80);
        assert!(c.header().contains("amount"), "{}", c.header());
        for r in &rows {
            let line = c.row(r);
            assert!(line.chars().count() <= ROOM_80, "{line}");
            assert!(line.contains(&r.amount), "{line}");
            assert!(line.contains(&r.age), "{line}");
        }
        assert!(c.row(&rows[1]).contains("order SO-000011 line 1"));
    }

    #[test]
    fn any_room_fits_without_panic() {
        let rows = [
            finding(1, "price WHOLESALE-CONTRACT/FAS-1001 (below cost)", "@X"),
            late("order SO-000011 line 1", "20900.00 USD"),
        ];
        for wide in [false, true] {
            for room in 0..140 {
                let c = Columns::fitted(wide, &rows, room);
                let _ = c.header();
                for r in &rows {
                    let line = c.row(r);
                    // Past the narrowest the list cuts the line at its
                    // border; above it the line fits.
                    if room >= 60 {
                        assert!(line.chars().count() <= room, "{room}: {line}");
                    }
                }
            }
            assert!(Columns::fitted(wide, &[], 0).header().contains("id"));
        }
    }
}
