"""sim/evaluation."""
