//! Customer inquiry: search by code, name words, phone or city; terms,
//! credit limit, open balance and what is still available, shipping
//! policy and contacts.

use crate::core::types::ToCode;
use crate::core::State;
use crate::query::money;
use crate::ui::keymap::{Action, Context};
use crate::ui::lookup::{self, field, Lookup, Picked};
use crate::ui::screen::{Ctx, Flow, Input, Screen};
use crate::ui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::Frame;

pub struct CustomerLookup {
    pub lookup: Lookup,
    started: bool,
}

impl Default for CustomerLookup {
    fn default() -> Self {
        CustomerLookup::new()
    }
}

impl CustomerLookup {
    pub fn new() -> CustomerLookup {
        CustomerLookup {
            lookup: Lookup::new(),
            started: false,
        }
    }
}

impl Screen for CustomerLookup {
    fn name(&self) -> &'static str {
        "customer_lookup"
    }
    fn title(&self) -> String {
        "customers".into()
    }
    fn context(&self) -> Context {
        self.lookup.context()
    }
    fn min_size(&self) -> (u16, u16) {
        (20, 8)
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        lookup::actions(&self.lookup)
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        match self
            .lookup
            .handle(input, &mut |q| ctx.find_customers(q), false)
        {
            Picked::Leave => Flow::Pop,
            _ => Flow::Stay,
        }
    }
    fn committed(&mut self, ctx: &Ctx) {
        self.lookup.refresh(&mut |q| ctx.find_customers(q));
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        if !self.started {
            self.started = true;
            self.lookup.refresh(&mut |q| ctx.find_customers(q));
        }
        let s = ctx.state();
        let theme = ctx.theme;
        self.lookup.render(
            f,
            area,
            theme,
            "code, name, phone or city",
            &|c| {
                s.customers
                    .get(&c.to_code())
                    .map(|x| format!("{:<7} {}", x.code, x.name))
                    .unwrap_or_default()
            },
            &|c| customer_detail(s, c, theme, ctx.today()),
        );
    }
}

pub fn customer_detail(
    s: &State,
    code: &str,
    theme: Theme,
    today: chrono::NaiveDate,
) -> Vec<Line<'static>> {
    let Some(c) = s.customers.get(&code.to_code()) else {
        return vec![Line::from(format!("customer {code} no longer exists"))];
    };
    let balance = s.customer_balance(code);
    let credit = s
        .unapplied
        .get(&(c.entity.clone(), c.code.clone()))
        .copied()
        .unwrap_or_default();
    // Open invoices, oldest due first (listed below with days past due).
    let mut open: Vec<_> = s
        .index
        .open_invoices
        .get(&code.to_code())
        .into_iter()
        .flatten()
        .filter_map(|n| s.invoices.get(n))
        .collect();
    open.sort_by_key(|i| i.due);
    let disputed: rust_decimal::Decimal = open.iter().map(|i| i.disputed).sum();
    let exposure = crate::core::sales::exposure(s, c);
    let terms = s
        .terms
        .get(&c.terms)
        .map(|t| format!("{} ({})", t.code, t.description))
        .unwrap_or_else(|| c.terms.to_string());
    let p = &c.ship_policy;
    let cur = &c.currency;
    let mut out = vec![
        Line::from(Span::styled(
            format!("{} {}", c.code, c.name),
            theme.label().add_modifier(Modifier::BOLD),
        )),
        field(
            theme,
            "channel",
            format!("{}  {} {}", c.channel.as_str(), c.entity, c.currency),
        ),
        field(theme, "terms", terms),
        field(theme, "credit limit", money(c.credit_limit, cur)),
        field(theme, "open balance", money(balance, cur)),
        field(theme, "exposure", money(exposure, cur)),
        field(theme, "available", money(c.credit_limit - exposure, cur)),
        field(theme, "price list", c.price_list.to_string()),
        field(
            theme,
            "ships",
            format!(
                "{} {}  {}{}",
                p.carrier.clone().unwrap_or_else(|| "-".into()),
                p.service.clone().unwrap_or_default(),
                p.freight_terms.as_str(),
                if p.ship_complete {
                    "  complete only"
                } else {
                    ""
                }
            ),
        ),
        field(
            theme,
            "bill to",
            format!(
                "{}, {} {}",
                c.bill_to.city, c.bill_to.region, c.bill_to.country
            ),
        ),
        field(theme, "ship-tos", c.ship_to.len().to_string()),
        field(
            theme,
            "collections",
            format!("{} {}", c.collections.name, c.collections.phone),
        ),
        field(
            theme,
            "tax exempt",
            if c.tax_exempt_cert.is_empty() {
                "no".into()
            } else {
                c.tax_exempt_cert.clone()
            },
        ),
    ];
    // What the phone call is about as often as the balance, each when
    // there is any (a row is dear at 80x24): money the customer has on
    // account and what they dispute. Only cash application showed them,
    // and the balance read 0.00 beside a credit.
    let at = out
        .iter()
        .position(|l| {
            l.spans
                .first()
                .is_some_and(|s| s.content.starts_with("open balance"))
        })
        .map_or(out.len(), |i| i + 1);
    for (i, (what, v)) in [("on account", credit), ("disputed", disputed)]
        .into_iter()
        .filter(|(_, v)| *v > rust_decimal::Decimal::ZERO)
        .enumerate()
    {
        out.insert(at + i, field(theme, what, money(v, cur)));
    }
    if !open.is_empty() {
        out.push(Line::from(Span::styled("open invoices", theme.label())));
        for i in open.iter().take(ROWS_MAX) {
            let late = (today - i.due).num_days();
            out.push(Line::from(format!(
                "  {} due {} {:>12}{}{}",
                i.number,
                i.due,
                money(i.open, &i.currency),
                if late > 0 {
                    format!("  {late} days late")
                } else {
                    String::new()
                },
                if i.disputed > rust_decimal::Decimal::ZERO {
                    format!("  {} disputed", money(i.disputed, &i.currency))
                } else {
                    String::new()
                }
            )));
        }
    }
    let recent = crate::query::order::recent_orders(s, code, ROWS_MAX);
    if !recent.is_empty() {
        out.push(Line::from(Span::styled("recent orders", theme.label())));
        for o in &recent {
            out.push(Line::from(format!(
                "  {} {} {:>12} {}",
                o.number,
                o.date,
                money(o.value(), &o.currency),
                super::order_inquiry::status(s, o)
            )));
        }
    }
    out
}

/// Most invoices and orders a customer detail lists.
const ROWS_MAX: usize = 8;
