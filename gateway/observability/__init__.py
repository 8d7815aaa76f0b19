"""What operators see of a running gateway: traces (OpenTelemetry), the server span, OTLP/JSON
export, Prometheus metrics, structured logs."""
