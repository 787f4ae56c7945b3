//! The cube as bytes (issue #22): an instance restarted over millions of records reads the last
//! snapshot and the changes logged since, instead of every record. The layout is postcard's
//! encoding of the cube's columns behind a four-byte format number; a snapshot of another
//! format is refused, never misread (the caller then loads the records).

use serde::{Deserialize, Serialize};

use super::cube::{Dictionary, Fact, GroupFact, PersonFact};
use super::*;

/// The layout of the bytes; raised whenever a column of the cube changes.
pub const SNAPSHOT_FORMAT: u32 = 1;

/// Why a snapshot cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("instantané d'un autre format ({found}, attendu {SNAPSHOT_FORMAT})")]
    Format { found: u32 },
    #[error("instantané illisible : {0}")]
    Corrupt(String),
}

/// The columns, borrowed, as they are written.
#[derive(Serialize)]
struct Columns<'a> {
    keys: &'a [u128],
    facts: &'a [Fact],
    person_refs: &'a [u32],
    tag_refs: &'a [u32],
    groups: &'a [GroupFact],
    persons: &'a [PersonFact],
    dictionaries: [&'a [String]; 8],
    referral_status: &'a [u8],
    live: usize,
}

/// The columns, owned, as they are read.
#[derive(Deserialize)]
struct Owned {
    keys: Vec<u128>,
    facts: Vec<Fact>,
    person_refs: Vec<u32>,
    tag_refs: Vec<u32>,
    groups: Vec<GroupFact>,
    persons: Vec<PersonFact>,
    dictionaries: [Vec<String>; 8],
    referral_status: Vec<u8>,
    live: usize,
}

impl Cube {
    /// The cube as bytes, to be read back by [`Cube::from_snapshot`].
    pub fn to_snapshot(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // Writing to a vector cannot fail; an empty body would be refused on reading.
        let _ = self.write_snapshot(&mut out);
        out
    }

    /// Writes the cube's bytes to `sink` (a compressor, a vector) as they are encoded, without
    /// holding them all at once.
    pub fn write_snapshot(&self, mut sink: impl std::io::Write) -> std::io::Result<()> {
        let columns = Columns {
            keys: &self.keys,
            facts: &self.facts,
            person_refs: &self.person_refs,
            tag_refs: &self.tag_refs,
            groups: &self.groups,
            persons: &self.persons,
            dictionaries: [
                &self.person_ids.keys,
                &self.orgs.keys,
                &self.helpers.keys,
                &self.places.keys,
                &self.communes.keys,
                &self.procedures.keys,
                &self.tags.keys,
                &self.referrals.keys,
            ],
            referral_status: &self.referral_status,
            live: self.live,
        };
        sink.write_all(&SNAPSHOT_FORMAT.to_le_bytes())?;
        postcard::to_io(&columns, sink)
            .map(|_| ())
            .map_err(std::io::Error::other)
    }

    /// The cube written by [`Cube::to_snapshot`], checked: every reference between columns
    /// points inside its column, so that a damaged snapshot is refused rather than answering
    /// wrong figures or panicking later.
    pub fn from_snapshot(bytes: &[u8]) -> Result<Cube, SnapshotError> {
        let (format, body) = bytes
            .split_first_chunk::<4>()
            .ok_or_else(|| SnapshotError::Corrupt("trop court".into()))?;
        let found = u32::from_le_bytes(*format);
        if found != SNAPSHOT_FORMAT {
            return Err(SnapshotError::Format { found });
        }
        let o: Owned =
            postcard::from_bytes(body).map_err(|e| SnapshotError::Corrupt(e.to_string()))?;
        let [
            person_ids,
            orgs,
            helpers,
            places,
            communes,
            procedures,
            tags,
            referrals,
        ] = o.dictionaries.map(Dictionary::from_keys);
        let corrupt = |what: &str| Err(SnapshotError::Corrupt(what.into()));
        if o.keys.len() != o.facts.len() || !o.keys.is_sorted_by(|a, b| a < b) {
            return corrupt("clés des comptes rendus");
        }
        if o.facts.iter().filter(|f| f.live).count() != o.live {
            return corrupt("nombre de comptes rendus");
        }
        let within = |i: u32, d: &Dictionary| (i as usize) < d.len();
        let slice_ok = |(start, len): (u32, u16), column: &[u32]| {
            (start as usize)
                .checked_add(usize::from(len))
                .is_some_and(|end| end <= column.len())
        };
        let facts_ok = o.facts.iter().all(|f| {
            f.kind < 32
                && f.level < 32
                && within(f.org, &orgs)
                && within(f.helper, &helpers)
                && within(f.place, &places)
                && within(f.commune, &communes)
                && within(f.procedure, &procedures)
                && within(f.referral, &referrals)
                && slice_ok(f.persons, &o.person_refs)
                && slice_ok(f.tags, &o.tag_refs)
                && (f.group == u32::MAX || (f.group as usize) < o.groups.len())
        });
        if !facts_ok {
            return corrupt("références des comptes rendus");
        }
        if o.person_refs
            .iter()
            .any(|p| (*p as usize) >= o.persons.len())
            || o.tag_refs.iter().any(|t| !within(*t, &tags))
            || o.persons.iter().any(|p| !within(p.commune, &communes))
            || o.groups.iter().any(|g| !within(g.commune, &communes))
            || o.referral_status.len() > referrals.len()
        {
            return corrupt("références des personnes, étiquettes ou orientations");
        }
        Ok(Cube {
            keys: o.keys,
            facts: o.facts,
            person_refs: o.person_refs,
            tag_refs: o.tag_refs,
            groups: o.groups,
            persons: o.persons,
            person_ids,
            orgs,
            helpers,
            places,
            communes,
            procedures,
            tags,
            referrals,
            referral_status: o.referral_status,
            live: o.live,
        })
    }
}
