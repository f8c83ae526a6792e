"""Tests of the simulated Prometheus."""
