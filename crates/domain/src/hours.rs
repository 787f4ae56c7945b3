//! Opening hours in OpenStreetMap `opening_hours` syntax (field `horaires`), evaluated with the
//! `opening-hours` crate and French public holidays. An invalid value is kept as text and
//! flagged; nothing here panics on input.

use rustc_hash::FxHashMap;
use std::sync::{LazyLock, Mutex};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use opening_hours::localization::Country;
use opening_hours::{Context, OpeningHours, RuleKind};

/// Parsed opening hours, evaluated with French public holidays (`PH`).
#[derive(Clone)]
pub struct Hours {
    expr: OpeningHours,
}

impl std::fmt::Debug for Hours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hours({})", self.expr)
    }
}

/// Result of checking a `horaires` value.
#[derive(Debug, Clone)]
pub enum HoursCheck {
    Valid(Hours),
    /// The value became valid after a known repair (English day names…); the repaired text.
    Repaired {
        hours: Hours,
        text: String,
        note: String,
    },
    Invalid {
        reason: String,
    },
}

/// English day abbreviations found in real files, and their OSM form.
const DAY_FIXES: [(&str, &str); 14] = [
    ("Mon", "Mo"),
    ("Tue", "Tu"),
    ("Wed", "We"),
    ("Thu", "Th"),
    ("Fri", "Fr"),
    ("Sat", "Sa"),
    ("Sun", "Su"),
    ("Lu", "Mo"),
    ("Ma", "Tu"),
    ("Me", "We"),
    ("Je", "Th"),
    ("Ve", "Fr"),
    ("Sa", "Sa"),
    ("Di", "Su"),
];

/// The rule with France's public holidays when it names holidays (`PH`, or `SH`; the grammar
/// reads them in capitals only): a rule that does not is evaluated the same without them, and
/// skips reading the calendar (some milliseconds the first time, a tenth of the check of a
/// one-row file).
fn with_french_holidays(expr: OpeningHours, raw: &str) -> OpeningHours {
    if raw.contains("PH") || raw.contains("SH") {
        expr.with_context(Context::default().with_holidays(Country::FR.holidays()))
    } else {
        expr
    }
}

fn parse_strict(raw: &str) -> Result<Hours, String> {
    if let Some(period) = day_long_period(raw) {
        return Err(format!(
            "horaires illisibles au format OpenStreetMap (période de répétition « /{period} » : \
             elle doit durer moins de 24 heures)"
        ));
    }
    PARSER_BUDGET.call_once(|| pest::set_call_limit(std::num::NonZeroUsize::new(PARSER_CALLS)));
    raw.parse::<OpeningHours>()
        .map(|expr| Hours {
            expr: with_french_holidays(expr, raw),
        })
        .map_err(|e| {
            let msg = e.to_string();
            if msg.contains("call limit reached") {
                return "horaires trop complexes pour être lus : écrivez une règle par jour ou \
                        par période, séparées par « ; »"
                    .to_string();
            }
            let first = msg
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("syntaxe invalide");
            format!(
                "horaires illisibles au format OpenStreetMap ({})",
                first.trim()
            )
        })
}

/// The work the OpenStreetMap parser may do on one text (pest's cumulative call budget, set
/// once for the process). Its grammar backtracks: a dozen selectors like `Dec Sa[2],Dec Sa[3],…`
/// took 17 s to read (found by fuzzing), each one more doubling the time, while the longest real
/// `horaires` read in a few thousand calls.
const PARSER_CALLS: usize = 200_000;

static PARSER_BUDGET: std::sync::Once = std::sync::Once::new();

/// A repeat period of a whole day (`10:00-16:00/24:00`), outside quoted comments: meaningless
/// within a day (the range would be its start alone), and the one period the OpenStreetMap
/// parser accepts then fails on inside itself (a debug assertion, found by fuzzing; other
/// periods of 24 hours or more are plain syntax errors). Returns the period as written.
fn day_long_period(raw: &str) -> Option<&'static str> {
    let mut quoted = false;
    raw.char_indices().find_map(|(i, c)| {
        match c {
            '"' => quoted = !quoted,
            '/' if !quoted => {
                let after = raw[i + 1..].trim_start_matches([' ', '\t']);
                if after.starts_with("24:00")
                    && !after[5..].starts_with(|c: char| c.is_ascii_digit())
                {
                    return Some("24:00");
                }
            }
            _ => {}
        }
        None
    })
}

/// Replaces whole-word day names (`Sun` → `Su`, `Lu` → `Mo`) outside time ranges.
fn repair_day_names(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let fixed = DAY_FIXES
            .iter()
            .find(|(from, _)| from.eq_ignore_ascii_case(word))
            .map(|(_, to)| (*to).to_string())
            .unwrap_or_else(|| word.clone());
        out.push_str(&fixed);
        word.clear();
    };
    for c in raw.chars() {
        if c.is_ascii_alphabetic() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// How many distinct `horaires` texts [`check_hours`] remembers (then it starts afresh).
const MEMO_ENTRIES: usize = 4_096;

static MEMO: LazyLock<Mutex<FxHashMap<String, HoursCheck>>> =
    LazyLock::new(|| Mutex::new(FxHashMap::default()));

/// Checks a `horaires` value. Directories repeat the same few hundred texts, and parsing is the
/// costly part of validating a file, so outcomes are remembered (a pure function: same text,
/// same outcome; parsed hours are shared, not copied).
pub fn check_hours(raw: &str) -> HoursCheck {
    with_checked_hours(raw, HoursCheck::clone)
}

/// What `read` takes of the outcome of [`check_hours`], without a copy of the parsed hours: a
/// file's check needs only whether they are valid (their copy is shared by the threads that
/// check records, and counting its owners was a contended write on each row).
pub fn with_checked_hours<R>(raw: &str, read: impl FnOnce(&HoursCheck) -> R) -> R {
    let raw = raw.trim();
    let memo = || match MEMO.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(known) = memo().get(raw) {
        return read(known);
    }
    // Parsed outside the lock: another thread may check other hours meanwhile.
    let outcome = check_hours_uncached(raw);
    let answer = read(&outcome);
    let mut memo = memo();
    if memo.len() >= MEMO_ENTRIES {
        memo.clear();
    }
    memo.insert(raw.to_string(), outcome);
    answer
}

fn check_hours_uncached(raw: &str) -> HoursCheck {
    match parse_strict(raw) {
        Ok(hours) => HoursCheck::Valid(hours),
        Err(reason) => {
            let fixed = repair_day_names(raw);
            if fixed != raw
                && let Ok(hours) = parse_strict(&fixed)
            {
                return HoursCheck::Repaired {
                    hours,
                    note: format!("noms de jours corrigés : « {fixed} »"),
                    text: fixed,
                };
            }
            HoursCheck::Invalid { reason }
        }
    }
}

/// Time zone of a département (overseas ones have their own).
pub fn timezone_of_departement(dep: &str) -> Tz {
    match dep {
        "971" | "977" | "978" => chrono_tz::America::Guadeloupe,
        "972" => chrono_tz::America::Martinique,
        "973" => chrono_tz::America::Cayenne,
        "974" => chrono_tz::Indian::Reunion,
        "976" => chrono_tz::Indian::Mayotte,
        "975" => chrono_tz::America::Miquelon,
        "986" => chrono_tz::Pacific::Wallis,
        "987" => chrono_tz::Pacific::Tahiti,
        "988" => chrono_tz::Pacific::Noumea,
        _ => chrono_tz::Europe::Paris,
    }
}

/// One line of the weekly table shown on a place's page.
#[derive(Debug, Clone, PartialEq)]
pub struct DayHours {
    pub date: NaiveDate,
    pub day_name: &'static str,
    /// Open ranges in French (« 9 h – 12 h »); empty when closed.
    pub ranges: Vec<String>,
    /// True when the place's hours are not known that day (`unknown` rules).
    pub unknown: bool,
    pub comment: Option<String>,
    pub public_holiday: bool,
}

/// French name of a month (`month0`: 0 for January, as chrono counts).
pub fn month_name(month0: u32) -> &'static str {
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    MONTHS.get(month0 as usize).copied().unwrap_or_default()
}

/// French name of a weekday.
pub fn day_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "lundi",
        Weekday::Tue => "mardi",
        Weekday::Wed => "mercredi",
        Weekday::Thu => "jeudi",
        Weekday::Fri => "vendredi",
        Weekday::Sat => "samedi",
        Weekday::Sun => "dimanche",
    }
}

fn french_time(h: u8, m: u8) -> String {
    match (h, m) {
        (24, 0) => "minuit".to_string(),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m:02}"),
    }
}

impl Hours {
    /// Is the place open at this local date-time (`None`: the hours say « unknown »)?
    pub fn is_open_at(&self, local: NaiveDateTime) -> Option<bool> {
        match self.expr.state(local).0 {
            RuleKind::Open => Some(true),
            RuleKind::Closed => Some(false),
            RuleKind::Unknown => None,
        }
    }

    /// The state at this local date-time and until when it lasts (at most `horizon` later):
    /// lets a caller reuse one evaluation for every instant of the span.
    pub fn state_span(
        &self,
        local: NaiveDateTime,
        horizon: Duration,
    ) -> (Option<bool>, NaiveDateTime) {
        let until = local.checked_add_signed(horizon).unwrap_or(local);
        match self.expr.iter_range(local, until).next() {
            Some(span) => {
                let state = match span.kind {
                    RuleKind::Open => Some(true),
                    RuleKind::Closed => Some(false),
                    RuleKind::Unknown => None,
                };
                (state, span.range.end.max(local))
            }
            None => (None, local),
        }
    }

    /// Minutes the place is open between two local date-times (unknown spans count as
    /// closed): "open when the person is free" asks for at least an hour.
    pub fn open_minutes_between(&self, start: NaiveDateTime, end: NaiveDateTime) -> i64 {
        if end <= start {
            return 0;
        }
        self.expr
            .iter_range(start, end)
            .filter(|span| span.kind == RuleKind::Open)
            .map(|span| {
                let from = span.range.start.max(start);
                let to = span.range.end.min(end);
                (to - from).num_minutes().max(0)
            })
            .sum()
    }

    /// What a person needs before going, at this local date-time: « Ouvert jusqu'à 17 h »,
    /// « Fermé · ouvre demain à 9 h », « Fermé · ouvre lundi à 14 h », or « Fermé » when it
    /// does not open in the coming week (`None`: the hours say « unknown »).
    pub fn status_phrase(&self, local: NaiveDateTime) -> Option<String> {
        let horizon = local.checked_add_signed(Duration::days(8))?;
        let mut spans = self.expr.iter_range(local, horizon);
        let first = spans.next()?;
        let clock = |t: NaiveDateTime| french_time(t.hour() as u8, t.minute() as u8);
        match first.kind {
            RuleKind::Open => {
                let end = first.range.end;
                Some(if end.date() == local.date() {
                    format!("Ouvert jusqu'à {}", clock(end))
                } else if end.date() == local.date().succ_opt().unwrap_or(local.date())
                    && end.time() == chrono::NaiveTime::MIN
                {
                    "Ouvert jusqu'à minuit".to_string()
                } else {
                    "Ouvert".to_string()
                })
            }
            RuleKind::Unknown => None,
            RuleKind::Closed => {
                let Some(next) = spans.find(|x| x.kind == RuleKind::Open) else {
                    return Some("Fermé".to_string());
                };
                let start = next.range.start;
                let days = (start.date() - local.date()).num_days();
                let when = match days {
                    0 => "aujourd'hui".to_string(),
                    1 => "demain".to_string(),
                    _ => day_name(start.weekday()).to_string(),
                };
                Some(format!("Fermé · ouvre {when} à {}", clock(start)))
            }
        }
    }

    /// Is the place open now, in the time zone of its département?
    pub fn is_open_now(&self, now: DateTime<Utc>, tz: Tz) -> Option<bool> {
        self.is_open_at(now.with_timezone(&tz).naive_local())
    }

    /// The seven days starting at `monday` (or any date), for the weekly table.
    pub fn week(&self, start: NaiveDate) -> Vec<DayHours> {
        let public = Country::FR.holidays();
        (0..7)
            .filter_map(|i| start.checked_add_signed(Duration::days(i)))
            .map(|date| {
                let schedule = self.expr.schedule_at(date);
                let mut ranges = Vec::new();
                let mut unknown = false;
                let mut comment = None;
                for tr in schedule {
                    if !tr.comment.is_empty() {
                        comment = Some(tr.comment.to_string());
                    }
                    match tr.kind {
                        RuleKind::Open => ranges.push(format!(
                            "{} – {}",
                            french_time(tr.range.start.hour(), tr.range.start.minute()),
                            french_time(tr.range.end.hour(), tr.range.end.minute())
                        )),
                        RuleKind::Unknown => unknown = true,
                        RuleKind::Closed => {}
                    }
                }
                DayHours {
                    date,
                    day_name: day_name(date.weekday()),
                    ranges,
                    unknown,
                    comment,
                    public_holiday: public.get_public().contains(date),
                }
            })
            .collect()
    }

    /// Canonical OSM text.
    pub fn to_osm(&self) -> String {
        self.expr.to_string()
    }
}

/// Monday of the week containing `date`.
pub fn monday_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("test date")
    }

    #[test]
    fn the_status_says_until_when_or_when_it_opens_next() {
        let HoursCheck::Valid(h) = check_hours("Mo-Fr 09:00-12:00,14:00-17:00; Sa 10:00-12:00")
        else {
            panic!("valid hours");
        };
        // Tuesday 24 November 2026.
        let said = |t: &str| h.status_phrase(at(t));
        assert_eq!(
            said("2026-11-24 10:00").as_deref(),
            Some("Ouvert jusqu'à 12 h")
        );
        assert_eq!(
            said("2026-11-24 12:30").as_deref(),
            Some("Fermé · ouvre aujourd'hui à 14 h")
        );
        assert_eq!(
            said("2026-11-24 18:00").as_deref(),
            Some("Fermé · ouvre demain à 9 h")
        );
        assert_eq!(
            said("2026-11-28 13:00").as_deref(),
            Some("Fermé · ouvre lundi à 9 h")
        );
        let HoursCheck::Valid(never) = check_hours("Mo-Su off") else {
            panic!("valid hours");
        };
        assert_eq!(
            never.status_phrase(at("2026-11-24 10:00")).as_deref(),
            Some("Fermé")
        );
    }

    #[test]
    fn texts_that_make_the_parser_backtrack_are_refused_not_read_for_seconds() {
        // Found by fuzzing: 12 selectors took 17 s, each one more doubling the time.
        let selectors = ["Dec Sa[2]", "Dec Sa[3]"].repeat(12).join(",");
        match check_hours(&selectors) {
            HoursCheck::Invalid { reason } => {
                assert!(reason.contains("trop complexes"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        // The input as fuzzing found it (its day names repaired, then read again).
        let found = "Dec Sa[2],Dec Sa[3],Dec Sa[3],Dec Sa[2],Dec Sa[2],Dec Sa[3],Dec Sa[3],\
                     Dec Sa[2],Dec Sa[2],Dec SA[3],Dec Sa[3],Dec Sa[2],DA[3],Dec Sa[3],Dec Sa[2],\
                     Dec Sa[3],i-M";
        assert!(matches!(check_hours(found), HoursCheck::Invalid { .. }));
        // Long real-shaped texts stay well within the budget.
        for text in [
            "Mo-Fr 09:00-12:00,13:30-17:30; Sa 09:00-12:00; PH off",
            "Mo 09:00-12:00,14:00-18:00; Tu 09:00-12:00,14:00-18:00; We 09:00-12:00,14:00-18:00; \
             Th 09:00-12:00,14:00-18:00; Fr 09:00-12:00,14:00-17:00; Sa 10:00-12:00; \
             Dec 24-26 off; Jan 01 off; PH off",
            "Mo,We,Fr 09:00-12:00; Tu,Th 14:00-17:00; Sa[1,3] 10:00-12:00; Jul-Aug Mo-Fr 09:00-12:00",
        ] {
            assert!(matches!(check_hours(text), HoursCheck::Valid(_)), "{text}");
        }
    }

    #[test]
    fn a_repeat_period_of_a_day_or_more_is_refused_with_its_reason() {
        // Found by fuzzing: the parser failed inside itself on « /24:00 ».
        for text in [
            "Mo 09:00-10:00/24:00",
            "09:00-22:30/ 24:00; Tu 10:00-11:00",
            "sunrise-sunset/24:00",
        ] {
            match check_hours(text) {
                HoursCheck::Invalid { reason } => {
                    assert!(reason.contains("moins de 24 heures"), "{text} : {reason}")
                }
                other => panic!("{text} : {other:?}"),
            }
        }
        // Longer periods are the parser's own syntax errors.
        for text in ["Mo 09:00-10:00/48:00", "Mo 09:00-10:00/024:00"] {
            assert!(
                matches!(check_hours(text), HoursCheck::Invalid { .. }),
                "{text}"
            );
        }
        assert!(matches!(
            check_hours("Mo 09:00-12:00/01:00"),
            HoursCheck::Valid(_)
        ));
        assert_eq!(day_long_period("10:00-16:00/ 24:00 off"), Some("24:00"));
        assert_eq!(day_long_period("10:00-16:00/23:59"), None);
        assert_eq!(day_long_period("10:00-16:00/24:001"), None);
        // Year and week repeats, comments: not a period of hours.
        assert_eq!(day_long_period("week 1-53/2 Mo 10:00-12:00"), None);
        assert_eq!(day_long_period("2020-2100/25: Mo 10:00-12:00"), None);
        assert_eq!(day_long_period("Mo 10:00-12:00 \"dépannage /24:00\""), None);
        assert!(matches!(
            check_hours("Mo 10:00-12:00 \"dépannage 24/24\""),
            HoursCheck::Valid(_)
        ));
    }

    #[test]
    fn evaluates_the_standard_example() {
        let HoursCheck::Valid(h) = check_hours("Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00")
        else {
            panic!("valid")
        };
        assert_eq!(h.is_open_at(at("2026-11-24 10:00")), Some(true)); // Tuesday
        assert_eq!(h.is_open_at(at("2026-11-24 13:00")), Some(false));
        assert_eq!(h.is_open_at(at("2026-11-29 10:00")), Some(false)); // Sunday
        let week = h.week(NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"));
        assert_eq!(week[0].day_name, "lundi");
        assert_eq!(week[0].ranges, vec!["9 h – 12 h", "14 h – 18 h 30"]);
        assert_eq!(week[5].ranges, vec!["8 h 30 – 12 h"]);
        assert!(week[6].ranges.is_empty());
    }

    #[test]
    fn a_state_span_agrees_with_the_state_at_every_minute_it_covers() {
        let HoursCheck::Valid(h) = check_hours("Mo-Fr 09:00-12:00,14:00-17:30; PH off") else {
            panic!("valid hours expected");
        };
        let start = at("2026-11-09 08:00");
        let (state, until) = h.state_span(start, Duration::days(8));
        assert_eq!(state, Some(false));
        assert_eq!(until, at("2026-11-09 09:00"));
        let (state, until) = h.state_span(at("2026-11-09 09:00"), Duration::days(8));
        assert_eq!((state, until), (Some(true), at("2026-11-09 12:00")));
        // Armistice day (11 November, a Wednesday) is closed all day.
        let (state, until) = h.state_span(at("2026-11-10 17:30"), Duration::days(8));
        assert_eq!((state, until), (Some(false), at("2026-11-12 09:00")));
        let mut t = at("2026-11-09 00:00");
        while t < at("2026-11-16 00:00") {
            let (state, until) = h.state_span(t, Duration::days(8));
            assert!(until > t);
            assert_eq!(state, h.is_open_at(t), "à {t}");
            let mid = t + (until - t) / 2;
            assert_eq!(state, h.is_open_at(mid), "à {mid}");
            t = until;
        }
    }

    /// A rule that names no holidays is evaluated the same with France's calendar or without
    /// it (it is attached only to rules that name them), through the public holidays of a year.
    #[test]
    fn a_rule_without_holidays_reads_the_same_without_the_calendar() {
        for rule in [
            "Mo-Fr 09:00-17:00",
            "Mo-Sa 08:30-12:00,14:00-18:30; Su off",
            "We 14:00-17:00; Sa 10:00-12:00 open \"sur rendez-vous\"",
            "Jan-Jun Mo-Fr 09:00-12:00; Jul-Dec Tu,Th 14:00-18:00",
            "24/7",
        ] {
            let HoursCheck::Valid(h) = check_hours(rule) else {
                panic!("{rule}")
            };
            let with = with_french_holidays_always(rule);
            let mut t = at("2026-01-01 00:00");
            while t < at("2027-01-01 00:00") {
                assert_eq!(h.expr.state(t), with.state(t), "{rule} à {t}");
                t += Duration::minutes(97);
            }
        }
        // A rule that names them still has them.
        let HoursCheck::Valid(h) = check_hours("Mo-Fr 09:00-17:00; PH off") else {
            panic!("PH off")
        };
        assert_eq!(h.is_open_at(at("2026-11-11 10:00")), Some(false));
    }

    fn with_french_holidays_always(rule: &str) -> OpeningHours {
        rule.parse::<OpeningHours>()
            .expect("lisible")
            .with_context(Context::default().with_holidays(Country::FR.holidays()))
    }

    #[test]
    fn french_public_holidays_close_with_ph_off() {
        let HoursCheck::Valid(h) = check_hours("Mo-Fr 09:00-17:00; PH off") else {
            panic!()
        };
        // 11 November 2026 is a Wednesday and a public holiday.
        assert_eq!(h.is_open_at(at("2026-11-11 10:00")), Some(false));
        assert_eq!(h.is_open_at(at("2026-11-12 10:00")), Some(true));
        let week = h.week(NaiveDate::from_ymd_opt(2026, 11, 9).expect("date"));
        assert!(week[2].public_holiday);
    }

    /// Read in place or copied, first parsed or remembered, the outcome is the same.
    #[test]
    fn hours_read_in_place_are_those_checked() {
        let kind = |check: &HoursCheck| match check {
            HoursCheck::Valid(h) => format!("valide {:?}", h.is_open_at(at("2026-11-12 10:00"))),
            HoursCheck::Repaired { text, note, .. } => format!("réparé {text} ({note})"),
            HoursCheck::Invalid { reason } => format!("refusé {reason}"),
        };
        // A text no other test checks, so that the first call parses it.
        for raw in [
            "Mo-Th 09:15-11:45",
            "Tue-Thu 09:15-11:45",
            "le jeudi matin, sauf vacances",
        ] {
            let first = with_checked_hours(raw, kind);
            assert_eq!(with_checked_hours(&format!(" {raw} "), kind), first);
            assert_eq!(kind(&check_hours(raw)), first);
        }
        assert_eq!(
            with_checked_hours("Mo-Th 09:15-11:45", kind),
            "valide Some(true)"
        );
        assert!(with_checked_hours("Tue-Thu 09:15-11:45", kind).starts_with("réparé Tu-Th"));
        assert!(with_checked_hours("le jeudi matin, sauf vacances", kind).starts_with("refusé"));
    }

    #[test]
    fn repairs_english_day_names_and_flags_garbage() {
        match check_hours("Mon-Fri 09:00-12:00; Sun off") {
            HoursCheck::Repaired { text, .. } => assert_eq!(text, "Mo-Fr 09:00-12:00; Su off"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            check_hours("le mardi matin"),
            HoursCheck::Invalid { .. }
        ));
        assert!(matches!(check_hours("09:00-12:00"), HoursCheck::Valid(_)));
    }

    proptest! {
        #[test]
        fn never_panics_on_any_text(s in "\\PC{0,60}") {
            if let HoursCheck::Valid(h) | HoursCheck::Repaired { hours: h, .. } = check_hours(&s) {
                let _ = h.is_open_at(at("2026-11-24 10:00"));
                let _ = h.week(NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"));
            }
        }

        #[test]
        fn generated_weekly_hours_are_valid(d1 in 0usize..7, d2 in 0usize..7, h1 in 6u32..12, h2 in 13u32..20) {
            const D: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];
            let (a, b) = (d1.min(d2), d1.max(d2));
            let raw = format!("{}-{} {:02}:00-{:02}:30", D[a], D[b], h1, h2);
            prop_assert!(matches!(check_hours(&raw), HoursCheck::Valid(_)), "{}", raw);
        }
    }
}
