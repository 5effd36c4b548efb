"""The HTTP outputs: /health for load balancers and checks, /metrics for Prometheus."""
