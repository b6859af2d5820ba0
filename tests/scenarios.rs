//! Scenario tables: fixtures/scenarios/*.toml, each scenario a given (a
//! base store and commands that must commit), a when (one command) and a
//! then (the events it commits, or the rejection code it gets). A rejected
//! command must leave the state exactly as it was. A meta-test checks that
//! every rejection the core can give is covered by some scenario.
//!
//! Commands are written as in `depot exec` (`cmd = "create_item", ...`),
//! or as a patch of a stored record to keep tables short:
//! `{ update = "item", key = "FAS-1000", set = { weight_kg = "-1" } }`
//! `{ create = "item", from = "FAS-1000", set = { sku = "NEW-1" } }`.

use chrono::{TimeZone, Utc};
use depot::core::types::{Code, ToCode};
use depot::core::{execute, Command, CommandBody, State};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::Path;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

fn demo() -> State {
    static DEMO: std::sync::OnceLock<State> = std::sync::OnceLock::new();
    DEMO.get_or_init(|| {
        let mut s = State::default();
        let today = now().date_naive();
        for body in depot::io::demo::commands(today, 0).unwrap() {
            run(&mut s, "ADMIN", None, body).unwrap();
        }
        s
    })
    .clone()
}

fn run(
    s: &mut State,
    operator: &str,
    key: Option<String>,
    body: CommandBody,
) -> Result<Vec<depot::core::Event>, depot::core::Rejection> {
    run_at(s, operator, key, body, now())
}

fn run_at(
    s: &mut State,
    operator: &str,
    key: Option<String>,
    body: CommandBody,
    time: chrono::DateTime<Utc>,
) -> Result<Vec<depot::core::Event>, depot::core::Rejection> {
    let cmd = Command {
        operator: operator.into(),
        session: "scenario".into(),
        time,
        key,
        body,
    };
    execute(s, &cmd).map(|env| env.events().to_vec())
}

/// The stored record `kind`/`key` as JSON.
fn stored(s: &State, kind: &str, key: &str) -> Value {
    let pair = || {
        let (a, b) = key.split_once('/').expect("key A/B");
        (Code::from(a), Code::from(b))
    };
    let v = match kind {
        "entity" => serde_json::to_value(&s.entities[&key.to_code()]),
        "account" => serde_json::to_value(&s.accounts[&pair()]),
        "warehouse" => serde_json::to_value(&s.warehouses[&key.to_code()]),
        "bin" => serde_json::to_value(&s.bins[&pair()]),
        "item" => serde_json::to_value(&s.items[&key.to_code()]),
        "customer" => serde_json::to_value(&s.customers[&key.to_code()]),
        "supplier" => serde_json::to_value(&s.suppliers[&key.to_code()]),
        "price_list" => serde_json::to_value(&s.price_lists[&key.to_code()]),
        "contract_price" => serde_json::to_value(&s.contracts[&key.to_code()]),
        "tax_code" => serde_json::to_value(&s.tax_codes[&key.to_code()]),
        "carrier" => serde_json::to_value(&s.carriers[&key.to_code()]),
        "payment_terms" => serde_json::to_value(&s.terms[&key.to_code()]),
        "operator" => serde_json::to_value(&s.operators[&key.to_code()]),
        other => panic!("unknown record kind {other}"),
    };
    v.unwrap()
}

/// When a command happens: `at_ = "YYYY-MM-DD"` (09:00 UTC) or an RFC 3339
/// instant in its table, else now.
fn at(t: &Value) -> chrono::DateTime<Utc> {
    match t.get("at_").and_then(Value::as_str) {
        Some(d) if d.contains('T') => chrono::DateTime::parse_from_rfc3339(d)
            .expect("at_ is an RFC 3339 instant")
            .with_timezone(&Utc),
        Some(d) => {
            let d = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("at_ is a date");
            Utc.from_utc_datetime(&d.and_hms_opt(9, 0, 0).unwrap())
        }
        None => now(),
    }
}

/// A command from its table: (operator, key, body).
fn command(s: &State, t: &Value) -> (String, Option<String>, CommandBody) {
    let mut obj: Map<String, Value> = t.as_object().expect("a command is a table").clone();
    obj.remove("at_");
    let operator = obj
        .remove("operator")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "ADMIN".into());
    // `operator` names who acts; a command's own `operator` field is
    // written `operator_`.
    if let Some(v) = obj.remove("operator_") {
        obj.insert("operator".into(), v);
    }
    let key = obj
        .remove("key_")
        .and_then(|v| v.as_str().map(str::to_string));
    let patch = |base: Value, set: Option<Value>| {
        let mut rec = base.as_object().unwrap().clone();
        if let Some(Value::Object(set)) = set {
            for (k, v) in set {
                rec.insert(k, v);
            }
        }
        rec
    };
    if let Some(kind) = obj
        .get("update")
        .and_then(Value::as_str)
        .map(str::to_string)
    {
        let k = obj["key"].as_str().unwrap().to_string();
        let mut rec = patch(stored(s, &kind, &k), obj.remove("set"));
        rec.insert("cmd".into(), Value::String(format!("update_{kind}")));
        obj = rec;
    } else if let Some(kind) = obj
        .get("create")
        .and_then(Value::as_str)
        .map(str::to_string)
    {
        let k = obj["from"].as_str().unwrap().to_string();
        let mut rec = patch(stored(s, &kind, &k), obj.remove("set"));
        rec.insert("cmd".into(), Value::String(format!("create_{kind}")));
        obj = rec;
    }
    let body: CommandBody = serde_json::from_value(Value::Object(obj.clone()))
        .unwrap_or_else(|e| panic!("not a command: {e}: {obj:?}"));
    // The name logged with each record is the JSON `cmd`.
    assert_eq!(Some(body.name()), obj.get("cmd").and_then(Value::as_str));
    (operator, key, body)
}

fn event_name(e: &depot::core::Event) -> String {
    match serde_json::to_value(e).unwrap() {
        Value::Object(m) => m.keys().next().unwrap().clone(),
        Value::String(s) => s,
        other => other.to_string(),
    }
}

struct Outcome_ {
    file: String,
    name: String,
    rejected: Option<String>,
}

fn run_file(path: &Path) -> Vec<Outcome_> {
    let text = std::fs::read_to_string(path).unwrap();
    let doc: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: Value = serde_json::to_value(doc).unwrap();
    let file = path.file_name().unwrap().to_string_lossy().to_string();
    let mut out = Vec::new();
    for sc in doc["scenario"].as_array().expect("[[scenario]]") {
        let name = sc["name"].as_str().expect("name").to_string();
        let ctx = format!("{file}: {name}");
        let mut s = match sc.get("base").and_then(Value::as_str).unwrap_or("demo") {
            "demo" => demo(),
            "empty" => State::default(),
            other => panic!("{ctx}: unknown base {other}"),
        };
        for g in sc
            .get("given")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
        {
            let (op, key, body) = command(&s, &g);
            if let Err(r) = run_at(&mut s, &op, key, body, at(&g)) {
                panic!("{ctx}: a given command was refused: {r}");
            }
        }
        let (op, key, body) = command(&s, &sc["when"]);
        let before = s.clone();
        let result = run_at(&mut s, &op, key, body, at(&sc["when"]));
        let then = &sc["then"];
        let rejected = match (&result, then.get("rejected").and_then(Value::as_str)) {
            (Err(r), Some(code)) => {
                assert_eq!(r.code(), code, "{ctx}: wrong rejection: {r}");
                assert!(s == before, "{ctx}: a rejected command changed the state");
                if let Some(m) = then.get("message").and_then(Value::as_str) {
                    assert!(
                        r.to_string().contains(m),
                        "{ctx}: message {:?} lacks {m:?}",
                        r.to_string()
                    );
                }
                Some(code.to_string())
            }
            (Ok(events), None) => {
                let names: Vec<String> = events.iter().map(event_name).collect();
                let want: Vec<String> = then["events"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{ctx}: then needs events or rejected"))
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect();
                assert_eq!(names, want, "{ctx}");
                depot::core::invariants::check_state(&s)
                    .unwrap_or_else(|v| panic!("{ctx}: invariant broken: {v}"));
                if let Some(checks) = then.get("state").and_then(Value::as_object) {
                    check(&ctx, &s, checks);
                }
                None
            }
            (Err(r), None) => panic!("{ctx}: refused ({}): {r}", r.code()),
            (Ok(e), Some(code)) => panic!("{ctx}: expected {code}, committed {e:?}"),
        };
        out.push(Outcome_ {
            file: file.clone(),
            name,
            rejected,
        });
    }
    out
}

/// A JSON value as the text a state check compares.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(x) => x.clone(),
        other => other.to_string(),
    }
}

/// Checks on the state after a committed command.
fn check(ctx: &str, s: &State, checks: &Map<String, Value>) {
    for (what, want) in checks {
        let got = match what.as_str() {
            "pending_changes" => s.changes.len().to_string(),
            // The exception queue: how many are open, and the person an
            // operator code is tied to (itself when none).
            "open_exceptions" => s.open_exceptions.len().to_string(),
            // What was said about computed kinds and predictions, kept by
            // episode: how many episodes have a note.
            "clock_notes" => s.clock_notes.len().to_string(),
            // Kinds computed on the clock: how many as of an instant.
            w if w.starts_with("late_shipments@") || w.starts_with("unapplied_cash@") => {
                let (what, at) = w.split_once('@').unwrap();
                let at = chrono::DateTime::parse_from_rfc3339(at)
                    .expect("an RFC 3339 instant after @")
                    .with_timezone(&Utc);
                match what {
                    "late_shipments" => depot::core::exceptions::late_shipments(s, at).len(),
                    _ => depot::core::exceptions::unapplied_cash(s, at).len(),
                }
                .to_string()
            }
            // Every kind computed on the clock as of an instant, after
            // what was said about them: how many are in the queue (not
            // snoozed on the instant's day), their owners, their last
            // comments.
            w if w.starts_with("clock_queue@")
                || w.starts_with("clock_owners@")
                || w.starts_with("clock_comments@") =>
            {
                let (what, at) = w.split_once('@').unwrap();
                let at = chrono::DateTime::parse_from_rfc3339(at)
                    .expect("an RFC 3339 instant after @")
                    .with_timezone(&Utc);
                let xs = depot::core::exceptions::clock_exceptions(s, at);
                match what {
                    "clock_queue" => xs
                        .iter()
                        .filter(|x| x.in_queue(at.date_naive()))
                        .count()
                        .to_string(),
                    "clock_owners" => xs
                        .iter()
                        .map(|x| x.owner.to_string())
                        .collect::<Vec<_>>()
                        .join(","),
                    _ => xs
                        .iter()
                        .filter_map(|x| x.comments.last().map(|c| format!("{}: {}", c.by, c.text)))
                        .collect::<Vec<_>>()
                        .join(","),
                }
            }
            w if w.starts_with("person:") => {
                let op = &w["person:".len()..];
                depot::core::exceptions::person_of(s, op).to_string()
            }
            w if w.starts_with("period:") => {
                // period:ENTITY:CODE -> open, closed or locked
                let parts: Vec<&str> = w.split(':').collect();
                let p = s
                    .periods
                    .values()
                    .find(|p| p.entity == parts[1] && p.code == parts[2])
                    .unwrap_or_else(|| panic!("{ctx}: no period {w}"));
                text_of(&serde_json::to_value(p.status).unwrap())
            }
            w if w.starts_with("period_balance:") => {
                // period_balance:ENTITY:PERIOD:ACCOUNT, debit minus credit
                let parts: Vec<&str> = w.split(':').collect();
                s.ledger
                    .period_balances
                    .get(&(parts[1].to_code(), parts[2].to_code(), parts[3].to_code()))
                    .copied()
                    .unwrap_or_default()
                    .to_string()
            }
            w if w.starts_with("subledger:") => {
                // subledger:ENTITY:CONTROL:PARTY, debit minus credit
                let parts: Vec<&str> = w.split(':').collect();
                let control: depot::core::master::Control =
                    serde_json::from_value(Value::String(parts[2].into())).unwrap();
                s.ledger
                    .subledger
                    .get(&(parts[1].to_code(), control, parts[3].to_code()))
                    .copied()
                    .unwrap_or_default()
                    .to_string()
            }
            w if w.starts_with("balance:") => {
                // balance:ENTITY:ACCOUNT, debit minus credit
                let parts: Vec<&str> = w.split(':').collect();
                s.ledger
                    .balances
                    .get(&(parts[1].to_code(), parts[2].to_code()))
                    .copied()
                    .unwrap_or_default()
                    .to_string()
            }
            w if w.starts_with("on_hand:") => {
                let parts: Vec<&str> = w.split(':').collect();
                s.stock
                    .get(&(parts[1].to_code(), parts[2].to_code()))
                    .map(|x| x.on_hand)
                    .unwrap_or_default()
                    .to_string()
            }
            w if w.starts_with("reserved:") => {
                let parts: Vec<&str> = w.split(':').collect();
                s.stock
                    .get(&(parts[1].to_code(), parts[2].to_code()))
                    .map(|x| x.reserved)
                    .unwrap_or_default()
                    .to_string()
            }
            w if w.starts_with("order:") => {
                // order:NUMBER:FIELD
                let parts: Vec<&str> = w.splitn(3, ':').collect();
                text_of(&serde_json::to_value(&s.orders[&parts[1].to_code()]).unwrap()[parts[2]])
            }
            w if w.starts_with("line:") => {
                // line:NUMBER:LINE:FIELD
                let parts: Vec<&str> = w.splitn(4, ':').collect();
                let n: u32 = parts[2].parse().unwrap();
                let l = s.orders[&parts[1].to_code()]
                    .lines
                    .iter()
                    .find(|l| l.line == n)
                    .unwrap();
                match &serde_json::to_value(l).unwrap()[parts[3]] {
                    Value::String(x) => x.clone(),
                    other => other.to_string(),
                }
            }
            w if w.starts_with("lot:") => {
                // lot:SKU:LOT -> its expiry date, or "none"
                let parts: Vec<&str> = w.split(':').collect();
                match s.lots.get(&(parts[1].to_code(), parts[2].to_code())) {
                    Some(l) => l.expiry.map_or("none".into(), |d| d.to_string()),
                    None => "unregistered".into(),
                }
            }
            w if w.starts_with("in_pick:") => {
                let parts: Vec<&str> = w.split(':').collect();
                s.stock
                    .get(&(parts[1].to_code(), parts[2].to_code()))
                    .map(|x| x.in_pick)
                    .unwrap_or_default()
                    .to_string()
            }
            w if w.starts_with("bin:") => {
                // bin:WH:BIN:SKU (no lot)
                let parts: Vec<&str> = w.split(':').collect();
                let key = depot::core::state::BinKey {
                    warehouse: parts[1].into(),
                    bin: parts[2].into(),
                    sku: parts[3].into(),
                    lot: None,
                };
                s.bin_stock
                    .get(&key)
                    .copied()
                    .unwrap_or_default()
                    .to_string()
            }
            w if w.starts_with("pickline:") => {
                // pickline:LIST:LINE:FIELD
                let parts: Vec<&str> = w.splitn(4, ':').collect();
                let n: u32 = parts[2].parse().unwrap();
                let l = s.picks[&parts[1].to_code()]
                    .lines
                    .iter()
                    .find(|l| l.line == n)
                    .unwrap();
                match &serde_json::to_value(l).unwrap()[parts[3]] {
                    Value::String(x) => x.clone(),
                    other => other.to_string(),
                }
            }
            w if w.starts_with("short_reason:") => {
                // short_reason:LIST:LINE
                let parts: Vec<&str> = w.splitn(3, ':').collect();
                let line: u32 = parts[2].parse().expect("a line number");
                s.short_reasons
                    .get(&(parts[1].to_code(), line))
                    .map(|r| r.as_str().to_string())
                    .unwrap_or_else(|| "none".into())
            }
            w if w.starts_with("invoice:") => {
                // invoice:NUMBER:FIELD
                let parts: Vec<&str> = w.splitn(3, ':').collect();
                text_of(&serde_json::to_value(&s.invoices[&parts[1].to_code()]).unwrap()[parts[2]])
            }
            w if w.starts_with("in_memory:") => {
                // in_memory:KIND:NUMBER -> does the state hold the document
                let parts: Vec<&str> = w.splitn(3, ':').collect();
                let n = parts[2];
                match parts[1] {
                    "orders" => s.orders.contains_key(&n.to_code()),
                    "picks" => s.picks.contains_key(&n.to_code()),
                    "shipments" => s.shipments.contains_key(&n.to_code()),
                    "invoices" => s.invoices.contains_key(&n.to_code()),
                    "receipts" => s.receipts.contains_key(&n.to_code()),
                    "bank_lines" => s.bank_lines.contains_key(&n.to_code()),
                    "book_items" => s.book_items.contains_key(&n.to_code()),
                    other => panic!("{ctx}: unknown document kind {other}"),
                }
                .to_string()
            }
            w if w.starts_with("archived:") => {
                // archived:ORDER -> is the order's number kept as archived
                s.archived_orders
                    .contains(&w["archived:".len()..])
                    .to_string()
            }
            w if w.starts_with("doc:") => {
                // doc:KIND:NUMBER:/json/pointer into a document
                let parts: Vec<&str> = w.splitn(4, ':').collect();
                let doc = match parts[1] {
                    "picks" => serde_json::to_value(&s.picks[&parts[2].to_code()]),
                    "shipments" => serde_json::to_value(&s.shipments[&parts[2].to_code()]),
                    "orders" => serde_json::to_value(&s.orders[&parts[2].to_code()]),
                    "invoices" => serde_json::to_value(&s.invoices[&parts[2].to_code()]),
                    "returns" => serde_json::to_value(&s.returns[&parts[2].to_code()]),
                    "waves" => serde_json::to_value(&s.waves[&parts[2].to_code()]),
                    "purchase_orders" => {
                        serde_json::to_value(&s.purchase_orders[&parts[2].to_code()])
                    }
                    "supplier_invoices" => {
                        serde_json::to_value(&s.supplier_invoices[&parts[2].to_code()])
                    }
                    "goods_receipts" => {
                        serde_json::to_value(&s.goods_receipts[&parts[2].to_code()])
                    }
                    "counts" => serde_json::to_value(&s.counts[&parts[2].to_code()]),
                    "transfers" => serde_json::to_value(&s.transfers[&parts[2].to_code()]),
                    "journals" => serde_json::to_value(&s.manual_journals[&parts[2].to_code()]),
                    "bank_lines" => serde_json::to_value(&s.bank_lines[&parts[2].to_code()]),
                    "book_items" => serde_json::to_value(&s.book_items[&parts[2].to_code()]),
                    "sign_ins" => serde_json::to_value(&s.sign_ins[&parts[2].to_code()]),
                    "credentials" => serde_json::to_value(&s.credentials[&parts[2].to_code()]),
                    "printers" => serde_json::to_value(&s.printers[&parts[2].to_code()]),
                    "doc_profiles" => serde_json::to_value(&s.doc_profiles[&parts[2].to_code()]),
                    "exceptions" => serde_json::to_value(
                        &s.exceptions[&parts[2].parse::<u64>().expect("an exception id")],
                    ),
                    "operators" => serde_json::to_value(&s.operators[&parts[2].to_code()]),
                    other => panic!("{ctx}: unknown document kind {other}"),
                }
                .unwrap();
                let got = doc.pointer(parts[3]);
                text_of(got.unwrap_or_else(|| panic!("{ctx}: {w} not in {doc}")))
            }
            w if w.starts_with("field:") => {
                // field:KIND:KEY:FIELD
                let parts: Vec<&str> = w.splitn(4, ':').collect();
                text_of(&stored(s, parts[1], parts[2])[parts[3]])
            }
            other => panic!("{ctx}: unknown state check {other}"),
        };
        let want = text_of(want);
        assert_eq!(got, want, "{ctx}: {what}");
    }
}

fn all() -> Vec<Outcome_> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files.iter().flat_map(|f| run_file(f)).collect()
}

#[test]
fn every_scenario_holds_and_every_rejection_is_covered() {
    let outcomes = all();
    assert!(outcomes.len() >= 40, "{} scenarios", outcomes.len());
    let covered: BTreeSet<String> = outcomes.iter().filter_map(|o| o.rejected.clone()).collect();
    // Rejections the core gives that master-data scenarios cannot reach,
    // and why; each is proven elsewhere.
    let elsewhere = [
        (
            "key_conflict",
            "the engine checks keys: tests/engine.rs, tests/cli.rs",
        ),
        (
            "unbalanced",
            "the posting module never builds one from valid commands; its unit tests",
        ),
        (
            "period_not_open",
            "no command closes a period yet (financial control issue)",
        ),
    ];
    let every = depot::core::rejection::ALL_CODES;
    for code in every {
        let skip = elsewhere.iter().any(|(c, _)| c == code);
        assert!(
            covered.contains(*code) || skip,
            "no scenario covers the rejection {code}"
        );
    }
    for o in &outcomes {
        assert!(!o.name.is_empty() && !o.file.is_empty());
    }
}
