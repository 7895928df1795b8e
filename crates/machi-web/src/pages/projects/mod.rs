//! The project area: create, show, the application form, the per-fiscal-
//! year model editor, versions, and Excel/CSV in and out.

mod edit;
mod form;
mod model;
mod new;
mod show;
mod transfer;
mod versions;

use crate::pages::common::{PageRoutes, Twin};

pub fn routes() -> PageRoutes {
    use Twin::{Api, PageOnly};
    PageRoutes::new()
        .get(
            "/projects/new",
            new::form,
            PageOnly("the empty form; the API takes the document itself"),
        )
        .post(
            "/projects",
            new::create_from_form,
            Api("POST /api/v1/projects"),
        )
        .post(
            "/projects/upload",
            new::create_from_file,
            Api("POST /api/v1/projects"),
        )
        .get(
            "/projects/{id}",
            show::show,
            Api("GET /api/v1/projects/{id}"),
        )
        .get(
            "/projects/{id}/download.toml",
            show::download,
            Api("GET /api/v1/projects/{id}/document.toml"),
        )
        .get(
            "/projects/{id}/edit",
            edit::form,
            PageOnly(
                "the form filled with the latest version; GET /api/v1/projects/{id} gives the same",
            ),
        )
        .post(
            "/projects/{id}/edit",
            edit::save,
            Api("PUT /api/v1/projects/{id}"),
        )
        .post(
            "/projects/{id}/organisations",
            edit::set_organisations,
            Api("PUT /api/v1/projects/{id}/organisations"),
        )
        .get(
            "/projects/{id}/model",
            model::show,
            PageOnly("the editor's grid; GET /api/v1/projects/{id} gives the same model"),
        )
        .post(
            "/projects/{id}/model",
            model::submit,
            Api("PUT /api/v1/projects/{id}"),
        )
        .post(
            "/projects/{id}/model/preview",
            model::preview,
            Api("POST /api/v1/projects/{id}/preview"),
        )
        .get(
            "/projects/{id}/versions",
            versions::list,
            Api("GET /api/v1/projects/{id}/versions"),
        )
        .get(
            "/projects/{id}/compare",
            versions::compare,
            Api("GET /api/v1/projects/{id}/compare"),
        )
        .post(
            "/projects/{id}/versions/{version}/restore",
            versions::restore,
            Api("POST /api/v1/projects/{id}/versions/{version}/restore"),
        )
        .get(
            "/projects/{id}/export.xlsx",
            transfer::export_xlsx,
            Api("GET /api/v1/projects/{id}/export.xlsx"),
        )
        .get(
            "/projects/{id}/export.csv",
            transfer::export_csv,
            Api("GET /api/v1/projects/{id}/export.csv"),
        )
        .get(
            "/projects/{id}/import",
            transfer::form,
            PageOnly("the upload form"),
        )
        .post(
            "/projects/{id}/import",
            transfer::import_file,
            Api("POST /api/v1/projects/{id}/import"),
        )
}
