//! The demo distributor: the CSV files of `fixtures/demo/`, loaded through
//! the same import path users use (see `fixtures/demo/README.md`).

use super::csv::{parse, ImportError};
use crate::core::channel::{ChannelPolicy, InvoicingPattern, PolicyLimits};
use crate::core::master::Channel;
use crate::core::master::Operator;
use crate::core::types::Code;
use crate::core::{execute, Command, CommandBody, State};
use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;

/// The demo's administrator (the operator that loads it).
pub const DEMO_ADMIN: &str = "ADMIN";

/// The demo files in load order (each may refer to codes of earlier ones).
pub const FILES: &[(&str, &str)] = &[
    ("entities", include_str!("../../fixtures/demo/entities.csv")),
    ("accounts", include_str!("../../fixtures/demo/accounts.csv")),
    (
        "posting-rules",
        include_str!("../../fixtures/demo/posting-rules.csv"),
    ),
    (
        "warehouses",
        include_str!("../../fixtures/demo/warehouses.csv"),
    ),
    ("bins", include_str!("../../fixtures/demo/bins.csv")),
    (
        "tax-codes",
        include_str!("../../fixtures/demo/tax-codes.csv"),
    ),
    (
        "payment-terms",
        include_str!("../../fixtures/demo/payment-terms.csv"),
    ),
    ("carriers", include_str!("../../fixtures/demo/carriers.csv")),
    (
        "price-lists",
        include_str!("../../fixtures/demo/price-lists.csv"),
    ),
    ("items", include_str!("../../fixtures/demo/items.csv")),
    (
        "list-prices",
        include_str!("../../fixtures/demo/list-prices.csv"),
    ),
    (
        "customers",
        include_str!("../../fixtures/demo/customers.csv"),
    ),
    (
        "contracts",
        include_str!("../../fixtures/demo/contracts.csv"),
    ),
    (
        "suppliers",
        include_str!("../../fixtures/demo/suppliers.csv"),
    ),
    (
        "supplier-items",
        include_str!("../../fixtures/demo/supplier-items.csv"),
    ),
    ("fx-rates", include_str!("../../fixtures/demo/fx-rates.csv")),
    (
        "operators",
        include_str!("../../fixtures/demo/operators.csv"),
    ),
    (
        "opening-stock",
        include_str!("../../fixtures/demo/opening-stock.csv"),
    ),
    (
        "replenishment",
        include_str!("../../fixtures/demo/replenishment.csv"),
    ),
    (
        "document-profiles",
        include_str!("../../fixtures/demo/document-profiles.csv"),
    ),
    ("printers", include_str!("../../fixtures/demo/printers.csv")),
];

/// The demo's time zones: (entity, warehouse, IANA zone). Dallas is on
/// Central time like Chicago; Toronto on Eastern.
pub const ZONES: &[(Option<&str>, Option<&str>, &str)] = &[
    (Some("US01"), None, "America/Chicago"),
    (Some("CA01"), None, "America/Toronto"),
    (None, Some("CHI"), "America/Chicago"),
    (None, Some("DAL"), "America/Chicago"),
    (None, Some("TOR"), "America/Toronto"),
];

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("fixtures/demo/{file}.csv: {error}")]
    Import { file: String, error: ImportError },
    #[error("fixtures/demo/{file}.csv: command {index} refused: {rejection}")]
    Refused {
        file: String,
        index: usize,
        rejection: Box<crate::core::Rejection>,
    },
}

/// How long before `today` the demo's opening stock is dated: before the
/// oldest day of its activity (`activity::DATA_QUALITY_DAYS_AGO`), so no
/// stock is shipped before it is there (stock shipped five months ago out
/// of stock opened today read as negative inventory in every balance
/// sheet dated between).
pub const OPENING_DAYS_AGO: i64 = 180;

/// The commands that build the demo distributor, as of `today`: the admin,
/// every fixture file, fiscal years around today, opening stock dated
/// `OPENING_DAYS_AGO` before today. `seed` is reserved for varying
/// generated history.
pub fn commands(today: NaiveDate, seed: u64) -> Result<Vec<CommandBody>, DemoError> {
    let _ = seed;
    let opening = today - chrono::Duration::days(OPENING_DAYS_AGO);
    let time = Utc.from_utc_datetime(&today.and_hms_opt(8, 0, 0).unwrap_or_default());
    let mut state = State::default();
    let mut out = Vec::new();
    let mut push = |state: &mut State, file: &str, index: usize, body: CommandBody| {
        let cmd = Command {
            operator: DEMO_ADMIN.into(),
            session: "demo".into(),
            time,
            key: None,
            body,
        };
        execute(state, &cmd).map_err(|rejection| DemoError::Refused {
            file: file.to_string(),
            index: index + 1,
            rejection: Box::new(rejection),
        })?;
        out.push(cmd.body);
        Ok::<(), DemoError>(())
    };
    push(
        &mut state,
        "(admin)",
        0,
        CommandBody::CreateOperator(Operator::admin(DEMO_ADMIN, "Demo administrator")),
    )?;
    // Only the demo lets `--operator` skip the sign-in.
    push(&mut state, "(admin)", 0, CommandBody::DeclareDemo)?;
    for (file, text) in FILES {
        let bodies = parse(file, text, &state).map_err(|error| DemoError::Import {
            file: file.to_string(),
            error,
        })?;
        for (i, mut body) in bodies.into_iter().enumerate() {
            if let CommandBody::PostOpeningStock { date, .. } = &mut body {
                *date = Some(opening);
            }
            push(&mut state, file, i, body)?;
        }
        if *file == "customers" {
            // Two channels of the Canadian entity under different rules.
            for (i, p) in channel_policies().into_iter().enumerate() {
                push(
                    &mut state,
                    "(channel policies)",
                    i,
                    CommandBody::CreateChannelPolicy(p),
                )?;
            }
        }
        if *file == "warehouses" {
            // Business dates are local dates: the entities' and the
            // warehouses' time zones, set before anything is dated.
            for (i, (entity, warehouse, zone)) in ZONES.iter().enumerate() {
                push(
                    &mut state,
                    "(time zones)",
                    i,
                    CommandBody::SetTimeZone {
                        entity: entity.map(Code::from),
                        warehouse: warehouse.map(Code::from),
                        zone: zone.to_string(),
                        from: None,
                    },
                )?;
            }
        }
        if *file == "posting-rules" {
            // Fiscal years around today, so the demo posts whatever the date.
            let entities: Vec<Code> = state.entities.keys().cloned().collect();
            for e in entities {
                for year in today.year() - 1..=today.year() + 1 {
                    push(
                        &mut state,
                        "(fiscal years)",
                        0,
                        CommandBody::DefineFiscalYear {
                            entity: e.clone(),
                            year,
                        },
                    )?;
                }
            }
        }
    }
    // The counter clerk's invoices, the packer's labels and packing slips
    // and the office's statements and POs go to files (no CUPS queue is
    // needed to try the demo): /tmp/depot-prints. A real dock sets its
    // station's label printer (set_default_printer with a station).
    for op in ["CLERK1", "PACK1", "AR1", "AP1", "BUY1", "CTRL1"] {
        push(
            &mut state,
            "(default printers)",
            0,
            CommandBody::SetDefaultPrinter {
                scope: crate::core::printing::PrinterScope::Operator(op.into()),
                printer: Some("SPOOL".into()),
            },
        )?;
    }
    Ok(out)
}

/// The demo's channel policies: CA01's retail chains take no backorders,
/// ship complete and are invoiced weekly with no grace; its industrial
/// customers take backorders promised within 30 days, partial shipments,
/// an invoice per shipment and 10 grace days, and may be given more.
pub fn channel_policies() -> Vec<ChannelPolicy> {
    let hm = |h, m| chrono::NaiveTime::from_hms_opt(h, m, 0);
    vec![
        ChannelPolicy {
            entity: "CA01".into(),
            channel: Channel::RetailChain,
            backorders: false,
            substitutes: false,
            horizon_days: None,
            ship_complete: true,
            invoicing: InvoicingPattern::WeeklyConsolidated,
            grace_days: 0,
            hold_threshold_pct: Decimal::from(100),
            carrier_cutoff: hm(15, 0),
            must_arrive_days: Some(5),
            limits: PolicyLimits {
                invoicing_overridable: true,
                grace_days_max: Some(5),
                must_arrive_days_min: Some(3),
                ..PolicyLimits::default()
            },
        },
        ChannelPolicy {
            entity: "CA01".into(),
            channel: Channel::Industrial,
            backorders: true,
            substitutes: true,
            horizon_days: Some(30),
            ship_complete: false,
            invoicing: InvoicingPattern::PerShipment,
            grace_days: 10,
            hold_threshold_pct: Decimal::from(110),
            carrier_cutoff: None,
            must_arrive_days: None,
            limits: PolicyLimits {
                backorders_overridable: true,
                ship_complete_overridable: true,
                grace_days_max: Some(20),
                hold_threshold_pct_max: Some(Decimal::from(120)),
                horizon_days_max: Some(60),
                ..PolicyLimits::default()
            },
        },
    ]
}
