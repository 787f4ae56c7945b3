//! Diagnostics: the questionnaires in force, scoring of answers (the domain's rules), and the
//! records kept of them. Pages, API and CLI score through here, so they agree.

use maillage_domain::diagnostic::{
    AnswerSheet, Answers, Assessment, Questionnaire, assess, builtin,
};

use crate::app::{App, AppError};

impl App {
    /// A questionnaire by id and version (`None`: the latest).
    pub fn questionnaire(&self, id: &str, version: Option<u32>) -> Result<Questionnaire, AppError> {
        builtin()
            .into_iter()
            .filter(|q| q.id == id && version.is_none_or(|v| v == q.version))
            .max_by_key(|q| q.version)
            .ok_or_else(|| {
                AppError::Invalid(format!(
                    "questionnaire « {id} »{} inconnu (court, complet)",
                    version.map(|v| format!(" v{v}")).unwrap_or_default()
                ))
            })
    }

    /// Scores answers, after checking them against their questionnaire.
    pub fn score_answers(
        &self,
        questionnaire: &Questionnaire,
        answers: &Answers,
    ) -> Result<Assessment, AppError> {
        questionnaire
            .check_answers(answers)
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        Ok(assess(questionnaire, answers))
    }

    /// Scores an answer sheet (API, CLI).
    pub fn score_sheet(&self, sheet: &AnswerSheet) -> Result<Assessment, AppError> {
        let q = self.questionnaire(&sheet.questionnaire, Some(sheet.version))?;
        self.score_answers(&q, &sheet.answers())
    }
}
