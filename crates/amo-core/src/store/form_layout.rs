//! Table `form_layout`: how this computer's forms show each account's custom fields (Settings →
//! Form fields), one row per account host and entity, as JSON of [`FormLayout`].

use rusqlite::{params, OptionalExtension};

use super::Store;
use crate::domain::fields::{FormEntity, FormLayout};
use crate::error::{Error, Result};

pub struct FormLayoutTable<'a>(pub(super) &'a Store);

impl FormLayoutTable<'_> {
    /// The layout for `domain`'s `entity` form; none saved (or unreadable) is the default.
    pub fn get(&self, domain: &str, entity: FormEntity) -> Result<FormLayout> {
        let json: Option<String> = self
            .0
            .conn()
            .query_row(
                "SELECT json FROM form_layout WHERE domain = ?1 COLLATE NOCASE AND entity = ?2",
                params![domain, entity.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        Ok(json.and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default())
    }

    pub fn put(&self, domain: &str, entity: FormEntity, layout: &FormLayout) -> Result<()> {
        let json = serde_json::to_string(layout).map_err(Error::internal)?;
        self.0.conn().execute(
            "INSERT INTO form_layout (domain, entity, json) VALUES (lower(?1), ?2, ?3)
             ON CONFLICT(domain, entity) DO UPDATE SET json = excluded.json",
            params![domain, entity.as_str(), json],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_account_and_form_has_its_own_layout() {
        let tmp = tempfile::tempdir().expect("tmp");
        let store = Store::open(&tmp.path().join("db.sqlite3")).expect("store");
        let t = store.form_layouts();
        assert_eq!(t.get("acme.amocrm.ru", FormEntity::Leads).expect("get"), FormLayout::default());
        let l = FormLayout { order: vec![3, 1], hidden: vec![2], shown: vec![9] };
        t.put("Acme.amocrm.ru", FormEntity::Leads, &l).expect("put");
        assert_eq!(t.get("acme.amocrm.ru", FormEntity::Leads).expect("get"), l);
        assert_eq!(t.get("acme.amocrm.ru", FormEntity::Contacts).expect("get"), FormLayout::default());
        assert_eq!(t.get("beta.amocrm.ru", FormEntity::Leads).expect("get"), FormLayout::default());
        t.put("acme.amocrm.ru", FormEntity::Leads, &FormLayout::default()).expect("reset");
        assert_eq!(t.get("acme.amocrm.ru", FormEntity::Leads).expect("get"), FormLayout::default());
    }
}
