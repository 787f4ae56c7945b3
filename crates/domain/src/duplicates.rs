//! Likely duplicates among places from several sources, after the ecosystem's shared rule
//! (re-implemented): names and addresses normalised, vetoes first, then a score — the weighted
//! mean of name similarity ×2, address similarity ×1 and distance score ×1 — where similarity
//! is the normalised indel ratio capped by an absolute edit budget. Candidate pairs are blocked
//! by commune. Pure: the caller brings the places and decides what to do with the pairs.

use std::collections::HashMap;

use crate::geo::GeoPoint;
use crate::text::fold;

/// What the rule reads of a place.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub id: &'a str,
    /// Where the record comes from (the standard's `source`, else the import's).
    pub source: Option<&'a str>,
    pub name: &'a str,
    pub address: &'a str,
    pub commune: &'a str,
    pub postcode: &'a str,
    pub insee_code: Option<&'a str>,
    pub location: Option<GeoPoint>,
    pub typologies: &'a [String],
}

impl<'a> Candidate<'a> {
    /// What the rule reads of a place, with the source it comes from.
    pub fn of(place: &'a crate::Place, source: Option<&'a str>) -> Self {
        Candidate {
            id: &place.id,
            source,
            name: &place.name,
            address: &place.address,
            commune: &place.commune,
            postcode: &place.postcode,
            insee_code: place.insee_code.as_deref(),
            location: place.location,
            typologies: &place.typologies,
        }
    }
}

/// Why a pair is ruled out, whatever its score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Veto {
    /// A name that designates nothing ("[Non diffusible]"…).
    MeaninglessName,
    /// Neither an address nor coordinates.
    NotLocated,
    DifferentCommune,
    IncompatibleTypologies,
    SameSource,
}

impl Veto {
    /// Plain French, for the review queue and reports.
    pub fn label(self) -> &'static str {
        match self {
            Veto::MeaninglessName => "un des noms ne désigne rien (« non diffusible »…)",
            Veto::NotLocated => "un des lieux n'a ni adresse ni coordonnées",
            Veto::DifferentCommune => "communes différentes",
            Veto::IncompatibleTypologies => "types de structure incompatibles",
            Veto::SameSource => "même source (une source ne se duplique pas elle-même)",
        }
    }
}

/// Settings of the rule (a coordinator may change them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DedupSettings {
    /// From this score, a merge is proposed as near-certain.
    pub certain: f64,
    /// From this score (and below `certain`), the pair goes to review.
    pub review: f64,
    /// Also compare records of the same source.
    pub same_source: bool,
}

impl Default for DedupSettings {
    fn default() -> Self {
        DedupSettings {
            certain: 85.0,
            review: 70.0,
            same_source: false,
        }
    }
}

/// Component scores of a pair, each from 0 to 100.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Scores {
    pub name: f64,
    /// `None` when one of the places has no address.
    pub address: Option<f64>,
    /// `None` when one of the places has no coordinates.
    pub distance: Option<f64>,
    pub distance_m: Option<f64>,
    /// The same address, within [`SAME_ADDRESS_M`] (or without coordinates): the score is raised
    /// to at least [`SAME_ADDRESS_SCORE`], whatever the names (issue #10).
    pub same_address: bool,
}

/// The comparison of two places.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub score: f64,
    pub scores: Scores,
    pub vetoes: Vec<Veto>,
}

impl Comparison {
    pub fn is_vetoed(&self) -> bool {
        !self.vetoes.is_empty()
    }
}

/// A pair found among a list of candidates (indices into that list).
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub a: usize,
    pub b: usize,
    pub comparison: Comparison,
}

/// Address similarity from which two addresses are the same (house-number and spelling
/// variants: « 27 bis Avenue de la Trillade » / « 27 Avenue de la Trillade »).
pub const SAME_ADDRESS: f64 = 95.0;
/// Distance within which two records at the same address are one place.
pub const SAME_ADDRESS_M: f64 = 100.0;
/// The score of two records of different sources at the same address, whatever their names: in
/// the review band, never merged without a coordinator (a building may house two services).
pub const SAME_ADDRESS_SCORE: f64 = 80.0;

/// Largest number of edits two texts may differ by and still be called similar.
const EDIT_BUDGET: usize = 30;
/// Distance under which two points are the same place.
const SAME_PLACE_M: f64 = 50.0;

/// Name normalised: folded, administrative prefixes ("Mairie de", "Commune de", "Ville de")
/// become "ville", abbreviations expanded, light de-pluralisation.
pub fn normalize_name(name: &str) -> String {
    let folded = fold(name);
    let mut rest = folded.as_str();
    let mut words: Vec<String> = Vec::new();
    for prefix in [
        "hotel de ville de ",
        "hotel de ville d ",
        "mairie de ",
        "mairie d ",
        "commune de ",
        "commune d ",
        "ville de ",
        "ville d ",
    ] {
        if let Some(r) = rest.strip_prefix(prefix) {
            words.push("ville".into());
            rest = r;
            break;
        }
    }
    for word in rest.split(' ').filter(|w| !w.is_empty()) {
        let word = match word {
            "st" => "saint",
            "ste" => "sainte",
            "asso" | "assoc" => "association",
            "d" | "l" => continue,
            w => w,
        };
        words.push(singular(word).to_string());
    }
    words.join(" ")
}

/// Address normalised: folded, street-type abbreviations expanded.
pub fn normalize_address(address: &str) -> String {
    fold(address)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| match w {
            "av" | "ave" | "aven" => "avenue",
            "bd" | "bld" | "boul" | "bvd" => "boulevard",
            "r" => "rue",
            "pl" => "place",
            "ch" | "chem" => "chemin",
            "rte" => "route",
            "all" => "allee",
            "imp" => "impasse",
            "sq" => "square",
            "crs" => "cours",
            "fbg" => "faubourg",
            "qu" => "quai",
            "st" => "saint",
            "ste" => "sainte",
            "dr" => "docteur",
            "gal" | "gen" => "general",
            w => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Light de-pluralisation: a final "s" or "x" of a word of more than four letters (acronyms
/// such as "ccas" keep theirs).
fn singular(word: &str) -> &str {
    if word.len() > 4 && (word.ends_with('s') && !word.ends_with("ss") || word.ends_with('x')) {
        &word[..word.len() - 1]
    } else {
        word
    }
}

/// Normalised indel similarity (0–100), 0 beyond the edit budget.
pub fn similarity(a: &str, b: &str) -> f64 {
    let total = a.chars().count() + b.chars().count();
    if total == 0 {
        return 100.0;
    }
    let edits = rapidfuzz::distance::indel::distance(a.chars(), b.chars());
    if edits > EDIT_BUDGET {
        return 0.0;
    }
    100.0 * (1.0 - edits as f64 / total as f64)
}

/// 100 up to 50 m, then 100 × 50 / d.
pub fn distance_score(distance_m: f64) -> f64 {
    if distance_m <= SAME_PLACE_M {
        100.0
    } else {
        100.0 * SAME_PLACE_M / distance_m
    }
}

fn meaningless(normalized_name: &str) -> bool {
    normalized_name.is_empty()
        || normalized_name.contains("non diffusible")
        || matches!(
            normalized_name,
            "inconnu" | "nc" | "na" | "n a" | "a completer" | "sans nom" | "test"
        )
        || normalized_name
            .chars()
            .all(|c| c.is_ascii_digit() || c == ' ')
}

/// The commune a place is in, as a key: the INSEE code with Paris, Lyon and Marseille
/// arrondissements folded into their commune when known, else the département (from the
/// postcode) and the folded name without arrondissement.
pub fn commune_key(c: &Candidate<'_>) -> String {
    let name = fold(c.commune);
    let name = name
        .split(' ')
        .filter(|w| {
            !w.is_empty()
                && *w != "arrondissement"
                && !(w.chars().next().is_some_and(|c| c.is_ascii_digit())
                    && (w.ends_with("er") || w.ends_with('e') || w.ends_with("eme")))
                && !w.chars().all(|c| c.is_ascii_digit())
        })
        .map(|w| match w {
            "st" => "saint",
            "ste" => "sainte",
            w => w,
        })
        .collect::<Vec<_>>()
        .join(" ");
    let postcode = c.postcode.trim();
    let departement = if postcode.starts_with("97") || postcode.starts_with("98") {
        postcode.get(..3)
    } else {
        postcode.get(..2)
    }
    .unwrap_or_default();
    format!("{departement}:{name}")
}

/// Typologies of a place: declared, else inferred from its name.
pub fn typologies_of(c: &Candidate<'_>, normalized_name: &str) -> Vec<String> {
    if !c.typologies.is_empty() {
        return c.typologies.to_vec();
    }
    inferred_typologies(normalized_name)
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// Typology codes of the standard recognised in a normalised name.
pub fn inferred_typologies(normalized_name: &str) -> Vec<&'static str> {
    const PATTERNS: &[(&str, &str)] = &[
        ("ville", "MUNI"),
        ("mairie", "MUNI"),
        ("ccas", "CCAS"),
        ("centre communal action sociale", "CCAS"),
        ("cias", "CIAS"),
        ("mediatheque", "BIB"),
        ("bibliotheque", "BIB"),
        ("france service", "MSAP"),
        ("maison de service au public", "MSAP"),
        ("msap", "MSAP"),
        ("centre social", "CS"),
        ("centre socioculturel", "CSC"),
        ("espace de vie sociale", "EVS"),
        ("mission locale", "ML"),
        ("pole emploi", "FT"),
        ("france travail", "FT"),
        ("tiers lieu", "TIERS_LIEUX"),
        ("coworking", "TIERS_LIEUX"),
        ("fablab", "FABLAB"),
        ("fab lab", "FABLAB"),
        ("maison de quartier", "MQ"),
        ("mjc", "MJC"),
        ("maison de jeune et de la culture", "MJC"),
        ("la poste", "LA_POSTE"),
        ("caf", "CAF"),
        ("cpam", "CPAM"),
        ("pimm", "PIMMS"),
    ];
    let padded = format!(" {normalized_name} ");
    let mut found: Vec<&'static str> = PATTERNS
        .iter()
        .filter(|(pattern, _)| {
            if *pattern == "ville" {
                normalized_name.starts_with("ville ")
            } else {
                padded.contains(&format!(" {pattern} "))
            }
        })
        .map(|(_, code)| *code)
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

/// Typologies that never contradict another: a legal form (an association may run a centre
/// social), or a service hosted by other structures (a France Services desk — MSAP — sits in a
/// town hall, a library, a post office or a département's house; a public digital space in a
/// library or a social centre).
const GENERIC_TYPOLOGIES: [&str; 5] = ["ASSO", "EPN", "EPI", "MSAP", "Autre"];

fn compatible(a: &[String], b: &[String]) -> bool {
    let specific = |t: &[String]| -> Vec<String> {
        t.iter()
            .filter(|x| !GENERIC_TYPOLOGIES.contains(&x.as_str()))
            .cloned()
            .collect()
    };
    let (a, b) = (specific(a), specific(b));
    a.is_empty() || b.is_empty() || a.iter().any(|x| b.contains(x))
}

/// A candidate prepared once for all its comparisons.
struct Prepared {
    name: String,
    address: String,
    commune: String,
    typologies: Vec<String>,
    meaningless: bool,
}

fn prepare(c: &Candidate<'_>) -> Prepared {
    let name = normalize_name(c.name);
    Prepared {
        typologies: typologies_of(c, &name),
        meaningless: meaningless(&name),
        address: normalize_address(c.address),
        commune: commune_key(c),
        name,
    }
}

fn compare_prepared(
    a: &Candidate<'_>,
    pa: &Prepared,
    b: &Candidate<'_>,
    pb: &Prepared,
    settings: &DedupSettings,
) -> Comparison {
    let mut vetoes = Vec::new();
    if pa.meaningless || pb.meaningless {
        vetoes.push(Veto::MeaninglessName);
    }
    let located = |c: &Candidate<'_>, p: &Prepared| c.location.is_some() || !p.address.is_empty();
    if !located(a, pa) || !located(b, pb) {
        vetoes.push(Veto::NotLocated);
    }
    if pa.commune != pb.commune {
        vetoes.push(Veto::DifferentCommune);
    }
    if !compatible(&pa.typologies, &pb.typologies) {
        vetoes.push(Veto::IncompatibleTypologies);
    }
    let name = similarity(&pa.name, &pb.name);
    let address = (!pa.address.is_empty() && !pb.address.is_empty())
        .then(|| similarity(&pa.address, &pb.address));
    let distance_m = match (a.location, b.location) {
        (Some(p), Some(q)) => Some(p.distance_m(q)),
        _ => None,
    };
    let distance = distance_m.map(distance_score);
    let same_source = matches!((a.source, b.source), (Some(sa), Some(sb)) if sa == sb);
    // A source that lists one place twice (one record per adviser): the same name at the same
    // address is one place even within a source (issue #10).
    let listed_twice = name >= 90.0
        && address.is_some_and(|x| x >= 90.0)
        && distance_m.is_none_or(|d| d <= SAME_PLACE_M);
    if !settings.same_source && same_source && !listed_twice {
        vetoes.push(Veto::SameSource);
    }
    let mut weighted = name * 2.0;
    let mut weights = 2.0;
    for s in [address, distance].into_iter().flatten() {
        weighted += s;
        weights += 1.0;
    }
    let mut score = weighted / weights;
    // Two sources at one address describe one place whatever its name there (« France services
    // Villemarie » / « Villemarie Espace Social et Culturel »): to review.
    let same_address = !same_source
        && address.is_some_and(|x| x >= SAME_ADDRESS)
        && distance_m.is_none_or(|d| d <= SAME_ADDRESS_M);
    if same_address {
        score = score.max(SAME_ADDRESS_SCORE);
    }
    Comparison {
        score,
        scores: Scores {
            name,
            address,
            distance,
            distance_m,
            same_address,
        },
        vetoes,
    }
}

/// Compares two places (any two: the vetoes include a different commune).
pub fn compare(a: &Candidate<'_>, b: &Candidate<'_>, settings: &DedupSettings) -> Comparison {
    compare_prepared(a, &prepare(a), b, &prepare(b), settings)
}

/// Fewer candidates than this have their names and addresses folded on the calling thread.
const PREPARED_ALONE_UP_TO: usize = 64;

/// Pairs of places of the same commune scoring at least `settings.review`, best first; vetoed
/// pairs are kept (with their vetoes) so a reviewer can see why they were ruled out.
pub fn find_pairs(candidates: &[Candidate<'_>], settings: &DedupSettings) -> Vec<Pair> {
    // Silent progress never interrupts.
    find_pairs_watched(candidates, settings, &crate::progress::Silent).unwrap_or_default()
}

/// [`find_pairs`], reporting each commune compared to `progress`, which may interrupt it.
pub fn find_pairs_watched(
    candidates: &[Candidate<'_>],
    settings: &DedupSettings,
    progress: &dyn crate::progress::Progress,
) -> Result<Vec<Pair>, crate::progress::Interrupted> {
    progress.stage(
        "Préparation des noms et adresses",
        Some(candidates.len() as u64),
    );
    // Folding names and addresses is most of the cost for a few hundred candidates (an
    // orientation's): every core takes a share, the order is kept. A page of results (twenty
    // places) is folded where it is: waking the pool's threads would cost more than the work.
    let prepared: Vec<Prepared> = if candidates.len() < PREPARED_ALONE_UP_TO {
        candidates.iter().map(prepare).collect()
    } else {
        use rayon::prelude::*;
        candidates.par_iter().map(prepare).collect()
    };
    let mut blocks: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in prepared.iter().enumerate() {
        blocks.entry(p.commune.as_str()).or_default().push(i);
    }
    progress.check()?;
    progress.stage(
        "Comparaison des lieux, commune par commune",
        Some(blocks.len() as u64),
    );
    let mut pairs = Vec::new();
    for members in blocks.values() {
        progress.check()?;
        progress.advance(1);
        for (k, &i) in members.iter().enumerate() {
            for &j in members.iter().skip(k + 1) {
                let (Some(a), Some(b), Some(pa), Some(pb)) = (
                    candidates.get(i),
                    candidates.get(j),
                    prepared.get(i),
                    prepared.get(j),
                ) else {
                    continue;
                };
                let comparison = compare_prepared(a, pa, b, pb, settings);
                if comparison.score >= settings.review {
                    let (a, b) = if a.id <= b.id { (i, j) } else { (j, i) };
                    pairs.push(Pair { a, b, comparison });
                }
            }
        }
    }
    pairs.sort_by(|x, y| {
        y.comparison
            .score
            .total_cmp(&x.comparison.score)
            .then_with(|| x.a.cmp(&y.a))
            .then_with(|| x.b.cmp(&y.b))
    });
    Ok(pairs)
}

/// Places shown once (issue #10): among `candidates`, in the order given (best first), pairs
/// the rule scores quasi-certain (at least `settings.certain`, no veto) and that nobody marked
/// as different (`different(a_id, b_id)`) are one place. Returns, for each place kept, its index
/// and the indices of the records it stands for (grouped transitively, kept in order).
pub fn shown_once(
    candidates: &[Candidate<'_>],
    settings: &DedupSettings,
    different: impl Fn(&str, &str) -> bool,
) -> Vec<(usize, Vec<usize>)> {
    let mut leader: Vec<usize> = (0..candidates.len()).collect();
    fn root(leader: &mut [usize], mut i: usize) -> usize {
        while leader[i] != i {
            leader[i] = leader[leader[i]];
            i = leader[i];
        }
        i
    }
    for pair in find_pairs(candidates, settings) {
        let (Some(a), Some(b)) = (candidates.get(pair.a), candidates.get(pair.b)) else {
            continue;
        };
        if pair.comparison.score < settings.certain
            || pair.comparison.is_vetoed()
            || different(a.id, b.id)
            || different(b.id, a.id)
        {
            continue;
        }
        let (ra, rb) = (root(&mut leader, pair.a), root(&mut leader, pair.b));
        // The group is led by the record that comes first.
        let (keep, join) = if ra <= rb { (ra, rb) } else { (rb, ra) };
        leader[join] = keep;
    }
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut at: HashMap<usize, usize> = HashMap::new();
    for i in 0..candidates.len() {
        let r = root(&mut leader, i);
        match at.get(&r) {
            Some(&g) => {
                if let Some(group) = groups.get_mut(g) {
                    group.1.push(i);
                }
            }
            None => {
                at.insert(r, groups.len());
                groups.push((i, Vec::new()));
            }
        }
    }
    groups
}

/// Records older than this, before the newest of a group, bring no list values to a merge.
pub const LIST_FRESHNESS_MONTHS: u32 = 6;

fn union_vocab<V: crate::vocab::Vocabulary>(lists: &[&[V]]) -> Vec<V> {
    V::ALL
        .iter()
        .copied()
        .filter(|v| lists.iter().any(|l| l.contains(v)))
        .collect()
}

fn union_text(lists: &[&[String]]) -> Vec<String> {
    let mut all: Vec<String> = lists.iter().flat_map(|l| l.iter().cloned()).collect();
    all.sort();
    all.dedup();
    all
}

/// Merges places that are the same: the newest record gives every value it has, older ones fill
/// what it lacks (newest first); list values are the union over the records no more than six
/// months older than the newest (older ones may describe what the place no longer does). The
/// result keeps the newest record's identifier. `None` for an empty group.
pub fn merge(records: &[crate::Place]) -> Option<crate::Place> {
    use crate::fields::UNKNOWN_PIVOT;
    let mut by_date: Vec<&crate::Place> = records.iter().collect();
    // Newest first; equal dates keep the given order.
    by_date.sort_by_key(|p| std::cmp::Reverse(p.updated_on));
    let newest = *by_date.first()?;
    let mut out = newest.clone();
    let fill = |get: &dyn Fn(&crate::Place) -> Option<String>| -> Option<String> {
        by_date
            .iter()
            .find_map(|p| get(p).filter(|v| !v.trim().is_empty()))
    };
    out.insee_code = fill(&|p| p.insee_code.clone());
    out.address_complement = fill(&|p| p.address_complement.clone());
    out.phone = fill(&|p| p.phone.clone());
    out.summary = fill(&|p| p.summary.clone());
    out.description = fill(&|p| p.description.clone());
    out.parent_structure = fill(&|p| p.parent_structure.clone());
    out.other_labels = fill(&|p| p.other_labels.clone());
    out.accessibility_url = fill(&|p| p.accessibility_url.clone());
    out.booking_url = fill(&|p| p.booking_url.clone());
    out.extras.limits = fill(&|p| p.extras.limits.clone());
    out.extras.access_conditions = fill(&|p| p.extras.access_conditions.clone());
    out.extras.contribution = fill(&|p| p.extras.contribution.clone());
    if out.extras.referent.is_none() {
        out.extras.referent = by_date.iter().find_map(|p| p.extras.referent.clone());
    }
    if out.extras.step_free_access.is_none() {
        out.extras.step_free_access = by_date.iter().find_map(|p| p.extras.step_free_access);
    }
    if out.location.is_none() {
        out.location = by_date.iter().find_map(|p| p.location);
    }
    // Valid hours first: an invalid text of the newest record yields to valid older hours.
    if let Some(p) = by_date
        .iter()
        .find(|p| p.opening_hours.is_some() && p.opening_hours_valid)
        .or_else(|| by_date.iter().find(|p| p.opening_hours.is_some()))
    {
        out.opening_hours = p.opening_hours.clone();
        out.opening_hours_valid = p.opening_hours_valid;
    }
    if (out.pivot == UNKNOWN_PIVOT || out.pivot.trim().is_empty())
        && let Some(p) = by_date
            .iter()
            .find(|p| p.pivot != UNKNOWN_PIVOT && !p.pivot.trim().is_empty())
    {
        out.pivot = p.pivot.clone();
    }
    let horizon = newest
        .updated_on
        .checked_sub_months(chrono::Months::new(LIST_FRESHNESS_MONTHS))
        .unwrap_or(newest.updated_on);
    let recent: Vec<&crate::Place> = by_date
        .iter()
        .copied()
        .filter(|p| p.updated_on >= horizon)
        .collect();
    macro_rules! union_of {
        ($($field:ident).+, $f:ident) => {
            $f(&recent.iter().map(|p| p.$($field).+.as_slice()).collect::<Vec<_>>())
        };
    }
    out.services = union_of!(services, union_vocab);
    out.publics = union_of!(publics, union_vocab);
    out.specific_support = union_of!(specific_support, union_vocab);
    out.fees = union_of!(fees, union_vocab);
    out.national_programmes = union_of!(national_programmes, union_vocab);
    out.training_labels = union_of!(training_labels, union_vocab);
    out.access_modes = union_of!(access_modes, union_vocab);
    out.support_modes = union_of!(support_modes, union_vocab);
    out.mobility = union_of!(mobility, union_vocab);
    out.extras.mediation_forms = union_of!(extras.mediation_forms, union_vocab);
    out.extras.intervention_domains = union_of!(extras.intervention_domains, union_vocab);
    out.typologies = union_of!(typologies, union_text);
    out.emails = union_of!(emails, union_text);
    out.websites = union_of!(websites, union_text);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn place<'a>(id: &'a str, source: &'a str, name: &'a str, address: &'a str) -> Candidate<'a> {
        Candidate {
            id,
            source: Some(source),
            name,
            address,
            commune: "Nice",
            postcode: "06000",
            insee_code: None,
            location: None,
            typologies: &[],
        }
    }

    #[test]
    fn quasi_certain_duplicates_are_shown_once_in_order() {
        let at = |c: Candidate<'static>, lat: f64| Candidate {
            location: Some(GeoPoint::new(lat, 7.2790)),
            ..c
        };
        let list = [
            at(
                place("near", "cnfs", "Espace numérique", "5 rue de France"),
                43.70,
            ),
            at(
                place(
                    "b",
                    "conseiller-numerique",
                    "MEDIATHEQUE LOUIS NUCERA",
                    "2 Place Yves Klein",
                ),
                43.7045,
            ),
            at(
                place(
                    "c",
                    "france-services",
                    "Médiathèque Louis Nucéra",
                    "2 pl. Yves Klein",
                ),
                43.7046,
            ),
            at(
                place(
                    "d",
                    "dora",
                    "Mediatheque Louis Nucera",
                    "2 place Yves Klein",
                ),
                43.7045,
            ),
            // Same source as « b »: a source does not duplicate itself.
            at(
                place(
                    "e",
                    "conseiller-numerique",
                    "Médiathèque Louis Nucéra",
                    "2 place Yves Klein",
                ),
                43.7045,
            ),
        ];
        let settings = DedupSettings::default();
        let groups = shown_once(&list, &settings, |_, _| false);
        assert_eq!(groups, vec![(0, vec![]), (1, vec![2, 3, 4])]);
        // « e » joins through « c » and « d » (other sources): grouped transitively.
        // A pair marked different by a coordinator stays apart.
        let apart = shown_once(&list, &settings, |a, b| (a, b) == ("b", "c"));
        assert!(apart.len() >= 2);
        assert!(apart.iter().any(|(i, _)| *i == 1));
        let none = shown_once(&[], &settings, |_, _| false);
        assert!(none.is_empty());
    }

    #[test]
    fn names_and_addresses_are_normalised() {
        assert_eq!(
            normalize_name("Mairie de Saint-Étienne"),
            "ville saint etienne"
        );
        assert_eq!(normalize_name("COMMUNE D'ANTIBES"), "ville antibe");
        assert_eq!(
            normalize_name("Asso. Les Clés du Numérique"),
            "association les cles du numerique"
        );
        assert_eq!(normalize_name("Ste Marie"), "sainte marie");
        assert_eq!(
            normalize_address("12 av. du Gal de Gaulle"),
            "12 avenue du general de gaulle"
        );
        assert_eq!(
            normalize_address("3 Bd Victor Hugo"),
            "3 boulevard victor hugo"
        );
    }

    #[test]
    fn the_same_place_from_two_sources_scores_high() {
        let mut a = place(
            "a",
            "conseiller-numerique",
            "MEDIATHEQUE LOUIS NUCERA",
            "2 Place Yves Klein",
        );
        let mut b = place(
            "b",
            "france-services",
            "Médiathèque Louis Nucéra",
            "2 pl. Yves Klein",
        );
        a.location = Some(GeoPoint::new(43.7045, 7.2790));
        b.location = Some(GeoPoint::new(43.7046, 7.2791));
        let c = compare(&a, &b, &DedupSettings::default());
        assert!(c.vetoes.is_empty(), "{c:?}");
        assert!(c.score > 95.0, "{c:?}");
        assert_eq!(c.scores.distance, Some(100.0));
    }

    #[test]
    fn two_sources_at_one_address_are_one_place_to_review() {
        let s = DedupSettings::default();
        let mut a = place(
            "a",
            "france-services",
            "France services Villemarie Carpentras",
            "73 Rue Pierre Parrocel",
        );
        let mut b = place(
            "b",
            "conseiller-numerique",
            "Villemarie Espace Social et Culturel",
            "73 rue Pierre Parrocel",
        );
        a.location = Some(GeoPoint::new(44.0550, 5.0480));
        b.location = Some(GeoPoint::new(44.0551, 5.0481));
        let c = compare(&a, &b, &s);
        assert!(c.vetoes.is_empty(), "{c:?}");
        assert!(c.scores.same_address);
        assert!(
            c.score >= SAME_ADDRESS_SCORE && c.score < s.certain,
            "{c:?}"
        );
        // Farther than the same building, or at another number: not the same address.
        b.location = Some(GeoPoint::new(44.0580, 5.0480));
        assert!(!compare(&a, &b, &s).scores.same_address);
        let other = place("c", "dora", "Centre social", "12 rue Pierre Parrocel");
        assert!(!compare(&a, &other, &s).scores.same_address);
        // Within one source, two listings at one address stay two.
        let sibling = place(
            "d",
            "france-services",
            "Maison du département",
            "73 Rue Pierre Parrocel",
        );
        assert!(!compare(&a, &sibling, &s).scores.same_address);
    }

    #[test]
    fn vetoes_rule_pairs_out() {
        let s = DedupSettings::default();
        let a = place("a", "x", "Médiathèque de Nice", "1 rue A");
        let same_source = place("b", "x", "Espace numérique de Nice", "1 rue A");
        assert_eq!(compare(&a, &same_source, &s).vetoes, [Veto::SameSource]);
        // …unless the source lists one place twice: the same name at the same address.
        let twice = place("b2", "x", "MEDIATHEQUE DE NICE", "1 Rue A");
        assert!(compare(&a, &twice, &s).vetoes.is_empty());
        let both = DedupSettings {
            same_source: true,
            ..s
        };
        assert!(compare(&a, &same_source, &both).vetoes.is_empty());
        let hidden = place("c", "y", "[Non diffusible]", "1 rue A");
        assert!(
            compare(&a, &hidden, &s)
                .vetoes
                .contains(&Veto::MeaninglessName)
        );
        let nowhere = place("d", "y", "Médiathèque de Nice", "");
        assert!(compare(&a, &nowhere, &s).vetoes.contains(&Veto::NotLocated));
        let ccas = place("e", "y", "CCAS de Nice", "1 rue A");
        assert!(
            compare(&a, &ccas, &s)
                .vetoes
                .contains(&Veto::IncompatibleTypologies)
        );
        let asso = place("f", "y", "Association Médiathèque de Nice", "1 rue A");
        assert!(compare(&a, &asso, &s).vetoes.is_empty());
        let mut elsewhere = place("g", "y", "Médiathèque de Nice", "1 rue A");
        elsewhere.commune = "Cannes";
        assert!(
            compare(&a, &elsewhere, &s)
                .vetoes
                .contains(&Veto::DifferentCommune)
        );
    }

    #[test]
    fn arrondissements_fold_into_their_commune() {
        let mut a = place("a", "x", "Espace numérique", "1 rue A");
        let mut b = a;
        a.commune = "Marseille 1er Arrondissement";
        a.postcode = "13001";
        b.commune = "MARSEILLE";
        b.postcode = "13015";
        assert_eq!(commune_key(&a), commune_key(&b));
    }

    #[test]
    fn pairs_are_blocked_by_commune_and_sorted() {
        let mut elsewhere = place("z", "w", "Médiathèque de Nice", "1 rue A");
        elsewhere.commune = "Cannes";
        elsewhere.postcode = "06400";
        let list = [
            place("a", "x", "Médiathèque de Nice", "1 rue A"),
            place("b", "y", "Mediatheque de Nice", "1 rue A"),
            place("c", "y", "Centre social des Moulins", "20 bd Paul Montel"),
            elsewhere,
        ];
        let pairs = find_pairs(&list, &DedupSettings::default());
        assert_eq!(pairs.len(), 1, "{pairs:?}");
        assert_eq!((pairs[0].a, pairs[0].b), (0, 1));
    }

    #[test]
    fn a_merge_keeps_newest_values_fills_gaps_and_unites_recent_lists() {
        use crate::vocab::{Fee, Service};
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let mut old = crate::Place::new(
            "old",
            "Médiathèque",
            "1 rue A",
            "06000",
            "Nice",
            day("2022-01-10"),
        );
        old.phone = Some("+33493000000".into());
        old.services = vec![Service::Parenting];
        old.description = Some("Ancienne description".into());
        let mut recent = crate::Place::new(
            "recent",
            "Médiathèque L. Nucéra",
            "2 place Y. Klein",
            "06000",
            "Nice",
            day("2024-03-01"),
        );
        recent.services = vec![Service::AdministrativeProcedures];
        recent.fees = vec![Fee::Free];
        recent.description = Some("Nouvelle description".into());
        recent.emails = vec!["b@nice.fr".into()];
        let mut newest = crate::Place::new(
            "newest",
            "Médiathèque Louis Nucéra",
            "2 place Yves Klein",
            "06000",
            "Nice",
            day("2024-05-01"),
        );
        newest.services = vec![Service::EverydayTools];
        newest.emails = vec!["a@nice.fr".into(), "b@nice.fr".into()];
        newest.opening_hours = Some("lundi".into());
        newest.opening_hours_valid = false;
        recent.opening_hours = Some("Mo-Fr 10:00-18:00".into());
        recent.opening_hours_valid = true;
        let merged = merge(&[old.clone(), recent.clone(), newest.clone()]).expect("fusion");
        assert_eq!(merged.id, "newest");
        assert_eq!(merged.name, "Médiathèque Louis Nucéra");
        assert_eq!(merged.address, "2 place Yves Klein");
        // Gaps filled from older records, newest first.
        assert_eq!(merged.description.as_deref(), Some("Nouvelle description"));
        assert_eq!(merged.phone.as_deref(), Some("+33493000000"));
        assert_eq!(merged.opening_hours.as_deref(), Some("Mo-Fr 10:00-18:00"));
        assert!(merged.opening_hours_valid);
        // Lists: union of the records of the last six months only (not the 2022 one).
        assert_eq!(
            merged.services,
            [Service::AdministrativeProcedures, Service::EverydayTools]
        );
        assert_eq!(merged.fees, [Fee::Free]);
        assert_eq!(merged.emails, ["a@nice.fr", "b@nice.fr"]);
        // Same result whatever the order of the records.
        assert_eq!(merge(&[newest, old, recent]), Some(merged));
        assert_eq!(merge(&[]), None);
    }

    proptest! {
        #[test]
        fn similarity_is_symmetric_bounded_and_total_on_equal_texts(a in "\\PC{0,40}", b in "\\PC{0,40}") {
            let s = similarity(&a, &b);
            prop_assert!((0.0..=100.0).contains(&s));
            prop_assert!((s - similarity(&b, &a)).abs() < 1e-9);
            prop_assert!((similarity(&a, &a) - 100.0).abs() < 1e-9);
        }

        #[test]
        fn scores_stay_within_bounds(n1 in "\\PC{0,30}", n2 in "\\PC{0,30}", a1 in "\\PC{0,30}", a2 in "\\PC{0,30}", d in 0.0f64..0.05) {
            let mut a = place("a", "x", &n1, &a1);
            let mut b = place("b", "y", &n2, &a2);
            a.location = Some(GeoPoint::new(43.7, 7.25));
            b.location = Some(GeoPoint::new(43.7 + d, 7.25));
            let c = compare(&a, &b, &DedupSettings::default());
            prop_assert!((0.0..=100.0).contains(&c.score));
        }

        #[test]
        fn normalisation_is_idempotent_on_addresses(s in "\\PC{0,40}") {
            let once = normalize_address(&s);
            prop_assert_eq!(normalize_address(&once), once.clone());
        }
    }
}
