//! Bank statements in SWIFT MT940 (issue 22), read with the maintained
//! `mt940` crate (a strict parser of the format, with the sanitizers for
//! banks' deviations) and turned into the rows of the bank-statement CSV
//! import (`entity,statement,date,amount,reference,description`), so that
//! one path (`io::csv`, the core's `import_bank_statement`) checks and
//! imports every statement whatever its format.
//!
//! Each message (`:20:` ... `:62F:`) is one statement: its number is the
//! `:28C:` statement number (and sequence), prefixed by the account
//! (`:25:`) so that statements of two accounts or years do not collide
//! with each other; a line (`:61:`) is dated by its value date, signed by
//! its mark (C and RD money in, D and RC money out), referenced by the
//! customer's reference (the bank's when that is NONREF) and described by
//! the `:86:` text that follows it.

use crate::core::bank::StatementLine;
use mt940::{ExtDebitOrCredit, InformationToAccountOwner};

/// True when `text` looks like MT940 rather than CSV: its first tag line
/// is `:20:` (or a SWIFT block header `{1:` precedes it).
pub fn looks_like(text: &str) -> bool {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    t.starts_with(":20:") || t.starts_with("{1:")
}

/// The CSV rows of every statement in `text`, for `entity`. An error
/// says what the parser refused and where.
pub fn to_csv(text: &str, entity: &str) -> Result<String, String> {
    let clean = mt940::sanitizers::sanitize(text);
    let messages =
        mt940::parse_mt940(&clean).map_err(|e| format!("not a readable MT940 statement: {e}"))?;
    if messages.is_empty() {
        return Err("no MT940 statement in the file".into());
    }
    let mut lines = Vec::new();
    for m in &messages {
        let number = match &m.sequence_no {
            Some(seq) => format!("{}/{}", m.statement_no, seq),
            None => m.statement_no.clone(),
        };
        let statement = format!("{} {}", m.account_id.trim(), number.trim());
        for l in &m.statement_lines {
            let amount = match l.ext_debit_credit_indicator {
                ExtDebitOrCredit::Credit | ExtDebitOrCredit::ReverseDebit => l.amount,
                ExtDebitOrCredit::Debit | ExtDebitOrCredit::ReverseCredit => -l.amount,
            };
            let reference = match l.customer_ref.trim() {
                "" | "NONREF" => l.bank_ref.clone().unwrap_or_default(),
                r => r.to_string(),
            };
            let description = match &l.information_to_account_owner {
                Some(InformationToAccountOwner::Plain(s)) => s.clone(),
                Some(InformationToAccountOwner::Structured {
                    posting_text,
                    purpose,
                    applicant_name,
                    ..
                }) => [posting_text, applicant_name, purpose]
                    .into_iter()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" "),
                None => l.supplementary_details.clone().unwrap_or_default(),
            };
            lines.push((
                statement.clone(),
                StatementLine {
                    date: l.value_date,
                    amount,
                    reference: reference.trim().to_string(),
                    description,
                },
            ));
        }
    }
    crate::io::csv::bank_statement_csv(entity, &lines, "the MT940 statement has no line (:61:)")
}
