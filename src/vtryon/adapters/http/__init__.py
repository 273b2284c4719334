"""The Litestar driver: HTTP API, WebSocket live stream, metrics and the static web client."""
