"""End-to-end tests: the built portal served on loopback and driven by a real headless Chromium."""
