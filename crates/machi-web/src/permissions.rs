//! Who may do what: one pure function, [`can`], and its matrix.
//!
//! Every handler — page or API — asks [`can`] before it reads or writes; the
//! function does no IO, so the whole matrix is tested without a server
//! (`tests` below) and a sample of its cells again through HTTP
//! (`tests/app.rs`).
//!
//! # The matrix
//!
//! "member" means the user's organisation is in the project's consortium
//! organisations (the owner included, see
//! [`machi_store::Store::project_organisations`]); "outsider" means it is not.
//!
//! | role              | create project | view (member) | view (outsider) | edit (member) | edit (outsider) | audit log | manage users |
//! |-------------------|:--------------:|:-------------:|:---------------:|:-------------:|:---------------:|:---------:|:------------:|
//! | municipal officer | ✓              | ✓             | –               | ✓             | –               | –         | –            |
//! | provider          | ✓              | ✓             | –               | ✓             | –               | –         | –            |
//! | secretariat       | –              | ✓             | ✓               | –             | –               | –         | –            |
//! | reviewer          | –              | –             | –               | –             | –               | –         | –            |
//! | investor          | –              | –             | –               | –             | –               | –         | –            |
//! | admin             | ✓              | ✓             | ✓               | ✓             | ✓               | ✓         | ✓            |
//!
//! - Municipal officers and providers (companies, universities) work on the
//!   projects of consortia their organisation belongs to. A company never
//!   sees another applicant's draft: a project it is not a member of is
//!   answered with 404, as if it did not exist.
//! - The secretariat reads every project (to screen and monitor) but never
//!   edits an applicant's document.
//! - Reviewers and investors have no project access yet. Their views — blind
//!   review of assigned applications, the investment-readiness pack — come
//!   with later issues, which will add actions (e.g. `ReviewAssigned`) and
//!   an access kind for assignments rather than widen `ViewProject`.
//! - Admins do everything, read the audit log and create users in any
//!   organisation.
//! - A disabled user may do nothing.
//!
//! "Edit" covers saving a new version, restoring an old one and changing the
//! consortium organisations. "View" covers the document, its versions, their
//! comparison and the evaluation.

use machi_store::{Role, User};

/// Something a user may try to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::VariantArray)]
pub enum Action {
    /// Create a project (from the form, a file or the API).
    CreateProject,
    /// Read a project: document, versions, comparison, evaluation.
    ViewProject,
    /// Change a project: save, restore, consortium organisations.
    EditProject,
    /// Read the audit log.
    ViewAudit,
    /// List users, create users and organisations.
    ManageUsers,
}

impl Action {
    /// Whether the action is about one project (so membership matters).
    pub fn is_project_scoped(self) -> bool {
        matches!(self, Action::ViewProject | Action::EditProject)
    }
}

/// How the user's organisation relates to the project acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::VariantArray)]
pub enum ProjectAccess {
    /// The user's organisation is in the project's consortium.
    Member,
    /// It is not, or the action is not about a project (then the answer does
    /// not depend on it; pass `Outsider`, the stricter value).
    Outsider,
}

impl ProjectAccess {
    /// `Member` if `org` is among `consortium`.
    pub fn of(org: machi_store::OrgId, consortium: &[machi_store::OrgId]) -> ProjectAccess {
        if consortium.contains(&org) {
            ProjectAccess::Member
        } else {
            ProjectAccess::Outsider
        }
    }
}

/// Whether `user` may do `action` on a project they relate to as `access`.
/// See the module documentation for the matrix.
pub fn can(user: &User, action: Action, access: ProjectAccess) -> bool {
    !user.disabled && role_can(user.role, action, access)
}

/// The matrix itself, by role.
pub fn role_can(role: Role, action: Action, access: ProjectAccess) -> bool {
    use Action as A;
    use ProjectAccess as P;
    match role {
        Role::Admin => true,
        Role::MunicipalOfficer | Role::Provider => matches!(
            (action, access),
            (A::CreateProject, _) | (A::ViewProject | A::EditProject, P::Member)
        ),
        Role::Secretariat => action == A::ViewProject,
        // No project access yet: their views come with later issues.
        Role::Reviewer | Role::Investor => false,
    }
}

#[cfg(test)]
mod tests {
    use strum::VariantArray as _;

    use super::*;
    use Action as A;
    use ProjectAccess as P;

    fn user(role: Role, disabled: bool) -> User {
        User {
            id: machi_store::UserId(1),
            organisation: machi_store::OrgId(1),
            email: "a@example.jp".into(),
            display_name: "A".into(),
            role,
            lang: "ja".into(),
            password_hash: String::new(),
            disabled,
            created_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    /// The matrix of the module documentation, cell by cell:
    /// (role, action, member?, outsider?).
    const MATRIX: &[(Role, Action, bool, bool)] = &[
        (Role::MunicipalOfficer, A::CreateProject, true, true),
        (Role::MunicipalOfficer, A::ViewProject, true, false),
        (Role::MunicipalOfficer, A::EditProject, true, false),
        (Role::MunicipalOfficer, A::ViewAudit, false, false),
        (Role::MunicipalOfficer, A::ManageUsers, false, false),
        (Role::Provider, A::CreateProject, true, true),
        (Role::Provider, A::ViewProject, true, false),
        (Role::Provider, A::EditProject, true, false),
        (Role::Provider, A::ViewAudit, false, false),
        (Role::Provider, A::ManageUsers, false, false),
        (Role::Secretariat, A::CreateProject, false, false),
        (Role::Secretariat, A::ViewProject, true, true),
        (Role::Secretariat, A::EditProject, false, false),
        (Role::Secretariat, A::ViewAudit, false, false),
        (Role::Secretariat, A::ManageUsers, false, false),
        (Role::Reviewer, A::CreateProject, false, false),
        (Role::Reviewer, A::ViewProject, false, false),
        (Role::Reviewer, A::EditProject, false, false),
        (Role::Reviewer, A::ViewAudit, false, false),
        (Role::Reviewer, A::ManageUsers, false, false),
        (Role::Investor, A::CreateProject, false, false),
        (Role::Investor, A::ViewProject, false, false),
        (Role::Investor, A::EditProject, false, false),
        (Role::Investor, A::ViewAudit, false, false),
        (Role::Investor, A::ManageUsers, false, false),
        (Role::Admin, A::CreateProject, true, true),
        (Role::Admin, A::ViewProject, true, true),
        (Role::Admin, A::EditProject, true, true),
        (Role::Admin, A::ViewAudit, true, true),
        (Role::Admin, A::ManageUsers, true, true),
    ];

    #[test]
    fn matrix_covers_every_role_and_action_once() {
        for &role in Role::VARIANTS {
            for &action in Action::VARIANTS {
                let n = MATRIX
                    .iter()
                    .filter(|(r, a, _, _)| *r == role && *a == action)
                    .count();
                assert_eq!(n, 1, "{role:?} × {action:?}");
            }
        }
        assert_eq!(MATRIX.len(), Role::VARIANTS.len() * Action::VARIANTS.len());
    }

    #[test]
    fn every_cell_matches_the_documented_matrix() {
        for &(role, action, member, outsider) in MATRIX {
            let u = user(role, false);
            assert_eq!(
                can(&u, action, P::Member),
                member,
                "{role:?} {action:?} member"
            );
            assert_eq!(
                can(&u, action, P::Outsider),
                outsider,
                "{role:?} {action:?} outsider"
            );
        }
    }

    #[test]
    fn a_disabled_user_may_do_nothing() {
        for &role in Role::VARIANTS {
            let u = user(role, true);
            for &action in Action::VARIANTS {
                for &access in P::VARIANTS {
                    assert!(!can(&u, action, access), "{role:?} {action:?} {access:?}");
                }
            }
        }
    }

    #[test]
    fn membership_matters_only_for_project_actions() {
        for &role in Role::VARIANTS {
            for action in Action::VARIANTS
                .iter()
                .copied()
                .filter(|a| !a.is_project_scoped())
            {
                assert_eq!(
                    role_can(role, action, P::Member),
                    role_can(role, action, P::Outsider),
                    "{role:?} {action:?}"
                );
            }
        }
    }

    #[test]
    fn whoever_may_edit_may_view() {
        for &role in Role::VARIANTS {
            for &access in P::VARIANTS {
                if role_can(role, A::EditProject, access) {
                    assert!(
                        role_can(role, A::ViewProject, access),
                        "{role:?} {access:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn access_of_an_organisation() {
        use machi_store::OrgId;
        assert_eq!(
            ProjectAccess::of(OrgId(2), &[OrgId(1), OrgId(2)]),
            P::Member
        );
        assert_eq!(
            ProjectAccess::of(OrgId(3), &[OrgId(1), OrgId(2)]),
            P::Outsider
        );
        assert_eq!(ProjectAccess::of(OrgId(3), &[]), P::Outsider);
    }
}
