//! One module per screen, and the menu table: a new screen is one file
//! and one row here.

pub mod audit;
pub mod bank_rec;
pub mod cash_application;
pub mod collections;
pub mod counter_sale;
pub mod customer_lookup;
pub mod exceptions;
pub mod finance_views;
pub mod invoicing;
pub mod item_lookup;
pub mod journal;
pub mod kpi_dashboard;
pub mod master_data;
pub mod menu;
pub mod order_entry;
pub mod order_inquiry;
pub mod period_close;
pub mod po_entry;
pub mod purchasing;
pub mod release;
pub mod rf;
pub mod rf_count;
pub mod rf_pack;
pub mod rf_pick;
pub mod rf_putaway;
pub mod rf_receive;
pub mod rf_ship;
pub mod rf_transfer_in;
pub mod rf_transfer_out;
pub mod sign_in;
pub mod supplier_invoices;

use super::screen::{Ctx, Screen};
use crate::core::auth::Permission;

/// Every screen's keymap name (`[screen.NAME]` sections).
pub const NAMES: &[&str] = &[
    "sign_in",
    "menu",
    "item_lookup",
    "customer_lookup",
    "counter_sale",
    "order_inquiry",
    "order_entry",
    "rf_pick",
    "rf_pack",
    "rf_ship",
    "rf_receive",
    "rf_putaway",
    "rf_count",
    "rf_transfer_in",
    "rf_transfer_out",
    "exceptions",
    "cash_application",
    "supplier_invoices",
    "period_close",
    "purchasing",
    "finance_views",
    "finance_gl",
    "finance_items",
    "finance_doc",
    "finance_order",
    "audit",
    "bank_rec",
    "master_data",
    "kpi_dashboard",
    "collections",
    "invoicing",
    "release",
    "journals",
    "journal_entry",
];

/// Opens a screen for the signed-in operator.
pub type Open = fn(&Ctx) -> Box<dyn Screen>;

/// A row of the menu: what it is called, who may open it (any of these
/// permissions), and how to open it (None: not built yet).
pub struct Entry {
    pub label: &'static str,
    pub permissions: &'static [Permission],
    pub open: Option<Open>,
}

const ANY_DESK: &[Permission] = &[
    Permission::CaptureOrders,
    Permission::SellAtCounter,
    Permission::ManageCustomers,
    Permission::ManageCredit,
    Permission::TakePayment,
    Permission::ViewLedger,
    Permission::ApproveChanges,
];

pub const MENU: &[Entry] = &[
    Entry {
        label: "Counter sale",
        permissions: &[Permission::SellAtCounter],
        open: Some(|ctx| Box::new(counter_sale::CounterSale::new(ctx))),
    },
    Entry {
        label: "Order entry",
        permissions: &[Permission::CaptureOrders],
        open: Some(|ctx| Box::new(order_entry::OrderEntry::new(ctx))),
    },
    Entry {
        label: "Order inquiry",
        permissions: ANY_DESK,
        open: Some(|_| Box::new(order_inquiry::OrderInquiry::new())),
    },
    Entry {
        label: "Item lookup",
        permissions: &[Permission::ViewMasterData],
        open: Some(|_| Box::new(item_lookup::ItemLookup::new())),
    },
    Entry {
        label: "Customer lookup",
        permissions: ANY_DESK,
        open: Some(|_| Box::new(customer_lookup::CustomerLookup::new())),
    },
    Entry {
        label: "Pick",
        permissions: &[Permission::Pick],
        open: Some(|ctx| Box::new(rf_pick::RfPick::new(ctx))),
    },
    Entry {
        label: "Pack",
        permissions: &[Permission::Pack],
        open: Some(|ctx| Box::new(rf_pack::RfPack::new(ctx))),
    },
    Entry {
        label: "Ship",
        permissions: &[Permission::Ship],
        open: Some(|ctx| Box::new(rf_ship::RfShip::new(ctx))),
    },
    Entry {
        label: "Release",
        // Confirmed orders given to the warehouse to pick, one by one or
        // as a carrier's wave (the shipping lead's).
        permissions: &[Permission::Ship],
        open: Some(|ctx| Box::new(release::Release::new(ctx))),
    },
    Entry {
        label: "Receive",
        permissions: &[Permission::Receive],
        open: Some(|ctx| Box::new(rf_receive::RfReceive::new(ctx))),
    },
    Entry {
        label: "Put away",
        permissions: &[Permission::Putaway],
        open: Some(|ctx| Box::new(rf_putaway::RfPutAway::new(ctx))),
    },
    Entry {
        label: "Receive transfer",
        permissions: &[Permission::Receive],
        open: Some(|ctx| Box::new(rf_transfer_in::RfTransferIn::new(ctx))),
    },
    Entry {
        label: "Transfer out",
        permissions: &[Permission::Ship],
        open: Some(|ctx| Box::new(rf_transfer_out::RfTransferOut::new(ctx))),
    },
    Entry {
        label: "Count",
        permissions: &[Permission::Putaway],
        open: Some(|ctx| Box::new(rf_count::RfCount::new(ctx))),
    },
    Entry {
        label: "Purchasing",
        // Bought by the buyer, a PO above the limit approved by someone else.
        permissions: &[Permission::Purchase, Permission::ApproveChanges],
        open: Some(|_| Box::new(purchasing::Purchasing::new())),
    },
    Entry {
        label: "Cash application",
        permissions: &[Permission::TakePayment],
        open: Some(|ctx| Box::new(cash_application::CashApplication::new(ctx))),
    },
    Entry {
        label: "Invoicing",
        // Shipments invoiced one by one, each draft checked for
        // discrepancies before it posts (issue 23).
        permissions: &[Permission::Invoice],
        open: Some(|_| Box::new(invoicing::Invoicing::new())),
    },
    Entry {
        label: "Collections",
        // The AR clerk's worklist: receivables ranked by exposure x
        // p(late), each with its reasons (issue 23).
        permissions: &[Permission::ManageCredit],
        open: Some(|_| Box::new(collections::Collections::new())),
    },
    Entry {
        label: "Supplier invoices",
        // Entered and paid by AP, approved by someone else.
        permissions: &[
            Permission::EnterSupplierInvoices,
            Permission::PaySuppliers,
            Permission::ApproveChanges,
        ],
        open: Some(|ctx| Box::new(supplier_invoices::SupplierInvoices::new(ctx))),
    },
    Entry {
        label: "Period close",
        // Closed by the controller, a reopen approved by someone else.
        permissions: &[Permission::ClosePeriods, Permission::ApproveChanges],
        open: Some(|_| Box::new(period_close::PeriodClose::new())),
    },
    Entry {
        label: "Exception queue",
        // The data steward works its data-quality findings here.
        permissions: &[Permission::ApproveChanges, Permission::ManageDataQuality],
        open: Some(|_| Box::new(exceptions::Exceptions::new())),
    },
    Entry {
        label: "Finance views",
        // The controller's (and anyone's who reads the ledger): read-only.
        permissions: &[Permission::ViewLedger],
        open: Some(|ctx| Box::new(finance_views::FinanceViews::opened(ctx))),
    },
    Entry {
        label: "Audit trail",
        // Who did what when: those who see the books (controller,
        // supervisor, admin).
        permissions: &[Permission::ViewLedger],
        open: Some(|_| Box::new(audit::Audit::new())),
    },
    Entry {
        label: "Bank reconciliation",
        // The AR clerk and the controller reconcile.
        permissions: &[Permission::ReconcileBank],
        open: Some(|ctx| Box::new(bank_rec::BankRec::new(ctx))),
    },
    Entry {
        label: "Journal entries",
        // Accruals and corrections posted by hand, and their reversals:
        // the controller's.
        permissions: &[Permission::PostJournals],
        open: Some(|ctx| Box::new(journal::Journals::new(ctx))),
    },
    Entry {
        label: "Master data",
        // The roles that own master data: the data steward and admin
        // (everything), sales (customers), buyers (suppliers), the
        // controller (posting rules). Each kind says what changing it
        // needs; the rest is shown read-only.
        permissions: &[
            Permission::ManageMasterData,
            Permission::ManageCustomers,
            Permission::ManageSuppliers,
            Permission::ManagePricing,
            Permission::ManageOperators,
            Permission::ManageFinanceSetup,
        ],
        open: Some(|_| Box::new(master_data::MasterData::new())),
    },
    Entry {
        label: "KPI dashboard",
        // Supervisors (approvals) and controllers (the books): read-only.
        permissions: &[Permission::ApproveChanges, Permission::ViewLedger],
        open: Some(|_| Box::new(kpi_dashboard::KpiDashboard::new())),
    },
];

/// The menu rows `operator` may open.
pub fn menu_for(ctx: &Ctx) -> Vec<&'static Entry> {
    let Some(op) = ctx.operator_record() else {
        return Vec::new();
    };
    MENU.iter()
        .filter(|e| {
            op.roles
                .iter()
                .any(|r| r.permissions().iter().any(|p| e.permissions.contains(p)))
        })
        .collect()
}
