//! `machi calc`: the spreadsheet-compatible functions of
//! [`machi_finance::tvm`] on the command line.
//!
//! The command line is read here, not by clap's value parsers, so that every
//! message about a bad or missing input comes from the message catalogue in
//! the chosen language (clap's own errors are English only).
//!
//! Exit codes: 0 when the computation ran, whether it produced a value or a
//! result that does not exist (no root, flows of one sign, …: `value` is
//! null and the error code says why); 2 when the command line cannot be
//! read (unknown function, a number or date that does not parse, a missing
//! or unused flag).

use std::process::ExitCode;

use chrono::NaiveDate;
use machi_finance::tvm::{self, DayCount, Timing, TvmError, When};
use machi_i18n::Lang;
use machi_report::cli::calc::{self, Calculation};

/// Arguments of `machi calc`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    machi calc npv --rate 0.08 --values=-40000,5000,8000,12000,30000\n  \
    machi calc irr --values=-100,100,0,-7 --all --lang en\n  \
    machi calc xirr --values=-10000,2750,4250 --dates=2008-01-01,2008-03-01,2008-10-30\n  \
    machi calc pmt --rate 0.005 --nper 360 --pv 30000000 --format json\n\
    See docs/calc.md for each function's convention.")]
pub struct CalcArgs {
    /// Function: npv, irr, mirr, xnpv, xirr, pmt, ipmt, ppmt, nper, rate, fv, pv.
    pub function: String,
    // Boxed so that `machi`'s command enum stays small (clippy's
    // large_enum_variant): sixteen optional strings are ~400 bytes.
    #[command(flatten)]
    pub options: Box<CalcOptions>,
}

/// The flags of `machi calc`; each function uses some of them.
#[derive(Debug, clap::Args)]
pub struct CalcOptions {
    /// Rate per period (0.05 or 5%).
    #[arg(long, allow_hyphen_values = true, value_name = "R")]
    pub rate: Option<String>,
    /// Cash flows, comma-separated, e.g. `--values=-100,50,60`.
    #[arg(long, allow_hyphen_values = true, value_name = "V1,V2,…")]
    pub values: Option<String>,
    /// Dates of the cash flows (ISO, 2024-04-01), comma-separated.
    #[arg(long, value_name = "D1,D2,…")]
    pub dates: Option<String>,
    /// Number of periods.
    #[arg(long, allow_hyphen_values = true, value_name = "N")]
    pub nper: Option<String>,
    /// The period asked for (1 ≤ per ≤ nper), for ipmt and ppmt.
    #[arg(long, allow_hyphen_values = true, value_name = "K")]
    pub per: Option<String>,
    /// Payment per period (money paid out is negative).
    #[arg(long, allow_hyphen_values = true, value_name = "X")]
    pub pmt: Option<String>,
    /// Present value (default 0 for fv).
    #[arg(long, allow_hyphen_values = true, value_name = "X")]
    pub pv: Option<String>,
    /// Future value (default 0).
    #[arg(long, allow_hyphen_values = true, value_name = "X")]
    pub fv: Option<String>,
    /// When payments fall in each period: end (default) or begin.
    #[arg(long, value_name = "end|begin")]
    pub when: Option<String>,
    /// Guess for irr, xirr and rate (default 0.1).
    #[arg(long, allow_hyphen_values = true, value_name = "G")]
    pub guess: Option<String>,
    /// Finance rate for mirr (paid on the negative flows).
    #[arg(long, allow_hyphen_values = true, value_name = "R")]
    pub finance_rate: Option<String>,
    /// Reinvestment rate for mirr (earned on the positive flows).
    #[arg(long, allow_hyphen_values = true, value_name = "R")]
    pub reinvest_rate: Option<String>,
    /// npv timing: start (first value at t=0, default) or end (Excel's NPV).
    #[arg(long, value_name = "start|end")]
    pub timing: Option<String>,
    /// Day count for xnpv and xirr: act365f (default, Excel), act360, actact-isda, 30-360.
    #[arg(long, value_name = "BASIS")]
    pub day_count: Option<String>,
    /// irr: also list every root above -100%.
    #[arg(long)]
    pub all: bool,
    /// Output: text (default) or json.
    #[arg(long, default_value = "text", value_name = "text|json")]
    pub format: String,
    /// Language of messages: ja (default) or en.
    #[arg(long, default_value = "ja", value_name = "ja|en")]
    pub lang: String,
}

/// Run `machi calc` and print the result; see the module notes for the exit
/// codes.
pub fn run(args: &CalcArgs) -> ExitCode {
    let lang = match args.options.lang.parse::<Lang>() {
        Ok(lang) => lang,
        Err(e) => {
            // The language is what failed, so this message carries both.
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match Request::parse(args) {
        Ok(request) => {
            let outcome = request.compute();
            print!("{}", request.render(&outcome, lang));
            ExitCode::SUCCESS
        }
        Err(usage) => {
            eprintln!("{}", usage.message(lang));
            eprintln!("{}", lang.t("calc.usage.hint"));
            ExitCode::from(2)
        }
    }
}

/// The functions `machi calc` offers, in the order the help lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    Npv,
    Irr,
    Mirr,
    Xnpv,
    Xirr,
    Pmt,
    Ipmt,
    Ppmt,
    Nper,
    Rate,
    Fv,
    Pv,
}

const FUNCTIONS: [Function; 12] = [
    Function::Npv,
    Function::Irr,
    Function::Mirr,
    Function::Xnpv,
    Function::Xirr,
    Function::Pmt,
    Function::Ipmt,
    Function::Ppmt,
    Function::Nper,
    Function::Rate,
    Function::Fv,
    Function::Pv,
];

impl Function {
    fn name(self) -> &'static str {
        match self {
            Function::Npv => "npv",
            Function::Irr => "irr",
            Function::Mirr => "mirr",
            Function::Xnpv => "xnpv",
            Function::Xirr => "xirr",
            Function::Pmt => "pmt",
            Function::Ipmt => "ipmt",
            Function::Ppmt => "ppmt",
            Function::Nper => "nper",
            Function::Rate => "rate",
            Function::Fv => "fv",
            Function::Pv => "pv",
        }
    }

    /// (required flags, optional flags).
    fn flags(self) -> (&'static [Flag], &'static [Flag]) {
        use Flag::*;
        match self {
            Function::Npv => (&[Rate, Values], &[Timing]),
            Function::Irr => (&[Values], &[Guess, All]),
            Function::Mirr => (&[Values, FinanceRate, ReinvestRate], &[]),
            Function::Xnpv => (&[Rate, Values, Dates], &[DayCount]),
            Function::Xirr => (&[Values, Dates], &[Guess, DayCount]),
            Function::Pmt => (&[Rate, Nper, Pv], &[Fv, When]),
            Function::Ipmt | Function::Ppmt => (&[Rate, Per, Nper, Pv], &[Fv, When]),
            Function::Nper => (&[Rate, Pmt, Pv], &[Fv, When]),
            Function::Rate => (&[Nper, Pmt, Pv], &[Fv, When, Guess]),
            Function::Fv => (&[Rate, Nper, Pmt], &[Pv, When]),
            Function::Pv => (&[Rate, Nper, Pmt], &[Fv, When]),
        }
    }

    /// Whether the result is a rate, shown with a percentage too.
    fn is_rate(self) -> bool {
        matches!(
            self,
            Function::Irr | Function::Mirr | Function::Xirr | Function::Rate
        )
    }
}

/// The inputs a function can take, one per command-line flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flag {
    Rate,
    Values,
    Dates,
    Nper,
    Per,
    Pmt,
    Pv,
    Fv,
    When,
    Guess,
    FinanceRate,
    ReinvestRate,
    Timing,
    DayCount,
    All,
}

const FLAGS: [Flag; 15] = [
    Flag::Rate,
    Flag::Values,
    Flag::Dates,
    Flag::Nper,
    Flag::Per,
    Flag::Pmt,
    Flag::Pv,
    Flag::Fv,
    Flag::When,
    Flag::Guess,
    Flag::FinanceRate,
    Flag::ReinvestRate,
    Flag::Timing,
    Flag::DayCount,
    Flag::All,
];

impl Flag {
    fn name(self) -> &'static str {
        match self {
            Flag::Rate => "--rate",
            Flag::Values => "--values",
            Flag::Dates => "--dates",
            Flag::Nper => "--nper",
            Flag::Per => "--per",
            Flag::Pmt => "--pmt",
            Flag::Pv => "--pv",
            Flag::Fv => "--fv",
            Flag::When => "--when",
            Flag::Guess => "--guess",
            Flag::FinanceRate => "--finance-rate",
            Flag::ReinvestRate => "--reinvest-rate",
            Flag::Timing => "--timing",
            Flag::DayCount => "--day-count",
            Flag::All => "--all",
        }
    }

    /// Rates also accept a percentage (`5%`).
    fn is_rate(self) -> bool {
        matches!(
            self,
            Flag::Rate | Flag::Guess | Flag::FinanceRate | Flag::ReinvestRate
        )
    }

    /// The raw text given for this flag, if any (`--all` gives `"true"`).
    fn raw(self, args: &CalcArgs) -> Option<&str> {
        let args = &args.options;
        match self {
            Flag::Rate => args.rate.as_deref(),
            Flag::Values => args.values.as_deref(),
            Flag::Dates => args.dates.as_deref(),
            Flag::Nper => args.nper.as_deref(),
            Flag::Per => args.per.as_deref(),
            Flag::Pmt => args.pmt.as_deref(),
            Flag::Pv => args.pv.as_deref(),
            Flag::Fv => args.fv.as_deref(),
            Flag::When => args.when.as_deref(),
            Flag::Guess => args.guess.as_deref(),
            Flag::FinanceRate => args.finance_rate.as_deref(),
            Flag::ReinvestRate => args.reinvest_rate.as_deref(),
            Flag::Timing => args.timing.as_deref(),
            Flag::DayCount => args.day_count.as_deref(),
            Flag::All => args.all.then_some("true"),
        }
    }
}

/// Why the command line could not be read (exit code 2).
#[derive(Debug, Clone, PartialEq)]
enum Usage {
    UnknownFunction(String),
    BadFormat(String),
    BadNumber {
        flag: Flag,
        value: String,
    },
    BadDate {
        flag: Flag,
        value: String,
    },
    BadChoice {
        flag: Flag,
        value: String,
        choices: &'static str,
    },
    MissingFlag {
        flag: Flag,
        function: Function,
    },
    UnusedFlag {
        flag: Flag,
        function: Function,
    },
    EmptyList(Flag),
}

impl Usage {
    fn message(&self, lang: Lang) -> String {
        match self {
            Usage::UnknownFunction(name) => {
                let choices: Vec<&str> = FUNCTIONS.iter().map(|f| f.name()).collect();
                lang.tf(
                    "calc.usage.unknown-function",
                    &[("name", name), ("choices", &choices.join(", "))],
                )
            }
            Usage::BadFormat(value) => lang.tf(
                "calc.usage.bad-choice",
                &[
                    ("flag", &"--format"),
                    ("value", value),
                    ("choices", &"text, json"),
                ],
            ),
            Usage::BadNumber { flag, value } => lang.tf(
                "calc.usage.bad-number",
                &[("flag", &flag.name()), ("value", value)],
            ),
            Usage::BadDate { flag, value } => lang.tf(
                "calc.usage.bad-date",
                &[("flag", &flag.name()), ("value", value)],
            ),
            Usage::BadChoice {
                flag,
                value,
                choices,
            } => lang.tf(
                "calc.usage.bad-choice",
                &[
                    ("flag", &flag.name()),
                    ("value", value),
                    ("choices", choices),
                ],
            ),
            Usage::MissingFlag { flag, function } => lang.tf(
                "calc.usage.missing-flag",
                &[("flag", &flag.name()), ("function", &function.name())],
            ),
            Usage::UnusedFlag { flag, function } => lang.tf(
                "calc.usage.unused-flag",
                &[("flag", &flag.name()), ("function", &function.name())],
            ),
            Usage::EmptyList(flag) => lang.tf("calc.usage.empty-list", &[("flag", &flag.name())]),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

/// A fully parsed command: the function and its inputs.
#[derive(Debug)]
struct Request {
    function: Function,
    format: Format,
    all: bool,
    inputs: Inputs,
}

/// Parsed inputs; the ones a function does not use stay at their defaults.
#[derive(Debug, Default)]
struct Inputs {
    rate: f64,
    values: Vec<f64>,
    dates: Vec<NaiveDate>,
    nper: f64,
    per: f64,
    pmt: f64,
    pv: f64,
    fv: f64,
    when: When,
    guess: Option<f64>,
    finance_rate: f64,
    reinvest_rate: f64,
    timing: Timing,
    day_count: DayCount,
}

/// A computed result: the value, and every root for `irr --all`.
struct Outcome {
    value: Result<f64, TvmError>,
    roots: Option<Vec<f64>>,
}

impl Request {
    fn parse(args: &CalcArgs) -> Result<Self, Usage> {
        let name = normalize(&args.function).to_ascii_lowercase();
        let function = FUNCTIONS
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| Usage::UnknownFunction(args.function.clone()))?;
        let format = match normalize(&args.options.format)
            .to_ascii_lowercase()
            .as_str()
        {
            "text" => Format::Text,
            "json" => Format::Json,
            _ => return Err(Usage::BadFormat(args.options.format.clone())),
        };
        let (required, optional) = function.flags();
        for flag in FLAGS {
            let given = flag.raw(args).is_some();
            if required.contains(&flag) && !given {
                return Err(Usage::MissingFlag { flag, function });
            }
            if given && !required.contains(&flag) && !optional.contains(&flag) {
                return Err(Usage::UnusedFlag { flag, function });
            }
        }
        let mut inputs = Inputs::default();
        // Amounts the functions treat as optional default to 0, as in Excel.
        for flag in FLAGS {
            let Some(raw) = flag.raw(args) else { continue };
            match flag {
                Flag::Rate => inputs.rate = number(flag, raw)?,
                Flag::Values => inputs.values = numbers(flag, raw)?,
                Flag::Dates => inputs.dates = dates(flag, raw)?,
                Flag::Nper => inputs.nper = number(flag, raw)?,
                Flag::Per => inputs.per = number(flag, raw)?,
                Flag::Pmt => inputs.pmt = number(flag, raw)?,
                Flag::Pv => inputs.pv = number(flag, raw)?,
                Flag::Fv => inputs.fv = number(flag, raw)?,
                Flag::Guess => inputs.guess = Some(number(flag, raw)?),
                Flag::FinanceRate => inputs.finance_rate = number(flag, raw)?,
                Flag::ReinvestRate => inputs.reinvest_rate = number(flag, raw)?,
                Flag::When => {
                    inputs.when = choice(
                        flag,
                        raw,
                        "end, begin",
                        &[("end", When::End), ("begin", When::Begin)],
                    )?;
                }
                Flag::Timing => {
                    inputs.timing = choice(
                        flag,
                        raw,
                        "start, end",
                        &[("start", Timing::Start), ("end", Timing::End)],
                    )?;
                }
                Flag::DayCount => {
                    inputs.day_count = choice(
                        flag,
                        raw,
                        "act365f, act360, actact-isda, 30-360",
                        &[
                            ("act365f", DayCount::Act365F),
                            ("act360", DayCount::Act360),
                            ("actact-isda", DayCount::ActActIsda),
                            ("30-360", DayCount::Thirty360),
                        ],
                    )?;
                }
                Flag::All => {}
            }
        }
        Ok(Request {
            function,
            format,
            all: args.options.all,
            inputs,
        })
    }

    fn compute(&self) -> Outcome {
        let i = &self.inputs;
        let value = match self.function {
            Function::Npv => tvm::npv(i.rate, &i.values, i.timing),
            Function::Irr => tvm::irr(&i.values, i.guess),
            Function::Mirr => tvm::mirr(&i.values, i.finance_rate, i.reinvest_rate),
            Function::Xnpv => tvm::xnpv(i.rate, &i.values, &i.dates, i.day_count),
            Function::Xirr => tvm::xirr(&i.values, &i.dates, i.guess, i.day_count),
            Function::Pmt => tvm::pmt(i.rate, i.nper, i.pv, i.fv, i.when),
            Function::Ipmt => tvm::ipmt(i.rate, i.per, i.nper, i.pv, i.fv, i.when),
            Function::Ppmt => tvm::ppmt(i.rate, i.per, i.nper, i.pv, i.fv, i.when),
            Function::Nper => tvm::nper(i.rate, i.pmt, i.pv, i.fv, i.when),
            Function::Rate => tvm::rate(i.nper, i.pmt, i.pv, i.fv, i.when, i.guess),
            Function::Fv => tvm::fv(i.rate, i.nper, i.pmt, i.pv, i.when),
            Function::Pv => tvm::pv(i.rate, i.nper, i.pmt, i.fv, i.when),
        };
        let roots = (self.function == Function::Irr && self.all)
            .then(|| tvm::irr_all(&i.values).unwrap_or_default());
        Outcome { value, roots }
    }

    fn render(&self, outcome: &Outcome, lang: Lang) -> String {
        let shown = Calculation {
            function: self.function.name(),
            is_rate: self.function.is_rate(),
            value: &outcome.value,
            roots: outcome.roots.as_deref(),
            guess: self.inputs.guess.unwrap_or(tvm::DEFAULT_GUESS),
        };
        match self.format {
            Format::Json => calc::json(&shown, lang),
            Format::Text => calc::text(&shown, lang),
        }
    }
}

/// Full-width digits and signs, as a Japanese input method types them, read
/// as their ASCII forms; surrounding spaces dropped.
fn normalize(raw: &str) -> String {
    raw.trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '－' | '−' | 'ー' => '-',
            '＋' => '+',
            '．' => '.',
            '，' | '、' => ',',
            '％' => '%',
            '／' => '/',
            _ => c,
        })
        .collect()
}

fn number(flag: Flag, raw: &str) -> Result<f64, Usage> {
    let text = normalize(raw);
    let bad = || Usage::BadNumber {
        flag,
        value: raw.trim().to_owned(),
    };
    let (digits, scale) = match text.strip_suffix('%') {
        Some(digits) if flag.is_rate() => (digits.trim_end(), 0.01),
        Some(_) => return Err(bad()),
        None => (text.as_str(), 1.0),
    };
    match digits.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x * scale),
        _ => Err(bad()),
    }
}

fn numbers(flag: Flag, raw: &str) -> Result<Vec<f64>, Usage> {
    let text = normalize(raw);
    if text.is_empty() {
        return Err(Usage::EmptyList(flag));
    }
    text.split(',').map(|item| number(flag, item)).collect()
}

fn dates(flag: Flag, raw: &str) -> Result<Vec<NaiveDate>, Usage> {
    let text = normalize(raw);
    if text.is_empty() {
        return Err(Usage::EmptyList(flag));
    }
    text.split(',')
        .map(|item| {
            let item = item.trim();
            NaiveDate::parse_from_str(item, "%Y-%m-%d")
                .or_else(|_| NaiveDate::parse_from_str(item, "%Y/%m/%d"))
                .map_err(|_| Usage::BadDate {
                    flag,
                    value: item.to_owned(),
                })
        })
        .collect()
}

fn choice<T: Copy>(
    flag: Flag,
    raw: &str,
    choices: &'static str,
    table: &[(&str, T)],
) -> Result<T, Usage> {
    let key = normalize(raw).to_ascii_lowercase();
    table
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, value)| *value)
        .ok_or_else(|| Usage::BadChoice {
            flag,
            value: raw.trim().to_owned(),
            choices,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_accept_percentages_and_full_width_input() {
        assert_eq!(number(Flag::Rate, "8%"), Ok(0.08));
        assert_eq!(number(Flag::Rate, "８％"), Ok(0.08));
        assert_eq!(
            numbers(Flag::Values, "－１００，５０"),
            Ok(vec![-100.0, 50.0])
        );
        assert!(matches!(
            number(Flag::Pv, "8%"),
            Err(Usage::BadNumber { .. })
        ));
        assert!(matches!(
            number(Flag::Pv, "inf"),
            Err(Usage::BadNumber { .. })
        ));
        assert!(matches!(
            numbers(Flag::Values, "1,,2"),
            Err(Usage::BadNumber { .. })
        ));
    }

    #[test]
    fn every_message_key_exists_in_both_languages() {
        let mut keys: Vec<String> = FUNCTIONS
            .iter()
            .map(|f| format!("calc.label.{}", f.name()))
            .collect();
        for code in TvmError::CODES {
            keys.push(format!("calc.error.{code}"));
        }
        for &rule in tvm::InputRule::ALL {
            keys.push(format!("calc.rule.{}", rule.code()));
        }
        for usage in [
            "unknown-function",
            "bad-number",
            "bad-date",
            "bad-choice",
            "missing-flag",
            "unused-flag",
            "empty-list",
            "hint",
        ] {
            keys.push(format!("calc.usage.{usage}"));
        }
        for text in ["no-value", "roots", "chosen"] {
            keys.push(format!("calc.text.{text}"));
        }
        for &lang in Lang::ALL {
            for key in &keys {
                assert!(lang.has(key), "{lang}: {key}");
            }
        }
    }
}
