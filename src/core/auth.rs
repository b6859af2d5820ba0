//! Roles and permissions (SPEC section 1 and 4). Enforced in `decide`, so a
//! command from an operator whose roles lack the permission is refused
//! whatever path it came by (TUI, SSH, `depot exec`, import).

use serde::{Deserialize, Serialize};
use std::fmt;

/// The roles of SPEC section 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    CounterClerk,
    SalesRep,
    Picker,
    Packer,
    Shipper,
    Receiver,
    Buyer,
    ArClerk,
    ApClerk,
    Controller,
    Supervisor,
    Admin,
    /// Owns the data-quality findings until the records are fixed (new
    /// roles go last: persisted by position).
    DataSteward,
}

impl Role {
    pub const ALL: [Role; 13] = [
        Role::CounterClerk,
        Role::SalesRep,
        Role::Picker,
        Role::Packer,
        Role::Shipper,
        Role::Receiver,
        Role::Buyer,
        Role::ArClerk,
        Role::ApClerk,
        Role::Controller,
        Role::Supervisor,
        Role::Admin,
        Role::DataSteward,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::CounterClerk => "counter_clerk",
            Role::SalesRep => "sales_rep",
            Role::Picker => "picker",
            Role::Packer => "packer",
            Role::Shipper => "shipper",
            Role::Receiver => "receiver",
            Role::Buyer => "buyer",
            Role::ArClerk => "ar_clerk",
            Role::ApClerk => "ap_clerk",
            Role::Controller => "controller",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
            Role::DataSteward => "data_steward",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    /// What this role may do.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::CounterClerk => &[
                ViewMasterData,
                SellAtCounter,
                CaptureOrders,
                TakePayment,
                Invoice,
            ],
            Role::SalesRep => &[ViewMasterData, CaptureOrders, ManageCustomers],
            Role::Picker => &[ViewMasterData, Pick],
            Role::Packer => &[ViewMasterData, Pack],
            Role::Shipper => &[ViewMasterData, Ship],
            Role::Receiver => &[ViewMasterData, Receive, Putaway, ReceiveReturns],
            Role::Buyer => &[ViewMasterData, Purchase, ManageSuppliers],
            Role::ArClerk => &[
                ViewMasterData,
                TakePayment,
                ManageCredit,
                Invoice,
                ReconcileBank,
            ],
            Role::ApClerk => &[ViewMasterData, EnterSupplierInvoices, PaySuppliers],
            Role::Controller => &[
                ViewMasterData,
                ManageFinanceSetup,
                ClosePeriods,
                PostJournals,
                ReconcileBank,
                AdjustStock,
                ViewLedger,
                ApproveChanges,
                // Writes off what an AR clerk may not (their own disputes).
                ManageCredit,
                ManageChannelPolicies,
            ],
            Role::Supervisor => &[
                ViewMasterData,
                ApproveChanges,
                ReleaseHolds,
                AdjustStock,
                ViewLedger,
            ],
            Role::Admin => Permission::ALL,
            Role::DataSteward => &[
                ViewMasterData,
                ManageMasterData,
                ManageCustomers,
                ManageSuppliers,
                ManagePricing,
                ManageDataQuality,
            ],
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A permission the core checks. Each command names the one it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read items, customers, stock (every signed-in operator).
    ViewMasterData,
    /// Items, warehouses, bins, carriers, tax codes, terms.
    ManageMasterData,
    /// Customers and their addresses, policies.
    ManageCustomers,
    /// Suppliers and the items they supply.
    ManageSuppliers,
    /// Price lists, contract prices, margin floors.
    ManagePricing,
    /// Entities, chart of accounts, posting rules, periods, FX rates.
    ManageFinanceSetup,
    /// Operators and their roles and keys.
    ManageOperators,
    /// Approve a governed change or an exception somebody else raised.
    ApproveChanges,
    /// Release or reject credit and price holds.
    ReleaseHolds,
    /// Credit limits and collections.
    ManageCredit,
    /// Post stock adjustments and opening stock.
    AdjustStock,
    CaptureOrders,
    SellAtCounter,
    TakePayment,
    Pick,
    Pack,
    Ship,
    Receive,
    Putaway,
    ReceiveReturns,
    Purchase,
    EnterSupplierInvoices,
    PaySuppliers,
    ClosePeriods,
    ViewLedger,
    /// Invoice shipments (new variants go last: persisted by position).
    Invoice,
    /// Manual journal entries, their reversal, FX revaluation.
    PostJournals,
    /// Import bank statements and match them to the books.
    ReconcileBank,
    /// Data-quality rules and their findings (the data steward).
    ManageDataQuality,
    /// Channel policies: promising, shipping, invoicing, credit and
    /// service rules per entity and channel.
    ManageChannelPolicies,
}

impl Permission {
    pub const ALL: &'static [Permission] = &[
        Permission::ViewMasterData,
        Permission::ManageMasterData,
        Permission::ManageCustomers,
        Permission::ManageSuppliers,
        Permission::ManagePricing,
        Permission::ManageFinanceSetup,
        Permission::ManageOperators,
        Permission::ApproveChanges,
        Permission::ReleaseHolds,
        Permission::ManageCredit,
        Permission::AdjustStock,
        Permission::CaptureOrders,
        Permission::SellAtCounter,
        Permission::TakePayment,
        Permission::Pick,
        Permission::Pack,
        Permission::Ship,
        Permission::Receive,
        Permission::Putaway,
        Permission::ReceiveReturns,
        Permission::Purchase,
        Permission::EnterSupplierInvoices,
        Permission::PaySuppliers,
        Permission::ClosePeriods,
        Permission::ViewLedger,
        Permission::Invoice,
        Permission::PostJournals,
        Permission::ReconcileBank,
        Permission::ManageDataQuality,
        Permission::ManageChannelPolicies,
    ];
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = format!("{self:?}");
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        }
        f.write_str(&out)
    }
}

/// Whether any of `roles` grants `permission`.
pub fn allows(roles: &[Role], permission: Permission) -> bool {
    roles.iter().any(|r| r.permissions().contains(&permission))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_their_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("janitor"), None);
    }

    #[test]
    fn admin_has_everything_and_picker_cannot_price() {
        for p in Permission::ALL {
            assert!(allows(&[Role::Admin], *p));
        }
        assert!(!allows(&[Role::Picker], Permission::ManagePricing));
        assert!(allows(&[Role::Picker, Role::Buyer], Permission::Purchase));
        assert_eq!(
            Permission::ManageFinanceSetup.to_string(),
            "manage_finance_setup"
        );
    }
}
