//! The network's watch on public online services (« veille », seed `001_…`): coordinators post
//! short news items about changes on the platforms people use (what changed, for whom, what to
//! tell people), tagged by platform and procedure; helpers subscribe by platform and receive a
//! weekly digest, or the item at once when it is urgent. Schedules and selection are pure
//! functions here.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::vocab::Vocabulary;

crate::vocab::vocabulary! {
    /// The public online services people are helped with.
    Platform, field = "plateformes" {
        Caf = "caf", "CAF (allocations familiales)", aliases = ["caf.fr"];
        Ameli = "ameli", "Assurance maladie (ameli)", aliases = ["ameli.fr", "CPAM"];
        Taxes = "impots", "Impôts (impots.gouv)", aliases = ["impots.gouv.fr", "DGFiP"];
        FranceTravail = "france-travail", "France Travail", aliases = ["Pôle emploi"];
        Ants = "ants", "ANTS (carte grise, permis, titres d'identité)", aliases = ["ANTS"];
        Prefecture = "prefecture", "Préfectures et titres de séjour (ANEF)", aliases = ["ANEF"];
        Retirement = "retraite", "Retraite (info-retraite, Assurance retraite)";
        Msa = "msa", "MSA";
        FranceConnect = "franceconnect", "FranceConnect et identité numérique";
        ServicePublic = "service-public", "Service-public.fr";
        School = "education", "École (ENT, ÉduConnect, Pronote)";
        Housing = "logement", "Logement social et aides au logement";
        Energy = "energie", "Chèque énergie et fournisseurs";
        Other = "autre", "Autre service public";
    }
}

/// A news item of the watch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewsItem {
    pub id: String,
    pub title: String,
    /// What changed.
    pub what_changed: String,
    /// For whom.
    pub who: String,
    /// What to tell people (plain words a helper can repeat).
    pub what_to_say: String,
    pub links: Vec<String>,
    pub platforms: Vec<Platform>,
    /// Procedures concerned, in the words of the field (« demande de RSA », « carte grise »).
    pub procedures: Vec<String>,
    /// Sent at once to the subscribers who asked for urgent items.
    pub urgent: bool,
    /// The change applies from this day, when known.
    pub effective: Option<NaiveDate>,
    /// Published at (RFC 3339).
    pub published_at: String,
    pub author: String,
}

impl NewsItem {
    pub fn platforms_label(&self) -> String {
        self.platforms
            .iter()
            .map(|p| p.label())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Concerns one of these platforms (all when none is asked).
    pub fn concerns(&self, platforms: &[Platform]) -> bool {
        platforms.is_empty() || self.platforms.iter().any(|p| platforms.contains(p))
    }

    /// Concerns a procedure named in these words: one of its procedures shares a significant
    /// word (folded, four letters or more) with them. Orientation shows the items beside a
    /// request this way.
    pub fn concerns_procedure(&self, words: &str) -> bool {
        let asked = significant_words(words);
        self.procedures
            .iter()
            .any(|p| significant_words(p).iter().any(|w| asked.contains(w)))
    }
}

fn significant_words(text: &str) -> Vec<String> {
    crate::text::fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4)
        .map(str::to_string)
        .collect()
}

/// How often a subscriber receives the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Frequency {
    #[serde(rename = "hebdomadaire")]
    Weekly,
    /// Only urgent items, at once.
    #[serde(rename = "urgent")]
    UrgentOnly,
}

impl Frequency {
    pub fn slug(self) -> &'static str {
        match self {
            Frequency::Weekly => "hebdomadaire",
            Frequency::UrgentOnly => "urgent",
        }
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        [Frequency::Weekly, Frequency::UrgentOnly]
            .into_iter()
            .find(|f| f.slug() == s)
    }
}

/// A helper's subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub user_id: String,
    /// Platforms followed; empty = every platform.
    pub platforms: Vec<Platform>,
    pub frequency: Frequency,
    /// Urgent items sent at once (besides the weekly digest).
    pub urgent_at_once: bool,
    /// When the next weekly digest is due (RFC 3339).
    pub next_digest_at: Option<String>,
}

/// Digests leave on Monday at 8 a.m., Paris time.
pub fn next_digest_after(t: DateTime<Utc>) -> DateTime<Utc> {
    let tz = chrono_tz::Europe::Paris;
    let local = t.with_timezone(&tz).date_naive();
    let mut day = local;
    loop {
        if day.weekday() == Weekday::Mon
            && let Some(at) = tz
                .from_local_datetime(&day.and_hms_opt(8, 0, 0).unwrap_or_default())
                .earliest()
            && at.with_timezone(&Utc) > t
        {
            return at.with_timezone(&Utc);
        }
        day += Duration::days(1);
    }
}

/// The items of a digest: those concerning the subscriber's platforms, not yet sent to them,
/// newest first.
pub fn digest_items<'a>(
    subscription: &Subscription,
    items: &'a [NewsItem],
    already_sent: &dyn Fn(&str) -> bool,
) -> Vec<&'a NewsItem> {
    let mut out: Vec<&NewsItem> = items
        .iter()
        .filter(|i| i.concerns(&subscription.platforms) && !already_sent(&i.id))
        .collect();
    out.sort_by(|a, b| b.published_at.cmp(&a.published_at));
    out
}

/// The news form, with the form's names; errors as (field, French reason).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewsForm {
    #[serde(rename = "titre")]
    pub title: String,
    #[serde(rename = "ce_qui_change")]
    pub what_changed: String,
    #[serde(rename = "pour_qui")]
    pub who: String,
    #[serde(rename = "quoi_dire")]
    pub what_to_say: String,
    /// One link per line.
    #[serde(rename = "liens")]
    pub links: String,
    #[serde(rename = "plateforme")]
    pub platforms: Vec<String>,
    /// Procedures separated by commas or lines.
    #[serde(rename = "demarches")]
    pub procedures: String,
    pub urgent: bool,
    #[serde(rename = "date_effet")]
    pub effective: String,
}

impl NewsForm {
    /// The form of an item, to edit it.
    pub fn of(item: &NewsItem) -> Self {
        NewsForm {
            title: item.title.clone(),
            what_changed: item.what_changed.clone(),
            who: item.who.clone(),
            what_to_say: item.what_to_say.clone(),
            links: item.links.join("\n"),
            platforms: item
                .platforms
                .iter()
                .map(|p| p.slug().to_string())
                .collect(),
            procedures: item.procedures.join(", "),
            urgent: item.urgent,
            effective: item.effective.map(|d| d.to_string()).unwrap_or_default(),
        }
    }

    pub fn validate(
        &self,
        id: &str,
        published_at: &str,
        author: &str,
    ) -> Result<NewsItem, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let text =
            |value: &str, field: &'static str, min: usize, max: usize, errors: &mut Vec<_>| {
                let v = value.trim().to_string();
                let n = v.chars().count();
                if n < min || n > max {
                    errors.push((field, format!("de {min} à {max} caractères")));
                }
                v
            };
        let title = text(&self.title, "titre", 5, 150, &mut errors);
        let what_changed = text(&self.what_changed, "ce_qui_change", 10, 2_000, &mut errors);
        let who = text(&self.who, "pour_qui", 3, 500, &mut errors);
        let what_to_say = text(&self.what_to_say, "quoi_dire", 10, 2_000, &mut errors);
        let mut links = Vec::new();
        for line in self.links.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match crate::fields::url(line) {
                Ok(r) => links.push(r.value),
                Err(e) => errors.push(("liens", format!("« {line} » : {e}"))),
            }
        }
        let platforms: Vec<Platform> = self
            .platforms
            .iter()
            .filter_map(|p| Platform::from_slug(p))
            .collect();
        if platforms.is_empty() {
            errors.push((
                "plateforme",
                "choisissez au moins une plateforme concernée".to_string(),
            ));
        }
        let mut procedures: Vec<String> = self
            .procedures
            .split([',', '\n', ';'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        procedures.dedup();
        if procedures.iter().any(|p| p.chars().count() > 80) {
            errors.push((
                "demarches",
                "80 caractères au plus par démarche".to_string(),
            ));
        }
        let effective = match self.effective.trim() {
            "" => None,
            d => match crate::fields::date(d) {
                Ok(r) => Some(r.value),
                Err(e) => {
                    errors.push(("date_effet", e));
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewsItem {
            id: id.to_string(),
            title,
            what_changed,
            who,
            what_to_say,
            links,
            platforms,
            procedures,
            urgent: self.urgent,
            effective,
            published_at: published_at.to_string(),
            author: author.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("date")
            .with_timezone(&Utc)
    }

    fn item(id: &str, platforms: &[Platform], published: &str) -> NewsItem {
        NewsItem {
            id: id.into(),
            title: "t".into(),
            what_changed: String::new(),
            who: String::new(),
            what_to_say: String::new(),
            links: vec![],
            platforms: platforms.to_vec(),
            procedures: vec!["Demande de prime d'activité".into()],
            urgent: false,
            effective: None,
            published_at: published.into(),
            author: "a".into(),
        }
    }

    #[test]
    fn digests_leave_on_monday_at_eight_paris_time() {
        // Sunday 23 Nov 2026 (winter: UTC+1) → Monday 24 at 07:00 UTC.
        assert_eq!(
            next_digest_after(at("2026-11-22T15:00:00Z")),
            at("2026-11-23T07:00:00Z")
        );
        // Monday after 8:00 → the next Monday.
        assert_eq!(
            next_digest_after(at("2026-11-23T07:00:00Z")),
            at("2026-11-30T07:00:00Z")
        );
        // Summer time: UTC+2.
        assert_eq!(
            next_digest_after(at("2026-06-10T12:00:00Z")),
            at("2026-06-15T06:00:00Z")
        );
    }

    #[test]
    fn a_digest_holds_the_followed_platforms_not_yet_sent() {
        let items = vec![
            item("1", &[Platform::Caf], "2026-11-20T10:00:00Z"),
            item("2", &[Platform::Ants], "2026-11-21T10:00:00Z"),
            item(
                "3",
                &[Platform::Caf, Platform::Taxes],
                "2026-11-22T10:00:00Z",
            ),
            item("4", &[Platform::Caf], "2026-11-19T10:00:00Z"),
        ];
        let sub = Subscription {
            user_id: "u".into(),
            platforms: vec![Platform::Caf],
            frequency: Frequency::Weekly,
            urgent_at_once: true,
            next_digest_at: None,
        };
        let ids: Vec<&str> = digest_items(&sub, &items, &|id| id == "4")
            .iter()
            .map(|i| i.id.as_str())
            .collect();
        assert_eq!(ids, ["3", "1"]);
        let all = Subscription {
            platforms: vec![],
            ..sub
        };
        assert_eq!(digest_items(&all, &items, &|_| false).len(), 4);
    }

    #[test]
    fn procedures_match_by_significant_words() {
        let i = item("1", &[Platform::Caf], "2026-11-20T10:00:00Z");
        assert!(i.concerns_procedure("Faire sa PRIME d’activité"));
        assert!(!i.concerns_procedure("carte grise"));
        assert!(!i.concerns_procedure("de la"));
    }

    #[test]
    fn the_form_names_each_bad_field() {
        let form = NewsForm {
            title: "CAF : nouvel espace".into(),
            what_changed: "La connexion passe par FranceConnect.".into(),
            who: "Allocataires".into(),
            what_to_say: "Préparez vos identifiants impots.gouv ou ameli.".into(),
            links: "www.caf.fr\n".into(),
            platforms: vec!["caf".into()],
            procedures: "Prime d'activité, RSA\nAPL".into(),
            ..Default::default()
        };
        let ok = form
            .validate("n1", "2026-11-23T08:00:00Z", "Coordination")
            .expect("valide");
        assert_eq!(ok.links, ["https://www.caf.fr"]);
        assert_eq!(ok.procedures, ["Prime d'activité", "RSA", "APL"]);
        let bad = NewsForm {
            title: "x".into(),
            links: "pas un lien".into(),
            platforms: vec![],
            effective: "demain".into(),
            ..form
        };
        let fields: Vec<&str> = bad
            .validate("n", "t", "a")
            .expect_err("invalide")
            .iter()
            .map(|(f, _)| *f)
            .collect();
        assert_eq!(fields, ["titre", "liens", "plateforme", "date_effet"]);
    }
}
