//! A small full-text index for the other collections of Maillage (the resource library, the
//! catalogue of requests): the directory's French analyzer and word-by-word query, over a
//! title and a body, answering ids ranked by relevance.

use tantivy::collector::TopDocs;
use tantivy::query::Query;
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, IndexReader, TantivyDocument};

use crate::{ANALYZER, SearchError, any_word_query, every_word_query, french_analyzer};

/// One document: an id, a title (weighs more) and a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextDocument {
    pub id: String,
    pub title: String,
    pub body: String,
}

/// The index of a collection, rebuilt when the collection changes (it is small).
pub struct TextIndex {
    index: Index,
    reader: IndexReader,
    title: Field,
    body: Field,
    ord: Field,
    ids: Vec<String>,
}

impl std::fmt::Debug for TextIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextIndex")
            .field("documents", &self.ids.len())
            .finish()
    }
}

impl TextIndex {
    pub fn build(docs: impl IntoIterator<Item = TextDocument>) -> Result<Self, SearchError> {
        let mut sb = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                // Frequencies for relevance; no positions: no search asks for words in a row.
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let title = sb.add_text_field("title", text.clone());
        let body = sb.add_text_field("body", text);
        let ord = sb.add_u64_field("ord", FAST | STORED);
        let index = Index::create_in_ram(sb.build());
        index.tokenizers().register(ANALYZER, french_analyzer());
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 15_000_000)?;
        let mut ids = Vec::new();
        for d in docs {
            let mut doc = TantivyDocument::default();
            doc.add_text(title, &d.title);
            doc.add_text(body, &d.body);
            doc.add_u64(ord, ids.len() as u64);
            writer.add_document(doc)?;
            ids.push(d.id);
        }
        writer.commit()?;
        let reader = index.reader()?;
        Ok(TextIndex {
            index,
            reader,
            title,
            body,
            ord,
            ids,
        })
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The documents matching every word of the text, best first, with their score. An
    /// empty text (or one of stop words only) matches nothing: callers list everything then.
    pub fn search(&self, text: &str) -> Result<Vec<(String, f32)>, SearchError> {
        let searcher = self.reader.searcher();
        let query = every_word_query(
            &self.index,
            &|t| searcher.doc_freq(t).unwrap_or(0),
            &[(self.title, 3.0), (self.body, 1.0)],
            text,
        );
        self.run(query)
    }

    /// The documents sharing at least one word with the text, those sharing more (and rarer)
    /// words first: for a request typed in a person's own words.
    pub fn search_any(&self, text: &str) -> Result<Vec<(String, f32)>, SearchError> {
        let searcher = self.reader.searcher();
        let query = any_word_query(
            &self.index,
            &|t| searcher.doc_freq(t).unwrap_or(0),
            &[(self.title, 3.0), (self.body, 1.0)],
            text,
        );
        self.run(query)
    }

    fn run(&self, query: Option<Box<dyn Query>>) -> Result<Vec<(String, f32)>, SearchError> {
        let Some(query) = query else {
            return Ok(Vec::new());
        };
        let searcher = self.reader.searcher();
        let limit = self.ids.len().max(1);
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        let mut out = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(id) = doc
                .get_first(self.ord)
                .and_then(|v| v.as_u64())
                .and_then(|o| usize::try_from(o).ok())
                .and_then(|o| self.ids.get(o))
            {
                out.push((id.clone(), score));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, title: &str, body: &str) -> TextDocument {
        TextDocument {
            id: id.into(),
            title: title.into(),
            body: body.into(),
        }
    }

    #[test]
    fn a_request_in_a_person_s_words_finds_the_entry_sharing_most_words() {
        let index = TextIndex::build([
            doc(
                "ft",
                "S'inscrire à France Travail",
                "pôle emploi inscription demandeur d'emploi chômage",
            ),
            doc(
                "cv",
                "Écrire un CV",
                "curriculum vitae lettre de motivation emploi",
            ),
            doc("caf", "Créer son compte CAF", "allocations logement"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let text = "je dois m'inscrire à pôle emploi";
        assert!(index.search(text).unwrap_or_default().is_empty());
        let found = index.search_any(text).unwrap_or_default();
        assert_eq!(found.first().map(|(id, _)| id.as_str()), Some("ft"));
        assert!(!found.iter().any(|(id, _)| id == "caf"));
    }

    #[test]
    fn french_words_match_across_forms_accents_and_typos() {
        let index = TextIndex::build([
            doc("mdp", "Les mots de passe", "Atelier de sécurité numérique"),
            doc(
                "clavier",
                "Jeux pour apprendre le clavier",
                "Souris et clavier, en s'amusant",
            ),
            doc(
                "ia",
                "Comprendre l'intelligence artificielle",
                "Démystifier l'IA, ateliers",
            ),
        ])
        .expect("index");
        assert_eq!(index.len(), 3);
        let ids = |q: &str| -> Vec<String> {
            index
                .search(q)
                .expect("recherche")
                .into_iter()
                .map(|(id, _)| id)
                .collect()
        };
        assert_eq!(ids("Sécurité"), ["mdp"]);
        assert_eq!(ids("Mot de PASSE"), ["mdp"]);
        assert_eq!(ids("clavié"), ["clavier"]);
        assert_eq!(ids("inteligence"), ["ia"]);
        // Titles weigh more than bodies.
        assert_eq!(ids("atelier").first().map(String::as_str), Some("mdp"));
        assert_eq!(ids("ateliers clavier"), Vec::<String>::new());
        assert!(ids("le la les").is_empty());
    }
}
