"""Versioned schema for SQLite. Each step runs once, in order, in its own
transaction; the applied versions are kept in ``schema_migrations``. Never edit a
released step: add a new one."""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "items, matches and full-text search",
        """
        CREATE TABLE items (
            pk INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '',
            url TEXT UNIQUE,
            source TEXT,
            source_kind TEXT NOT NULL DEFAULT 'news',
            published TEXT,
            fetched_at TEXT NOT NULL,
            sort_at TEXT NOT NULL,
            title_key TEXT NOT NULL UNIQUE
        );
        CREATE INDEX items_sort_at ON items(sort_at);
        CREATE TABLE matches (
            kind TEXT NOT NULL,
            target TEXT NOT NULL,
            item_pk INTEGER NOT NULL REFERENCES items(pk) ON DELETE CASCADE,
            sort_at TEXT NOT NULL,
            why TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (kind, target, item_pk)
        );
        CREATE INDEX matches_recent ON matches(kind, target, sort_at DESC);
        CREATE INDEX matches_item ON matches(item_pk);
        CREATE VIRTUAL TABLE items_fts USING fts5(
            title, summary, content='items', content_rowid='pk', tokenize='porter unicode61'
        );
        CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
            INSERT INTO items_fts(rowid, title, summary) VALUES (new.pk, new.title, new.summary);
        END;
        CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
            INSERT INTO items_fts(items_fts, rowid, title, summary)
            VALUES ('delete', old.pk, old.title, old.summary);
        END;
        """,
    ),
    (
        2,
        "subscriptions, admin edits and the audit log",
        """
        CREATE TABLE subscriptions (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            channel TEXT NOT NULL,
            watchlist TEXT NOT NULL,
            cadence TEXT NOT NULL,
            at TEXT NOT NULL,
            tz TEXT NOT NULL,
            weekday INTEGER NOT NULL DEFAULT 0,
            min_priority INTEGER NOT NULL DEFAULT 0,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            last_digest_at TEXT,
            disabled_reason TEXT,
            UNIQUE (platform, workspace, channel, watchlist)
        );
        CREATE TABLE watchlist_edits (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            value TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            user TEXT NOT NULL,
            action TEXT NOT NULL,
            detail TEXT NOT NULL,
            outcome TEXT NOT NULL
        );
        """,
    ),
]

MIGRATIONS.append(
    (
        3,
        "source health, digest cursors and the delivery outbox",
        """
        CREATE TABLE source_state (
            source_id TEXT PRIMARY KEY,
            etag TEXT,
            last_modified TEXT,
            last_success TEXT,
            last_error TEXT,
            last_error_at TEXT,
            item_count INTEGER NOT NULL DEFAULT 0,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            next_fetch_at TEXT
        );
        ALTER TABLE subscriptions ADD COLUMN quiet_start TEXT;
        ALTER TABLE subscriptions ADD COLUMN quiet_end TEXT;
        ALTER TABLE subscriptions ADD COLUMN last_due_at TEXT;
        ALTER TABLE subscriptions ADD COLUMN cursor_pk INTEGER NOT NULL DEFAULT 0;
        UPDATE subscriptions SET cursor_pk = (SELECT COALESCE(MAX(pk), 0) FROM items),
                                 last_due_at = created_at;
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            dedupe_key TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            channel TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            lease_until TEXT,
            message_id TEXT,
            sent_at TEXT,
            last_error TEXT
        );
        CREATE INDEX outbox_ready ON outbox(status, next_attempt_at);
        CREATE INDEX outbox_channel ON outbox(platform, workspace, channel, created_at);
        """,
    )
)

MIGRATIONS.append(
    (
        4,
        "stories: one event across outlets, event types, and claim/answer links",
        """
        CREATE TABLE stories (
            id TEXT PRIMARY KEY,
            headline TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            event_type TEXT NOT NULL,
            answers TEXT,
            related TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX stories_answers ON stories(answers);
        ALTER TABLE items ADD COLUMN story_id TEXT;
        ALTER TABLE items ADD COLUMN event_type TEXT;
        ALTER TABLE items ADD COLUMN event_reason TEXT;
        CREATE INDEX items_story ON items(story_id);
        """,
    )
)

MIGRATIONS.append(
    (
        5,
        "stories muted per channel",
        """
        CREATE TABLE mutes (
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            channel TEXT NOT NULL,
            story_id TEXT NOT NULL,
            muted_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (platform, workspace, channel, story_id)
        );
        """,
    )
)

MIGRATIONS.append(
    (
        6,
        "platform events already handled, shared by replicas",
        """
        CREATE TABLE handled_events (
            key TEXT PRIMARY KEY,
            at TEXT NOT NULL
        );
        CREATE INDEX handled_events_at ON handled_events(at);
        """,
    )
)

MIGRATIONS.append(
    (
        7,
        "channel controls: pauses, per-channel filters, alert mentions, chat-added sources",
        """
        ALTER TABLE subscriptions ADD COLUMN paused_at TEXT;
        ALTER TABLE subscriptions ADD COLUMN paused_until TEXT;
        ALTER TABLE subscriptions ADD COLUMN only_term TEXT;
        ALTER TABLE subscriptions ADD COLUMN without_term TEXT;
        CREATE TABLE channel_settings (
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            channel TEXT NOT NULL,
            mention TEXT,
            updated_by TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (platform, workspace, channel)
        );
        CREATE TABLE chat_sources (
            id TEXT PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            interval_minutes INTEGER NOT NULL,
            paused INTEGER NOT NULL DEFAULT 0,
            added_by TEXT NOT NULL,
            added_at TEXT NOT NULL,
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL
        );
        """,
    )
)

MIGRATIONS.append(
    (
        8,
        "source health says what the last parse dropped and why",
        """
        ALTER TABLE source_state ADD COLUMN notes TEXT;
        """,
    )
)

MIGRATIONS.append(
    (
        9,
        "outbox leases name their owner, so a dead sender's rows are taken over at once",
        """
        ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
        ALTER TABLE outbox ADD COLUMN lease_session TEXT;
        """,
    )
)

LATEST_VERSION = MIGRATIONS[-1][0]
