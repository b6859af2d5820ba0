//! For the tests that drive the engine in process: the master-data
//! bodies they submit and an engine started with its operators.

use depot::core::auth::Role;
use depot::core::master::{Operator, PaymentTerms};
use depot::core::CommandBody;
use depot::engine::{Engine, EngineConfig, Submission};
use depot::store::Store;
use rust_decimal::Decimal;
use std::path::Path;

pub fn operator(code: &str, role: Role) -> CommandBody {
    CommandBody::CreateOperator(Operator {
        code: code.into(),
        name: code.into(),
        roles: vec![role],
        ssh_keys: vec![],
        default_warehouse: None,
        keymap: String::new(),
        active: true,
    })
}

pub fn terms(code: &str, description: &str, net_days: u32) -> CommandBody {
    CommandBody::CreatePaymentTerms(PaymentTerms {
        code: code.into(),
        description: description.into(),
        net_days,
        discount_days: 0,
        discount_pct: Decimal::ZERO,
    })
}

pub fn submission(operator: &str, body: CommandBody, key: Option<&str>) -> Submission {
    Submission {
        operator: operator.into(),
        session: "test".into(),
        key: key.map(str::to_string),
        body,
    }
}

/// An engine on the store in `dir`; a new store first gets `operators`,
/// each created by the first of them (an admin).
pub fn start(dir: &Path, config: EngineConfig, operators: &[(&str, Role)]) -> Engine {
    let engine = Engine::start(Store::open(dir).expect("opens"), config).expect("starts");
    if engine.read(|s| s.seq) == 0 {
        let by = operators.first().map_or("ADMIN", |(code, _)| code);
        for (code, role) in operators {
            let r = engine
                .submit(submission(by, operator(code, *role), None))
                .expect("submits");
            assert!(r.outcome.is_ok(), "{r:?}");
        }
    }
    engine
}
