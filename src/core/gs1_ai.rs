//! The GS1 application identifiers (GS1 General Specifications section 3,
//! the Barcode Syntax Dictionary), written out as a table: each AI's data
//! components (numeric or which character set, and their lengths) and the
//! rule its value follows (check digit, date, implied decimal point...).
//! Written from the General Specifications (release 24); no network. The
//! AIs of a range whose last digit is the number of decimals (310n, 392n)
//! are one row with `decimals` set.
//!
//! The table is prefix-free, as GS1 keeps it: no AI is the start of
//! another, so the AI at the start of a string is found by its prefix.

/// A data component: numeric digits, or characters of a GS1 set
/// (82: the invariant set of ISO 646; 39: upper case, digits, `#-/`;
/// 64: the file-safe base64 set with `=`), `min..=max` long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    N(u8, u8),
    X(u8, u8),
    Y(u8, u8),
    Z(u8, u8),
}

impl Part {
    pub const fn min(self) -> usize {
        match self {
            Part::N(a, _) | Part::X(a, _) | Part::Y(a, _) | Part::Z(a, _) => a as usize,
        }
    }
    pub const fn max(self) -> usize {
        match self {
            Part::N(_, b) | Part::X(_, b) | Part::Y(_, b) | Part::Z(_, b) => b as usize,
        }
    }
}

/// What a value must also satisfy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    None,
    /// The first component ends in a GS1 mod-10 check digit.
    CheckDigit,
    /// YYMMDD; DD may be 00 (the month's last day).
    Date,
    /// YYMMDD (DD 00 not allowed) then HHMM.
    DateHhMm,
    /// YYMMDD then an optional HHMM.
    DateOptHhMm,
    /// YYMMDD, or two of them (a range).
    DateRange,
    /// YYMMDDHH then optional MM and SS.
    DateHhOptMmSs,
    /// The AI's last digit says how many of the digits are decimals.
    Decimal,
    /// An ISO 4217 (or 3166) numeric code, then a decimal as above.
    IsoDecimal,
    /// 4330-4333: six digits (a temperature ×100) and an optional `-`.
    Temperature,
    /// Latitude and longitude, ten digits each.
    LatLong,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AiDef {
    /// The AI, or its first three digits when `decimals` is set.
    pub ai: &'static str,
    /// The highest decimals digit of a `310n`-style range (None: not one).
    pub decimals: Option<u8>,
    pub parts: &'static [Part],
    pub rule: Rule,
    pub title: &'static str,
}

impl AiDef {
    /// Length of the AI itself.
    pub fn ai_len(&self) -> usize {
        self.ai.len() + usize::from(self.decimals.is_some())
    }
    pub fn min_len(&self) -> usize {
        self.parts.iter().map(|p| p.min()).sum()
    }
    pub fn max_len(&self) -> usize {
        self.parts.iter().map(|p| p.max()).sum()
    }
    pub fn fixed(&self) -> bool {
        self.min_len() == self.max_len()
    }
}

use Part::{N, X, Y, Z};
use Rule as R;

const fn ai(ai: &'static str, parts: &'static [Part], rule: Rule, title: &'static str) -> AiDef {
    AiDef {
        ai,
        decimals: None,
        parts,
        rule,
        title,
    }
}

const fn dec(
    ai: &'static str,
    max_n: u8,
    parts: &'static [Part],
    rule: Rule,
    title: &'static str,
) -> AiDef {
    AiDef {
        ai,
        decimals: Some(max_n),
        parts,
        rule,
        title,
    }
}

const N6: &[Part] = &[N(6, 6)];
const N15V: &[Part] = &[N(1, 15)];
const X20: &[Part] = &[X(1, 20)];
const X30: &[Part] = &[X(1, 30)];
const X35: &[Part] = &[X(1, 35)];
const X70: &[Part] = &[X(1, 70)];
const X90: &[Part] = &[X(1, 90)];
const N1: &[Part] = &[N(1, 1)];
const N13C: &[Part] = &[N(13, 13)];
const N14C: &[Part] = &[N(14, 14)];

/// Every AI of the GS1 Barcode Syntax Dictionary.
pub const AIS: &[AiDef] = &[
    ai("00", &[N(18, 18)], R::CheckDigit, "SSCC"),
    ai("01", N14C, R::CheckDigit, "GTIN"),
    ai("02", N14C, R::CheckDigit, "CONTENT"),
    ai("03", N14C, R::CheckDigit, "MTO GTIN"),
    ai("10", X20, R::None, "BATCH/LOT"),
    ai("11", N6, R::Date, "PROD DATE"),
    ai("12", N6, R::Date, "DUE DATE"),
    ai("13", N6, R::Date, "PACK DATE"),
    ai("15", N6, R::Date, "BEST BEFORE or BEST BY"),
    ai("16", N6, R::Date, "SELL BY"),
    ai("17", N6, R::Date, "USE BY OR EXPIRY"),
    ai("20", &[N(2, 2)], R::None, "VARIANT"),
    ai("21", X20, R::None, "SERIAL"),
    ai("22", X20, R::None, "CPV"),
    ai("235", &[X(1, 28)], R::None, "TPX"),
    ai("240", X30, R::None, "ADDITIONAL ID"),
    ai("241", X30, R::None, "CUST. PART No."),
    ai("242", &[N(1, 6)], R::None, "MTO VARIANT"),
    ai("243", X20, R::None, "PCN"),
    ai("250", X30, R::None, "SECONDARY SERIAL"),
    ai("251", X30, R::None, "REF. TO SOURCE"),
    ai("253", &[N(13, 13), X(0, 17)], R::CheckDigit, "GDTI"),
    ai("254", X20, R::None, "GLN EXTENSION COMPONENT"),
    ai("255", &[N(13, 13), N(0, 12)], R::CheckDigit, "GCN"),
    ai("30", &[N(1, 8)], R::None, "VAR. COUNT"),
    dec("310", 5, N6, R::Decimal, "NET WEIGHT (kg)"),
    dec("311", 5, N6, R::Decimal, "LENGTH (m)"),
    dec("312", 5, N6, R::Decimal, "WIDTH (m)"),
    dec("313", 5, N6, R::Decimal, "HEIGHT (m)"),
    dec("314", 5, N6, R::Decimal, "AREA (m2)"),
    dec("315", 5, N6, R::Decimal, "NET VOLUME (l)"),
    dec("316", 5, N6, R::Decimal, "NET VOLUME (m3)"),
    dec("320", 5, N6, R::Decimal, "NET WEIGHT (lb)"),
    dec("321", 5, N6, R::Decimal, "LENGTH (in)"),
    dec("322", 5, N6, R::Decimal, "LENGTH (ft)"),
    dec("323", 5, N6, R::Decimal, "LENGTH (yd)"),
    dec("324", 5, N6, R::Decimal, "WIDTH (in)"),
    dec("325", 5, N6, R::Decimal, "WIDTH (ft)"),
    dec("326", 5, N6, R::Decimal, "WIDTH (yd)"),
    dec("327", 5, N6, R::Decimal, "HEIGHT (in)"),
    dec("328", 5, N6, R::Decimal, "HEIGHT (ft)"),
    dec("329", 5, N6, R::Decimal, "HEIGHT (yd)"),
    dec("330", 5, N6, R::Decimal, "GROSS WEIGHT (kg)"),
    dec("331", 5, N6, R::Decimal, "LENGTH (m), log"),
    dec("332", 5, N6, R::Decimal, "WIDTH (m), log"),
    dec("333", 5, N6, R::Decimal, "HEIGHT (m), log"),
    dec("334", 5, N6, R::Decimal, "AREA (m2), log"),
    dec("335", 5, N6, R::Decimal, "VOLUME (l), log"),
    dec("336", 5, N6, R::Decimal, "VOLUME (m3), log"),
    dec("337", 5, N6, R::Decimal, "KG PER m2"),
    dec("340", 5, N6, R::Decimal, "GROSS WEIGHT (lb)"),
    dec("341", 5, N6, R::Decimal, "LENGTH (in), log"),
    dec("342", 5, N6, R::Decimal, "LENGTH (ft), log"),
    dec("343", 5, N6, R::Decimal, "LENGTH (yd), log"),
    dec("344", 5, N6, R::Decimal, "WIDTH (in), log"),
    dec("345", 5, N6, R::Decimal, "WIDTH (ft), log"),
    dec("346", 5, N6, R::Decimal, "WIDTH (yd), log"),
    dec("347", 5, N6, R::Decimal, "HEIGHT (in), log"),
    dec("348", 5, N6, R::Decimal, "HEIGHT (ft), log"),
    dec("349", 5, N6, R::Decimal, "HEIGHT (yd), log"),
    dec("350", 5, N6, R::Decimal, "AREA (in2)"),
    dec("351", 5, N6, R::Decimal, "AREA (ft2)"),
    dec("352", 5, N6, R::Decimal, "AREA (yd2)"),
    dec("353", 5, N6, R::Decimal, "AREA (in2), log"),
    dec("354", 5, N6, R::Decimal, "AREA (ft2), log"),
    dec("355", 5, N6, R::Decimal, "AREA (yd2), log"),
    dec("356", 5, N6, R::Decimal, "NET WEIGHT (t oz)"),
    dec("357", 5, N6, R::Decimal, "NET VOLUME (oz)"),
    dec("360", 5, N6, R::Decimal, "NET VOLUME (qt)"),
    dec("361", 5, N6, R::Decimal, "NET VOLUME (gal.)"),
    dec("362", 5, N6, R::Decimal, "VOLUME (qt), log"),
    dec("363", 5, N6, R::Decimal, "VOLUME (gal.), log"),
    dec("364", 5, N6, R::Decimal, "VOLUME (in3)"),
    dec("365", 5, N6, R::Decimal, "VOLUME (ft3)"),
    dec("366", 5, N6, R::Decimal, "VOLUME (yd3)"),
    dec("367", 5, N6, R::Decimal, "VOLUME (in3), log"),
    dec("368", 5, N6, R::Decimal, "VOLUME (ft3), log"),
    dec("369", 5, N6, R::Decimal, "VOLUME (yd3), log"),
    ai("37", &[N(1, 8)], R::None, "COUNT"),
    dec("390", 9, N15V, R::Decimal, "AMOUNT"),
    dec("391", 9, &[N(3, 3), N(1, 15)], R::IsoDecimal, "AMOUNT"),
    dec("392", 9, N15V, R::Decimal, "PRICE"),
    dec("393", 9, &[N(3, 3), N(1, 15)], R::IsoDecimal, "PRICE"),
    dec("394", 3, &[N(4, 4)], R::Decimal, "PRCNT OFF"),
    dec("395", 5, N6, R::Decimal, "PRICE/UoM"),
    ai("400", X30, R::None, "ORDER NUMBER"),
    ai("401", X30, R::None, "GINC"),
    ai("402", &[N(17, 17)], R::CheckDigit, "GSIN"),
    ai("403", X30, R::None, "ROUTE"),
    ai("410", N13C, R::CheckDigit, "SHIP TO LOC"),
    ai("411", N13C, R::CheckDigit, "BILL TO"),
    ai("412", N13C, R::CheckDigit, "PURCHASE FROM"),
    ai("413", N13C, R::CheckDigit, "SHIP FOR LOC"),
    ai("414", N13C, R::CheckDigit, "LOC No."),
    ai("415", N13C, R::CheckDigit, "PAY TO"),
    ai("416", N13C, R::CheckDigit, "PROD/SERV LOC"),
    ai("417", N13C, R::CheckDigit, "PARTY"),
    ai("420", X20, R::None, "SHIP TO POST"),
    ai("421", &[N(3, 3), X(1, 9)], R::None, "SHIP TO POST"),
    ai("422", &[N(3, 3)], R::None, "ORIGIN"),
    ai("423", &[N(3, 15)], R::None, "COUNTRY - INITIAL PROCESS."),
    ai("424", &[N(3, 3)], R::None, "COUNTRY - PROCESS."),
    ai("425", &[N(3, 15)], R::None, "COUNTRY - DISASSEMBLY"),
    ai("426", &[N(3, 3)], R::None, "COUNTRY - FULL PROCESS"),
    ai("427", &[X(1, 3)], R::None, "ORIGIN SUBDIVISION"),
    ai("4300", X35, R::None, "SHIP TO COMP"),
    ai("4301", X35, R::None, "SHIP TO NAME"),
    ai("4302", X70, R::None, "SHIP TO ADD1"),
    ai("4303", X70, R::None, "SHIP TO ADD2"),
    ai("4304", X70, R::None, "SHIP TO SUB"),
    ai("4305", X70, R::None, "SHIP TO LOC"),
    ai("4306", X70, R::None, "SHIP TO REG"),
    ai("4307", &[X(2, 2)], R::None, "SHIP TO COUNTRY"),
    ai("4308", X30, R::None, "SHIP TO PHONE"),
    ai("4309", &[N(20, 20)], R::LatLong, "SHIP TO GEO"),
    ai("4310", X35, R::None, "RTN TO COMP"),
    ai("4311", X35, R::None, "RTN TO NAME"),
    ai("4312", X70, R::None, "RTN TO ADD1"),
    ai("4313", X70, R::None, "RTN TO ADD2"),
    ai("4314", X70, R::None, "RTN TO SUB"),
    ai("4315", X70, R::None, "RTN TO LOC"),
    ai("4316", X70, R::None, "RTN TO REG"),
    ai("4317", &[X(2, 2)], R::None, "RTN TO COUNTRY"),
    ai("4318", X20, R::None, "RTN TO POST"),
    ai("4319", X30, R::None, "RTN TO PHONE"),
    ai("4320", X35, R::None, "SRV DESCRIPTION"),
    ai("4321", N1, R::None, "DANGEROUS GOODS"),
    ai("4322", N1, R::None, "AUTH LEAVE"),
    ai("4323", N1, R::None, "SIG REQUIRED"),
    ai("4324", &[N(10, 10)], R::DateHhMm, "NBEF DEL DT"),
    ai("4325", &[N(10, 10)], R::DateHhMm, "NAFT DEL DT"),
    ai("4326", N6, R::Date, "REL DATE"),
    ai("4330", &[N(6, 6), X(0, 1)], R::Temperature, "MAX TEMP F"),
    ai("4331", &[N(6, 6), X(0, 1)], R::Temperature, "MAX TEMP C"),
    ai("4332", &[N(6, 6), X(0, 1)], R::Temperature, "MIN TEMP F"),
    ai("4333", &[N(6, 6), X(0, 1)], R::Temperature, "MIN TEMP C"),
    ai("7001", N13C, R::None, "NSN"),
    ai("7002", X30, R::None, "MEAT CUT"),
    ai("7003", &[N(10, 10)], R::DateHhMm, "EXPIRY TIME"),
    ai("7004", &[N(1, 4)], R::None, "ACTIVE POTENCY"),
    ai("7005", &[X(1, 12)], R::None, "CATCH AREA"),
    ai("7006", N6, R::Date, "FIRST FREEZE DATE"),
    ai("7007", &[N(6, 12)], R::DateRange, "HARVEST DATE"),
    ai("7008", &[X(1, 3)], R::None, "AQUATIC SPECIES"),
    ai("7009", &[X(1, 10)], R::None, "FISHING GEAR TYPE"),
    ai("7010", &[X(1, 2)], R::None, "PROD METHOD"),
    ai("7011", &[N(6, 10)], R::DateOptHhMm, "TEST BY DATE"),
    ai("7020", X20, R::None, "REFURB LOT"),
    ai("7021", X20, R::None, "FUNC STAT"),
    ai("7022", X20, R::None, "REV STAT"),
    ai("7023", X30, R::None, "GIAI - ASSEMBLY"),
    ai("7030", &[N(3, 3), X(1, 27)], R::None, "PROCESSOR # 0"),
    ai("7031", &[N(3, 3), X(1, 27)], R::None, "PROCESSOR # 1"),
    ai("7032", &[N(3, 3), X(1, 27)], R::None, "PROCESSOR # 2"),
    ai("7033", &[N(3, 3), X(1, 27)], R::None, "PROCESSOR # 3"),
    ai("7034", &[N(3, 3), X(1, 27)], R::None, "PROCESSOR # 4"),
    ai("7035", &[N(3, 3), X(1, 27)], R::None, "PROCESSOR # 5"),
    ai("7036", &[N(3, 3), X(1, 27)], R::None, "PROCESSOR # 6"),
    ai("7037", &[N(3, 3), X(1, 27)], R::None, "PROCESSOR # 7"),
    ai("7038", &[N(3, 3), X(1, 27)], R::None, "PROCESSOR # 8"),
    ai("7039", &[N(3, 3), X(1, 27)], R::None, "PROCESSOR # 9"),
    ai("7040", &[N(1, 1), X(3, 3)], R::None, "UIC+EXT"),
    ai("7041", &[X(1, 4)], R::None, "UFRGT UNIT TYPE"),
    ai("710", X20, R::None, "NHRN PZN"),
    ai("711", X20, R::None, "NHRN CIP"),
    ai("712", X20, R::None, "NHRN CN"),
    ai("713", X20, R::None, "NHRN DRN"),
    ai("714", X20, R::None, "NHRN AIM"),
    ai("715", X20, R::None, "NHRN NDC"),
    ai("716", X20, R::None, "NHRN AIC"),
    ai("7230", &[X(2, 30)], R::None, "CERT # 0"),
    ai("7231", &[X(2, 30)], R::None, "CERT # 1"),
    ai("7232", &[X(2, 30)], R::None, "CERT # 2"),
    ai("7233", &[X(2, 30)], R::None, "CERT # 3"),
    ai("7234", &[X(2, 30)], R::None, "CERT # 4"),
    ai("7235", &[X(2, 30)], R::None, "CERT # 5"),
    ai("7236", &[X(2, 30)], R::None, "CERT # 6"),
    ai("7237", &[X(2, 30)], R::None, "CERT # 7"),
    ai("7238", &[X(2, 30)], R::None, "CERT # 8"),
    ai("7239", &[X(2, 30)], R::None, "CERT # 9"),
    ai("7240", X20, R::None, "PROTOCOL"),
    ai("7241", &[N(2, 2)], R::None, "AIDC MEDIA TYPE"),
    ai("7242", &[X(1, 25)], R::None, "VCN"),
    ai("7250", &[N(8, 8)], R::None, "DOB"),
    ai("7251", &[N(12, 12)], R::None, "DOB TIME"),
    ai("7252", N1, R::None, "BIO SEX"),
    ai("7253", &[X(1, 40)], R::None, "FAMILY NAME"),
    ai("7254", &[X(1, 40)], R::None, "GIVEN NAME"),
    ai("7255", &[X(1, 10)], R::None, "SUFFIX"),
    ai("7256", X90, R::None, "FULL NAME"),
    ai("7257", X70, R::None, "PERSON ADDR"),
    ai("7258", &[X(3, 3)], R::None, "BIRTH SEQUENCE"),
    ai("7259", &[X(1, 40)], R::None, "BABY"),
    ai("8001", N14C, R::None, "DIMENSIONS"),
    ai("8002", X20, R::None, "CMT No."),
    ai("8003", &[N(14, 14), X(0, 16)], R::CheckDigit, "GRAI"),
    ai("8004", X30, R::None, "GIAI"),
    ai("8005", N6, R::None, "PRICE PER UNIT"),
    ai("8006", &[N(14, 14), N(4, 4)], R::CheckDigit, "ITIP"),
    ai("8007", &[X(1, 34)], R::None, "IBAN"),
    ai("8008", &[N(8, 12)], R::DateHhOptMmSs, "PROD TIME"),
    ai("8009", &[X(1, 50)], R::None, "OPTSEN"),
    ai("8010", &[Y(1, 30)], R::None, "CPID"),
    ai("8011", &[N(1, 12)], R::None, "CPID SERIAL"),
    ai("8012", X20, R::None, "VERSION"),
    ai("8013", &[X(1, 25)], R::None, "GMN"),
    ai("8014", &[X(1, 25)], R::None, "MUDI"),
    ai("8017", &[N(18, 18)], R::CheckDigit, "GSRN - PROVIDER"),
    ai("8018", &[N(18, 18)], R::CheckDigit, "GSRN - RECIPIENT"),
    ai("8019", &[N(1, 10)], R::None, "SRIN"),
    ai("8020", &[X(1, 25)], R::None, "REF No."),
    ai("8026", &[N(14, 14), N(4, 4)], R::CheckDigit, "ITIP CONTENT"),
    ai("8030", &[Z(1, 90)], R::None, "DIGSIG"),
    ai("8110", X70, R::None, "Coupon code (NA)"),
    ai("8111", &[N(4, 4)], R::None, "POINTS"),
    ai("8112", X70, R::None, "Paperless coupon (NA)"),
    ai("8200", X70, R::None, "PRODUCT URL"),
    ai("90", X30, R::None, "INTERNAL"),
    ai("91", X90, R::None, "INTERNAL"),
    ai("92", X90, R::None, "INTERNAL"),
    ai("93", X90, R::None, "INTERNAL"),
    ai("94", X90, R::None, "INTERNAL"),
    ai("95", X90, R::None, "INTERNAL"),
    ai("96", X90, R::None, "INTERNAL"),
    ai("97", X90, R::None, "INTERNAL"),
    ai("98", X90, R::None, "INTERNAL"),
    ai("99", X90, R::None, "INTERNAL"),
];

/// The AI at the start of `s` (its definition and the AI's digits).
pub fn lookup(s: &str) -> Option<(&'static AiDef, &str)> {
    let b = s.as_bytes();
    for def in AIS {
        let n = def.ai.len();
        if b.len() < n || !s.is_char_boundary(n) || &s[..n] != def.ai {
            continue;
        }
        return match def.decimals {
            None => Some((def, &s[..n])),
            Some(max) => {
                let d = b.get(n).copied()?;
                if d.is_ascii_digit() && d - b'0' <= max {
                    Some((def, &s[..n + 1]))
                } else {
                    None
                }
            }
        };
    }
    None
}

/// Is `c` in GS1 character set 82?
pub fn cset82(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!\"%&'()*+,-./:;<=>?_".contains(c)
}

/// Is `c` in GS1 character set 39?
pub fn cset39(c: char) -> bool {
    c.is_ascii_digit() || c.is_ascii_uppercase() || "#-/".contains(c)
}

/// Is `c` in GS1 character set 64?
pub fn cset64(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_=".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_prefix_free_and_every_ai_is_found() {
        let names: Vec<String> = AIS
            .iter()
            .flat_map(|d| match d.decimals {
                None => vec![d.ai.to_string()],
                Some(m) => (0..=m).map(|n| format!("{}{n}", d.ai)).collect(),
            })
            .collect();
        for (i, a) in names.iter().enumerate() {
            for (j, b) in names.iter().enumerate() {
                assert!(
                    i == j || !b.starts_with(a.as_str()),
                    "{a} is a prefix of {b}"
                );
            }
            let probe = format!("{a}1");
            let (def, found) = lookup(&probe).unwrap();
            assert_eq!(found, a);
            assert!(def.min_len() <= def.max_len() && def.max_len() <= 90);
        }
        assert!(names.len() > 400, "{}", names.len());
    }
}
