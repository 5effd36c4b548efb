"""Servers that only tests and benchmarks run: simulated exchanges, a flood, a degraded feed.

They build on the demo simulator's sessions and behaviours, but stay out of the wheel.
"""
