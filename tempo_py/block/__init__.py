"""tempo_py."""
