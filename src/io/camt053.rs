//! Bank statements in ISO 20022 camt.053 (issue 22), read with the small
//! `roxmltree` XML reader and turned into the rows of the bank-statement
//! CSV import, as MT940 is (`io::mt940`): one path checks and imports
//! every format.
//!
//! Each `Stmt` is one statement, numbered by its account (`Acct/Id`: the
//! IBAN or other id) and its `Id`. Each booked entry (`Ntry`) is a line:
//! dated by its value date (else its booking date), signed by
//! `CdtDbtInd` (CRDT in, DBIT out; a reversal, `RvslInd` true, the other
//! way), referenced by the transaction's end-to-end id (else the bank's
//! reference, else the entry's), and described by `AddtlNtryInf` (else
//! the unstructured remittance text). Entries not booked (`Sts` PDNG or
//! INFO) are not statement lines and are left out.

use crate::core::bank::StatementLine;
use chrono::NaiveDate;
use roxmltree::{Document, Node};
use rust_decimal::Decimal;

/// True when `text` looks like a camt.053 document.
pub fn looks_like(text: &str) -> bool {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    t.starts_with('<') && t.contains("BkToCstmrStmt")
}

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn path<'a, 'i>(n: Node<'a, 'i>, names: &[&str]) -> Option<Node<'a, 'i>> {
    names.iter().try_fold(n, |n, name| child(n, name))
}

fn text_at(n: Node, names: &[&str]) -> Option<String> {
    path(n, names)
        .and_then(|x| x.text())
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty())
}

fn date_at(n: Node, names: &[&str]) -> Option<Result<NaiveDate, String>> {
    let node = path(n, names)?;
    let t = text_at(node, &["Dt"]).or_else(|| text_at(node, &["DtTm"]))?;
    let day: String = t.chars().take(10).collect();
    Some(
        NaiveDate::parse_from_str(&day, "%Y-%m-%d")
            .map_err(|_| format!("{t:?} is not a date (YYYY-MM-DD)")),
    )
}

/// The CSV rows of every statement in `text`, for `entity`.
pub fn to_csv(text: &str, entity: &str) -> Result<String, String> {
    let doc = Document::parse(text).map_err(|e| format!("not a readable camt.053 file: {e}"))?;
    let root = doc.root_element();
    let report = child(root, "BkToCstmrStmt")
        .ok_or_else(|| "not a camt.053 statement (no BkToCstmrStmt)".to_string())?;
    let mut lines = Vec::new();
    for stmt in report
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "Stmt")
    {
        let id = text_at(stmt, &["Id"]).ok_or("a statement without its Id")?;
        let account = text_at(stmt, &["Acct", "Id", "IBAN"])
            .or_else(|| text_at(stmt, &["Acct", "Id", "Othr", "Id"]))
            .unwrap_or_default();
        let statement = format!("{account} {id}").trim().to_string();
        for (i, ntry) in stmt
            .children()
            .filter(|c| c.is_element() && c.tag_name().name() == "Ntry")
            .enumerate()
        {
            let at = || format!("statement {id}, entry {}", i + 1);
            let status = text_at(ntry, &["Sts", "Cd"]).or_else(|| text_at(ntry, &["Sts"]));
            if matches!(status.as_deref(), Some("PDNG" | "INFO")) {
                continue;
            }
            let amount: Decimal = text_at(ntry, &["Amt"])
                .ok_or_else(|| format!("{}: no Amt", at()))?
                .parse()
                .map_err(|_| format!("{}: Amt is not an amount", at()))?;
            if amount.is_sign_negative() {
                return Err(format!("{}: Amt is negative (the sign is CdtDbtInd)", at()));
            }
            let credit = match text_at(ntry, &["CdtDbtInd"]).as_deref() {
                Some("CRDT") => true,
                Some("DBIT") => false,
                other => {
                    return Err(format!(
                        "{}: CdtDbtInd is {:?}, not CRDT or DBIT",
                        at(),
                        other.unwrap_or("missing")
                    ))
                }
            };
            let reversal = text_at(ntry, &["RvslInd"]).as_deref() == Some("true");
            let amount = if credit != reversal { amount } else { -amount };
            let date = date_at(ntry, &["ValDt"])
                .or_else(|| date_at(ntry, &["BookgDt"]))
                .ok_or_else(|| format!("{}: no value or booking date", at()))?
                .map_err(|e| format!("{}: {e}", at()))?;
            let tx = path(ntry, &["NtryDtls", "TxDtls"]);
            let reference = tx
                .and_then(|t| text_at(t, &["Refs", "EndToEndId"]))
                .filter(|r| r != "NOTPROVIDED")
                .or_else(|| text_at(ntry, &["AcctSvcrRef"]))
                .or_else(|| text_at(ntry, &["NtryRef"]))
                .unwrap_or_default();
            let description = text_at(ntry, &["AddtlNtryInf"])
                .or_else(|| tx.and_then(|t| text_at(t, &["RmtInf", "Ustrd"])))
                .unwrap_or_default();
            lines.push((
                statement.clone(),
                StatementLine {
                    date,
                    amount,
                    reference,
                    description,
                },
            ));
        }
    }
    crate::io::csv::bank_statement_csv(
        entity,
        &lines,
        "the camt.053 file has no booked entry (Ntry)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATEMENT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
 <BkToCstmrStmt>
  <GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-25T18:00:00</CreDtTm></GrpHdr>
  <Stmt>
   <Id>STMT2611</Id>
   <Acct><Id><IBAN>US01OPERATING</IBAN></Id></Acct>
   <Ntry>
    <Amt Ccy="USD">500.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
    <BookgDt><Dt>2026-11-25</Dt></BookgDt><ValDt><Dt>2026-11-25</Dt></ValDt>
    <NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
     <RmtInf><Ustrd>deposit</Ustrd></RmtInf></TxDtls></NtryDtls>
   </Ntry>
   <Ntry>
    <Amt Ccy="USD">250.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
    <BookgDt><Dt>2026-11-25</Dt></BookgDt>
    <NtryDtls><TxDtls><Refs><EndToEndId>CHQ 3</EndToEndId></Refs></TxDtls></NtryDtls>
    <AddtlNtryInf>deposit</AddtlNtryInf>
   </Ntry>
   <Ntry>
    <Amt Ccy="USD">99.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>PDNG</Sts>
    <BookgDt><Dt>2026-11-26</Dt></BookgDt>
   </Ntry>
   <Ntry>
    <Amt Ccy="USD">12.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
    <ValDt><DtTm>2026-11-25T09:00:00</DtTm></ValDt>
    <AcctSvcrRef>BANKFEE1</AcctSvcrRef>
    <AddtlNtryInf>monthly   service fee</AddtlNtryInf>
   </Ntry>
   <Ntry>
    <Amt Ccy="USD">40.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><RvslInd>true</RvslInd>
    <Sts>BOOK</Sts><BookgDt><Dt>2026-11-25</Dt></BookgDt><NtryRef>R9</NtryRef>
   </Ntry>
  </Stmt>
 </BkToCstmrStmt>
</Document>"#;

    #[test]
    fn a_statement_becomes_the_csv_rows_signed_dated_and_referenced() {
        assert!(looks_like(STATEMENT));
        assert!(!looks_like("date,amount\n"));
        let csv = to_csv(STATEMENT, "US01").unwrap();
        assert_eq!(
            csv,
            "entity,statement,date,amount,reference,description\n\
             US01,US01OPERATING STMT2611,2026-11-25,500.00,,deposit\n\
             US01,US01OPERATING STMT2611,2026-11-25,250.00,CHQ 3,deposit\n\
             US01,US01OPERATING STMT2611,2026-11-25,-12.50,BANKFEE1,monthly service fee\n\
             US01,US01OPERATING STMT2611,2026-11-25,40.00,R9,\n"
        );
    }

    #[test]
    fn a_bad_file_is_refused_with_where() {
        let bad = STATEMENT.replace(
            "<CdtDbtInd>DBIT</CdtDbtInd><Sts>",
            "<CdtDbtInd>X</CdtDbtInd><Sts>",
        );
        let e = to_csv(&bad, "US01").unwrap_err();
        assert!(e.contains("statement STMT2611, entry 4"), "{e}");
        assert!(e.contains("not CRDT or DBIT"), "{e}");
        let e = to_csv(&STATEMENT.replace("12.50", "12,50"), "US01").unwrap_err();
        assert!(e.contains("Amt is not an amount"), "{e}");
        let e = to_csv("<Document><BkToCstmrStmt>", "US01").unwrap_err();
        assert!(e.contains("not a readable camt.053 file"), "{e}");
    }
}
