//! The places shelved with the search index: each place's stored form, compressed, kept in the
//! index's entry of the place ([`maillage_search::PlaceContext::shelf`]), so that a page of
//! results is answered from memory instead of reading its places back from the database (a round
//! trip to the store's worker thread and each place's JSON decoded: about a third of an API
//! list's time without the caches, see docs/PERFORMANCE.md).
//!
//! Each place is shelved in two forms, one after the other in one frame: the JSON the API
//! publishes of it for callers who do not see the helpers' part ([`PublishedPlace`], copied
//! into the API's pages as it is), a line break (which compact JSON never holds), then the
//! JSON the database holds (read back for the other pages). The national demo's shelf went
//! from 9.1 to 16.3 MB with the second form (the texts it repeats are written as references,
//! the rest is not).
//!
//! The frame is compressed with zstd and a dictionary made
//! once per process from the first places indexed: their JSON itself, 32 KB of it taken from
//! places spread over the batch, as zstd's « raw content » dictionary (the national demo: about
//! 1.5 KB of JSON, about 190 bytes shelved, a place; a trained dictionary gave 20 % less, but
//! its training left 7 MB resident in the C allocator). The dictionary never changes afterwards, so every shelved
//! place can be read back; places shelved before it was made are compressed without it (their
//! first byte says which). Each frame carries its checksum: bytes that do not read back are
//! never shown, the place is read from the database instead.

use std::cell::RefCell;
use std::sync::OnceLock;

use maillage_store::StoredPlace;

use super::listed::ListedPlace;
use super::published::PublishedPlace;
use zstd::bulk::{Compressor, Decompressor};
use zstd::dict::{DecoderDictionary, EncoderDictionary};
use zstd::zstd_safe::DCtx;

/// zstd's level: the places are packed when indexed (the whole directory at start-up), read
/// back on every page of results.
const LEVEL: i32 = 3;
/// The dictionary's size at most, taken from up to a thousand places (start-up reads the
/// directory by batches of a thousand).
const DICTIONARY_BYTES: usize = 32 * 1024;
/// Places the dictionary is taken from, spread over the batch (about 1.5 KB of JSON each).
const DICTIONARY_PLACES: usize = 20;
/// Fewer places than this make no dictionary worth keeping for the life of the process.
const MIN_SAMPLES: usize = 16;
/// The first byte of shelved bytes: compressed without or with the dictionary.
const PLAIN: u8 = 0;
const WITH_DICTIONARY: u8 = 1;
/// No place's JSON comes near this (the standard's longest texts are a few KB): a frame
/// claiming more is not read.
const MAX_PLACE_BYTES: usize = 1 << 20;

/// The dictionary of the process, once learnt.
#[derive(Default)]
pub(crate) struct Shelf {
    dictionary: OnceLock<Dictionary>,
}

struct Dictionary {
    encoder: EncoderDictionary<'static>,
    decoder: DecoderDictionary<'static>,
}

impl Shelf {
    /// Makes the dictionary from these places, unless it is already made or they are too few
    /// (then the next batch of places indexed may make it).
    pub(crate) fn learn(&self, sample: &[StoredPlace]) {
        if self.dictionary.get().is_some() || sample.len() < MIN_SAMPLES {
            return;
        }
        let step = (sample.len() / DICTIONARY_PLACES).max(1);
        let mut dictionary = Vec::with_capacity(DICTIONARY_BYTES);
        for place in sample.iter().step_by(step) {
            if dictionary.len() >= DICTIONARY_BYTES || write_forms(&mut dictionary, place).is_err()
            {
                break;
            }
        }
        dictionary.truncate(DICTIONARY_BYTES);
        let _ = self.dictionary.set(Dictionary {
            encoder: EncoderDictionary::copy(&dictionary, LEVEL),
            decoder: DecoderDictionary::copy(&dictionary),
        });
    }

    /// Whether the dictionary is made.
    #[cfg(test)]
    pub(crate) fn has_dictionary(&self) -> bool {
        self.dictionary.get().is_some()
    }

    /// A packer for a batch of places (one compression context for the batch).
    pub(crate) fn packer(&self) -> Packer<'_> {
        let (tag, compressor) = match self.dictionary.get() {
            Some(d) => (
                WITH_DICTIONARY,
                Compressor::with_prepared_dictionary(&d.encoder),
            ),
            None => (PLAIN, Compressor::new(LEVEL)),
        };
        let compressor = compressor.and_then(|mut c| {
            c.set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(true))?;
            Ok(c)
        });
        Packer {
            tag,
            compressor: compressor.ok(),
            json: Vec::new(),
            out: Vec::new(),
        }
    }

    /// The place shelved in these bytes, or `None` when they do not read back whole (then it
    /// is read from the base).
    pub(crate) fn unpack(&self, bytes: &[u8]) -> Option<StoredPlace> {
        serde_json::from_slice(stored_form(&self.decompress(bytes)?)?).ok()
    }

    /// What a list of results shows of the place shelved in these bytes, read from its stored
    /// JSON without the rest of the place, or `None` when they do not read back whole.
    pub(crate) fn unpack_listed(&self, bytes: &[u8]) -> Option<ListedPlace> {
        ListedPlace::from_stored_json(stored_form(&self.decompress(bytes)?)?)
    }

    /// The JSON the API publishes of the place shelved in these bytes
    /// ([`PublishedPlace`] without a hit, for callers who do not see the helpers' part), or
    /// `None` when they do not read back whole.
    pub(crate) fn unpack_published(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let mut forms = self.decompress(bytes)?;
        forms.truncate(forms.iter().position(|b| *b == b'\n')?);
        Some(forms)
    }

    /// The two forms of a place, as packed.
    fn decompress(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let (&tag, frame) = bytes.split_first()?;
        let capacity = Decompressor::upper_bound(frame)?;
        if capacity > MAX_PLACE_BYTES {
            return None;
        }
        let dictionary = match tag {
            PLAIN => None,
            WITH_DICTIONARY => Some(self.dictionary.get()?.decoder.as_ddict()),
            _ => return None,
        };
        let mut json = Vec::with_capacity(capacity);
        DECOMPRESSION.with(|context| {
            let mut context = context.try_borrow_mut().ok()?;
            let context = match &mut *context {
                Some(c) => c,
                slot => slot.insert(DCtx::try_create()?),
            };
            match dictionary {
                Some(d) => context.decompress_using_ddict(&mut json, frame, d),
                None => context.decompress(&mut json, frame),
            }
            .ok()
        })?;
        Some(json)
    }
}

/// The stored JSON of a place's two forms (after the line break that ends the published one).
fn stored_form(forms: &[u8]) -> Option<&[u8]> {
    forms.get(forms.iter().position(|b| *b == b'\n')? + 1..)
}

thread_local! {
    /// One decompression context per thread, kept from page to page: zstd allocates it (some
    /// 100 KB) through the C allocator, which would map and unmap it for every page.
    static DECOMPRESSION: RefCell<Option<DCtx<'static>>> = const { RefCell::new(None) };
}

/// Packs places for the shelf.
pub(crate) struct Packer<'s> {
    /// [`PLAIN`] or [`WITH_DICTIONARY`], written first.
    tag: u8,
    /// `None` when zstd could not make its context: nothing is shelved, pages read the base.
    compressor: Option<Compressor<'s>>,
    /// The place's JSON and its compressed form, reused from place to place: each shelved
    /// place is one allocation of its own size.
    json: Vec<u8>,
    out: Vec<u8>,
}

impl Packer<'_> {
    /// The place's shelved bytes, or `None` (then its pages read it from the base).
    pub(crate) fn pack(&mut self, stored: &StoredPlace) -> Option<Box<[u8]>> {
        self.json.clear();
        write_forms(&mut self.json, stored).ok()?;
        if self.json.len() > MAX_PLACE_BYTES {
            // It would not be read back.
            return None;
        }
        self.out.clear();
        self.out
            .reserve(zstd::zstd_safe::compress_bound(self.json.len()));
        let written = self
            .compressor
            .as_mut()?
            .compress_to_buffer(&self.json[..], &mut self.out)
            .ok()?;
        let mut shelved = Vec::with_capacity(written + 1);
        shelved.push(self.tag);
        shelved.extend_from_slice(self.out.get(..written)?);
        Some(shelved.into_boxed_slice())
    }
}

/// The two forms of a place, one after the other: the JSON the API publishes of it (its
/// referent left out), a line break, the JSON the database holds.
fn write_forms(out: &mut Vec<u8>, stored: &StoredPlace) -> serde_json::Result<()> {
    let published = PublishedPlace::of(
        &stored.place,
        stored.organisation_id.as_deref(),
        None,
        false,
    );
    serde_json::to_writer(&mut *out, &published)?;
    out.push(b'\n');
    serde_json::to_writer(out, stored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use maillage_domain::Place;

    fn stored(i: usize) -> StoredPlace {
        let mut place = Place::new(
            format!("lieu-{i:04}"),
            format!("Médiathèque n° {i}"),
            format!("{i} rue de la République"),
            "54000",
            "Nancy",
            chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap_or_default(),
        );
        place.insee_code = Some("54395".into());
        place.summary = Some(format!(
            "Accompagnement numérique, atelier {i}\nsur rendez-vous"
        ));
        place.extras.referent = Some(maillage_domain::place::Referent {
            name: format!("Référent {i}"),
            role: None,
            email: None,
            phone: None,
        });
        StoredPlace {
            place,
            organisation_id: i.is_multiple_of(3).then(|| format!("structure-{i}")),
            source: Some("import-2026".into()),
            source_id: Some(format!("src-{i}")),
            modified_at: "2026-12-06T18:00:00Z".into(),
        }
    }

    #[test]
    fn places_read_back_as_packed_before_and_after_the_dictionary() {
        let shelf = Shelf::default();
        let early = stored(9_999);
        let packed_early = shelf
            .packer()
            .pack(&early)
            .expect("empaqueté sans dictionnaire");
        let sample: Vec<StoredPlace> = (0..500).map(stored).collect();
        shelf.learn(&sample);
        assert!(shelf.has_dictionary());
        let mut packer = shelf.packer();
        let packed: Vec<Box<[u8]>> = sample
            .iter()
            .map(|s| packer.pack(s).expect("empaqueté"))
            .collect();
        for (s, bytes) in sample.iter().zip(&packed) {
            let back = shelf.unpack(bytes).expect("relu");
            assert_eq!(s, &back);
            // And the API's JSON of the place, as written for a caller without the helpers'
            // part.
            let published = shelf.unpack_published(bytes).expect("relu");
            let written = serde_json::to_vec(&PublishedPlace::of(
                &s.place,
                s.organisation_id.as_deref(),
                None,
                false,
            ))
            .expect("écrit");
            assert_eq!(published, written);
            let text = String::from_utf8(published).expect("UTF-8");
            assert!(text.contains(&s.place.name) && !text.contains("Référent"));
        }
        // Packed before the dictionary was learnt, still read back.
        let back = shelf.unpack(&packed_early).expect("relu sans dictionnaire");
        assert_eq!(early, back);
        // The dictionary is what makes the shelf small.
        let mean = packed.iter().map(|b| b.len()).sum::<usize>() / packed.len();
        assert!(mean * 2 < packed_early.len(), "{mean} octets en moyenne");
    }

    #[test]
    fn bytes_that_do_not_read_back_whole_give_nothing() {
        let shelf = Shelf::default();
        shelf.learn(&(0..200).map(stored).collect::<Vec<_>>());
        let mut bytes = shelf
            .packer()
            .pack(&stored(7))
            .expect("empaqueté")
            .into_vec();
        assert!(shelf.unpack(&bytes).is_some());
        assert!(shelf.unpack_published(&bytes).is_some());
        // One byte changed in the compressed data: the checksum (or zstd) refuses it.
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x40;
        assert!(shelf.unpack(&bytes).is_none());
        assert!(shelf.unpack_published(&bytes).is_none());
        assert!(shelf.unpack(&[]).is_none());
        assert!(shelf.unpack(b"pas du zstd").is_none());
        // A frame made with another dictionary, read with this one: refused by its checksum,
        // unless the bytes it takes from the dictionary happen to be the same in both (these
        // places are alike) — never another place.
        let other = Shelf::default();
        other.learn(&(300..500).map(stored).collect::<Vec<_>>());
        for i in 0..50 {
            let foreign = other.packer().pack(&stored(i)).expect("empaqueté");
            if let Some(read) = shelf.unpack(&foreign) {
                assert_eq!(read, stored(i));
            }
        }
        let foreign = other.packer().pack(&stored(8)).expect("empaqueté");
        // Without its dictionary, bytes packed with one are not read.
        let unmade = Shelf::default();
        assert!(unmade.unpack(&foreign).is_none());
    }

    #[test]
    fn too_few_places_teach_no_dictionary() {
        let shelf = Shelf::default();
        shelf.learn(&(0..10).map(stored).collect::<Vec<_>>());
        assert!(!shelf.has_dictionary());
        let s = stored(1);
        let bytes = shelf.packer().pack(&s).expect("empaqueté");
        assert_eq!(Some(s), shelf.unpack(&bytes));
    }
}
