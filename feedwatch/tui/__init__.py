"""The terminal dashboard: one consumer of the engine, sampling its snapshots on a timer."""
