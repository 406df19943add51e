"""The storage port on PostgreSQL (``storage.py``), the tracker workers' coordination
(``coordination.py``) and a local PostgreSQL server for tests and `borderwatch cluster up`
(``server.py``)."""
