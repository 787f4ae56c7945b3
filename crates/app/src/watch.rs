//! The watch on public platforms: coordinators post news items; helpers subscribe by platform
//! and receive a weekly digest by e-mail, or an urgent item at once. Each item reaches a
//! subscriber once (deliveries are recorded after the message leaves).

use chrono::{DateTime, Utc};
use maillage_domain::french;
use maillage_domain::policy::{Action, Actor, authorize};
use maillage_domain::watch::{
    Frequency, NewsForm, NewsItem, Platform, Subscription, digest_items, next_digest_after,
};
use maillage_store::Subscriber;

use crate::mail::Mail;
use crate::mail::messages::{Message, WatchNews};
use crate::resources::Refused;
use crate::{App, AppError, allow, today};

/// A digest covers the items of the last five weeks at most (a new subscriber does not
/// receive the whole history).
const DIGEST_WINDOW_DAYS: i64 = 35;

/// The watch's filters, as the page's and the API's query give them (`plateforme`,
/// `demarche`).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct NewsQuery {
    #[serde(rename = "plateforme")]
    pub platform: String,
    #[serde(rename = "demarche")]
    pub procedure: String,
}

impl NewsQuery {
    /// The platform asked, if it is one; an unknown one is an error naming it.
    pub fn platform(&self) -> Result<Option<Platform>, AppError> {
        use maillage_domain::Vocabulary;
        match self.platform.as_str() {
            "" => Ok(None),
            s => Platform::from_slug(s)
                .map(Some)
                .ok_or_else(|| AppError::Invalid(format!("plateforme inconnue « {s} »"))),
        }
    }
}

/// The subscription form: the platforms followed (none: all), the frequency, urgent news at
/// once; or `action=desabonner`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct SubscriptionForm {
    pub action: String,
    #[serde(rename = "plateforme")]
    pub platforms: Vec<String>,
    #[serde(rename = "frequence")]
    pub frequency: String,
    pub urgent: bool,
}

impl SubscriptionForm {
    pub fn unsubscribes(&self) -> bool {
        self.action == "desabonner"
    }

    /// The platforms ticked (unknown ones left out).
    pub fn platforms(&self) -> Vec<Platform> {
        use maillage_domain::Vocabulary;
        self.platforms
            .iter()
            .filter_map(|p| Platform::from_slug(p))
            .collect()
    }

    /// Weekly unless another frequency is chosen.
    pub fn frequency(&self) -> Frequency {
        Frequency::from_slug(&self.frequency).unwrap_or(Frequency::Weekly)
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl App {
    /// The items of the watch, newest first, about one platform when given, matching words of a
    /// procedure when given.
    pub async fn news(
        &self,
        platform: Option<Platform>,
        procedure: Option<&str>,
    ) -> Result<Vec<NewsItem>, AppError> {
        let items = self.store.news(None, platform).await?;
        Ok(match procedure.filter(|p| !p.trim().is_empty()) {
            Some(p) => items
                .into_iter()
                .filter(|i| i.concerns_procedure(p))
                .collect(),
            None => items,
        })
    }

    pub async fn news_item(&self, id: &str) -> Result<NewsItem, AppError> {
        self.store.news_item(id).await?.ok_or(AppError::NotFound)
    }

    /// Posts an item (coordinators); an urgent one leaves at once to the subscribers who asked
    /// for urgent items. Returns its id and how many were told.
    pub async fn post_news(
        &self,
        actor: Option<&Actor>,
        author: &str,
        form: &NewsForm,
    ) -> Result<(String, usize), Refused> {
        allow(authorize(actor, &Action::PostNews, today()))?;
        let item = form
            .validate("", &rfc3339(Utc::now()), author)
            .map_err(Refused::Form)?;
        let id = self
            .store
            .create_news(&item, actor.map(|a| a.user_id.as_str()))
            .await?;
        let told = if item.urgent {
            self.send_urgent_news(&id).await?
        } else {
            0
        };
        Ok((id, told))
    }

    pub async fn edit_news(
        &self,
        actor: Option<&Actor>,
        id: &str,
        form: &NewsForm,
    ) -> Result<(), Refused> {
        allow(authorize(actor, &Action::PostNews, today()))?;
        let old = self.news_item(id).await?;
        let item = form
            .validate(id, &old.published_at, &old.author)
            .map_err(Refused::Form)?;
        if !self.store.update_news(&item).await? {
            return Err(Refused::App(AppError::NotFound));
        }
        Ok(())
    }

    pub async fn delete_news(&self, actor: Option<&Actor>, id: &str) -> Result<(), AppError> {
        allow(authorize(actor, &Action::PostNews, today()))?;
        if !self.store.delete_news(id).await? {
            return Err(AppError::NotFound);
        }
        Ok(())
    }

    pub async fn subscription(
        &self,
        actor: Option<&Actor>,
    ) -> Result<Option<Subscription>, AppError> {
        allow(authorize(actor, &Action::SubscribeWatch, today()))?;
        let actor = actor.ok_or(AppError::SignInRequired)?;
        Ok(self.store.subscription(&actor.user_id).await?)
    }

    /// Subscribes (or changes the subscription of) the actor. The first weekly digest leaves
    /// on the next Monday morning.
    pub async fn subscribe(
        &self,
        actor: Option<&Actor>,
        platforms: Vec<Platform>,
        frequency: Frequency,
        urgent_at_once: bool,
    ) -> Result<Subscription, AppError> {
        allow(authorize(actor, &Action::SubscribeWatch, today()))?;
        let actor = actor.ok_or(AppError::SignInRequired)?;
        let previous = self.store.subscription(&actor.user_id).await?;
        let next_digest_at = match frequency {
            Frequency::Weekly => previous
                .and_then(|p| p.next_digest_at)
                .or_else(|| Some(rfc3339(next_digest_after(Utc::now())))),
            Frequency::UrgentOnly => None,
        };
        let s = Subscription {
            user_id: actor.user_id.clone(),
            platforms,
            frequency,
            urgent_at_once: urgent_at_once || frequency == Frequency::UrgentOnly,
            next_digest_at,
        };
        self.store.save_subscription(&s).await?;
        Ok(s)
    }

    pub async fn unsubscribe(&self, actor: Option<&Actor>) -> Result<bool, AppError> {
        allow(authorize(actor, &Action::SubscribeWatch, today()))?;
        let actor = actor.ok_or(AppError::SignInRequired)?;
        Ok(self.store.delete_subscription(&actor.user_id).await?)
    }

    /// Sends the weekly digests due at `now` (all of them when `force`, e.g. from the command
    /// line). A digest without news is not sent; its date moves on. Returns how many left.
    pub async fn send_digests(&self, now: DateTime<Utc>, force: bool) -> Result<usize, AppError> {
        let since = rfc3339(now - chrono::Duration::days(DIGEST_WINDOW_DAYS));
        let items = self.store.news(Some(&since), None).await?;
        let next = rfc3339(next_digest_after(now));
        let now_text = rfc3339(now);
        let mut sent = 0;
        for Subscriber {
            subscription,
            email,
        } in self.store.subscribers().await?
        {
            if subscription.frequency != Frequency::Weekly {
                continue;
            }
            let due = subscription
                .next_digest_at
                .as_deref()
                .is_none_or(|at| at <= now_text.as_str());
            if !due && !force {
                continue;
            }
            let delivered = self.store.delivered_items(&subscription.user_id).await?;
            let chosen = digest_items(&subscription, &items, &|id| delivered.contains(id));
            if chosen.is_empty() {
                self.store
                    .record_deliveries(&subscription.user_id, &[], Some(&next))
                    .await?;
                continue;
            }
            let Some(mail) = self.digest_mail(&email, &subscription, &chosen) else {
                continue;
            };
            match self.mailer.send(&mail).await {
                Ok(true) => {
                    let ids: Vec<&str> = chosen.iter().map(|i| i.id.as_str()).collect();
                    self.store
                        .record_deliveries(&subscription.user_id, &ids, Some(&next))
                        .await?;
                    sent += 1;
                }
                // E-mail not configured: nothing leaves, nothing is marked as sent.
                Ok(false) => {}
                Err(e) => tracing::warn!("résumé de veille non envoyé : {e}"),
            }
        }
        Ok(sent)
    }

    /// Sends an urgent item to the subscribers who asked for urgent items on its platforms
    /// (once each). Returns how many were told.
    pub async fn send_urgent_news(&self, id: &str) -> Result<usize, AppError> {
        let item = self.news_item(id).await?;
        let mut told = 0;
        for Subscriber {
            subscription,
            email,
        } in self.store.subscribers().await?
        {
            if !subscription.urgent_at_once || !item.concerns(&subscription.platforms) {
                continue;
            }
            if self
                .store
                .delivered_items(&subscription.user_id)
                .await?
                .contains(id)
            {
                continue;
            }
            let Some(mail) = (WatchNews {
                urgent: true,
                followed: String::new(),
                items: vec![self.item_text(&item)],
                title: item.title.clone(),
                url: self.public_url.clone(),
            })
            .to(&email) else {
                continue;
            };
            match self.mailer.send(&mail).await {
                Ok(true) => {
                    self.store
                        .record_deliveries(&subscription.user_id, &[id], None)
                        .await?;
                    told += 1;
                }
                Ok(false) => {}
                Err(e) => tracing::warn!("nouvelle urgente non envoyée : {e}"),
            }
        }
        Ok(told)
    }

    /// Urgent items of the last two days: sends them to whoever a failed sending missed.
    pub async fn resend_urgent_news(&self, now: DateTime<Utc>) -> Result<usize, AppError> {
        let since = rfc3339(now - chrono::Duration::days(2));
        let mut told = 0;
        for item in self.store.news(Some(&since), None).await? {
            if item.urgent {
                told += self.send_urgent_news(&item.id).await?;
            }
        }
        Ok(told)
    }

    fn item_text(&self, item: &NewsItem) -> String {
        let mut s = format!(
            "■ {}{}\nPlateformes : {}\n",
            item.title,
            if item.urgent { " (urgent)" } else { "" },
            item.platforms_label()
        );
        if !item.procedures.is_empty() {
            s.push_str(&format!("Démarches : {}\n", item.procedures.join(", ")));
        }
        if let Some(d) = item.effective {
            s.push_str(&format!("À partir du : {}\n", french::date(d)));
        }
        s.push_str(&format!(
            "\nCe qui change : {}\nPour qui : {}\nCe qu'il faut dire aux personnes : {}\n",
            item.what_changed, item.who, item.what_to_say
        ));
        for link in &item.links {
            s.push_str(&format!("Lien : {link}\n"));
        }
        s.push_str(&format!(
            "En ligne : {}/veille/{}\n\n",
            self.public_url, item.id
        ));
        s
    }

    fn digest_mail(&self, to: &str, s: &Subscription, items: &[&NewsItem]) -> Option<Mail> {
        let followed = if s.platforms.is_empty() {
            "toutes les plateformes".to_string()
        } else {
            s.platforms
                .iter()
                .map(|p| maillage_domain::Vocabulary::label(*p))
                .collect::<Vec<_>>()
                .join(", ")
        };
        WatchNews {
            urgent: false,
            followed,
            items: items.iter().map(|i| self.item_text(i)).collect(),
            title: String::new(),
            url: self.public_url.clone(),
        }
        .to(to)
    }
}

/// A news item as the API and the exports give it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Nouvelle)]
pub struct NewsView {
    pub id: String,
    pub titre: String,
    pub ce_qui_change: String,
    pub pour_qui: String,
    pub quoi_dire: String,
    pub liens: Vec<String>,
    /// Slugs of the platforms concerned.
    pub plateformes: Vec<String>,
    pub demarches: Vec<String>,
    pub urgent: bool,
    pub date_effet: Option<chrono::NaiveDate>,
    pub publiee_le: String,
    pub auteur: String,
    /// The news item's page on Maillage.
    pub page: String,
}

impl NewsView {
    pub fn of(public_url: &str, item: &NewsItem) -> Self {
        use maillage_domain::Vocabulary;
        NewsView {
            id: item.id.clone(),
            titre: item.title.clone(),
            ce_qui_change: item.what_changed.clone(),
            pour_qui: item.who.clone(),
            quoi_dire: item.what_to_say.clone(),
            liens: item.links.clone(),
            plateformes: item
                .platforms
                .iter()
                .map(|p| p.slug().to_string())
                .collect(),
            demarches: item.procedures.clone(),
            urgent: item.urgent,
            date_effet: item.effective,
            publiee_le: item.published_at.clone(),
            auteur: item.author.clone(),
            page: format!("{public_url}/veille/{}", item.id),
        }
    }
}
