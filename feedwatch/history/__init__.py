"""History: every engine event kept in SQLite across restarts, with incidents and sessions.

One process writes (it holds ``history.db.lock``); any other reads. Nothing here imports
Textual: the headless service, the dashboard and the CLI all read the same store.
"""
