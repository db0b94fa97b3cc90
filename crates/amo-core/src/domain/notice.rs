//! What a system notification is about. The service deciding when one is due is `notices`; the
//! sentences are in `i18n::notices`.

/// One system notification's subject. Several leads sent in one burst make one notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A lead or contact that had waited (amoCRM was unreachable, say) reached amoCRM.
    Sent { title: String, url: Option<String> },
    /// Several did, at once.
    SentMany { count: u32, titles: Vec<String> },
    /// More entries need the user than before: amoCRM refused them.
    Attention { count: u32 },
    /// amoCRM blocked the account's API: nothing is sent until support lifts it.
    Banned,
    /// amoCRM refused a refresh: only a new sign-in helps.
    ReconnectNeeded,
    /// The keep-alive refresh failed for another reason (amoCRM unreachable, the keychain
    /// locked): it is tried again, but a connection left unrefreshed for three months dies.
    KeepAliveFailed { error: crate::error::Error },
    /// Tasks of the connected user fell due since the last look (issue 21): one notice for all
    /// of them, naming the first few (`titles`, soonest first).
    TasksDue { count: u32, titles: Vec<String> },
}
