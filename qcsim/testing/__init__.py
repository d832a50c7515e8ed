"""Helpers for comparing qcsim with peers (not used by the engine itself)."""
