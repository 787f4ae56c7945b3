//! A big file is checked as it is read, by chunks, the next one read while one is checked: the
//! outcome must be the one of each record checked on its own, in file order, whatever chunk a
//! record falls in — duplicates across chunks, records over several lines, blank lines.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use maillage_domain::place::ValidationContext;
use maillage_domain::progress::Progress;
use maillage_domain::typology::Typologies;
use maillage_referential::Referential;
use maillage_standard::{Position, Tally, check, check_each, check_watched, read};

fn shared(path: &str) -> PathBuf {
    std::env::var_os("MAILLAGE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
        .join(path)
}

/// The official example's header and first record, the record's `id` being its first field.
fn example() -> (String, String) {
    let text = std::fs::read_to_string(shared("standard/exemple-valide.csv")).expect("exemple");
    let mut lines = text.lines();
    let header = lines.next().expect("en-tête").to_string();
    let record = lines.next().expect("un lieu").to_string();
    (header, record)
}

/// 5,000 records (more than two chunks): record `i` has id `lieu-i`, except that the record
/// at 4,500 repeats the id of record 10; record 3,000 has a presentation over three lines,
/// record 1,200 a `;` list, and a blank line follows record 2,500.
fn big_file() -> String {
    let (header, record) = example();
    let rest = record
        .split_once(',')
        .map(|(_, rest)| rest.to_string())
        .expect("champs");
    let mut out = format!("{header}\n");
    for i in 1..=5000 {
        let id = if i == 4500 { 10 } else { i };
        let mut fields = rest.clone();
        if i == 3000 {
            fields = fields.replacen(
                "\"Notre association",
                "\"Sur trois lignes :\nune,\ndeux. Notre association",
                1,
            );
        }
        if i == 1200 {
            fields = fields.replacen("\"TIERS_LIEUX|ASSO\"", "\"TIERS_LIEUX;ASSO\"", 1);
        }
        out.push_str(&format!("\"lieu-{id}\",{fields}\n"));
        if i == 2500 {
            out.push_str(",,,\n");
        }
    }
    out
}

/// The referential and typologies, loaded once for the file's tests.
fn context() -> ValidationContext<'static> {
    static REFERENTIAL: OnceLock<Referential> = OnceLock::new();
    static TYPOLOGIES: OnceLock<Typologies> = OnceLock::new();
    ValidationContext {
        communes: REFERENTIAL
            .get_or_init(|| Referential::discover().expect("référentiel (scripts/setup.sh)")),
        typologies: TYPOLOGIES.get_or_init(Typologies::standard),
        list_separator: '|',
    }
}

#[derive(Default)]
struct Recorded {
    stages: Mutex<Vec<(String, Option<u64>)>>,
    advanced: AtomicU64,
}

impl Progress for Recorded {
    fn stage(&self, label: &str, steps: Option<u64>) {
        if let Ok(mut stages) = self.stages.lock() {
            stages.push((label.to_string(), steps));
        }
        self.advanced.store(0, Ordering::SeqCst);
    }
    fn advance(&self, steps: u64) {
        self.advanced.fetch_add(steps, Ordering::SeqCst);
    }
}

#[test]
fn a_big_file_is_checked_record_by_record_whatever_its_chunks() {
    let ctx = context();
    let text = big_file();
    let progress = Recorded::default();
    let report = check_watched(text.as_bytes(), &ctx, &progress).expect("lisible");

    assert_eq!(report.records.len(), 5000, "the blank line is no record");
    // Every record checked as if it were alone in its file, but for its line and duplicates.
    let (header, _) = example();
    let lines: Vec<&str> = text.lines().collect();
    let mut line = 2;
    for (rank, r) in report.records.iter().enumerate() {
        let i = rank + 1;
        assert_eq!(r.position, Position::Line(line), "record {i}");
        let own_lines = if i == 3000 { 3 } else { 1 };
        let own = lines[line - 1..line - 1 + own_lines].join("\n");
        let alone = check(format!("{header}\n{own}\n").as_bytes(), &ctx).expect("lisible");
        let alone = &alone.records[0];
        if i == 4500 {
            assert!(r.place.is_none());
            assert_eq!(r.errors.len(), 1);
            assert_eq!(r.errors[0].field, "id");
            assert!(r.errors[0].reason.contains("ligne 11"), "{:?}", r.errors);
            assert!(alone.place.is_some());
        } else {
            assert_eq!(r.place, alone.place, "record {i}");
            assert_eq!(r.errors, alone.errors, "record {i}");
        }
        assert_eq!(r.warnings, alone.warnings, "record {i}");
        assert_eq!(r.source_id, alone.source_id, "record {i}");
        line += own_lines + usize::from(i == 2500);
    }
    assert_eq!(report.invalid_count(), 1);
    assert_eq!(report.records[1199].warnings.len(), 1, "the `;` list");
    assert!(report.records[2999].place.as_ref().is_some_and(|p| {
        p.summary
            .as_deref()
            .is_some_and(|d| d.starts_with("Sur trois lignes :") && d.contains("deux."))
    }));

    // Steps are the file's lines after its header, and all of them are reported done.
    let stages = progress.stages.lock().expect("étapes").clone();
    let checking = stages.last().expect("une étape");
    assert_eq!(checking.0, "Vérification des lignes");
    assert_eq!(checking.1, Some(5003));
    assert_eq!(progress.advanced.load(Ordering::SeqCst), 5003);
}

#[test]
fn a_tally_says_what_the_report_says() {
    let ctx = context();
    let text = big_file()
        .replacen("\"lieu-20\",", "\"lieu-20\",\"pas un siret\",", 1)
        .replacen("\"lieu-4000\",", "\"\",", 1);
    let report = check(text.as_bytes(), &ctx).expect("lisible");
    assert!(report.invalid_count() >= 2, "{}", report.to_text());
    assert!(report.warning_count() >= 2, "{}", report.to_text());

    let source = read::open(text.as_bytes()).expect("lisible");
    let mut tally = Tally::new(source.format, source.version, source.notes.clone());
    check_each(
        source,
        &ctx,
        &maillage_domain::progress::Silent,
        |r| r.without_place(),
        |r| tally.add(r),
    )
    .expect("lisible");
    assert_eq!(tally.to_text(), report.to_text());
    assert_eq!(tally.invalid_count(), report.invalid_count());
    assert_eq!(tally.valid_count(), report.valid_count());
    assert_eq!(tally.warning_count(), report.warning_count());
    // Only the records with something to say are kept, each as the report has it.
    let flagged: Vec<_> = report
        .records
        .iter()
        .filter(|r| !r.errors.is_empty() || !r.warnings.is_empty())
        .collect();
    assert_eq!(tally.flagged.len(), flagged.len());
    for (kept, whole) in tally.flagged.iter().zip(flagged) {
        assert_eq!(kept.position, whole.position);
        assert_eq!(kept.source_id, whole.source_id);
        assert_eq!(kept.place.is_some(), whole.place.is_some());
        assert_eq!(kept.errors, whole.errors);
        assert_eq!(kept.warnings, whole.warnings);
    }
}

#[test]
fn a_file_read_whole_and_a_file_read_as_it_goes_are_the_same() {
    let text = big_file();
    let whole = read::read(text.as_bytes()).expect("lisible");
    let mut source = read::open(text.as_bytes()).expect("lisible");
    assert_eq!(
        (source.format, source.version),
        (whole.format, whole.version)
    );
    assert_eq!(source.notes, whole.notes);
    let mut streamed = Vec::new();
    loop {
        let chunk = source.next_chunk(777).expect("lisible");
        if chunk.is_empty() {
            break;
        }
        streamed.extend(chunk);
    }
    assert_eq!(streamed.len(), whole.records.len());
    for (a, b) in streamed.iter().zip(&whole.records) {
        assert_eq!(a.position, b.position);
        assert!(a.fields().eq(b.fields()));
    }
    // A file that is not UTF-8 is decoded, then read whole: the same records, and the note.
    let latin = b"id,nom,commune\n1,Maison,Besan\xe7on\n";
    let mut source = read::open(latin).expect("lisible");
    assert!(source.notes[0].contains("Windows-1252"));
    let records = source.next_chunk(10).expect("lisible");
    assert_eq!(records[0].get("commune"), Some("Besançon"));
}

/// Everything a source gives: format, version, notes, steps, then each record's position and
/// fields; or the error's message.
fn everything(source: Result<read::Source<'_>, maillage_standard::StandardError>) -> String {
    let mut source = match source {
        Ok(source) => source,
        Err(e) => return format!("erreur : {e}"),
    };
    let mut out = format!(
        "{:?} {:?} {:?} {} étapes\n",
        source.format,
        source.version,
        source.notes,
        source.steps()
    );
    loop {
        match source.next_chunk(3) {
            Ok(chunk) if chunk.is_empty() => break,
            Ok(chunk) => {
                for record in chunk {
                    out.push_str(&format!(
                        "{} {:?} ({} fait)\n",
                        record.position,
                        record.fields().collect::<Vec<_>>(),
                        source.steps_done()
                    ));
                }
            }
            Err(e) => {
                out.push_str(&format!("erreur : {e}"));
                break;
            }
        }
    }
    out
}

/// A file read from the disk, in pieces of each size, gives what its bytes give.
fn same_from_the_disk(bytes: &[u8]) {
    let expected = everything(read::open(bytes));
    let mut file = tempfile::tempfile().expect("fichier temporaire");
    std::io::Write::write_all(&mut file, bytes).expect("écrit");
    // Read from its start, wherever the file stands (here at its end, just written).
    for piece in [4, 5, 7, 64, 1 << 20] {
        let copy = file.try_clone().expect("copie");
        let got = everything(read::open_file_in_pieces(copy, piece).expect("lisible"));
        assert_eq!(got, expected, "pièces de {piece} octets, fichier {bytes:?}");
    }
}

/// A pipe (no seeking back) gives what its bytes give.
fn same_from_a_pipe(bytes: &[u8]) {
    let expected = everything(read::open(bytes));
    let (reader, mut writer) = std::io::pipe().expect("tube");
    let written = bytes.to_vec();
    let writing = std::thread::spawn(move || std::io::Write::write_all(&mut writer, &written));
    let file = std::fs::File::from(std::os::fd::OwnedFd::from(reader));
    let got = everything(read::open_file(file).expect("lisible"));
    writing.join().expect("écriture").expect("écrit");
    assert_eq!(got, expected, "tube, fichier {bytes:?}");
}

#[test]
fn a_file_read_from_the_disk_gives_what_its_bytes_give() {
    let (header, record) = example();
    let crlf = format!("{header}\r\n{record}\r\n");
    let cases: Vec<Vec<u8>> = vec![
        big_file().into_bytes(),
        format!("\u{feff}{header}\n{record}\n").into_bytes(),
        crlf.into_bytes(),
        format!("{header}\n{record}").into_bytes(),
        format!("{header}\r").into_bytes(),
        format!("{header}\n").into_bytes(),
        format!("\n\n  {header}\n{record}\n\n,,,\n").into_bytes(),
        // Not UTF-8 (Windows-1252), cut or whole, with and without a BOM.
        b"id,nom,commune\n1,Maison,Besan\xe7on\n".to_vec(),
        b"\xEF\xBB\xBFid,nom,commune\n1,Maison,Besan\xc3".to_vec(),
        b"\xEF\xBB".to_vec(),
        // JSON, blank, empty, a blank that is not ASCII, a vertical tab.
        br#"[{"id":"1","nom":"Maison","commune":"Nancy"}]"#.to_vec(),
        b" \n {\"type\":\"FeatureCollection\",\"features\":[]}".to_vec(),
        b" \r\n\t ".to_vec(),
        Vec::new(),
        "\u{a0}id,nom,commune\n1,Maison,Nancy\n".as_bytes().to_vec(),
        // Not ASCII first, and a blank line or a value over two lines (steps are lines).
        "\u{a0}id,nom,commune\n\n1,Maison,Nancy\n"
            .as_bytes()
            .to_vec(),
        "\u{feff}\u{feff}id,nom,commune\n1,\"Maison\nbleue\",Nancy\n"
            .as_bytes()
            .to_vec(),
        "état,id,nom,commune\n\nx,1,Maison,Nancy\n"
            .as_bytes()
            .to_vec(),
        "\u{b}[]".as_bytes().to_vec(),
        // Characters of two, three and four bytes across every cut.
        "id,nom,commune\n1,Médiathèque « l’Écho » 🌳,Besançon\n"
            .as_bytes()
            .to_vec(),
        // Malformed CSV, no header of the standard, a column twice.
        b"id,nom,commune\n1,\"Maison,Nancy\n".to_vec(),
        b"a,b,c\n1,2,3\n".to_vec(),
        b"id,nom,nom\n1,2,3\n".to_vec(),
    ];
    for bytes in cases {
        same_from_the_disk(&bytes);
        same_from_a_pipe(&bytes);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Any file, made of a header, values with quotes, line ends, blanks and characters of
    /// every length, or of any bytes at all.
    #[test]
    fn any_file_read_from_the_disk_gives_what_its_bytes_give(
        bom in proptest::bool::ANY,
        rows in proptest::collection::vec(
            proptest::collection::vec("[a-zé€🌳 ,;\"\r\n|\t]{0,12}", 0..5),
            0..12,
        ),
        noise in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
        raw in proptest::bool::ANY,
    ) {
        let bytes = if raw {
            noise
        } else {
            let mut text = String::from(if bom { "\u{feff}" } else { "" });
            text.push_str("id,nom,commune,adresse\n");
            for row in rows {
                text.push_str(&row.join(","));
                text.push('\n');
            }
            text.into_bytes()
        };
        same_from_the_disk(&bytes);
        same_from_a_pipe(&bytes);
    }
}
