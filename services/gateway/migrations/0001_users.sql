-- Registered users have a username (stored lower-cased: usernames are case-insensitive) and an
-- argon2id password hash; guests have neither.
CREATE TABLE users (
  id            uuid PRIMARY KEY,
  username      text,
  password_hash text,
  guest         boolean NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (username = lower(username)),
  CHECK (guest = (username IS NULL)),
  CHECK ((username IS NULL) = (password_hash IS NULL))
);
CREATE UNIQUE INDEX users_username_key ON users (username);

CREATE TABLE idempotency_keys (
  user_id     text NOT NULL,
  key         text NOT NULL,
  fingerprint text NOT NULL,
  status      integer NOT NULL,
  body        text NOT NULL,
  location    text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);
