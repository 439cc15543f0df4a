-- A run store as schema version 1 wrote it (council-llm 0.1.0, migration 1 only).
BEGIN TRANSACTION;
CREATE TABLE calls (
            key TEXT PRIMARY KEY,
            stage TEXT NOT NULL CHECK (stage IN ('compose', 'respond', 'judge')),
            member TEXT NOT NULL,
            status TEXT NOT NULL
                CHECK (status IN ('pending', 'ok', 'retryable_error', 'failed', 'unparseable')),
            attempts INTEGER NOT NULL DEFAULT 0,
            prompt_hash TEXT NOT NULL,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL NOT NULL DEFAULT 0,
            latency_s REAL,
            error TEXT,
            updated_at TEXT NOT NULL
        );
INSERT INTO "calls" VALUES('compose/ann/s0/0','compose','ann','ok',1,'h',10,5,0.001,0.1,NULL,'2026-06-01T00:00:30+00:00');
INSERT INTO "calls" VALUES('respond/s0.ann/ann','respond','ann','ok',1,'h',10,5,0.001,0.1,NULL,'2026-06-01T00:00:30+00:00');
INSERT INTO "calls" VALUES('respond/s0.ann/bob','respond','bob','ok',1,'h',10,5,0.001,0.1,NULL,'2026-06-01T00:00:30+00:00');
INSERT INTO "calls" VALUES('respond/s0.ann/cy','respond','cy','ok',1,'h',10,5,0.001,0.1,NULL,'2026-06-01T00:00:30+00:00');
INSERT INTO "calls" VALUES('judge/s0.ann/cy/ann/bob','judge','cy','ok',1,'h',10,5,0.001,0.1,NULL,'2026-06-01T00:00:30+00:00');
INSERT INTO "calls" VALUES('judge/s0.ann/cy/bob/ann','judge','cy','ok',1,'h',10,5,0.001,0.1,NULL,'2026-06-01T00:00:30+00:00');
INSERT INTO "calls" VALUES('judge/s0.ann/bob/ann/cy','judge','bob','ok',1,'h',10,5,0.001,0.1,NULL,'2026-06-01T00:00:30+00:00');
INSERT INTO "calls" VALUES('judge/s0.ann/bob/cy/ann','judge','bob','ok',1,'h',10,5,0.001,0.1,NULL,'2026-06-01T00:00:30+00:00');
INSERT INTO "calls" VALUES('judge/s0.ann/ann/bob/cy','judge','ann','ok',1,'h',10,5,0.001,0.1,NULL,'2026-06-01T00:00:30+00:00');
INSERT INTO "calls" VALUES('judge/s0.ann/ann/cy/bob','judge','ann','ok',1,'h',10,5,0.001,0.1,NULL,'2026-06-01T00:00:30+00:00');
INSERT INTO "calls" VALUES('compose/bob/s1/0','compose','bob','ok',1,'h',10,5,0.001,0.1,NULL,'2026-06-01T00:00:30+00:00');
INSERT INTO "calls" VALUES('respond/s1.bob/ann','respond','ann','ok',1,'h',10,5,0.001,0.1,NULL,'2026-06-01T00:00:30+00:00');
INSERT INTO "calls" VALUES('respond/s1.bob/bob','respond','bob','ok',1,'h',10,5,0.001,0.1,NULL,'2026-06-01T00:00:30+00:00');
INSERT INTO "calls" VALUES('respond/s1.bob/cy','respond','cy','ok',1,'h',10,5,0.001,0.1,NULL,'2026-06-01T00:00:30+00:00');
INSERT INTO "calls" VALUES('judge/s1.bob/cy/ann/bob','judge','cy','ok',1,'h',10,5,0.001,0.1,NULL,'2026-06-01T00:00:30+00:00');
INSERT INTO "calls" VALUES('judge/s1.bob/cy/bob/ann','judge','cy','ok',1,'h',10,5,0.001,0.1,NULL,'2026-06-01T00:00:30+00:00');
INSERT INTO "calls" VALUES('judge/s1.bob/bob/ann/cy','judge','bob','ok',1,'h',10,5,0.001,0.1,NULL,'2026-06-01T00:00:30+00:00');
INSERT INTO "calls" VALUES('judge/s1.bob/bob/cy/ann','judge','bob','ok',1,'h',10,5,0.001,0.1,NULL,'2026-06-01T00:00:30+00:00');
INSERT INTO "calls" VALUES('judge/s1.bob/ann/bob/cy','judge','ann','ok',1,'h',10,5,0.001,0.1,NULL,'2026-06-01T00:00:30+00:00');
INSERT INTO "calls" VALUES('judge/s1.bob/ann/cy/bob','judge','ann','ok',1,'h',10,5,0.001,0.1,NULL,'2026-06-01T00:00:30+00:00');
CREATE TABLE invocations (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            command TEXT NOT NULL,
            config_json TEXT NOT NULL,
            config_hash TEXT NOT NULL,
            package_version TEXT NOT NULL,
            outcome TEXT
        );
INSERT INTO "invocations" VALUES(1,'2026-06-01T00:00:00+00:00','2026-06-01T00:01:00+00:00','run','{}','0123456789abcdef','0.1.0','complete');
CREATE TABLE items (
            id TEXT PRIMARY KEY,
            call_key TEXT NOT NULL UNIQUE REFERENCES calls (key),
            author TEXT NOT NULL,
            seed_id TEXT NOT NULL,
            seed_text TEXT NOT NULL,
            replicate INTEGER NOT NULL,
            text TEXT NOT NULL,
            raw_output TEXT NOT NULL
        );
INSERT INTO "items" VALUES('s0.ann','compose/ann/s0/0','ann','s0','a seed',0,'an item','an item');
INSERT INTO "items" VALUES('s1.bob','compose/bob/s1/0','bob','s1','a seed',0,'an item','an item');
CREATE TABLE responses (
            call_key TEXT PRIMARY KEY REFERENCES calls (key),
            item TEXT NOT NULL REFERENCES items (id),
            respondent TEXT NOT NULL,
            text TEXT NOT NULL,
            raw_text TEXT NOT NULL,
            word_count INTEGER NOT NULL,
            truncated INTEGER NOT NULL CHECK (truncated IN (0, 1)),
            UNIQUE (item, respondent)
        );
INSERT INTO "responses" VALUES('respond/s0.ann/ann','s0.ann','ann','words words words words words words ','raw',6,0);
INSERT INTO "responses" VALUES('respond/s0.ann/bob','s0.ann','bob','words words words words words words ','raw',6,0);
INSERT INTO "responses" VALUES('respond/s0.ann/cy','s0.ann','cy','words words words words words ','raw',5,0);
INSERT INTO "responses" VALUES('respond/s1.bob/ann','s1.bob','ann','words words words words words words ','raw',6,0);
INSERT INTO "responses" VALUES('respond/s1.bob/bob','s1.bob','bob','words words words words words words ','raw',6,0);
INSERT INTO "responses" VALUES('respond/s1.bob/cy','s1.bob','cy','words words words words words ','raw',5,0);
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
INSERT INTO "schema_migrations" VALUES(1,'ledger','2026-06-01T00:00:00+00:00');
CREATE TABLE votes (
            call_key TEXT PRIMARY KEY REFERENCES calls (key),
            item TEXT NOT NULL REFERENCES items (id),
            judge TEXT NOT NULL,
            model_a TEXT NOT NULL,
            model_b TEXT NOT NULL,
            verdict TEXT CHECK (verdict IN ('A>>B', 'A>B', 'A=B', 'B>A', 'B>>A')),
            parse_status TEXT NOT NULL CHECK (parse_status IN ('json', 'tag', 'unparseable')),
            reasoning TEXT,
            raw_output TEXT NOT NULL,
            UNIQUE (item, judge, model_a, model_b),
            CHECK ((verdict IS NULL) = (parse_status = 'unparseable'))
        );
INSERT INTO "votes" VALUES('judge/s0.ann/cy/ann/bob','s0.ann','cy','ann','bob','A>B','json','r','raw');
INSERT INTO "votes" VALUES('judge/s0.ann/cy/bob/ann','s0.ann','cy','bob','ann','B>A','json','r','raw');
INSERT INTO "votes" VALUES('judge/s0.ann/bob/ann/cy','s0.ann','bob','ann','cy','A>>B','json','r','raw');
INSERT INTO "votes" VALUES('judge/s0.ann/bob/cy/ann','s0.ann','bob','cy','ann','B>A','json','r','raw');
INSERT INTO "votes" VALUES('judge/s0.ann/ann/bob/cy','s0.ann','ann','bob','cy','A>B','json','r','raw');
INSERT INTO "votes" VALUES('judge/s0.ann/ann/cy/bob','s0.ann','ann','cy','bob',NULL,'unparseable','r','raw');
INSERT INTO "votes" VALUES('judge/s1.bob/cy/ann/bob','s1.bob','cy','ann','bob','A>B','json','r','raw');
INSERT INTO "votes" VALUES('judge/s1.bob/cy/bob/ann','s1.bob','cy','bob','ann','B>A','json','r','raw');
INSERT INTO "votes" VALUES('judge/s1.bob/bob/ann/cy','s1.bob','bob','ann','cy','A>>B','json','r','raw');
INSERT INTO "votes" VALUES('judge/s1.bob/bob/cy/ann','s1.bob','bob','cy','ann','B>A','json','r','raw');
INSERT INTO "votes" VALUES('judge/s1.bob/ann/bob/cy','s1.bob','ann','bob','cy','A>B','json','r','raw');
INSERT INTO "votes" VALUES('judge/s1.bob/ann/cy/bob','s1.bob','ann','cy','bob',NULL,'unparseable','r','raw');
CREATE INDEX calls_by_stage_status ON calls (stage, status);
COMMIT;
