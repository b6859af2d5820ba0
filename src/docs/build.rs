//! From committed state to a [`Document`]: pure functions of the state,
//! no I/O, no clock (the statement's date comes in with the options).

use super::barcode::{sscc, sscc_element};
use super::{
    Barcode, Column, DocError, DocKind, Document, Letterhead, Party, Row, Symbology, Total,
};
use crate::core::code::Joined;
use crate::core::master::{Address, Customer};
use crate::core::pack::Carton;
use crate::core::state::State;
use crate::core::types::Code;
use crate::core::types::Currency;
use crate::core::types::ToCode;
use crate::core::warehouse::PickList;
use crate::query::{money, qty};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// What a document is built with beyond the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildOptions {
    /// The statement's date (aging is counted to it).
    pub today: NaiveDate,
    /// A reprint: marked COPY.
    pub copy: bool,
}

/// Build document `kind` number `doc` from `state` (as of `state.seq`).
pub fn build(
    state: &State,
    kind: DocKind,
    doc: &str,
    opts: BuildOptions,
) -> Result<Document, DocError> {
    build_with(state, kind, doc, opts, None)
}

/// `build`, with what the archive holds after the statement's day (a
/// statement as of a day before the customer's latest archived document
/// needs it: `core::archive::brought_forward`).
pub fn build_with(
    state: &State,
    kind: DocKind,
    doc: &str,
    opts: BuildOptions,
    later: Option<&crate::core::archive::Later>,
) -> Result<Document, DocError> {
    let mut d = match kind {
        DocKind::Invoice => invoice(state, doc)?,
        DocKind::CreditMemo => credit_memo(state, doc)?,
        DocKind::Acknowledgment => acknowledgment(state, doc)?,
        DocKind::Statement => statement(state, doc, opts.today, later)?,
        DocKind::PurchaseOrder => purchase_order(state, doc)?,
        DocKind::PickTicket => pick_ticket(state, doc)?,
        DocKind::PackingSlip => packing_slip(state, doc)?,
        DocKind::CartonLabel => carton_label(state, doc)?,
        DocKind::BillOfLading => bill_of_lading(state, doc)?,
        DocKind::RemittanceAdvice => remittance_advice(state, doc)?,
    };
    d.copy = opts.copy;
    d.as_of = state.seq;
    Ok(d)
}

fn not_found(kind: DocKind, doc: &str) -> DocError {
    DocError::NotFound {
        kind,
        doc: doc.chars().take(40).collect(),
    }
}

fn incomplete(kind: DocKind, doc: &str, problem: impl Into<String>) -> DocError {
    DocError::Incomplete {
        kind,
        doc: doc.chars().take(40).collect(),
        problem: problem.into(),
    }
}

fn address_lines(a: &Address) -> Vec<String> {
    let mut out = Vec::new();
    for l in [&a.line1, &a.line2] {
        if !l.trim().is_empty() {
            out.push(l.trim().to_string());
        }
    }
    let city: Vec<&str> = [&a.city, &a.region, &a.postcode]
        .into_iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if !city.is_empty() {
        out.push(city.join(" "));
    }
    if !a.country.trim().is_empty() {
        out.push(a.country.trim().to_string());
    }
    out
}

/// The entity's letterhead: its name, then its document profile.
fn letterhead(state: &State, entity: &str) -> Letterhead {
    let name = state
        .entities
        .get(&entity.to_code())
        .map(|e| e.name.clone())
        .unwrap_or_else(|| entity.to_string());
    let Some(p) = state.doc_profiles.get(&entity.to_code()) else {
        return Letterhead {
            name,
            lines: Vec::new(),
            tax_registration: String::new(),
        };
    };
    let mut lines = address_lines(&p.address);
    let contact: Vec<&str> = [p.phone.as_str(), p.email.as_str()]
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .collect();
    if !contact.is_empty() {
        lines.push(contact.join("  "));
    }
    Letterhead {
        name,
        lines,
        tax_registration: p.tax_registration.clone(),
    }
}

fn remittance(state: &State, entity: &str) -> Vec<String> {
    match state.doc_profiles.get(&entity.to_code()) {
        Some(p) if !p.remittance.is_empty() => {
            let mut out = vec!["Remit to:".to_string()];
            out.extend(p.remittance.iter().map(|l| format!("  {l}")));
            out
        }
        _ => Vec::new(),
    }
}

fn bill_to(c: &Customer) -> Party {
    Party {
        label: "Bill to".into(),
        name: format!("{} ({})", c.name, c.code),
        lines: address_lines(&c.bill_to),
    }
}

fn ship_to(c: &Customer, code: Option<&str>) -> Party {
    let address = code
        .and_then(|code| c.ship_to.iter().find(|s| s.code == code))
        .map(|s| &s.address)
        .unwrap_or(&c.bill_to);
    Party {
        label: "Ship to".into(),
        name: c.name.clone(),
        lines: address_lines(address),
    }
}

fn terms_text(state: &State, code: &str) -> String {
    state
        .terms
        .get(&code.to_code())
        .map(|t| t.description.clone())
        .unwrap_or_else(|| code.to_string())
}

fn total(label: &str, value: Decimal, c: &Currency) -> Total {
    Total {
        label: label.to_string(),
        value,
        text: format!("{} {c}", money(value, c)),
    }
}

fn cols(spec: &[(&str, bool)]) -> Vec<Column> {
    spec.iter()
        .map(|(t, n)| Column {
            title: t.to_string(),
            numeric: *n,
        })
        .collect()
}

fn description(state: &State, sku: &str) -> String {
    state
        .items
        .get(&sku.to_code())
        .map(|i| i.description.clone())
        .unwrap_or_default()
}

fn unit_of(state: &State, sku: &str) -> String {
    state
        .items
        .get(&sku.to_code())
        .map(|i| i.base_unit.clone())
        .unwrap_or_default()
        .to_string()
}

fn code128(label: &str, data: &str) -> Barcode {
    Barcode {
        label: label.to_string(),
        symbology: Symbology::Code128,
        data: data.to_string(),
    }
}

/// The barcode a picker scans for an item: its base unit's GTIN when it
/// has one, else its SKU.
fn item_barcode(state: &State, sku: &str) -> Barcode {
    let code = state
        .items
        .get(&sku.to_code())
        .and_then(|i| {
            i.barcodes
                .iter()
                .find(|b| b.unit == i.base_unit)
                .map(|b| b.code.clone())
        })
        .unwrap_or_else(|| sku.to_string());
    code128("item", &code)
}

fn empty(kind: DocKind, title: &str, number: &str, letterhead: Letterhead) -> Document {
    Document {
        kind,
        title: title.to_string(),
        number: number.to_string(),
        copy: false,
        as_of: 0,
        letterhead,
        parties: Vec::new(),
        fields: Vec::new(),
        columns: Vec::new(),
        rows: Vec::new(),
        totals: Vec::new(),
        notes: Vec::new(),
        barcodes: Vec::new(),
    }
}

fn field(d: &mut Document, label: &str, value: impl Into<String>) {
    let v = value.into();
    if !v.trim().is_empty() {
        d.fields.push((label.to_string(), v));
    }
}

fn invoice(state: &State, number: &str) -> Result<Document, DocError> {
    let kind = DocKind::Invoice;
    let inv = state
        .invoices
        .get(&number.to_code())
        .ok_or_else(|| not_found(kind, number))?;
    let c = state
        .customers
        .get(&inv.customer)
        .ok_or_else(|| incomplete(kind, number, format!("customer {} is gone", inv.customer)))?;
    let counter = inv.shipments.iter().any(|s| {
        state
            .shipments
            .get(s)
            .is_some_and(|s| s.carrier == crate::core::counter::WILL_CALL.0)
    });
    let debit_memo = state.debit_memos.get(&inv.number);
    let title = if debit_memo.is_some() {
        "DEBIT MEMO"
    } else if counter {
        "INVOICE (COUNTER SALE)"
    } else {
        "INVOICE"
    };
    let mut d = empty(kind, title, &inv.number, letterhead(state, &inv.entity));
    d.parties.push(bill_to(c));
    let first_ship = inv.shipments.first().and_then(|s| state.shipments.get(s));
    let order = first_ship.and_then(|s| state.orders.get(&s.order));
    if !counter {
        d.parties
            .push(ship_to(c, order.and_then(|o| o.ship_to.as_deref())));
    }
    if let Some(m) = debit_memo {
        field(&mut d, "Adjusts invoice", m.invoice.clone());
        field(&mut d, "Reason", m.reason.clone());
    }
    field(&mut d, "Invoice date", inv.date.to_string());
    field(&mut d, "Due date", inv.due.to_string());
    field(&mut d, "Terms", terms_text(state, &c.terms));
    if let Some(o) = order {
        field(&mut d, "Order", o.number.clone());
        field(&mut d, "Customer PO", o.customer_po.clone());
    }
    field(&mut d, "Shipments", inv.shipments.joined(", "));
    if !inv.discount_pct.is_zero() {
        if let Some(until) = inv.discount_until {
            field(
                &mut d,
                "Discount",
                format!("{}% if paid by {until}", inv.discount_pct.normalize()),
            );
        }
    }
    field(&mut d, "Currency", inv.currency.to_string());
    d.columns = cols(&[
        ("#", true),
        ("Item", false),
        ("Description", false),
        ("Qty", true),
        ("Unit", false),
        ("Price", true),
        ("Amount", true),
    ]);
    let cur = &inv.currency;
    let mut subtotal = Decimal::ZERO;
    for (i, l) in inv.lines.iter().enumerate() {
        subtotal += l.amount;
        d.rows.push(Row {
            cells: vec![
                (i + 1).to_string(),
                l.sku.to_string(),
                description(state, &l.sku),
                qty(l.qty),
                unit_of(state, &l.sku),
                crate::core::types::format_amount(l.price, l.price.scale().max(cur.minor_units())),
                money(l.amount, cur),
            ],
            barcodes: Vec::new(),
        });
    }
    d.totals.push(total("Subtotal", subtotal, cur));
    for t in &inv.taxes {
        d.totals.push(total(
            &format!("Tax {} {}%", t.tax_code, t.rate_pct.normalize()),
            t.tax,
            cur,
        ));
    }
    if !inv.freight.is_zero() {
        d.totals.push(total("Freight", inv.freight, cur));
    }
    d.totals.push(total("Total", inv.total, cur));
    // What receipts applied to it (as of the document's state).
    let receipts: Vec<(&crate::core::cash::Receipt, &crate::core::cash::Application)> = state
        .index
        .receipts_by_invoice
        .get(&inv.number)
        .into_iter()
        .flatten()
        .filter_map(|r| state.receipts.get(r).map(|r| &**r))
        .flat_map(|r| {
            r.applications
                .iter()
                .filter(|a| a.invoice == inv.number)
                .map(move |a| (r, a))
        })
        .collect();
    let paid: Decimal = receipts.iter().map(|(_, a)| a.amount).sum();
    let allowed: Decimal = receipts.iter().map(|(_, a)| a.discount + a.write_off).sum();
    if !paid.is_zero() || !allowed.is_zero() || !inv.credited.is_zero() {
        if !paid.is_zero() {
            d.totals.push(total("Paid", paid, cur));
        }
        if !allowed.is_zero() {
            d.totals.push(total("Discount and write-off", allowed, cur));
        }
        if !inv.credited.is_zero() {
            d.totals.push(total("Credited", inv.credited, cur));
        }
        d.totals.push(total("Balance due", inv.open, cur));
    }
    for (r, a) in &receipts {
        let method = serde_json::to_value(r.method)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let reference = if r.reference.is_empty() {
            String::new()
        } else {
            format!(", {}", r.reference)
        };
        d.notes.push(format!(
            "Paid {} by {method} ({}{reference}): {} {cur}",
            r.date,
            r.number,
            money(a.amount, cur)
        ));
    }
    if !c.tax_exempt_cert.is_empty() {
        d.notes
            .push(format!("Tax exempt, certificate {}", c.tax_exempt_cert));
    }
    d.notes.extend(remittance(state, &inv.entity));
    d.barcodes.push(code128("invoice", &inv.number));
    Ok(d)
}

fn credit_memo(state: &State, number: &str) -> Result<Document, DocError> {
    let kind = DocKind::CreditMemo;
    let m = state
        .credit_memos
        .get(&number.to_code())
        .ok_or_else(|| not_found(kind, number))?;
    let c = state
        .customers
        .get(&m.customer)
        .ok_or_else(|| incomplete(kind, number, format!("customer {} is gone", m.customer)))?;
    let mut d = empty(kind, "CREDIT MEMO", &m.number, letterhead(state, &m.entity));
    d.parties.push(bill_to(c));
    field(&mut d, "Date", m.date.to_string());
    field(&mut d, "For invoice", m.invoice.clone());
    field(&mut d, "Return", m.rma.clone());
    field(&mut d, "Currency", m.currency.to_string());
    d.columns = cols(&[
        ("Inv line", true),
        ("Item", false),
        ("Description", false),
        ("Qty", true),
        ("Amount", true),
    ]);
    let cur = &m.currency;
    let mut subtotal = Decimal::ZERO;
    for l in &m.lines {
        subtotal += l.amount;
        d.rows.push(Row {
            cells: vec![
                l.invoice_line.to_string(),
                l.sku.to_string(),
                description(state, &l.sku),
                qty(l.qty),
                money(l.amount, cur),
            ],
            barcodes: Vec::new(),
        });
    }
    d.totals.push(total("Subtotal", subtotal, cur));
    for t in &m.taxes {
        d.totals
            .push(total(&format!("Tax {}", t.tax_code), t.tax, cur));
    }
    d.totals.push(total("Total credit", m.total, cur));
    if !m.to_invoice.is_zero() {
        d.totals.push(total(
            &format!("Applied to {}", m.invoice),
            m.to_invoice,
            cur,
        ));
    }
    if !m.to_credit.is_zero() {
        d.totals.push(total("Credit on account", m.to_credit, cur));
    }
    Ok(d)
}

fn acknowledgment(state: &State, number: &str) -> Result<Document, DocError> {
    use crate::core::sales::OrderStatus;
    let kind = DocKind::Acknowledgment;
    let o = state
        .orders
        .get(&number.to_code())
        .ok_or_else(|| not_found(kind, number))?;
    let c = state
        .customers
        .get(&o.customer)
        .ok_or_else(|| incomplete(kind, number, format!("customer {} is gone", o.customer)))?;
    let will_call = o.status != OrderStatus::Quote
        && o.carrier.as_deref() == Some(crate::core::counter::WILL_CALL.0);
    let title = if o.status == OrderStatus::Quote {
        "QUOTATION"
    } else if will_call {
        "WILL-CALL TICKET"
    } else {
        "ORDER ACKNOWLEDGMENT"
    };
    let mut d = empty(kind, title, &o.number, letterhead(state, &o.entity));
    d.parties.push(bill_to(c));
    d.parties.push(ship_to(c, o.ship_to.as_deref()));
    field(&mut d, "Date", o.date.to_string());
    field(&mut d, "Requested", o.requested.to_string());
    field(&mut d, "Customer PO", o.customer_po.clone());
    field(&mut d, "Terms", terms_text(state, &c.terms));
    if let Some(carrier) = &o.carrier {
        field(
            &mut d,
            "Ship via",
            format!("{carrier} {}", o.service.clone().unwrap_or_default()),
        );
    }
    field(&mut d, "Currency", o.currency.to_string());
    d.columns = cols(&[
        ("#", true),
        ("Item", false),
        ("Description", false),
        ("Qty", true),
        ("Unit", false),
        ("Price", true),
        ("Amount", true),
        ("Promised", false),
    ]);
    let cur = &o.currency;
    let mut subtotal = Decimal::ZERO;
    for l in o.lines.iter().filter(|l| !l.cancelled) {
        let amount = cur.round(l.qty * l.price);
        subtotal += amount;
        let promise = if l.backordered.is_zero() {
            String::new()
        } else {
            l.promise.map(|p| p.to_string()).unwrap_or_default()
        };
        d.rows.push(Row {
            cells: vec![
                l.line.to_string(),
                l.sku.to_string(),
                description(state, &l.sku),
                qty(l.qty),
                unit_of(state, &l.sku),
                crate::core::types::format_amount(l.price, l.price.scale().max(cur.minor_units())),
                money(amount, cur),
                promise,
            ],
            barcodes: Vec::new(),
        });
    }
    d.totals.push(total("Subtotal", subtotal, cur));
    if will_call {
        let lists: Vec<Code> = state
            .index
            .picks_by_order
            .get(&number.to_code())
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        field(&mut d, "Pick list", lists.joined(", "));
        if let Some(dep) = state.deposits.get(&number.to_code()) {
            d.totals.push(total("Deposit paid", dep.taken, cur));
            if dep.remaining != dep.taken {
                d.totals.push(total("Deposit held", dep.remaining, cur));
            }
            d.notes.push(format!(
                "Deposit received {}: applied to the invoice when you collect.",
                dep.receipts.joined(", ")
            ));
        } else {
            d.notes
                .push("No deposit held: pay when you collect.".to_string());
        }
        d.notes.push(
            "Bring this ticket to the counter to collect your goods; tax is on the invoice."
                .to_string(),
        );
    } else {
        d.notes
            .push("Tax and freight are added on the invoice.".to_string());
    }
    d.barcodes.push(code128("order", &o.number));
    Ok(d)
}

fn statement(
    state: &State,
    code: &str,
    today: NaiveDate,
    later: Option<&crate::core::archive::Later>,
) -> Result<Document, DocError> {
    let kind = DocKind::Statement;
    let c = state
        .customers
        .get(&code.to_code())
        .ok_or_else(|| not_found(kind, code))?;
    // The figures of the `statement` report, computed once for both.
    let data = crate::report::statement_data_with(state, code, today, later)
        .map_err(|e| incomplete(kind, code, e.to_string()))?;
    let cur = &data.currency;
    let mut d = empty(kind, "STATEMENT", &c.code, letterhead(state, &c.entity));
    d.parties.push(bill_to(c));
    field(&mut d, "Statement date", today.to_string());
    field(&mut d, "Terms", terms_text(state, &c.terms));
    field(&mut d, "Currency", cur.to_string());
    d.columns = cols(&[
        ("Invoice", false),
        ("Date", false),
        ("Due", false),
        ("Days late", true),
        ("Amount", true),
        ("Open", true),
        ("Balance", true),
    ]);
    // Open items as of the statement's day, oldest due first, with their
    // running balance.
    let mut running = Decimal::ZERO;
    for item in crate::report::statement_open_items(state, c, today, later) {
        running += item.open;
        let late = (today - item.due).num_days().max(0);
        let archived = || later.and_then(|l| l.paid.iter().find(|i| i.number == item.doc));
        let total = state
            .invoices
            .get(&item.doc)
            .map(|i| &**i)
            .or_else(archived)
            .map_or(item.open, |i| i.total);
        d.rows.push(Row {
            cells: vec![
                item.doc.to_string(),
                item.date.to_string(),
                item.due.to_string(),
                late.to_string(),
                money(total, cur),
                money(item.open, cur),
                money(running, cur),
            ],
            barcodes: Vec::new(),
        });
    }
    for (label, v) in crate::report::AGING_LABELS.iter().zip(data.aging) {
        let name = if *label == "current" {
            "Current".to_string()
        } else {
            format!("{label} days past due")
        };
        d.totals.push(total(&name, v, cur));
    }
    d.totals.push(total("Open invoices", running, cur));
    d.totals.push(total("Balance due", data.balance, cur));
    if data.balance != running {
        d.notes.push(format!(
            "Balance due is the open invoices less {} of credit on account.",
            money(running - data.balance, cur)
        ));
    }
    d.notes.extend(remittance(state, &c.entity));
    Ok(d)
}

fn purchase_order(state: &State, number: &str) -> Result<Document, DocError> {
    let kind = DocKind::PurchaseOrder;
    let po = state
        .purchase_orders
        .get(&number.to_code())
        .ok_or_else(|| not_found(kind, number))?;
    // Only an open (or since closed) PO is an order to the supplier: a
    // draft or one waiting for approval printed for review must not pass
    // for one.
    use crate::core::purchasing::PoStatus;
    let (title, not_valid) = match po.status {
        PoStatus::Open | PoStatus::Closed => ("PURCHASE ORDER", None),
        PoStatus::Draft => ("DRAFT PURCHASE ORDER", Some("a draft")),
        PoStatus::AwaitingApproval => (
            "PURCHASE ORDER (NOT APPROVED)",
            Some("waiting for approval"),
        ),
        PoStatus::Cancelled => ("CANCELLED PURCHASE ORDER", Some("cancelled")),
    };
    let mut d = empty(kind, title, &po.number, letterhead(state, &po.entity));
    if let Some(why) = not_valid {
        d.notes.push(format!(
            "NOT AN ORDER: {} is {why}; do not supply against it.",
            po.number
        ));
    }
    if let Some(s) = state.suppliers.get(&po.supplier) {
        d.parties.push(Party {
            label: "Supplier".into(),
            name: format!("{} ({})", s.name, s.code),
            lines: address_lines(&s.address),
        });
        field(&mut d, "Terms", terms_text(state, &s.terms));
    }
    if let Some(w) = state.warehouses.get(&po.warehouse) {
        d.parties.push(Party {
            label: "Deliver to".into(),
            name: w.name.clone(),
            lines: address_lines(&w.address),
        });
    }
    field(&mut d, "Date", po.date.to_string());
    field(&mut d, "Buyer", po.buyer.clone());
    field(&mut d, "Currency", po.currency.to_string());
    d.columns = cols(&[
        ("#", true),
        ("Item", false),
        ("Your item", false),
        ("Description", false),
        ("Qty", true),
        ("Unit", false),
        ("Price", true),
        ("Amount", true),
        ("Expected", false),
    ]);
    let cur = &po.currency;
    for l in &po.lines {
        d.rows.push(Row {
            cells: vec![
                l.line.to_string(),
                l.sku.to_string(),
                l.supplier_sku.clone(),
                description(state, &l.sku),
                qty(l.unit_qty),
                l.unit.to_string(),
                crate::core::types::format_amount(l.price, l.price.scale().max(cur.minor_units())),
                money(cur.round(l.unit_qty * l.price), cur),
                l.expected.to_string(),
            ],
            barcodes: Vec::new(),
        });
    }
    d.totals.push(total("Total", po.total, cur));
    d.barcodes.push(code128("PO", &po.number));
    Ok(d)
}

/// What a supplier payment paid: each invoice (their number and ours),
/// its total, the discount taken and the amount paid, with the payment's
/// reference, so the supplier can apply it.
fn remittance_advice(state: &State, number: &str) -> Result<Document, DocError> {
    let kind = DocKind::RemittanceAdvice;
    let p = state
        .supplier_payments
        .get(&number.to_code())
        .ok_or_else(|| not_found(kind, number))?;
    let mut d = empty(
        kind,
        "REMITTANCE ADVICE",
        &p.number,
        letterhead(state, &p.entity),
    );
    let supplier = state.suppliers.get(&p.supplier);
    let cur = p
        .applications
        .iter()
        .find_map(|a| state.supplier_invoices.get(&a.invoice))
        .map(|i| i.currency.clone())
        .or_else(|| supplier.map(|s| s.currency.clone()))
        .unwrap_or_else(|| Currency::new("USD"));
    match supplier {
        Some(s) => d.parties.push(Party {
            label: "Paid to".into(),
            name: format!("{} ({})", s.name, s.code),
            lines: address_lines(&s.address),
        }),
        None => d.parties.push(Party {
            label: "Paid to".into(),
            name: p.supplier.to_string(),
            lines: Vec::new(),
        }),
    }
    field(&mut d, "Payment date", p.date.to_string());
    field(&mut d, "Payment reference", p.reference.clone());
    field(&mut d, "Currency", cur.to_string());
    d.columns = cols(&[
        ("Your invoice", false),
        ("Our ref", false),
        ("Invoice date", false),
        ("Invoice total", true),
        ("Discount", true),
        ("Paid", true),
    ]);
    let mut discount = Decimal::ZERO;
    for a in &p.applications {
        let inv = state.supplier_invoices.get(&a.invoice);
        discount += a.discount;
        d.rows.push(Row {
            cells: vec![
                inv.map(|i| i.reference.clone()).unwrap_or_default(),
                a.invoice.to_string(),
                inv.map(|i| i.date.to_string()).unwrap_or_default(),
                inv.map(|i| money(i.total, &cur)).unwrap_or_default(),
                money(a.discount, &cur),
                money(a.amount, &cur),
            ],
            barcodes: Vec::new(),
        });
    }
    let applied: Decimal = p.applications.iter().map(|a| a.amount).sum();
    d.totals
        .push(total("Invoices settled", applied + discount, &cur));
    d.totals.push(total("Discounts taken", discount, &cur));
    d.totals.push(total("Payment", p.amount, &cur));
    if p.amount != applied {
        d.notes.push(format!(
            "{} of the payment is on account (not applied to an invoice).",
            money(p.amount - applied, &cur)
        ));
    }
    d.notes
        .push("Please apply this payment to the invoices listed above.".into());
    d.barcodes.push(code128("payment", &p.number));
    Ok(d)
}

fn pick_ticket(state: &State, number: &str) -> Result<Document, DocError> {
    let kind = DocKind::PickTicket;
    let p = state
        .picks
        .get(&number.to_code())
        .ok_or_else(|| not_found(kind, number))?;
    let entity = state
        .warehouse_entity(&p.warehouse)
        .cloned()
        .unwrap_or_default();
    let mut d = empty(kind, "PICK TICKET", &p.number, letterhead(state, &entity));
    let order = state.orders.get(&p.order);
    if let Some(o) = order {
        if let Some(c) = state.customers.get(&o.customer) {
            d.parties.push(ship_to(c, o.ship_to.as_deref()));
        }
    }
    field(&mut d, "Warehouse", p.warehouse.clone());
    field(&mut d, "Order", p.order.clone());
    if let Some(w) = &p.wave {
        field(&mut d, "Wave", w.clone());
    }
    if let Some(o) = order {
        field(&mut d, "Requested", o.requested.to_string());
        if let Some(carrier) = &o.carrier {
            field(
                &mut d,
                "Ship via",
                format!("{carrier} {}", o.service.clone().unwrap_or_default()),
            );
        }
    }
    d.columns = cols(&[
        ("Seq", true),
        ("Bin", false),
        ("Item", false),
        ("Description", false),
        ("Lot", false),
        ("Qty", true),
        ("Unit", false),
        ("Picked", true),
    ]);
    // In the walking order of the pick path.
    let mut lines: Vec<_> = p.lines.iter().collect();
    lines.sort_by(|a, b| (a.pick_seq, &a.bin, a.line).cmp(&(b.pick_seq, &b.bin, b.line)));
    let mut total_qty = Decimal::ZERO;
    for l in lines {
        total_qty += l.qty;
        d.rows.push(Row {
            cells: vec![
                l.pick_seq.to_string(),
                l.bin.to_string(),
                l.sku.to_string(),
                description(state, &l.sku),
                l.lot.clone().unwrap_or_default().to_string(),
                qty(l.qty),
                unit_of(state, &l.sku),
                if l.picked.is_zero() {
                    "____".into()
                } else {
                    qty(l.picked)
                },
            ],
            barcodes: vec![code128("bin", &l.bin), item_barcode(state, &l.sku)],
        });
    }
    d.totals.push(Total {
        label: "Lines".into(),
        value: Decimal::from(p.lines.len() as u64),
        text: p.lines.len().to_string(),
    });
    d.totals.push(Total {
        label: "Units".into(),
        value: total_qty,
        text: qty(total_qty),
    });
    d.barcodes.push(code128("pick list", &p.number));
    Ok(d)
}

/// A carton named `LIST/N`: its pick list, the carton (packed on the
/// list, or shipped with it) and its place among the cartons.
fn carton<'a>(
    state: &'a State,
    kind: DocKind,
    id: &str,
) -> Result<(&'a PickList, &'a Carton, String), DocError> {
    let (list, n) = id.rsplit_once('/').ok_or_else(|| DocError::CartonId {
        kind,
        doc: id.chars().take(40).collect(),
    })?;
    let n: u32 = n.parse().map_err(|_| DocError::CartonId {
        kind,
        doc: id.chars().take(40).collect(),
    })?;
    let p = state
        .picks
        .get(&list.to_code())
        .ok_or_else(|| not_found(kind, id))?;
    let cartons: &'a [Carton] = if p.cartons.is_empty() {
        state
            .index
            .shipments_by_order
            .get(&p.order)
            .into_iter()
            .flatten()
            .filter_map(|s| state.shipments.get(s))
            .find(|s| s.pick_list == p.number)
            .map(|s| s.cartons.as_slice())
            .unwrap_or(&[])
    } else {
        &p.cartons
    };
    let c = cartons
        .iter()
        .find(|c| c.number == n)
        .ok_or_else(|| not_found(kind, id))?;
    // Its place among the cartons ("2 of 3"), not its number: a number
    // skips those unpacked after their label printed (`next_carton`).
    let at = cartons.iter().filter(|x| x.number <= n).count();
    Ok((p, c, format!("{at} of {}", cartons.len())))
}

fn shipment_of<'a>(state: &'a State, p: &PickList) -> Option<&'a crate::core::warehouse::Shipment> {
    state
        .index
        .shipments_by_order
        .get(&p.order)
        .into_iter()
        .flatten()
        .filter_map(|s| state.shipments.get(s).map(|s| &**s))
        .find(|s| s.pick_list == p.number)
}

fn packing_slip(state: &State, id: &str) -> Result<Document, DocError> {
    let kind = DocKind::PackingSlip;
    let (p, c, of) = carton(state, kind, id)?;
    let entity = state
        .warehouse_entity(&p.warehouse)
        .cloned()
        .unwrap_or_default();
    let mut d = empty(kind, "PACKING SLIP", id, letterhead(state, &entity));
    let order = state.orders.get(&p.order);
    if let Some(o) = order {
        if let Some(cu) = state.customers.get(&o.customer) {
            d.parties.push(ship_to(cu, o.ship_to.as_deref()));
        }
        field(&mut d, "Order", o.number.clone());
        field(&mut d, "Customer PO", o.customer_po.clone());
    }
    field(&mut d, "Carton", of.clone());
    field(&mut d, "Pick list", p.number.clone());
    field(&mut d, "Weight", format!("{} kg", c.weight.normalize()));
    d.columns = cols(&[
        ("Item", false),
        ("Description", false),
        ("Qty", true),
        ("Unit", false),
    ]);
    let mut units = Decimal::ZERO;
    for l in &c.lines {
        units += l.qty;
        d.rows.push(Row {
            cells: vec![
                l.sku.to_string(),
                description(state, &l.sku),
                qty(l.qty),
                unit_of(state, &l.sku),
            ],
            barcodes: Vec::new(),
        });
    }
    d.totals.push(Total {
        label: "Units".into(),
        value: units,
        text: qty(units),
    });
    d.barcodes.push(code128("order", &p.order));
    Ok(d)
}

/// The SSCC of a carton: the entity's GS1 company prefix, then a serial
/// reference made of the pick list's number and the carton's, so that a
/// reprint carries the same code.
pub fn carton_sscc(state: &State, p: &PickList, carton: u32) -> Result<String, DocError> {
    let kind = DocKind::CartonLabel;
    let id = format!("{}/{carton}", p.number);
    let entity = state
        .warehouse_entity(&p.warehouse)
        .cloned()
        .unwrap_or_default();
    let prefix = state
        .doc_profiles
        .get(&entity)
        .map(|pr| pr.gs1_prefix.clone())
        .unwrap_or_default();
    if prefix.is_empty() {
        return Err(incomplete(
            kind,
            &id,
            format!("entity {entity} has no GS1 company prefix: set it with set_document_profile"),
        ));
    }
    let list_no: u64 = p
        .number
        .chars()
        .filter(|c| c.is_ascii_digit())
        .collect::<String>()
        .parse()
        .map_err(|_| incomplete(kind, &id, "the pick list number has no digits"))?;
    let serial = list_no
        .checked_mul(1000)
        .and_then(|v| v.checked_add(u64::from(carton % 1000)))
        .ok_or_else(|| incomplete(kind, &id, "the pick list number is too long"))?;
    sscc(0, &prefix, serial).map_err(|e| incomplete(kind, &id, e.to_string()))
}

fn carton_label(state: &State, id: &str) -> Result<Document, DocError> {
    let kind = DocKind::CartonLabel;
    let (p, c, of) = carton(state, kind, id)?;
    let entity = state
        .warehouse_entity(&p.warehouse)
        .cloned()
        .unwrap_or_default();
    let mut lh = letterhead(state, &entity);
    // A label's sender is the warehouse the carton leaves.
    if let Some(w) = state.warehouses.get(&p.warehouse) {
        lh.lines = address_lines(&w.address);
    }
    let mut d = empty(kind, "CARTON LABEL", id, lh);
    let order = state.orders.get(&p.order);
    if let Some(o) = order {
        if let Some(cu) = state.customers.get(&o.customer) {
            d.parties.push(ship_to(cu, o.ship_to.as_deref()));
        }
    }
    let shipment = shipment_of(state, p);
    let (carrier, service) = match (shipment, order) {
        (Some(s), _) => (s.carrier.clone(), s.service.clone()),
        (None, Some(o)) => (
            o.carrier.clone().unwrap_or_default(),
            o.service.clone().unwrap_or_default(),
        ),
        _ => (Code::default(), Code::default()),
    };
    let carrier_name = state
        .carriers
        .get(&carrier)
        .map(|c| c.name.clone())
        .unwrap_or_else(|| carrier.to_string());
    field(&mut d, "Carrier", carrier_name);
    field(&mut d, "Service", service);
    if let Some(s) = shipment {
        field(&mut d, "Tracking", s.tracking.clone());
    }
    field(&mut d, "Order", p.order.clone());
    if let Some(o) = order {
        field(&mut d, "Customer PO", o.customer_po.clone());
    }
    field(&mut d, "Carton", of.clone());
    field(&mut d, "Weight", format!("{} kg", c.weight.normalize()));
    let sscc = carton_sscc(state, p, c.number)?;
    field(&mut d, "SSCC", sscc.clone());
    d.barcodes.push(code128("order", &p.order));
    d.barcodes.push(Barcode {
        label: "SSCC".into(),
        symbology: Symbology::Gs1_128,
        data: sscc_element(&sscc),
    });
    Ok(d)
}

fn bill_of_lading(state: &State, number: &str) -> Result<Document, DocError> {
    let kind = DocKind::BillOfLading;
    let s = state
        .shipments
        .get(&number.to_code())
        .ok_or_else(|| not_found(kind, number))?;
    let mut d = empty(
        kind,
        "BILL OF LADING (SUMMARY)",
        &s.number,
        letterhead(state, &s.entity),
    );
    if let Some(w) = state.warehouses.get(&s.warehouse) {
        d.parties.push(Party {
            label: "Shipper".into(),
            name: w.name.clone(),
            lines: address_lines(&w.address),
        });
    }
    let order = state.orders.get(&s.order);
    if let Some(c) = state.customers.get(&s.customer) {
        let mut consignee = ship_to(c, order.and_then(|o| o.ship_to.as_deref()));
        consignee.label = "Consignee".into();
        d.parties.push(consignee);
        field(
            &mut d,
            "Freight terms",
            c.ship_policy.freight_terms.as_str(),
        );
    }
    let carrier_name = state
        .carriers
        .get(&s.carrier)
        .map(|c| c.name.clone())
        .unwrap_or_else(|| s.carrier.to_string());
    field(&mut d, "Date", s.date.to_string());
    field(&mut d, "Carrier", format!("{carrier_name} {}", s.service));
    field(&mut d, "Tracking", s.tracking.clone());
    field(&mut d, "Order", s.order.clone());
    if let Some(o) = order {
        field(&mut d, "Customer PO", o.customer_po.clone());
    }
    d.columns = cols(&[
        ("Carton", true),
        ("SSCC", false),
        ("Units", true),
        ("Weight kg", true),
    ]);
    let list = state.picks.get(&s.pick_list);
    let mut weight = Decimal::ZERO;
    for c in &s.cartons {
        weight += c.weight;
        let units: Decimal = c.lines.iter().map(|l| l.qty).sum();
        let code = list
            .and_then(|p| carton_sscc(state, p, c.number).ok())
            .unwrap_or_default();
        d.rows.push(Row {
            cells: vec![
                c.number.to_string(),
                code,
                qty(units),
                c.weight.normalize().to_string(),
            ],
            barcodes: Vec::new(),
        });
    }
    if s.cartons.is_empty() {
        // Handed over without cartons: the goods by item.
        for l in &s.lines {
            let w = state
                .items
                .get(&l.sku)
                .map(|i| i.weight_kg * l.qty)
                .unwrap_or_default();
            weight += w;
            d.rows.push(Row {
                cells: vec![
                    String::new(),
                    format!("{} {}", l.sku, description(state, &l.sku)),
                    qty(l.qty),
                    w.round_dp(3).normalize().to_string(),
                ],
                barcodes: Vec::new(),
            });
        }
    }
    d.totals.push(Total {
        label: "Cartons".into(),
        value: Decimal::from(s.cartons.len() as u64),
        text: s.cartons.len().to_string(),
    });
    d.totals.push(Total {
        label: "Total weight kg".into(),
        value: weight,
        text: weight.round_dp(3).normalize().to_string(),
    });
    d.barcodes.push(code128("shipment", &s.number));
    Ok(d)
}
