//! My referrals, the hourly reminders and purges, the flows between structures and the gaps of the offer.

use super::*;

impl App {
    /// Referrals sent or received by the actor's organisations.
    pub async fn my_referrals(
        &self,
        actor: Option<&Actor>,
    ) -> Result<Vec<(StoredReferral, bool)>, AppError> {
        let actor = actor.ok_or(AppError::SignInRequired)?;
        let day = today();
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for m in actor.memberships.iter().filter(|m| m.in_force(day)) {
            for r in self.store.referrals_of(&m.organisation_id).await? {
                if seen.insert(r.id.clone()) {
                    let received =
                        r.to_organisation_id.as_deref() == Some(m.organisation_id.as_str());
                    out.push((r, received));
                }
            }
        }
        out.sort_by(|a, b| b.0.created_at.cmp(&a.0.created_at));
        Ok(out)
    }

    /// Scheduled work: reminders to receivers who did not answer, expiry after the delay (the
    /// sender is told), erasure of the person's data after the retention delay. Returns
    /// (reminders, expired, erased).
    pub async fn run_referral_schedule(
        &self,
        now: DateTime<Utc>,
    ) -> Result<(usize, usize, usize), AppError> {
        let delays = self.delays();
        let (mut reminded, mut expired) = (0, 0);
        for r in self.store.all_referrals().await? {
            let sent = r
                .sent_at
                .as_deref()
                .or(Some(r.created_at.as_str()))
                .and_then(parse_time);
            let Some(sent) = sent else { continue };
            if delays.expiry_due(r.status, sent, now) {
                self.transition(&r, Event::Expire, "Maillage (délai dépassé)", None)
                    .await?;
                self.store.clear_referral_link(&r.id).await?;
                expired += 1;
                continue;
            }
            let last = r
                .last_message_at
                .as_deref()
                .and_then(parse_time)
                .unwrap_or(sent);
            if delays.reminder_due(r.status, last, now) {
                self.notify_receiver(&r, true).await?;
                reminded += 1;
            }
        }
        let before = now
            .checked_sub_months(chrono::Months::new(delays.retention_months))
            .unwrap_or(now)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let due = self.store.journeys_due_for_erasure(&before).await?;
        for j in &due {
            self.store.erase_journey_person(j).await?;
        }
        Ok((reminded, expired, due.len()))
    }

    /// The network's flows for coordinators: pairs of organisations, acceptance, delays, the
    /// measured ping-pong.
    pub async fn referral_flows(&self, actor: Option<&Actor>) -> Result<Flows, AppError> {
        allow(authorize(actor, &Action::ViewFlows, today()))?;
        let all = self.store.all_referrals().await?;
        let names: std::collections::HashMap<String, String> = self
            .store
            .organisations()
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let name = |id: &Option<String>| {
            id.as_ref()
                .and_then(|i| names.get(i).cloned())
                .unwrap_or_else(|| "structure hors Maillage".into())
        };
        let mut pairs: std::collections::BTreeMap<(String, String), (FlowPair, Vec<f64>)> =
            Default::default();
        let mut journeys: std::collections::HashMap<String, Vec<ReferralStatus>> =
            Default::default();
        for r in &all {
            journeys
                .entry(r.journey_id.clone())
                .or_default()
                .push(r.status);
            if r.status == ReferralStatus::AwaitingConsent {
                continue;
            }
            let from = name(&r.from_organisation_id);
            let to = if r.to_organisation_id.is_some() {
                name(&r.to_organisation_id)
            } else {
                r.to_name.clone()
            };
            let entry = pairs.entry((from.clone(), to.clone())).or_insert_with(|| {
                (
                    FlowPair {
                        from,
                        to,
                        ..FlowPair::default()
                    },
                    Vec::new(),
                )
            });
            entry.0.sent += 1;
            let events = self.store.referral_events(&r.id).await?;
            let answered = events.iter().find(|e| {
                matches!(
                    e.status,
                    ReferralStatus::TakenInCharge | ReferralStatus::Declined
                )
            });
            if let (Some(a), Some(s)) = (
                answered.and_then(|e| parse_time(&e.at)),
                r.sent_at.as_deref().and_then(parse_time),
            ) {
                entry.1.push((a - s).num_minutes() as f64 / 1_440.0);
            }
            let went = |s: ReferralStatus| events.iter().any(|e| e.status == s);
            if went(ReferralStatus::TakenInCharge) {
                entry.0.taken += 1;
            }
            if went(ReferralStatus::Declined) {
                entry.0.declined += 1;
            }
            if r.status == ReferralStatus::Expired {
                entry.0.expired += 1;
            }
        }
        let mut out = Flows {
            referrals: all.len(),
            journeys: journeys.len(),
            ping_pong: journeys.values().filter(|s| is_ping_pong(s)).count(),
            ..Flows::default()
        };
        let (mut sent, mut taken) = (0, 0);
        for (_, (mut pair, mut delays)) in pairs {
            delays.sort_by(f64::total_cmp);
            pair.median_answer_days = delays.get(delays.len() / 2).copied();
            sent += pair.sent;
            taken += pair.taken;
            out.pairs.push(pair);
        }
        out.acceptance_rate = (sent > 0).then(|| taken as f64 / sent as f64);
        out.gaps = self.offer_gaps(actor).await?;
        let day = today();
        let year_ago = day
            .checked_sub_months(chrono::Months::new(12))
            .unwrap_or(day);
        out.unmet = self.unmet_requests(actor, year_ago).await?;
        out.pairs.sort_by_key(|p| std::cmp::Reverse(p.sent));
        Ok(out)
    }
}

impl App {
    /// Requests orientation found no place for since a day, within the coordinator's territory
    /// (the whole network for administrators), most asked first.
    pub async fn unmet_requests(
        &self,
        actor: Option<&Actor>,
        from: chrono::NaiveDate,
    ) -> Result<Vec<UnmetLine>, AppError> {
        use maillage_domain::policy::TerritoryUnit;
        allow(authorize(actor, &Action::ViewFlows, today()))?;
        let Some(actor) = actor else {
            return Ok(Vec::new());
        };
        let catalogue = self.catalogue().await?;
        let mut lines: std::collections::BTreeMap<(String, String), UnmetLine> = Default::default();
        for row in self.store.unmet_requests(from).await? {
            let commune = self.referential.find_by_name(&row.insee_code, None);
            let covered = actor.administrator
                || actor.territory.iter().any(|unit| match unit {
                    TerritoryUnit::Departement(d) => commune.is_some_and(|c| &c.departement == d),
                    TerritoryUnit::Commune(c) => *c == row.insee_code,
                });
            if !covered {
                continue;
            }
            let line = lines
                .entry((row.request_id.clone(), row.insee_code.clone()))
                .or_insert_with(|| UnmetLine {
                    request: catalogue
                        .entry(&row.request_id)
                        .map(|e| e.title.clone())
                        .unwrap_or_else(|| row.request_id.clone()),
                    commune: commune
                        .map(|c| format!("{} ({})", c.name, c.departement))
                        .unwrap_or_else(|| row.insee_code.clone()),
                    insee_code: commune
                        .map(|c| c.insee_code.clone())
                        .unwrap_or_else(|| row.insee_code.clone()),
                    days: 0,
                    asked: 0,
                    anywhere: false,
                });
            line.days += 1;
            line.asked = line.asked.saturating_add(row.asked);
            line.anywhere |= row.anywhere;
        }
        let mut out: Vec<UnmetLine> = lines.into_values().collect();
        out.sort_by(|a, b| {
            b.days
                .cmp(&a.days)
                .then(b.asked.cmp(&a.asked))
                .then(a.request.cmp(&b.request))
        });
        Ok(out)
    }

    /// Requests of the catalogue for which no place of the coordinator's territory (each of
    /// its départements and communes) offers the kind of help: the gaps in the offer.
    pub async fn offer_gaps(
        &self,
        actor: Option<&Actor>,
    ) -> Result<Vec<(String, String)>, AppError> {
        use maillage_domain::policy::TerritoryUnit;
        use maillage_search::SearchQuery;
        let Some(actor) = actor else {
            return Ok(Vec::new());
        };
        let catalogue = self.catalogue().await?;
        let index = self.index();
        let mut gaps = Vec::new();
        for unit in &actor.territory {
            let (departement, insee_code) = match unit {
                TerritoryUnit::Departement(d) => (Some(d.clone()), None),
                TerritoryUnit::Commune(c) => (None, Some(c.clone())),
            };
            for entry in &catalogue.entries {
                let mut found = 0;
                if !entry.services.is_empty() {
                    found += index
                        .search(&SearchQuery {
                            services: entry.services.clone(),
                            departement: departement.clone(),
                            insee_code: insee_code.clone(),
                            limit: 1,
                            ..SearchQuery::default()
                        })?
                        .total;
                }
                if found == 0 && !entry.mediation_forms.is_empty() {
                    found += index
                        .search(&SearchQuery {
                            mediation_forms: entry.mediation_forms.clone(),
                            departement: departement.clone(),
                            insee_code: insee_code.clone(),
                            limit: 1,
                            ..SearchQuery::default()
                        })?
                        .total;
                }
                if found == 0 {
                    gaps.push((unit.code().to_string(), entry.title.clone()));
                }
            }
        }
        Ok(gaps)
    }
}

/// Reads an answer of a form: `prendre`, `decliner` (with `motif`), `absente`, `cloturer` (with
/// `issue`), `retirer`.
pub fn event_of(action: &str, reason: &str, outcome: &str) -> Result<Event, AppError> {
    Ok(match action {
        "prendre" => Event::TakeInCharge,
        "decliner" => Event::Decline {
            reason: DeclineReason::from_slug(reason)
                .ok_or_else(|| AppError::Invalid("choisissez le motif du refus".into()))?,
        },
        "absente" => Event::NoShow,
        "cloturer" => Event::Close {
            outcome: Outcome::from_slug(outcome).ok_or_else(|| {
                AppError::Invalid("choisissez comment l'orientation se termine".into())
            })?,
        },
        "retirer" => Event::Withdraw,
        _ => return Err(AppError::Invalid("action inconnue".into())),
    })
}

impl App {
    /// The history of a referral seen through its receiver's link (the link is the credential).
    pub async fn referral_events_by_link(
        &self,
        token: &str,
    ) -> Result<Vec<ReferralEvent>, AppError> {
        let r = self.referral_by_link(token, "reponse").await?;
        Ok(self.store.referral_events(&r.id).await?)
    }
}
