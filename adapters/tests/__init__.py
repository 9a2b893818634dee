"""Test support shared by the adapters' fake platform servers (not shipped in the wheel)."""
