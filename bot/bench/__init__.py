"""`redline bench ...`: benchmarks that print measured figures (JSON with --json)."""
