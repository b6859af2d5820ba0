//! `depot bench screens`: key event to finished frame, as a clerk feels
//! it, on a real store (the large demo is the one that matters): each
//! measured key goes through the keymap, the screen's update (lookups,
//! the core's preview decision) and a full draw of a 132x43 frame into
//! an off-screen buffer. Prints p50, p99 and max per job.
//!
//! `--rf`: scan to screen updated on the Pick screen at 40x16, each scan
//! a wedge burst (its characters, Enter) handled as the session loop does
//! (every key, then one frame), the item scans committing `confirm_pick`
//! durably through the engine. It releases every carrier's wave in the
//! picker's warehouse first and picks for real: run it on a copy.

use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::ui::app::{App, Keymaps};
use crate::ui::key::{Key, KeyCode};
use crate::ui::screen::Ctx;
use crate::ui::screens::{
    item_lookup::ItemLookup, order_entry::OrderEntry, order_inquiry::OrderInquiry,
};
use crate::ui::Backend;
use crate::ui_backend::EngineBackend;
use anyhow::{anyhow, bail, Result};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

struct Bench<'a> {
    app: App,
    backend: &'a EngineBackend,
    term: Terminal<TestBackend>,
}

impl Bench<'_> {
    /// One key, then a frame; the time of both.
    fn key(&mut self, k: Key) -> Result<Duration> {
        let t = Instant::now();
        self.app.on_key(k, self.backend);
        let backend = self.backend;
        let app = &mut self.app;
        self.term
            .draw(|f| app.view(f, backend))
            .map_err(|e| anyhow!("{e}"))?;
        Ok(t.elapsed())
    }
    fn typed(&mut self, text: &str) -> Result<Vec<Duration>> {
        text.chars()
            .map(|c| self.key(Key::plain(KeyCode::Char(c))))
            .collect()
    }
    fn press(&mut self, name: &str) -> Result<Duration> {
        self.key(Key::parse(name).ok_or_else(|| anyhow!("no key {name}"))?)
    }
}

fn report(what: &str, mut d: Vec<Duration>) {
    if d.is_empty() {
        crate::say!("{what:<44} no samples");
        return;
    }
    d.sort();
    let at = |p: f64| d[((d.len() as f64 * p).ceil() as usize).clamp(1, d.len()) - 1];
    let us = |x: Duration| x.as_secs_f64() * 1e6;
    crate::say!(
        "{what:<44} n={:<6} p50 {:>8.0} us  p99 {:>8.0} us  max {:>8.0} us",
        d.len(),
        us(at(0.50)),
        us(at(0.99)),
        us(*d.last().unwrap_or(&Duration::ZERO))
    );
}

pub fn run(dir: &Path, rounds: usize) -> Result<ExitCode> {
    let engine = crate::cli::open_engine(dir)?;
    let backend = EngineBackend::new(engine.clone());
    let view = backend.view();
    let s = &view.state;
    crate::say!(
        "store {}: {} items, {} customers, {} orders; frames 132x43",
        dir.display(),
        s.items.len(),
        s.customers.len(),
        s.orders.len()
    );
    let maps = Keymaps::load(None)?;
    let mut b = Bench {
        app: App::new(
            maps,
            false,
            Some("ADMIN".into()),
            &bench_session(),
            &backend,
        ),
        backend: &backend,
        term: Terminal::new(TestBackend::new(132, 43)).map_err(|e| anyhow!("{e}"))?,
    };
    let step = (s.items.len() / rounds.max(1)).max(1);
    let skus: Vec<Code> = s.items.keys().step_by(step).take(rounds).cloned().collect();
    let words: Vec<String> = s
        .items
        .values()
        .step_by(step)
        .take(rounds)
        .filter_map(|i| {
            i.description
                .split_whitespace()
                .next()
                .map(|w| w.to_lowercase())
        })
        .collect();
    let customer = s
        .customers
        .values()
        .find(|c| c.active && c.credit_limit > rust_decimal::Decimal::from(100_000))
        .or_else(|| s.customers.values().find(|c| c.active))
        .map(|c| c.code.clone())
        .ok_or_else(|| anyhow!("no customer in the store"))?;
    let orders: Vec<Code> = s
        .orders
        .sorted()
        .into_iter()
        .rev()
        .step_by(7)
        .take(rounds)
        .map(|(k, _)| k.clone())
        .collect();
    drop(view);

    // 1. Item lookup, per keystroke (the first builds the index: apart).
    b.app
        .open_screen(|_: &Ctx| Box::new(ItemLookup::new()), b.backend);
    let cold = b.typed("a")?;
    b.press("ctrl-u")?;
    let mut per_key = Vec::new();
    let mut slowest: Vec<(Duration, String)> = Vec::new();
    for q in skus
        .iter()
        .map(|s| s.to_string())
        .chain(words.iter().cloned())
    {
        let q = &q;
        let times = b.typed(q)?;
        for (i, t) in times.iter().enumerate() {
            slowest.push((*t, q.chars().take(i + 1).collect()));
        }
        per_key.extend(times);
        b.press("ctrl-u")?;
    }
    report("item lookup: first key (index build)", cold);
    report("item lookup: per keystroke", per_key);
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    crate::say!(
        "  slowest keys (the query typed so far): {}",
        slowest
            .iter()
            .take(8)
            .map(|(t, q)| format!("{q:?} {} us", t.as_micros()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    b.press("esc")?;

    // 2. Adding an order line (Enter on `1*SKU`), order entry preview.
    let mut add = Vec::new();
    let mut placed = 0;
    for chunk in skus.chunks(25) {
        b.app
            .open_screen(|ctx: &Ctx| Box::new(OrderEntry::new(ctx)), b.backend);
        b.typed(&customer)?;
        b.press("enter")?;
        for _ in 0..4 {
            b.press("enter")?; // ship-to, PO, requested, type
        }
        for sku in chunk {
            b.typed(&format!("1*{sku}"))?;
            add.push(b.press("enter")?);
        }
        placed += 1;
        b.app.close_screen();
    }
    report(&format!("order entry: add a line ({placed} orders)"), add);

    // 3. Opening an order inquiry on an order number.
    let mut open = Vec::new();
    let mut filter = Vec::new();
    b.app
        .open_screen(|_: &Ctx| Box::new(OrderInquiry::new()), b.backend);
    for n in &orders {
        filter.extend(b.typed(n)?);
        open.push(b.press("enter")?);
        b.press("esc")?;
        b.press("/")?;
        b.press("ctrl-u")?;
    }
    report("order inquiry: filter, per keystroke of the number", filter);
    report("order inquiry: open an order", open);
    b.app.close_screen();

    // 4. Finance views: Enter on a trial balance account opens its GL
    // lines (the first drill of a session reads the newest log records:
    // apart), Esc goes back. On the entity with the most accounts, every
    // account in turn; then the busiest account's GL lines scrolled.
    drill_trial_balance(&mut b, rounds)?;
    scroll_gl_lines(&mut b, rounds)?;

    // 5. The exception queue: opening it (the first frame computes the
    // queue and the kinds on the clock), then filters typed a key at a
    // time, and moving down the list.
    exception_queue(&mut b, rounds)?;

    // 6. Cash application on the customer with the most open invoices.
    open_items(&mut b, rounds)?;

    // 7. The audit trail: opening it (the newest window of the log),
    // moving down, a document filter typed a key at a time, Enter on a
    // record.
    audit_trail(&mut b, rounds)?;
    engine.shutdown().map_err(|e| anyhow!("{e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// Time to open a screen and draw its first frame.
fn opened(
    b: &mut Bench,
    open: impl FnOnce(&Ctx) -> Box<dyn crate::ui::screen::Screen>,
) -> Result<Duration> {
    let t = Instant::now();
    b.app.open_screen(open, b.backend);
    let backend = b.backend;
    let app = &mut b.app;
    b.term
        .draw(|f| app.view(f, backend))
        .map_err(|e| anyhow!("{e}"))?;
    Ok(t.elapsed())
}

fn exception_queue(b: &mut Bench, rounds: usize) -> Result<()> {
    use crate::ui::screens::exceptions::Exceptions;
    let open = b.backend.view().state.open_exceptions.len();
    let mut first = Vec::new();
    let mut filter = Vec::new();
    let mut down = Vec::new();
    let filters = ["credit", "chi age>3", "ghold00", "supervisor"];
    for i in 0..rounds.clamp(1, 20) {
        first.push(opened(b, |_: &Ctx| Box::new(Exceptions::new()))?);
        for _ in 0..10 {
            down.push(b.press("down")?);
        }
        b.press("/")?;
        filter.extend(b.typed(filters[i % filters.len()])?);
        b.app.close_screen();
    }
    report(&format!("exception queue: open ({open} open)"), first);
    report("exception queue: filter, per keystroke", filter);
    report("exception queue: down", down);
    Ok(())
}

fn open_items(b: &mut Bench, rounds: usize) -> Result<()> {
    use crate::ui::screens::cash_application::CashApplication;
    let (customer, n) = {
        let view = b.backend.view();
        let s = &view.state;
        let mut open: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for i in s
            .invoices
            .values_sorted()
            .into_iter()
            .filter(|i| i.open > rust_decimal::Decimal::ZERO)
        {
            *open.entry(i.customer.as_str()).or_default() += 1;
        }
        let Some((c, n)) = open
            .into_iter()
            .max_by_key(|(c, n)| (*n, std::cmp::Reverse(*c)))
        else {
            bail!("no open invoice in the store");
        };
        (c.to_string(), n)
    };
    let mut first = Vec::new();
    let mut down = Vec::new();
    let mut filter = Vec::new();
    for _ in 0..rounds.clamp(1, 20) {
        let c = customer.clone();
        first.push(opened(b, move |ctx: &Ctx| {
            Box::new(CashApplication::for_customer(ctx, &c))
        })?);
        // Method, amount, reference, then the open items.
        for _ in 0..3 {
            b.press("tab")?;
        }
        for _ in 0..20 {
            down.push(b.press("down")?);
        }
        b.press("/")?;
        filter.extend(b.typed("in-0")?);
        b.app.close_screen();
    }
    report(
        &format!("cash application: open {customer} ({n} open invoices)"),
        first,
    );
    report("cash application: down the open items", down);
    report("cash application: filter, per keystroke", filter);
    Ok(())
}

fn audit_trail(b: &mut Bench, rounds: usize) -> Result<()> {
    use crate::ui::screens::audit::Audit;
    let records = b.backend.view().seq;
    let mut first = Vec::new();
    let mut down = Vec::new();
    let mut filter = Vec::new();
    let mut enter = Vec::new();
    for i in 0..rounds.clamp(1, 10) {
        first.push(opened(b, |_: &Ctx| Box::new(Audit::new()))?);
        for _ in 0..10 {
            down.push(b.press("down")?);
        }
        enter.push(b.press("enter")?);
        b.press("esc")?;
        b.press("/")?;
        filter.extend(b.typed(["ADMIN", "SO-", "C00"][i % 3])?);
        b.app.close_screen();
    }
    report(&format!("audit trail: open ({records} log records)"), first);
    report("audit trail: down", down);
    report("audit trail: Enter on a record", enter);
    report("audit trail: document filter, per keystroke", filter);
    Ok(())
}

/// One wedge scan: every character and Enter handled, then one frame (as
/// the session loop does with a burst); the time of all of it.
fn scan(b: &mut Bench, code: &str) -> Result<Duration> {
    let t = Instant::now();
    for c in code.chars() {
        b.app.on_key(Key::plain(KeyCode::Char(c)), b.backend);
    }
    b.app.on_key(Key::plain(KeyCode::Enter), b.backend);
    let backend = b.backend;
    let app = &mut b.app;
    b.term
        .draw(|f| app.view(f, backend))
        .map_err(|e| anyhow!("{e}"))?;
    Ok(t.elapsed())
}

pub fn run_rf(dir: &Path, rounds: usize) -> Result<ExitCode> {
    use crate::ui::screens::rf_pick::RfPick;
    let engine = crate::cli::open_engine(dir)?;
    let backend = EngineBackend::new(engine.clone());
    let operator = "ADMIN";
    let warehouse = home_warehouse(&backend, operator)?;
    let work = prepare_picks(&backend, operator, &warehouse, rounds)?;
    crate::say!(
        "store {}: {} pick tasks in {warehouse}; Pick screen 40x16, durable commits",
        dir.display(),
        work.len()
    );
    let maps = Keymaps::load(None)?;
    let mut b = Bench {
        app: App::new(
            maps,
            false,
            Some(operator.into()),
            &bench_session(),
            &backend,
        ),
        backend: &backend,
        term: Terminal::new(TestBackend::new(40, 16)).map_err(|e| anyhow!("{e}"))?,
    };
    b.app
        .open_screen(|ctx: &Ctx| Box::new(RfPick::new(ctx)), b.backend);
    {
        let backend = b.backend;
        let app = &mut b.app;
        b.term
            .draw(|f| app.view(f, backend))
            .map_err(|e| anyhow!("{e}"))?;
    }
    // Driven by what the screen shows, as the picker is: a task the bench
    // did not expect (a lot to scan, another bin) is not silently timed.
    let (mut bins, mut commits) = (Vec::new(), Vec::new());
    let before = picked_so_far(&backend);
    while commits.len() < rounds {
        let screen = glass(&b);
        if screen.contains("Nothing to pick") {
            break;
        }
        let head = screen.lines().nth(1).unwrap_or_default().to_string();
        let (Some(bin), Some(sku), Some(qty)) = (
            field(&screen, "BIN  "),
            field(&screen, "ITEM "),
            field(&screen, "QTY  "),
        ) else {
            bail!("no task on the Pick screen:\n{screen}");
        };
        bins.push(scan(&mut b, &bin)?);
        if !glass(&b).contains(&format!("{bin} ok")) {
            bail!("the bin scan was not taken:\n{}", glass(&b));
        }
        let first = scan(&mut b, &sku)?;
        let commit = if qty == "1" {
            first
        } else {
            // One scan, then Enter takes the expected quantity: the commit.
            if !glass(&b).contains(&format!("Enter: pick {qty}")) {
                bail!("the item scan was not taken:\n{}", glass(&b));
            }
            scan(&mut b, "")?
        };
        let after = glass(&b);
        if !after.contains("Nothing to pick") && after.lines().nth(1).unwrap_or_default() == head {
            bail!("the pick did not commit:\n{after}");
        }
        commits.push(commit);
    }
    let picked = picked_so_far(&backend) - before;
    if picked != commits.len() {
        bail!(
            "{} picks timed but {picked} committed: the figures would lie",
            commits.len()
        );
    }
    report("pick: bin scan to screen updated", bins);
    report(
        &format!("pick: scan to screen, durable commit ({picked})"),
        commits,
    );
    engine.shutdown().map_err(|e| anyhow!("{e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// The operator's own warehouse (else the store's first).
pub(crate) fn home_warehouse(backend: &EngineBackend, operator: &str) -> Result<Code> {
    let v = backend.view();
    v.state
        .operators
        .get(&operator.to_code())
        .and_then(|o| o.default_warehouse.clone())
        .or_else(|| v.state.warehouses.keys().next().cloned())
        .ok_or_else(|| anyhow!("no warehouse in the store"))
}

/// Work to pick in `warehouse`: orders of one unit of `rounds` stocked
/// items (20 lines each) for the customer with the most credit free,
/// released; then every carrier's wave. The open pick tasks, in the Pick
/// screen's order. Refusals are said, not swallowed.
pub(crate) fn prepare_picks(
    backend: &EngineBackend,
    operator: &str,
    warehouse: &str,
    rounds: usize,
) -> Result<Vec<crate::ui::screens::rf_pick::Task>> {
    use crate::ui::screen::{Request, Submitted};
    let (skus, customer) = {
        let v = backend.view();
        let s = &v.state;
        let entity = s.warehouse_entity(warehouse).cloned().unwrap_or_default();
        let mut skus: Vec<Code> = s
            .bin_stock
            .iter()
            .filter(|(k, q)| {
                k.warehouse == warehouse && k.lot.is_none() && **q >= rust_decimal::Decimal::from(5)
            })
            .map(|(k, _)| k.sku.clone())
            .collect();
        skus.dedup();
        skus.truncate(rounds);
        let customer = s
            .customers
            .values()
            .filter(|c| c.active && c.entity == entity)
            // The most credit still free: a large store's history uses
            // up the biggest limits, and a held order picks nothing.
            .max_by_key(|c| c.credit_limit - crate::core::sales::exposure(s, c))
            .map(|c| c.code.clone())
            .ok_or_else(|| anyhow!("no customer for {entity}"))?;
        (skus, customer)
    };
    crate::say!(
        "bench orders: {} stocked items of {warehouse} for {customer}",
        skus.len()
    );
    let pid = std::process::id();
    let submit = |key: String, body| backend.submit(operator, "bench", Request { key, body });
    for (i, chunk) in skus.chunks(20).enumerate() {
        let placed = submit(
            format!("bench-rf-order-{pid}-{i}"),
            crate::core::CommandBody::PlaceOrder {
                quote: false,
                customer: customer.clone(),
                ship_to: None,
                customer_po: String::new(),
                requested: None,
                lines: chunk
                    .iter()
                    .map(|sku| crate::core::sales::LineInput {
                        sku: sku.clone(),
                        qty: rust_decimal::Decimal::ONE,
                        unit: None,
                        warehouse: warehouse.to_string().into(),
                        price: None,
                    })
                    .collect(),
            },
        );
        let number = match placed {
            Submitted::Committed { events, .. } => events.iter().find_map(|e| match e {
                crate::core::Event::OrderPlaced(order) => Some(order.number.clone()),
                _ => None,
            }),
            Submitted::Refused(r) => {
                crate::say!("bench order {i} for {customer} refused: {r}");
                None
            }
            Submitted::Stopped(e) => bail!("the store stopped: {e}"),
        };
        if let Some(number) = number {
            let released = submit(
                format!("bench-rf-release-{pid}-{i}"),
                crate::core::CommandBody::ReleaseOrder { number },
            );
            if let Submitted::Refused(r) = released {
                crate::say!("bench order {i}: release refused: {r}");
            }
        }
    }
    let carriers: Vec<Code> = backend.view().state.carriers.keys().cloned().collect();
    for (i, c) in carriers.iter().enumerate() {
        let _ = submit(
            format!("bench-rf-wave-{pid}-{i}"),
            crate::core::CommandBody::ReleaseWave {
                warehouse: warehouse.to_string().into(),
                carrier: c.clone(),
                service: None,
            },
        );
    }
    Ok(crate::ui::screens::rf_pick::tasks(
        &backend.view().state,
        warehouse,
        &[],
    ))
}

/// The frame as text, a line per row.
fn glass(b: &Bench) -> String {
    let buf = b.term.backend().buffer();
    let w = buf.area.width as usize;
    buf.content
        .chunks(w.max(1))
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The word after `label` on the screen.
fn field(screen: &str, label: &str) -> Option<String> {
    let at = screen.find(label)? + label.len();
    screen[at..].split_whitespace().next().map(str::to_string)
}

/// Pick lines done in the store so far (each commit here finishes one).
pub(crate) fn picked_so_far(backend: &EngineBackend) -> usize {
    backend
        .view()
        .state
        .picks
        .values_any_order()
        .flat_map(|p| p.lines.iter())
        .filter(|l| l.open() == rust_decimal::Decimal::ZERO)
        .count()
}

/// A session name of this run's own: screens key their commands
/// "<session>-<n>", and a second run on the same store must not replay the
/// first's keys (each would be refused as a key conflict, and timed).
fn bench_session() -> String {
    format!(
        "bench-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis()
    )
}

fn drill_trial_balance(b: &mut Bench, rounds: usize) -> Result<()> {
    use crate::ui::screens::finance_views::{scopes, FinanceViews, Scope};
    let view = b.backend.view();
    let s = &view.state;
    // The day the screen opens on (`Ctx::today`).
    let today = b.backend.now().date_naive();
    // (scope index, accounts with a balance) of the biggest entity.
    let Some((at, accounts)) = scopes(s)
        .iter()
        .enumerate()
        .filter_map(|(i, sc)| match sc {
            Scope::Entity(e) => {
                crate::query::finance::trial_balance(s, e, today).map(|tb| (i, tb.rows.len()))
            }
            Scope::Consolidated(_) => None,
        })
        .max_by_key(|x| x.1)
    else {
        bail!("no entity in the store");
    };
    drop(view);
    if accounts == 0 {
        bail!("no account with a balance");
    }
    b.app
        .open_screen(|_: &Ctx| Box::new(FinanceViews::new()), b.backend);
    for _ in 0..at {
        b.press("f6")?;
    }
    b.press("home")?;
    let cold = vec![b.press("enter")?];
    b.press("esc")?;
    let (mut drill, mut back) = (Vec::new(), Vec::new());
    for i in 0..rounds {
        b.press("home")?;
        for _ in 0..(i % accounts) {
            b.press("down")?;
        }
        drill.push(b.press("enter")?);
        if b.app.screen_name() != "finance_gl" {
            bail!(
                "Enter on account {} did not open its GL lines",
                i % accounts
            );
        }
        back.push(b.press("esc")?);
    }
    report("finance views: first drill (newest records)", cold);
    report(
        &format!("finance views: TB -> GL lines ({accounts} accts)"),
        drill,
    );
    report("finance views: GL lines -> TB (back)", back);
    b.app.close_screen();
    Ok(())
}

/// The GL lines of the busiest account (the most days with postings) of
/// the entity with the most: the drill, Up and PageUp a key at a time
/// (reading older records as the lines held run out), End, Down; then
/// Home (holds every line of the account: reads its whole history) and a
/// filter typed a key at a time (scans the lines held once per change).
fn scroll_gl_lines(b: &mut Bench, rounds: usize) -> Result<()> {
    use crate::ui::screens::finance_views::{scopes, FinanceViews, Scope};
    let view = b.backend.view();
    let s = &view.state;
    let today = b.backend.now().date_naive();
    // (entity, account) -> days with postings.
    let mut days: std::collections::HashMap<(&str, &str), usize> = Default::default();
    for ((e, _, a), _) in s.ledger.daily.iter() {
        *days.entry((e.as_str(), a.as_str())).or_default() += 1;
    }
    // The trial balance lists the accounts with a balance: the busiest of
    // those, with its scope and row.
    let mut best: Option<(usize, usize, String, String, usize)> = None;
    for (at, sc) in scopes(s).iter().enumerate() {
        let Scope::Entity(e) = sc else { continue };
        let Some(tb) = crate::query::finance::trial_balance(s, e, today) else {
            continue;
        };
        for (row, r) in tb.rows.iter().enumerate() {
            let n = days
                .get(&(e.as_str(), r.account.as_str()))
                .copied()
                .unwrap_or(0);
            if best.as_ref().is_none_or(|b| n > b.4) {
                best = Some((at, row, e.to_string(), r.account.to_string(), n));
            }
        }
    }
    drop(days);
    drop(view);
    let Some((at, row, entity, account, n)) = best else {
        report("GL lines: no account with a balance", Vec::new());
        return Ok(());
    };
    b.app
        .open_screen(|_: &Ctx| Box::new(FinanceViews::new()), b.backend);
    for _ in 0..at {
        b.press("f6")?;
    }
    b.press("home")?;
    for _ in 0..row {
        b.press("down")?;
    }
    let drill = vec![b.press("enter")?];
    if b.app.screen_name() != "finance_gl" {
        bail!("Enter on {entity} {account} did not open its GL lines");
    }
    let (mut up, mut pageup, mut other) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        up.push(b.press("up")?);
    }
    for _ in 0..rounds {
        pageup.push(b.press("pageup")?);
    }
    other.push(b.press("end")?);
    for _ in 0..rounds.min(50) {
        other.push(b.press("down")?);
    }
    let home = vec![b.press("home")?];
    for _ in 0..rounds.min(50) {
        other.push(b.press("pagedown")?);
    }
    b.press("/")?;
    let filter = b.typed("IN-00")?;
    b.press("esc")?;
    report(
        &format!("GL lines {entity} {account} ({n} days): drill"),
        drill,
    );
    report("GL lines: up", up);
    report("GL lines: page up", pageup);
    report("GL lines: end, down, page down", other);
    report("GL lines: home (the whole history)", home);
    report("GL lines: filter, per keystroke", filter);
    b.press("esc")?;
    b.app.close_screen();
    Ok(())
}
