"""Bus adapters: ``local`` (in-process, threads) implements ``borderwatch.ports.bus``."""
