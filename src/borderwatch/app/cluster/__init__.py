"""The service spread over processes and hosts (issue 16, docs/deployment.md): API
processes publish accepted detections to the bus by boundary segment, tracker workers
each own segments and keep their position in the records, dispatchers drain the shared
outbox. The pieces are built by the composition root (app/bootstrap.py) on the bus and
storage ports: NATS JetStream and PostgreSQL in a deployment, fakes in unit tests."""
