"""Test configuration."""

# Scenario files kept as test data are inputs, not tests for the rollout-sim pytest plugin to collect.
collect_ignore_glob = ["data/*"]
