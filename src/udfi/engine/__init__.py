"""The §514 engine: pure functions from a validated book to the return's figures."""
