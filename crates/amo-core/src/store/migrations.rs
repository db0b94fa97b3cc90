//! The schema, as a list of steps. Each entry moves the schema from version `i` to `i + 1`
//! (`PRAGMA user_version`). Append only: a released step is never edited.

/// Each entry moves the schema from version `i` to `i + 1`. Append only.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: settings, OAuth states, the connected account.
    "CREATE TABLE settings (
        key   TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
     );
     CREATE TABLE oauth_states (
        state_hash   TEXT PRIMARY KEY NOT NULL,
        redirect_uri TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        used_at      INTEGER
     );
     CREATE INDEX oauth_states_expires ON oauth_states (expires_at);
     CREATE TABLE account (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        domain        TEXT NOT NULL,
        platform      TEXT NOT NULL,
        auth_kind     TEXT NOT NULL,
        account_id    INTEGER,
        account_name  TEXT,
        subdomain     TEXT,
        current_user_id INTEGER,
        expires_at    INTEGER NOT NULL,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
     );",
    // 2: what the session manager needs: the Redirect URI the connection was made with (the
    // refresh grant must repeat it exactly), when tokens were last refreshed, and whether amoCRM
    // refused a refresh so only a new sign-in can help.
    "ALTER TABLE account ADD COLUMN redirect_uri TEXT;
     ALTER TABLE account ADD COLUMN last_refresh_at INTEGER;
     ALTER TABLE account ADD COLUMN reconnect_needed INTEGER NOT NULL DEFAULT 0;",
    // 3: lead and contact entry. Every entry the user submits is a row here *before* any network
    // call (see `outbox`). `marker_at` is the `created_at` we send to amoCRM: unique per entry,
    // so after a crash the entry can be found in amoCRM by name + created_at instead of being
    // sent twice. `create_sent` / `note_sent` say a request may have reached amoCRM.
    "CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        draft TEXT NOT NULL,
        state TEXT NOT NULL,
        marker_at INTEGER NOT NULL UNIQUE,
        request_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL,
        create_sent INTEGER NOT NULL DEFAULT 0,
        note_sent INTEGER NOT NULL DEFAULT 0,
        lead_id INTEGER,
        contact_id INTEGER,
        note_id INTEGER,
        merged INTEGER NOT NULL DEFAULT 0,
        last_error_code TEXT,
        last_error_message TEXT,
        field_errors TEXT,
        sent_at INTEGER,
        domain TEXT
     );
     CREATE INDEX outbox_due ON outbox (state, next_attempt_ms);
     CREATE TABLE reference_cache (
        key TEXT PRIMARY KEY,
        json TEXT NOT NULL,
        fetched_at INTEGER NOT NULL
     );
     CREATE TABLE api_block (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        banned_at INTEGER NOT NULL
     );",
    // 4: errors are kept as codes with parameters (JSON of `Error`) and rendered when read, so
    // History follows the language switch. Rows of schema 3 keep their code; parameters they
    // never stored get neutral values; no localised text stays stored.
    "ALTER TABLE outbox ADD COLUMN last_error TEXT;
     UPDATE outbox SET last_error = CASE last_error_code
        WHEN 'network' THEN json_object('code', 'network', 'params', json_object('problem', 'cannot_connect'))
        WHEN 'server_error' THEN json_object('code', 'server_error', 'params', json_object('status', 500))
        WHEN 'forbidden' THEN json_object('code', 'forbidden', 'params', json_object('hint', ''))
        WHEN 'not_found' THEN json_object('code', 'amo_not_found', 'params', json_object('hint', ''))
        WHEN 'token_revoked' THEN json_object('code', 'token_revoked', 'params', json_object('hint', NULL))
        WHEN 'validation' THEN json_object('code', 'validation', 'params', json_array())
        WHEN 'rate_limited' THEN json_object('code', 'rate_limited')
        WHEN 'unauthorized' THEN json_object('code', 'unauthorized')
        WHEN 'account_banned' THEN json_object('code', 'account_banned')
        WHEN 'not_connected' THEN json_object('code', 'not_connected')
        ELSE json_object('code', 'unexpected_response', 'params', json_object('detail', last_error_code))
     END
     WHERE last_error_code IS NOT NULL;
     UPDATE outbox SET last_error_code = 'amo_not_found' WHERE last_error_code = 'not_found';
     UPDATE outbox SET last_error_message = NULL;",
    // 5: retention — a sent entry's draft (the customer's name, phones, notes) is removed after
    // the configured days; `purged` says it was, so History can say so too.
    "ALTER TABLE outbox ADD COLUMN purged INTEGER NOT NULL DEFAULT 0;",
    // 6: every entry, ban and cache belongs to one account (`domain::account::AccountRef`).
    // Entries already sent belong where they went; waiting ones to the account connected now —
    // the one they would have been sent to. Entries queued while no account was connected keep
    // no account and go to the next one connected, as before. The cache's keys now start with
    // the account's host, so the old ones are dropped (the next form refetches); a recorded ban
    // is the connected account's.
    "ALTER TABLE outbox ADD COLUMN account_id INTEGER;
     ALTER TABLE outbox ADD COLUMN account_domain TEXT;
     UPDATE outbox SET account_domain = domain WHERE domain IS NOT NULL;
     UPDATE outbox SET account_domain = (SELECT domain FROM account WHERE id = 1),
                       account_id = (SELECT account_id FROM account WHERE id = 1)
      WHERE account_domain IS NULL;
     DELETE FROM reference_cache;
     CREATE TABLE api_block_v6 (
        domain    TEXT PRIMARY KEY NOT NULL,
        banned_at INTEGER NOT NULL
     );
     INSERT INTO api_block_v6 (domain, banned_at)
        SELECT a.domain, b.banned_at FROM api_block b, account a WHERE a.id = 1;
     DROP TABLE api_block;
     ALTER TABLE api_block_v6 RENAME TO api_block;",
    // 7: how a sign-in ended when it did not connect (the error as JSON, e.g. a denial handled by
    // the window's deep link, or Cancel), so a CLI `connect` waiting on the same state stops at
    // once with that error instead of waiting for its timeout.
    "ALTER TABLE oauth_states ADD COLUMN outcome TEXT;",
    // 8: the follow-up task sent with a lead (or to an existing lead): `task_sent` says its
    // request may have reached amoCRM (reconciled by the lead's tasks before sending again),
    // `task_id` that it is there. Entries of kind `followup` add a note/task to an existing lead.
    // A contact now has several e-mails: the one `email` string of stored drafts becomes the
    // list `emails` (empty for an empty string), in a contact entry and in a lead's contact.
    "ALTER TABLE outbox ADD COLUMN task_sent INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE outbox ADD COLUMN task_id INTEGER;
     UPDATE outbox SET draft = json_set(json_remove(draft, '$.email'), '$.emails',
            CASE WHEN trim(json_extract(draft, '$.email')) = '' THEN json('[]')
                 ELSE json_array(json_extract(draft, '$.email')) END)
      WHERE kind = 'contact' AND json_valid(draft) AND json_type(draft, '$.email') = 'text';
     UPDATE outbox SET draft = json_set(json_remove(draft, '$.contact.email'), '$.contact.emails',
            CASE WHEN trim(json_extract(draft, '$.contact.email')) = '' THEN json('[]')
                 ELSE json_array(json_extract(draft, '$.contact.email')) END)
      WHERE kind = 'lead' AND json_valid(draft) AND json_type(draft, '$.contact.email') = 'text';",
    // 9: how this computer's forms show each account's custom fields (order, hidden, shown).
    "CREATE TABLE form_layout (
        domain TEXT NOT NULL,
        entity TEXT NOT NULL,
        json   TEXT NOT NULL,
        PRIMARY KEY (domain, entity)
     );",
    // 10: a contact entered alone may bring a company: `company_sent` says the request that
    // creates it may have reached amoCRM (reconciled by its marker before sending again),
    // `company_id` that it is there (then the contact is linked to it).
    "ALTER TABLE outbox ADD COLUMN company_sent INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE outbox ADD COLUMN company_id INTEGER;",
];
