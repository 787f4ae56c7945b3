//! Moving a base to another engine (issue #21): `maillage transfer --from URL --to URL` copies
//! every table of one base — SQLite or PostgreSQL — into another, empty, at the same schema,
//! parents before children, in batches, each table in one transaction of the target. Values
//! keep their meaning across engines: text, whole numbers, yes/no, decimals, dates, JSON and
//! bytes are read by the kind of the target's column and written as such.

use sqlx::Row;

use crate::{BeginWrite, Result, Store, StoreError, TABLES_CHILDREN_FIRST, on_pool};

/// The kind of a column, from its declared type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Whole,
    YesNo,
    Decimal,
    Date,
    Json,
    Bytes,
}

impl Kind {
    fn of(declared: &str) -> Kind {
        let t = declared.to_ascii_lowercase();
        if t.contains("int") || t.contains("serial") {
            Kind::Whole
        } else if t.contains("bool") {
            Kind::YesNo
        } else if t.contains("double")
            || t.contains("real")
            || t.contains("float")
            || t.contains("numeric")
        {
            Kind::Decimal
        } else if t == "date" {
            Kind::Date
        } else if t.contains("json") {
            Kind::Json
        } else if t.contains("blob") || t.contains("bytea") {
            Kind::Bytes
        } else {
            Kind::Text
        }
    }
}

/// One value in transit.
#[derive(Debug, Clone)]
enum Value {
    Text(Option<String>),
    Whole(Option<i64>),
    YesNo(Option<bool>),
    Decimal(Option<f64>),
    Bytes(Option<Vec<u8>>),
}

/// What a transfer copied, table by table.
#[derive(Debug, Clone, Default)]
pub struct TransferReport {
    pub tables: Vec<(String, u64)>,
}

/// Rows written per statement.
const BATCH: usize = 200;

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Store {
    /// The columns of a table and their kinds.
    async fn columns(&self, table: &str) -> Result<Vec<(String, Kind)>> {
        let rows: Vec<(String, String)> = match self {
            Store::Sqlite(pool) => {
                sqlx::query_as("SELECT name, type FROM pragma_table_info($1) ORDER BY cid")
                    .bind(table)
                    .fetch_all(pool)
                    .await?
            }
            Store::Postgres(pool) => sqlx::query_as(
                "SELECT column_name::text, data_type::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind(table)
            .fetch_all(pool)
            .await?,
        };
        Ok(rows
            .into_iter()
            .map(|(name, declared)| (name, Kind::of(&declared)))
            .collect())
    }

    async fn count(&self, table: &str) -> Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM {}", quoted(table));
        Ok(
            on_pool!(self, pool => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(pool).await?),
        )
    }

    /// Every table to copy, parents first.
    fn tables_parents_first() -> Vec<&'static str> {
        let mut tables: Vec<&str> = TABLES_CHILDREN_FIRST.iter().rev().copied().collect();
        tables.push("mandate_journal");
        tables
    }

    /// Copies every row of this base into `target`, which must be empty and at the same schema.
    /// `progress` is told each table and its rows.
    pub async fn copy_into(
        &self,
        target: &Store,
        progress: &dyn Fn(&str, u64),
    ) -> Result<TransferReport> {
        let ours = self.migration_status().await?;
        let theirs = target.migration_status().await?;
        if !ours.pending.is_empty()
            || !theirs.pending.is_empty()
            || ours.applied.len() != theirs.applied.len()
        {
            return Err(StoreError::Conflict(
                "les deux bases doivent être au même schéma : ouvrez chacune une fois avec ce programme (elles sont mises à jour) avant le transfert".into(),
            ));
        }
        for table in Self::tables_parents_first() {
            if target.count(table).await? > 0 {
                return Err(StoreError::Conflict(format!(
                    "la base de destination n'est pas vide (table {table}) : le transfert se fait vers une base neuve"
                )));
            }
        }
        let mut report = TransferReport::default();
        for table in Self::tables_parents_first() {
            let columns = target.columns(table).await?;
            let source_columns = self.columns(table).await?;
            if columns
                .iter()
                .map(|c| &c.0)
                .ne(source_columns.iter().map(|c| &c.0))
            {
                return Err(StoreError::Conflict(format!(
                    "table {table} : colonnes différentes entre les deux bases"
                )));
            }
            let copied = self.copy_table(target, table, &columns).await?;
            progress(table, copied);
            report.tables.push((table.to_string(), copied));
        }
        target.after_copy().await?;
        Ok(report)
    }

    /// Reads a table in pages (by rowid or by the primary key's order) and writes it in batches,
    /// in one transaction of the target.
    async fn copy_table(
        &self,
        target: &Store,
        table: &str,
        columns: &[(String, Kind)],
    ) -> Result<u64> {
        let select_list = columns
            .iter()
            .map(|(name, kind)| match (self, kind) {
                // Read as text where the engines differ, written back with a cast.
                (Store::Postgres(_), Kind::Json | Kind::Date) => format!("{}::text", quoted(name)),
                _ => quoted(name),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("SELECT {select_list} FROM {}", quoted(table));
        // Read as a stream, handed over in batches: memory holds a few batches, whatever the
        // size of the table (millions of activity records).
        let (batches, mut received) =
            tokio::sync::mpsc::channel::<Result<Option<Vec<Vec<Value>>>>>(4);
        let source = self.clone();
        let kinds: Vec<Kind> = columns.iter().map(|(_, k)| *k).collect();
        let reader = tokio::spawn(async move { source.stream_rows(sql, kinds, batches).await });
        let names = columns
            .iter()
            .map(|(n, _)| quoted(n))
            .collect::<Vec<_>>()
            .join(", ");
        let mut copied = 0u64;
        on_pool!(target, pool => {
            let mut tx = pool.begin_write().await?;
            // Committed only once the reader says it has read everything (`Ok(None)`): a
            // reader that failed or stopped leaves the table empty, the transaction rolled back.
            let mut complete = false;
            while let Some(message) = received.recv().await {
                let Some(chunk) = message? else {
                    complete = true;
                    break;
                };
                let sql = insert_sql(target, table, &names, columns, chunk.len());
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for row in &chunk {
                    for v in row {
                        q = match v {
                            Value::Text(t) => q.bind(t.clone()),
                            Value::Whole(n) => q.bind(*n),
                            Value::YesNo(b) => q.bind(*b),
                            Value::Decimal(d) => q.bind(*d),
                            Value::Bytes(b) => q.bind(b.clone()),
                        };
                    }
                }
                q.execute(&mut *tx).await?;
                copied += chunk.len() as u64;
            }
            if !complete {
                return Err(StoreError::Conflict(format!("table {table} : lecture interrompue")));
            }
            tx.commit().await?;
        });
        reader
            .await
            .map_err(|e| StoreError::Conflict(format!("lecture interrompue : {e}")))??;
        Ok(copied)
    }

    /// Sends the rows of a query, decoded by kind, in batches.
    async fn stream_rows(
        &self,
        sql: String,
        kinds: Vec<Kind>,
        batches: tokio::sync::mpsc::Sender<Result<Option<Vec<Vec<Value>>>>>,
    ) -> Result<()> {
        use futures_util::TryStreamExt;
        let mut batch = Vec::with_capacity(BATCH);
        macro_rules! drain {
            ($pool:expr, $read:ident) => {{
                let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch($pool);
                loop {
                    let row = match rows.try_next().await {
                        Ok(Some(row)) => row,
                        Ok(None) => break,
                        Err(e) => {
                            let _ = batches.send(Err(e.into())).await;
                            return Ok(());
                        }
                    };
                    let mut out = Vec::with_capacity(kinds.len());
                    for (i, kind) in kinds.iter().enumerate() {
                        match $read(&row, i, *kind) {
                            Ok(v) => out.push(v),
                            Err(e) => {
                                let _ = batches.send(Err(e)).await;
                                return Ok(());
                            }
                        }
                    }
                    batch.push(out);
                    if batch.len() == BATCH
                        && batches
                            .send(Ok(Some(std::mem::take(&mut batch))))
                            .await
                            .is_err()
                    {
                        return Ok(());
                    }
                }
            }};
        }
        match self {
            Store::Sqlite(pool) => drain!(pool, read_sqlite),
            Store::Postgres(pool) => drain!(pool, read_postgres),
        }
        if !batch.is_empty() && batches.send(Ok(Some(batch))).await.is_err() {
            return Ok(());
        }
        let _ = batches.send(Ok(None)).await;
        Ok(())
    }

    /// PostgreSQL's sequences follow the ids copied in (the next id is past the last).
    async fn after_copy(&self) -> Result<()> {
        if let Store::Postgres(pool) = self {
            let serials: Vec<(String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND column_default LIKE 'nextval%'",
            )
            .fetch_all(pool)
            .await?;
            for (table, column) in serials {
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), COALESCE(MAX({c}), 1), MAX({c}) IS NOT NULL) FROM {t}",
                    c = quoted(&column),
                    t = quoted(&table)
                );
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await?;
            }
        }
        Ok(())
    }
}

fn read_sqlite(row: &sqlx::sqlite::SqliteRow, i: usize, kind: Kind) -> Result<Value> {
    Ok(match kind {
        Kind::Text | Kind::Json | Kind::Date => Value::Text(row.try_get(i)?),
        Kind::Whole => Value::Whole(row.try_get(i)?),
        Kind::YesNo => Value::YesNo(row.try_get(i)?),
        Kind::Decimal => Value::Decimal(row.try_get(i)?),
        Kind::Bytes => Value::Bytes(row.try_get(i)?),
    })
}

fn read_postgres(row: &sqlx::postgres::PgRow, i: usize, kind: Kind) -> Result<Value> {
    Ok(match kind {
        Kind::Text | Kind::Json | Kind::Date => Value::Text(row.try_get(i)?),
        Kind::Whole => Value::Whole(match row.try_get::<Option<i64>, _>(i) {
            Ok(v) => v,
            // An INTEGER column of PostgreSQL is 32 bits.
            Err(_) => row.try_get::<Option<i32>, _>(i)?.map(i64::from),
        }),
        Kind::YesNo => Value::YesNo(row.try_get(i)?),
        Kind::Decimal => Value::Decimal(row.try_get(i)?),
        Kind::Bytes => Value::Bytes(row.try_get(i)?),
    })
}

/// `INSERT INTO table (columns) VALUES ($1, $2::json…), (…)` for `rows` rows.
fn insert_sql(
    target: &Store,
    table: &str,
    names: &str,
    columns: &[(String, Kind)],
    rows: usize,
) -> String {
    let mut sql = format!("INSERT INTO {} ({names}) VALUES ", quoted(table));
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for (c, (_, kind)) in columns.iter().enumerate() {
            if c > 0 {
                sql.push_str(", ");
            }
            n += 1;
            let cast = match (target, kind) {
                (Store::Postgres(_), Kind::Json) => "::json",
                (Store::Postgres(_), Kind::Date) => "::date",
                _ => "",
            };
            sql.push_str(&format!("${n}{cast}"));
        }
        sql.push(')');
    }
    sql
}
