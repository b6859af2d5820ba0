//! Bank reconciliation (AR clerk, controller): a statement imported from a
//! CSV, SWIFT MT940 or ISO 20022 camt.053 file whose path is typed on
//! screen; its lines beside the book items
//! the bank has not shown yet (side by side from 110 columns, one list at a
//! time below, Tab switching); automatic matching with each match's reason
//! shown on its line; a line matched by hand to one or more book items (a
//! difference within the tolerance written off to bank charges) or posted
//! to an account when the books never had it (fees, interest); the book
//! balance and the statement balance the matches imply. Every command is
//! confirmed first; the lists follow other sessions' commits.

use crate::core::bank::{self, BankLine, BookItem, StatementLine};
use crate::core::code::Joined;
use crate::core::master::PostingKey;
use crate::core::types::ToCode;
use crate::core::types::{parse_decimal, Code, Currency};
use crate::core::{CommandBody, Event, State};
use crate::query::money;
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::{fit, moved, TextField};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, TableState};
use ratatui::Frame;
use rust_decimal::Decimal;
use std::collections::BTreeSet;

/// The largest statement file read from disk, in bytes.
pub const STATEMENT_FILE_BYTES_MAX: u64 = 8 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// The statement lines.
    Lines,
    /// The uncleared book items.
    Items,
    /// The write-off tolerance.
    Tolerance,
    Filter,
    /// The statement file's path.
    Path,
    /// The account a line is posted to.
    Account,
    /// The memo of that posting.
    Memo,
    /// Why the statement of the chosen line is voided.
    VoidReason,
}

enum Ask {
    Import(Box<CommandBody>),
    AutoMatch,
    Match(Code, Vec<Code>, Decimal),
    Post(Code, Code, String),
    Done(Code, Code),
    Void(Code, String, String),
}

pub struct BankRec {
    pub focus: Focus,
    pub entity: Option<Code>,
    pub filter: TextField,
    pub tolerance: TextField,
    /// The input of the footer (path, account, memo).
    pub field: TextField,
    /// The line being matched, and the items marked for it.
    pub current: Option<Code>,
    pub marked: BTreeSet<Code>,
    line_sel: usize,
    item_sel: usize,
    /// The list shown when only one fits (and where a field returns to).
    list: Focus,
    /// The account chosen while the memo is typed.
    account: Code,
    /// The statement whose void reason is typed: (number, its lines).
    voiding: Option<(String, usize)>,
    key: String,
    asking: Option<Ask>,
    pending: bool,
    page: usize,
    notice: Option<Notice>,
}

/// A statement line as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineRow {
    pub id: Code,
    pub date: chrono::NaiveDate,
    pub amount: Decimal,
    pub reference: String,
    pub description: String,
    pub statement: String,
    /// Why it is cleared; empty while open.
    pub status: String,
    pub open: bool,
}

/// The statement lines of an entity: the open ones first (by date), then
/// the cleared ones, newest first, each with the reason it is cleared.
pub fn line_rows(s: &State, entity: &str) -> Vec<LineRow> {
    let row = |l: &BankLine| LineRow {
        id: l.id.clone(),
        date: l.date,
        amount: l.amount,
        reference: l.reference.clone(),
        description: l.description.clone(),
        statement: l.statement.clone(),
        status: bank::explain(s, l).unwrap_or_default(),
        open: l.cleared.is_none(),
    };
    let mut open: Vec<LineRow> = Vec::new();
    let mut done: Vec<LineRow> = Vec::new();
    for l in s.bank_lines.values().filter(|l| l.entity == entity) {
        if l.cleared.is_none() {
            open.push(row(l));
        } else {
            done.push(row(l));
        }
    }
    open.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
    done.sort_by(|a, b| b.id.cmp(&a.id));
    open.extend(done);
    open
}

/// The entity's uncleared book items, by date.
pub fn item_rows<'s>(s: &'s State, entity: &str) -> Vec<&'s BookItem> {
    let mut v: Vec<&BookItem> = s
        .index
        .uncleared_book_items
        .get(&entity.to_code())
        .into_iter()
        .flatten()
        .filter_map(|id| s.book_items.get(id))
        .collect();
    v.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
    v
}

/// The figures of a reconciliation: the bank account's book balance, the
/// book items the bank has not shown, the statement lines not explained,
/// and the statement balance they imply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    pub book: Decimal,
    pub outstanding: Decimal,
    pub unmatched: Decimal,
    pub unmatched_lines: usize,
    pub lines: usize,
}

impl Figures {
    pub fn implied(&self) -> Decimal {
        self.book - self.outstanding + self.unmatched
    }
}

pub fn figures(s: &State, entity: &str) -> Figures {
    let mut f = Figures::default();
    if let Some(account) = bank::bank_account(s, entity) {
        f.book = s
            .ledger
            .balances
            .get(&(entity.to_code(), account.clone()))
            .copied()
            .unwrap_or_default();
    }
    f.outstanding = item_rows(s, entity).iter().map(|i| i.amount).sum();
    for l in s.bank_lines.values().filter(|l| l.entity == entity) {
        f.lines += 1;
        if l.cleared.is_none() {
            f.unmatched += l.amount;
            f.unmatched_lines += 1;
        }
    }
    f
}

/// Read a statement file (CSV: date, amount, reference, description; the
/// `entity` and `statement` columns may be left out: then the entity is
/// the one on screen and the statement number the file's name; or MT940,
/// known by its first tag, for the entity on screen: `io::mt940`) into
/// the command that imports it.
pub fn read_statement(
    path: &str,
    entity: &str,
    s: &State,
    by: (&str, chrono::DateTime<chrono::Utc>),
) -> Result<CommandBody, String> {
    let p = std::path::Path::new(path);
    let meta = std::fs::metadata(p).map_err(|e| format!("{path}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{path} is not a file"));
    }
    if meta.len() > STATEMENT_FILE_BYTES_MAX {
        return Err(format!(
            "{path} is {} bytes: a statement file is at most {STATEMENT_FILE_BYTES_MAX}",
            meta.len()
        ));
    }
    let bytes = std::fs::read(p).map_err(|e| format!("{path}: {e}"))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("{path} is not UTF-8 text (a CSV or MT940 file)"))?;
    let stem = p
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let csv_file = !crate::io::mt940::looks_like(&text) && !crate::io::camt053::looks_like(&text);
    let text = if crate::io::mt940::looks_like(&text) {
        crate::io::mt940::to_csv(&text, entity).map_err(|e| format!("{path}: {e}"))?
    } else if crate::io::camt053::looks_like(&text) {
        crate::io::camt053::to_csv(&text, entity).map_err(|e| format!("{path}: {e}"))?
    } else {
        with_defaults(&text, entity, &stem)?
    };
    let mut cmds =
        crate::io::csv::parse("bank-statement", &text, s).map_err(|e| format!("{path}: {e}"))?;
    match (cmds.pop(), cmds.is_empty()) {
        (Some(c @ CommandBody::ImportBankStatement { .. }), true) => match &c {
            CommandBody::ImportBankStatement { entity: e, .. } if e != entity => Err(format!(
                "{path} is a statement of {e}, not {entity}: choose {e} first (F2)"
            )),
            _ => match dry_run(s, by, c.clone()) {
                // What the core would refuse, said before the confirm and
                // of the file's own lines.
                Err(r) => Err(format!("{path}: {}", of_the_file(&r.to_string(), csv_file))),
                Ok(()) => Ok(c),
            },
        },
        (None, _) => Err(format!("{path} has no statement line")),
        _ => Err(format!(
            "{path} holds several statements: import them with `depot import bank-statement`"
        )),
    }
}

/// The core's decision on `body` by operator `by.0` at `by.1`, on the
/// view, committing nothing.
fn dry_run(
    s: &State,
    by: (&str, chrono::DateTime<chrono::Utc>),
    body: CommandBody,
) -> Result<(), crate::core::rejection::Rejection> {
    let cmd = crate::core::Command {
        operator: by.0.to_string().into(),
        session: "preview".into(),
        time: by.1,
        key: None,
        body,
    };
    crate::core::decide(s, &cmd).map(|_| ())
}

/// A refusal of a statement's `lines[i].field` said of the file: the
/// CSV's line (its header is line 1) and column, or the statement line.
fn of_the_file(refusal: &str, csv_file: bool) -> String {
    let Some(r) = crate::io::csv::statement_line_refusal(refusal) else {
        return refusal.to_string();
    };
    let at_line = match csv_file {
        true => format!("line {}, column {}:", r.index + 2, r.field),
        false => format!("statement line {}, {}:", r.index + 1, r.field),
    };
    format!("{}{at_line}{}", r.before, r.after)
}

/// The CSV text with `entity` and `statement` columns added where the
/// bank's file has none.
fn with_defaults(text: &str, entity: &str, statement: &str) -> Result<String, String> {
    // Rewritten below by the lenient reader: its quoting is checked first.
    crate::io::csv::check_quotes(text.trim_start_matches('\u{feff}')).map_err(|e| e.to_string())?;
    let mut r = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = r
        .headers()
        .map_err(|e| format!("line 1: {e}"))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect::<Vec<_>>();
    let add_entity = !headers.iter().any(|h| h == "entity");
    let add_statement = !headers.iter().any(|h| h == "statement");
    if !add_entity && !add_statement {
        return Ok(text.to_string());
    }
    if add_statement && statement.trim().is_empty() {
        return Err("the file has no statement column and no name to number it by".into());
    }
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let extend = |mut v: Vec<String>| {
        if add_entity {
            v.push(entity.to_string());
        }
        if add_statement {
            v.push(statement.to_string());
        }
        v
    };
    let mut head = headers;
    if add_entity {
        head.push("entity".into());
    }
    if add_statement {
        head.push("statement".into());
    }
    w.write_record(head).map_err(|e| e.to_string())?;
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| format!("line {}: {e}", i + 2))?;
        w.write_record(extend(rec.iter().map(str::to_string).collect()))
            .map_err(|e| e.to_string())?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

impl BankRec {
    pub fn new(ctx: &Ctx) -> BankRec {
        let s = ctx.state();
        // The entity chosen last in this session (a second visit after a
        // month was reconciled opened on the entity with more work left,
        // and a statement was imported into its bank account), else the
        // operator's own entity (its default warehouse's), else the
        // entity with the most uncleared book items.
        let chosen = ctx.chosen_entity.borrow().clone();
        let home = chosen
            .as_ref()
            .or(ctx.home_entity())
            .filter(|e| bank::bank_account(s, e).is_some());
        let busiest = s
            .entities
            .keys()
            .filter(|e| bank::bank_account(s, e).is_some())
            .max_by_key(|e| {
                (
                    s.index.uncleared_book_items.get(*e).map_or(0, |v| v.len()),
                    std::cmp::Reverse(*e),
                )
            });
        let entity = home.or(busiest).cloned();
        ctx.chosen_entity.replace(entity.clone());
        BankRec {
            focus: Focus::Lines,
            entity,
            filter: TextField::default(),
            // Typing over the proposed 5.00 replaces it.
            tolerance: TextField::proposed("5.00"),
            field: TextField::default(),
            current: None,
            marked: BTreeSet::new(),
            line_sel: 0,
            item_sel: 0,
            list: Focus::Lines,
            account: Code::default(),
            voiding: None,
            key: ctx.new_key(),
            asking: None,
            pending: false,
            page: 10,
            notice: None,
        }
    }

    fn currency(&self, s: &State) -> Currency {
        self.entity
            .as_ref()
            .and_then(|e| s.entities.get(e))
            .map(|e| e.base_currency.clone())
            .unwrap_or_else(|| Currency::new("USD"))
    }

    fn matches_filter(&self, text: &str) -> bool {
        let f = self.filter.trimmed().to_ascii_uppercase();
        f.is_empty() || text.to_ascii_uppercase().contains(&f)
    }

    fn lines(&self, s: &State) -> Vec<LineRow> {
        let Some(e) = &self.entity else {
            return Vec::new();
        };
        line_rows(s, e)
            .into_iter()
            .filter(|l| {
                self.matches_filter(&format!(
                    "{} {} {} {} {} {} {}",
                    l.id, l.date, l.amount, l.reference, l.description, l.statement, l.status
                ))
            })
            .collect()
    }

    fn items<'s>(&self, s: &'s State) -> Vec<&'s BookItem> {
        let Some(e) = &self.entity else {
            return Vec::new();
        };
        item_rows(s, e)
            .into_iter()
            .filter(|i| {
                self.matches_filter(&format!(
                    "{} {} {} {} {} {}",
                    i.id,
                    i.date,
                    i.amount,
                    i.doc,
                    i.memo,
                    bank::book_reference(s, i)
                ))
            })
            .collect()
    }

    fn tolerance_value(&self) -> Option<Decimal> {
        parse_decimal(&crate::ui::entry::ungroup(self.tolerance.trimmed()))
            .ok()
            .filter(|t| *t >= Decimal::ZERO)
    }

    /// The tolerance as typed, or why it is not one: an amount of 0 or
    /// more in the currency's decimals (the core refuses 1.234 USD, and
    /// only after the confirm had shown it as 1.23).
    fn tolerance_checked(&self, s: &State) -> Result<Decimal, String> {
        let cur = self.currency(s);
        let text = self.tolerance.trimmed();
        let t = self
            .tolerance_value()
            .ok_or_else(|| format!("the tolerance {text:?} is not an amount of 0 or more"))?;
        let dp = cur.minor_units();
        if crate::core::types::decimals_used(t) > dp {
            return Err(format!(
                "the tolerance {text} has more than {dp} decimals for {cur}"
            ));
        }
        Ok(t)
    }

    /// The tolerance, or why not said and its field focused to mend it.
    fn tolerance_or_mend(&mut self, s: &State) -> Option<Decimal> {
        match self.tolerance_checked(s) {
            Ok(t) => Some(t),
            Err(why) => {
                self.notice = Some(Notice::error(why));
                self.focus = Focus::Tolerance;
                None
            }
        }
    }

    fn next_entity(&mut self, ctx: &Ctx) {
        let s = ctx.state();
        let with_bank: Vec<&Code> = s
            .entities
            .keys()
            .filter(|e| bank::bank_account(s, e).is_some())
            .collect();
        let i = with_bank
            .iter()
            .position(|e| Some(*e) == self.entity.as_ref())
            .map(|i| (i + 1) % with_bank.len().max(1))
            .unwrap_or(0);
        self.entity = with_bank.get(i).map(|e| (*e).clone());
        ctx.chosen_entity.replace(self.entity.clone());
        self.current = None;
        self.marked.clear();
        self.line_sel = 0;
        self.item_sel = 0;
    }

    fn ask(&mut self, ask: Ask, question: String) -> Flow {
        self.asking = Some(ask);
        Flow::Confirm(question)
    }

    fn submit(&mut self, body: CommandBody) -> Flow {
        if self.pending {
            return Flow::Stay;
        }
        self.pending = true;
        Flow::Submit(Box::new(Request {
            key: self.key.clone(),
            body,
        }))
    }

    fn auto_match(&mut self, ctx: &Ctx) -> Flow {
        let Some(entity) = self.entity.clone() else {
            self.notice = Some(Notice::error("no entity has a bank account"));
            return Flow::Stay;
        };
        let Some(t) = self.tolerance_or_mend(ctx.state()) else {
            return Flow::Stay;
        };
        let f = figures(ctx.state(), &entity);
        if f.unmatched_lines == 0 {
            self.notice = Some(Notice::error(format!(
                "{entity} has no open statement line: import a statement first (F9)"
            )));
            return Flow::Stay;
        }
        let cur = self.currency(ctx.state());
        self.ask(
            Ask::AutoMatch,
            format!(
                "Match {entity}'s {} open line(s) automatically (within {} days, differences up to {} {cur} written off)?",
                f.unmatched_lines,
                bank::WINDOW_DAYS_DEFAULT,
                money(t, &cur)
            ),
        )
    }

    /// Match the current line to the marked items.
    fn match_current(&mut self, ctx: &Ctx) -> Flow {
        let s = ctx.state();
        let Some(line) = self.current.as_ref().and_then(|l| s.bank_lines.get(l)) else {
            self.notice = Some(Notice::error(
                "choose a statement line first (Enter on the line), then mark its book items",
            ));
            return Flow::Stay;
        };
        if self.marked.is_empty() {
            self.notice = Some(Notice::error(format!(
                "mark the book items {} pays (Enter or space on an item); F7 posts a line the books lack",
                line.id
            )));
            return Flow::Stay;
        }
        let Some(t) = self.tolerance_or_mend(ctx.state()) else {
            return Flow::Stay;
        };
        let sum: Decimal = self
            .marked
            .iter()
            .filter_map(|i| s.book_items.get(i))
            .map(|i| i.amount)
            .sum();
        let diff = line.amount - sum;
        let cur = self.currency(s);
        if diff.abs() > t {
            self.notice = Some(Notice::error(format!(
                // Short enough for 80 columns: the line above names the
                // statement line and the items.
                "{} apart is beyond the tolerance of {} (line {}, items {})",
                money(diff.abs(), &cur),
                money(t, &cur),
                money(line.amount, &cur),
                money(sum, &cur)
            )));
            return Flow::Stay;
        }
        let items: Vec<Code> = self.marked.iter().cloned().collect();
        let wo = if diff.is_zero() {
            String::new()
        } else {
            format!("; {} {cur} written off to bank charges", money(diff, &cur))
        };
        let q = format!(
            "Match {} ({} {cur}) to {}{wo}?",
            line.id,
            money(line.amount, &cur),
            items.joined(", ")
        );
        self.ask(Ask::Match(line.id.clone(), items, t), q)
    }

    /// Ask why the statement of the selected line is voided: refused at
    /// once when any of its lines is cleared (the core keeps it then).
    fn start_void(&mut self, ctx: &Ctx) {
        let s = ctx.state();
        let Some(entity) = self.entity.clone() else {
            return;
        };
        let lines = self.lines(s);
        let Some(l) = lines.get(self.line_sel) else {
            self.notice = Some(Notice::error("choose a line of the statement to void"));
            return;
        };
        let of: Vec<&BankLine> = s
            .bank_lines
            .values()
            .filter(|x| x.entity == entity && x.statement == l.statement)
            .collect();
        let cleared = of.iter().filter(|x| x.cleared.is_some()).count();
        if cleared > 0 {
            self.notice = Some(Notice::error(format!(
                "statement {} has {cleared} cleared line(s): it stays",
                l.statement
            )));
            return;
        }
        self.voiding = Some((l.statement.clone(), of.len()));
        self.field = TextField::default();
        self.focus = Focus::VoidReason;
    }

    fn void_reason_entered(&mut self) -> Flow {
        let reason = self.field.trimmed().to_string();
        if reason.is_empty() {
            self.notice = Some(Notice::error("say why it is voided (a wrong file, ...)"));
            return Flow::Stay;
        }
        let (Some(entity), Some((statement, n))) = (self.entity.clone(), self.voiding.clone())
        else {
            return Flow::Stay;
        };
        self.focus = self.list;
        self.asking = Some(Ask::Void(entity.clone(), statement.clone(), reason));
        Flow::ConfirmStrict(format!(
            "Void statement {statement} of {entity}: its {n} line(s) leave the reconciliation? (y: void, Enter or n: keep)"
        ))
    }

    fn start_post(&mut self, ctx: &Ctx) {
        let s = ctx.state();
        let lines = self.lines(s);
        let Some(l) = lines.get(self.line_sel).filter(|l| l.open) else {
            self.notice = Some(Notice::error(
                "choose an open statement line to post (a fee, interest)",
            ));
            return;
        };
        self.current = Some(l.id.clone());
        self.marked.clear();
        // A charge goes to bank charges unless the clerk says otherwise.
        let guess = if l.amount < Decimal::ZERO {
            self.entity
                .as_ref()
                .and_then(|e| s.posting_rules.get(&(e.clone(), PostingKey::BankCharges)))
                .cloned()
                .unwrap_or_default()
        } else {
            Code::default()
        };
        self.field = TextField::new(&guess);
        self.focus = Focus::Account;
    }

    fn account_entered(&mut self, ctx: &Ctx) {
        let s = ctx.state();
        let Some(entity) = self.entity.clone() else {
            return;
        };
        if self.field.trimmed().is_empty() {
            self.notice = Some(Notice::error("the account to post the line to"));
            return;
        }
        // Its code, or words of its name.
        match crate::ui::entry::find_account(s, &entity, self.field.trimmed()) {
            Err(why) => self.notice = Some(Notice::error(why)),
            Ok(a) => {
                let account = a.code.clone();
                let memo = self
                    .current
                    .as_ref()
                    .and_then(|l| s.bank_lines.get(l))
                    .map(|l| {
                        if l.description.is_empty() {
                            l.reference.clone()
                        } else {
                            l.description.clone()
                        }
                    })
                    .unwrap_or_default();
                self.notice = Some(Notice::info(format!("{account} {}", a.name)));
                self.account = account;
                self.field = TextField::new(&memo);
                self.focus = Focus::Memo;
            }
        }
    }

    fn memo_entered(&mut self, ctx: &Ctx) -> Flow {
        let memo = self.field.trimmed().to_string();
        if memo.is_empty() {
            self.notice = Some(Notice::error(
                "a memo says what the line is (bank fee, interest)",
            ));
            return Flow::Stay;
        }
        let s = ctx.state();
        let Some(line) = self.current.as_ref().and_then(|l| s.bank_lines.get(l)) else {
            self.focus = self.list;
            return Flow::Stay;
        };
        let cur = self.currency(s);
        self.focus = self.list;
        // The day it posts on, said: a line of a closed month posts today
        // (the core's rule), which the question did not say.
        let day = crate::core::bank::posting_date(s, line, ctx.entity_today(&line.entity));
        let dated = if day == line.date {
            format!("dated {day}")
        } else {
            let period = s
                .period_of(&line.entity, line.date)
                .map(|p| p.code.to_string())
                .unwrap_or_default();
            format!("dated {day}: {period} of its day {} is closed", line.date)
        };
        let q = format!(
            "Post {} ({} {cur}) to {} as {memo:?}, {dated}?",
            line.id,
            money(line.amount, &cur),
            self.account
        );
        self.ask(Ask::Post(line.id.clone(), self.account.clone(), memo), q)
    }

    fn path_entered(&mut self, ctx: &Ctx) -> Flow {
        let path = self.field.trimmed().to_string();
        if path.is_empty() {
            self.notice = Some(Notice::error(
                "the statement file's path (CSV, MT940 or camt.053)",
            ));
            return Flow::Stay;
        }
        let Some(entity) = self.entity.clone() else {
            self.notice = Some(Notice::error("no entity has a bank account"));
            return Flow::Stay;
        };
        let s = ctx.state();
        match read_statement(&path, &entity, s, (ctx.operator, ctx.now)) {
            Err(e) => {
                self.notice = Some(Notice::error(e));
                Flow::Stay
            }
            Ok(body) => {
                let CommandBody::ImportBankStatement {
                    statement, lines, ..
                } = &body
                else {
                    return Flow::Stay;
                };
                let cur = self.currency(s);
                let (inn, out) = sums(lines);
                // Which book it lands in, said first: the screen opens on
                // one entity of several, and a statement in the wrong
                // bank account is cleared only by a reversing journal.
                let account = bank::bank_account(s, &entity)
                    .map(|a| format!(" bank {a}"))
                    .unwrap_or_default();
                let q = format!(
                    "Import statement {statement} into {entity}{account} ({cur}): {} line(s), in {} out {} {cur}?",
                    lines.len(),
                    money(inn, &cur),
                    money(out, &cur)
                );
                self.focus = self.list;
                self.ask(Ask::Import(Box::new(body)), q)
            }
        }
    }

    fn mark_done(&mut self, ctx: &Ctx) -> Flow {
        let s = ctx.state();
        let Some(entity) = self.entity.clone() else {
            self.notice = Some(Notice::error("no entity has a bank account"));
            return Flow::Stay;
        };
        let Some(period) = rec_period(s, &entity, ctx.today()) else {
            self.notice = Some(Notice::error(format!("{entity} has no period for today")));
            return Flow::Stay;
        };
        if let Some(by) = s.bank_reconciled.get(&(entity.clone(), period.clone())) {
            self.notice = Some(Notice::info(format!(
                "{entity} {period}: the reconciliation was marked done by {by}"
            )));
            return Flow::Stay;
        }
        let f = figures(s, &entity);
        if f.unmatched_lines > 0 {
            self.notice = Some(Notice::error(format!(
                "{} statement line(s) still open: match or post them first",
                f.unmatched_lines
            )));
            return Flow::Stay;
        }
        let cur = self.currency(s);
        self.ask(
            Ask::Done(entity.clone(), period.clone()),
            format!(
                "Mark {entity}'s bank reconciliation of {period} done (statement balance {} {cur})?",
                money(f.implied(), &cur)
            ),
        )
    }

    fn toggle_item(&mut self, ctx: &Ctx) {
        let s = ctx.state();
        let items = self.items(s);
        let Some(it) = items.get(self.item_sel) else {
            return;
        };
        if self.current.is_none() {
            self.notice = Some(Notice::error(
                "choose the statement line first (Tab to the lines, Enter on one)",
            ));
            return;
        }
        if !self.marked.remove(&it.id) {
            self.marked.insert(it.id.clone());
        }
    }

    fn choose_line(&mut self, ctx: &Ctx) {
        let s = ctx.state();
        let lines = self.lines(s);
        let Some(l) = lines.get(self.line_sel) else {
            return;
        };
        if !l.open {
            self.notice = Some(Notice::info(format!("{}: {}", l.id, l.status)));
            return;
        }
        if self.current.as_ref() != Some(&l.id) {
            self.marked.clear();
        }
        self.current = Some(l.id.clone());
        // The items of exactly this amount first: where the eye goes.
        let items = self.items(s);
        if let Some(i) = items.iter().position(|i| i.amount == l.amount) {
            self.item_sel = i;
        }
        self.focus = Focus::Items;
        self.list = Focus::Items;
    }
}

/// The period a reconciliation is about: that of the entity's newest
/// statement line, else today's.
pub fn rec_period(s: &State, entity: &str, today: chrono::NaiveDate) -> Option<Code> {
    let newest = s
        .bank_lines
        .values()
        .filter(|l| l.entity == entity)
        .map(|l| l.date)
        .max()
        .unwrap_or(today);
    s.period_of(entity, newest).map(|p| p.code.clone())
}

fn sums(lines: &[StatementLine]) -> (Decimal, Decimal) {
    let inn = lines
        .iter()
        .filter(|l| l.amount > Decimal::ZERO)
        .map(|l| l.amount)
        .sum();
    let out = lines
        .iter()
        .filter(|l| l.amount < Decimal::ZERO)
        .map(|l| l.amount)
        .sum();
    (inn, out)
}

impl Screen for BankRec {
    fn name(&self) -> &'static str {
        "bank_rec"
    }
    fn title(&self) -> String {
        match &self.entity {
            Some(e) => format!("bank reconciliation · {e}"),
            None => "bank reconciliation".into(),
        }
    }
    fn context(&self) -> Context {
        match self.focus {
            Focus::Lines | Focus::Items => Context::List,
            _ => Context::Input,
        }
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        let mut a = match self.focus {
            Focus::Lines => vec![
                (Action::Open, "match this line"),
                (Action::Settle, "post the line to an account"),
                (Action::Search, "filter"),
            ],
            Focus::Items => vec![
                (Action::Open, "mark / unmark for the line"),
                (Action::Search, "filter"),
            ],
            Focus::Tolerance => vec![(Action::Submit, "set the tolerance")],
            Focus::Filter => {
                return vec![
                    (Action::Submit, "keep filter"),
                    (Action::Cancel, "clear filter"),
                ]
            }
            Focus::Path => {
                return vec![(Action::Submit, "read the file"), (Action::Cancel, "back")]
            }
            Focus::Account => return vec![(Action::Submit, "account"), (Action::Cancel, "back")],
            Focus::Memo => return vec![(Action::Submit, "post"), (Action::Cancel, "back")],
            Focus::VoidReason => {
                return vec![
                    (Action::Submit, "void the statement"),
                    (Action::Cancel, "back"),
                ]
            }
        };
        a.push((Action::Accept, "match automatically"));
        a.push((Action::Complete, "match the marked items"));
        a.push((Action::Import, "import a statement file"));
        a.push((Action::Reconciled, "mark the period reconciled"));
        a.push((Action::Scope, "next entity"));
        a.push((Action::NextField, "lines / items / tolerance"));
        if self.focus == Focus::Lines {
            a.push((Action::DeleteLine, "void the line's statement"));
        }
        if self.focus == Focus::Tolerance {
            a.push((Action::Cancel, "back"));
        } else if self.current.is_none()
            && self.marked.is_empty()
            && !self.filter.trimmed().is_empty()
        {
            a.push((Action::Back, "clear the filter"));
        } else {
            a.push((Action::Back, "back"));
        }
        a.push((Action::Help, "keys"));
        a
    }

    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        if self.pending {
            return Flow::Stay;
        }
        let s = ctx.state();
        match (self.focus, input) {
            (Focus::Filter, input) => {
                let key = self.filter.filter_key(input);
                if key.changed {
                    self.line_sel = 0;
                    self.item_sel = 0;
                }
                if key.back {
                    self.focus = self.list;
                }
                Flow::Stay
            }
            (
                Focus::Path | Focus::Account | Focus::Memo | Focus::VoidReason,
                Input::Action(Action::Cancel),
            ) => {
                self.field.take();
                self.focus = self.list;
                Flow::Stay
            }
            (Focus::Path, Input::Action(Action::Submit)) => self.path_entered(ctx),
            (Focus::Account, Input::Action(Action::Submit)) => {
                self.account_entered(ctx);
                Flow::Stay
            }
            (Focus::Memo, Input::Action(Action::Submit)) => self.memo_entered(ctx),
            (Focus::VoidReason, Input::Action(Action::Submit)) => self.void_reason_entered(),
            (Focus::Path | Focus::Account | Focus::Memo | Focus::VoidReason, other) => {
                self.field.edit(other);
                Flow::Stay
            }
            (Focus::Tolerance, Input::Action(Action::Submit)) => {
                match self.tolerance_checked(s) {
                    Ok(_) => self.focus = self.list,
                    Err(why) => self.notice = Some(Notice::error(why)),
                }
                Flow::Stay
            }
            (Focus::Tolerance, Input::Action(Action::Cancel)) => {
                if self.tolerance_value().is_none() {
                    self.tolerance = TextField::new("0.00");
                }
                self.focus = self.list;
                Flow::Stay
            }
            (_, Input::Action(Action::Accept)) => self.auto_match(ctx),
            (_, Input::Action(Action::Complete)) => self.match_current(ctx),
            (_, Input::Action(Action::Import)) => {
                self.field = TextField::default();
                self.focus = Focus::Path;
                Flow::Stay
            }
            (_, Input::Action(Action::Reconciled)) => self.mark_done(ctx),
            (_, Input::Action(Action::Scope)) => {
                self.next_entity(ctx);
                Flow::Stay
            }
            (_, Input::Action(Action::NextField | Action::PrevField)) => {
                let order = [Focus::Lines, Focus::Items, Focus::Tolerance];
                let i = order.iter().position(|f| *f == self.focus).unwrap_or(0);
                let back = input == Input::Action(Action::PrevField);
                let j = if back { (i + 2) % 3 } else { (i + 1) % 3 };
                self.focus = order[j];
                if self.focus != Focus::Tolerance {
                    self.list = self.focus;
                }
                Flow::Stay
            }
            (Focus::Tolerance, other) => {
                self.tolerance.edit(other);
                Flow::Stay
            }
            (Focus::Lines | Focus::Items, Input::Action(Action::Search)) => {
                self.focus = Focus::Filter;
                Flow::Stay
            }
            (Focus::Lines, Input::Action(Action::DeleteLine)) => {
                self.start_void(ctx);
                Flow::Stay
            }
            (Focus::Lines, Input::Action(Action::Settle)) => {
                self.start_post(ctx);
                Flow::Stay
            }
            (Focus::Items, Input::Action(Action::Settle)) => {
                self.notice = Some(Notice::error(
                    "F7 posts a statement line: Tab to the lines first",
                ));
                Flow::Stay
            }
            (Focus::Lines, Input::Action(Action::Open)) => {
                self.choose_line(ctx);
                Flow::Stay
            }
            (Focus::Items, Input::Action(Action::Open)) | (Focus::Items, Input::Char(' ')) => {
                self.toggle_item(ctx);
                Flow::Stay
            }
            (Focus::Lines | Focus::Items, Input::Action(Action::Back | Action::Cancel)) => {
                if self.current.is_some() || !self.marked.is_empty() {
                    self.current = None;
                    self.marked.clear();
                    self.notice = Some(Notice::info("match put aside"));
                    Flow::Stay
                } else if !self.filter.trimmed().is_empty() {
                    // A filter kept is cleared first, as on the exception
                    // queue and the finance views.
                    self.filter = TextField::default();
                    self.line_sel = 0;
                    self.item_sel = 0;
                    Flow::Stay
                } else {
                    Flow::Pop
                }
            }
            (Focus::Lines, Input::Action(a)) => {
                let n = self.lines(s).len();
                self.line_sel = moved(self.line_sel, n, a, self.page);
                Flow::Stay
            }
            (Focus::Items, Input::Action(a)) => {
                let n = self.items(s).len();
                self.item_sel = moved(self.item_sel, n, a, self.page);
                Flow::Stay
            }
            _ => Flow::Stay,
        }
    }

    fn confirmed(&mut self, yes: bool, _ctx: &Ctx) -> Flow {
        let Some(ask) = self.asking.take() else {
            return Flow::Stay;
        };
        if !yes {
            return Flow::Stay;
        }
        match ask {
            Ask::Import(body) => self.submit(*body),
            Ask::AutoMatch => match (self.entity.clone(), self.tolerance_value()) {
                (Some(entity), Some(t)) => self.submit(CommandBody::AutoMatchBank {
                    entity,
                    window_days: None,
                    tolerance: Some(t),
                }),
                _ => Flow::Stay,
            },
            Ask::Match(line, items, t) => self.submit(CommandBody::MatchBankLine {
                line,
                items,
                tolerance: Some(t),
            }),
            Ask::Done(entity, period) => {
                self.submit(CommandBody::MarkBankReconciled { entity, period })
            }
            Ask::Post(line, account, memo) => self.submit(CommandBody::PostBankLine {
                line,
                account,
                memo,
            }),
            Ask::Void(entity, statement, reason) => self.submit(CommandBody::VoidBankStatement {
                entity,
                statement,
                reason,
            }),
        }
    }

    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        self.pending = false;
        // Each command answered: the next one is a new one.
        self.key = ctx.new_key();
        match outcome {
            Submitted::Committed {
                events, duplicate, ..
            } => {
                let again = if duplicate {
                    "(already committed) "
                } else {
                    ""
                };
                let mut said = Vec::new();
                for e in &events {
                    match e {
                        Event::BankStatementImported {
                            statement, lines, ..
                        } => said.push(format!(
                            "IMPORTED statement {statement}: {} line(s)",
                            lines.len()
                        )),
                        Event::BankMatched { matches, auto, .. } => said.push(format!(
                            "{} {} line(s)",
                            if *auto { "AUTO-MATCHED" } else { "MATCHED" },
                            matches.len()
                        )),
                        Event::BankLinePosted { line, journal, .. } => {
                            said.push(format!("POSTED {line} ({})", journal.memo))
                        }
                        Event::BankReconciled { period, .. } => {
                            said.push(format!("RECONCILED {period}"))
                        }
                        Event::BankStatementVoided {
                            statement, lines, ..
                        } => said.push(format!(
                            "VOIDED statement {statement}: {} line(s) gone",
                            lines.len()
                        )),
                        _ => {}
                    }
                }
                if let Some(e) = &self.entity {
                    let f = figures(ctx.state(), e);
                    said.push(format!("{} line(s) open", f.unmatched_lines));
                }
                self.notice = Some(Notice::info(format!("{again}{}", said.join("; "))));
                self.current = None;
                self.marked.clear();
                self.field.take();
            }
            Submitted::Refused(crate::core::rejection::Rejection::NoChange) => {
                self.notice = Some(Notice::info(
                    "nothing matched without doubt: match the rest by hand (Enter on a line)",
                ));
            }
            Submitted::Refused(r) => self.notice = Some(Notice::error(r.to_string())),
            Submitted::Stopped(e) => self.notice = Some(Notice::error(format!("not done: {e}"))),
        }
        Flow::Stay
    }

    fn committed(&mut self, ctx: &Ctx) {
        let s = ctx.state();
        // What another session cleared meanwhile leaves the match.
        if let Some(l) = &self.current {
            if s.bank_lines.get(l).is_none_or(|l| l.cleared.is_some()) {
                self.current = None;
                self.marked.clear();
            }
        }
        self.marked.retain(|i| {
            s.book_items
                .get(i)
                .is_some_and(|it| it.cleared_by.is_none())
        });
        self.line_sel = self.line_sel.min(self.lines(s).len().saturating_sub(1));
        self.item_sel = self.item_sel.min(self.items(s).len().saturating_sub(1));
    }

    fn dirty(&self) -> bool {
        false
    }

    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }

    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let theme = ctx.theme;
        let s = ctx.state();
        let wide = area.width >= 110;
        let cur = self.currency(s);
        let lbl = |t: &str| Span::styled(t.to_string(), theme.label());
        let [head, body, foot] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Min(3),
            Constraint::Length(2),
        ])
        .areas(area);

        let entity = self.entity.clone().unwrap_or_default();
        let fig = figures(s, &entity);
        let account = bank::bank_account(s, &entity).cloned().unwrap_or_default();
        let period = rec_period(s, &entity, ctx.today()).unwrap_or_default();
        let done = s
            .bank_reconciled
            .get(&(entity.clone(), period.clone()))
            .map(|by| match fig.unmatched_lines {
                // Marked done, then a statement brought lines still open:
                // not done any more, whatever the mark says (period close
                // blocks on them too).
                0 => Span::styled(format!("  {period} done ({by})"), theme.good()),
                n if wide => Span::styled(
                    format!("  {period} marked done by {by}, {n} line(s) open since"),
                    theme.error(),
                ),
                n => Span::styled(format!("  {period}: {n} open since done"), theme.error()),
            })
            .unwrap_or_else(|| Span::styled(format!("  {period} not done"), theme.dim()));
        // At 80 columns the line holds the period's state whole: shorter
        // labels ("FY2026-12 done (AR" was cut).
        let l1 = Line::from(vec![
            lbl(if wide { "Entity " } else { "" }),
            Span::raw(format!("{entity} bank {account}")),
            lbl(if wide { "  Tolerance " } else { "  Tol " }),
            self.tolerance
                .span(self.focus == Focus::Tolerance, 8, theme),
            Span::raw(if wide {
                format!("  {} line(s), {} open", fig.lines, fig.unmatched_lines)
            } else {
                format!("  {} lines, {} open", fig.lines, fig.unmatched_lines)
            }),
            done,
        ]);
        let implied = Span::styled(
            money(fig.implied(), &cur),
            if fig.unmatched_lines == 0 && fig.lines > 0 {
                theme.good()
            } else {
                theme.label()
            },
        );
        let l2 = if wide {
            Line::from(vec![
                lbl("Book "),
                Span::raw(money(fig.book, &cur)),
                lbl("  less outstanding "),
                Span::raw(money(fig.outstanding, &cur)),
                lbl("  plus unmatched "),
                Span::raw(money(fig.unmatched, &cur)),
                lbl("  = statement implied "),
                implied,
                Span::raw(format!(" {cur}")),
            ])
        } else {
            Line::from(vec![
                lbl("Book "),
                Span::raw(money(fig.book, &cur)),
                lbl(" out "),
                Span::raw(money(fig.outstanding, &cur)),
                lbl(" unm "),
                Span::raw(money(fig.unmatched, &cur)),
                lbl(" stmt "),
                implied,
            ])
        };
        f.render_widget(Paragraph::new(vec![l1, l2]), head);

        let lines = self.lines(s);
        let items = self.items(s);
        self.line_sel = self.line_sel.min(lines.len().saturating_sub(1));
        self.item_sel = self.item_sel.min(items.len().saturating_sub(1));
        self.page = body.height.saturating_sub(3).max(1) as usize;
        let filt = if self.filter.text.is_empty() && self.focus != Focus::Filter {
            String::new()
        } else {
            format!("/{} ", self.filter.text)
        };
        let (line_area, item_area) = if wide {
            let [a, b] =
                Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
                    .areas(body);
            (Some(a), Some(b))
        } else if self.list == Focus::Items {
            (None, Some(body))
        } else {
            (Some(body), None)
        };
        if let Some(la) = line_area {
            let status_w = la.width.saturating_sub(40) as usize;
            let rows: Vec<Row> = lines
                .iter()
                .map(|l| {
                    let mark = if self.current.as_ref() == Some(&l.id) {
                        "▶"
                    } else {
                        " "
                    };
                    let what = if l.open {
                        fit(
                            &format!("{} {}", l.reference, l.description),
                            status_w.max(4),
                        )
                    } else {
                        fit(&l.status, status_w.max(4))
                    };
                    let row = Row::new(vec![
                        format!("{mark}{}", l.id),
                        l.date.format("%m-%d").to_string(),
                        money(l.amount, &cur),
                        fit(&l.statement, 8),
                        what,
                    ]);
                    if l.open {
                        row
                    } else {
                        row.style(theme.dim())
                    }
                })
                .collect();
            let mut st = TableState::default();
            if self.focus == Focus::Lines && !lines.is_empty() {
                st.select(Some(self.line_sel));
            }
            let title = if wide {
                format!(" statement lines ({}) {filt}", lines.len())
            } else {
                format!(
                    " statement lines ({}) {filt}· Tab: book items ",
                    lines.len()
                )
            };
            f.render_stateful_widget(
                Table::new(
                    rows,
                    [
                        Constraint::Length(10),
                        Constraint::Length(5),
                        Constraint::Length(12),
                        Constraint::Length(8),
                        Constraint::Min(4),
                    ],
                )
                .header(
                    Row::new(["Line", "Date", "Amount", "Stmt", "Reference / how cleared"])
                        .style(theme.label()),
                )
                .row_highlight_style(theme.selected())
                .block(Block::new().borders(Borders::TOP).title(title)),
                la,
                &mut st,
            );
        }
        if let Some(ia) = item_area {
            let memo_w = ia.width.saturating_sub(40) as usize;
            let rows: Vec<Row> = items
                .iter()
                .map(|i| {
                    let mark = if self.marked.contains(&i.id) {
                        "*"
                    } else {
                        " "
                    };
                    let r = bank::book_reference(s, i);
                    let what = if r.is_empty() {
                        i.memo.clone()
                    } else {
                        format!("{r} {}", i.memo)
                    };
                    Row::new(vec![
                        format!("{mark}{}", i.id),
                        i.date.format("%m-%d").to_string(),
                        money(i.amount, &cur),
                        fit(&format!("{} {what}", i.doc), memo_w.max(4)),
                    ])
                })
                .collect();
            let mut st = TableState::default();
            if self.focus == Focus::Items && !items.is_empty() {
                st.select(Some(self.item_sel));
            }
            let title = if wide {
                format!(" book items outstanding ({}) {filt}", items.len())
            } else {
                format!(
                    " book items outstanding ({}) {filt}· Tab: tolerance, lines ",
                    items.len()
                )
            };
            f.render_stateful_widget(
                Table::new(
                    rows,
                    [
                        Constraint::Length(10),
                        Constraint::Length(5),
                        Constraint::Length(12),
                        Constraint::Min(4),
                    ],
                )
                .header(Row::new(["Item", "Date", "Amount", "Document"]).style(theme.label()))
                .row_highlight_style(theme.selected())
                .block(
                    Block::new()
                        .borders(if wide {
                            Borders::TOP | Borders::LEFT
                        } else {
                            Borders::TOP
                        })
                        .title(title),
                ),
                ia,
                &mut st,
            );
        }

        let match_line = match self.current.as_ref().and_then(|l| s.bank_lines.get(l)) {
            Some(l) => {
                let sum: Decimal = self
                    .marked
                    .iter()
                    .filter_map(|i| s.book_items.get(i))
                    .map(|i| i.amount)
                    .sum();
                Line::from(vec![
                    lbl("Matching "),
                    Span::raw(format!("{} {} ", l.id, money(l.amount, &cur))),
                    lbl("to "),
                    Span::raw(fit(
                        &if self.marked.is_empty() {
                            "(mark items)".to_string()
                        } else {
                            self.marked.iter().cloned().collect::<Vec<_>>().joined(" ")
                        },
                        if wide { 60 } else { 24 },
                    )),
                    lbl(" diff "),
                    Span::styled(
                        money(l.amount - sum, &cur),
                        if (l.amount - sum).is_zero() {
                            theme.good()
                        } else {
                            theme.error()
                        },
                    ),
                ])
            }
            None if fig.lines > 0 && fig.unmatched_lines == 0 => Line::from(Span::styled(
                format!(
                    "Reconciled: every statement line explained; statement balance {} {cur}",
                    money(fig.implied(), &cur)
                ),
                theme.good(),
            )),
            None => Line::from(Span::styled(
                "Enter a line, mark its items, F10 matches; F6 auto; F7 posts; F9 imports",
                theme.dim(),
            )),
        };
        let input_line = match self.focus {
            Focus::Filter => Line::from(vec![
                lbl("Filter "),
                self.filter.span(true, 24, theme),
                Span::styled(" any text of a line or item", theme.dim()),
            ]),
            Focus::Path => Line::from(vec![
                lbl("Statement file "),
                self.field
                    .span(true, area.width.saturating_sub(17) as usize, theme),
            ]),
            Focus::Account => Line::from(vec![
                lbl("Post to account "),
                self.field.span(true, 10, theme),
                Span::styled(" bank charges, interest...", theme.dim()),
            ]),
            Focus::Memo => Line::from(vec![
                lbl(&format!("Memo ({}) ", self.account)),
                self.field.span(true, 40, theme),
            ]),
            Focus::VoidReason => Line::from(vec![
                lbl(&format!(
                    "Void {} because ",
                    self.voiding
                        .as_ref()
                        .map(|v| v.0.as_str())
                        .unwrap_or_default()
                )),
                self.field.span(true, 30, theme),
            ]),
            _ => Line::from(""),
        };
        f.render_widget(Paragraph::new(vec![match_line, input_line]), foot);
    }
}

#[cfg(test)]
mod file_refusals {
    use super::of_the_file;

    #[test]
    fn a_statement_lines_refusal_names_the_files_line() {
        let r = "lines[1].amount 200.005 has more than 2 decimals";
        assert_eq!(
            of_the_file(r, true),
            "line 3, column amount: 200.005 has more than 2 decimals"
        );
        assert_eq!(
            of_the_file(r, false),
            "statement line 2, amount: 200.005 has more than 2 decimals"
        );
        let other = "bank statement US01/S1 already exists";
        assert_eq!(of_the_file(other, true), other);
        assert_eq!(of_the_file("lines[x].amount", true), "lines[x].amount");
    }
}
