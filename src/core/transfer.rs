//! Transfers between warehouses of one entity (SPEC 3.3): goods leave the
//! source bins at moving average cost into an in-transit bucket (Dr In
//! transit / Cr Inventory) and arrive in a bin of the destination (Dr
//! Inventory / Cr In transit), where they are offered to backorders. Only
//! stock nobody is promised may leave: not what open pick lines expect
//! from the bin, not what the warehouse has reserved.
//!
//! Between entities the goods are sold at a transfer price: the source
//! books the sale (Dr Due from / Cr Revenue) and the cost out (Dr COGS /
//! Cr Inventory); the destination owes it (Dr In transit / Cr Due to, in
//! its own currency at the day's rate) and takes the goods into its stock
//! at that value on receipt. Due-to and due-from are eliminated on
//! consolidation.

use super::command::Command;
use super::event::{Event, StockMove};
use super::master::{PostingKey, RecordKind};
use super::posting::{JournalEntry, Posting};
use super::rejection::Rejection;
use super::state::{BinKey, State};
use super::types::Code;
use super::validate;
use crate::core::types::ToCode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most lines one transfer may carry.
pub const TRANSFER_LINES_MAX: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    InTransit,
    Received,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferInput {
    pub bin: Code,
    pub sku: Code,
    #[serde(default)]
    pub lot: Option<Code>,
    /// Base units.
    pub qty: Decimal,
    /// Transfer price per base unit in the source entity's currency
    /// (needed, and only allowed, between entities).
    #[serde(default)]
    pub price: Option<Decimal>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferLine {
    pub from_bin: Code,
    pub sku: Code,
    pub lot: Option<Code>,
    pub qty: Decimal,
    /// Cost that left the pool (base currency).
    pub value: Decimal,
    /// Between entities: the transfer value in the source's currency and
    /// in the destination's (what its stock receives).
    #[serde(default)]
    pub price_value: Decimal,
    #[serde(default)]
    pub dest_value: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub number: Code,
    pub entity: Code,
    /// The destination's entity (the same unless intercompany).
    pub to_entity: Code,
    pub from: Code,
    pub to: Code,
    pub shipped: chrono::NaiveDate,
    pub shipped_by: Code,
    pub status: TransferStatus,
    pub lines: Vec<TransferLine>,
    pub received_bin: Option<Code>,
}

fn refuse(what: &str, problem: impl Into<String>) -> Rejection {
    Rejection::PurchaseState {
        document: what.to_string(),
        problem: problem.into(),
    }
}

/// Ship goods from bins of one warehouse to another of the same entity.
pub fn ship(
    state: &State,
    cmd: &Command,
    from: &str,
    to: &str,
    lines: &[TransferInput],
) -> Result<Vec<Event>, Rejection> {
    let wh = |code: &str| {
        state
            .warehouses
            .get(&code.to_code())
            .ok_or_else(|| Rejection::NotFound {
                kind: RecordKind::Warehouse,
                key: code.to_string(),
            })
    };
    let (src, dst) = (wh(from)?, wh(to)?);
    if src.code == dst.code {
        return Err(refuse("a transfer", "goes from one warehouse to another"));
    }
    let intercompany = src.entity != dst.entity;
    validate::count("lines", lines.len(), TRANSFER_LINES_MAX)?;
    let cur = super::purchasing::base_currency(state, &src.entity)?;
    let dest_cur = super::purchasing::base_currency(state, &dst.entity)?;
    let rate = super::purchasing::to_base(state, &cur, &dest_cur, cmd.warehouse_date(state, from))?;
    let mut taken_bin: BTreeMap<BinKey, Decimal> = BTreeMap::new();
    let mut taken_wh: BTreeMap<Code, Decimal> = BTreeMap::new();
    let mut pools: BTreeMap<Code, super::state::CostPool> = BTreeMap::new();
    let mut out = Vec::new();
    for l in lines {
        let item = state.items.get(&l.sku).ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Item,
            key: l.sku.to_string(),
        })?;
        validate::qty("qty", l.qty, item.qty_decimals)?;
        let price = match (intercompany, l.price) {
            (true, Some(p)) => {
                validate::price("price", p)?;
                p
            }
            (true, None) => {
                return Err(refuse(
                    "an intercompany transfer",
                    format!("needs a transfer price for {}", l.sku),
                ))
            }
            (false, Some(_)) => {
                return Err(refuse(
                    "a transfer within an entity",
                    "moves goods at cost: no price",
                ))
            }
            (false, None) => Decimal::ZERO,
        };
        let key = BinKey {
            warehouse: src.code.clone(),
            bin: l.bin.clone(),
            sku: l.sku.clone(),
            lot: l.lot.clone(),
        };
        let in_bin = state.bin_stock.get(&key).copied().unwrap_or_default();
        let promised = super::warehouse::bin_promised(state, &key);
        let used = taken_bin.entry(key.clone()).or_default();
        let bin_free = in_bin - promised - *used;
        let st = state
            .stock
            .get(&(src.code.clone(), l.sku.clone()))
            .cloned()
            .unwrap_or_default();
        let wh_used = taken_wh.entry(l.sku.clone()).or_default();
        // Reserved stock must stay on hand: goods picked for other orders
        // (in pick) do not cover it.
        let wh_free = st.on_hand - st.reserved - *wh_used;
        let free = bin_free.min(wh_free).max(Decimal::ZERO);
        if l.qty > free {
            return Err(Rejection::out_of_range(
                format!("qty of {} from {}", l.sku, l.bin),
                l.qty,
                "0",
                free,
            ));
        }
        *used += l.qty;
        *wh_used += l.qty;
        let pool = pools.entry(l.sku.clone()).or_insert_with(|| {
            state
                .costs
                .get(&(src.entity.clone(), l.sku.clone()))
                .cloned()
                .unwrap_or_default()
        });
        let value = pool.issue_value(l.qty, |v| cur.round(v));
        pool.qty -= l.qty;
        pool.value -= value;
        let price_value = cur.round(l.qty * price);
        out.push(TransferLine {
            from_bin: l.bin.clone(),
            sku: l.sku.clone(),
            lot: l.lot.clone(),
            qty: l.qty,
            value,
            price_value,
            dest_value: if intercompany {
                dest_cur.round(price_value * rate)
            } else {
                value
            },
        });
    }
    let number = format!("TR-{:06}", state.next_transfer + 1);
    let mut p = Posting::new(
        state,
        &src.entity,
        cmd.warehouse_date(state, from),
        &number,
        "transfer shipped",
    );
    // The destination books it on its own calendar (finance: the entity).
    let mut dest = Posting::new(
        state,
        &dst.entity,
        cmd.entity_date(state, &dst.entity),
        &number,
        "intercompany transfer",
    );
    let mut moves = Vec::new();
    for l in &out {
        p = if intercompany {
            dest = dest
                .debit(PostingKey::InTransit, l.dest_value, None)
                .credit(PostingKey::IntercompanyDueTo, l.dest_value, None);
            p.debit(PostingKey::Cogs, l.value, None)
                .credit(PostingKey::Inventory, l.value, Some(&l.sku))
                .debit(PostingKey::IntercompanyDueFrom, l.price_value, None)
                .credit(PostingKey::Revenue, l.price_value, None)
        } else {
            p.debit(PostingKey::InTransit, l.value, None).credit(
                PostingKey::Inventory,
                l.value,
                Some(&l.sku),
            )
        };
        moves.push(StockMove {
            entity: src.entity.clone(),
            warehouse: src.code.clone(),
            bin: l.from_bin.clone(),
            sku: l.sku.clone(),
            lot: l.lot.clone(),
            qty: -l.qty,
            value: -l.value,
        });
    }
    let journal = p.build()?;
    let dest_journal = if intercompany {
        Some(dest.build()?)
    } else {
        None
    };
    Ok(vec![Event::TransferShipped {
        transfer: Transfer {
            number: number.into(),
            entity: src.entity.clone(),
            to_entity: dst.entity.clone(),
            from: src.code.clone(),
            to: dst.code.clone(),
            shipped: cmd.warehouse_date(state, from),
            shipped_by: cmd.operator.clone(),
            status: TransferStatus::InTransit,
            lines: out,
            received_bin: None,
        },
        moves,
        journal,
        dest_journal,
    }])
}

/// Receive a transfer in full into a bin of the destination.
pub fn receive(
    state: &State,
    cmd: &Command,
    number: &str,
    bin: &str,
) -> Result<Vec<Event>, Rejection> {
    let t = state
        .transfers
        .get(&number.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Transfer,
            key: number.to_string(),
        })?;
    if t.status != TransferStatus::InTransit {
        return Err(refuse(number, "is already received"));
    }
    let b = state
        .bins
        .get(&(t.to.clone(), bin.trim().to_code()))
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Bin,
            key: format!("{}/{}", t.to, bin.trim()),
        })?;
    let mut p = Posting::new(
        state,
        &t.to_entity,
        cmd.warehouse_date(state, &t.to),
        number,
        "transfer received",
    );
    let mut moves = Vec::new();
    for l in &t.lines {
        p = p
            .debit(PostingKey::Inventory, l.dest_value, Some(&l.sku))
            .credit(PostingKey::InTransit, l.dest_value, None);
        moves.push(StockMove {
            entity: t.to_entity.clone(),
            warehouse: t.to.clone(),
            bin: b.code.clone(),
            sku: l.sku.clone(),
            lot: l.lot.clone(),
            qty: l.qty,
            value: l.dest_value,
        });
    }
    let journal: JournalEntry = p.build()?;
    let mut ev = vec![Event::TransferReceived {
        number: number.to_code(),
        bin: b.code.clone(),
        moves,
        journal,
    }];
    super::sales::fill_backorders(state, &mut ev, cmd.warehouse_date(state, &t.to));
    Ok(ev)
}

pub fn apply_event(state: &mut State, event: &Event) {
    match event {
        Event::TransferShipped {
            transfer,
            moves,
            journal,
            dest_journal,
        } => {
            state.next_transfer += 1;
            for m in moves {
                super::apply::apply_move(state, m);
            }
            super::apply::apply_journal(state, journal);
            if let Some(j) = dest_journal {
                super::apply::apply_journal(state, j);
            }
            state
                .transfers
                .insert(transfer.number.clone(), transfer.clone());
        }
        Event::TransferReceived {
            number,
            bin,
            moves,
            journal,
        } => {
            if let Some(t) = state.transfers.get_mut(number) {
                t.status = TransferStatus::Received;
                t.received_bin = Some(bin.clone());
            }
            for m in moves {
                super::apply::apply_move(state, m);
            }
            super::apply::apply_journal(state, journal);
        }
        _ => {}
    }
}

/// Settle intercompany balances through the banks: `payer` pays `amount`
/// (its base currency) of what it owes (due to) to `payee`, which receives
/// it at the day's rate against what it is owed (due from). Payer: Dr Due
/// to / Cr Bank; payee: Dr Bank / Cr Due from (the same share of its
/// balance as the payer pays of its own), the difference realised FX. The
/// payer may not pay more than it owes.
pub fn settle(
    state: &State,
    cmd: &Command,
    payer: &str,
    payee: &str,
    amount: Decimal,
    reference: &str,
) -> Result<Vec<Event>, Rejection> {
    super::validate::text("reference", reference, false)?;
    let base_of = |e: &str| super::purchasing::base_currency(state, e);
    let (from_cur, to_cur) = (base_of(payer)?, base_of(payee)?);
    if payer == payee {
        return Err(Rejection::IntercompanySettlement {
            problem: format!("{payer} cannot settle with itself"),
        });
    }
    super::validate::amount("amount", amount, &from_cur)?;
    if amount <= Decimal::ZERO {
        return Err(Rejection::NotPositive {
            field: "amount".into(),
            value: amount,
        });
    }
    let carried = |e: &str, key: PostingKey| -> Result<Decimal, Rejection> {
        let account = super::posting::resolve_account(state, e, key)?;
        Ok(state
            .ledger
            .balances
            .get(&(e.to_code(), account))
            .copied()
            .unwrap_or_default())
    };
    // A liability is a credit balance: what the payer owes is its negative.
    let owes = -carried(payer, PostingKey::IntercompanyDueTo)?;
    if amount > owes {
        return Err(Rejection::IntercompanySettlement {
            problem: format!(
                "{payer} owes {} {from_cur} to intercompany, less than {amount}",
                if owes > Decimal::ZERO {
                    owes
                } else {
                    Decimal::ZERO
                }
            ),
        });
    }
    let payee_date = cmd.entity_date(state, payee);
    let rate = super::purchasing::to_base(state, &from_cur, &to_cur, payee_date)?;
    let received = to_cur.round(amount * rate);
    let owed = carried(payee, PostingKey::IntercompanyDueFrom)?;
    if owed <= Decimal::ZERO {
        return Err(Rejection::IntercompanySettlement {
            problem: format!("{payee} is owed nothing by intercompany"),
        });
    }
    // The payee relieves the same share of what it carries as the payer
    // pays of what it owes; cash received beyond (or short of) it, at
    // today's rate, is realised FX.
    let relieved = if amount == owes {
        owed
    } else {
        to_cur.round(owed * amount / owes)
    };
    let number = format!("ICS-{:06}", state.seq + 1);
    let memo = format!("intercompany settlement {payer} to {payee} {reference}")
        .trim()
        .to_string();
    let journal = Posting::new(state, payer, cmd.entity_date(state, payer), &number, &memo)
        .debit(PostingKey::IntercompanyDueTo, amount, None)
        .credit(PostingKey::Bank, amount, None)
        .build()?;
    let payee_journal = Posting::new(state, payee, payee_date, &number, &memo)
        .debit(PostingKey::Bank, received, None)
        .credit(PostingKey::IntercompanyDueFrom, relieved, None)
        .fx_difference(received - relieved)
        .build()?;
    Ok(vec![Event::IntercompanySettled {
        number: number.into(),
        payer: payer.to_code(),
        payee: payee.to_code(),
        amount,
        rate,
        journal,
        payee_journal,
        by: cmd.operator.clone(),
    }])
}
