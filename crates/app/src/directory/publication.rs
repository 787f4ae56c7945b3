//! The directory published for harvesters (issue #21): the national standard (CSV and JSON)
//! and data·inclusion v1 (structures and services), at stable public addresses.
//!
//! The four files are written once per state of the directory, off the async threads, and
//! kept until the next write: a collector asking every hour costs nothing, and its conditional
//! request (`If-None-Match`, `If-Modified-Since`) is answered from the digests kept beside.

use std::sync::{Arc, Weak};

use chrono::{DateTime, NaiveDate, Utc};
use maillage_domain::policy::{Action, Actor, authorize};
use maillage_search::SearchIndex;
use maillage_standard::ExportFormat;
use maillage_standard::data_inclusion::{self, Producer};
use maillage_store::StoredPlace;
use sha2::{Digest, Sha256};

use crate::{App, AppError, allow, today};

/// One published file.
#[derive(Debug, Clone)]
pub struct PublishedFile {
    /// The contents (shared: a response never copies them).
    pub bytes: bytes::Bytes,
    /// The same, gzip-compressed once, for the collectors that accept it: a national directory's
    /// files are compressed at each state of the directory, not at each request.
    pub gzip: bytes::Bytes,
    pub media_type: &'static str,
    /// `"…"`: the first 32 hexadecimal digits of the SHA-256 of the bytes, quoted.
    pub etag: String,
}

impl PublishedFile {
    fn new(bytes: Vec<u8>, media_type: &'static str) -> Result<Self, AppError> {
        use std::io::Write;
        let digest = Sha256::digest(&bytes);
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        encoder
            .write_all(&bytes)
            .map_err(|e| AppError::Operation(format!("compression : {e}")))?;
        let gzip = encoder
            .finish()
            .map_err(|e| AppError::Operation(format!("compression : {e}")))?;
        Ok(PublishedFile {
            bytes: bytes::Bytes::from(bytes),
            gzip: bytes::Bytes::from(gzip),
            media_type,
            etag: format!("\"{hex}\""),
        })
    }
}

/// The files of one state of the directory.
#[derive(Debug, Clone)]
pub struct Publication {
    pub standard_csv: PublishedFile,
    pub standard_json: PublishedFile,
    pub structures: PublishedFile,
    pub services: PublishedFile,
    /// When this process first published these contents (a restart publishes again: the
    /// digests, which are the contents', do not change).
    pub last_modified: DateTime<Utc>,
    pub places: usize,
    /// What data·inclusion's schema did not let through, in French.
    pub notes: Vec<String>,
}

/// Which published file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    StandardCsv,
    StandardJson,
    Structures,
    Services,
}

impl Publication {
    pub fn file(&self, which: Published) -> &PublishedFile {
        match which {
            Published::StandardCsv => &self.standard_csv,
            Published::StandardJson => &self.standard_json,
            Published::Structures => &self.structures,
            Published::Services => &self.services,
        }
    }
}

/// The publication of the current index, kept until the index changes.
#[derive(Default)]
pub(crate) struct PublicationCache {
    current: tokio::sync::Mutex<Option<PublishedState>>,
}

/// The index a publication was written from, at which batch of changes, and the files.
type PublishedState = (Weak<SearchIndex>, u64, Arc<Publication>);

/// The data·inclusion files of the directory.
#[derive(Debug, Clone)]
pub struct DataInclusionFiles {
    pub structures: Vec<u8>,
    pub services: Vec<u8>,
    pub structures_count: usize,
    pub services_count: usize,
    pub notes: Vec<String>,
}

/// The day a place's record was last written (`modified_at` starts with the day).
fn recorded_on(stored: &StoredPlace) -> Option<NaiveDate> {
    stored
        .modified_at
        .get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

impl App {
    /// Every place of the directory with its provenance, in batches.
    async fn all_stored_places(&self) -> Result<Vec<StoredPlace>, AppError> {
        const BATCH: u32 = 2_000;
        let mut all = Vec::new();
        let mut after = String::new();
        loop {
            let batch = self.store.places_after(&after, BATCH).await?;
            let Some(last) = batch.last() else {
                break;
            };
            after = last.place.id.clone();
            all.extend(batch);
        }
        Ok(all)
    }

    fn producer_name(&self) -> String {
        self.producer.clone()
    }

    /// The whole directory in data·inclusion v1: structures and services (`maillage export
    /// data-inclusion`). Same rule as every export of the directory.
    pub async fn export_data_inclusion(
        &self,
        actor: Option<&Actor>,
    ) -> Result<DataInclusionFiles, AppError> {
        allow(authorize(actor, &Action::ExportDirectory, today()))?;
        let stored = self.all_stored_places().await?;
        let source = self.producer_name();
        let public_url = self.public_url.clone();
        tokio::task::spawn_blocking(move || {
            let producer = Producer {
                source: &source,
                public_url: &public_url,
                today: today(),
            };
            let out = data_inclusion::export(
                stored.iter().map(|s| (&s.place, recorded_on(s))),
                &producer,
            );
            Ok(DataInclusionFiles {
                structures: out.structures_json()?,
                services: out.services_json()?,
                structures_count: out.structures.len(),
                services_count: out.services.len(),
                notes: out.notes,
            })
        })
        .await
        .map_err(|e| AppError::Operation(format!("export interrompu : {e}")))?
    }

    /// The directory's published files for its current state, written on first demand after
    /// each write (anyone may harvest them, as anyone may export the directory).
    pub async fn publication(&self, actor: Option<&Actor>) -> Result<Arc<Publication>, AppError> {
        allow(authorize(actor, &Action::ExportDirectory, today()))?;
        let index = self.index();
        // Read before the places: a batch applied meanwhile makes this publication old at once.
        let generation = index.generation();
        let mut current = self.publication.current.lock().await;
        if let Some((seen, seen_generation, publication)) = current.as_ref()
            && Weak::ptr_eq(seen, &Arc::downgrade(&index))
            && *seen_generation == generation
        {
            return Ok(publication.clone());
        }
        let stored = self.all_stored_places().await?;
        let source = self.producer_name();
        let public_url = self.public_url.clone();
        let previous = current.as_ref().map(|(_, _, p)| p.clone());
        let publication = tokio::task::spawn_blocking(move || -> Result<Publication, AppError> {
            let places: Vec<_> = stored.iter().map(|s| s.place.clone()).collect();
            let producer = Producer {
                source: &source,
                public_url: &public_url,
                today: today(),
            };
            let di = data_inclusion::export(
                stored.iter().map(|s| (&s.place, recorded_on(s))),
                &producer,
            );
            let standard_csv = PublishedFile::new(
                maillage_standard::export::to_bytes(&places, ExportFormat::Csv)?,
                ExportFormat::Csv.media_type(),
            )?;
            let standard_json = PublishedFile::new(
                maillage_standard::export::to_bytes(&places, ExportFormat::Json)?,
                ExportFormat::Json.media_type(),
            )?;
            let structures = PublishedFile::new(di.structures_json()?, "application/json")?;
            let services = PublishedFile::new(di.services_json()?, "application/json")?;
            // Unchanged contents keep their date (a write elsewhere, an edit undone).
            let last_modified = previous
                .filter(|p| {
                    p.standard_csv.etag == standard_csv.etag && p.services.etag == services.etag
                })
                .map(|p| p.last_modified)
                .unwrap_or_else(|| {
                    // Whole seconds: HTTP dates have no finer unit.
                    let now = Utc::now();
                    DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
                });
            Ok(Publication {
                standard_csv,
                standard_json,
                structures,
                services,
                last_modified,
                places: places.len(),
                notes: di.notes,
            })
        })
        .await
        .map_err(|e| AppError::Operation(format!("publication interrompue : {e}")))??;
        let publication = Arc::new(publication);
        *current = Some((Arc::downgrade(&index), generation, publication.clone()));
        Ok(publication)
    }
}
