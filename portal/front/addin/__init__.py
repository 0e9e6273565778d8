"""The Excel add-in: its VBA project and .xlam package, built from the text sources in `addin/`, and installed."""
