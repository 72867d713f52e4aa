"""Use-cases on the database and the vault. Functions take a session (and a user) by keyword, never a request."""
