//! Export of records (CSV, XLSX, streamed; never private notes nor followed persons'
//! identity).

use super::*;
use maillage_standard::activity::{export_header, export_row};

/// A stored record as a line of the export.
fn row_of(a: &StoredActivity) -> Vec<String> {
    export_row(
        &a.id,
        &a.organisation_id,
        a.helper_id.as_deref(),
        &a.activity,
    )
}

// ----- export of records -----

impl App {
    /// Streams the records that pass a (scoped) filter to `visit`, page by page: memory holds
    /// one page, whatever the number of records.
    pub async fn each_activity(
        &self,
        filter: &Filter,
        mut visit: impl FnMut(&StoredActivity) -> Result<(), AppError>,
    ) -> Result<u64, AppError> {
        let mut after: Option<String> = None;
        let mut n = 0;
        loop {
            let page = self.store.activities_page(after.as_deref(), PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id.clone());
            for a in &page {
                if filter.accepts(&a.activity, &a.organisation_id, a.helper_id.as_deref()) {
                    visit(a)?;
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// Writes the records as CSV (UTF-8, `,`) to a writer, streaming.
    pub async fn export_activities_csv<W: std::io::Write>(
        &self,
        filter: &Filter,
        out: W,
    ) -> Result<u64, AppError> {
        let err = |e: csv::Error| AppError::Invalid(format!("écriture du CSV : {e}"));
        let mut w = csv::Writer::from_writer(out);
        w.write_record(export_header()).map_err(err)?;
        let n = self
            .each_activity(filter, |a| w.write_record(row_of(a)).map_err(err))
            .await?;
        w.flush()
            .map_err(|e| AppError::Invalid(format!("écriture du CSV : {e}")))?;
        Ok(n)
    }

    /// Writes the records as XLSX to a file, rows going to disk as they come (constant
    /// memory).
    pub async fn export_activities_xlsx(
        &self,
        filter: &Filter,
        path: &std::path::Path,
    ) -> Result<u64, AppError> {
        use rust_xlsxwriter::{Format, Workbook};
        let err =
            |e: rust_xlsxwriter::XlsxError| AppError::Invalid(format!("écriture du XLSX : {e}"));
        let mut book = Workbook::new();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            book.set_tempdir(dir).map_err(err)?;
        }
        let bold = Format::new().set_bold();
        let sheet = book.add_worksheet_with_constant_memory().map_err(err)?;
        sheet.set_name("activites").map_err(err)?;
        for (c, h) in export_header().iter().enumerate() {
            sheet
                .write_with_format(0, c as u16, *h, &bold)
                .map_err(err)?;
        }
        let mut row = 0u32;
        let n = self
            .each_activity(filter, |a| {
                row += 1;
                if row >= 1_048_576 {
                    return Err(AppError::Invalid(
                        "plus d'un million de lignes : le format XLSX ne peut pas les contenir, exportez en CSV ou filtrez".into(),
                    ));
                }
                for (c, v) in row_of(a).iter().enumerate() {
                    if !v.is_empty() {
                        sheet.write(row, c as u16, v).map_err(err)?;
                    }
                }
                Ok(())
            })
            .await?;
        book.save(path).map_err(err)?;
        Ok(n)
    }
}

impl App {
    /// The records that pass a (scoped) filter as CSV chunks, one page of records per chunk,
    /// for a streamed HTTP body.
    pub fn activities_csv_stream(
        &self,
        filter: Filter,
    ) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
        struct Cursor {
            app: App,
            filter: Filter,
            after: Option<String>,
            first: bool,
        }
        let start = Cursor {
            app: self.clone(),
            filter,
            after: None,
            first: true,
        };
        futures_util::stream::unfold(Some(start), |cursor| async move {
            let mut c = cursor?;
            let io = |e: String| std::io::Error::other(e);
            let mut w = csv::Writer::from_writer(Vec::new());
            if c.first {
                if let Err(e) = w.write_record(export_header()) {
                    return Some((Err(io(e.to_string())), None));
                }
                c.first = false;
            }
            let page = match c.app.store.activities_page(c.after.as_deref(), PAGE).await {
                Ok(p) => p,
                Err(e) => return Some((Err(io(AppError::from(e).public_message())), None)),
            };
            let next = page.last().map(|l| l.id.clone());
            for a in &page {
                if c.filter
                    .accepts(&a.activity, &a.organisation_id, a.helper_id.as_deref())
                    && let Err(e) = w.write_record(row_of(a))
                {
                    return Some((Err(io(e.to_string())), None));
                }
            }
            let bytes = match w.into_inner() {
                Ok(b) => b,
                Err(e) => return Some((Err(io(e.to_string())), None)),
            };
            match next {
                Some(after) => {
                    c.after = Some(after);
                    Some((Ok(bytes), Some(c)))
                }
                // Last (possibly empty) chunk: the header when there was nothing at all.
                None => Some((Ok(bytes), None)),
            }
        })
    }
}
