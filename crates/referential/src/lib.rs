//! The official French commune referential (COG communes, postcodes, EPCI, population, centres),
//! read from the compact file that `scripts/build-referential.mjs` builds from registry packages
//! at set-up (ADR 0005). It answers the questions imports and search ask: which INSEE code for
//! « ST ETIENNE 42000 », which communes in a département or an EPCI, where a commune is.

pub mod contours;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rustc_hash::FxHashMap as HashMap;

use maillage_domain::geo::GeoPoint;
use maillage_domain::place::{CommuneLookup, CommuneRef};
use maillage_domain::text::commune_key;

/// Errors while loading the referential.
#[derive(Debug, thiserror::Error)]
pub enum ReferentialError {
    #[error(
        "référentiel des communes introuvable ({path}) : lancez `scripts/setup.sh` (ou `npm ci && node scripts/build-referential.mjs`)"
    )]
    Missing { path: PathBuf },
    #[error("référentiel des communes illisible ({path}) : {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("référentiel des communes, ligne {line} : {reason}")]
    Format { line: usize, reason: String },
}

/// Kind of a line of the referential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Current,
    Delegated,
    Associated,
    MunicipalArrondissement,
}

#[derive(Debug, Clone)]
struct Entry {
    kind: Kind,
    /// For delegated/associated communes and arrondissements: the current commune.
    parent: Option<String>,
    /// Other names of the commune, `|`-separated, as in the file.
    aliases: Box<str>,
    commune: CommuneRef,
}

/// What lookups by name need: each entry's folded names, and entries by postcode and by name.
/// Built at the first lookup by name — checking a file whose rows all give their INSEE code
/// never needs it, and folding every name of the country is most of the referential's load.
#[derive(Debug, Default)]
struct Names {
    /// Folded names of each entry (`entries[i]` ↔ `keys[i]`), sorted, without duplicates.
    keys: Vec<Vec<String>>,
    by_postcode: HashMap<String, Vec<usize>>,
    /// Entries by name key, whatever the département (search "near a commune").
    by_key: HashMap<String, Vec<usize>>,
}

/// A line of the file, read into an [`Entry`] when first asked for
/// ([`Referential::discover_on_demand`]).
#[derive(Debug)]
struct Line {
    /// The line's bytes in the referential's text, and the end of its first column (the INSEE
    /// code).
    start: u32,
    end: u32,
    code_end: u32,
    kind: Kind,
    entry: OnceLock<Box<Entry>>,
}

/// The INSEE codes of the file's lines, of any kind: one bit for each code of the usual shape
/// (two digits or `2A`/`2B`, then three digits — 12.5 KB, held in the cache), a set for any
/// other. Whether a code is a commune's is asked of each row of a file: a bit read, where a
/// map of strings was a hash, a cache miss and a comparison (5 % of a 50,000-row check).
#[derive(Debug, Default)]
struct CodeSet {
    bits: Vec<u64>,
    others: rustc_hash::FxHashSet<Box<str>>,
}

impl CodeSet {
    /// Codes of the usual shape: 102 départements' numbers (`00`–`99`, `2A`, `2B`) × 1,000.
    const RANKS: usize = 102 * 1000;

    fn insert(&mut self, code: &str) {
        match code_rank(code) {
            Some(rank) => {
                if self.bits.is_empty() {
                    self.bits = vec![0; Self::RANKS.div_ceil(64)];
                }
                if let Some(word) = self.bits.get_mut(rank / 64) {
                    *word |= 1 << (rank % 64);
                }
            }
            None => {
                self.others.insert(code.into());
            }
        }
    }

    fn contains(&self, code: &str) -> bool {
        match code_rank(code) {
            Some(rank) => self
                .bits
                .get(rank / 64)
                .is_some_and(|word| word & (1 << (rank % 64)) != 0),
            None => self.others.contains(code),
        }
    }
}

/// The rank of a code of the usual INSEE shape among [`CodeSet::RANKS`]; `None` for any other
/// text (lower-case `2a` included: codes are compared as written).
fn code_rank(code: &str) -> Option<usize> {
    let &[d0, d1, c0, c1, c2] = code.as_bytes() else {
        return None;
    };
    let digit = |b: u8| b.is_ascii_digit().then(|| usize::from(b - b'0'));
    let departement = match (d0, d1) {
        (b'2', b'A') => 100,
        (b'2', b'B') => 101,
        _ => digit(d0)? * 10 + digit(d1)?,
    };
    Some(departement * 1000 + digit(c0)? * 100 + digit(c1)? * 10 + digit(c2)?)
}

/// The file's entries (current communes, delegated, associated, arrondissements), in its order.
#[derive(Debug)]
enum Entries {
    /// Every line read (a server, which answers lookups by name at once).
    Read(Vec<Entry>),
    /// Each line read when first asked for: a check whose rows give their INSEE code reads a
    /// few thousand communes of the country's 37,000 (reading every one was 20 MB of small
    /// strings, a fifth of a 50,000-row file's check). The text is kept for them (the
    /// binary's own when embedded: neither inflated nor copied).
    OnDemand {
        text: Cow<'static, str>,
        lines: Vec<Line>,
    },
}

impl Default for Entries {
    fn default() -> Self {
        Entries::Read(Vec::new())
    }
}

/// The referential, indexed for lookups.
#[derive(Debug, Default)]
pub struct Referential {
    /// Current communes by INSEE code: their place in `entries` (each commune held once).
    current: HashMap<String, usize>,
    /// The codes of every line, current or not.
    codes: CodeSet,
    entries: Entries,
    /// Lookups by name, built when first asked.
    names: OnceLock<Names>,
    /// Centres of départements, worked out when first asked.
    departement_centres: OnceLock<HashMap<String, GeoPoint>>,
    /// Names of régions, départements and EPCI by code (`#R`, `#D` and `#E` lines).
    region_names: HashMap<String, String>,
    departement_names: HashMap<String, String>,
    epci_names: HashMap<String, String>,
    /// The région of each département (third column of `#D` lines).
    departement_regions: HashMap<String, String>,
}

/// Default location of the file, relative to the working directory.
pub const DEFAULT_PATH: &str = "data/referentiel/communes.tsv";

/// A file's text; `Err(None)` when it does not exist.
pub(crate) fn read(path: &Path) -> Result<String, Option<std::io::Error>> {
    std::fs::read_to_string(path)
        .map_err(|e| (e.kind() != std::io::ErrorKind::NotFound).then_some(e))
}

/// The reference files built into the library at compile time (see `build.rs`), compressed.
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The text of an embedded file.
pub(crate) fn inflate(gz: &[u8]) -> Result<String, std::io::Error> {
    use std::io::Read;
    // A gzip member ends with its text's size (modulo 4 GiB): the text is read into one
    // allocation instead of a string doubled some twenty times. Bounded by deflate's largest
    // ratio (1,032 to 1), should the trailer say anything else.
    let size = gz
        .last_chunk::<4>()
        .map_or(0, |n| u32::from_le_bytes(*n) as usize)
        .min(gz.len().saturating_mul(1032));
    let mut text = String::with_capacity(size);
    flate2::read::GzDecoder::new(gz).read_to_string(&mut text)?;
    Ok(text)
}

/// Whether the binary carries its reference files (built after `scripts/setup.sh`).
pub fn embedded() -> bool {
    embedded::COMMUNES.is_some() && embedded::CONTOURS.is_some()
}

/// `relative` in the working directory or the nearest of its parents that has it.
pub(crate) fn find_upwards(relative: &str) -> Option<PathBuf> {
    let start = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    start
        .ancestors()
        .map(|d| d.join(relative))
        .find(|candidate| candidate.exists())
}

impl Referential {
    /// Loads the file built at set-up.
    pub fn load(path: &Path) -> Result<Self, ReferentialError> {
        Self::load_on_demand(path).map(Referential::read_every_line)
    }

    /// The referential built into the binary; else the file in the working directory or its
    /// parents (a build made before `scripts/setup.sh`). A newer file is given with
    /// [`Referential::load`] (`--referential`, `referentiel` in the configuration).
    pub fn discover() -> Result<Self, ReferentialError> {
        Self::discover_on_demand().map(Referential::read_every_line)
    }

    /// [`Referential::load`], each line read when first asked for: for a command that looks up
    /// some communes by their code and stops (checking a file).
    pub fn load_on_demand(path: &Path) -> Result<Self, ReferentialError> {
        let text = read(path).map_err(|e| match e {
            None => ReferentialError::Missing {
                path: path.to_path_buf(),
            },
            Some(source) => ReferentialError::Io {
                path: path.to_path_buf(),
                source,
            },
        })?;
        Self::parse_owned(text.into())
    }

    /// [`Referential::discover`], each line read when first asked for (see
    /// [`Referential::load_on_demand`]).
    pub fn discover_on_demand() -> Result<Self, ReferentialError> {
        if let Some(text) = embedded::COMMUNES {
            return Self::parse_owned(text.into());
        }
        match find_upwards(DEFAULT_PATH) {
            Some(path) => Self::load_on_demand(&path),
            None => Err(ReferentialError::Missing {
                path: PathBuf::from(DEFAULT_PATH),
            }),
        }
    }

    /// Parses the TSV text.
    pub fn parse(text: &str) -> Result<Self, ReferentialError> {
        Self::parse_owned(text.to_owned().into()).map(Referential::read_every_line)
    }

    /// The same referential, every line read now (the text and the lines' places dropped).
    fn read_every_line(mut self) -> Self {
        if let Entries::OnDemand { text, lines } = &self.entries {
            let entries = lines.iter().map(|line| line.read(text)).collect();
            self.entries = Entries::Read(entries);
        }
        self
    }

    /// Parses the TSV text, which the referential keeps (borrowed when it is the binary's
    /// own). Each line's columns are checked now (12 of them, a known type of commune); a line
    /// becomes an entry when first asked for.
    fn parse_owned(text: Cow<'static, str>) -> Result<Self, ReferentialError> {
        let offset = |at: usize, line: usize| {
            u32::try_from(at).map_err(|_| ReferentialError::Format {
                line,
                reason: "fichier de plus de 4 Go".into(),
            })
        };
        let mut r = Referential::default();
        // One allocation for the lines and the map of codes, not a doubling each time full.
        let count = memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1;
        let mut lines = Vec::with_capacity(count);
        r.current.reserve(count);
        let mut start = 0;
        for (i, line) in text.split_inclusive('\n').enumerate() {
            let line_start = start;
            start += line.len();
            // As `str::lines` does: a carriage return ends a line only before a line feed.
            let line = match line.strip_suffix('\n') {
                Some(line) => line.strip_suffix('\r').unwrap_or(line),
                None => line,
            };
            if let Some(rest) = line.strip_prefix("#D\t") {
                // `code name [région]` (files built before regions have no third column).
                let mut cols = rest.split('\t');
                if let (Some(code), Some(name)) = (cols.next(), cols.next()) {
                    r.departement_names
                        .insert(code.to_string(), name.trim().to_string());
                    if let Some(region) = cols.next().map(str::trim).filter(|c| !c.is_empty()) {
                        r.departement_regions
                            .insert(code.to_string(), region.to_string());
                    }
                }
                continue;
            }
            if let Some(rest) = line
                .strip_prefix("#E\t")
                .or_else(|| line.strip_prefix("#R\t"))
            {
                if let Some((code, name)) = rest.split_once('\t') {
                    let names = if line.starts_with("#E") {
                        &mut r.epci_names
                    } else {
                        &mut r.region_names
                    };
                    names.insert(code.to_string(), name.trim().to_string());
                }
                continue;
            }
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            // (A line of some eighty bytes: counted byte by byte, which the compiler makes
            // wide, rather than searched for each tab.)
            let found = line.bytes().filter(|b| *b == b'\t').count() + 1;
            if found < 12 {
                return Err(ReferentialError::Format {
                    line: i + 1,
                    reason: format!("12 colonnes attendues, {found} trouvées"),
                });
            }
            // The code and the type of commune now; the rest when the line is read.
            let mut cols = line.splitn(5, '\t');
            let code = cols.next().unwrap_or_default();
            let kind = match cols.nth(2).unwrap_or_default() {
                "C" => Kind::Current,
                "D" => Kind::Delegated,
                "A" => Kind::Associated,
                "R" => Kind::MunicipalArrondissement,
                other => {
                    return Err(ReferentialError::Format {
                        line: i + 1,
                        reason: format!("type de commune inconnu « {other} »"),
                    });
                }
            };
            if kind == Kind::Current {
                r.current.insert(code.to_string(), lines.len());
            }
            r.codes.insert(code);
            lines.push(Line {
                start: offset(line_start, i + 1)?,
                end: offset(line_start + line.len(), i + 1)?,
                code_end: offset(line_start + code.len(), i + 1)?,
                kind,
                entry: OnceLock::new(),
            });
        }
        r.entries = Entries::OnDemand { text, lines };
        Ok(r)
    }

    /// The `i`-th entry of the file (read at the first call when read on demand).
    fn entry(&self, i: usize) -> Option<&Entry> {
        match &self.entries {
            Entries::Read(entries) => entries.get(i),
            Entries::OnDemand { text, lines } => {
                let line = lines.get(i)?;
                Some(line.entry.get_or_init(|| Box::new(line.read(text))))
            }
        }
    }

    /// Number of entries.
    fn entry_count(&self) -> usize {
        match &self.entries {
            Entries::Read(entries) => entries.len(),
            Entries::OnDemand { lines, .. } => lines.len(),
        }
    }

    /// Every entry, in the file's order.
    fn entries(&self) -> impl Iterator<Item = &Entry> {
        (0..self.entry_count()).filter_map(|i| self.entry(i))
    }

    /// The first entry of this INSEE code, of any kind (when read on demand, found by the code
    /// its line begins with: no other line is read).
    fn first_of_code(&self, insee_code: &str) -> Option<&Entry> {
        self.position_of_code(insee_code)
            .and_then(|i| self.entry(i))
    }

    /// The place of the first entry of this INSEE code (see [`Referential::first_of_code`]): a
    /// code no line has is told by its bit, without a scan of the country's lines (a zone or a
    /// commune typed in a search may be any five digits).
    fn position_of_code(&self, insee_code: &str) -> Option<usize> {
        if !self.codes.contains(insee_code) {
            return None;
        }
        match &self.entries {
            Entries::Read(entries) => entries
                .iter()
                .position(|e| e.commune.insee_code == insee_code),
            Entries::OnDemand { text, lines } => lines
                .iter()
                .position(|l| text.get(l.start as usize..l.code_end as usize) == Some(insee_code)),
        }
    }

    /// Centre of each département: population-weighted mean of its located communes.
    fn departement_centres(&self) -> &HashMap<String, GeoPoint> {
        self.departement_centres.get_or_init(|| {
            let mut sums: HashMap<&str, (f64, f64, f64)> = HashMap::default();
            for c in self.communes() {
                if let Some(p) = c.centre {
                    let w = f64::from(c.population.max(1));
                    let s = sums.entry(c.departement.as_str()).or_default();
                    s.0 += p.lat * w;
                    s.1 += p.lon * w;
                    s.2 += w;
                }
            }
            sums.into_iter()
                .map(|(d, (la, lo, w))| (d.to_string(), GeoPoint::new(la / w, lo / w)))
                .collect()
        })
    }

    /// Builds the lookups by name (and the départements' centres) now rather than at the first
    /// lookup: a server does it at start, so that no request pays for it (some 30 ms).
    pub fn index_names(&self) {
        self.names();
        self.departement_centres();
    }

    /// Lookups by name, built at the first call.
    fn names(&self) -> &Names {
        self.names.get_or_init(|| {
            let mut names = Names {
                keys: Vec::with_capacity(self.entry_count()),
                ..Names::default()
            };
            for (idx, entry) in self.entries().enumerate() {
                let mut keys = vec![commune_key(&entry.commune.name)];
                keys.extend(
                    entry
                        .aliases
                        .split('|')
                        .filter(|s| !s.is_empty())
                        .map(commune_key),
                );
                keys.sort();
                keys.dedup();
                for pc in &entry.commune.postcodes {
                    names.by_postcode.entry(pc.clone()).or_default().push(idx);
                }
                for k in &keys {
                    names.by_key.entry(k.clone()).or_default().push(idx);
                }
                names.keys.push(keys);
            }
            names
        })
    }

    /// Number of current communes.
    pub fn len(&self) -> usize {
        self.current.len()
    }

    pub fn is_empty(&self) -> bool {
        self.current.is_empty()
    }

    /// Current communes of a département, by decreasing population.
    pub fn communes_of_departement(&self, dep: &str) -> Vec<&CommuneRef> {
        let mut v: Vec<_> = self.communes().filter(|c| c.departement == dep).collect();
        v.sort_by(|a, b| {
            b.population
                .cmp(&a.population)
                .then(a.insee_code.cmp(&b.insee_code))
        });
        v
    }

    /// Name of a département (« Meurthe-et-Moselle »), when the referential has it.
    pub fn departement_name(&self, code: &str) -> Option<&str> {
        self.departement_names.get(code).map(String::as_str)
    }

    /// Name of a région (« Grand Est ») by its INSEE code (« 44 »).
    pub fn region_name(&self, code: &str) -> Option<&str> {
        self.region_names.get(code).map(String::as_str)
    }

    /// Code of a région typed by its name (« grand est »).
    pub fn region_by_name(&self, name: &str) -> Option<&str> {
        let key = commune_key(name);
        self.region_names
            .iter()
            .find(|(_, n)| commune_key(n) == key)
            .map(|(code, _)| code.as_str())
    }

    /// The région of a département.
    pub fn region_of_departement(&self, departement: &str) -> Option<&str> {
        self.departement_regions
            .get(departement)
            .map(String::as_str)
    }

    /// The départements of a région, sorted by code.
    pub fn departements_of_region(&self, region: &str) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .departement_regions
            .iter()
            .filter(|(_, r)| r.as_str() == region)
            .map(|(d, _)| d.as_str())
            .collect();
        v.sort_unstable();
        v
    }

    /// Name of an EPCI (« Métropole du Grand Nancy ») by its SIREN number.
    pub fn epci_name(&self, code: &str) -> Option<&str> {
        self.epci_names.get(code).map(String::as_str)
    }

    /// Code of a département typed by its name (« meurthe et moselle »).
    pub fn departement_by_name(&self, name: &str) -> Option<&str> {
        let key = commune_key(name);
        self.departement_names
            .iter()
            .find(|(_, n)| commune_key(n) == key)
            .map(|(code, _)| code.as_str())
    }

    /// SIREN of an EPCI typed by its name (« Métropole du Grand Nancy »).
    pub fn epci_by_name(&self, name: &str) -> Option<&str> {
        let key = commune_key(name);
        self.epci_names
            .iter()
            .find(|(_, n)| commune_key(n) == key)
            .map(|(code, _)| code.as_str())
    }

    /// Current communes of an EPCI.
    pub fn communes_of_epci(&self, code: &str) -> Vec<&CommuneRef> {
        self.communes()
            .filter(|c| c.epci.as_deref() == Some(code))
            .collect()
    }

    /// All current communes, by INSEE code.
    pub fn communes(&self) -> impl Iterator<Item = &CommuneRef> {
        self.current
            .values()
            .filter_map(|i| self.entry(*i))
            .map(|e| &e.commune)
    }

    /// The current commune of this INSEE code.
    fn current(&self, insee_code: &str) -> Option<&CommuneRef> {
        self.current
            .get(insee_code)
            .and_then(|i| self.entry(*i))
            .map(|e| &e.commune)
    }

    /// The current commune an entry stands for (delegated communes and arrondissements
    /// resolve to their current commune).
    fn current_of(&self, e: &Entry) -> Option<&CommuneRef> {
        match e.kind {
            Kind::Current => self.current(&e.commune.insee_code),
            _ => e.parent.as_deref().and_then(|p| self.current(p)),
        }
    }

    /// Centre of a commune, falling back to the centre of its département (flagged).
    pub fn centre_of(&self, insee_code: &str) -> Option<(GeoPoint, bool)> {
        let c = self.current(insee_code)?;
        c.centre.map(|p| (p, true)).or_else(|| {
            self.departement_centres()
                .get(&c.departement)
                .map(|p| (*p, false))
        })
    }

    /// Finds a commune typed by a person (« avignon », « ST ETIENNE », or an INSEE code),
    /// optionally restricted to a département; the most populated wins ties.
    pub fn find_by_name(&self, input: &str, departement: Option<&str>) -> Option<&CommuneRef> {
        let trimmed = input.trim();
        if let Some(c) = self.current(trimmed) {
            return Some(c);
        }
        // « Avignon (84) » or « Avignon 84000 »
        let (name, hint) = split_hint(trimmed);
        let key = commune_key(name);
        if key.is_empty() {
            return None;
        }
        let dep = departement
            .map(str::to_string)
            .or(hint.clone().filter(|h| h.len() <= 3));
        let postcode = hint.filter(|h| h.len() == 5);
        if let Some(pc) = postcode {
            return self.resolve(name, &pc);
        }
        let mut found: Vec<&CommuneRef> = self
            .names()
            .by_key
            .get(&key)
            .into_iter()
            .flatten()
            .filter_map(|i| self.entry(*i))
            .filter(|e| dep.as_deref().is_none_or(|d| e.commune.departement == d))
            .filter_map(|e| self.current_of(e))
            .collect();
        found.sort_by_key(|c| std::cmp::Reverse(c.population));
        found.first().copied()
    }
}

impl Line {
    /// The line's entry, read from the referential's text.
    fn read(&self, text: &str) -> Entry {
        let line = text
            .get(self.start as usize..self.end as usize)
            .unwrap_or_default();
        read_entry(self.kind, &columns(line))
    }
}

/// The first 12 columns of a line (blank when missing).
fn columns(line: &str) -> [&str; 12] {
    let mut cols = [""; 12];
    for (slot, value) in cols.iter_mut().zip(line.split('\t')) {
        *slot = value;
    }
    cols
}

/// A line's entry, from its columns.
fn read_entry(kind: Kind, cols: &[&str; 12]) -> Entry {
    let centre = match (cols[9].parse::<f64>(), cols[10].parse::<f64>()) {
        (Ok(lat), Ok(lon)) => Some(GeoPoint::new(lat, lon)),
        _ => None,
    };
    Entry {
        kind,
        parent: (!cols[4].is_empty()).then(|| cols[4].to_string()),
        aliases: cols[11].into(),
        commune: CommuneRef {
            insee_code: cols[0].to_string(),
            name: cols[1].to_string(),
            departement: cols[2].to_string(),
            postcodes: cols[5]
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            epci: (!cols[6].is_empty()).then(|| cols[6].to_string()),
            population: cols[8].parse().unwrap_or(0),
            centre,
        },
    }
}

fn split_hint(input: &str) -> (&str, Option<String>) {
    if let Some(open) = input.rfind('(')
        && input.ends_with(')')
    {
        let hint = input[open + 1..input.len() - 1].trim();
        return (input[..open].trim(), Some(hint.to_ascii_uppercase()));
    }
    if let Some((name, last)) = input.rsplit_once(' ')
        && last.len() == 5
        && last.chars().all(|c| c.is_ascii_digit())
    {
        return (name.trim(), Some(last.to_string()));
    }
    (input, None)
}

impl CommuneLookup for Referential {
    fn by_code(&self, insee_code: &str) -> Option<&CommuneRef> {
        self.current(insee_code).or_else(|| {
            // Arrondissements and delegated communes are valid codes too.
            self.first_of_code(insee_code).map(|e| &e.commune)
        })
    }

    /// Neither a line read nor a string hashed: a bit of the codes of every line.
    fn knows(&self, insee_code: &str) -> bool {
        self.codes.contains(insee_code)
    }

    fn resolve(&self, name: &str, postcode: &str) -> Option<&CommuneRef> {
        let key = commune_key(without_cedex(name));
        if key.is_empty() {
            return None;
        }
        let names = self.names();
        // Entries served by the postcode, with their folded names.
        let candidates: Vec<(&Entry, &[String])> = names
            .by_postcode
            .get(postcode)
            .map(|ids| {
                ids.iter()
                    .filter_map(|&i| Some((self.entry(i)?, names.keys.get(i)?.as_slice())))
                    .collect()
            })
            .unwrap_or_default();
        // 1. Exact (folded) name among the communes served by the postcode, or the same without
        //    its article (« Pont de Claix » for Le Pont-de-Claix).
        if let Some((e, _)) = candidates.iter().find(|(_, keys)| keys.contains(&key)) {
            return self.current_of(e);
        }
        let bare = without_article(&key);
        if let Some((e, _)) = candidates
            .iter()
            .find(|(_, keys)| keys.iter().any(|k| without_article(k) == bare))
        {
            return self.current_of(e);
        }
        // 2. Close spelling among them (missing letters, typos): Jaro-Winkler ≥ 0.92.
        let best = candidates
            .iter()
            .filter_map(|(e, keys)| {
                let score = keys
                    .iter()
                    .map(|k| strsim::jaro_winkler(k, &key))
                    .fold(0.0, f64::max);
                (score >= 0.92).then_some((score, *e))
            })
            .max_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((_, e)) = best {
            return self.current_of(e);
        }
        // 3. The first words of a longer name, when one commune only of the postcode starts
        //    with them (« Loriol » for Loriol-sur-Drôme, « CHAMONIX » for Chamonix-Mont-Blanc).
        //    And the other way: a name with words added (« Le Luc-en-Provence » for Le Luc).
        for matches in [
            &(|k: &str| starts_with_words(k, bare)) as &dyn Fn(&str) -> bool,
            &(|k: &str| starts_with_words(bare, without_article(k))),
        ] {
            let found = self.only_current(
                candidates
                    .iter()
                    .filter(|(_, keys)| keys.iter().any(|k| matches(k)))
                    .map(|(e, _)| *e),
            );
            if found.is_some() {
                return found;
            }
        }
        // 4. A postcode that serves no commune (a CEDEX code) or a wrong one: the name, unique
        //    in the postcode's département, else unique in the country.
        if let Some(dep) = maillage_domain::place::departement_of_postcode(postcode) {
            let in_departement: Vec<&Entry> = names
                .by_key
                .get(&key)
                .into_iter()
                .flatten()
                .filter_map(|i| self.entry(*i))
                .filter(|e| e.commune.departement == dep)
                .collect();
            if !in_departement.is_empty() {
                return self.only_current(in_departement.into_iter());
            }
        }
        if let Some(same_name) = names.by_key.get(&key)
            && let Some(found) = self.only_current(same_name.iter().filter_map(|i| self.entry(*i)))
        {
            return Some(found);
        }
        // 5. A locality of a postcode that serves one commune only (« MOULES 13280 », a hamlet
        //    of Arles; « 7e Arrondissement 13007 »; a postcode written as the name) — never a
        //    name that is some commune's, elsewhere.
        if names.by_key.contains_key(&key) {
            return None;
        }
        self.only_current(candidates.into_iter().map(|(e, _)| e))
    }
}

impl Referential {
    /// The current commune of these entries, when they all lead to the same one.
    fn only_current<'a>(
        &'a self,
        entries: impl Iterator<Item = &'a Entry>,
    ) -> Option<&'a CommuneRef> {
        let mut currents: Vec<&CommuneRef> = entries.filter_map(|e| self.current_of(e)).collect();
        currents.sort_by(|a, b| a.insee_code.cmp(&b.insee_code));
        currents.dedup_by(|a, b| a.insee_code == b.insee_code);
        match currents.as_slice() {
            [only] => Some(*only),
            _ => None,
        }
    }
}

/// The name without a CEDEX mention (« Annecy Cedex 03 », « GAP CEDEX »): the commune stays.
fn without_cedex(name: &str) -> &str {
    let lower = name.to_ascii_lowercase();
    match lower.find(" cedex") {
        Some(at) if at > 0 => name[..at].trim_end(),
        _ => name,
    }
}

/// A folded name without its leading article (`le`, `la`, `les`, `l`).
fn without_article(key: &str) -> &str {
    ["le ", "la ", "les ", "l "]
        .iter()
        .find_map(|a| key.strip_prefix(a))
        .unwrap_or(key)
}

/// Whether a folded name begins with these whole words (with or without its article).
fn starts_with_words(name: &str, words: &str) -> bool {
    let name = without_article(name);
    name.len() > words.len()
        && name.starts_with(words)
        && name.as_bytes().get(words.len()) == Some(&b' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# test\n\
13055\tMarseille\t13\tC\t\t13001,13002\t200054807\tMétropole\t886040\t43.29695\t5.38107\t\n\
13201\tMarseille 1er Arrondissement\t13\tR\t13055\t13001\t200054807\tMétropole\t37599\t\t\tMARSEILLE\n\
42218\tSaint-Étienne\t42\tC\t\t42000,42100\t244200770\tSEM\t173136\t45.43389\t4.39\tSAINT VICTOR SUR LOIRE\n\
73008\tAix-les-Bains\t73\tC\t\t73100\t200068674\tCA Grand Lac\t32406\t45.69173\t5.90863\t\n\
50129\tCherbourg-en-Cotentin\t50\tC\t\t50100\t\t\t78000\t\t\t\n\
50173\tÉqueurdreville-Hainneville\t50\tD\t50129\t50120\t\t\t0\t\t\t\n\
74010\tAnnecy\t74\tC\t\t74000,74370,74600\t200066793\tCA du Grand Annecy\t132117\t45.90878\t6.12565\t\n\
74056\tChamonix-Mont-Blanc\t74\tC\t\t74400\t200023372\tCC de la Vallée\t8705\t45.92375\t6.86933\t\n\
38317\tLe Pont-de-Claix\t38\tC\t\t38800\t200040715\tGrenoble-Alpes-Métropole\t10956\t45.12321\t5.69782\t\n\
38111\tClaix\t38\tC\t\t38640\t200040715\tGrenoble-Alpes-Métropole\t7836\t45.11994\t5.67292\t\n\
26165\tLivron-sur-Drôme\t26\tC\t\t26250\t242600252\tCC du Val de Drôme\t9329\t44.77689\t4.84180\t\n\
26166\tLoriol-sur-Drôme\t26\tC\t\t26270\t242600252\tCC du Val de Drôme\t6614\t44.74703\t4.81719\t\n";

    fn r() -> Referential {
        Referential::parse(SAMPLE).expect("sample parses")
    }

    #[test]
    fn read_on_demand_or_at_once_the_answers_are_the_same() {
        let mut pairs = vec![(
            Referential::parse(SAMPLE).expect("lu"),
            Referential::parse_owned(SAMPLE.into()).expect("lu"),
            1,
        )];
        // The built referential, when set-up has made it (one entry in 7 looked up by name).
        if let (Ok(at_once), Ok(on_demand)) =
            (Referential::discover(), Referential::discover_on_demand())
        {
            pairs.push((at_once, on_demand, 7));
        }
        for (at_once, on_demand, step) in pairs {
            assert!(matches!(at_once.entries, Entries::Read(_)));
            assert_eq!(read_lines(&on_demand), 0);
            for e in at_once.entries().step_by(step) {
                let c = &e.commune;
                assert_eq!(
                    at_once.by_code(&c.insee_code),
                    on_demand.by_code(&c.insee_code)
                );
                assert!(at_once.knows(&c.insee_code) && on_demand.knows(&c.insee_code));
                assert_eq!(
                    at_once.centre_of(&c.insee_code),
                    on_demand.centre_of(&c.insee_code)
                );
                if let Some(pc) = c.postcodes.first() {
                    assert_eq!(at_once.resolve(&c.name, pc), on_demand.resolve(&c.name, pc));
                }
                assert_eq!(
                    at_once.find_by_name(&c.name, None),
                    on_demand.find_by_name(&c.name, None)
                );
            }
            let codes = |r: &Referential| {
                r.communes()
                    .map(|c| c.insee_code.clone())
                    .collect::<Vec<_>>()
            };
            assert_eq!(codes(&at_once), codes(&on_demand));
            assert!(at_once.by_code("99999").is_none() && on_demand.by_code("99999").is_none());
            assert!(!at_once.knows("99999") && !on_demand.knows("99999"));
        }
    }

    /// Lines read so far.
    fn read_lines(r: &Referential) -> usize {
        match &r.entries {
            Entries::Read(entries) => entries.len(),
            Entries::OnDemand { lines, .. } => {
                lines.iter().filter(|l| l.entry.get().is_some()).count()
            }
        }
    }

    #[test]
    fn a_line_is_read_when_first_asked_for() {
        let r = Referential::parse_owned(SAMPLE.into()).expect("sample parses");
        assert_eq!(read_lines(&r), 0);
        // Whether a code is known (current, delegated, or not at all) reads no line.
        assert!(r.knows("74010") && r.knows("50173") && !r.knows("99999") && !r.knows(""));
        assert_eq!(read_lines(&r), 0);
        let annecy = r.by_code("74010").expect("Annecy");
        assert_eq!(
            (
                annecy.name.as_str(),
                annecy.departement.as_str(),
                annecy.population
            ),
            ("Annecy", "74", 132_117)
        );
        assert_eq!(annecy.postcodes, ["74000", "74370", "74600"]);
        assert_eq!(annecy.epci.as_deref(), Some("200066793"));
        assert_eq!(read_lines(&r), 1);
        // A delegated commune's code is found by its line alone.
        let delegated = r.by_code("50173").expect("Équeurdreville");
        assert_eq!(delegated.name, "Équeurdreville-Hainneville");
        assert_eq!(delegated.centre, None);
        assert_eq!(read_lines(&r), 2);
        assert!(r.by_code("99999").is_none());
        assert_eq!(read_lines(&r), 2);
        // A département's centre reads its communes; a lookup by name reads every line.
        assert_eq!(
            r.centre_of("50129"),
            None,
            "la Manche n'a ici aucune commune située"
        );
        assert_eq!(
            r.centre_of("13055"),
            Some((GeoPoint::new(43.29695, 5.38107), true))
        );
        assert!(read_lines(&r) > 2);
        assert!(r.resolve("Aix les Bains", "73100").is_some());
        assert_eq!(read_lines(&r), r.entry_count());
    }

    #[test]
    fn resolves_real_spellings() {
        let r = r();
        let code = |n: &str, pc: &str| r.resolve(n, pc).map(|c| c.insee_code.clone());
        assert_eq!(code("ST ETIENNE", "42000"), Some("42218".into()));
        assert_eq!(code("saint-etienne", "42100"), Some("42218".into()));
        assert_eq!(code("Aix les bains", "73100"), Some("73008".into()));
        assert_eq!(code("Aix-les-Bain", "73100"), Some("73008".into()));
        assert_eq!(code("MARSEILLE", "13001"), Some("13055".into()));
        assert_eq!(
            code("Equeurdreville-Hainneville", "50120"),
            Some("50129".into())
        );
        // Wrong postcode, but a name unique in the département.
        assert_eq!(code("Saint-Étienne", "42999"), Some("42218".into()));
        assert_eq!(code("Lyon", "42999"), None);
    }

    /// Spellings of real regional files (issue #10): CEDEX mentions and codes, upper case, a
    /// missing article, the first words of a longer name.
    #[test]
    fn resolves_cedex_articles_and_short_names() {
        let r = r();
        let code = |n: &str, pc: &str| r.resolve(n, pc).map(|c| c.insee_code.clone());
        assert_eq!(code("Annecy Cedex 03", "74003"), Some("74010".into()));
        assert_eq!(code("ANNECY CEDEX", "74000"), Some("74010".into()));
        assert_eq!(code("CHAMONIX", "74400"), Some("74056".into()));
        assert_eq!(code("Pont de Claix", "38800"), Some("38317".into()));
        assert_eq!(code("Loriol", "26270"), Some("26166".into()));
        assert_eq!(code("Livron", "26250"), Some("26165".into()));
        // The first words only, never a word inside: « Claix » with Le Pont-de-Claix's postcode
        // is Claix, whose name it is (unique in the département); « Pont » with Claix's postcode
        // is Claix, the only commune of that postcode; nothing guessed where nothing fits.
        assert_eq!(code("Claix", "38800"), Some("38111".into()));
        assert_eq!(code("Pont", "38640"), Some("38111".into()));
        assert_eq!(code("Le Pont", "38801"), None);
        // Words added to the name, a hamlet or an arrondissement of a postcode that serves one
        // commune, a name unique in the country whatever the postcode.
        // A commune's name, elsewhere, is never given the postcode's commune: here Claix, the
        // only one of this sample's country.
        assert_eq!(code("Claix", "26270"), Some("38111".into()));
        assert_eq!(code("Annecy", "26270"), Some("74010".into()));
        assert_eq!(
            code("Loriol-sur-Drôme centre", "26270"),
            Some("26166".into())
        );
        assert_eq!(code("Hameau des Pins", "74400"), Some("74056".into()));
        assert_eq!(code("Chamonix-Mont-Blanc", "06922"), Some("74056".into()));
    }

    #[test]
    fn finds_communes_typed_by_people() {
        let r = r();
        assert_eq!(
            r.find_by_name("saint etienne", None)
                .map(|c| c.insee_code.as_str()),
            Some("42218")
        );
        assert_eq!(
            r.find_by_name("Marseille (13)", None)
                .map(|c| c.insee_code.as_str()),
            Some("13055")
        );
        assert_eq!(
            r.find_by_name("13055", None).map(|c| c.name.as_str()),
            Some("Marseille")
        );
        // No centre for the commune nor for its département in the sample.
        assert_eq!(r.centre_of("50129"), None);
        assert!(r.centre_of("42218").is_some_and(|(_, exact)| exact));
    }

    #[test]
    fn rejects_a_malformed_file_with_the_line() {
        let err = Referential::parse("01001\tX\n").expect_err("too few columns");
        assert!(err.to_string().contains("ligne 1"));
        // The line counted among comments, département names and blank lines; the same
        // errors read on demand.
        let line = "13055\tMarseille\t13\tC\t\t13001\t\t\t1\t\t\t";
        let few = format!("# en-tête\n#D\t13\tBouches-du-Rhône\n\n{line}\n01001\tX\n");
        let kind = format!(
            "# en-tête\n{line}\n{}\n",
            line.replacen("\tC\t", "\tZ\t", 1)
        );
        for (text, expected) in [
            (few, "ligne 5 : 12 colonnes attendues, 2 trouvées"),
            (kind, "ligne 3 : type de commune inconnu « Z »"),
        ] {
            for err in [
                Referential::parse(&text).expect_err("refusé"),
                Referential::parse_owned(text.clone().into()).expect_err("refusé"),
            ] {
                assert!(err.to_string().ends_with(expected), "{err}");
            }
        }
    }

    #[test]
    fn the_built_referential_covers_france_when_present() {
        // Built by the set-up; the test command builds it first and sets this variable so
        // that a missing referential fails instead of skipping.
        let r = match Referential::discover() {
            Ok(r) => r,
            Err(e) if std::env::var_os("MAILLAGE_REQUIRE_REFERENTIAL").is_some() => panic!("{e}"),
            Err(_) => return,
        };
        assert!(r.len() > 34_000, "{}", r.len());
        assert_eq!(
            r.resolve("ST ETIENNE", "42000")
                .map(|c| c.insee_code.as_str()),
            Some("42218")
        );
        assert_eq!(
            r.resolve("Aix les bains", "73100")
                .map(|c| c.insee_code.as_str()),
            Some("73008")
        );
        assert!(r.communes_of_departement("84").len() > 100);
        assert_eq!(r.departement_name("54"), Some("Meurthe-et-Moselle"));
        assert_eq!(r.departement_name("2A"), Some("Corse-du-Sud"));
        assert_eq!(r.epci_name("245400676"), Some("Métropole du Grand Nancy"));
        assert!(r.communes_of_epci("245400676").len() >= 20);
    }

    #[test]
    fn names_of_departements_and_epci() {
        let r = Referential::parse(&format!(
            "{SAMPLE}#D\t13\tBouches-du-Rhône\n#E\t200054807\tMétropole d'Aix-Marseille-Provence\n"
        ))
        .expect("sample parses");
        assert_eq!(r.departement_name("13"), Some("Bouches-du-Rhône"));
        assert_eq!(
            r.epci_name("200054807"),
            Some("Métropole d'Aix-Marseille-Provence")
        );
        assert_eq!(
            r.communes_of_epci("200054807").len(),
            1,
            "Marseille seule, sans ses arrondissements"
        );
        assert_eq!(r.departement_name("54"), None);
        assert_eq!(r.departement_by_name("bouches du rhone"), Some("13"));
        assert_eq!(
            r.epci_by_name("Metropole d'Aix-Marseille-Provence"),
            Some("200054807")
        );
        assert_eq!(r.epci_by_name("Marseille"), None);
        // A file built before régions: no région, nothing else lost.
        assert_eq!(r.region_of_departement("13"), None);
    }

    #[test]
    fn regions_and_their_departements() {
        let r = Referential::parse(&format!(
            "{SAMPLE}#R\t93\tProvence-Alpes-Côte d'Azur\n#D\t13\tBouches-du-Rhône\t93\n#D\t04\tAlpes-de-Haute-Provence\t93\n#D\t54\tMeurthe-et-Moselle\t44\n"
        ))
        .expect("sample parses");
        assert_eq!(r.region_name("93"), Some("Provence-Alpes-Côte d'Azur"));
        assert_eq!(r.region_by_name("provence alpes cote d azur"), Some("93"));
        assert_eq!(r.region_of_departement("13"), Some("93"));
        assert_eq!(r.departements_of_region("93"), ["04", "13"]);
        assert_eq!(r.departement_name("13"), Some("Bouches-du-Rhône"));
        assert!(r.departements_of_region("11").is_empty());
    }

    /// Every code of the usual shape has its own rank, any other none.
    #[test]
    fn codes_of_the_usual_shape_have_distinct_ranks() {
        let mut seen = std::collections::HashSet::new();
        for dep in (0..100)
            .map(|d| format!("{d:02}"))
            .chain(["2A".into(), "2B".into()])
        {
            for n in 0..1000 {
                let rank = code_rank(&format!("{dep}{n:03}")).expect("rang");
                assert!(rank < CodeSet::RANKS && seen.insert(rank));
            }
        }
        assert_eq!(seen.len(), CodeSet::RANKS);
        for odd in [
            "",
            "7401",
            "740100",
            "2a004",
            "2C004",
            "A1234",
            "7401A",
            "74 10",
            "٧٤٠١٠",
        ] {
            assert_eq!(code_rank(odd), None, "{odd}");
        }
    }

    proptest::proptest! {
        /// Whether a code is known is whether it has a commune, for any text — codes of the
        /// file (current, delegated, of an odd shape), near ones, and anything else.
        #[test]
        fn known_exactly_when_a_commune_has_the_code(
            code in proptest::prop_oneof![
                "[0-9]{5}",
                "(2A|2B|2a|74|50|38|26|X1)[0-9]{3}",
                "(74010|50173|38317|X1|2A004|7401|740100)",
                ".{0,6}",
            ]
        ) {
            let r = Referential::parse_owned(
                format!("{SAMPLE}X1\tCommune au code singulier\t74\tC\t\t74000\t\t\t0\t\t\t\n").into(),
            )
            .expect("lu");
            proptest::prop_assert_eq!(r.knows(&code), r.by_code(&code).is_some());
            proptest::prop_assert!(r.knows("X1") && r.knows("50173") && !r.knows("x1"));
        }
    }
}
