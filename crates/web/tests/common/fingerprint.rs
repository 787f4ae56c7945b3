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

/// Two round trips whatever the number of tables (the table list, then one query reading them
/// all): the route matrix takes two fingerprints per write, some 1,800 a run, and a query per
/// table made them most of its time.
async fn contents(store: &Store) -> BTreeMap<String, String> {
    use sqlx::Row;
    let rows = match store {
        Store::Sqlite(pool) => {
            let columns: Vec<(String, String)> = sqlx::query_as(
                "SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'
                 ORDER BY m.name, c.cid",
            )
            .fetch_all(pool)
            .await
            .expect("tables et colonnes");
            let mut tables: BTreeMap<&str, Vec<String>> = BTreeMap::new();
            for (table, column) in &columns {
                tables
                    .entry(table)
                    .or_default()
                    .push(format!("quote(\"{column}\")"));
            }
            let query = tables
                .iter()
                .map(|(table, row)| {
                    format!(
                        "SELECT '{table}', (SELECT group_concat(r, char(10)) FROM (SELECT {} AS r FROM \"{table}\" ORDER BY 1))",
                        row.join(" || ',' || ")
                    )
                })
                .collect::<Vec<_>>()
                .join(" UNION ALL ");
            sqlx::query(sqlx::AssertSqlSafe(query))
                .fetch_all(pool)
                .await
                .expect("lignes")
                .iter()
                .map(|r| (r.get::<String, _>(0), r.get::<Option<String>, _>(1)))
                .collect::<Vec<_>>()
        }
        Store::Postgres(pool) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT LIKE '_sqlx%' ORDER BY 1",
            )
            .fetch_all(pool)
            .await
            .expect("tables");
            let query = tables
                .iter()
                .map(|table| {
                    format!(
                        "SELECT '{table}'::text, (SELECT md5(string_agg(t::text, E'\\n' ORDER BY t::text)) FROM \"{table}\" t)"
                    )
                })
                .collect::<Vec<_>>()
                .join(" UNION ALL ");
            sqlx::query(sqlx::AssertSqlSafe(query))
                .fetch_all(pool)
                .await
                .expect("lignes")
                .iter()
                .map(|r| (r.get::<String, _>(0), r.get::<Option<String>, _>(1)))
                .collect::<Vec<_>>()
        }
    };
    rows.into_iter()
        .map(|(table, text)| (table, text.unwrap_or_default()))
        .collect()
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
