//! One pass over the cube: the counters of every indicator, then the tables.

use super::*;

impl Compiled {
    #[inline]
    pub(super) fn accepts(&self, f: &Fact, tag_refs: &[u32]) -> bool {
        let within = |set: &Option<Vec<bool>>, i: u32| {
            set.as_ref()
                .is_none_or(|s| s.get(i as usize).copied().unwrap_or(false))
        };
        f.live
            && f.day >= self.from
            && f.day <= self.to
            && self.kinds & (1u32 << f.kind) != 0
            && self.themes.is_none_or(|t| t & f.themes != 0)
            && self.levels & (1u32 << f.level) != 0
            && within(&self.orgs, f.org)
            && within(&self.helpers, f.helper)
            && within(&self.places, f.place)
            && within(&self.communes, f.commune)
            && (self.tags.is_none()
                || tag_refs
                    .get(f.tags.0 as usize..(f.tags.0 as usize + f.tags.1 as usize))
                    .is_some_and(|t| t.iter().any(|&t| within(&self.tags, t))))
    }
}

/// Counters filled in one pass.
pub(super) struct Accumulator {
    pub(super) records: u64,
    pub(super) accompaniments: u64,
    pub(super) anonymous: u64,
    pub(super) minutes: u64,
    pub(super) sessions: u64,
    pub(super) participants: u64,
    pub(super) oriented: u64,
    pub(super) by_kind: [u64; 3],
    /// By month since January 2000.
    pub(super) months: Vec<u64>,
    pub(super) themes: [u64; 32],
    pub(super) procedure_themes: [u64; 16],
    pub(super) procedure_names: Vec<u64>,
    pub(super) outcomes: [u64; 4],
    pub(super) equipment: [u64; 8],
    pub(super) durations: [u64; 5],
    pub(super) venues: [u64; 4],
    pub(super) places: Vec<u64>,
    pub(super) autonomy: [u64; 3],
    pub(super) redirections: [u64; 5],
    pub(super) referrals: Vec<bool>,
    pub(super) helpers: Vec<u64>,
    /// Followed persons met (bitset).
    pub(super) seen: Vec<u64>,
    pub(super) anon_ages: [u64; 6],
    pub(super) anon_genders: [u64; 2],
    pub(super) anon_statuses: [u64; 4],
    pub(super) anon_communes: Vec<u64>,
}

impl Accumulator {
    pub(super) fn new(cube: &Cube) -> Self {
        Self {
            records: 0,
            accompaniments: 0,
            anonymous: 0,
            minutes: 0,
            sessions: 0,
            participants: 0,
            oriented: 0,
            by_kind: [0; 3],
            months: vec![0; 12 * 200],
            themes: [0; 32],
            procedure_themes: [0; 16],
            procedure_names: vec![0; cube.procedures.len()],
            outcomes: [0; 4],
            equipment: [0; 8],
            durations: [0; 5],
            venues: [0; 4],
            places: vec![0; cube.places.len()],
            autonomy: [0; 3],
            redirections: [0; 5],
            referrals: vec![false; cube.referrals.len()],
            helpers: vec![0; cube.helpers.len()],
            seen: vec![0; cube.persons.len().div_ceil(64)],
            anon_ages: [0; 6],
            anon_genders: [0; 2],
            anon_statuses: [0; 4],
            anon_communes: vec![0; cube.communes.len()],
        }
    }

    /// Adds the counters of another pass over other facts.
    pub(super) fn merge(&mut self, o: Accumulator) {
        fn add(a: &mut [u64], b: &[u64]) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        self.records += o.records;
        self.accompaniments += o.accompaniments;
        self.anonymous += o.anonymous;
        self.minutes += o.minutes;
        self.sessions += o.sessions;
        self.participants += o.participants;
        self.oriented += o.oriented;
        add(&mut self.by_kind, &o.by_kind);
        add(&mut self.months, &o.months);
        add(&mut self.themes, &o.themes);
        add(&mut self.procedure_themes, &o.procedure_themes);
        add(&mut self.procedure_names, &o.procedure_names);
        add(&mut self.outcomes, &o.outcomes);
        add(&mut self.equipment, &o.equipment);
        add(&mut self.durations, &o.durations);
        add(&mut self.venues, &o.venues);
        add(&mut self.places, &o.places);
        add(&mut self.autonomy, &o.autonomy);
        add(&mut self.redirections, &o.redirections);
        add(&mut self.helpers, &o.helpers);
        add(&mut self.anon_ages, &o.anon_ages);
        add(&mut self.anon_genders, &o.anon_genders);
        add(&mut self.anon_statuses, &o.anon_statuses);
        add(&mut self.anon_communes, &o.anon_communes);
        for (x, y) in self.referrals.iter_mut().zip(&o.referrals) {
            *x |= *y;
        }
        for (x, y) in self.seen.iter_mut().zip(&o.seen) {
            *x |= *y;
        }
    }

    #[inline]
    pub(super) fn add(&mut self, cube: &Cube, f: &Fact) {
        self.records += 1;
        let group = cube.groups.get(f.group as usize);
        let anonymous = group.map(|g| u64::from(g.total)).unwrap_or(0);
        let people = u64::from(f.persons.1) + anonymous;
        self.accompaniments += people;
        self.anonymous += anonymous;
        self.minutes += u64::from(f.duration);
        if f.kind == COLLECTIVE {
            self.sessions += 1;
            self.participants += people;
        }
        if let Some(k) = self.by_kind.get_mut(f.kind as usize) {
            *k += 1;
        }
        if let Some(m) = self.months.get_mut(f.month as usize) {
            *m += 1;
        }
        bits(f.themes, &mut self.themes);
        bits(u32::from(f.procedures), &mut self.procedure_themes);
        bits(u32::from(f.equipment), &mut self.equipment);
        if f.procedure != 0 {
            bump(&mut self.procedure_names, f.procedure, 1);
        }
        count(&mut self.outcomes, f.outcome);
        count(&mut self.venues, f.venue);
        count(&mut self.autonomy, f.autonomy);
        count(&mut self.redirections, f.redirection);
        let bucket = match f.duration {
            0..=30 => 0,
            31..=60 => 1,
            61..=90 => 2,
            91..=120 => 3,
            _ => 4,
        };
        self.durations[bucket] += 1;
        if f.place != 0 {
            bump(&mut self.places, f.place, 1);
        }
        bump(&mut self.helpers, f.helper, 1);
        if f.oriented {
            self.oriented += 1;
        }
        if f.referral != 0
            && let Some(r) = self.referrals.get_mut(f.referral as usize)
        {
            *r = true;
        }
        let (start, len) = (f.persons.0 as usize, f.persons.1 as usize);
        if let Some(refs) = cube.person_refs.get(start..start + len) {
            for &p in refs {
                if let Some(w) = self.seen.get_mut(p as usize / 64) {
                    *w |= 1 << (p % 64);
                }
            }
        }
        if let Some(g) = group {
            add_all(&mut self.anon_ages, &g.ages);
            add_all(&mut self.anon_genders, &g.genders);
            add_all(&mut self.anon_statuses, &g.statuses);
            if g.commune != 0 {
                bump(&mut self.anon_communes, g.commune, u64::from(g.total));
            }
        }
    }

    pub(super) fn finish(self, cube: &Cube, filter: &Filter) -> Statistics {
        // Followed persons met, once each, with their profile.
        let mut followed = 0u64;
        let mut new = 0u64;
        let mut ages = self.anon_ages;
        let mut genders = self.anon_genders;
        let mut statuses = self.anon_statuses;
        let mut communes = self.anon_communes;
        let from = filter
            .from
            .map(|d| d.num_days_from_ce())
            .unwrap_or(i32::MIN);
        for (w, word) in self.seen.iter().enumerate() {
            let mut word = *word;
            while word != 0 {
                let bit = word.trailing_zeros() as usize;
                word &= word - 1;
                let Some(p) = cube.persons.get(w * 64 + bit) else {
                    continue;
                };
                followed += 1;
                if p.first_day >= from {
                    new += 1;
                }
                count(&mut ages, p.age);
                count(&mut genders, p.gender);
                count(&mut statuses, p.status);
                if p.commune != 0 {
                    bump(&mut communes, p.commune, 1);
                }
            }
        }
        let persons = followed + self.anonymous;
        let per_session = if self.sessions == 0 {
            0.0
        } else {
            (self.participants as f64 * 10.0 / self.sessions as f64).round() / 10.0
        };
        let figures = vec![
            (Indicator::Records, self.records as f64),
            (Indicator::Accompaniments, self.accompaniments as f64),
            (Indicator::Persons, persons as f64),
            (Indicator::FollowedPersons, followed as f64),
            (Indicator::NewPersons, new as f64),
            (Indicator::AnonymousPersons, self.anonymous as f64),
            (Indicator::Hours, (self.minutes as f64 / 6.0).round() / 10.0),
            (Indicator::WorkshopSessions, self.sessions as f64),
            (Indicator::WorkshopParticipants, self.participants as f64),
            (Indicator::ParticipantsPerSession, per_session),
            (Indicator::Oriented, self.oriented as f64),
        ]
        .into_iter()
        .map(|(indicator, value)| Figure { indicator, value })
        .collect();

        let month_rows = self
            .months
            .iter()
            .enumerate()
            .filter(|(_, v)| **v > 0)
            .map(|(m, &v)| {
                let m = m as u16;
                let (year, month0) = (2000 + u32::from(m) / 12, u32::from(m) % 12);
                Row {
                    key: format!("{year}-{:02}", month0 + 1),
                    label: format!("{} {year}", crate::hours::month_name(month0)),
                    value: v,
                }
            })
            .collect();
        let mut referral_outcomes = [0u64; 16];
        let mut referral_total = 0;
        for (r, _) in self.referrals.iter().enumerate().filter(|(_, seen)| **seen) {
            referral_total += 1;
            count(
                &mut referral_outcomes,
                cube.referral_status.get(r).copied().unwrap_or(NONE),
            );
        }
        let persons_table = |indicator, counts: &[u64], labels: Vec<Row>| Table {
            indicator,
            base: persons,
            rows: with_unknown(labels, counts, persons),
        };
        let tables = vec![
            vocabulary_table::<ActivityKind>(Indicator::ByKind, &self.by_kind, self.records),
            Table {
                indicator: Indicator::ByMonth,
                base: self.records,
                rows: month_rows,
            },
            vocabulary_table::<MediationTheme>(Indicator::Themes, &self.themes, self.records),
            vocabulary_table::<ProcedureTheme>(
                Indicator::ProcedureThemes,
                &self.procedure_themes,
                self.by_kind[PROCEDURE],
            ),
            top_table(
                Indicator::ProcedureNames,
                self.procedure_names,
                &cube.procedures,
                15,
                self.by_kind[PROCEDURE],
            ),
            vocabulary_table::<ProcedureOutcome>(
                Indicator::ProcedureOutcomes,
                &self.outcomes,
                self.by_kind[PROCEDURE],
            ),
            vocabulary_table::<Equipment>(Indicator::Equipment, &self.equipment, self.records),
            Table {
                indicator: Indicator::Durations,
                base: self.records,
                rows: [
                    ("0-30", "30 min ou moins"),
                    ("31-60", "De 31 min à 1 h"),
                    ("61-90", "De 1 h 01 à 1 h 30"),
                    ("91-120", "De 1 h 31 à 2 h"),
                    ("121+", "Plus de 2 h"),
                ]
                .into_iter()
                .zip(self.durations)
                .map(|((key, label), value)| Row {
                    key: key.into(),
                    label: label.into(),
                    value,
                })
                .collect(),
            },
            vocabulary_table::<Venue>(Indicator::Venues, &self.venues, self.records),
            top_table(
                Indicator::Places,
                self.places,
                &cube.places,
                20,
                self.records,
            ),
            {
                let known: u64 = communes.iter().sum();
                let mut t = top_table(Indicator::Communes, communes, &cube.communes, 20, persons);
                t.rows.push(Row {
                    key: String::new(),
                    label: "Non renseignée".into(),
                    value: persons.saturating_sub(known),
                });
                t
            },
            persons_table(Indicator::Ages, &ages, labels::<AgeBracket>()),
            persons_table(Indicator::Genders, &genders, labels::<Gender>()),
            persons_table(
                Indicator::SocialStatuses,
                &statuses,
                labels::<SocialStatus>(),
            ),
            vocabulary_table::<Autonomy>(
                Indicator::Autonomy,
                &self.autonomy,
                self.by_kind[INDIVIDUAL] + self.by_kind[PROCEDURE],
            ),
            vocabulary_table::<Redirection>(
                Indicator::Redirections,
                &self.redirections,
                self.oriented,
            ),
            vocabulary_table::<ReferralStatus>(
                Indicator::ReferralOutcomes,
                &referral_outcomes,
                referral_total,
            ),
            top_table(
                Indicator::Helpers,
                self.helpers,
                &cube.helpers,
                50,
                self.records,
            ),
        ];
        Statistics { figures, tables }
    }
}

#[inline]
pub(super) fn bits(mask: u32, counters: &mut [u64]) {
    let mut m = mask;
    while m != 0 {
        let i = m.trailing_zeros() as usize;
        m &= m - 1;
        if let Some(c) = counters.get_mut(i) {
            *c += 1;
        }
    }
}

#[inline]
pub(super) fn count(counters: &mut [u64], index: u8) {
    if let Some(c) = counters.get_mut(index as usize) {
        *c += 1;
    }
}

pub(super) fn add_all(counters: &mut [u64], values: &[u32]) {
    for (c, v) in counters.iter_mut().zip(values) {
        *c += u64::from(*v);
    }
}

pub(super) fn labels<V: Vocabulary>() -> Vec<Row> {
    V::ALL
        .iter()
        .map(|v| Row {
            key: v.slug().into(),
            label: v.label().into(),
            value: 0,
        })
        .collect()
}

pub(super) fn vocabulary_table<V: Vocabulary>(
    indicator: Indicator,
    counts: &[u64],
    base: u64,
) -> Table {
    let rows = labels::<V>()
        .into_iter()
        .zip(counts.iter().copied().chain(std::iter::repeat(0)))
        .map(|(row, value)| Row { value, ..row })
        .collect();
    Table {
        indicator,
        base,
        rows,
    }
}

pub(super) fn with_unknown(rows: Vec<Row>, counts: &[u64], total: u64) -> Vec<Row> {
    let mut rows: Vec<Row> = rows
        .into_iter()
        .zip(counts.iter().copied())
        .map(|(row, value)| Row { value, ..row })
        .collect();
    let known: u64 = rows.iter().map(|r| r.value).sum();
    rows.push(Row {
        key: String::new(),
        label: "Non renseigné".into(),
        value: total.saturating_sub(known),
    });
    rows
}

#[inline]
pub(super) fn bump(counters: &mut [u64], index: u32, by: u64) {
    if let Some(c) = counters.get_mut(index as usize) {
        *c += by;
    }
}

pub(super) fn top_table(
    indicator: Indicator,
    counts: Vec<u64>,
    dict: &Dictionary,
    limit: usize,
    base: u64,
) -> Table {
    let mut rows: Vec<(u64, &str)> = counts
        .into_iter()
        .enumerate()
        .filter(|(_, v)| *v > 0)
        .map(|(k, v)| (v, dict.key(k as u32)))
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    rows.truncate(limit);
    Table {
        indicator,
        base,
        rows: rows
            .into_iter()
            .map(|(value, key)| Row {
                key: key.to_string(),
                label: if key.is_empty() {
                    "Non renseigné".to_string()
                } else {
                    key.to_string()
                },
                value,
            })
            .collect(),
    }
}
