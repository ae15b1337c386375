//! Finding contacts and companies by what a person types: part of an email address or of a
//! name, case-insensitively (the console's search box).

use crate::Store;
use crate::entities::{company, contact};
use crate::error::Result;
use crate::lookups::{LocatedCompany, LocatedContact};
use crate::reads::{stored_company, stored_contact};
use icsync_domain::WorkspaceId;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// The `LIKE` pattern matching `text` anywhere, lower-cased, with `%`, `_` and the escape
/// character (`\`) itself taken literally.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

fn like(pattern: &str) -> LikeExpr {
    LikeExpr::new(pattern).escape('\\')
}

impl Store {
    /// Contacts whose email or name contains `text` (case-insensitively), most recently seen
    /// first, at most `limit`. Blank text finds nothing.
    pub async fn search_contacts(
        &self,
        workspace: WorkspaceId,
        text: &str,
        limit: u64,
    ) -> Result<Vec<LocatedContact>> {
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        let pattern = contains_pattern(text);
        let name = Expr::expr(Func::lower(Expr::col((
            contact::Entity,
            contact::Column::Name,
        ))))
        .like(like(&pattern));
        let email =
            Expr::col((contact::Entity, contact::Column::EmailNormalized)).like(like(&pattern));
        contact::Entity::find()
            .filter(contact::Column::WorkspaceId.eq(workspace.0))
            .filter(Condition::any().add(email).add(name))
            .order_by_desc(contact::Column::LastSeenAt)
            .order_by_asc(contact::Column::Id)
            .limit(limit)
            .all(&self.inner.read)
            .await?
            .into_iter()
            .map(|row| {
                let icsync_id = row.id;
                Ok(LocatedContact {
                    icsync_id,
                    contact: stored_contact(row)?,
                })
            })
            .collect()
    }

    /// Companies whose name or own `company_id` contains `text` (case-insensitively), by name,
    /// at most `limit`. Blank text finds nothing.
    pub async fn search_companies(
        &self,
        workspace: WorkspaceId,
        text: &str,
        limit: u64,
    ) -> Result<Vec<LocatedCompany>> {
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        let pattern = contains_pattern(text);
        let lower = |column: company::Column| {
            Expr::expr(Func::lower(Expr::col((company::Entity, column)))).like(like(&pattern))
        };
        company::Entity::find()
            .filter(company::Column::WorkspaceId.eq(workspace.0))
            .filter(
                Condition::any()
                    .add(lower(company::Column::Name))
                    .add(lower(company::Column::CompanyId)),
            )
            .order_by_asc(company::Column::Name)
            .order_by_asc(company::Column::Id)
            .limit(limit)
            .all(&self.inner.read)
            .await?
            .into_iter()
            .map(|row| {
                let icsync_id = row.id;
                Ok(LocatedCompany {
                    icsync_id,
                    company: stored_company(row)?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_wildcards_are_taken_literally() {
        assert_eq!(contains_pattern(" 100%_Sure\\ "), "%100\\%\\_sure\\\\%");
        assert_eq!(contains_pattern("Ada"), "%ada%");
    }
}
