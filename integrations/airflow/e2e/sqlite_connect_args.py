"""`[database] sql_alchemy_connect_args` for the end-to-end run's SQLite metadata DB: wait up to a minute for a
lock (Python's default is 5 s) while the scheduler, the DAG processor and the API server write at once."""

CONNECT_ARGS = {"timeout": 60}
