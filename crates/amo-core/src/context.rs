//! What every service shares: the data directory, the database, the keychain and the way out to
//! amoCRM. Services hold an `Arc<Ctx>`; none of them owns these, and none reaches into
//! another service's state — they call each other's methods.

use crate::amocrm::AmoCrm;
use crate::domain::lang::Lang;
use crate::keychain::Keychain;
use crate::paths::DataDir;
use crate::store::Store;

pub(crate) struct Ctx {
    pub data: DataDir,
    pub store: Store,
    pub keychain: Keychain,
    pub amo: AmoCrm,
}

impl Ctx {
    /// The language messages are rendered in right now (Settings; English if unreadable).
    pub fn lang(&self) -> Lang {
        self.store.settings().language().unwrap_or_default()
    }
}
