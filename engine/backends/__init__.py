"""Inference backends behind one interface (`engine.backends.base`)."""
