"""The corrected copy of a delivery: only what cannot be wrong (see :mod:`.certain`)."""
