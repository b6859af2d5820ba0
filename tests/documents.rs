//! Documents and printing (issue 17): every document rendered from the
//! demo data on a fixed day (text snapshots), the PDF's text against the
//! ledger, the carton label's SSCC through the core's scan parser, and
//! prints to a raw-9100 printer on loopback, to an `lp` stand-in on PATH,
//! and to a printer that refuses the connection (audited failure).

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use depot::core::master::Address;
use depot::core::printing::{DocumentProfile, PrintStatus, Printer, PrinterKind, PrinterScope};
use depot::core::scan::{parse_scan, Scan};
use depot::core::types::{Code, ToCode};
use depot::core::{CommandBody, State};
use depot::docs::barcode::sscc_is_valid;
use depot::docs::print::{print_document, PrintError, PrintRequest};
use depot::docs::{build, pdf, text, zpl, BuildOptions, DocKind, Format};
use depot::ui::testing::{demo_state, MemBackend};
use rust_decimal::Decimal;
use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::str::FromStr;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 15).unwrap()
}

fn profile(entity: &str, prefix: &str) -> DocumentProfile {
    DocumentProfile {
        entity: entity.into(),
        address: Address {
            line1: "2400 S Halsted St".into(),
            line2: String::new(),
            city: "Chicago".into(),
            region: "IL".into(),
            postcode: "60608".into(),
            country: "US".into(),
        },
        phone: "312-555-0100".into(),
        email: "ar@northwind.example".into(),
        tax_registration: format!("{entity}-TAX-36-1234567"),
        remittance: vec![
            "First Lakeshore Bank, ABA 071000013".into(),
            "Account 4432 9981 02, quote the invoice number".into(),
        ],
        gs1_prefix: prefix.into(),
    }
}

/// The demo on the fixed day, with the entities' document profiles.
fn demo() -> MemBackend {
    let now = Utc.from_utc_datetime(&today().and_hms_opt(10, 0, 0).unwrap());
    let b = MemBackend::new(demo_state(today()), now);
    b.exec(
        "ADMIN",
        CommandBody::SetDocumentProfile(profile("US01", "0614141")),
    )
    .unwrap();
    b.exec(
        "ADMIN",
        CommandBody::SetDocumentProfile(profile("CA01", "0614142")),
    )
    .unwrap();
    b
}

/// The text with the record it is as of masked: snapshots do not change
/// when the demo gains a command (the tests check `as_of` themselves).
fn masked(t: &str) -> String {
    match t.rfind("as of record ") {
        Some(i) => {
            let start = i + "as of record ".len();
            let end = t[start..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(t.len(), |e| start + e);
            format!("{}N{}", &t[..start], &t[end..])
        }
        None => t.to_string(),
    }
}

fn opts() -> BuildOptions {
    BuildOptions {
        today: today(),
        copy: false,
    }
}

/// The documents of the demo, one of each kind.
fn picks(s: &State) -> Vec<(DocKind, Code)> {
    use depot::core::sales::OrderStatus;
    let mut out = Vec::new();
    let inv = s
        .invoices
        .values_sorted()
        .into_iter()
        .find(|i| !i.lines.is_empty())
        .unwrap();
    out.push((DocKind::Invoice, inv.number.clone()));
    if let Some(m) = s.credit_memos.keys().next() {
        out.push((DocKind::CreditMemo, m.clone()));
    }
    let quote = s
        .orders
        .values_sorted()
        .into_iter()
        .find(|o| o.status == OrderStatus::Quote)
        .unwrap();
    out.push((DocKind::Acknowledgment, quote.number.clone()));
    let order = s
        .orders
        .values_sorted()
        .into_iter()
        .find(|o| o.status != OrderStatus::Quote)
        .unwrap();
    out.push((DocKind::Acknowledgment, order.number.clone()));
    let customer = s
        .index
        .open_invoices
        .iter()
        .max_by_key(|(_, v)| v.len())
        .map(|(c, _)| c.clone())
        .unwrap();
    out.push((DocKind::Statement, customer));
    out.push((
        DocKind::PurchaseOrder,
        s.purchase_orders.keys().next().unwrap().clone(),
    ));
    out.push((
        DocKind::PickTicket,
        s.picks.get_min().map(|(k, _)| k).unwrap().clone(),
    ));
    let packed = s
        .picks
        .values_sorted()
        .into_iter()
        .find(|p| !p.cartons.is_empty())
        .map(|p| format!("{}/{}", p.number, p.cartons[0].number))
        .or_else(|| {
            s.shipments
                .values_sorted()
                .into_iter()
                .find(|x| !x.cartons.is_empty())
                .map(|x| format!("{}/{}", x.pick_list, x.cartons[0].number))
        })
        .unwrap();
    out.push((DocKind::PackingSlip, packed.clone().into()));
    out.push((DocKind::CartonLabel, packed.into()));
    let shipped = s
        .shipments
        .values_sorted()
        .into_iter()
        .find(|x| !x.cartons.is_empty())
        .unwrap_or_else(|| s.shipments.get_min().map(|(_, v)| v).unwrap());
    out.push((DocKind::BillOfLading, shipped.number.clone()));
    out
}

#[test]
fn every_document_of_the_demo_renders_as_text() {
    let b = demo();
    let s = b.state.borrow().clone();
    let docs = picks(&s);
    assert!(
        docs.iter().any(|(k, _)| *k == DocKind::CreditMemo),
        "the demo has a return"
    );
    for (kind, number) in docs {
        let d = build(&s, kind, &number, opts()).unwrap();
        assert_eq!(d.as_of, s.seq);
        let t = text::render(&d);
        // Every line fits 80 columns, and the letterhead and title are there.
        for line in t.lines() {
            assert!(line.chars().count() <= text::WIDTH, "{kind}: {line:?}");
        }
        assert!(t.contains("Northwind Industrial Supply"), "{t}");
        assert!(t.contains(&d.title), "{t}");
        let name = format!("{kind}-{}", number.replace('/', "-"));
        insta::assert_snapshot!(name, masked(&t));
    }
}

/// Amounts follow the currency's minor unit, through the one formatter.
#[test]
fn invoice_totals_are_the_invoice_and_print_in_its_currency() {
    let b = demo();
    let s = b.state.borrow().clone();
    for inv in s.invoices.values_sorted().into_iter().take(20) {
        let d = build(&s, DocKind::Invoice, &inv.number, opts()).unwrap();
        assert_eq!(d.total("Total"), Some(inv.total), "{}", inv.number);
        let lines: Decimal = inv.lines.iter().map(|l| l.amount).sum();
        let taxes: Decimal = inv.taxes.iter().map(|t| t.tax).sum();
        assert_eq!(d.total("Subtotal"), Some(lines));
        assert_eq!(lines + taxes + inv.freight, inv.total, "{}", inv.number);
        let t = text::render(&d);
        let shown = depot::query::money(inv.total, &inv.currency);
        assert!(
            t.contains(&format!("{shown} {}", inv.currency)),
            "{shown}\n{t}"
        );
    }
}

/// The statement document and the `statement` report are the same
/// figures: balance and aging.
#[test]
fn the_statement_agrees_with_the_statement_report() {
    let b = demo();
    let s = b.state.borrow().clone();
    for customer in s.index.open_invoices.keys() {
        let d = build(&s, DocKind::Statement, customer, opts()).unwrap();
        let mut o = depot::report::Options::new(None, today());
        o.customer = Some(customer.to_string());
        let t = depot::report::build_with("statement", &s, &o).unwrap();
        let last = t.rows.last().unwrap();
        let report_balance = Decimal::from_str(last.last().unwrap()).unwrap();
        assert_eq!(d.total("Balance due"), Some(report_balance), "{customer}");
        let aging: Vec<Decimal> = t
            .rows
            .iter()
            .filter(|r| r[2].starts_with("open "))
            .map(|r| Decimal::from_str(&r[4]).unwrap())
            .collect();
        let doc_aging: Vec<Decimal> = d.totals.iter().take(5).map(|t| t.value).collect();
        assert_eq!(aging, doc_aging, "{customer}");
        // Open items sum to the aging, and the running balance ends there.
        let open: Decimal = aging.iter().copied().sum();
        assert_eq!(d.total("Open invoices"), Some(open));
    }
}

#[test]
fn the_pick_ticket_walks_the_bins_in_sequence_with_barcodes() {
    let b = demo();
    let s = b.state.borrow().clone();
    let p = s
        .picks
        .values_sorted()
        .into_iter()
        .max_by_key(|p| p.lines.len())
        .unwrap();
    let d = build(&s, DocKind::PickTicket, &p.number, opts()).unwrap();
    let seqs: Vec<u32> = d.rows.iter().map(|r| r.cells[0].parse().unwrap()).collect();
    let mut sorted = seqs.clone();
    sorted.sort();
    assert_eq!(seqs, sorted);
    for r in &d.rows {
        assert_eq!(r.barcodes.len(), 2);
        assert_eq!(r.barcodes[0].data, r.cells[1], "the bin's code");
        // The item barcode scans back to the row's item.
        let (item, _) = s.item_by_code(&r.barcodes[1].data).unwrap();
        assert_eq!(item.sku, r.cells[2]);
        for code in &r.barcodes {
            assert!(depot::docs::barcode::modules(code).is_some());
        }
    }
}

fn carton_id(s: &State) -> String {
    picks(s)
        .into_iter()
        .find(|(k, _)| *k == DocKind::CartonLabel)
        .unwrap()
        .1
        .to_string()
}

#[test]
fn the_carton_label_sscc_has_its_check_digit_and_scans_back() {
    let b = demo();
    let s = b.state.borrow().clone();
    let id = carton_id(&s);
    let d = build(&s, DocKind::CartonLabel, &id, opts()).unwrap();
    let z = zpl::render(&d).unwrap();
    assert!(z.starts_with("^XA") && z.trim_end().ends_with("^XZ"), "{z}");
    // GS1-128 in UCC/EAN mode, the element string bracketed.
    let start = z.find("^BCN,200,Y,N,N,D^FD").unwrap() + "^BCN,200,Y,N,N,D^FD".len();
    let element = &z[start..start + z[start..].find("^FS").unwrap()];
    assert!(
        element.starts_with("(00)") && element.len() == 22,
        "{element}"
    );
    let sscc = &element[4..];
    assert!(sscc_is_valid(sscc), "check digit of {sscc}");
    assert!(sscc.starts_with("00614141"), "extension 0, then the prefix");
    match parse_scan(element).unwrap() {
        Scan::Gs1(g) => assert_eq!(g.sscc.as_deref(), Some(sscc)),
        other => panic!("{other:?}"),
    }
    // As a scanner sends it: ]C1 then the digits.
    match parse_scan(&format!("]C100{sscc}")).unwrap() {
        Scan::Gs1(g) => assert_eq!(g.sscc.as_deref(), Some(sscc)),
        other => panic!("{other:?}"),
    }
    // Ship-to, carrier and service are on the label.
    let ship = &d.parties[0];
    assert!(z.contains(&ship.lines[0]), "{z}");
    let carrier = d.fields.iter().find(|(l, _)| l == "Carrier").unwrap();
    assert!(z.contains(&carrier.1), "{z}");
    assert!(d.fields.iter().any(|(l, _)| l == "Service"));
    // The order number as Code 128 too.
    let order = d.fields.iter().find(|(l, _)| l == "Order").unwrap();
    assert!(
        z.contains(&format!("^BCN,90,Y,N,N,N^FD{}^FS", order.1)),
        "{z}"
    );
    // A reprint carries the same SSCC, marked COPY.
    let copy = build(
        &s,
        DocKind::CartonLabel,
        &id,
        BuildOptions {
            today: today(),
            copy: true,
        },
    )
    .unwrap();
    let zc = zpl::render(&copy).unwrap();
    assert!(zc.contains(element) && zc.contains("COPY"));
    // ZPL is for labels only.
    let inv = s.invoices.get_min().map(|(k, _)| k).unwrap();
    let d = build(&s, DocKind::Invoice, inv, opts()).unwrap();
    assert!(zpl::render(&d).is_err());
}

#[test]
fn a_label_without_a_gs1_prefix_says_what_is_missing() {
    let now = Utc.from_utc_datetime(&today().and_hms_opt(10, 0, 0).unwrap());
    let b = MemBackend::new(demo_state(today()), now);
    b.exec(
        "ADMIN",
        CommandBody::SetDocumentProfile(profile("US01", "")),
    )
    .unwrap();
    let s = b.state.borrow().clone();
    let id = carton_id(&s);
    let e = build(&s, DocKind::CartonLabel, &id, opts()).unwrap_err();
    assert!(e.to_string().contains("GS1 company prefix"), "{e}");
    let e = build(&s, DocKind::CartonLabel, "PK-000001", opts()).unwrap_err();
    assert!(e.to_string().contains("LIST/N"), "{e}");
    let e = build(&s, DocKind::Invoice, "NOPE", opts()).unwrap_err();
    assert!(e.to_string().contains("no such document"), "{e}");
}

fn pdftotext(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap_or_else(|e| {
            panic!("pdftotext is needed (apt-get install poppler-utils, see .ci/run): {e}")
        });
    assert!(out.status.success(), "pdftotext: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The 200-open-item statement of the bench (copies of a demo invoice
/// under new numbers, put into the state as `depot bench documents`
/// does), as PDF: every page has the head (who, the statement date, the
/// table head) and its page number; the open items of all pages add up
/// to the balance due on the last, which is the `statement` report's.
#[test]
fn a_long_statement_pages_with_headers_and_page_numbers() {
    let (s, customer) = depot::bench_docs::bench_state(today(), 5, 200).unwrap();
    let d = build(&s, DocKind::Statement, &customer, opts()).unwrap();
    assert!(d.rows.len() >= 200);
    let name = s.customers[&customer.to_code()].name.clone();
    let pages = pdf::page_count(&d);
    assert!(pages >= 4, "{pages} pages");
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("st.pdf");
    std::fs::write(&f, pdf::render(&d).unwrap()).unwrap();
    let t = pdftotext(&f);
    let page_texts: Vec<&str> = t.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
    assert_eq!(page_texts.len(), pages);
    let numbers: std::collections::BTreeSet<&str> =
        d.rows.iter().map(|r| r.cells[0].as_str()).collect();
    let mut seen = Vec::new();
    let mut open = Decimal::ZERO;
    for (i, p) in page_texts.iter().enumerate() {
        assert!(p.contains("STATEMENT"), "page {}", i + 1);
        assert!(p.contains(&name), "the customer on page {}", i + 1);
        // pdftotext spaces the columns its own way.
        let words = p.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            words.contains(&format!("Statement date {}", today())),
            "the date on page {}:\n{p}",
            i + 1
        );
        assert!(p.contains("Days late"), "the table head repeats");
        assert!(
            p.contains(&format!("Page {} of {pages}", i + 1)),
            "page {}:\n{p}",
            i + 1
        );
        // Rows: invoice, date, due, days late, amount, open, balance.
        for line in p.lines() {
            let w: Vec<&str> = line.split_whitespace().collect();
            if w.first().is_some_and(|n| numbers.contains(n)) {
                assert_eq!(w.len(), 7, "{line:?}");
                open += Decimal::from_str(&w[5].replace(',', "")).unwrap();
                seen.push(w[0].to_string());
            }
        }
    }
    let mut expected: Vec<String> = d.rows.iter().map(|r| r.cells[0].clone()).collect();
    seen.sort();
    expected.sort();
    assert_eq!(seen, expected, "every row on some page, once");
    let row_open: Decimal = d
        .rows
        .iter()
        .map(|r| Decimal::from_str(&r.cells[5].replace(',', "")).unwrap())
        .sum();
    assert_eq!(open, row_open, "the pages show the rows' figures");
    let last = page_texts.last().unwrap();
    let due = amount_after(last, "Balance due");
    assert_eq!(
        due,
        open + d.total("Balance due").unwrap() - d.total("Open invoices").unwrap(),
        "the pages' open items add up to the open invoices, and the balance due follows: {:?}",
        d.totals
    );
    assert_eq!(open, d.total("Open invoices").unwrap());
    let mut o = depot::report::Options::new(None, today());
    o.customer = Some(customer.clone());
    let r = depot::report::build_with("statement", &s, &o).unwrap();
    let report_balance = Decimal::from_str(r.rows.last().unwrap().last().unwrap()).unwrap();
    assert_eq!(due, report_balance);
    assert_eq!(Some(due), d.total("Balance due"));
}

/// The text format pages too: at most 66 lines a page, a form feed
/// between pages, the head and "Page n of m" on each, the totals on the
/// last; and the pages hold every row once.
#[test]
fn a_long_statement_as_text_pages_with_form_feeds() {
    let (s, customer) = depot::bench_docs::bench_state(today(), 5, 200).unwrap();
    let d = build(&s, DocKind::Statement, &customer, opts()).unwrap();
    let name = s.customers[&customer.to_code()].name.clone();
    let t = text::render(&d);
    let pages: Vec<&str> = t.split('\u{c}').collect();
    assert!(pages.len() >= 4, "{} pages", pages.len());
    let n = pages.len();
    let mut rows = 0;
    for (i, p) in pages.iter().enumerate() {
        let lines: Vec<&str> = p.lines().collect();
        assert!(
            lines.len() <= text::PAGE_LINES,
            "page {}: {} lines",
            i + 1,
            lines.len()
        );
        assert!(
            p.contains(&name) && p.contains("Days late"),
            "page {}",
            i + 1
        );
        assert!(p.contains(&format!("Statement date  {}", today())));
        let foot = lines.last().unwrap();
        assert!(
            foot.ends_with(&format!("Page {} of {n}", i + 1)) && foot.starts_with("STATEMENT"),
            "{foot:?}"
        );
        assert_eq!(
            p.contains("Balance due"),
            i + 1 == n,
            "totals close the last page"
        );
        rows += lines
            .iter()
            .filter(|l| l.starts_with("BENCH-") || l.starts_with("IN-"))
            .count();
    }
    assert_eq!(rows, d.rows.len());
    // A page length that cannot hold the head still makes progress.
    let tiny = text::render_paged(&d, 5);
    assert!(tiny.split('\u{c}').count() >= d.rows.len() / 2);
}

/// Names outside ASCII come out as they are, in the PDF (an embedded
/// TrueType font) and in the text; a character the font lacks (CJK)
/// prints as the visible replacement character U+FFFD in the PDF.
#[test]
fn customer_names_in_any_latin_script_print_as_they_are() {
    let b = demo();
    let walkin = b.state.borrow().customers[&"WALKIN-US01".to_code()].clone();
    let names = [
        ("MUELLER", "Müller Großhandel"),
        ("CAFEQC", "Café Québec"),
        ("LODZ", "Łódź"),
        ("TOKYO", "東京 Trading"),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (code, name) in names {
        let mut c = walkin.clone();
        c.code = code.into();
        c.name = name.into();
        b.exec("ADMIN", CommandBody::CreateCustomer(c)).unwrap();
        b.exec(
            "CLERK1",
            CommandBody::CounterSale {
                customer: code.into(),
                warehouse: "CHI".into(),
                lines: vec![depot::core::counter::CounterLine {
                    sku: "FAS-1001".into(),
                    qty: Decimal::ONE,
                    unit: None,
                    price: None,
                }],
                payment: Some(depot::core::counter::CounterPayment {
                    method: depot::core::cash::Method::Cash,
                    amount: None,
                    reference: String::new(),
                }),
                payments: vec![],
            },
        )
        .unwrap();
        let s = b.state.borrow().clone();
        let inv = s
            .invoices
            .values_sorted()
            .into_iter()
            .find(|i| i.customer == code)
            .unwrap();
        let d = build(&s, DocKind::Invoice, &inv.number, opts()).unwrap();
        assert!(text::render(&d).contains(name), "the text keeps {name}");
        let f = dir.path().join(format!("{code}.pdf"));
        std::fs::write(&f, pdf::render(&d).unwrap()).unwrap();
        let t = pdftotext(&f);
        assert!(t.contains(&*inv.number), "{t}");
        if name.chars().all(pdf::has_glyph) {
            assert!(t.contains(name), "{name} in the PDF:\n{t}");
        } else {
            assert_eq!(code, "TOKYO", "only CJK is outside DejaVu Sans Mono");
            assert!(t.contains("\u{fffd}\u{fffd} Trading"), "{t}");
            assert!(!t.contains("東京"));
        }
    }
    assert!(!pdf::has_glyph('東') && pdf::has_glyph('ß') && pdf::has_glyph('Ł'));
}

/// What the journal of the invoice put on the customer's account, read
/// from the log through `depot report gl --doc`.
fn ar_of(dir: &Path, invoice: &str) -> Decimal {
    let out = common::depot(
        dir,
        &["report", "gl", "--doc", invoice, "--format", "json"],
        None,
    );
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v.as_array().unwrap();
    let num = |x: &serde_json::Value| -> Decimal {
        match x.as_str().unwrap_or_default() {
            "" => Decimal::ZERO,
            t => Decimal::from_str(t).unwrap(),
        }
    };
    let mut ar = Decimal::ZERO;
    let mut n = 0;
    for r in rows {
        // The receivables control account of the demo's chart.
        if r["account"].as_str() == Some("1100") {
            n += 1;
            ar += num(&r["debit"]) - num(&r["credit"]);
        }
    }
    assert_eq!(n, 1, "one AR line for {invoice}: {v}");
    ar
}

/// `depot --operator ADMIN print ARGS` on the store `d`.
fn print_as_admin(d: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--operator", "ADMIN", "print"];
    all.extend_from_slice(args);
    common::depot(d, &all, None)
}

fn amount_after(t: &str, label: &str) -> Decimal {
    let line = t
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no {label} in\n{t}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let n = words[words.len() - 2].replace(',', "");
    Decimal::from_str(&n).unwrap()
}

#[test]
fn the_printed_invoice_total_is_the_ledger_to_the_cent_and_a_reprint_is_a_copy() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = common::depot(d, &["demo", "--activity"], None);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    // Every invoice of the demo: the PDF's total is the AR line.
    let out = common::depot(d, &["report", "aging-ar", "--format", "json"], None);
    assert!(out.status.success());
    let engine_invoices: Vec<Code> = {
        let store = depot::store::Store::open(d).unwrap();
        let rec = store.recover().unwrap();
        let v = rec
            .state
            .invoices
            .keys_sorted()
            .into_iter()
            .cloned()
            .collect();
        store.close().unwrap();
        v
    };
    assert!(engine_invoices.len() >= 3);
    for inv in engine_invoices.iter().take(3) {
        let pdf = d.join(format!("{inv}.pdf"));
        let out = print_as_admin(d, &["invoice", inv, "--out", pdf.to_str().unwrap()]);
        assert!(out.status.success(), "{}", common::text(&out.stderr));
        let t = pdftotext(&pdf);
        assert!(t.contains(inv.as_str()), "{t}");
        assert_eq!(amount_after(&t, "Total"), ar_of(d, inv), "{inv}:\n{t}");
        assert!(!t.contains("COPY"));
    }
    // A reprint after a payment: the same figures, marked COPY.
    let inv = &engine_invoices[0];
    let first = d.join("first.txt");
    let out = print_as_admin(d, &["invoice", inv, "--out", first.to_str().unwrap()]);
    assert!(out.status.success());
    let said = common::text(&out.stdout);
    assert!(said.contains("as a COPY"), "printed before, as PDF: {said}");
    let again = d.join("again.txt");
    let out = print_as_admin(d, &["invoice", inv, "--out", again.to_str().unwrap()]);
    assert!(out.status.success());
    let a = std::fs::read_to_string(&first).unwrap();
    let b = std::fs::read_to_string(&again).unwrap();
    assert_eq!(a, b, "a reprint shows the same, whatever happened since");
    assert!(a.contains("*** COPY ***"));
    // Printers and defaults through `depot exec`, in the JSON of
    // docs/commands.md: the operator's default printer is a folder.
    let spool = d.join("spool");
    std::fs::create_dir(&spool).unwrap();
    let set_printer = format!(
        r#"{{"operator":"ADMIN","cmd":"set_printer","code":"SPOOL","name":"Spool","kind":"folder","target":"{}"}}"#,
        spool.display()
    );
    common::exec_all(
        d,
        &[
            &set_printer,
            r#"{"operator":"ADMIN","cmd":"set_default_printer","scope":{"operator":"ADMIN"},"printer":"SPOOL"}"#,
            r#"{"operator":"ADMIN","cmd":"set_document_profile","entity":"US01","tax_registration":"36-1234567","remittance":["Bank X, account 1"],"gs1_prefix":"0614141"}"#,
        ],
    );
    let out = print_as_admin(d, &["statement", "C0003", "--format", "text"]);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let said = common::text(&out.stdout);
    assert!(said.contains("printer SPOOL"), "{said}");
    let files: Vec<_> = std::fs::read_dir(&spool).unwrap().collect();
    assert_eq!(files.len(), 1);
    let t = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    assert!(
        t.contains("STATEMENT") && t.contains("Tax registration 36-1234567"),
        "{t}"
    );
    // A printer that is not there: exit 1, the reason, nothing printed.
    let out = print_as_admin(d, &["invoice", inv, "--printer", "NOPE"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(common::text(&out.stderr).contains("printer NOPE does not exist"));
    // The prints are in the log, and the store still checks out.
    let out = common::depot(d, &["check"], None);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
}

#[test]
fn a_folder_printer_keeps_each_print_and_a_reprint_after_a_payment_shows_the_same_figures() {
    let b = demo();
    let dir = tempfile::tempdir().unwrap();
    b.exec(
        "ADMIN",
        CommandBody::SetPrinter(Printer {
            code: "SPOOL".into(),
            name: "Spool folder".into(),
            kind: PrinterKind::Folder,
            target: dir.path().display().to_string(),
            active: true,
        }),
    )
    .unwrap();
    let s = b.state.borrow().clone();
    let inv = s
        .invoices
        .values_sorted()
        .into_iter()
        .find(|i| i.open > Decimal::ZERO && i.currency.0 == "USD")
        .unwrap()
        .clone();
    let mut req = PrintRequest::new(DocKind::Invoice, &inv.number, today());
    req.printer = Some("SPOOL".into());
    req.format = Some(Format::Text);
    let first = print_document(&b, "ADMIN", "test", &req).unwrap();
    assert!(!first.copy);
    // The customer pays the invoice in full.
    b.exec(
        "ADMIN",
        CommandBody::ReceivePayment {
            customer: inv.customer.clone(),
            method: depot::core::cash::Method::Transfer,
            amount: inv.open,
            reference: "WIRE 1".into(),
            apply: vec![depot::core::cash::ApplyTo {
                invoice: inv.number.clone(),
                amount: inv.open,
                settle: true,
            }],
        },
    )
    .unwrap();
    let now = build(&b.state.borrow(), DocKind::Invoice, &inv.number, opts()).unwrap();
    assert_eq!(now.total("Balance due"), Some(Decimal::ZERO));
    let again = print_document(&b, "ADMIN", "test", &req).unwrap();
    assert!(again.copy);
    assert_eq!(again.as_of, first.as_of);
    let a = std::fs::read_to_string(&first.destination).unwrap();
    let c = std::fs::read_to_string(&again.destination).unwrap();
    assert_ne!(first.destination, again.destination);
    assert!(c.contains("*** COPY ***") && !a.contains("COPY"));
    assert_eq!(
        a.lines().filter(|l| l.contains("USD")).collect::<Vec<_>>(),
        c.lines().filter(|l| l.contains("USD")).collect::<Vec<_>>(),
        "the reprint shows the figures of the first print"
    );
}

#[test]
fn a_raw_printer_on_loopback_receives_the_label() {
    let b = demo();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut buf = Vec::new();
        conn.read_to_end(&mut buf).unwrap();
        buf
    });
    b.exec(
        "ADMIN",
        CommandBody::SetPrinter(Printer {
            code: "LABEL1".into(),
            name: "Zebra at the dock".into(),
            kind: PrinterKind::Raw,
            target: format!("127.0.0.1:{port}"),
            active: true,
        }),
    )
    .unwrap();
    // The packing station's default printer.
    b.exec(
        "ADMIN",
        CommandBody::SetDefaultPrinter {
            scope: PrinterScope::Station {
                warehouse: "CHI".into(),
                station: "PACK1".into(),
            },
            printer: Some("LABEL1".into()),
        },
    )
    .unwrap();
    let s = b.state.borrow().clone();
    let id = carton_id(&s);
    let mut req = PrintRequest::new(DocKind::CartonLabel, &id, today());
    req.station = Some(("CHI".into(), "PACK1".into()));
    let o = print_document(&b, "ADMIN", "test", &req).unwrap();
    assert_eq!(o.format, Format::Zpl);
    assert_eq!(o.printer.as_deref(), Some("LABEL1"));
    let bytes = got.join().unwrap();
    let expected = zpl::render(&build(&s, DocKind::CartonLabel, &id, opts()).unwrap()).unwrap();
    assert_eq!(String::from_utf8(bytes).unwrap(), expected);
    // In the audit trail: who, what, which printer.
    let st = b.state.borrow();
    let h = st
        .prints
        .get(&("carton-label".to_code(), id.to_code()))
        .unwrap();
    assert_eq!((h.printed, h.failed), (1, 0));
    assert_eq!(h.last.printer.as_deref(), Some("LABEL1"));
    let (op, rec) = b.log.borrow().last().cloned().unwrap();
    assert_eq!(op, "ADMIN");
    assert!(matches!(rec.body, CommandBody::RecordPrint(_)));
}

#[test]
fn a_printer_that_refuses_the_connection_is_a_clear_error_and_an_audit_entry() {
    let b = demo();
    // Port 1: privileged, so never another test's printer listener, and
    // never given out as an ephemeral port. (A port freed by binding 0
    // was taken by a printer test running beside this one, which
    // accepted the print: a clean-clone CI run failed so.)
    b.exec(
        "ADMIN",
        CommandBody::SetPrinter(Printer {
            code: "DEAD".into(),
            name: "Unplugged".into(),
            kind: PrinterKind::Raw,
            target: "127.0.0.1:1".into(),
            active: true,
        }),
    )
    .unwrap();
    b.exec(
        "ADMIN",
        CommandBody::SetDefaultPrinter {
            scope: PrinterScope::Operator("ADMIN".into()),
            printer: Some("DEAD".into()),
        },
    )
    .unwrap();
    let inv = b
        .state
        .borrow()
        .invoices
        .get_min()
        .map(|(k, _)| k)
        .unwrap()
        .clone();
    let req = PrintRequest::new(DocKind::Invoice, &inv, today());
    let e = print_document(&b, "ADMIN", "test", &req).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("NOT printed") && msg.contains("cannot connect"),
        "{msg}"
    );
    let seq = match e {
        PrintError::Failed { audit_seq, .. } => audit_seq.unwrap(),
        other => panic!("{other:?}"),
    };
    let st = b.state.borrow();
    assert_eq!(st.seq, seq);
    let h = st.prints.get(&("invoice".to_code(), inv.clone())).unwrap();
    assert_eq!((h.printed, h.failed), (0, 1));
    assert_eq!(
        h.as_of, None,
        "a failed print fixes nothing: the retry is the original"
    );
    assert!(matches!(h.last.status, PrintStatus::Failed { .. }));
    drop(st);
    // No printer at all: a clear error, nothing recorded.
    let before = b.state.borrow().seq;
    let mut req = PrintRequest::new(DocKind::Invoice, &inv, today());
    req.printer = Some("NOPE".into());
    let e = print_document(&b, "ADMIN", "test", &req).unwrap_err();
    assert!(e.to_string().contains("printer NOPE does not exist"), "{e}");
    assert_eq!(b.state.borrow().seq, before);
}

#[test]
fn an_lp_stand_in_on_path_gets_the_queue_and_the_pdf() {
    let b = demo();
    let bin = tempfile::tempdir().unwrap();
    let args = bin.path().join("args");
    let data = bin.path().join("data");
    let script = bin.path().join("lp");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\ncat > '{}'\necho 'request id is office-1 (1 file(s))'\n",
            args.display(),
            data.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    std::env::set_var("PATH", path);
    b.exec(
        "ADMIN",
        CommandBody::SetPrinter(Printer {
            code: "OFFICE".into(),
            name: "Office laser".into(),
            kind: PrinterKind::Lp,
            target: "office".into(),
            active: true,
        }),
    )
    .unwrap();
    let po = b
        .state
        .borrow()
        .purchase_orders
        .keys()
        .next()
        .unwrap()
        .clone();
    let mut req = PrintRequest::new(DocKind::PurchaseOrder, &po, today());
    req.printer = Some("OFFICE".into());
    let o = print_document(&b, "ADMIN", "test", &req).unwrap();
    assert_eq!(o.format, Format::Pdf);
    let a = std::fs::read_to_string(&args).unwrap();
    let a: Vec<&str> = a.lines().collect();
    assert_eq!(
        a,
        vec!["-d", "office", "-t", &format!("purchase-order {po}")]
    );
    let sent = std::fs::read(&data).unwrap();
    assert!(sent.starts_with(b"%PDF-"));
    let f = bin.path().join("po.pdf");
    std::fs::write(&f, &sent).unwrap();
    let t = pdftotext(&f);
    assert!(t.contains("PURCHASE ORDER") && t.contains(&*po), "{t}");
    // The second print is a reprint: marked COPY, as of the first's state.
    let o2 = print_document(&b, "ADMIN", "test", &req).unwrap();
    assert!(o2.copy);
    assert_eq!(o2.as_of, o.as_of);
    std::fs::write(&f, std::fs::read(&data).unwrap()).unwrap();
    assert!(pdftotext(&f).contains("COPY"));
}

#[test]
fn a_counter_sale_invoice_shows_what_was_paid() {
    let b = demo();
    b.exec(
        "CLERK1",
        CommandBody::CounterSale {
            customer: "WALKIN-US01".into(),
            warehouse: "CHI".into(),
            lines: vec![depot::core::counter::CounterLine {
                sku: "FAS-1001".into(),
                qty: Decimal::from(3),
                unit: None,
                price: None,
            }],
            payment: Some(depot::core::counter::CounterPayment {
                method: depot::core::cash::Method::Cash,
                amount: None,
                reference: String::new(),
            }),
            payments: vec![],
        },
    )
    .unwrap();
    let s = b.state.borrow().clone();
    let inv = s
        .invoices
        .values_any_order()
        .filter(|i| i.customer == "WALKIN-US01")
        .max_by_key(|i| i.number.clone())
        .unwrap();
    let d = build(&s, DocKind::Invoice, &inv.number, opts()).unwrap();
    assert_eq!(d.title, "INVOICE (COUNTER SALE)");
    assert_eq!(d.total("Paid"), Some(inv.total));
    assert_eq!(d.total("Balance due"), Some(Decimal::ZERO));
    insta::assert_snapshot!("counter-sale-invoice", masked(&text::render(&d)));
}

#[test]
fn printers_and_profiles_are_checked_by_the_core() {
    let b = demo();
    let bad = |target: &str, kind| {
        b.exec(
            "ADMIN",
            CommandBody::SetPrinter(Printer {
                code: "P1".into(),
                name: "x".into(),
                kind,
                target: target.into(),
                active: true,
            }),
        )
        .unwrap_err()
        .code()
    };
    assert_eq!(bad("no-port", PrinterKind::Raw), "invalid_text");
    assert_eq!(bad("", PrinterKind::Folder), "invalid_text");
    assert_eq!(bad("-o evil", PrinterKind::Lp), "invalid_text");
    let e = b
        .exec(
            "ADMIN",
            CommandBody::SetDefaultPrinter {
                scope: PrinterScope::Operator("ADMIN".into()),
                printer: Some("NOPE".into()),
            },
        )
        .unwrap_err();
    assert_eq!(e.code(), "not_found");
    let mut p = profile("US01", "12a");
    assert_eq!(
        b.exec("ADMIN", CommandBody::SetDocumentProfile(p.clone()))
            .unwrap_err()
            .code(),
        "invalid_code"
    );
    p.gs1_prefix = "0614141".into();
    assert_eq!(
        b.exec("ADMIN", CommandBody::SetDocumentProfile(p))
            .unwrap_err()
            .code(),
        "no_change"
    );
    // A picker may print (record a print) but not set up printers.
    let e = b
        .exec(
            "PICK1",
            CommandBody::SetPrinter(Printer {
                code: "P2".into(),
                name: "x".into(),
                kind: PrinterKind::Folder,
                target: "/tmp".into(),
                active: true,
            }),
        )
        .unwrap_err();
    assert_eq!(e.code(), "not_permitted");
}

/// A statement printed again for the same day is a COPY of the first
/// print, with its figures; a statement of another day is a new statement,
/// dated and aged to that day (before, every later statement of the
/// customer was a COPY of the first one ever printed, so this month's
/// statement could not be printed once last month's had been).
#[test]
fn a_statement_reprints_for_its_day_and_another_day_is_a_new_statement() {
    let b = demo();
    let dir = tempfile::tempdir().unwrap();
    let customer = b
        .state
        .borrow()
        .index
        .open_invoices
        .keys()
        .next()
        .unwrap()
        .clone();
    let mut req = PrintRequest::new(DocKind::Statement, &customer, today());
    req.out = Some(dir.path().join("first.txt"));
    let first = print_document(&b, "ADMIN", "test", &req).unwrap();
    req.out = Some(dir.path().join("again.txt"));
    let again = print_document(&b, "ADMIN", "test", &req).unwrap();
    assert!(again.copy && !first.copy);
    let a = std::fs::read_to_string(dir.path().join("first.txt")).unwrap();
    let c = std::fs::read_to_string(dir.path().join("again.txt")).unwrap();
    // The same words and figures, but for the COPY marks (which move the
    // title's column).
    let words = |t: &str| -> Vec<String> {
        t.split_whitespace()
            .filter(|w| !w.contains("COPY") && *w != "***")
            .map(|w| w.trim_end_matches(',').to_string())
            .collect()
    };
    assert_eq!(words(&a), words(&c));
    assert!(c.contains("*** COPY ***"));
    // 45 days on: a new statement of that day, aged to it.
    let later_day = today() + chrono::Duration::days(45);
    req.today = later_day;
    req.out = Some(dir.path().join("later.txt"));
    let later = print_document(&b, "ADMIN", "test", &req).unwrap();
    assert!(!later.copy);
    let l = std::fs::read_to_string(dir.path().join("later.txt")).unwrap();
    assert!(!l.contains("COPY"), "{l}");
    assert!(l.contains(&format!("Statement date  {later_day}")), "{l}");
    let d = build(
        &b.state.borrow(),
        DocKind::Statement,
        &customer,
        BuildOptions {
            today: later_day,
            copy: false,
        },
    )
    .unwrap();
    assert_ne!(
        d.totals.iter().take(5).map(|t| t.value).collect::<Vec<_>>(),
        build(&b.state.borrow(), DocKind::Statement, &customer, opts())
            .unwrap()
            .totals
            .iter()
            .take(5)
            .map(|t| t.value)
            .collect::<Vec<_>>(),
        "45 days on, the open invoices have aged into later buckets"
    );
    let h = b
        .state
        .borrow()
        .prints
        .get(&("statement".to_code(), customer.clone()))
        .cloned()
        .unwrap();
    assert_eq!((h.printed, h.date), (3, Some(today())));
    assert_eq!(h.last.date, Some(later_day));
}

/// A statement of an earlier day ages what was open on that day: an
/// invoice paid since is still open on it, and its balance due is the
/// report's as of that day.
#[test]
fn a_statement_of_an_earlier_day_ages_what_was_open_then() {
    let b = demo();
    let s = b.state.borrow().clone();
    // A receipt that paid an invoice in full: the day before it, the
    // invoice was open.
    let (r, inv) = s
        .receipts
        .values_sorted()
        .into_iter()
        .filter(|r| r.method != depot::core::cash::Method::Credit)
        .find_map(|r| {
            r.applications
                .iter()
                .filter_map(|a| s.invoices.get(&a.invoice))
                .find(|i| i.open.is_zero() && i.date < r.date)
                .map(|i| (r.clone(), i.clone()))
        })
        .expect("the demo has an invoice paid after its day");
    let day = r.date.pred_opt().unwrap();
    let d = build(
        &s,
        DocKind::Statement,
        &r.customer,
        BuildOptions {
            today: day,
            copy: false,
        },
    )
    .unwrap();
    assert!(
        d.rows.iter().any(|row| row.cells[0] == inv.number.as_str()),
        "{} was open on {day}",
        inv.number
    );
    let data = depot::report::statement_data(&s, &r.customer, day).unwrap();
    let aged: Decimal = data.aging.iter().copied().sum();
    assert_eq!(d.total("Open invoices"), Some(aged));
    assert_eq!(d.total("Balance due"), Some(data.balance));
}

/// Only an open PO prints as an order: a draft, one waiting for approval
/// or a cancelled one says so in its title and in a note, so that a copy
/// printed for review cannot pass for an order at the supplier's.
#[test]
fn a_purchase_order_not_approved_does_not_print_as_an_order() {
    use depot::core::purchasing::PoStatus;
    let b = demo();
    let mut s = b.state.borrow().clone();
    let po = s.purchase_orders.keys().next().unwrap().clone();
    for (status, title, note) in [
        (PoStatus::Open, "PURCHASE ORDER", None),
        (PoStatus::Closed, "PURCHASE ORDER", None),
        (
            PoStatus::AwaitingApproval,
            "PURCHASE ORDER (NOT APPROVED)",
            Some("waiting for approval"),
        ),
        (PoStatus::Draft, "DRAFT PURCHASE ORDER", Some("a draft")),
        (
            PoStatus::Cancelled,
            "CANCELLED PURCHASE ORDER",
            Some("cancelled"),
        ),
    ] {
        s.purchase_orders.get_mut(&po).unwrap().status = status;
        let d = build(&s, DocKind::PurchaseOrder, &po, opts()).unwrap();
        assert_eq!(d.title, title, "{status:?}");
        let t = text::render(&d);
        assert!(t.contains(title), "{status:?}: {t}");
        match note {
            Some(why) => assert!(
                t.contains("NOT AN ORDER") && t.contains(why),
                "{status:?}: {t}"
            ),
            None => assert!(!t.contains("NOT AN ORDER"), "{status:?}: {t}"),
        }
    }
}
