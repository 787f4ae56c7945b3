//! What a refused write must leave unchanged: the contents of every table, compared.

use super::*;

/// What instances share for the moment rather than data (migrations 0026 and 0027): a refused
/// request may still count in a limit, or leave the record of the job that refused it.
const BOOKKEEPING: [&str; 4] = [
    "limit_hits",
    "limit_failures",
    "running_work",
    "cube_snapshot",
];

/// The contents of every table (the migrations' and the instances' bookkeeping aside), in a
/// stable order: the rows as text on SQLite, their MD5 on PostgreSQL (computed by the server).
pub async fn fingerprint(store: &Store) -> BTreeMap<String, String> {
    let mut out = contents(store).await;
    out.retain(|table, _| !BOOKKEEPING.contains(&table.as_str()));
    out
}

async fn contents(store: &Store) -> BTreeMap<String, String> {
    use sqlx::Row;
    let mut out = BTreeMap::new();
    match store {
        Store::Sqlite(pool) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
            )
            .fetch_all(pool)
            .await
            .expect("tables");
            for table in tables {
                let columns: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT name FROM pragma_table_info('{table}')"
                )))
                .fetch_all(pool)
                .await
                .expect("colonnes")
                .iter()
                .map(|r| r.get::<String, _>(0))
                .collect();
                let row = columns
                    .iter()
                    .map(|c| format!("quote(\"{c}\")"))
                    .collect::<Vec<_>>()
                    .join(" || ',' || ");
                let text: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT group_concat(r, char(10)) FROM (SELECT {row} AS r FROM \"{table}\" ORDER BY 1)"
                )))
                .fetch_one(pool)
                .await
                .expect("lignes");
                out.insert(table, text.unwrap_or_default());
            }
        }
        Store::Postgres(pool) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT LIKE '_sqlx%' ORDER BY 1",
            )
            .fetch_all(pool)
            .await
            .expect("tables");
            for table in tables {
                let text: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT md5(string_agg(t::text, E'\\n' ORDER BY t::text)) FROM \"{table}\" t"
                )))
                .fetch_one(pool)
                .await
                .expect("lignes");
                out.insert(table, text.unwrap_or_default());
            }
        }
    }
    out
}

/// The tables whose contents differ between two fingerprints.
pub fn changed_tables(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<String> {
    before
        .keys()
        .chain(after.keys())
        .filter(|t| before.get(*t) != after.get(*t))
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}
