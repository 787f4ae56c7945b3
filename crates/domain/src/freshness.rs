//! How true a place's page is likely to be: its freshness (time since `date_maj`) and its
//! completeness (weighted presence of what a helper needs to send someone there). Defined once
//! here; pages, exports and the API read these functions.

use chrono::NaiveDate;

use crate::Place;

/// Months after which a page is to be reviewed, and after which it is stale (the network
/// re-checks its directory every year — seeds `001_…`, `002_…`).
pub const REVIEW_AFTER_MONTHS: u32 = 6;
pub const STALE_AFTER_MONTHS: u32 = 12;

/// Freshness of a page.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Freshness {
    Fresh,
    ToReview,
    Stale,
}

impl Freshness {
    pub fn label(self) -> &'static str {
        match self {
            Freshness::Fresh => "à jour",
            Freshness::ToReview => "à revoir bientôt",
            Freshness::Stale => "ancienne : à vérifier",
        }
    }
}

/// Whole months from `from` to `to` (0 when `to` is earlier).
pub fn months_between(from: NaiveDate, to: NaiveDate) -> u32 {
    let mut months = 0;
    while from
        .checked_add_months(chrono::Months::new(months + 1))
        .is_some_and(|d| d <= to)
    {
        months += 1;
        if months > 1_200 {
            break;
        }
    }
    months
}

pub fn freshness(updated_on: NaiveDate, today: NaiveDate) -> Freshness {
    match months_between(updated_on, today) {
        m if m >= STALE_AFTER_MONTHS => Freshness::Stale,
        m if m >= REVIEW_AFTER_MONTHS => Freshness::ToReview,
        _ => Freshness::Fresh,
    }
}

/// What a helper needs on a page, with its weight (the weights sum to 100).
pub const COMPLETENESS_ITEMS: [(&str, u8); 9] = [
    ("services proposés", 20),
    ("horaires valides", 20),
    ("un contact (téléphone ou courriel)", 15),
    ("publics ou prises en charge", 10),
    ("frais à charge", 10),
    ("modalités d'accès", 10),
    ("modalités d'accompagnement", 5),
    ("position sur la carte", 5),
    ("présentation", 5),
];

/// Completeness of a page: a score out of 100 and what is missing, in the order of
/// [`COMPLETENESS_ITEMS`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Completeness {
    pub score: u8,
    pub missing: Vec<&'static str>,
}

pub fn completeness(place: &Place) -> Completeness {
    let present = [
        !place.services.is_empty(),
        place.opening_hours.is_some() && place.opening_hours_valid,
        place.phone.is_some() || !place.emails.is_empty(),
        !place.publics.is_empty() || !place.specific_support.is_empty(),
        !place.fees.is_empty(),
        !place.access_modes.is_empty(),
        !place.support_modes.is_empty(),
        place.location.is_some(),
        place.summary.is_some() || place.description.is_some(),
    ];
    let mut score = 0u8;
    let mut missing = Vec::new();
    for ((label, weight), ok) in COMPLETENESS_ITEMS.iter().zip(present) {
        if ok {
            score = score.saturating_add(*weight);
        } else {
            missing.push(*label);
        }
    }
    Completeness { score, missing }
}

/// Under this completeness, a page is listed for completion.
pub const INCOMPLETE_BELOW: u8 = 60;

/// The quality indicators of a set of places (a territory).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct QualitySummary {
    pub places: usize,
    pub fresh: usize,
    pub to_review: usize,
    pub stale: usize,
    pub invalid_hours: usize,
    pub incomplete: usize,
    /// Mean completeness, out of 100.
    pub mean_completeness: u8,
}

pub fn summary<'a>(
    places: impl IntoIterator<Item = &'a Place>,
    today: NaiveDate,
) -> QualitySummary {
    let mut s = QualitySummary::default();
    let mut total: u64 = 0;
    for p in places {
        s.places += 1;
        match freshness(p.updated_on, today) {
            Freshness::Fresh => s.fresh += 1,
            Freshness::ToReview => s.to_review += 1,
            Freshness::Stale => s.stale += 1,
        }
        if p.opening_hours.is_some() && !p.opening_hours_valid {
            s.invalid_hours += 1;
        }
        let c = completeness(p);
        if c.score < INCOMPLETE_BELOW {
            s.incomplete += 1;
        }
        total += u64::from(c.score);
    }
    if s.places > 0 {
        s.mean_completeness = u8::try_from(total / s.places as u64).unwrap_or(100);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Service;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn freshness_follows_the_yearly_check() {
        let today = day("2026-11-22");
        assert_eq!(freshness(day("2026-06-01"), today), Freshness::Fresh);
        assert_eq!(freshness(day("2026-05-22"), today), Freshness::ToReview);
        assert_eq!(freshness(day("2025-11-23"), today), Freshness::ToReview);
        assert_eq!(freshness(day("2025-11-22"), today), Freshness::Stale);
        assert_eq!(freshness(day("2027-01-01"), today), Freshness::Fresh);
    }

    #[test]
    fn completeness_weighs_what_helpers_need() {
        let mut p = Place::new("x", "Lieu", "1 rue A", "54000", "Nancy", day("2026-01-01"));
        let empty = completeness(&p);
        assert_eq!(empty.score, 0);
        assert_eq!(empty.missing.len(), COMPLETENESS_ITEMS.len());
        p.services = vec![Service::AdministrativeProcedures];
        p.opening_hours = Some("Mo 10:00-12:00".into());
        p.opening_hours_valid = true;
        p.phone = Some("+33383000000".into());
        assert_eq!(completeness(&p).score, 55);
        p.opening_hours_valid = false;
        let c = completeness(&p);
        assert_eq!(c.score, 35);
        assert_eq!(c.missing[0], "horaires valides");
        let s = summary([&p], day("2027-06-01"));
        assert_eq!(
            (s.places, s.stale, s.invalid_hours, s.incomplete),
            (1, 1, 1, 1)
        );
    }

    #[test]
    fn weights_sum_to_one_hundred() {
        assert_eq!(
            COMPLETENESS_ITEMS
                .iter()
                .map(|(_, w)| u32::from(*w))
                .sum::<u32>(),
            100
        );
    }

    proptest! {
        #[test]
        fn months_between_agrees_with_adding_months(y in 2000i32..2040, m in 1u32..13, d in 1u32..29, n in 0u32..40) {
            let from = NaiveDate::from_ymd_opt(y, m, d).expect("date");
            let to = from.checked_add_months(chrono::Months::new(n)).expect("date");
            prop_assert_eq!(months_between(from, to), n);
            if let Some(before) = to.pred_opt() {
                prop_assert_eq!(months_between(from, before), n.saturating_sub(1));
            }
        }
    }
}
