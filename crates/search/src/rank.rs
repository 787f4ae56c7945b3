//! Ranking and caching: the best results kept while scanning, the area asked, local opening times, the cache of recent searches.

use super::*;

/// How many recent searches an index remembers.
pub(super) const CACHE_ENTRIES: usize = 1_024;

/// The cache key of a search: every field, with "now" truncated to the minute (opening hours
/// have minute precision). Large pages (exports) are not cached.
pub(super) fn cache_key(q: &SearchQuery) -> Option<String> {
    if q.limit > 100 {
        return None;
    }
    let mut q = q.clone();
    if let Some(OpenFilter::Now(now)) = q.open {
        q.open = Some(OpenFilter::Now(
            DateTime::from_timestamp(now.timestamp() - now.timestamp().rem_euclid(60), 0)
                .unwrap_or(now),
        ));
    }
    Some(format!("{q:?}"))
}

/// A place that passed the filters, before paging.
pub(super) struct Found {
    /// Slot of the entry.
    pub(super) entry: u32,
    /// Position in directory order.
    pub(super) rank: u32,
    pub(super) score: f32,
    pub(super) distance_m: Option<f64>,
    pub(super) open: Option<bool>,
    pub(super) key: f64,
}

impl Found {
    /// A place found by words alone: ranked by its text score, then directory order.
    pub(super) fn by_words(entry: u32, rank: u32, score: f32, any_word: bool) -> Found {
        Found {
            entry,
            rank,
            score,
            distance_m: None,
            open: None,
            key: rank_key(score, None, true, false, any_word),
        }
    }

    /// Best first: higher rank key, then directory order.
    pub(super) fn order(&self, other: &Found) -> std::cmp::Ordering {
        other
            .key
            .total_cmp(&self.key)
            .then_with(|| self.rank.cmp(&other.rank))
    }
}

/// In a max-heap, the worst kept result sits on top and is the one to replace.
pub(super) struct Worst(Found);

impl PartialEq for Worst {
    fn eq(&self, other: &Self) -> bool {
        self.0.order(&other.0).is_eq()
    }
}
impl Eq for Worst {}
impl PartialOrd for Worst {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Worst {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.order(&other.0)
    }
}

/// The best results up to the end of the asked page: a bounded heap for a page, a plain list
/// sorted at the end for a whole export.
pub(super) enum Best {
    Page(std::collections::BinaryHeap<Worst>, usize),
    All(Vec<Found>),
}

impl Best {
    const HEAP_UP_TO: usize = 2_000;

    pub(super) fn new(capacity: usize) -> Self {
        if capacity <= Self::HEAP_UP_TO {
            Best::Page(
                std::collections::BinaryHeap::with_capacity(capacity + 1),
                capacity,
            )
        } else {
            Best::All(Vec::new())
        }
    }

    pub(super) fn is_full(&self) -> bool {
        match self {
            Best::Page(heap, capacity) => heap.len() >= *capacity,
            Best::All(_) => false,
        }
    }

    pub(super) fn offer(&mut self, found: Found) {
        match self {
            Best::Page(heap, capacity) => {
                if heap.len() < *capacity {
                    heap.push(Worst(found));
                } else if let Some(mut worst) = heap.peek_mut()
                    && found.order(&worst.0).is_lt()
                {
                    *worst = Worst(found);
                }
            }
            Best::All(list) => list.push(found),
        }
    }

    /// The score a text match must exceed to enter a full page when results are ranked by
    /// their text score alone (their key is then their score): just below the score of the
    /// page's last (a tie may still come before it in directory order); any score before.
    pub(super) fn score_threshold(&self) -> f32 {
        match self {
            Best::Page(heap, capacity) if heap.len() >= *capacity => {
                heap.peek().map_or(f32::MIN, |worst| {
                    debug_assert_eq!(worst.0.key, f64::from(worst.0.score));
                    worst.0.score.next_down()
                })
            }
            _ => f32::MIN,
        }
    }

    /// Best first (directory order when nothing ranks, since every key is then equal).
    pub(super) fn into_sorted(self) -> Vec<Found> {
        match self {
            Best::Page(heap, _) => heap.into_sorted_vec().into_iter().map(|w| w.0).collect(),
            Best::All(mut list) => {
                list.sort_by(Found::order);
                list
            }
        }
    }
}

/// The centre of a search and its radius, with a bounding box that rules most places out
/// before any trigonometry.
pub(super) struct Area {
    pub(super) centre: GeoPoint,
    pub(super) radius_m: Option<f64>,
    pub(super) lat_span: f64,
    pub(super) lon_span: f64,
    pub(super) cos_lat: f64,
}

impl Area {
    const METRES_PER_DEGREE: f64 = 111_195.0;

    pub(super) fn new(centre: GeoPoint, radius_m: Option<f64>) -> Self {
        let (lat_span, lon_span) = match radius_m {
            Some(r) => {
                let lat_span = r / Self::METRES_PER_DEGREE;
                // The box widens towards the pole: use the latitude nearest to it.
                let lat = (centre.lat.abs() + lat_span).min(89.0);
                (lat_span, lat_span / lat.to_radians().cos())
            }
            None => (f64::INFINITY, f64::INFINITY),
        };
        Area {
            centre,
            radius_m,
            lat_span,
            lon_span,
            cos_lat: centre.lat.to_radians().cos(),
        }
    }

    /// The distance to the centre, or `None` when the place is outside the radius. Exact
    /// (great circle) inside a radius; without one, an equirectangular approximation good to a
    /// fraction of a percent at the scale of France, enough to rank, and free of trigonometry.
    pub(super) fn distance_m(&self, p: GeoPoint, cos_lat: f64) -> Option<f64> {
        match self.radius_m {
            Some(r) => {
                if (p.lat - self.centre.lat).abs() > self.lat_span
                    || (p.lon - self.centre.lon).abs() > self.lon_span
                {
                    return None;
                }
                Some(self.centre.distance_m(p)).filter(|d| *d <= r)
            }
            None => Some(self.centre.approx_distance_m(p, self.cos_lat, cos_lat)),
        }
    }
}

/// Local "now" per time zone, computed once per search (metropolitan France and the overseas
/// départements use a handful of zones).
#[derive(Default)]
pub(super) struct LocalTimes(Vec<(chrono_tz::Tz, NaiveDateTime, Option<u32>)>);

impl LocalTimes {
    pub(super) fn of(
        &mut self,
        now: DateTime<Utc>,
        tz: chrono_tz::Tz,
    ) -> (NaiveDateTime, Option<u32>) {
        if let Some((_, local, minute)) = self.0.iter().find(|(z, _, _)| *z == tz) {
            return (*local, *minute);
        }
        let local = now.with_timezone(&tz).naive_local();
        let minute = minutes_since_epoch(local);
        self.0.push((tz, local, minute));
        (local, minute)
    }
}

/// Local date-times are cached as minutes since 2000-01-01 (opening hours have minute
/// precision).
pub(super) const EPOCH: NaiveDateTime = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d.and_time(NaiveTime::MIN),
    None => NaiveDateTime::MIN,
};

pub(super) fn minutes_since_epoch(t: NaiveDateTime) -> Option<u32> {
    let minutes = (t - EPOCH).num_minutes();
    u32::try_from(minutes).ok().filter(|m| *m < SpanCache::MAX)
}

/// The last evaluated span of a place's opening state: `[start, end)` in minutes and the state,
/// packed in one atomic word so that concurrent searches share it without locks.
#[derive(Default)]
pub(super) struct SpanCache(AtomicU64);

impl SpanCache {
    pub(super) const MAX: u32 = (1 << 31) - 1;

    pub(super) fn lookup(&self, minute: u32) -> Option<Option<bool>> {
        let word = self.0.load(AtomicOrdering::Relaxed);
        let start = (word >> 33) as u32;
        let end = ((word >> 2) & u64::from(Self::MAX)) as u32;
        if start <= minute && minute < end {
            Some(match word & 0b11 {
                2 => Some(true),
                1 => Some(false),
                _ => None,
            })
        } else {
            None
        }
    }

    pub(super) fn store(&self, start: u32, end: u32, state: Option<bool>) {
        let state = match state {
            Some(true) => 2,
            Some(false) => 1,
            None => 0,
        };
        let word = (u64::from(start & Self::MAX) << 33) | (u64::from(end & Self::MAX) << 2) | state;
        self.0.store(word, AtomicOrdering::Relaxed);
    }
}

/// Whether [`rank_key`] reads the text's score: not when words near a place are ranked by
/// distance alone (every word asked, the words only choosing which places match).
pub(super) fn rank_reads_score(by_distance: bool, any_word: bool) -> bool {
    !by_distance || any_word
}

/// Relevance and distance together. Near a place, results read in distance order: every word
/// matched, nearest first (a place without coordinates counts as 1,000 km away); words optional
/// (`any_word`), ring by ring of distance and the best match first within a ring. Without a
/// place, the text score; without either, directory order.
pub(super) fn rank_key(
    score: f32,
    distance_m: Option<f64>,
    by_text: bool,
    by_distance: bool,
    any_word: bool,
) -> f64 {
    let d_km = distance_m.map_or(1_000_000.0, |d| d / 1000.0);
    match (by_text, by_distance) {
        (true, true) if any_word => {
            // The rings of orientation's ranking.
            let ring = maillage_domain::orientation::ring(distance_m);
            // Scores stay far below 1,000: a nearer ring always wins.
            -(ring as f64) * 1_000.0 + f64::from(score).min(999.0)
        }
        (true, false) => f64::from(score),
        (_, true) => -d_km,
        (false, false) => 0.0,
    }
}

/// The located places by square of a grid over latitude and longitude: a search within a
/// radius visits only the squares its box touches instead of the whole directory.
#[derive(Default)]
pub(super) struct Grid {
    cells: HashMap<(i32, i32), Vec<u32>>,
}

impl Grid {
    /// Side of a square, in degrees (about 11 km of latitude, 7 km of longitude in France).
    const STEP: f64 = 0.1;
    /// A box over more squares than this is searched by reading every place.
    const MAX_CELLS: usize = 4_096;

    fn cell_of(p: GeoPoint) -> (i32, i32) {
        (
            (p.lat / Self::STEP).floor() as i32,
            (p.lon / Self::STEP).floor() as i32,
        )
    }

    pub(super) fn add(&mut self, p: Option<GeoPoint>, slot: u32, touched: &mut Vec<(i32, i32)>) {
        if let Some(p) = p {
            let cell = Self::cell_of(p);
            self.cells.entry(cell).or_default().push(slot);
            touched.push(cell);
        }
    }

    pub(super) fn touch(p: Option<GeoPoint>, touched: &mut Vec<(i32, i32)>) {
        if let Some(p) = p {
            touched.push(Self::cell_of(p));
        }
    }

    /// Drops removed slots from the touched squares.
    pub(super) fn tidy(&mut self, touched: &mut Vec<(i32, i32)>, rank: &[u32]) {
        touched.sort_unstable();
        touched.dedup();
        for cell in touched.drain(..) {
            if let Some(list) = self.cells.get_mut(&cell) {
                list.retain(|s| rank.get(*s as usize).is_some_and(|r| *r != DEAD));
                if list.is_empty() {
                    self.cells.remove(&cell);
                }
            }
        }
    }

    /// Every slot whose square meets the area's box (a superset of the places within its
    /// radius), or `None` when the area has no radius, crosses the antimeridian or covers too
    /// many squares to be worth it.
    pub(super) fn within(&self, area: &Area) -> Option<Vec<u32>> {
        area.radius_m?;
        let (south, north) = (
            area.centre.lat - area.lat_span,
            area.centre.lat + area.lat_span,
        );
        let (west, east) = (
            area.centre.lon - area.lon_span,
            area.centre.lon + area.lon_span,
        );
        if !(west >= -180.0 && east <= 180.0 && south.is_finite() && north.is_finite()) {
            return None;
        }
        let (s, w) = Self::cell_of(GeoPoint {
            lat: south,
            lon: west,
        });
        let (n, e) = Self::cell_of(GeoPoint {
            lat: north,
            lon: east,
        });
        let cells = (i64::from(n - s) + 1) * (i64::from(e - w) + 1);
        if cells > Self::MAX_CELLS as i64 {
            return None;
        }
        let mut slots = Vec::new();
        for lat in s..=n {
            for lon in w..=e {
                if let Some(list) = self.cells.get(&(lat, lon)) {
                    slots.extend_from_slice(list);
                }
            }
        }
        Some(slots)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wherever the ranking is said not to read the score, two scores give the same key;
    /// wherever it is said to, they do not.
    #[test]
    fn the_ranking_reads_the_score_exactly_where_it_says() {
        for distance_m in [None, Some(0.0), Some(1_500.0), Some(40_000.0)] {
            for by_distance in [false, true] {
                for any_word in [false, true] {
                    let key = |score| rank_key(score, distance_m, true, by_distance, any_word);
                    assert_eq!(
                        key(1.0) != key(2.0),
                        rank_reads_score(by_distance, any_word),
                        "{distance_m:?} {by_distance} {any_word}"
                    );
                }
            }
        }
    }
}
