"""The rules: pure functions and domain types, citing the seeds (no storage, no platform,
no feature; pyproject: import contracts)."""
