-- The CRM core. Kept in step with the PostgreSQL/SQLite twin of this file:
-- the two differ only in column types.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    search_text TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    title TEXT,
    phone TEXT,
    password_hash TEXT,
    json TEXT NOT NULL
);

-- Sign-in sessions; only the SHA-256 of a token is kept.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- Failed sign-ins per email, for slowing down and locking out guessing.
CREATE TABLE login_throttle (
    email TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    locked_until TEXT
);

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    name TEXT NOT NULL,
    domain TEXT,
    industry TEXT,
    employee_count BIGINT,
    country TEXT,
    address TEXT,
    credit_status TEXT NOT NULL,
    credit_note TEXT,
    owner_id TEXT NOT NULL REFERENCES users (id)
);

CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    first_name TEXT,
    last_name TEXT,
    title TEXT,
    email TEXT,
    phone TEXT,
    account_id TEXT REFERENCES accounts (id),
    owner_id TEXT NOT NULL REFERENCES users (id)
);

CREATE TABLE contact_relationships (
    id TEXT PRIMARY KEY,
    from_contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    to_contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    UNIQUE (from_contact_id, kind, to_contact_id)
);

CREATE TABLE deals (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    name TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    primary_contact_id TEXT REFERENCES contacts (id),
    owner_id TEXT NOT NULL REFERENCES users (id),
    stage TEXT NOT NULL,
    amount TEXT,
    currency TEXT,
    probability BIGINT NOT NULL,
    probability_is_default BOOLEAN NOT NULL,
    expected_close_date TEXT,
    next_step TEXT,
    next_step_date TEXT,
    lost_reason TEXT
);

CREATE TABLE deal_stage_changes (
    id TEXT PRIMARY KEY,
    deal_id TEXT NOT NULL REFERENCES deals (id) ON DELETE CASCADE,
    from_stage TEXT,
    to_stage TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by TEXT NOT NULL REFERENCES users (id)
);

CREATE TABLE deal_contacts (
    deal_id TEXT NOT NULL REFERENCES deals (id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (deal_id, contact_id)
);

CREATE TABLE activities (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT,
    occurred_at TEXT NOT NULL,
    account_id TEXT REFERENCES accounts (id),
    contact_id TEXT REFERENCES contacts (id),
    deal_id TEXT REFERENCES deals (id),
    owner_id TEXT NOT NULL REFERENCES users (id)
);

CREATE TABLE profile_questions (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    help_text TEXT,
    kind TEXT NOT NULL,
    options TEXT,
    applies_to TEXT NOT NULL,
    position BIGINT NOT NULL,
    active BOOLEAN NOT NULL
);

CREATE TABLE profile_answers (
    subject_id TEXT NOT NULL,
    question_id TEXT NOT NULL REFERENCES profile_questions (id),
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (subject_id, question_id)
);

CREATE TABLE tombstones (
    entity TEXT NOT NULL,
    id TEXT NOT NULL,
    deleted_at TEXT NOT NULL,
    PRIMARY KEY (entity, id)
);

-- Which version of each record type's stored JSON the rows hold; a newer
-- program renders them again at start.
CREATE TABLE record_renders (
    table_name TEXT PRIMARY KEY,
    render_version BIGINT NOT NULL
);

CREATE INDEX accounts_updated_at_idx ON accounts (updated_at);
CREATE INDEX accounts_owner_id_idx ON accounts (owner_id);
CREATE INDEX contacts_updated_at_idx ON contacts (updated_at);
CREATE INDEX contacts_account_id_idx ON contacts (account_id);
CREATE INDEX contacts_owner_id_idx ON contacts (owner_id);
CREATE INDEX contacts_email_idx ON contacts (email);
CREATE INDEX contact_relationships_to_contact_id_idx ON contact_relationships (to_contact_id);
CREATE INDEX deals_updated_at_idx ON deals (updated_at);
CREATE INDEX deals_account_id_idx ON deals (account_id);
CREATE INDEX deals_owner_id_idx ON deals (owner_id);
CREATE INDEX deals_stage_idx ON deals (stage);
CREATE INDEX deals_expected_close_date_idx ON deals (expected_close_date);
CREATE INDEX deals_primary_contact_id_idx ON deals (primary_contact_id);
CREATE INDEX deal_stage_changes_deal_id_idx ON deal_stage_changes (deal_id);
CREATE INDEX deal_contacts_contact_id_idx ON deal_contacts (contact_id);
CREATE INDEX activities_updated_at_idx ON activities (updated_at);
CREATE INDEX activities_account_id_idx ON activities (account_id);
CREATE INDEX activities_contact_id_idx ON activities (contact_id);
CREATE INDEX activities_deal_id_idx ON activities (deal_id);
CREATE INDEX activities_owner_id_idx ON activities (owner_id);
CREATE INDEX profile_questions_updated_at_idx ON profile_questions (updated_at);
CREATE INDEX profile_answers_question_id_idx ON profile_answers (question_id);
CREATE INDEX tombstones_deleted_at_idx ON tombstones (deleted_at);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

-- The actor of CLI actions and, until sign-in exists, of every request.
-- Its stored JSON is rendered at the first start (see record_renders).
INSERT INTO users (id, version, created_at, updated_at, search_text, email, name, role, active, json)
VALUES ('00000000-0000-0000-0000-000000000001', 1, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z',
        'system', 'system@dealdraft.invalid', 'System', 'admin', TRUE, '{}');
