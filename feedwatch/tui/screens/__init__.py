"""Full screens the dashboard pushes: each shows one view of the engine's state."""
