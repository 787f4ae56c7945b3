//! Activity records (issue #7), the profile of followed persons, and share links.

use maillage_domain::Vocabulary;
use maillage_domain::activity::{Activity, AgeBracket, Gender, Profile, SocialStatus};
use sqlx::Row;

use crate::BeginWrite;
use crate::campaigns::token_hash;
use crate::{Result, Store, StoreError, corrupt, new_id, now, on_pool};

/// A record to write.
#[derive(Debug, Clone)]
pub struct NewActivity<'a> {
    pub organisation_id: &'a str,
    pub helper_id: Option<&'a str>,
    pub activity: &'a Activity,
    /// Private notes: shown to their author only, never exported.
    pub notes: Option<&'a str>,
}

/// A stored record.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredActivity {
    pub id: String,
    pub organisation_id: String,
    pub helper_id: Option<String>,
    pub activity: Activity,
    pub notes: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str =
    "id, organisation_id, helper_id, data, notes, mandate_id, created_at, updated_at";

fn decode<R: Row>(row: &R) -> Result<StoredActivity>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let data: String = row.try_get("data")?;
    Ok(StoredActivity {
        id: row.try_get("id")?,
        organisation_id: row.try_get("organisation_id")?,
        helper_id: row.try_get("helper_id")?,
        activity: Activity {
            mandate_id: row.try_get("mandate_id")?,
            ..serde_json::from_str(&data).map_err(corrupt)?
        },
        notes: row.try_get("notes")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// The JSON kept in `data`: the record without its followed persons (linked apart).
fn data_of(a: &Activity) -> Result<String> {
    let mut a = a.clone();
    a.persons.clear();
    serde_json::to_string(&a).map_err(corrupt)
}

fn session_of(a: &Activity) -> (Option<&str>, Option<String>) {
    match &a.workshop {
        Some(w) => (
            Some(w.workshop_id.as_str()),
            Some(w.start.format("%Y-%m-%dT%H:%M").to_string()),
        ),
        None => (None, None),
    }
}

fn conflict(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(
            "cette séance d'atelier a déjà son compte rendu : modifiez-le plutôt".into(),
        ),
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::Conflict(
            "une personne, un atelier ou une orientation cité n'existe plus".into(),
        ),
        _ => StoreError::Database(e),
    }
}

/// Attaches the followed persons to records read from `data`.
async fn attach_persons(store: &Store, activities: &mut [StoredActivity]) -> Result<()> {
    if activities.is_empty() {
        return Ok(());
    }
    // One query for the list (a page holds at most a few thousand records).
    let sql = format!(
        "SELECT activity_id, person_id FROM activity_persons WHERE activity_id IN ({}) ORDER BY activity_id, person_id",
        (1..=activities.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let links: Vec<(String, String)> = on_pool!(store, pool => {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for a in activities.iter() {
            q = q.bind(&a.id);
        }
        let rows = q.fetch_all(pool).await?;
        rows.iter()
            .map(|r| Ok((r.try_get("activity_id")?, r.try_get("person_id")?)))
            .collect::<Result<Vec<_>>>()?
    });
    let mut by_activity: std::collections::HashMap<String, Vec<String>> =
        std::collections::HashMap::new();
    for (a, p) in links {
        by_activity.entry(a).or_default().push(p);
    }
    for a in activities {
        if let Some(p) = by_activity.remove(&a.id) {
            a.activity.persons = p;
        }
    }
    Ok(())
}

impl Store {
    /// Writes records in one transaction: all or nothing (the form writes one, an import many).
    pub async fn insert_activities(&self, records: &[NewActivity<'_>]) -> Result<Vec<String>> {
        let stamp = now();
        // Prepared once: rows go by the hundred per statement (imports of years of records).
        struct Row {
            id: String,
            data: String,
            workshop: Option<String>,
            session: Option<String>,
        }
        let rows: Vec<Row> = records
            .iter()
            .map(|r| {
                let (workshop, session) = session_of(r.activity);
                Ok(Row {
                    id: new_id(),
                    data: data_of(r.activity)?,
                    workshop: workshop.map(str::to_string),
                    session,
                })
            })
            .collect::<Result<_>>()?;
        let links: Vec<(&str, &str)> = records
            .iter()
            .zip(&rows)
            .flat_map(|(r, row)| {
                r.activity
                    .persons
                    .iter()
                    .map(|p| (row.id.as_str(), p.as_str()))
            })
            .collect();
        const PER_STATEMENT: usize = 100;
        let values = |n: usize, width: usize, shape: &dyn Fn(usize) -> String| -> String {
            (0..n)
                .map(|i| shape(i * width))
                .collect::<Vec<_>>()
                .join(", ")
        };
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for (chunk, recs) in rows.chunks(PER_STATEMENT).zip(records.chunks(PER_STATEMENT)) {
                let sql = format!(
                    "INSERT INTO activities (id, organisation_id, helper_id, kind, day, data, notes, workshop_id, session_start, referral_id, mandate_id, created_at, updated_at) VALUES {}",
                    values(chunk.len(), 12, &|b| format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                        b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9, b + 10, b + 11, b + 12, b + 12
                    ))
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (row, r) in chunk.iter().zip(recs) {
                    q = q
                        .bind(&row.id)
                        .bind(r.organisation_id)
                        .bind(r.helper_id)
                        .bind(r.activity.kind.slug())
                        .bind(r.activity.date.to_string())
                        .bind(&row.data)
                        .bind(r.notes)
                        .bind(row.workshop.as_deref())
                        .bind(row.session.as_deref())
                        .bind(r.activity.referral_id.as_deref())
                        .bind(r.activity.mandate_id.as_deref())
                        .bind(&stamp);
                }
                q.execute(&mut *tx).await.map_err(conflict)?;
                let sql = format!(
                    "INSERT INTO activity_changes (kind, ref_id, at) VALUES {}",
                    values(chunk.len(), 2, &|b| format!("('activite', ${}, ${})", b + 1, b + 2))
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for row in chunk {
                    q = q.bind(&row.id).bind(&stamp);
                }
                q.execute(&mut *tx).await?;
            }
            for chunk in links.chunks(PER_STATEMENT * 4) {
                let sql = format!(
                    "INSERT INTO activity_persons (activity_id, person_id) VALUES {}",
                    values(chunk.len(), 2, &|b| format!("(${}, ${})", b + 1, b + 2))
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (a, p) in chunk {
                    q = q.bind(*a).bind(*p);
                }
                q.execute(&mut *tx).await.map_err(conflict)?;
            }
            tx.commit().await?;
        });
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    /// The records of démarches done under a mandate: (id, day), oldest first.
    pub async fn activities_of_mandate(&self, mandate_id: &str) -> Result<Vec<(String, String)>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT id, day FROM activities WHERE mandate_id = $1 ORDER BY day, id")
                .bind(mandate_id)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("day")?)))
                .collect()
        })
    }

    /// Replaces a record (its notes too). `false` when it does not exist.
    pub async fn update_activity(
        &self,
        id: &str,
        activity: &Activity,
        notes: Option<&str>,
    ) -> Result<bool> {
        let (workshop, session) = session_of(activity);
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("UPDATE activities SET kind = $2, day = $3, data = $4, notes = $5, workshop_id = $6, session_start = $7, referral_id = $8, mandate_id = $9, updated_at = $10 WHERE id = $1")
                .bind(id)
                .bind(activity.kind.slug())
                .bind(activity.date.to_string())
                .bind(data_of(activity)?)
                .bind(notes)
                .bind(workshop)
                .bind(session)
                .bind(activity.referral_id.as_deref())
                .bind(activity.mandate_id.as_deref())
                .bind(now())
                .execute(&mut *tx)
                .await
                .map_err(conflict)?;
            if done.rows_affected() != 1 {
                return Ok(false);
            }
            sqlx::query("INSERT INTO activity_changes (kind, ref_id, at) VALUES ('activite', $1, $2)")
                .bind(id)
                .bind(now())
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM activity_persons WHERE activity_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for p in &activity.persons {
                sqlx::query("INSERT INTO activity_persons (activity_id, person_id) VALUES ($1, $2)")
                    .bind(id)
                    .bind(p)
                    .execute(&mut *tx)
                    .await
                    .map_err(conflict)?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    pub async fn delete_activity(&self, id: &str) -> Result<bool> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("DELETE FROM activities WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO activity_changes (kind, ref_id, at) VALUES ('activite', $1, $2)")
                .bind(id)
                .bind(now())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Changes after `seq`, in order: (seq, kind, id) with kind `activite`, `personne` or
    /// `orientation`.
    pub async fn activity_changes_since(&self, seq: i64) -> Result<Vec<(i64, String, String)>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT seq, kind, ref_id FROM activity_changes WHERE seq > $1 ORDER BY seq")
                .bind(seq)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok((r.try_get("seq")?, r.try_get("kind")?, r.try_get("ref_id")?))).collect()
        })
    }

    /// The oldest change still logged (0 when none).
    pub async fn first_activity_change(&self) -> Result<i64> {
        on_pool!(self, pool => {
            let n: Option<i64> = sqlx::query("SELECT MIN(seq) AS n FROM activity_changes").fetch_one(pool).await?.try_get("n")?;
            Ok(n.unwrap_or(0))
        })
    }

    /// The last change's number (0 when none).
    pub async fn last_activity_change(&self) -> Result<i64> {
        on_pool!(self, pool => {
            let n: Option<i64> = sqlx::query("SELECT MAX(seq) AS n FROM activity_changes").fetch_one(pool).await?.try_get("n")?;
            Ok(n.unwrap_or(0))
        })
    }

    /// Forgets changes older than `before` (every running instance has applied them), but
    /// never one after the cube's snapshot: an instance starting from it reads them.
    pub async fn purge_activity_changes(&self, before: &str) -> Result<u64> {
        on_pool!(self, pool => {
            let done = sqlx::query(
                "DELETE FROM activity_changes WHERE at < $1
                 AND seq <= COALESCE((SELECT seq FROM cube_snapshot WHERE id = 1), seq)",
            )
            .bind(before)
            .execute(pool)
            .await?;
            Ok(done.rows_affected())
        })
    }

    /// Replaces the statistics cube's snapshot: the cube as of change `seq`, in `format`.
    pub async fn save_cube_snapshot(
        &self,
        seq: i64,
        format: u32,
        records: u64,
        bytes: &[u8],
    ) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO cube_snapshot (id, seq, format, taken_at, records, bytes)
                 VALUES (1, $1, $2, $3, $4, $5)
                 ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, format = excluded.format,
                   taken_at = excluded.taken_at, records = excluded.records, bytes = excluded.bytes",
            )
            .bind(seq)
            .bind(i64::from(format))
            .bind(crate::now())
            .bind(i64::try_from(records).unwrap_or(i64::MAX))
            .bind(bytes)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The change and format of the cube's snapshot, without its bytes.
    pub async fn cube_snapshot_mark(&self) -> Result<Option<(i64, u32)>> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT seq, format FROM cube_snapshot WHERE id = 1")
                .fetch_optional(pool)
                .await?;
            match row {
                None => Ok(None),
                Some(r) => {
                    let format: i64 = r.try_get("format")?;
                    Ok(Some((r.try_get("seq")?, u32::try_from(format).unwrap_or(0))))
                }
            }
        })
    }

    /// The cube's snapshot: its change, format and bytes.
    pub async fn cube_snapshot(&self) -> Result<Option<(i64, u32, Vec<u8>)>> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT seq, format, bytes FROM cube_snapshot WHERE id = 1")
                .fetch_optional(pool)
                .await?;
            match row {
                None => Ok(None),
                Some(r) => {
                    let format: i64 = r.try_get("format")?;
                    Ok(Some((
                        r.try_get("seq")?,
                        u32::try_from(format).unwrap_or(0),
                        r.try_get("bytes")?,
                    )))
                }
            }
        })
    }

    /// Current status of every referral linked to a record (for the statistics).
    pub async fn linked_referral_statuses(&self) -> Result<Vec<(String, String)>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT r.id, r.status FROM referrals r WHERE EXISTS (SELECT 1 FROM activities a WHERE a.referral_id = r.id)")
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("status")?))).collect()
        })
    }

    /// A referral's current status.
    pub async fn referral_status(&self, id: &str) -> Result<Option<String>> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT status FROM referrals WHERE id = $1").bind(id).fetch_optional(pool).await?;
            Ok(match row { Some(r) => Some(r.try_get("status")?), None => None })
        })
    }

    pub async fn activity(&self, id: &str) -> Result<Option<StoredActivity>> {
        let row = on_pool!(self, pool => {
            let sql = format!("SELECT {COLUMNS} FROM activities WHERE id = $1");
            match sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(pool).await? {
                Some(row) => Some(decode(&row)?),
                None => None,
            }
        });
        let mut found: Vec<StoredActivity> = row.into_iter().collect();
        attach_persons(self, &mut found).await?;
        Ok(found.pop())
    }

    /// Records of organisations, most recent first (a page of `limit` from `offset`);
    /// `helper` keeps one helper's.
    pub async fn recent_activities(
        &self,
        organisation_ids: &[String],
        helper: Option<&str>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<StoredActivity>> {
        if organisation_ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (0..organisation_ids.len())
            .map(|i| format!("${}", i + 4))
            .collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM activities WHERE organisation_id IN ({}) AND ($1 = '' OR helper_id = $1) ORDER BY day DESC, id DESC LIMIT $2 OFFSET $3",
            placeholders.join(", ")
        );
        let mut out = on_pool!(self, pool => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(helper.unwrap_or(""))
                .bind(i64::from(limit))
                .bind(i64::from(offset));
            for o in organisation_ids {
                q = q.bind(o);
            }
            q.fetch_all(pool).await?.iter().map(decode).collect::<Result<Vec<_>>>()?
        });
        attach_persons(self, &mut out).await?;
        Ok(out)
    }

    /// The records a followed person took part in, oldest first.
    pub async fn activities_of_person(&self, person_id: &str) -> Result<Vec<StoredActivity>> {
        let sql = format!(
            "SELECT {} FROM activities a JOIN activity_persons p ON p.activity_id = a.id WHERE p.person_id = $1 ORDER BY a.day, a.id",
            COLUMNS
                .split(", ")
                .map(|c| format!("a.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut out = on_pool!(self, pool => {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(person_id).fetch_all(pool).await?.iter().map(decode).collect::<Result<Vec<_>>>()?
        });
        for a in &mut out {
            a.activity.persons = vec![person_id.to_string()];
        }
        Ok(out)
    }

    /// The record of a workshop session, if one was made.
    pub async fn activity_of_session(
        &self,
        workshop_id: &str,
        start: chrono::NaiveDateTime,
    ) -> Result<Option<String>> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT id FROM activities WHERE workshop_id = $1 AND session_start = $2")
                .bind(workshop_id)
                .bind(start.format("%Y-%m-%dT%H:%M").to_string())
                .fetch_optional(pool)
                .await?;
            Ok(match row { Some(r) => Some(r.try_get("id")?), None => None })
        })
    }

    /// A page of every record, by id, after `after` (streaming exports and the statistics
    /// cube without loading everything at once).
    pub async fn activities_page(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredActivity>> {
        let sql = format!("SELECT {COLUMNS} FROM activities WHERE id > $1 ORDER BY id LIMIT $2");
        let mut out = on_pool!(self, pool => {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(after.unwrap_or(""))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
                .iter()
                .map(decode)
                .collect::<Result<Vec<_>>>()?
        });
        attach_persons(self, &mut out).await?;
        Ok(out)
    }

    pub async fn count_activities(&self) -> Result<u64> {
        on_pool!(self, pool => {
            let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM activities").fetch_one(pool).await?.try_get("n")?;
            Ok(n.max(0) as u64)
        })
    }

    /// Age bracket, gender, social status and commune of followed persons (all of them).
    pub async fn person_profiles(&self) -> Result<Vec<(String, Profile)>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT id, age_bracket, gender, social_status, insee_code FROM persons")
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| {
                let age: Option<String> = r.try_get("age_bracket")?;
                let gender: Option<String> = r.try_get("gender")?;
                let status: Option<String> = r.try_get("social_status")?;
                Ok((r.try_get("id")?, Profile {
                    age: age.as_deref().and_then(AgeBracket::from_slug),
                    gender: gender.as_deref().and_then(Gender::from_slug),
                    status: status.as_deref().and_then(SocialStatus::from_slug),
                    commune: r.try_get("insee_code")?,
                }))
            }).collect()
        })
    }

    pub async fn person_profile(&self, person_id: &str) -> Result<Profile> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT age_bracket, gender, social_status, insee_code FROM persons WHERE id = $1")
                .bind(person_id)
                .fetch_optional(pool)
                .await?;
            let Some(r) = row else { return Ok(Profile::default()) };
            let age: Option<String> = r.try_get("age_bracket")?;
            let gender: Option<String> = r.try_get("gender")?;
            let status: Option<String> = r.try_get("social_status")?;
            Ok(Profile {
                age: age.as_deref().and_then(AgeBracket::from_slug),
                gender: gender.as_deref().and_then(Gender::from_slug),
                status: status.as_deref().and_then(SocialStatus::from_slug),
                commune: r.try_get("insee_code")?,
            })
        })
    }

    pub async fn set_person_profile(&self, person_id: &str, p: &Profile) -> Result<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE persons SET age_bracket = $2, gender = $3, social_status = $4, insee_code = $5 WHERE id = $1")
                .bind(person_id)
                .bind(p.age.map(|v| v.slug()))
                .bind(p.gender.map(|v| v.slug()))
                .bind(p.status.map(|v| v.slug()))
                .bind(p.commune.as_deref())
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO activity_changes (kind, ref_id, at) VALUES ('personne', $1, $2)")
                .bind(person_id)
                .bind(now())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Before persons are erased: their activities keep them as anonymous participants, with
    /// their age bracket, gender and status, so the figures stay. Returns the records changed.
    pub async fn anonymise_in_activities(&self, person_ids: &[String]) -> Result<Vec<String>> {
        let mut changed = Vec::new();
        for person_id in person_ids {
            let profile = self.person_profile(person_id).await?;
            let records = self.activities_of_person(person_id).await?;
            on_pool!(self, pool => {
                let mut tx = pool.begin_write().await?;
                for r in &records {
                    let mut a = r.activity.clone();
                    // Other followed persons of a workshop stay.
                    a.persons.retain(|p| p != person_id);
                    // Free text may name the person: gone with them (a record about them alone
                    // loses its title and procedure's name; any record, its notes).
                    if a.persons.is_empty() && a.anonymous.total == 0 {
                        a.title = None;
                        a.procedure_name = None;
                    }
                    let g = &mut a.anonymous;
                    g.total += 1;
                    if let Some(v) = profile.age { *g.ages.0.entry(v).or_insert(0) += 1; }
                    if let Some(v) = profile.gender { *g.genders.0.entry(v).or_insert(0) += 1; }
                    if let Some(v) = profile.status { *g.statuses.0.entry(v).or_insert(0) += 1; }
                    sqlx::query("UPDATE activities SET data = $2, notes = NULL WHERE id = $1")
                        .bind(&r.id)
                        .bind(data_of(&a)?)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("DELETE FROM activity_persons WHERE activity_id = $1 AND person_id = $2")
                        .bind(&r.id)
                        .bind(person_id)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("INSERT INTO activity_changes (kind, ref_id, at) VALUES ('activite', $1, $2)")
                        .bind(&r.id)
                        .bind(now())
                        .execute(&mut *tx)
                        .await?;
                    changed.push(r.id.clone());
                }
                tx.commit().await?;
            });
        }
        Ok(changed)
    }

    /// Persons whose retention date has passed (to anonymise before the purge).
    pub async fn persons_past(&self, now: &str) -> Result<Vec<String>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT id FROM persons WHERE keep_until < $1")
                .bind(now)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
        })
    }

    /// Gives out a new link for an organisation (`statistiques`, `enquete`); the token is
    /// returned once, only its hash is kept.
    pub async fn create_share_link(&self, organisation_id: &str, purpose: &str) -> Result<String> {
        let (token, hash) = crate::campaigns::new_token();
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO share_links (token_hash, organisation_id, purpose, created_at) VALUES ($1, $2, $3, $4)")
                .bind(hash)
                .bind(organisation_id)
                .bind(purpose)
                .bind(now())
                .execute(pool)
                .await?;
        });
        Ok(token)
    }

    /// The organisation a live link belongs to, for its purpose.
    pub async fn share_link(&self, token: &str, purpose: &str) -> Result<Option<String>> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT organisation_id FROM share_links WHERE token_hash = $1 AND purpose = $2 AND revoked_at IS NULL")
                .bind(token_hash(token))
                .bind(purpose)
                .fetch_optional(pool)
                .await?;
            Ok(match row { Some(r) => Some(r.try_get("organisation_id")?), None => None })
        })
    }

    /// Whether an organisation has a live link for a purpose.
    pub async fn has_share_link(&self, organisation_id: &str, purpose: &str) -> Result<bool> {
        on_pool!(self, pool => {
            let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM share_links WHERE organisation_id = $1 AND purpose = $2 AND revoked_at IS NULL")
                .bind(organisation_id)
                .bind(purpose)
                .fetch_one(pool)
                .await?
                .try_get("n")?;
            Ok(n > 0)
        })
    }

    /// Revokes an organisation's links for a purpose.
    pub async fn revoke_share_links(&self, organisation_id: &str, purpose: &str) -> Result<u64> {
        on_pool!(self, pool => {
            let done = sqlx::query("UPDATE share_links SET revoked_at = $3 WHERE organisation_id = $1 AND purpose = $2 AND revoked_at IS NULL")
                .bind(organisation_id)
                .bind(purpose)
                .bind(now())
                .execute(pool)
                .await?;
            Ok(done.rows_affected())
        })
    }
}
