//! The cube: the activity records as columns of numbers (ADR 0016).

use super::*;

/// Interned strings: 0 means « none ».
#[derive(Debug, Clone, Default)]
pub(super) struct Dictionary {
    pub(super) keys: Vec<String>,
    pub(super) index: HashMap<String, u32>,
}

impl Dictionary {
    /// The dictionary of these keys, in this order (a snapshot's).
    pub(super) fn from_keys(keys: Vec<String>) -> Self {
        let index = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.clone(), i as u32 + 1))
            .collect();
        Dictionary { keys, index }
    }

    pub(super) fn intern(&mut self, key: Option<&str>) -> u32 {
        let Some(key) = key.filter(|k| !k.is_empty()) else {
            return 0;
        };
        if let Some(&i) = self.index.get(key) {
            return i;
        }
        self.keys.push(key.to_string());
        let i = self.keys.len() as u32;
        self.index.insert(key.to_string(), i);
        i
    }
    pub(super) fn get(&self, key: &str) -> Option<u32> {
        self.index.get(key).copied()
    }
    pub(super) fn key(&self, i: u32) -> &str {
        i.checked_sub(1)
            .and_then(|i| self.keys.get(i as usize))
            .map(String::as_str)
            .unwrap_or("")
    }
    pub(super) fn len(&self) -> usize {
        self.keys.len() + 1
    }
}

pub(super) const NONE: u8 = u8::MAX;
/// Positions of the kinds in [`ActivityKind::ALL`].
pub(super) const INDIVIDUAL: usize = 0;
pub(super) const COLLECTIVE: u8 = 1;
pub(super) const PROCEDURE: usize = 2;

pub(super) fn index_of<V: Vocabulary>(v: Option<V>) -> u8 {
    v.and_then(|v| V::ALL.iter().position(|x| *x == v))
        .map(|i| i as u8)
        .unwrap_or(NONE)
}

pub(super) fn mask<V: Vocabulary>(values: &[V]) -> u32 {
    values
        .iter()
        .filter_map(|v| V::ALL.iter().position(|x| x == v))
        .fold(0, |m, i| m | (1 << i))
}

/// One activity, as numbers.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub(super) struct Fact {
    pub(super) day: i32,
    pub(super) month: u16,
    pub(super) duration: u16,
    pub(super) org: u32,
    pub(super) helper: u32,
    pub(super) place: u32,
    pub(super) commune: u32,
    pub(super) procedure: u32,
    pub(super) referral: u32,
    pub(super) themes: u32,
    pub(super) procedures: u16,
    pub(super) kind: u8,
    pub(super) venue: u8,
    pub(super) equipment: u8,
    pub(super) autonomy: u8,
    pub(super) outcome: u8,
    pub(super) redirection: u8,
    pub(super) level: u8,
    pub(super) oriented: bool,
    pub(super) live: bool,
    pub(super) persons: (u32, u16),
    pub(super) tags: (u32, u16),
    /// Index in `groups`, or `u32::MAX` when every participant is followed.
    pub(super) group: u32,
}

/// Anonymous participants of one activity, as numbers.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct GroupFact {
    pub(super) total: u32,
    pub(super) ages: [u32; 6],
    pub(super) genders: [u32; 2],
    pub(super) statuses: [u32; 4],
    pub(super) commune: u32,
}

#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct PersonFact {
    pub(super) age: u8,
    pub(super) gender: u8,
    pub(super) status: u8,
    pub(super) commune: u32,
    /// First day the person appears in any activity (`i32::MAX`: none).
    pub(super) first_day: i32,
}

/// An activity with where it belongs, to put in the cube.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// A unique, stable number for the record (the adapter derives it from its id).
    pub key: u128,
    pub activity: &'a Activity,
    pub organisation_id: &'a str,
    pub helper_id: Option<&'a str>,
}

/// The activity records as columns of numbers (see the module's documentation).
#[derive(Debug, Clone, Default)]
pub struct Cube {
    pub(super) keys: Vec<u128>,
    pub(super) facts: Vec<Fact>,
    pub(super) person_refs: Vec<u32>,
    pub(super) tag_refs: Vec<u32>,
    pub(super) groups: Vec<GroupFact>,
    pub(super) persons: Vec<PersonFact>,
    pub(super) person_ids: Dictionary,
    pub(super) orgs: Dictionary,
    pub(super) helpers: Dictionary,
    pub(super) places: Dictionary,
    pub(super) communes: Dictionary,
    pub(super) procedures: Dictionary,
    pub(super) tags: Dictionary,
    pub(super) referrals: Dictionary,
    pub(super) referral_status: Vec<u8>,
    pub(super) live: usize,
}

impl Cube {
    /// Number of activities in the cube.
    pub fn len(&self) -> usize {
        self.live
    }
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Records what is known of a followed person (before or after their activities).
    pub fn set_person(&mut self, person_id: &str, profile: &Profile) {
        let i = self.person_ids.intern(Some(person_id)) as usize;
        let commune = self.communes.intern(profile.commune.as_deref());
        if self.persons.len() <= i {
            self.persons.resize(
                i + 1,
                PersonFact {
                    first_day: i32::MAX,
                    ..Default::default()
                },
            );
        }
        let p = &mut self.persons[i];
        p.age = index_of(profile.age);
        p.gender = index_of(profile.gender);
        p.status = index_of(profile.status);
        p.commune = commune;
    }

    pub(super) fn person(&mut self, person_id: &str) -> u32 {
        let i = self.person_ids.intern(Some(person_id));
        if self.persons.len() <= i as usize {
            self.persons.resize(
                i as usize + 1,
                PersonFact {
                    age: NONE,
                    gender: NONE,
                    status: NONE,
                    commune: 0,
                    first_day: i32::MAX,
                },
            );
        }
        i
    }

    /// Records the current status of a referral of issue #6.
    pub fn set_referral_status(&mut self, referral_id: &str, status: ReferralStatus) {
        let i = self.referrals.intern(Some(referral_id)) as usize;
        if self.referral_status.len() <= i {
            self.referral_status.resize(i + 1, NONE);
        }
        self.referral_status[i] = index_of(Some(status));
    }

    /// Adds or replaces an activity.
    pub fn upsert(&mut self, entry: Entry<'_>) {
        let a = entry.activity;
        let persons_start = self.person_refs.len() as u32;
        for p in &a.persons {
            let i = self.person(p);
            self.person_refs.push(i);
            let day = a.date.num_days_from_ce();
            let first = &mut self.persons[i as usize].first_day;
            *first = (*first).min(day);
        }
        let tags_start = self.tag_refs.len() as u32;
        for t in &a.tags {
            let i = self.tags.intern(Some(t));
            self.tag_refs.push(i);
        }
        let group = if a.anonymous.total > 0 {
            let g = &a.anonymous;
            let mut fact = GroupFact {
                total: g.total,
                commune: self.communes.intern(g.commune.as_deref()),
                ..Default::default()
            };
            for (i, v) in AgeBracket::ALL.iter().enumerate() {
                fact.ages[i] = g.ages.get(*v);
            }
            for (i, v) in Gender::ALL.iter().enumerate() {
                fact.genders[i] = g.genders.get(*v);
            }
            for (i, v) in SocialStatus::ALL.iter().enumerate() {
                fact.statuses[i] = g.statuses.get(*v);
            }
            self.groups.push(fact);
            (self.groups.len() - 1) as u32
        } else {
            u32::MAX
        };
        let procedure_key = a
            .procedure_name
            .as_deref()
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "));
        let procedure = self.procedures.intern(procedure_key.as_deref());
        let fact = Fact {
            day: a.date.num_days_from_ce(),
            month: ((a.date.year() - 2000).max(0) * 12 + a.date.month0() as i32) as u16,
            duration: a.duration_minutes,
            org: self.orgs.intern(Some(entry.organisation_id)),
            helper: self.helpers.intern(entry.helper_id),
            place: self.places.intern(a.place_id.as_deref()),
            commune: self.communes.intern(a.insee_code.as_deref()),
            procedure,
            referral: self.referrals.intern(a.referral_id.as_deref()),
            themes: mask(&a.themes),
            procedures: mask(&a.procedure_themes) as u16,
            kind: index_of(Some(a.kind)),
            venue: index_of(Some(a.venue)),
            equipment: mask(&a.equipment) as u8,
            autonomy: index_of(a.autonomy),
            outcome: index_of(a.outcome),
            redirection: index_of(a.redirection),
            level: a.level.map(|l| l.number()).unwrap_or(0),
            oriented: a.oriented(),
            live: true,
            persons: (persons_start, a.persons.len() as u16),
            tags: (tags_start, a.tags.len() as u16),
            group,
        };
        match self.keys.binary_search(&entry.key) {
            Ok(i) => {
                if !self.facts[i].live {
                    self.live += 1;
                }
                self.facts[i] = fact;
            }
            Err(i) => {
                self.keys.insert(i, entry.key);
                self.facts.insert(i, fact);
                self.live += 1;
            }
        }
    }

    /// Removes an activity (kept as a tombstone until the cube is rebuilt).
    pub fn remove(&mut self, key: u128) {
        if let Ok(i) = self.keys.binary_search(&key)
            && self.facts[i].live
        {
            self.facts[i].live = false;
            self.live -= 1;
        }
    }

    pub(super) fn compile(&self, f: &Filter) -> Option<Compiled> {
        // A value the cube never saw matches nothing: the filter selects no activity.
        fn set(dict: &Dictionary, values: &[String]) -> Option<Option<Vec<bool>>> {
            if values.is_empty() {
                return Some(None);
            }
            let mut allowed = vec![false; dict.len()];
            let mut any = false;
            for v in values {
                if let Some(i) = dict.get(v) {
                    allowed[i as usize] = true;
                    any = true;
                }
            }
            any.then_some(Some(allowed))
        }
        Some(Compiled {
            from: f.from.map(|d| d.num_days_from_ce()).unwrap_or(i32::MIN),
            to: f.to.map(|d| d.num_days_from_ce()).unwrap_or(i32::MAX),
            kinds: if f.kinds.is_empty() {
                u32::MAX
            } else {
                mask(&f.kinds)
            },
            themes: (!f.themes.is_empty()).then(|| mask(&f.themes)),
            levels: if f.levels.is_empty() {
                u32::MAX
            } else {
                f.levels.iter().fold(0, |m, l| m | (1 << l.number()))
            },
            orgs: set(&self.orgs, &f.organisations)?,
            helpers: set(&self.helpers, &f.helpers)?,
            places: set(&self.places, &f.places)?,
            communes: set(&self.communes, &f.communes)?,
            tags: set(&self.tags, &f.tags)?,
        })
    }

    /// Per structure, what its records that pass the filter show it practises: (procedures,
    /// collective workshops, orientations) counts.
    pub fn practice_by_organisation(&self, filter: &Filter) -> Vec<(String, [u64; 3])> {
        let Some(c) = self.compile(filter) else {
            return Vec::new();
        };
        let mut counts = vec![[0u64; 3]; self.orgs.len()];
        for f in &self.facts {
            if c.accepts(f, &self.tag_refs)
                && let Some(row) = counts.get_mut(f.org as usize)
            {
                if f.kind as usize == PROCEDURE {
                    row[0] += 1;
                }
                if f.kind == COLLECTIVE {
                    row[1] += 1;
                }
                if f.oriented {
                    row[2] += 1;
                }
            }
        }
        counts
            .into_iter()
            .enumerate()
            .filter(|(i, row)| *i > 0 && row.iter().any(|n| *n > 0))
            .map(|(i, row)| (self.orgs.key(i as u32).to_string(), row))
            .collect()
    }

    /// Where the people met in the activities that pass the filter live, against where they
    /// were met: (commune of the activity, commune of residence — `None` when not said —,
    /// people). A followed person counts once per record, with the commune of their profile;
    /// anonymous participants with the commune said for a single person. Records without
    /// their own commune are left out (there is nothing to compare).
    pub fn origins(&self, filter: &Filter) -> Vec<(String, Option<String>, u64)> {
        let Some(c) = self.compile(filter) else {
            return Vec::new();
        };
        let mut counts: HashMap<(u32, u32), u64> = HashMap::new();
        for f in self.facts.iter().filter(|f| f.commune != 0) {
            if !c.accepts(f, &self.tag_refs) {
                continue;
            }
            let (start, len) = (f.persons.0 as usize, f.persons.1 as usize);
            for &p in self.person_refs.get(start..start + len).unwrap_or_default() {
                let home = self.persons.get(p as usize).map_or(0, |p| p.commune);
                *counts.entry((f.commune, home)).or_default() += 1;
            }
            if let Some(g) = self.groups.get(f.group as usize) {
                *counts.entry((f.commune, g.commune)).or_default() += u64::from(g.total);
            }
        }
        let mut out: Vec<(String, Option<String>, u64)> = counts
            .into_iter()
            .map(|((venue, home), n)| {
                (
                    self.communes.key(venue).to_string(),
                    (home != 0).then(|| self.communes.key(home).to_string()),
                    n,
                )
            })
            .collect();
        out.sort();
        out
    }

    /// Every indicator for the activities that pass the filter.
    pub fn statistics(&self, filter: &Filter) -> Statistics {
        let Some(c) = self.compile(filter) else {
            return Accumulator::new(self).finish(self, filter);
        };
        let pass = |facts: &[Fact]| {
            let mut acc = Accumulator::new(self);
            for fact in facts {
                if c.accepts(fact, &self.tag_refs) {
                    acc.add(self, fact);
                }
            }
            acc
        };
        // One pass per core over large cubes (the counters are merged after).
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(8);
        let acc = if threads < 2 || self.facts.len() < 200_000 {
            pass(&self.facts)
        } else {
            let size = self.facts.len().div_ceil(threads);
            std::thread::scope(|scope| {
                let handles: Vec<_> = self
                    .facts
                    .chunks(size)
                    .map(|chunk| scope.spawn(move || pass(chunk)))
                    .collect();
                let mut total = Accumulator::new(self);
                for h in handles {
                    match h.join() {
                        Ok(part) => total.merge(part),
                        Err(panic) => std::panic::resume_unwind(panic),
                    }
                }
                total
            })
        };
        acc.finish(self, filter)
    }
}

pub(super) struct Compiled {
    pub(super) from: i32,
    pub(super) to: i32,
    pub(super) kinds: u32,
    pub(super) themes: Option<u32>,
    pub(super) levels: u32,
    pub(super) orgs: Option<Vec<bool>>,
    pub(super) helpers: Option<Vec<bool>>,
    pub(super) places: Option<Vec<bool>>,
    pub(super) communes: Option<Vec<bool>>,
    pub(super) tags: Option<Vec<bool>>,
}
