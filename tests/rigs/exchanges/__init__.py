"""Simulated exchanges that speak each venue's documented message shapes, for preset tests."""
