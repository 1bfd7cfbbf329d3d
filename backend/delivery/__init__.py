"""Delivery: runs, stops, the planner, ETAs, proofs of drop-off and the cash of a run."""
