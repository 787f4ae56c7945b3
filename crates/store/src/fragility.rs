//! Communes' indicators of digital fragility (issue #20): imported rows replace those of the
//! same communes, a hundred per statement, in one transaction.

use maillage_domain::fragility::CommuneIndicators;
use sqlx::Row;

use crate::{BeginWrite, Result, Store, StoreError, now, on_pool};

/// The indicators of a commune as stored, with their source.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredIndicators {
    pub indicators: CommuneIndicators,
    pub source: String,
    pub imported_on: String,
}

impl Store {
    /// Writes the indicators of these communes, replacing what was known of them (the other
    /// communes keep theirs); all or nothing.
    pub async fn import_commune_indicators(
        &self,
        communes: &[CommuneIndicators],
        source: &str,
    ) -> Result<usize> {
        const PER_STATEMENT: usize = 100;
        let stamp = now();
        let data: Vec<String> = communes
            .iter()
            .map(|c| serde_json::to_string(&c.values))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| StoreError::Corrupt(format!("indicateurs : {e}")))?;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for (chunk, values) in communes.chunks(PER_STATEMENT).zip(data.chunks(PER_STATEMENT)) {
                let rows = (0..chunk.len())
                    .map(|i| {
                        let b = i * 5;
                        format!("(${}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5)
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!(
                    "INSERT INTO commune_indicators (insee_code, data, population_15_plus, source, imported_on) VALUES {rows} \
                     ON CONFLICT (insee_code) DO UPDATE SET data = excluded.data, population_15_plus = excluded.population_15_plus, \
                     source = excluded.source, imported_on = excluded.imported_on"
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (c, v) in chunk.iter().zip(values) {
                    q = q
                        .bind(&c.insee_code)
                        .bind(v)
                        .bind(c.population_15_plus.map(i64::from))
                        .bind(source)
                        .bind(&stamp);
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(communes.len())
        })
    }

    /// Every commune's indicators.
    pub async fn commune_indicators(&self) -> Result<Vec<StoredIndicators>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT insee_code, data, population_15_plus, source, imported_on FROM commune_indicators ORDER BY insee_code")
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| {
                    let data: String = r.try_get(1)?;
                    let population: Option<i64> = r.try_get(2)?;
                    Ok(StoredIndicators {
                        indicators: CommuneIndicators {
                            insee_code: r.try_get(0)?,
                            values: serde_json::from_str(&data)
                                .map_err(|e| StoreError::Corrupt(format!("indicateurs : {e}")))?,
                            population_15_plus: population.and_then(|p| u32::try_from(p).ok()),
                        },
                        source: r.try_get(3)?,
                        imported_on: r.try_get(4)?,
                    })
                })
                .collect()
        })
    }
}
