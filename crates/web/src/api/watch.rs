//! The watch of public platforms.

use axum::Json;
use axum::extract::{Path, State as AxState};
use maillage_app::watch::{NewsQuery, NewsView};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiQuery, ApiResult, ErrorBody};
use crate::State;

/// News items.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ListeNouvelles)]
pub struct NewsList {
    total: usize,
    nouvelles: Vec<NewsView>,
}

/// News of the watch, newest first.
#[utoipa::path(
    get, path = "/veille", tag = "ressources",
    summary = "Nouvelles de la veille des plateformes publiques, les plus récentes d'abord",
    params(NewsQuery),
    responses(
        (status = 200, description = "Les nouvelles", body = NewsList),
        (status = 422, description = "Plateforme inconnue", body = ErrorBody),
    ),
)]
pub async fn list_news(
    AxState(state): AxState<State>,
    ApiQuery(asked): ApiQuery<NewsQuery>,
) -> ApiResult<Json<NewsList>> {
    let nouvelles: Vec<NewsView> = state
        .app
        .news(asked.platform()?, Some(&asked.procedure))
        .await?
        .iter()
        .map(|i| NewsView::of(&state.app.public_url, i))
        .collect();
    Ok(Json(NewsList {
        total: nouvelles.len(),
        nouvelles,
    }))
}

/// One news item.
#[utoipa::path(
    get, path = "/veille/{id}", tag = "ressources",
    summary = "Une nouvelle de la veille",
    params(("id" = String, Path, description = "Identifiant de la nouvelle")),
    responses(
        (status = 200, description = "La nouvelle", body = NewsView),
        (status = 404, description = "Nouvelle inconnue", body = ErrorBody),
    ),
)]
pub async fn get_news(
    AxState(state): AxState<State>,
    Path(id): Path<String>,
) -> ApiResult<Json<NewsView>> {
    let item = state.app.news_item(&id).await?;
    Ok(Json(NewsView::of(&state.app.public_url, &item)))
}
