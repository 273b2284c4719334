"""adapters/mediapipe."""
