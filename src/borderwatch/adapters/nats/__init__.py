"""NATS JetStream: the bus port on a NATS server or cluster (bus.py, subscription.py, on an
event loop of its own: loop.py), and nats-server nodes of our own for the tests and
`borderwatch cluster up` (server.py). docs/bus.md."""
