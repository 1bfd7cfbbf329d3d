"""The delivery domain in the app: the Deliveries tab (planning runs, the run view, cash), the
driver's "Today's run", proofs of drop-off, the runs API and the live updates of runs."""
