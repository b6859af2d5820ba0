//! The audit trail (issue 20, SPEC section 4): the event log as a person
//! reads it, one row per log record (time UTC, operator, session, the
//! command, the documents it touched, a summary), and for every
//! master-data change the fields it changed with their values before and
//! after.
//!
//! "Before" is read from the log itself: the value of a record (an item,
//! a customer, a supplier, a price, a posting rule, a margin floor, an FX
//! rate, the data-quality rules) as the previous record that wrote it left
//! it, so a `Trail` is fed the log from its first record (`extend`, in
//! order; it keeps up incrementally as records are committed). A record
//! first seen is "created" (every field has an empty before). Fields the
//! core keeps up by itself (a supplier's observed lead times) are compared
//! as the last master-data change wrote them.
//!
//! No ratatui here: `depot report audit` and the Audit screen both read
//! these rows.

use crate::core::event::{Envelope, Event, Outcome};
use crate::core::exceptions::ClockKey;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use std::collections::HashMap;

/// Most field changes kept per subject of one record (a new price list
/// would otherwise list every price).
pub const CHANGES_PER_SUBJECT_MAX: usize = 40;

/// One field of a master record, before and after a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    /// What changed: `customer C0006`, `price LIST-USD/FAS-1000`.
    pub subject: String,
    /// The field, dotted for a nested one (`bill_to.city`); empty for a
    /// value that is not a record (a posting rule's account).
    pub field: String,
    /// Empty when the record did not exist before.
    pub before: String,
    pub after: String,
}

/// One log record as the audit lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    pub seq: u64,
    pub time: DateTime<Utc>,
    pub operator: String,
    /// The session or terminal the command came from (empty if none was
    /// recorded).
    pub session: String,
    pub command: String,
    /// The documents and master records the record touched, first the
    /// main one.
    pub documents: Vec<String>,
    pub summary: String,
    /// The command was refused (kept in the log because it carried an
    /// idempotency key).
    pub refused: bool,
    /// Master-data fields changed, with before and after.
    pub changes: Vec<FieldChange>,
    /// Subjects this record wrote whose value before it is in a part of
    /// the log not read yet (a trail read from a window of the newest
    /// records), with the value written: [`Trail::resolve`] finishes them.
    pub unknown: Vec<(String, Value)>,
    /// The summary's parts, so a resolved subject rewrites its own.
    said: Vec<String>,
}

impl AuditRow {
    /// The main document (empty when there is none).
    pub fn document(&self) -> &str {
        self.documents
            .first()
            .map(String::as_str)
            .unwrap_or_default()
    }
}

/// What the audit is filtered by; every field given must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Part of a document number or record key (`SO-000014`, `C0006`),
    /// any case.
    pub document: Option<String>,
    /// The operator code, any case.
    pub operator: Option<String>,
    /// Part of the session name, any case.
    pub session: Option<String>,
    /// From this time on (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Before this time (exclusive).
    pub to: Option<DateTime<Utc>>,
}

impl Filter {
    /// From the start of day `from` to the end of day `to` (UTC days).
    pub fn days(
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let start = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        (
            from.and_then(start),
            to.and_then(|d| d.succ_opt()).and_then(start),
        )
    }

    pub fn matches(&self, r: &AuditRow) -> bool {
        let has = |hay: &str, needle: &str| hay.to_lowercase().contains(&needle.to_lowercase());
        if let Some(d) = self.document.as_deref().filter(|d| !d.trim().is_empty()) {
            if !r.documents.iter().any(|x| has(x, d.trim())) {
                return false;
            }
        }
        if let Some(o) = self.operator.as_deref().filter(|o| !o.trim().is_empty()) {
            if !r.operator.eq_ignore_ascii_case(o.trim()) {
                return false;
            }
        }
        if let Some(s) = self.session.as_deref().filter(|s| !s.trim().is_empty()) {
            if !has(&r.session, s.trim()) {
                return false;
            }
        }
        if self.from.is_some_and(|f| r.time < f) {
            return false;
        }
        if self.to.is_some_and(|t| r.time >= t) {
            return false;
        }
        true
    }
}

/// The audit trail read so far, and the last value of every master
/// record it has seen (what the next change is compared with).
#[derive(Clone, Debug, Default)]
pub struct Trail {
    pub rows: Vec<AuditRow>,
    /// The last log record read.
    pub seq: u64,
    last: HashMap<String, Value>,
    /// The first log record this trail reads (0 or 1: from the start).
    /// From a later record, a subject's first write in the trail has its
    /// before in the older log: listed in the row's `unknown`.
    pub first: u64,
}

impl Trail {
    pub fn new() -> Trail {
        Trail::default()
    }

    /// The trail of these log records, read in order from the first.
    pub fn of<'a>(records: impl IntoIterator<Item = &'a Envelope>) -> Trail {
        let mut t = Trail::new();
        t.extend(records);
        t
    }

    /// A trail that reads the log from record `first` on (the newest
    /// records of a long log, read without reading the rest).
    pub fn from_record(first: u64) -> Trail {
        Trail {
            first,
            seq: first.saturating_sub(1),
            ..Trail::default()
        }
    }

    /// Put the trail of the records just before this one's first in front
    /// of it (`older.seq + 1 == self.first`): its rows first, and every
    /// subject whose before was not read and that `older` wrote (or every
    /// one, when `older` reads from the start) resolved.
    pub fn prepend(&mut self, mut older: Trail) {
        if older.seq + 1 < self.first.max(1) {
            return;
        }
        let from_start = older.first <= 1;
        for row in &mut self.rows {
            if row.unknown.is_empty() {
                continue;
            }
            let unknown = std::mem::take(&mut row.unknown);
            for (subject, value) in unknown {
                match older.last.get(&subject) {
                    Some(before) => resolve_row(row, &subject, Some(before), &value),
                    None if from_start => resolve_row(row, &subject, None, &value),
                    None => row.unknown.push((subject, value)),
                }
            }
        }
        // Values written in this trail are newer than the older ones.
        for (k, v) in std::mem::take(&mut self.last) {
            older.last.insert(k, v);
        }
        older.rows.append(&mut self.rows);
        self.rows = older.rows;
        self.last = older.last;
        self.first = older.first;
    }

    /// Resolve `subject` of row `i`: `before` is its value before that
    /// record (None: it did not exist), found in the older log.
    pub fn resolve(&mut self, i: usize, subject: &str, before: Option<&Value>) {
        let Some(row) = self.rows.get_mut(i) else {
            return;
        };
        let Some(at) = row.unknown.iter().position(|(s, _)| s == subject) else {
            return;
        };
        let (subject, value) = row.unknown.remove(at);
        resolve_row(row, &subject, before, &value);
    }

    /// Read more log records (those at or below `seq` already read are
    /// skipped, so a caller may hand the same record twice).
    pub fn extend<'a>(&mut self, records: impl IntoIterator<Item = &'a Envelope>) {
        for env in records {
            if (env.seq <= self.seq && self.seq > 0) || env.seq < self.first {
                continue;
            }
            let row = self.read(env);
            self.seq = env.seq;
            self.rows.push(row);
        }
    }

    /// The rows passing `filter`, newest first.
    pub fn select(&self, filter: &Filter) -> Vec<&AuditRow> {
        self.rows
            .iter()
            .rev()
            .filter(|r| filter.matches(r))
            .collect()
    }

    fn read(&mut self, env: &Envelope) -> AuditRow {
        let mut documents: Vec<String> = Vec::new();
        let mut changes = Vec::new();
        let mut unknown = Vec::new();
        let mut said: Vec<String> = Vec::new();
        let add_doc = |documents: &mut Vec<String>, d: String| {
            if !d.is_empty() && !documents.contains(&d) {
                documents.push(d);
            }
        };
        let refused = matches!(env.outcome, Outcome::Rejected(_));
        for e in env.events() {
            match master_value(e) {
                Some(values) => {
                    for (subject, value) in values {
                        add_doc(&mut documents, subject.clone());
                        let before = self.last.get(&subject);
                        if before.is_none() && self.first > 1 {
                            // Written before this trail's first record,
                            // or created here: the older log says.
                            said.push(unread(&subject));
                            unknown.push((subject.clone(), value.clone()));
                        } else {
                            let (c, text) = changed(&subject, before, &value);
                            said.push(text);
                            changes.extend(c);
                        }
                        // A price list carries its prices: each is the
                        // before of the next price set on it.
                        if let Some(list) = subject.strip_prefix("price list ") {
                            if let Some(Value::Object(prices)) = value.get("prices") {
                                for (sku, p) in prices {
                                    self.last.insert(format!("price {list}/{sku}"), p.clone());
                                }
                            }
                        }
                        self.last.insert(subject, value);
                    }
                }
                None => {
                    for d in documents_of(e) {
                        add_doc(&mut documents, d);
                    }
                    said.push(describe(e));
                }
            }
        }
        let summary = match &env.outcome {
            Outcome::Rejected(r) => format!("refused: {r}"),
            Outcome::Committed(_) => squash(&said),
        };
        AuditRow {
            seq: env.seq,
            time: env.time,
            operator: env.operator.to_string(),
            session: env.session.clone(),
            command: env.command.clone(),
            documents,
            summary,
            refused,
            changes,
            unknown,
            said,
        }
    }
}

/// The summary part of a subject whose before is not read yet.
fn unread(subject: &str) -> String {
    format!("{subject} written (before: Enter)")
}

/// The fields of `subject` a write of `value` changed from `before`, and
/// the summary part saying so.
fn changed(subject: &str, before: Option<&Value>, value: &Value) -> (Vec<FieldChange>, String) {
    let mut c = Vec::new();
    diff(subject, "", before, value, &mut c);
    if c.len() > CHANGES_PER_SUBJECT_MAX {
        let more = c.len() - CHANGES_PER_SUBJECT_MAX;
        c.truncate(CHANGES_PER_SUBJECT_MAX);
        c.push(FieldChange {
            subject: subject.to_string(),
            field: format!("({more} more fields)"),
            before: String::new(),
            after: String::new(),
        });
    }
    let text = match (before.is_some(), c.len()) {
        (false, _) => format!("{subject} created"),
        (true, 0) => format!("{subject} written, unchanged"),
        (true, _) => format!(
            "{subject}: {}",
            c.iter()
                .map(|x| x.field.as_str())
                .filter(|f| !f.is_empty())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    (c, text)
}

/// What a change waiting for its approval would write, field by field,
/// beside what the state holds now: what an approver reads before F2
/// (the queue named only the fields: "owner, sla_days"). A record's
/// fields are those the request governs; a secret (a PIN's or a
/// password's hash) is never shown.
pub fn pending_change(
    state: &crate::core::State,
    req: &crate::core::state::ChangeRequest,
) -> Vec<FieldChange> {
    use crate::core::event::Change;
    use crate::core::master::Record;
    let subject = req.change.subject();
    let (before, after): (Option<Value>, Value) = match &req.change {
        Change::Record(r) => {
            let now = match r {
                Record::Customer(x) => state.customers.get(&x.code).map(json),
                Record::Item(x) => state.items.get(&x.sku).map(json),
                Record::Operator(x) => state.operators.get(&x.code).map(json),
                _ => None,
            };
            let inner = match json(r) {
                Value::Object(m) if m.len() == 1 => {
                    m.into_iter().next().map(|x| x.1).unwrap_or(Value::Null)
                }
                other => other,
            };
            (now, inner)
        }
        Change::PostingRule {
            entity,
            key,
            account,
        } => (
            state
                .posting_rules
                .get(&(entity.clone(), *key))
                .map(|a| Value::String(a.to_string())),
            Value::String(account.to_string()),
        ),
        Change::CategoryMarginFloor { category, pct } => (
            state
                .category_floors
                .get(category)
                .map(|p| Value::String(p.to_string())),
            pct.map(|p| Value::String(p.to_string()))
                .unwrap_or(Value::Null),
        ),
        Change::ExceptionRouting {
            entity,
            warehouse,
            kind,
            route,
        } => (
            Some(json(&crate::core::exceptions::route(
                state,
                *kind,
                entity,
                warehouse.as_deref(),
            ))),
            json(route),
        ),
        Change::ChannelPolicy(p) => (
            state
                .channel_policies
                .get(&(p.entity.clone(), p.channel))
                .map(json),
            json(p),
        ),
        Change::DataQualityRules { .. } | Change::ReopenPeriod { .. } | Change::TimeZone { .. } => {
            return Vec::new()
        }
    };
    let mut out = Vec::new();
    diff(&subject, "", before.as_ref(), &after, &mut out);
    let governed = |f: &str| {
        !matches!(req.change, Change::Record(_))
            || req
                .fields
                .iter()
                .any(|g| f == g || f.starts_with(&format!("{g}.")))
    };
    let secret = |f: &str| {
        let f = f.to_ascii_lowercase();
        ["hash", "pin", "password", "secret", "salt"]
            .iter()
            .any(|w| f.contains(w))
    };
    out.retain(|c| governed(&c.field) && !secret(&c.field));
    out
}

/// Finish a row's subject whose before was found in the older log: its
/// changes (in the order the subjects were written) and its summary part.
fn resolve_row(row: &mut AuditRow, subject: &str, before: Option<&Value>, value: &Value) {
    let (c, text) = changed(subject, before, value);
    row.changes.extend(c);
    // In the order the record wrote its subjects (its documents' order).
    let docs = &row.documents;
    row.changes.sort_by_key(|x| {
        docs.iter()
            .position(|d| *d == x.subject)
            .unwrap_or(usize::MAX)
    });
    let placeholder = unread(subject);
    if let Some(part) = row.said.iter_mut().find(|p| **p == placeholder) {
        *part = text;
    }
    if !row.refused {
        row.summary = squash(&row.said);
    }
}

/// Every master-data value an event writes, a price list's prices each as
/// its own subject too: what a search of the older log for a subject's
/// last value reads.
pub fn writes(e: &Event) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (subject, value) in master_value(e).unwrap_or_default() {
        if let Some(list) = subject.strip_prefix("price list ") {
            if let Some(Value::Object(prices)) = value.get("prices") {
                for (sku, p) in prices {
                    out.push((format!("price {list}/{sku}"), p.clone()));
                }
            }
        }
        out.push((subject, value));
    }
    out
}

/// Repeated words once with a count: `stock_reserved ×3`.
fn squash(said: &[String]) -> String {
    let mut out: Vec<(String, usize)> = Vec::new();
    for s in said {
        match out.last_mut() {
            Some((last, n)) if last == s => *n += 1,
            _ => out.push((s.clone(), 1)),
        }
    }
    out.into_iter()
        .map(|(s, n)| if n > 1 { format!("{s} ×{n}") } else { s })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The master data an event writes: (subject, its new value). None for
/// an event that is not a master-data change.
fn master_value(e: &Event) -> Option<Vec<(String, Value)>> {
    Some(match e {
        Event::MasterUpserted(r) => {
            let subject = format!("{} {}", r.kind().as_str(), r.key());
            // Externally tagged: {"customer": {...}}; the record is inside.
            let v = match json(r) {
                Value::Object(m) if m.len() == 1 => {
                    m.into_iter().next().map(|x| x.1).unwrap_or(Value::Null)
                }
                other => other,
            };
            vec![(subject, v)]
        }
        Event::ListPriceSet { price_list, price } => {
            vec![(format!("price {price_list}/{}", price.sku), json(price))]
        }
        Event::PostingRuleSet {
            entity,
            key,
            account,
        } => vec![(
            format!("posting rule {entity}/{}", key.as_str()),
            Value::String(account.to_string()),
        )],
        Event::CategoryMarginFloorSet { category, pct } => vec![(
            format!("margin floor of category {category}"),
            pct.map(|p| Value::String(p.to_string()))
                .unwrap_or(Value::Null),
        )],
        Event::DataQualityRulesSet { entity, rules } => vec![(
            format!(
                "data-quality rules of {}",
                entity.as_deref().unwrap_or("every entity")
            ),
            json(rules),
        )],
        Event::FxRateSet(fx) => vec![(
            format!("fx rate {}/{} {}", fx.from, fx.to, fx.date),
            Value::String(fx.rate.to_string()),
        )],
        _ => return None,
    })
}

fn json<T: serde::Serialize>(v: &T) -> Value {
    // serde_json never fails on these plain types; Null if it did.
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// A value as the audit prints it: text without quotes, the rest as
/// compact JSON, nothing for null.
pub fn show(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The fields that differ between `before` (None: the record is new) and
/// `after`, objects compared field by field (dotted paths), anything else
/// as a whole.
fn diff(
    subject: &str,
    path: &str,
    before: Option<&Value>,
    after: &Value,
    out: &mut Vec<FieldChange>,
) {
    let field = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match (before, after) {
        (Some(Value::Object(b)), Value::Object(a)) => {
            for (k, av) in a {
                diff(subject, &field(k), b.get(k), av, out);
            }
            for (k, bv) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                out.push(FieldChange {
                    subject: subject.to_string(),
                    field: field(k),
                    before: show(bv),
                    after: String::new(),
                });
            }
        }
        (None, Value::Object(a)) => {
            for (k, av) in a {
                diff(subject, &field(k), None, av, out);
            }
        }
        (b, a) => {
            if b != Some(a) && !(b.is_none() && (a.is_null() || is_empty(a))) {
                out.push(FieldChange {
                    subject: subject.to_string(),
                    field: path.to_string(),
                    before: b.map(show).unwrap_or_default(),
                    after: show(a),
                });
            }
        }
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// The fields that name a document in an event's JSON.
const DOCUMENT_FIELDS: &[&str] = &[
    "number",
    "order",
    "list",
    "invoice",
    "rma",
    "count",
    "transfer",
    "receipt",
    "shipment",
    "memo",
    "purchase_order",
    "po",
    "wave",
    "note",
    "refund",
    "statement",
    "journal_number",
    // A print names the document it printed (a statement: its customer).
    "doc",
];

/// The documents an event names: its number fields, at the top or one
/// level down (an order placed carries the order).
fn documents_of(e: &Event) -> Vec<String> {
    let mut out = Vec::new();
    match e {
        Event::ChangeRequested { id, change, .. } => {
            out.push(format!("change {id}"));
            out.push(change.subject());
            return out;
        }
        Event::ChangeApproved { id, .. } | Event::ChangeRejected { id, .. } => {
            out.push(format!("change {id}"));
            return out;
        }
        Event::ExceptionReassigned { id, .. }
        | Event::ExceptionCommented { id, .. }
        | Event::ExceptionSnoozed { id, .. } => {
            out.push(format!("exception {id}"));
            return out;
        }
        Event::ClockExceptionNoted { key, .. } => {
            match key {
                ClockKey::Backorder { order, .. }
                | ClockKey::LateShipment { order, .. }
                | ClockKey::LateRisk { order, .. } => out.push(format!("order {order}")),
                ClockKey::UnappliedCash { customer, .. } => {
                    out.push(format!("customer {customer}"))
                }
            }
            return out;
        }
        Event::PasswordSet { operator, .. } => {
            out.push(format!("operator {operator}"));
            return out;
        }
        // The documents it moved to the archive, each by its number.
        Event::Archived(a) => {
            out.extend(a.orders.iter().map(|o| o.order.number.to_string()));
            out.extend(a.picks.iter().map(|p| p.pick.number.to_string()));
            out.extend(a.shipments.iter().map(|s| s.shipment.number.to_string()));
            out.extend(a.invoices.iter().map(|i| i.number.to_string()));
            out.extend(a.receipts.iter().map(|r| r.number.to_string()));
            return out;
        }
        // A receipt names the invoices it paid (an invoice's trail shows
        // the payment that settled it, its write-off and dispute).
        Event::PaymentReceived { receipt, .. } => {
            out.push(receipt.number.to_string());
            for a in &receipt.applications {
                if !out.iter().any(|d| *d == a.invoice) {
                    out.push(a.invoice.to_string());
                }
            }
            return out;
        }
        Event::BankArchived(b) => {
            out.extend(b.lines.iter().map(|l| l.id.to_string()));
            out.extend(b.items.iter().map(|i| i.id.to_string()));
            return out;
        }
        _ => {}
    }
    let Ok(Value::Object(top)) = serde_json::to_value(e) else {
        return out;
    };
    let Some(payload) = top.into_iter().next().map(|x| x.1) else {
        return out;
    };
    let mut look = |o: &serde_json::Map<String, Value>| {
        for f in DOCUMENT_FIELDS {
            if let Some(Value::String(s)) = o.get(*f) {
                if !s.is_empty() && !out.contains(s) {
                    out.push(s.clone());
                }
            }
        }
    };
    if let Value::Object(o) = &payload {
        look(o);
        // Not a journal entry's fields: its `memo` is words ("cost of
        // goods shipped"), not a credit memo's number.
        for (_, v) in o.iter().filter(|(k, _)| !k.contains("journal")) {
            if let Value::Object(inner) = v {
                look(inner);
            }
        }
    }
    out
}

/// An event in a few words: its name (`order_placed`).
fn describe(e: &Event) -> String {
    match serde_json::to_value(e) {
        Ok(Value::Object(m)) => m.keys().next().cloned().unwrap_or_default(),
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}
