"""The service: HTTP API, live feed (Server-Sent Events) and the offline dashboard.

Only this package imports the web framework (FastAPI on uvicorn). ``runtime`` composes the
service around one SQLite file, ``live`` runs the pipeline, ``roles`` and ``views`` decide
who sees what, ``app`` is the HTTP surface, ``replay`` feeds a bundled scenario in live.
"""
